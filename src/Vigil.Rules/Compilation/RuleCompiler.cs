using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Vigil.Events;
using Vigil.Rules.Conditions;
using Vigil.Rules.Logsources;
using Vigil.Rules.Parsing;

namespace Vigil.Rules.Compilation;

/// <summary>
/// <see cref="SigmaRule"/> → <see cref="CompiledRule"/>. Everything that can be prepared once is prepared
/// here: field names become <see cref="FieldNames"/> ids, values are unescaped and classified
/// (exact / prefix / suffix / contains / wildcard), regexes and CIDR networks are built, and the
/// value transformations (windash, base64, base64offset, utf16, expand) are expanded into plain needles.
/// Errors name the rule file and the line of the offending key or value.
/// </summary>
internal sealed class RuleCompiler
{
    private const int WindashLimit = 4096;
    private readonly LogsourceMap _logsources;
    private readonly FieldMap _fieldMap;
    public FieldMap FieldMap => _fieldMap;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>>? _placeholders;

    private readonly bool _optimize;

    /// <param name="optimize">Order siblings cheapest first and flatten nested and/or. Off only in tests that
    /// prove the optimised form gives the same answers as the straightforward one.</param>
    public RuleCompiler(LogsourceMap logsources, IReadOnlyDictionary<string, IReadOnlyList<string>>? placeholders, bool optimize = true, FieldMap? fieldMap = null)
    {
        _logsources = logsources;
        _fieldMap = fieldMap ?? FieldMap.Builtin;
        _optimize = optimize;
        var map = _fieldMap;
        _channelIds = new(() => map.Ids("Channel"));
        _eventIdIds = new(() => map.Ids("EventID"));
        _allSourceMatches = new(() => map.Sources.SelectMany(s => s.Match)
            .Select(m => (m.FieldEquals.Select(f => (FieldNames.KeyOf(f.Field), f.Value)).ToArray(), m.Present.Select(FieldNames.KeyOf).ToArray()))
            .ToArray());
        if (placeholders != null)
        {
            var ci = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
            foreach (var (k, v) in placeholders) ci[k.Trim('%')] = v;
            _placeholders = ci;
        }
    }

    public CompiledRule Compile(SigmaRule rule) => Compile(rule, [], null);

    /// <summary>Placeholders without a value met while compiling the current rule on this thread (see <see cref="ExpandPlaceholders"/>).</summary>
    [ThreadStatic] private static List<(string Name, long Line, long Column)>? _unresolved;

    /// <param name="filters">Sigma filters targeting this rule: each adds "and not (filter condition)", compiled
    /// with the same field names as the rule for every routing alternative.</param>
    /// <param name="warnings">Receives non-fatal problems (placeholders without a value); null: they are dropped.</param>
    public CompiledRule Compile(SigmaRule rule, IReadOnlyList<SigmaFilter> filters, List<RuleError>? warnings)
    {
        _unresolved = warnings != null ? [] : null;
        (_valuesOfRule ??= new(ReferenceEqualityComparer.Instance)).Clear();
        try
        {
            var compiled = CompileCore(rule, filters);
            if (warnings != null)
                foreach (var (name, line, col) in _unresolved!.Distinct())
                    warnings.Add(new RuleError(rule.File, line, col,
                        $"placeholder '%{name}%' has no value: it matches nothing here (a filter using it removes nothing, a selection using it never matches); give it a value with --placeholder NAME=VALUE"));
            return compiled;
        }
        finally
        {
            _unresolved = null;
            _valuesOfRule.Clear();
        }
    }

    /// <summary>
    /// The needles of each value list (field spec) of the rule being compiled on this thread, by spec. A rule is compiled
    /// once per field naming of its routes (Sysmon's names, Security 4688's, ...), and a value list's needles do not
    /// depend on the field names (except <c>fieldref</c>, never kept here): the later compilations reuse them instead
    /// of expanding windash variants, parsing wildcards and building needles again. Empty outside
    /// <see cref="Compile(SigmaRule, IReadOnlyList{SigmaFilter}, List{RuleError})"/>, so nothing is shared between
    /// rules or compilers (placeholder values are the compiler's).
    /// </summary>
    [ThreadStatic] private static Dictionary<FieldSpec, (Needle[][] Groups, bool AbsentMatches)>? _valuesOfRule;

    // The same for every rule of this compiler (its field map does not change), so made once and shared read-only by
    // the routes: the names Channel and EventID are read under, and every shape source's match alternatives (the
    // exclusions of rules that keep only the non-Windows guard).
    private readonly Lazy<int[]> _channelIds, _eventIdIds;
    private readonly Lazy<((int FieldId, string Value)[] FieldEquals, int[] Present)[]> _allSourceMatches;

    /// <summary>Compiles a filter's detection on its own (rule field names, no routing) to report its errors
    /// against the filter's file, whether or not any loaded rule is targeted by it.</summary>
    public void Validate(SigmaFilter filter) => CompileConditions(filter.Detection, new FieldResolver(_fieldMap, null, null));

    private CompiledRule CompileCore(SigmaRule rule, IReadOnlyList<SigmaFilter> filters)
    {
        var routes = ShapeRoutes(rule.Logsource, _logsources.Resolve(rule.Logsource));
        // Compile the detection once per distinct field resolution (most alternatives share "no mapping").
        var byResolver = new Dictionary<(object?, object?), Node>();
        Node DetectionFor(IReadOnlyDictionary<string, string>? renames, IReadOnlyDictionary<string, string[]>? sourceFields)
        {
            var key = ((object?)renames, (object?)sourceFields);
            if (!byResolver.TryGetValue(key, out var node))
            {
                node = CompileDetection(rule, new FieldResolver(_fieldMap, renames, sourceFields), filters);
                byResolver[key] = node;
            }
            return node;
        }

        // The rule's own field names are only needed when no routing alternative applies.
        var unrouted = routes.Count == 0 ? DetectionFor(null, null) : Node.Const(false);
        var compiled = new Route[routes.Count];
        var channelIds = _channelIds.Value;
        var eventIdIds = _eventIdIds.Value;
        for (int i = 0; i < routes.Count; i++)
        {
            routes[i].Constraint.ChannelFields = channelIds;
            routes[i].Constraint.EventIdFields = eventIdIds;
            compiled[i] = new Route(routes[i].Constraint, DetectionFor(routes[i].FieldMappings, routes[i].SourceFields));
        }
        var renames = routes.Select(r => r.FieldMappings).OfType<IReadOnlyDictionary<string, string>>().Distinct().ToList();
        return new CompiledRule(rule, compiled, unrouted, renames);
    }

    /// <summary>
    /// A rule the Windows mapping leaves with only the non-Windows guard (no Channel/EventID to route on) is routed
    /// to the shape-recognised sources of fieldmaps.yml its logsource belongs to (Zeek, CloudTrail…), one route per
    /// match alternative, each keeping the guard. Rules no source covers keep the guard alone.
    /// </summary>
    private IReadOnlyList<LogsourceRoute> ShapeRoutes(Logsource ls, IReadOnlyList<LogsourceRoute> routes)
    {
        if (routes.Count != 1 || routes[0].Constraint is not { ChannelAbsentOrIn: { } guard, Channels.Length: 0, EventIds.Length: 0, Fields.Length: 0 })
            return routes;
        var sources = _fieldMap.SourcesFor(ls);
        if (sources.Count == 0)
        {
            // Keep the guard, and keep the rule off records recognised as some other (shape) source.
            routes[0].Constraint.Excluded = _allSourceMatches.Value;
            return routes;
        }
        var result = new List<LogsourceRoute>();
        foreach (var src in sources)
            foreach (var m in src.Match)
                result.Add(new LogsourceRoute(new RouteConstraint
                {
                    ChannelAbsentOrIn = guard,
                    Fields = m.FieldEquals.Select(f => (FieldNames.KeyOf(f.Field), f.Value)).ToArray(),
                    Present = m.Present.Select(FieldNames.KeyOf).ToArray(),
                }, null, src.Fields.Count > 0 ? src.Fields : null));
        return result;
    }

    private Node CompileDetection(SigmaRule rule, FieldResolver mapping, IReadOnlyList<SigmaFilter> filters)
    {
        var root = CompileConditions(rule, mapping);
        foreach (var f in filters)
        {
            Node filterNode;
            try { filterNode = CompileConditions(f.Detection, mapping); }
            catch (RuleParseException ex)
            {
                throw new RuleParseException($"filter '{f.Title}' ({f.Detection.File}:{ex.Line}): {ex.Message}", rule.Line, 1);
            }
            root = Combine(NodeKind.And, [root, new Node { Kind = NodeKind.Not, Children = [filterNode] }]);
        }
        return _optimize ? Optimize(root) : root;
    }

    private Node CompileConditions(SigmaRule rule, FieldResolver mapping)
    {
        var searches = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var s in rule.Searches)
            searches[s.Name] = CompileSearch(s, mapping);

        var conds = new List<Node>();
        foreach (var c in rule.Conditions)
            conds.Add(CompileCondition(c, c.Tree, rule.Searches, searches));
        return conds.Count == 1 ? conds[0] : Combine(NodeKind.Or, conds);
    }

    private static Node CompileCondition(ParsedCondition pc, CondNode c, IReadOnlyList<SearchIdentifier> order, Dictionary<string, Node> searches)
    {
        switch (c)
        {
            case CondAnd a:
                return Combine(NodeKind.And, [CompileCondition(pc, a.Left, order, searches), CompileCondition(pc, a.Right, order, searches)]);
            case CondOr o:
                return Combine(NodeKind.Or, [CompileCondition(pc, o.Left, order, searches), CompileCondition(pc, o.Right, order, searches)]);
            case CondNot n:
                return new Node { Kind = NodeKind.Not, Children = [CompileCondition(pc, n.Operand, order, searches)] };
            case CondIdent id:
                if (searches.TryGetValue(id.Name, out var node)) return node;
                throw new RuleParseException($"condition refers to unknown search identifier '{id.Name}'", pc.Line, pc.Column + id.Position);
            case CondOf of:
                var picked = new List<Node>();
                foreach (var s in order)
                {
                    bool take = of.Pattern == null ? !s.Name.StartsWith('_') : GlobMatch(of.Pattern, s.Name);
                    if (take) picked.Add(searches[s.Name]);
                }
                if (picked.Count == 0)
                    throw new RuleParseException(of.Pattern == null ? "'of them' but the rule has no search identifiers"
                        : $"'{(of.All ? "all" : of.Count.ToString(CultureInfo.InvariantCulture))} of {of.Pattern}' matches no search identifier", pc.Line, pc.Column + of.Position);
                if (of.All || of.Count == 1) return Combine(of.All ? NodeKind.And : NodeKind.Or, picked);
                return AtLeast(pc, of, picked);
            default:
                throw new InvalidOperationException("unknown condition node " + c.GetType().Name);
        }
    }

    private const int MaxOfCombinations = 1024;

    /// <summary>"N of" with N &gt; 1: at least N of the picked identifiers hold, written as the OR of every AND of N
    /// of them, so the evaluator needs no counting node. N larger than the number picked can never hold.</summary>
    private static Node AtLeast(ParsedCondition pc, CondOf of, List<Node> picked)
    {
        int n = of.Count;
        if (n > picked.Count)
            throw new RuleParseException($"'{n} of {of.Pattern ?? "them"}' can never hold: only {picked.Count} search identifier(s) match", pc.Line, pc.Column + of.Position);
        double combos = 1;
        for (int i = 0; i < n; i++) combos = combos * (picked.Count - i) / (i + 1);
        if (combos > MaxOfCombinations)
            throw new RuleParseException($"'{n} of {of.Pattern ?? "them"}' over {picked.Count} identifiers expands to {combos:F0} combinations (limit {MaxOfCombinations})", pc.Line, pc.Column + of.Position);
        var alternatives = new List<Node>();
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        while (true)
        {
            alternatives.Add(Combine(NodeKind.And, idx.Select(i => picked[i]).ToList()));
            int k = n - 1;
            while (k >= 0 && idx[k] == picked.Count - n + k) k--;
            if (k < 0) break;
            idx[k]++;
            for (int j = k + 1; j < n; j++) idx[j] = idx[j - 1] + 1;
        }
        return Combine(NodeKind.Or, alternatives);
    }

    /// <summary>Identifier patterns in "x of" use * for any run of characters (Sigma spec).</summary>
    private static bool GlobMatch(string pattern, string name)
    {
        var segs = new List<WildcardSegment>();
        var parts = pattern.Split('*');
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0) segs.Add(new(SegmentKind.Star, ""));
            if (parts[i].Length > 0) segs.Add(new(SegmentKind.Literal, parts[i]));
        }
        return Evaluation.Wildcard.Match(name, segs.ToArray(), StringComparison.Ordinal);
    }

    private static Node Combine(NodeKind kind, List<Node> children)
    {
        if (children.Count == 1) return children[0];
        return new Node { Kind = kind, Children = children.ToArray() };
    }

    private Node CompileSearch(SearchIdentifier s, FieldResolver mapping)
    {
        var branches = new List<Node>(s.Branches.Count);
        foreach (var b in s.Branches)
        {
            var tests = new List<Node>(b.Fields.Count);
            foreach (var f in b.Fields)
            {
                var test = CompileField(f, mapping);
                tests.Add(new Node { Kind = f.IsKeyword ? NodeKind.Keyword : NodeKind.Field, Test = test });
            }
            branches.Add(Combine(NodeKind.And, tests));
        }
        return Combine(NodeKind.Or, branches);
    }

    // ---- field specs -------------------------------------------------------------------------

    private enum MatchType : byte { Exact, Contains, StartsWith, EndsWith }

    private enum Transform : byte { Windash, Base64, Base64Offset, Utf16Le, Utf16Be, Utf16, Expand }

    private static RuleParseException Fail(FieldSpec f, string message) => new(message, f.Line, f.Column);

    internal FieldTest CompileField(FieldSpec f, FieldResolver mapping)
    {
        var matchType = MatchType.Exact;
        bool all = false, cased = false, re = false, cidr = false, exists = false, fieldref = false, neq = false;
        bool reI = false, reM = false, reS = false;
        NeedleKind? compare = null;
        var part = TimePart.None;
        var transforms = new List<Transform>();

        foreach (var m in f.Modifiers)
        {
            switch (m)
            {
                case "contains": matchType = MatchType.Contains; break;
                case "startswith": matchType = MatchType.StartsWith; break;
                case "endswith": matchType = MatchType.EndsWith; break;
                case "all": all = true; break;
                case "cased": cased = true; break;
                case "re": re = true; break;
                case "i" or "m" or "s":
                    if (!re) throw Fail(f, $"regex flag modifier '{m}' must follow 're'");
                    if (m == "i") reI = true; else if (m == "m") reM = true; else reS = true;
                    break;
                case "cidr": cidr = true; break;
                case "exists": exists = true; break;
                case "fieldref": fieldref = true; break;
                case "neq": neq = true; break;
                case "gt": compare = NeedleKind.Gt; break;
                case "gte": compare = NeedleKind.Gte; break;
                case "lt": compare = NeedleKind.Lt; break;
                case "lte": compare = NeedleKind.Lte; break;
                case "minute": part = TimePart.Minute; break;
                case "hour": part = TimePart.Hour; break;
                case "day": part = TimePart.Day; break;
                case "week": part = TimePart.Week; break;
                case "month": part = TimePart.Month; break;
                case "year": part = TimePart.Year; break;
                case "windash": transforms.Add(Transform.Windash); break;
                case "base64": transforms.Add(Transform.Base64); break;
                case "base64offset": transforms.Add(Transform.Base64Offset); break;
                case "utf16le" or "wide": transforms.Add(Transform.Utf16Le); break;
                case "utf16be": transforms.Add(Transform.Utf16Be); break;
                case "utf16": transforms.Add(Transform.Utf16); break;
                case "expand": transforms.Add(Transform.Expand); break;
                default: throw Fail(f, $"unknown modifier '{m}' on '{f.Field}'");
            }
        }

        // The spec forbids 'all' on a single value; it is harmless (AND of one), so it is accepted as pySigma does.

        var test = new FieldTest { All = all, Negate = neq, Part = part };
        if (!f.IsKeyword)
        {
            string name = mapping.Primary(f.Field);
            test.FieldName = name;
            test.FieldId = FieldNames.KeyOf(name);
            test.AltFieldIds = mapping.Alternatives(name, f.Field);
            test.TimestampFallback = part != TimePart.None && IsTimestampName(f.Field);
        }
        else if (exists || fieldref || part != TimePart.None || neq || compare != null || cidr)
            throw Fail(f, $"modifier(s) '{string.Join('|', f.Modifiers)}' need a field name; keyword searches cannot use them");

        if (exists)
        {
            if (f.Modifiers.Count != 1) throw Fail(f, "'exists' cannot be combined with other modifiers");
            if (f.Values.Count != 1 || f.Values[0].Kind != ScalarKind.Boolean)
                throw Fail(f, "'exists' takes a single true or false");
            test.Kind = TestKind.Exists;
            test.ExistsExpected = f.Values[0].Text == "true";
            return test;
        }

        var cmp = cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        bool special = re || cidr || fieldref || compare != null || part != TimePart.None;
        if (special && transforms.Count > 0 && !(transforms.Count == 1 && transforms[0] == Transform.Expand))
            throw Fail(f, $"value transformations cannot be combined with {(re ? "re" : cidr ? "cidr" : fieldref ? "fieldref" : "numeric/time")} modifiers");
        if ((re ? 1 : 0) + (cidr ? 1 : 0) + (fieldref ? 1 : 0) + (compare != null && part == TimePart.None ? 1 : 0) > 1)
            throw Fail(f, $"conflicting modifiers '{string.Join('|', f.Modifiers)}'");
        if ((re || cidr) && matchType != MatchType.Exact)
            throw Fail(f, $"'{(re ? "re" : "cidr")}' cannot be combined with contains/startswith/endswith");

        var kept = fieldref ? null : _valuesOfRule;
        if (kept != null && kept.TryGetValue(f, out var known))
        {
            test.Groups = known.Groups;
            test.AbsentMatches = known.AbsentMatches;
            return test;
        }
        var groups = new List<Needle[]>(f.Values.Count);
        foreach (var v in f.Values)
        {
            if (v.Kind == ScalarKind.Null)
            {
                if (special || matchType != MatchType.Exact || transforms.Count > 0 || f.IsKeyword)
                    throw new RuleParseException($"'null' cannot be used with modifiers or in a keyword list ('{f.Field}')", v.Line, v.Column);
                test.AbsentMatches = true;
                groups.Add([new Needle { Kind = NeedleKind.Null }]);
                continue;
            }
            try
            {
                groups.Add(CompileValue(f, v, mapping, matchType, transforms, cmp, re, reI, reM, reS, cidr, fieldref, compare, part));
            }
            catch (RuleParseException) { throw; }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
            {
                throw new RuleParseException($"bad value '{v.Text}' for '{f.Field}|{string.Join('|', f.Modifiers)}': {ex.Message}", v.Line, v.Column);
            }
        }
        test.Groups = groups.ToArray();
        kept?.Add(f, (test.Groups, test.AbsentMatches));
        return test;
    }

    private static bool IsTimestampName(string field) =>
        field.Equals("timestamp", StringComparison.OrdinalIgnoreCase) || field.Equals("@timestamp", StringComparison.OrdinalIgnoreCase)
        || field.Equals("TimeCreated", StringComparison.OrdinalIgnoreCase) || field.Equals("_time", StringComparison.OrdinalIgnoreCase)
        || field.Equals("EventTime", StringComparison.OrdinalIgnoreCase);

    private Needle[] CompileValue(FieldSpec f, SigmaScalar v, FieldResolver mapping, MatchType matchType,
        List<Transform> transforms, StringComparison cmp, bool re, bool reI, bool reM, bool reS, bool cidr, bool fieldref,
        NeedleKind? compare, TimePart part)
    {
        // 1. Expand the value through the transformations, in the order written.
        // Items are Sigma strings (escaped, may hold wildcards) or raw bytes (after utf16*).
        var items = new List<object> { v.Text };
        foreach (var t in transforms)
        {
            var next = new List<object>();
            foreach (var item in items)
            {
                switch (t)
                {
                    case Transform.Expand:
                        next.AddRange(ExpandPlaceholders(AsText(item, t), v));
                        break;
                    case Transform.Windash:
                        next.AddRange(SigmaPatterns.Windash(AsText(item, t), WindashLimit));
                        break;
                    case Transform.Utf16Le: next.Add(SigmaPatterns.Utf16Le(PlainOf(item, "utf16le", v))); break;
                    case Transform.Utf16Be: next.Add(SigmaPatterns.Utf16Be(PlainOf(item, "utf16be", v))); break;
                    case Transform.Utf16: next.Add(SigmaPatterns.Utf16Bom(PlainOf(item, "utf16", v))); break;
                    case Transform.Base64:
                        next.Add(SigmaPatterns.Escape(SigmaPatterns.Base64(BytesOf(item, "base64", v))));
                        break;
                    case Transform.Base64Offset:
                        foreach (var s in SigmaPatterns.Base64Offsets(BytesOf(item, "base64offset", v)))
                            next.Add(SigmaPatterns.Escape(s));
                        break;
                }
            }
            items = next;
        }

        var needles = new List<Needle>(items.Count);
        foreach (var item in items)
        {
            if (item is not string text)
                throw new RuleParseException("utf16le/utf16be/utf16/wide must be followed by base64 or base64offset", v.Line, v.Column);

            if (part != TimePart.None || compare != null)
            {
                if (!TryNumber(text, out double num))
                    throw new RuleParseException($"'{text}' is not a number", v.Line, v.Column);
                needles.Add(new Needle { Kind = compare ?? NeedleKind.Equals, Text = text, HasNumber = true, Number = num });
                continue;
            }
            if (re)
            {
                // Sigma: "Regex is matched case-sensitive by default"; the i sub-modifier turns that off.
                needles.Add(new Needle { Kind = NeedleKind.Regex, Text = text, Regex = BuildRegex(text, reI, reM, reS) });
                continue;
            }
            if (cidr)
            {
                needles.Add(ParseCidr(text, v));
                continue;
            }
            if (fieldref)
            {
                string refName = mapping.Primary(text);
                needles.Add(new Needle
                {
                    Kind = matchType switch
                    {
                        MatchType.Contains => NeedleKind.RefContains,
                        MatchType.StartsWith => NeedleKind.RefStartsWith,
                        MatchType.EndsWith => NeedleKind.RefEndsWith,
                        _ => NeedleKind.RefEquals,
                    },
                    Text = refName,
                    RefFieldId = FieldNames.KeyOf(refName),
                    Comparison = cmp,
                });
                continue;
            }

            // Keyword searches match anywhere in a field's text unless told otherwise.
            var mt = f.IsKeyword && matchType == MatchType.Exact ? MatchType.Contains : matchType;
            // Wildcards are added to the parsed segments, not the text: a value ending in a backslash
            // ('\Control\Print\Monitors\') must not turn an appended '*' into an escaped literal '\*'.
            var segs = SigmaPatterns.Parse(text);
            if (mt is MatchType.Contains or MatchType.EndsWith) segs.Insert(0, new WildcardSegment(SegmentKind.Star, ""));
            if (mt is MatchType.Contains or MatchType.StartsWith) segs.Add(new WildcardSegment(SegmentKind.Star, ""));
            var needle = Classify(segs, text, cmp);
            // An unquoted number (EventID: 4688) or a hex literal also compares numerically with numeric event values.
            if (needle.Kind == NeedleKind.Equals && transforms.Count == 0
                && (v.Kind is ScalarKind.Integer or ScalarKind.Float || needle.Text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                && TryNumber(needle.Text, out double n2))
            {
                needle.HasNumber = true;
                needle.Number = n2;
            }
            needles.Add(needle);
        }
        return needles.ToArray();
    }

    private static string AsText(object item, Transform t) =>
        item as string ?? throw new InvalidOperationException($"{t} cannot follow a utf16 encoding");

    private static string PlainOf(object item, string modifier, SigmaScalar v)
    {
        if (item is not string s) throw new InvalidOperationException($"{modifier} cannot follow another utf16 encoding");
        return SigmaPatterns.PlainOrNull(s)
            ?? throw new RuleParseException($"'{modifier}' cannot encode a value with wildcards ('{v.Text}')", v.Line, v.Column);
    }

    private static byte[] BytesOf(object item, string modifier, SigmaScalar v) =>
        item as byte[] ?? Encoding.UTF8.GetBytes(PlainOf(item, modifier, v));

    /// <summary>Replaces %name% placeholders; a value with several placeholders expands to every combination.
    /// <c>\%</c> is a literal percent sign.</summary>
    private List<string> ExpandPlaceholders(string value, SigmaScalar v)
    {
        var results = new List<string> { "" };
        int i = 0;
        while (i < value.Length)
        {
            if (value[i] == '\\' && i + 1 < value.Length && value[i + 1] == '%')
            {
                Append(results, "%"); i += 2; continue;
            }
            if (value[i] == '%')
            {
                int end = value.IndexOf('%', i + 1);
                if (end > i + 1)
                {
                    string name = value[(i + 1)..end];
                    if (_placeholders == null || !_placeholders.TryGetValue(name, out var values) || values.Count == 0)
                    {
                        // Unresolved: the value expands to nothing (an empty OR matches nothing) and the rule loads
                        // with a warning. This never hides a detection: a filter_* using it suppresses nothing.
                        if (_unresolved == null)
                            throw new RuleParseException($"placeholder '%{name}%' has no value; pass it to the rule loader (RuleLoadOptions.Placeholders)", v.Line, v.Column);
                        _unresolved.Add((name, v.Line, v.Column));
                        return [];
                    }
                    var next = new List<string>(results.Count * values.Count);
                    foreach (var r in results) foreach (var pv in values) next.Add(r + pv);
                    results = next;
                    i = end + 1;
                    continue;
                }
            }
            Append(results, value[i].ToString());
            i++;
        }
        return results;

        static void Append(List<string> list, string s)
        {
            for (int k = 0; k < list.Count; k++) list[k] += s;
        }
    }

    private static bool TryNumber(string text, out double value)
    {
        var t = text.AsSpan().Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h)) { value = h; return true; }
            value = 0; return false;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Picks the cheapest matcher for a Sigma string: exact, prefix, suffix, contains, or a general wildcard pattern.</summary>
    internal static Needle Classify(List<WildcardSegment> segs, string pattern, StringComparison cmp)
    {
        // Merge adjacent stars (e.g. contains on a value that already starts with '*').
        for (int i = segs.Count - 1; i > 0; i--)
            if (segs[i].Kind == SegmentKind.Star && segs[i - 1].Kind == SegmentKind.Star) segs.RemoveAt(i);
        int n = segs.Count;
        bool anyQuestion = segs.Exists(s => s.Kind == SegmentKind.Question);
        int stars = segs.Count(s => s.Kind == SegmentKind.Star);
        if (!anyQuestion)
        {
            if (n == 0) return new Needle { Kind = NeedleKind.Equals, Text = "", Comparison = cmp };
            if (stars == 0) return new Needle { Kind = NeedleKind.Equals, Text = segs[0].Text, Comparison = cmp };
            if (n == 1) return new Needle { Kind = NeedleKind.StartsWith, Text = "", Comparison = cmp };   // "*" matches anything
            if (n == 2 && segs[1].Kind == SegmentKind.Star) return new Needle { Kind = NeedleKind.StartsWith, Text = segs[0].Text, Comparison = cmp };
            if (n == 2 && segs[0].Kind == SegmentKind.Star) return new Needle { Kind = NeedleKind.EndsWith, Text = segs[1].Text, Comparison = cmp };
            if (n == 3 && segs[0].Kind == SegmentKind.Star && segs[2].Kind == SegmentKind.Star)
                return new Needle { Kind = NeedleKind.Contains, Text = segs[1].Text, Comparison = cmp };
        }
        return new Needle { Kind = NeedleKind.Wildcard, Text = pattern, Pattern = segs.ToArray(), Comparison = cmp };
    }

    /// <summary>Checks the pattern now (an interpreted Regex is cheap to build and reports syntax errors
    /// at load time); the fast matcher is built on first use, see <see cref="LazyRegex"/>.</summary>
    private static LazyRegex BuildRegex(string pattern, bool ignoreCase, bool multiline, bool singleline)
    {
        var opts = RegexOptions.CultureInvariant;
        if (ignoreCase) opts |= RegexOptions.IgnoreCase;
        if (multiline) opts |= RegexOptions.Multiline;
        if (singleline) opts |= RegexOptions.Singleline;
        return new LazyRegex(pattern, opts);
    }

    private static Needle ParseCidr(string text, SigmaScalar v)
    {
        int slash = text.IndexOf('/');
        string addrText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addrText, out var addr))
            throw new RuleParseException($"'{text}' is not a CIDR network", v.Line, v.Column);
        var bytes = addr.GetAddressBytes();
        int maxPrefix = bytes.Length * 8;
        int prefix = maxPrefix;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maxPrefix))
            throw new RuleParseException($"'{text}' has a bad CIDR prefix length", v.Line, v.Column);
        return new Needle { Kind = NeedleKind.Cidr, Text = text, Network = bytes, PrefixLength = prefix };
    }

    // ---- optimisation: flatten and order cheapest first ---------------------------------------

    internal static Node Optimize(Node n)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
            case NodeKind.Or:
                var kids = new List<Node>();
                foreach (var c in n.Children)
                {
                    var oc = Optimize(c);
                    if (oc.Kind == n.Kind) kids.AddRange(oc.Children); else kids.Add(oc);
                }
                // Stable sort by cost: the operators are commutative and side-effect free, so order never changes results.
                var sorted = kids.ToArray();
                SortByCost(sorted, static k => k.Cost);
                int cost = 0;
                foreach (var k in sorted) cost += k.Cost;
                return new Node { Kind = n.Kind, Children = sorted, Cost = cost };
            case NodeKind.Not:
                var inner = Optimize(n.Children[0]);
                return new Node { Kind = NodeKind.Not, Children = [inner], Cost = inner.Cost };
            case NodeKind.Field:
                var test = WithExactSet(n.Test!);
                return new Node { Kind = n.Kind, Test = test, Cost = TestCost(test) };
            case NodeKind.Keyword:
                return new Node { Kind = n.Kind, Test = n.Test, Cost = TestCost(n.Test!) * 20 };
            default:
                return n;
        }
    }

    /// <summary>Orders <paramref name="items"/> by <paramref name="cost"/>, cheapest first, ties in their original order (the
    /// order of OrderBy), in place: an insertion sort, for the handful of children of one And / Or node. The compiler
    /// orders its nodes with it, and the matcher's rule programs order theirs the same way.</summary>
    internal static void SortByCost<T>(T[] items, Func<T, int> cost)
    {
        for (int i = 1; i < items.Length; i++)
        {
            var x = items[i];
            int c = cost(x), j = i - 1;
            for (; j >= 0 && cost(items[j]) > c; j--) items[j + 1] = items[j];
            items[j + 1] = x;
        }
    }

    private const int ExactSetThreshold = 8;

    /// <summary>
    /// For an OR field test with many exact, case-insensitive text needles (no numeric meaning), moves them into
    /// a hash set probed with the value's text (numbers formatted as for any text comparison). Same answers:
    /// such a needle matches exactly when the value's text equals it under OrdinalIgnoreCase, whatever the
    /// value's kind, which is what set membership with that comparer tests.
    /// </summary>
    private static FieldTest WithExactSet(FieldTest t)
    {
        if (t.Kind != TestKind.Values || t.All || t.Part != TimePart.None) return t;
        int exact = 0;
        foreach (var g in t.Groups) foreach (var nd in g) if (IsSetable(nd)) exact++;
        if (exact < ExactSetThreshold) return t;
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var rest = new List<Needle>();
        foreach (var g in t.Groups)
            foreach (var nd in g)
                if (IsSetable(nd)) set.Add(nd.Text); else rest.Add(nd);
        return new FieldTest
        {
            Kind = t.Kind, FieldId = t.FieldId, AltFieldIds = t.AltFieldIds, All = false, Negate = t.Negate, Part = t.Part, TimestampFallback = t.TimestampFallback,
            AbsentMatches = t.AbsentMatches, FieldName = t.FieldName,
            ExactSet = set.GetAlternateLookup<ReadOnlySpan<char>>(),
            Groups = rest.Count > 0 ? [rest.ToArray()] : [],
        };
    }

    private static bool IsSetable(Needle nd) =>
        nd.Kind == NeedleKind.Equals && !nd.HasNumber && nd.Comparison == StringComparison.OrdinalIgnoreCase;

    private static int TestCost(FieldTest t)
    {
        if (t.Kind == TestKind.Exists) return 1;
        int cost = t.ExactSet != null ? 2 : 1;
        foreach (var g in t.Groups)
            foreach (var nd in g)
                cost += nd.Kind switch
                {
                    NeedleKind.Null or NeedleKind.Equals => 1,
                    NeedleKind.StartsWith or NeedleKind.EndsWith or NeedleKind.Lt or NeedleKind.Lte or NeedleKind.Gt or NeedleKind.Gte => 2,
                    NeedleKind.Contains or NeedleKind.RefEquals => 3,
                    NeedleKind.Cidr or NeedleKind.RefStartsWith or NeedleKind.RefEndsWith or NeedleKind.RefContains => 4,
                    NeedleKind.Wildcard => 6,
                    _ => 25,
                };
        return Math.Min(cost, 10_000);
    }
}

/// <summary>How a rule's field names become event field names on one route: the logsource rename (e.g. Security
/// 4688 Image → NewProcessName), then the alternatives of the field map (first present wins).</summary>
internal sealed class FieldResolver(FieldMap map, IReadOnlyDictionary<string, string>? renames, IReadOnlyDictionary<string, string[]>? sourceFields)
{
    public string Primary(string field) => renames != null && renames.TryGetValue(field, out var mapped) ? mapped : field;
    public int[]? Alternatives(string primary, string original) => map.AlternativeIds(primary, sourceFields, original);
}

/// <summary>One routing alternative of a compiled rule: the log source constraint and the detection compiled
/// with that alternative's field names.</summary>
internal sealed record Route(RouteConstraint Constraint, Node Detection);
