namespace Vigil.Rules;

/// <summary>
/// Resolves correlation references (by id or <c>name</c>) against the loaded rules and correlations, checks
/// aliases, and orders chains. A reference that resolves to nothing, to several rules, or that forms a cycle is a
/// RuleError on the correlation (which is then not loaded).
/// </summary>
internal static class CorrelationResolver
{
    public static List<CompiledCorrelation> Resolve(List<SigmaCorrelation> correlations, List<CompiledRule> rules, List<RuleError> errors, Logsources.FieldMap fields)
    {
        var result = new List<CompiledCorrelation>();
        if (correlations.Count == 0) return result;
        var ruleRefs = new Dictionary<string, List<CompiledRule>>(StringComparer.Ordinal);
        foreach (var r in rules)
        {
            if (r.Rule.Id.Length > 0) Add(ruleRefs, r.Rule.Id, r);
            if (r.Rule.Name is { } n && n != r.Rule.Id) Add(ruleRefs, n, r);
        }
        var compiled = correlations.Select(c => new CompiledCorrelation(c, fields)).ToList();
        var corrRefs = new Dictionary<string, List<CompiledCorrelation>>(StringComparer.Ordinal);
        foreach (var c in compiled)
        {
            if (c.Correlation.Id.Length > 0) Add(corrRefs, c.Correlation.Id, c);
            if (c.Correlation.Name is { } n && n != c.Correlation.Id) Add(corrRefs, n, c);
        }

        var bad = new HashSet<CompiledCorrelation>(ReferenceEqualityComparer.Instance);
        foreach (var c in compiled)
        {
            var inputs = new List<CorrelationInput>();
            foreach (var reference in c.Correlation.RuleRefs)
            {
                ruleRefs.TryGetValue(reference, out var rs);
                corrRefs.TryGetValue(reference, out var cs);
                int hits = (rs?.Count ?? 0) + (cs?.Count ?? 0);
                if (hits == 0) { Fail(c, $"correlation '{c.Correlation.Title}': no loaded rule or correlation has id or name '{reference}'"); break; }
                if (hits > 1) { Fail(c, $"correlation '{c.Correlation.Title}': '{reference}' is ambiguous ({hits} rules have that id or name)"); break; }
                if (cs != null && ReferenceEquals(cs[0], c)) { Fail(c, $"correlation '{c.Correlation.Title}' refers to itself"); break; }
                inputs.Add(rs != null ? new CorrelationInput(reference, rs[0], null) : new CorrelationInput(reference, null, cs![0]));
            }
            c.Inputs = inputs;
        }

        // Order chains; a cycle (or a chain through a failed correlation) fails every correlation on it.
        var state = new Dictionary<CompiledCorrelation, int>(ReferenceEqualityComparer.Instance);   // 1 visiting, 2 done
        int OrderOf(CompiledCorrelation c)
        {
            if (state.TryGetValue(c, out int s))
            {
                if (s == 1) { Fail(c, $"correlation '{c.Correlation.Title}' is part of a reference cycle"); return 0; }
                return c.Order;
            }
            state[c] = 1;
            int order = 0;
            foreach (var i in c.Inputs)
                if (i.Chained != null)
                {
                    order = Math.Max(order, OrderOf(i.Chained) + 1);
                    if (bad.Contains(i.Chained)) Fail(c, $"correlation '{c.Correlation.Title}' refers to '{i.Reference}', which failed to load");
                }
            c.Order = order;
            state[c] = 2;
            return order;
        }
        foreach (var c in compiled) OrderOf(c);
        foreach (var c in compiled)
            if (!bad.Contains(c)) result.Add(c);
        result.Sort((a, b) => a.Order.CompareTo(b.Order));   // List.Sort is unstable; fine: order within a level does not matter
        return result;

        void Fail(CompiledCorrelation c, string message)
        {
            if (bad.Add(c)) errors.Add(new RuleError(c.Meta.File, c.Meta.Line, 1, message));
        }

        static void Add<T>(Dictionary<string, List<T>> d, string key, T value)
        {
            if (!d.TryGetValue(key, out var l)) d[key] = l = [];
            l.Add(value);
        }
    }
}
