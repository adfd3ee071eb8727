using Vigil.Rules.Parsing;

namespace Vigil.Rules;

/// <summary>The eight correlation types (Sigma correlation specification 2.1; <c>value_median</c> is
/// <c>value_percentile</c>'s "median is a percentile 50" hint made a type of its own, see README).</summary>
public enum CorrelationType { EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile, ValueMedian }

/// <summary>One criterion of a correlation condition: <c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>eq</c>, <c>neq</c>.</summary>
public readonly record struct CorrelationBound(string Op, double Value)
{
    public bool Holds(double x) => Op switch
    {
        "gt" => x > Value,
        "gte" => x >= Value,
        "lt" => x < Value,
        "lte" => x <= Value,
        "eq" => x == Value,
        _ => x != Value,   // neq
    };

    /// <summary>True for criteria that a growing aggregate can stop satisfying (an upper bound or an exact value).</summary>
    public bool IsUpperBound => Op is "lt" or "lte" or "eq" or "neq";

    public override string ToString() => $"{Op} {Value}";
}

/// <summary>A parsed correlation rule (a YAML document with a <c>correlation</c> section).</summary>
public sealed class SigmaCorrelation
{
    /// <summary>The correlation's metadata as a rule object, so its detections carry id/title/level/tags like
    /// any other detection. It has no search identifiers and never matches an event by itself.</summary>
    public required SigmaRule Meta { get; init; }
    public string Id => Meta.Id;
    public string Title => Meta.Title;
    public string? Name => Meta.Name;
    public required CorrelationType Type { get; init; }
    /// <summary>The referenced rules or correlations, by id or name, in order (the order matters for temporal_ordered).</summary>
    public required IReadOnlyList<string> RuleRefs { get; init; }
    public IReadOnlyList<string> GroupBy { get; init; } = [];
    public required TimeSpan Timespan { get; init; }
    public IReadOnlyList<CorrelationBound> Condition { get; init; } = [];
    /// <summary>The <c>field</c> of the condition (value_* types); several fields form one combined value (AND).</summary>
    public IReadOnlyList<string> ConditionFields { get; init; } = [];
    /// <summary>alias → (rule name or id → the field of that rule's events that the alias stands for).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();
    /// <summary><c>generate: true</c>: the referenced rules also report their own detections (default false).</summary>
    public bool Generate { get; init; }

    public override string ToString() => $"{Title} ({Id}) {Meta.File}:{Meta.Line}";
}

/// <summary>
/// A correlation with its references resolved. Each reference is either a compiled rule or another
/// correlation (chains); <see cref="Order"/> places a correlation after every correlation it refers to.
/// </summary>
public sealed class CompiledCorrelation
{
    internal CompiledCorrelation(SigmaCorrelation c, Logsources.FieldMap fields) { Correlation = c; _fields = fields; }

    private readonly Logsources.FieldMap _fields;

    /// <summary>
    /// The event field names a group-by or condition field stands for in matches of input <paramref name="input"/>,
    /// first present wins: the alias target for that input (if <paramref name="field"/> is an alias), the field itself,
    /// the names the input rule's logsource renames it to (Image → NewProcessName on Security 4688), then the field
    /// map's alternatives for JSON shapes (winlog.event_data.X …). Chained correlations carry their group-by fields
    /// under their own names.
    /// </summary>
    public IReadOnlyList<string> FieldNamesFor(string field, int input)
    {
        var inp = Inputs[input];
        string name = field;
        if (Correlation.Aliases.TryGetValue(field, out var per))
        {
            if (per.TryGetValue(inp.Reference, out var f)) name = f;
            else if (inp.Source.Name is { } n && per.TryGetValue(n, out f)) name = f;
            else if (per.TryGetValue(inp.Source.Id, out f)) name = f;
        }
        var names = new List<string>();
        void Add(string x) { if (!names.Contains(x, StringComparer.OrdinalIgnoreCase)) names.Add(x); }
        Add(name);
        if (inp.Rule != null)
        {
            foreach (var r in inp.Rule.Renames) if (r.TryGetValue(name, out var renamed)) Add(renamed);
            foreach (var n in names.ToArray()) foreach (var c in _fields.Candidates(n, null)) Add(c);
        }
        return names;
    }

    public SigmaCorrelation Correlation { get; }
    public SigmaRule Meta => Correlation.Meta;
    /// <summary>Parallel to <see cref="SigmaCorrelation.RuleRefs"/>: exactly one of Rule / Chained is set.</summary>
    public IReadOnlyList<CorrelationInput> Inputs { get; internal set; } = [];
    /// <summary>Evaluation order: 0 for correlations over plain rules, 1 + the highest order of any chained input.</summary>
    public int Order { get; internal set; }

    /// <summary>Every detection rule this correlation needs, directly or through chained correlations.</summary>
    public IEnumerable<CompiledRule> BaseRules()
    {
        foreach (var i in Inputs)
        {
            if (i.Rule != null) yield return i.Rule;
            else foreach (var r in i.Chained!.BaseRules()) yield return r;
        }
    }

    public override string ToString() => Correlation.ToString();
}

/// <summary>One referenced input of a correlation, with the reference text as written.</summary>
public sealed record CorrelationInput(string Reference, CompiledRule? Rule, CompiledCorrelation? Chained)
{
    /// <summary>The metadata object detections of this input carry (the rule, or the chained correlation's Meta).</summary>
    public SigmaRule Source => Rule?.Rule ?? Chained!.Meta;
}

/// <summary>A parsed Sigma filter document: its detection (as a rule without metadata) and the rules it targets.</summary>
public sealed class SigmaFilter
{
    internal SigmaFilter(SigmaRule detection, IReadOnlyList<string> ruleRefs, long rulesLine, long rulesColumn)
    {
        Detection = detection; RuleRefs = ruleRefs; RulesLine = rulesLine; RulesColumn = rulesColumn;
    }

    /// <summary>Title, id, logsource, file, line and the filter's search identifiers + condition.</summary>
    public SigmaRule Detection { get; }
    public IReadOnlyList<string> RuleRefs { get; }
    internal long RulesLine { get; }
    internal long RulesColumn { get; }
    public string Title => Detection.Title;
    public string Id => Detection.Id;

    public override string ToString() => $"{Title} ({Id}) {Detection.File}:{Detection.Line}";
}

/// <summary>All documents of one file, before compilation.</summary>
internal sealed class ParsedFile
{
    public List<SigmaRule> Rules { get; } = [];
    public List<SigmaCorrelation> Correlations { get; } = [];
    public List<SigmaFilter> Filters { get; } = [];
}
