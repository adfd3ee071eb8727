using System.Globalization;
using Vigil.Events;
using Vigil.Rules;
using Vigil.Rules.Compilation;

namespace Vigil.Engine.Matching;

/// <summary>How a needle must sit in a value for its atom to hold; <see cref="Present"/>: no needle, the field is present.</summary>
internal enum AtomKind : byte { Contains, StartsWith, EndsWith, Equals, Present }

/// <summary>"Field <see cref="FieldId"/> has a value whose text (folded) contains / starts with / ends with /
/// equals <see cref="Needle"/>", or (<see cref="AtomKind.Present"/>, empty needle) "field <see cref="FieldId"/> is present".
/// The building block of a rule's prefilter.</summary>
internal readonly record struct Atom(int FieldId, AtomKind Kind, string Needle);

/// <summary>Equality of atoms as the record's, with a hash that reads a few characters of the needle instead of all of
/// them (the matcher numbers some 100,000 atom references of the collection; equal atoms still compare in full).</summary>
internal sealed class AtomComparer : IEqualityComparer<Atom>
{
    public static readonly AtomComparer Instance = new();

    public bool Equals(Atom a, Atom b) => a.FieldId == b.FieldId && a.Kind == b.Kind && string.Equals(a.Needle, b.Needle, StringComparison.Ordinal);

    public int GetHashCode(Atom a)
    {
        string n = a.Needle;
        int h = n.Length == 0 ? 0 : n[0] | n[^1] << 16 ^ n[n.Length / 2] << 8 ^ (n.Length > 3 ? n[n.Length / 3] << 20 : 0);
        return HashCode.Combine(a.FieldId, (int)a.Kind, n.Length, h);
    }
}

/// <summary>
/// What an event must look like for one routing alternative of a rule to match: its Channel among
/// <see cref="Channels"/> (null: any; <see cref="AbsentChannel"/> stands for "no Channel field") and its
/// EventID among <see cref="EventIds"/> (null: any).
/// </summary>
internal sealed record Requirement(HashSet<string>? Channels, HashSet<long>? EventIds)
{
    public const string AbsentChannel = "\0absent";
    public static readonly Requirement Any = new(null, null);
}

/// <summary>
/// Derives, from a compiled rule, facts every matching event must satisfy. Both derivations are
/// necessary conditions only (they may admit events the rule rejects, never the reverse):
/// <list type="bullet">
/// <item><see cref="Requirements"/>: per routing alternative, the allowed Channels / EventIDs, from the
/// route constraint and from equality tests on Channel / EventID that the detection cannot do without
/// (an AND takes the intersection of its children's requirements, an OR the union, NOT and anything
/// else require nothing).</item>
/// <item><see cref="Prefilter"/>: a set of atoms at least one of which holds on every matching event
/// (an AND picks its most selective child, an OR unites its children, a field test of plain text
/// needles gives one atom per needle; wildcards give their longest literal as a contains atom, regexes their
/// necessary literals (<see cref="RegexLiterals"/>) as contains atoms; a field test that gives no text atoms but
/// cannot hold on an event without the field (numbers, CIDR, fieldref, regexes without literals, <c>exists: true</c>,
/// <c>neq</c>, ...) gives presence atoms, one per name it reads).</item>
/// </list>
/// </summary>
internal static class RuleFacts
{
    /// <param name="channelKeys">The names (keys) the index reads the event's Channel under, first present wins.</param>
    /// <param name="idKeys">The same for EventID.</param>
    public static List<Requirement> Requirements(CompiledRule rule, int[] channelKeys, int[] idKeys)
    {
        var result = new List<Requirement>();
        if (rule.Routes.Length == 0) { result.Add(Detection(rule.Unrouted, channelKeys, idKeys)); return result; }
        foreach (var r in rule.Routes)
        {
            var c = r.Constraint;
            // A route that reads its channel or id under other names than the index does says nothing here.
            bool channelOnly = SameKeys(c.ChannelFields, channelKeys);
            bool idOnly = SameKeys(c.EventIdFields, idKeys);
            HashSet<string>? channels = null;
            if (channelOnly && c.Channels.Length > 0) channels = new HashSet<string>(c.Channels, StringComparer.OrdinalIgnoreCase);
            if (channelOnly && c.ChannelAbsentOrIn != null)
            {
                var guard = new HashSet<string>(c.ChannelAbsentOrIn, StringComparer.OrdinalIgnoreCase) { Requirement.AbsentChannel };
                channels = channels == null ? guard : Intersect(channels, guard);
            }
            HashSet<long>? ids = idOnly && c.EventIds.Length > 0 ? [.. c.EventIds] : null;
            result.Add(And(new Requirement(channels, ids), Detection(r.Detection, channelKeys, idKeys)));
        }
        return result;
    }

    private static bool SameKeys(int[] fields, int[] keys) =>
        fields.Select(FieldNames.Key).SequenceEqual(keys);

    private static Requirement Detection(Node n, int[] channelKeys, int[] idKeys)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
                var acc = Requirement.Any;
                foreach (var c in n.Children) acc = And(acc, Detection(c, channelKeys, idKeys));
                return acc;
            case NodeKind.Or:
                Requirement? u = null;
                foreach (var c in n.Children) u = u == null ? Detection(c, channelKeys, idKeys) : Or(u, Detection(c, channelKeys, idKeys));
                return u ?? Requirement.Any;
            case NodeKind.Field:
                return FieldRequirement(n.Test!, channelKeys, idKeys);
            default:
                return Requirement.Any;
        }
    }

    private static Requirement FieldRequirement(FieldTest t, int[] channelKeys, int[] idKeys)
    {
        if (t.Kind != TestKind.Values || t.Negate || t.AbsentMatches || t.Part != TimePart.None) return Requirement.Any;
        // The test reads the first present of its names (its own, then those of fieldmaps.yml: EventID, then
        // winlog.event_id, ...); the index reads the first present of its keys. When the test's names are a prefix of
        // the index's keys, both read the same field whenever one of the test's names is present, and when none is the
        // test fails (it is not a null test), so the index's value must satisfy the test's requirement. Any other
        // relation (other names, other order) constrains nothing the index sees.
        bool isId = NamesArePrefix(t, idKeys), isChannel = NamesArePrefix(t, channelKeys);
        if (!isId && !isChannel) return Requirement.Any;
        var texts = new List<string>();
        // With 'all' every group must match, so group 0 alone is a necessary condition.
        var groups = t.All ? t.Groups.Take(1) : t.Groups;
        if (t.All && t.Groups.Length == 0) return Requirement.Any;
        foreach (var g in groups)
            foreach (var nd in g)
            {
                if (nd.Kind != NeedleKind.Equals) return Requirement.Any;
                texts.Add(nd.Text);
            }
        if (t.ExactSet is { } set) texts.AddRange(set.Set);
        if (isChannel) return new Requirement(new HashSet<string>(texts, StringComparer.OrdinalIgnoreCase), null);
        // EventID: the event's key is its integer value (numbers) or its text parsed as an integer. A needle
        // text that parses the same way is equal-text to exactly the event texts that parse to its value, and
        // equal in number to the numeric values with that value. Anything else (hex, decimals) gives no requirement.
        var ids = new HashSet<long>();
        foreach (var s in texts)
        {
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) return Requirement.Any;
            ids.Add(v);
        }
        return new Requirement(null, ids);
    }

    /// <summary>True when the test's own name and then its other names (fieldmaps.yml) are, as matching keys, the first
    /// keys of <paramref name="keys"/> in the same order.</summary>
    private static bool NamesArePrefix(FieldTest t, int[] keys)
    {
        int n = 1 + (t.AltFieldIds?.Length ?? 0);
        if (n > keys.Length) return false;
        if (FieldNames.Key(t.FieldId) != keys[0]) return false;
        for (int i = 1; i < n; i++)
            if (FieldNames.Key(t.AltFieldIds![i - 1]) != keys[i]) return false;
        return true;
    }

    private static Requirement And(Requirement a, Requirement b) => new(
        a.Channels == null ? b.Channels : b.Channels == null ? a.Channels : Intersect(a.Channels, b.Channels),
        a.EventIds == null ? b.EventIds : b.EventIds == null ? a.EventIds : [.. a.EventIds.Intersect(b.EventIds)]);

    private static Requirement Or(Requirement a, Requirement b) => new(
        a.Channels == null || b.Channels == null ? null : new HashSet<string>(a.Channels.Union(b.Channels), StringComparer.OrdinalIgnoreCase),
        a.EventIds == null || b.EventIds == null ? null : [.. a.EventIds.Union(b.EventIds)]);

    private static HashSet<string> Intersect(HashSet<string> a, HashSet<string> b)
    {
        var r = new HashSet<string>(a, StringComparer.OrdinalIgnoreCase);
        r.IntersectWith(b);
        return r;
    }

    // ---- prefilter atoms ---------------------------------------------------------------------

    /// <summary>The rules' needle sets per field, for the automaton benchmark and tests: by field key (-1: keywords),
    /// the distinct folded needles of the prefilter atoms, ordinally sorted. Presence atoms have no needle and are left
    /// out.</summary>
    internal static Dictionary<int, List<string>> NeedleSetsByField(IEnumerable<CompiledRule> rules)
    {
        var sets = new Dictionary<int, HashSet<string>>();
        foreach (var rule in rules)
            if (Prefilter(rule) is { } atoms)
                foreach (var atom in atoms)
                {
                    if (atom.Kind == AtomKind.Present) continue;
                    int key = atom.FieldId < 0 ? -1 : FieldNames.Key(atom.FieldId);
                    if (!sets.TryGetValue(key, out var set)) sets[key] = set = new HashSet<string>(StringComparer.Ordinal);
                    set.Add(atom.Needle);
                }
        return sets.ToDictionary(kv => kv.Key, kv => kv.Value.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>Atoms one of which must hold for the rule to match, or null when no such set is known
    /// (the rule is then evaluated on every event its index bucket admits).</summary>
    public static List<Atom>? Prefilter(CompiledRule rule)
    {
        var nodes = rule.Routes.Length == 0 ? [rule.Unrouted] : rule.Routes.Select(r => r.Detection).Distinct();
        var all = new List<Atom>();
        foreach (var n in nodes)
        {
            var atoms = Atoms(n);
            if (atoms == null) return null;
            all.AddRange(atoms);
        }
        return all.Distinct(AtomComparer.Instance).ToList();
    }

    private static List<Atom>? Atoms(Node n)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
                List<Atom>? best = null;
                foreach (var c in n.Children)
                {
                    var a = Atoms(c);
                    if (a != null && (best == null || Better(a, best))) best = a;
                }
                return best;
            case NodeKind.Or:
                var union = new List<Atom>();
                foreach (var c in n.Children)
                {
                    var a = Atoms(c);
                    if (a == null) return null;
                    union.AddRange(a);
                }
                return union;
            case NodeKind.False:
                return [];   // never matches: no atom needed
            case NodeKind.Field:
            case NodeKind.Keyword:
                return FieldAtoms(n.Test!);
            default:
                return null;  // Not, True
        }
    }

    /// <summary>Prefers the alternative whose shortest needle is longest (fewer chance hits), then fewer atoms.
    /// Presence atoms have the empty needle, so any text alternative is preferred to them.</summary>
    private static bool Better(List<Atom> a, List<Atom> b)
    {
        int ma = ShortestNeedle(a), mb = ShortestNeedle(b);
        if (ma != mb) return ma > mb;
        return a.Count < b.Count;
    }

    /// <summary>The length of the shortest needle, int.MaxValue for no atoms.</summary>
    private static int ShortestNeedle(List<Atom> atoms)
    {
        int min = int.MaxValue;
        foreach (var x in atoms) if (x.Needle.Length < min) min = x.Needle.Length;
        return min;
    }

    /// <summary>Atoms for a field test (or a keyword test: field id -1, "any field"), one per needle; null when
    /// some needle cannot be expressed (numbers, regexes without known literals, CIDR, fieldref, cased non-BMP letters, empty).
    /// A regex gives one contains atom per necessary literal (<see cref="RegexLiterals"/>).</summary>
    private static List<Atom>? FieldAtoms(FieldTest t) => TextAtoms(t) ?? PresenceAtoms(t);

    /// <summary>
    /// "One of the names the test reads is present", when the test cannot hold without that: the evaluator answers an
    /// event without any of the names with <c>exists</c> → "expected absent", and a value test with "matches" only for
    /// Sigma <c>null</c> without <c>neq</c>, or through the timestamp fallback of a time part. Null for keyword tests and
    /// for the tests an absent field may satisfy.
    /// </summary>
    private static List<Atom>? PresenceAtoms(FieldTest t)
    {
        if (t.FieldId < 0) return null;
        bool needsField = t.Kind == TestKind.Exists
            ? t.ExistsExpected
            : !(!t.Negate && t.AbsentMatches) && !(t.Part != TimePart.None && t.TimestampFallback);
        if (!needsField) return null;
        return FieldsRead(t).Select(f => new Atom(f, AtomKind.Present, "")).ToList();
    }

    private static List<Atom>? TextAtoms(FieldTest t)
    {
        if (t.Kind != TestKind.Values || t.Negate || t.AbsentMatches || t.Part != TimePart.None) return null;
        if (t.All && t.Groups.Length == 0) return null;
        var atoms = new List<Atom>();
        var groups = t.All ? t.Groups.Take(1) : t.Groups;
        var fields = FieldsRead(t);
        foreach (var g in groups)
            foreach (var nd in g)
            {
                // A number needle also matches numeric values by number, which text atoms cannot express.
                if (nd.HasNumber) return null;
                AtomKind kind;
                string text = nd.Text;
                switch (nd.Kind)
                {
                    case NeedleKind.Equals: kind = AtomKind.Equals; break;
                    case NeedleKind.StartsWith: kind = AtomKind.StartsWith; break;
                    case NeedleKind.EndsWith: kind = AtomKind.EndsWith; break;
                    case NeedleKind.Contains: kind = AtomKind.Contains; break;
                    case NeedleKind.Wildcard:
                        // Every literal segment must occur in a matching value; '?' never matches inside a literal.
                        kind = AtomKind.Contains;
                        text = nd.Pattern!.Where(s => s.Kind == SegmentKind.Literal).Select(s => s.Text).MaxBy(s => s.Length) ?? "";
                        break;
                    case NeedleKind.Regex:
                        // One of the regex's necessary literals occurs in every value it matches.
                        if (RegexAtomTexts(nd) is not { } literals) return null;
                        foreach (var lit in literals)
                            foreach (int f in fields) atoms.Add(new Atom(f, AtomKind.Contains, lit));
                        continue;
                    default: return null;
                }
                if (text.Length == 0) return null;   // matches (almost) anything
                var folded = CaseFold.FoldNeedle(text);
                if (folded == null) return null;
                foreach (int f in fields) atoms.Add(new Atom(f, kind, folded));
            }
        if (t.ExactSet is { } set)
            foreach (var s in set.Set)
            {
                var folded = s.Length == 0 ? null : CaseFold.FoldNeedle(s);
                if (folded == null) return null;
                foreach (int f in fields) atoms.Add(new Atom(f, AtomKind.Equals, folded));
            }
        return atoms;
    }

    /// <summary>The folded necessary literals of a regex needle (<see cref="RegexLiterals"/>), or null when none are
    /// known. Case-insensitive contains atoms are sound for case-sensitive and case-insensitive regexes alike: the
    /// literals already include the variants the regex engine's case equivalences allow (KELVIN SIGN for k, ...).</summary>
    private static string[]? RegexAtomTexts(Needle nd)
    {
        if (nd.Regex is not { } re) return null;
        var literals = RegexLiterals.Necessary(re.Pattern, re.Options);
        if (literals == null) return null;
        // The literals are folded already; FoldNeedle is the same check every other atom passes (no lone surrogates).
        foreach (var lit in literals) if (lit.Length == 0 || CaseFold.FoldNeedle(lit) != lit) return null;
        return literals;
    }

    /// <summary>Every field a test may read: its own, then the alternatives of fieldmaps.yml (first present wins,
    /// so a needle under any of them is a necessary condition, not a sufficient one).</summary>
    private static int[] FieldsRead(FieldTest t) => t.AltFieldIds is { } alts ? [t.FieldId, .. alts] : [t.FieldId];

    /// <summary>
    /// The atoms that decide a field or keyword test exactly, when they can: every needle a plain
    /// case-insensitive Equals / StartsWith / EndsWith / Contains with non-empty foldable text and no number
    /// meaning. Then the test holds iff some atom of every group holds (one group unless <c>all</c>), which
    /// is what the evaluator computes (some value of the field, or of any field for keywords, matches).
    /// For a test with <see cref="FieldTest.AltFieldIds"/> this holds only when the test's own field is present.
    /// Null when the evaluator must decide.
    /// </summary>
    public static List<List<Atom>>? ExactAtoms(FieldTest t) => TestAtoms(t, necessaryOnly: false);

    /// <summary>
    /// Atoms that are necessary (not sufficient) for a field or keyword test the evaluator must decide: the
    /// same groups as <see cref="ExactAtoms"/>, but a wildcard needle gives its longest literal as a contains
    /// atom and a cased needle its folded text (a case-sensitive match is also a case-insensitive one). If
    /// some group has no atom that holds, the test cannot hold; otherwise the evaluator decides. A regex needle gives
    /// its necessary literals (<see cref="RegexLiterals"/>) as contains atoms. Null when some needle gives no such
    /// atom (regex without known literals, number, CIDR, fieldref, empty or unfoldable text, ...).
    /// </summary>
    public static List<List<Atom>>? NecessaryAtoms(FieldTest t) => TestAtoms(t, necessaryOnly: true);

    private static List<List<Atom>>? TestAtoms(FieldTest t, bool necessaryOnly)
    {
        if (t.Kind != TestKind.Values || t.Negate || t.AbsentMatches || t.Part != TimePart.None) return null;
        if (t.Groups.Length == 0 && t.ExactSet == null) return null;
        // With other names (fieldmaps.yml) the test reads the first present of them. The atoms below are on the
        // test's own name, so they decide it exactly only when that name is present; RuleProgram checks that and
        // leaves the other cases (absent, or only an alternative name present) to the evaluator.
        // Without 'all' the groups are OR-ed: one list for all of them (what the caller gets), not a list per group.
        var groups = new List<List<Atom>>();
        List<Atom>? flat = t.All ? null : [];
        foreach (var g in t.Groups)
        {
            var atoms = flat ?? [];
            foreach (var nd in g)
            {
                if (nd.HasNumber) return null;
                if (nd.Comparison != StringComparison.OrdinalIgnoreCase && !(necessaryOnly && nd.Comparison == StringComparison.Ordinal)) return null;
                AtomKind kind;
                string text = nd.Text;
                switch (nd.Kind)
                {
                    case NeedleKind.Equals: kind = AtomKind.Equals; break;
                    case NeedleKind.StartsWith: kind = AtomKind.StartsWith; break;
                    case NeedleKind.EndsWith: kind = AtomKind.EndsWith; break;
                    case NeedleKind.Contains: kind = AtomKind.Contains; break;
                    case NeedleKind.Wildcard when necessaryOnly:
                        // Every literal segment occurs in a matching value ('?' is a segment of its own).
                        kind = AtomKind.Contains;
                        text = nd.Pattern!.Where(x => x.Kind == SegmentKind.Literal).Select(x => x.Text).MaxBy(x => x.Length) ?? "";
                        break;
                    case NeedleKind.Regex when necessaryOnly:
                        // Some necessary literal of the regex occurs in any value it matches: one contains atom each,
                        // OR-ed within the group like the group's other needles.
                        if (RegexAtomTexts(nd) is not { } literals) return null;
                        foreach (var lit in literals) atoms.Add(new Atom(t.FieldId, AtomKind.Contains, lit));
                        continue;
                    default: return null;
                }
                if (text.Length == 0) return null;
                var folded = CaseFold.FoldNeedle(text);
                if (folded == null) return null;
                atoms.Add(new Atom(t.FieldId, kind, folded));
            }
            if (flat == null) groups.Add(atoms);
        }
        if (t.ExactSet is { } set)
        {
            // Only without 'all' (see WithExactSet): the set and the remaining needles are all OR-ed.
            if (flat == null) return null;
            foreach (var s in set.Set)
            {
                var folded = s.Length == 0 ? null : CaseFold.FoldNeedle(s);
                if (folded == null) return null;
                flat.Add(new Atom(t.FieldId, AtomKind.Equals, folded));
            }
        }
        if (flat != null) return [flat];
        return groups;
    }
}

/// <summary>Read-only views of what the matcher derives from a rule, for benchmarks and diagnostics.</summary>
public static class MatcherDiagnostics
{
    /// <summary>True when some routing alternative of the rule admits events of any Channel.</summary>
    public static bool AdmitsAnyChannel(CompiledRule rule)
    {
        var first = rule.Routes.FirstOrDefault()?.Constraint;
        int[] channelKeys = first?.ChannelFields.Select(FieldNames.Key).ToArray() ?? [FieldNames.Key(WellKnownFields.Channel)];
        int[] idKeys = first?.EventIdFields.Select(FieldNames.Key).ToArray() ?? [FieldNames.Key(WellKnownFields.EventID)];
        return RuleFacts.Requirements(rule, channelKeys, idKeys).Any(r => r.Channels == null);
    }
}
