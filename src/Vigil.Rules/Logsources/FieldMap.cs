using Vigil.Events;
using Vigil.Rules.Parsing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Rules.Logsources;

/// <summary>
/// Field names of JSON shapes (embedded <c>Logsources/fieldmaps.yml</c>, optionally extended by a user file):
/// global alternatives for namespaced names (Winlogbeat's <c>winlog.*</c>), container prefixes, and log sources
/// recognised by the shape of their events (Zeek, CloudTrail) with their own field alternatives.
/// Used only at compile time: every name is resolved to <see cref="FieldNames"/> ids once.
/// </summary>
internal sealed class FieldMap
{
    private const string ResourceName = "Vigil.Rules.Logsources.fieldmaps.yml";

    /// <summary>One <c>match</c> alternative of a shape source.</summary>
    internal sealed record ShapeMatch((string Field, string Value)[] FieldEquals, string[] Present);

    /// <summary>A shape-recognised log source.</summary>
    internal sealed record ShapeSource(Logsource Logsource, ShapeMatch[] Match, IReadOnlyDictionary<string, string[]> Fields)
    {
        public string Key => $"{Logsource.Product}|{Logsource.Category}|{Logsource.Service}".ToLowerInvariant();
    }

    private readonly Dictionary<string, List<string>> _fields = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _prefixes = [];
    private readonly List<ShapeSource> _sources = [];

    private static readonly Lazy<FieldMap> BuiltinMap = new(LoadBuiltin);
    public static FieldMap Builtin => BuiltinMap.Value;

    public IReadOnlyList<ShapeSource> Sources => _sources;

    private static FieldMap LoadBuiltin()
    {
        var map = new FieldMap();
        var errors = new List<RuleError>();
        map.Add(MappingFile.Embedded(ResourceName), "builtin:fieldmaps.yml", errors, userFirst: false);
        if (errors.Count > 0) throw new InvalidOperationException("built-in field mapping is invalid: " + errors[0]);
        return map;
    }

    /// <summary>The built-in map extended by a user file (see the layout notes in fieldmaps.yml).</summary>
    public static FieldMap WithOverrides(string yaml, string file, List<RuleError> errors)
    {
        var map = new FieldMap();
        foreach (var (k, v) in Builtin._fields) map._fields[k] = [.. v];
        map._prefixes.AddRange(Builtin._prefixes);
        map._sources.AddRange(Builtin._sources);
        map.Add(yaml, file, errors, userFirst: true);
        return map;
    }

    /// <summary>Names to try for a rule field, first present wins: <paramref name="name"/> itself (already renamed
    /// by any logsource fieldmapping), then the source's own alternatives, the global ones, then prefix + name.</summary>
    public List<string> Candidates(string name, IReadOnlyDictionary<string, string[]>? sourceFields, string? originalName = null)
    {
        var list = new List<string> { name };
        void Add(string n) { if (!list.Contains(n, StringComparer.OrdinalIgnoreCase)) list.Add(n); }
        foreach (var key in originalName != null && originalName != name ? new[] { originalName, name } : [name])
        {
            if (sourceFields != null && sourceFields.TryGetValue(key, out var own)) foreach (var n in own) Add(n);
            if (_fields.TryGetValue(key, out var global)) foreach (var n in global) Add(n);
        }
        // Prefixed forms only for plain names: "winlog.event_data.winlog.channel" is never a real field.
        if (!name.Contains('.'))
            foreach (var p in _prefixes) Add(p + name);
        return list;
    }

    /// <summary>Ids of <see cref="Candidates"/> beyond the first, or null when there are none. Kept per (name, source
    /// fields, original name): the compiler asks for every field test of every rule on every route, about the same few
    /// hundred names (each answer built prefixed names and looked them up again). The map does not change once built,
    /// and the arrays are shared read-only by the tests that read them.</summary>
    public int[]? AlternativeIds(string name, IReadOnlyDictionary<string, string[]>? sourceFields, string? originalName = null) =>
        _alternativeIds.GetOrAdd((name, sourceFields, originalName), static (k, map) =>
        {
            var c = map.Candidates(k.Name, k.Source, k.Original);
            return c.Count <= 1 ? null : c.Skip(1).Select(FieldNames.KeyOf).ToArray();
        }, this);

    // Keys compare as value tuples do: names ordinally (a name spelled in another case gets its own entry, with the same
    // answer), the source field table by reference (dictionaries do not override Equals).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Name, IReadOnlyDictionary<string, string[]>? Source, string? Original), int[]?>
        _alternativeIds = new();

    /// <summary>All ids for a name (itself first), for routing fields such as Channel and EventID.</summary>
    public int[] Ids(string name) => Candidates(name, null).Select(FieldNames.KeyOf).ToArray();

    /// <summary>The shape sources a rule's logsource belongs to: every part an entry sets must equal the rule's.</summary>
    public List<ShapeSource> SourcesFor(Logsource ls) =>
        _sources.Where(s => Same(s.Logsource.Product, ls.Product) && Same(s.Logsource.Category, ls.Category) && Same(s.Logsource.Service, ls.Service)).ToList();

    private static bool Same(string? entry, string? rule) => entry == null || string.Equals(entry, rule, StringComparison.OrdinalIgnoreCase);

    private void Add(string yaml, string file, List<RuleError> errors, bool userFirst)
    {
        MappingFile.Read(yaml, file, errors, "field mapping", root =>
        {
            foreach (var (k, v) in root.Children)
            {
                switch (Str(k))
                {
                    case "fields":
                        foreach (var (fk, fv) in Map(v).Children)
                        {
                            string name = Str(fk);
                            var alts = Strings(fv);
                            if (!_fields.TryGetValue(name, out var list)) _fields[name] = list = [];
                            if (userFirst) list.InsertRange(0, alts.Where(a => !list.Contains(a, StringComparer.OrdinalIgnoreCase)));
                            else list.AddRange(alts);
                        }
                        break;
                    case "prefixes":
                        foreach (var p in Strings(v)) if (!_prefixes.Contains(p)) _prefixes.Add(p);
                        break;
                    case "sources":
                        if (v is not YamlSequenceNode seq) throw SigmaParser.Fail(v, "'sources' must be a list");
                        foreach (var item in seq)
                        {
                            var src = ParseSource(Map(item));
                            _sources.RemoveAll(s => s.Key == src.Key);
                            _sources.Add(src);
                        }
                        break;
                    default:
                        throw SigmaParser.Fail(k, $"unknown key '{Str(k)}' (expected fields, prefixes or sources)");
                }
            }
        });
    }

    private static ShapeSource ParseSource(YamlMappingNode m)
    {
        Logsource? ls = null;
        var matches = new List<ShapeMatch>();
        var fields = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in m.Children)
        {
            switch (Str(k))
            {
                case "logsource":
                    string? product = null, category = null, service = null;
                    foreach (var (lk, lv) in Map(v).Children)
                    {
                        switch (Str(lk))
                        {
                            case "product": product = Str(lv); break;
                            case "category": category = Str(lv); break;
                            case "service": service = Str(lv); break;
                            default: throw SigmaParser.Fail(lk, $"unknown logsource key '{Str(lk)}'");
                        }
                    }
                    if (product == null && category == null && service == null) throw SigmaParser.Fail(v, "an empty logsource would match every rule");
                    ls = new Logsource(product, category, service);
                    break;
                case "match":
                    if (v is not YamlSequenceNode alts) throw SigmaParser.Fail(v, "'match' must be a list of alternatives");
                    foreach (var alt in alts)
                    {
                        var equals = new List<(string, string)>();
                        string[] present = [];
                        foreach (var (ak, av) in Map(alt).Children)
                        {
                            switch (Str(ak))
                            {
                                case "equals": foreach (var (ek, ev) in Map(av).Children) equals.Add((Str(ek), Str(ev))); break;
                                case "present": present = Strings(av); break;
                                default: throw SigmaParser.Fail(ak, $"unknown match key '{Str(ak)}' (equals, present)");
                            }
                        }
                        if (equals.Count == 0 && present.Length == 0) throw SigmaParser.Fail(alt, "a match alternative needs equals or present");
                        matches.Add(new ShapeMatch(equals.ToArray(), present));
                    }
                    break;
                case "fields":
                    foreach (var (fk, fv) in Map(v).Children) fields[Str(fk)] = Strings(fv);
                    break;
                default: throw SigmaParser.Fail(k, $"unknown key '{Str(k)}' in a source (logsource, match, fields)");
            }
        }
        if (ls == null) throw SigmaParser.Fail(m, "a source needs a 'logsource'");
        if (matches.Count == 0) throw SigmaParser.Fail(m, "a source needs 'match' alternatives");
        return new ShapeSource(ls, matches.ToArray(), fields);
    }

    private static string Str(YamlNode n) => MappingFile.Str(n);
    private static YamlMappingNode Map(YamlNode n) => MappingFile.Map(n);
    private static string[] Strings(YamlNode n) => MappingFile.Strings(n);
}
