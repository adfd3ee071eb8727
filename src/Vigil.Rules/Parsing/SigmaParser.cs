using System.Text.RegularExpressions;
using Vigil.Rules.Conditions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Rules.Parsing;

/// <summary>Thrown while turning YAML into a rule; carries the position of the offending node.</summary>
internal sealed class RuleParseException(string message, long line, long column) : Exception(message)
{
    public long Line { get; } = line;
    public long Column { get; } = column;
}

/// <summary>
/// YAML text → <see cref="SigmaRule"/>s. Uses YamlDotNet's representation model so every node keeps its
/// line and column for error messages. Handles multi-document files and rule collections
/// (<c>action: global</c> merged into the following documents, <c>action: reset</c>, <c>action: repeat</c>).
/// A bad document produces a <see cref="RuleError"/> and the other documents still load.
/// </summary>
internal static partial class SigmaParser
{
    public static List<SigmaRule> Parse(string yaml, string file, List<RuleError> errors)
    {
        var docs = ParseDocuments(yaml, file, errors);
        foreach (var c in docs.Correlations) errors.Add(new RuleError(file, c.Meta.Line, 1, "correlation documents need RuleLoader (they refer to other rules)"));
        foreach (var f in docs.Filters) errors.Add(new RuleError(file, f.Detection.Line, 1, "filter documents need RuleLoader (they refer to other rules)"));
        return docs.Rules;
    }

    /// <summary>Every document of a file: detection rules, correlation rules and filters.</summary>
    public static ParsedFile ParseDocuments(string yaml, string file, List<RuleError> errors)
    {
        var result = new ParsedFile();
        var rules = result.Rules;
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            errors.Add(new RuleError(file, ex.Start.Line, ex.Start.Column, "YAML syntax error: " + (ex.InnerException?.Message ?? ex.Message)));
            return result;
        }
        catch (InvalidOperationException ex)
        {
            // Some scanner failures (e.g. an unterminated flow sequence) carry no position; report where parsing stopped.
            var at = parser.Current?.End ?? Mark.Empty;
            errors.Add(new RuleError(file, at.Line, at.Column, "YAML syntax error: malformed or unterminated structure near here (" + ex.Message + ")"));
            return result;
        }

        YamlMappingNode? global = null;
        YamlMappingNode? previous = null;
        foreach (var doc in stream.Documents)
        {
            var root = doc.RootNode;
            if (root is YamlScalarNode { Value: null or "" }) continue;   // empty document ("---" at the end)
            if (root is not YamlMappingNode map)
            {
                errors.Add(Err(file, root, "a rule document must be a YAML mapping"));
                continue;
            }
            string? action = ScalarOf(map, "action");
            YamlMappingNode merged;
            switch (action)
            {
                case "global":
                    global = Without(map, "action");
                    continue;
                case "reset":
                    global = null;
                    continue;
                case "repeat":
                    if (previous == null) { errors.Add(Err(file, map, "'action: repeat' without a previous rule document")); continue; }
                    merged = Merge(previous, Without(map, "action"));
                    break;
                case null:
                    merged = global != null ? Merge(global, map) : map;
                    break;
                default:
                    errors.Add(Err(file, map["action"], $"unknown collection action '{action}' (expected global, reset or repeat)"));
                    continue;
            }
            previous = merged;
            try
            {
                var rule = ParseRule(merged, file, map.Start.Line, result);
                if (rule != null) rules.Add(rule);
            }
            catch (RuleParseException ex)
            {
                errors.Add(new RuleError(file, ex.Line, ex.Column, ex.Message));
            }
        }
        return result;
    }

    private static SigmaRule? ParseRule(YamlMappingNode map, string file, long docLine, ParsedFile into)
    {
        if (Find(map, "correlation") is { } corr)
        {
            into.Correlations.Add(CorrelationParser.Parse(map, corr, file, docLine));
            return null;
        }
        if (Find(map, "filter") is { } filt && Find(map, "detection") == null)
        {
            into.Filters.Add(ParseFilter(map, filt, file, docLine));
            return null;
        }

        // A merged collection document has no position of its own; report the document's first line.
        RuleParseException DocFail(string message) => new(message, docLine, 1);
        var detection = Find(map, "detection") ?? throw DocFail("rule has no 'detection' section");
        if (detection is not YamlMappingNode detMap) throw Fail(detection, "'detection' must be a mapping");
        string title = ScalarOf(map, "title") ?? throw DocFail("rule has no 'title'");
        var (searches, conditions) = ParseDetection(detMap, docLine, null);
        var logsource = ParseLogsource(map);

        return WithMetadata(map, title, file, docLine, logsource, searches, conditions, isCorrelation: false);
    }

    /// <summary>A rule (or a correlation's description) with the metadata every Sigma document shares:
    /// id, name, status, level, tags, description, author, references, falsepositives.</summary>
    internal static SigmaRule WithMetadata(YamlMappingNode map, string title, string file, long line, Logsource? logsource,
        IReadOnlyList<SearchIdentifier> searches, IReadOnlyList<ParsedCondition> conditions, bool isCorrelation) => new()
    {
        Id = ScalarOf(map, "id") ?? "",
        Name = ScalarOf(map, "name"),
        Title = title,
        Status = ScalarOf(map, "status") ?? "",
        Level = ScalarOf(map, "level") ?? "",
        Tags = ListOf(map, "tags"),
        Description = ScalarOf(map, "description"),
        Author = ScalarOf(map, "author"),
        References = ListOf(map, "references"),
        FalsePositives = ListOf(map, "falsepositives"),
        Logsource = logsource ?? new Logsource(null, null, null),
        File = file,
        Line = line,
        Searches = searches,
        Conditions = conditions,
        IsCorrelation = isCorrelation,
    };

    /// <summary>The search identifiers and condition(s) of a detection (or filter) map; <paramref name="skipKey"/>
    /// is a key that belongs to the container, not the detection (a filter's <c>rules</c>).</summary>
    private static (List<SearchIdentifier>, List<ParsedCondition>) ParseDetection(YamlMappingNode detMap, long docLine, string? skipKey)
    {
        var searches = new List<SearchIdentifier>();
        YamlNode? conditionNode = null;
        foreach (var (k, v) in detMap.Children)
        {
            string key = ((YamlScalarNode)k).Value ?? "";
            if (key == skipKey) continue;
            if (key == "condition") { conditionNode = v; continue; }
            if (key == "timeframe") throw Fail(k, "'timeframe' in detection (old aggregation syntax) is not supported; use a correlation rule");
            searches.Add(ParseSearch(key, k, v));
        }
        if (conditionNode == null) throw new RuleParseException("detection has no 'condition'", detMap.Start.Line > 0 ? detMap.Start.Line : docLine, 1);

        var conditions = new List<ParsedCondition>();
        if (conditionNode is YamlSequenceNode condSeq)
        {
            foreach (var c in condSeq) conditions.Add(ParseCondition(c));
            if (conditions.Count == 0) throw Fail(condSeq, "empty condition list");
        }
        else conditions.Add(ParseCondition(conditionNode));
        return (searches, conditions);
    }

    private static Logsource ParseLogsource(YamlMappingNode map)
    {
        if (Find(map, "logsource") is YamlMappingNode ls)
            return new Logsource(ScalarOf(ls, "product"), ScalarOf(ls, "category"), ScalarOf(ls, "service"));
        if (Find(map, "logsource") is { } badLs && !(badLs is YamlScalarNode { Value: null or "" }))
            throw Fail(badLs, "'logsource' must be a mapping");
        return new Logsource(null, null, null);
    }

    /// <summary>A Sigma filter document (filters specification): logsource, and under <c>filter</c> the rules it
    /// applies to plus search identifiers and a condition naming what to suppress.</summary>
    private static SigmaFilter ParseFilter(YamlMappingNode map, YamlNode filterNode, string file, long docLine)
    {
        if (filterNode is not YamlMappingNode fm) throw Fail(filterNode, "'filter' must be a mapping");
        string title = ScalarOf(map, "title") ?? throw new RuleParseException("filter has no 'title'", docLine, 1);
        var rulesNode = Find(fm, "rules") ?? throw Fail(fm, "filter has no 'rules' (the ids or names of the rules it applies to)");
        var refs = ListOf(fm, "rules");
        if (refs.Count == 0) throw Fail(rulesNode, "filter 'rules' is empty");
        var (searches, conditions) = ParseDetection(fm, docLine, "rules");
        if (searches.Count == 0) throw Fail(fm, "filter has no search identifier");
        if (Find(map, "logsource") == null) throw new RuleParseException("filter has no 'logsource'", docLine, 1);
        var detection = new SigmaRule
        {
            Id = ScalarOf(map, "id") ?? "",
            Title = title,
            Logsource = ParseLogsource(map),
            File = file,
            Line = docLine,
            Searches = searches,
            Conditions = conditions,
        };
        return new SigmaFilter(detection, refs, rulesNode.Start.Line, rulesNode.Start.Column);
    }

    private static ParsedCondition ParseCondition(YamlNode node)
    {
        if (node is not YamlScalarNode { Value: { } text } scalar) throw Fail(node, "a condition must be a string");
        try
        {
            return new ParsedCondition(text, ConditionParser.Parse(text), scalar.Start.Line, scalar.Start.Column);
        }
        catch (ConditionException ex)
        {
            // Point at the offending token when the condition is a one-line plain/quoted scalar.
            long col = scalar.Start.Column + (scalar.Style == ScalarStyle.Plain ? 0 : 1) + ex.Position;
            throw new RuleParseException($"bad condition '{text}': {ex.Message}", scalar.Start.Line, col);
        }
    }

    private static SearchIdentifier ParseSearch(string name, YamlNode keyNode, YamlNode value)
    {
        var branches = new List<SearchBranch>();
        switch (value)
        {
            case YamlMappingNode m:
                branches.Add(ParseMap(m));
                break;
            case YamlSequenceNode seq:
                var keywords = new List<SigmaScalar>();
                foreach (var item in seq)
                {
                    switch (item)
                    {
                        case YamlScalarNode s: keywords.Add(ToScalar(s)); break;
                        case YamlMappingNode im: branches.Add(ParseMap(im)); break;
                        default: throw Fail(item, $"search identifier '{name}': a list item must be a value or a map");
                    }
                }
                if (keywords.Count > 0)
                    branches.Insert(0, new SearchBranch([new FieldSpec("", [], keywords, seq.Start.Line, seq.Start.Column)]));
                if (branches.Count == 0) throw Fail(seq, $"search identifier '{name}' is an empty list");
                break;
            case YamlScalarNode s when s.Value is { Length: > 0 } || s.Style != ScalarStyle.Plain:
                branches.Add(new SearchBranch([new FieldSpec("", [], [ToScalar(s)], s.Start.Line, s.Start.Column)]));
                break;
            default:
                throw Fail(value, $"search identifier '{name}' is empty");
        }
        return new SearchIdentifier(name, branches, keyNode.Start.Line, keyNode.Start.Column);
    }

    private static SearchBranch ParseMap(YamlMappingNode m)
    {
        var fields = new List<FieldSpec>();
        foreach (var (k, v) in m.Children)
        {
            if (k is not YamlScalarNode ks) throw Fail(k, "a field name must be a string");
            string key = ks.Value ?? "";
            var parts = key.Split('|');
            string field = parts[0].Trim();
            var modifiers = parts.Skip(1).Select(p => p.Trim()).ToList();
            if (modifiers.Any(x => x.Length == 0)) throw Fail(k, $"empty modifier in '{key}'");
            var values = new List<SigmaScalar>();
            switch (v)
            {
                case YamlScalarNode s: values.Add(ToScalar(s)); break;
                case YamlSequenceNode seq:
                    foreach (var item in seq)
                    {
                        if (item is not YamlScalarNode si) throw Fail(item, $"field '{key}': list items must be plain values");
                        values.Add(ToScalar(si));
                    }
                    if (values.Count == 0) throw Fail(seq, $"field '{key}' has an empty value list");
                    break;
                default: throw Fail(v, $"field '{key}': nested maps are not valid Sigma values");
            }
            fields.Add(new FieldSpec(field, modifiers, values, ks.Start.Line, ks.Start.Column));
        }
        if (fields.Count == 0) throw Fail(m, "empty map in a search identifier");
        return new SearchBranch(fields);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")] private static partial Regex IntegerText();
    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")] private static partial Regex FloatText();

    /// <summary>Only unquoted scalars get a YAML type; anything quoted stays a string (so '4688' is text).</summary>
    internal static SigmaScalar ToScalar(YamlScalarNode s)
    {
        string text = s.Value ?? "";
        var kind = ScalarKind.String;
        if (s.Style == ScalarStyle.Plain)
        {
            if (text is "" or "~" or "null" or "Null" or "NULL") kind = ScalarKind.Null;
            else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE") { kind = ScalarKind.Boolean; text = text.ToLowerInvariant(); }
            else if (IntegerText().IsMatch(text)) kind = ScalarKind.Integer;
            else if (FloatText().IsMatch(text)) kind = ScalarKind.Float;
        }
        return new SigmaScalar(kind, text, s.Start.Line, s.Start.Column);
    }

    internal static YamlNode? Find(YamlMappingNode map, string key)
    {
        foreach (var (k, v) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        return null;
    }

    internal static string? ScalarOf(YamlMappingNode map, string key)
    {
        var n = Find(map, key);
        if (n == null) return null;
        if (n is YamlScalarNode s) return s.Value is { Length: > 0 } ? s.Value : null;
        throw Fail(n, $"'{key}' must be a single value");
    }

    internal static IReadOnlyList<string> ListOf(YamlMappingNode map, string key)
    {
        var n = Find(map, key);
        switch (n)
        {
            case null: return [];
            case YamlScalarNode s: return s.Value is { Length: > 0 } v ? [v] : [];
            case YamlSequenceNode seq:
                var list = new List<string>(seq.Children.Count);
                foreach (var item in seq)
                    if (item is YamlScalarNode { Value: { } iv }) list.Add(iv);
                    else throw Fail(item, $"'{key}' items must be single values");
                return list;
            default: throw Fail(n, $"'{key}' must be a list");
        }
    }

    private static YamlMappingNode Without(YamlMappingNode map, string key)
    {
        var copy = new YamlMappingNode();
        foreach (var (k, v) in map.Children)
            if (!(k is YamlScalarNode { Value: { } n } && n == key)) copy.Add(k, v);
        return copy;
    }

    // YamlNode.Start has an internal setter in some YamlDotNet versions; keep the original node's
    // position by building merged maps from the overriding document.
    private static YamlMappingNode Merge(YamlMappingNode baseMap, YamlMappingNode over)
    {
        var result = new YamlMappingNode();
        var overKeys = new Dictionary<string, YamlNode>();
        foreach (var (k, v) in over.Children) if (k is YamlScalarNode { Value: { } n }) overKeys[n] = v;
        foreach (var (k, v) in baseMap.Children)
        {
            string name = (k as YamlScalarNode)?.Value ?? "";
            if (overKeys.TryGetValue(name, out var ov))
            {
                result.Add(k, v is YamlMappingNode bm && ov is YamlMappingNode om ? Merge(bm, om) : ov);
                overKeys.Remove(name);
            }
            else result.Add(k, v);
        }
        foreach (var (k, v) in over.Children)
            if (k is YamlScalarNode { Value: { } n } && overKeys.ContainsKey(n)) result.Add(k, v);
        return result;
    }

    private static RuleError Err(string file, YamlNode node, string message) => new(file, node.Start.Line, node.Start.Column, message);
    internal static RuleParseException Fail(YamlNode node, string message) => new(message, node.Start.Line, node.Start.Column);
}
