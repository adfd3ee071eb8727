using System.Globalization;
using YamlDotNet.RepresentationModel;
using static Vigil.Rules.Parsing.SigmaParser;

namespace Vigil.Rules.Parsing;

/// <summary>YAML → <see cref="SigmaCorrelation"/>, checking what the specification requires per type.</summary>
internal static class CorrelationParser
{
    private static readonly string[] BoundOps = ["gt", "gte", "lt", "lte", "eq", "neq"];

    public static SigmaCorrelation Parse(YamlMappingNode map, YamlNode corrNode, string file, long docLine)
    {
        if (corrNode is not YamlMappingNode c) throw Fail(corrNode, "'correlation' must be a mapping");
        string title = ScalarOf(map, "title") ?? throw new RuleParseException("correlation rule has no 'title'", docLine, 1);

        var typeNode = Find(c, "type") ?? throw Fail(c, "correlation has no 'type'");
        string typeText = ScalarOf(c, "type")!;
        var type = typeText switch
        {
            "event_count" => CorrelationType.EventCount,
            "value_count" => CorrelationType.ValueCount,
            "temporal" => CorrelationType.Temporal,
            "temporal_ordered" => CorrelationType.TemporalOrdered,
            "value_sum" => CorrelationType.ValueSum,
            "value_avg" => CorrelationType.ValueAvg,
            "value_percentile" => CorrelationType.ValuePercentile,
            "value_median" => CorrelationType.ValueMedian,
            _ => throw Fail(typeNode, $"unknown correlation type '{typeText}' (event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile, value_median)"),
        };

        var rulesNode = Find(c, "rules") ?? throw Fail(c, "correlation has no 'rules'");
        var refs = ListOf(c, "rules");
        if (refs.Count == 0) throw Fail(rulesNode, "correlation 'rules' is empty");
        if (refs.Distinct(StringComparer.Ordinal).Count() != refs.Count) throw Fail(rulesNode, "correlation 'rules' lists a rule twice");

        var groupBy = ListOf(c, "group-by");
        var tsNode = Find(c, "timespan") ?? throw Fail(c, "correlation has no 'timespan'");
        var timespan = ParseTimespan(tsNode);

        var bounds = new List<CorrelationBound>();
        var fields = new List<string>();
        var condNode = Find(c, "condition");
        if (condNode is YamlMappingNode cm)
        {
            foreach (var (k, v) in cm.Children)
            {
                string op = (k as YamlScalarNode)?.Value ?? "";
                if (op == "field")
                {
                    fields.AddRange(ListOf(cm, "field"));
                    continue;
                }
                if (Array.IndexOf(BoundOps, op) < 0) throw Fail(k, $"unknown condition operator '{op}' (gt, gte, lt, lte, eq, neq, field)");
                if (v is not YamlScalarNode { Value: { } num } || !double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    throw Fail(v, $"condition '{op}' needs a number");
                bounds.Add(new CorrelationBound(op, value));
            }
        }
        else if (condNode != null) throw Fail(condNode, "correlation 'condition' must be a mapping such as {gte: 10}");

        bool needsField = type is CorrelationType.ValueCount or CorrelationType.ValueSum or CorrelationType.ValueAvg
            or CorrelationType.ValuePercentile or CorrelationType.ValueMedian;
        bool temporal = type is CorrelationType.Temporal or CorrelationType.TemporalOrdered;
        if (!temporal && bounds.Count == 0) throw Fail(condNode ?? c, $"correlation type '{typeText}' needs a condition with gt/gte/lt/lte/eq/neq");
        if (needsField && fields.Count == 0) throw Fail(condNode ?? c, $"correlation type '{typeText}' needs 'field' in its condition");
        if (!needsField && fields.Count > 0) throw Fail(condNode!, $"correlation type '{typeText}' takes no 'field' in its condition");
        if (fields.Count > 1 && type != CorrelationType.ValueCount) throw Fail(condNode!, $"correlation type '{typeText}' takes a single 'field'");

        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (Find(c, "aliases") is { } aliasNode)
        {
            if (aliasNode is not YamlMappingNode am) throw Fail(aliasNode, "'aliases' must be a mapping alias → {rule name: field}");
            foreach (var (k, v) in am.Children)
            {
                string alias = (k as YamlScalarNode)?.Value ?? throw Fail(k, "an alias name must be a string");
                if (v is not YamlMappingNode pm) throw Fail(v, $"alias '{alias}' must map rule names to field names");
                var per = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (rk, rv) in pm.Children)
                {
                    string rule = (rk as YamlScalarNode)?.Value ?? throw Fail(rk, "a rule name must be a string");
                    if (!refs.Contains(rule)) throw Fail(rk, $"alias '{alias}' names '{rule}', which is not in this correlation's 'rules'");
                    per[rule] = (rv as YamlScalarNode)?.Value is { Length: > 0 } f ? f : throw Fail(rv, "an alias field must be a field name");
                }
                aliases[alias] = per;
            }
        }

        bool generate = false;
        if (Find(map, "generate") is { } genNode)
        {
            string g = ScalarOf(map, "generate") ?? "";
            generate = g.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw Fail(genNode, "'generate' must be true or false"),
            };
        }

        var meta = SigmaParser.WithMetadata(map, title, file, docLine, logsource: null, searches: [], conditions: [], isCorrelation: true);
        return new SigmaCorrelation
        {
            Meta = meta,
            Type = type,
            RuleRefs = refs,
            GroupBy = groupBy,
            Timespan = timespan,
            Condition = bounds,
            ConditionFields = fields,
            Aliases = aliases,
            Generate = generate,
        };
    }

    /// <summary><c>number + unit</c> with unit s, m, h or d (the specification's list), nothing else.</summary>
    private static TimeSpan ParseTimespan(YamlNode node)
    {
        string text = (node as YamlScalarNode)?.Value ?? "";
        if (text.Length >= 2 && long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }
        throw Fail(node, $"timespan '{text}' must be a positive number followed by s, m, h or d (e.g. 90m)");
    }
}
