using Vigil.Engine.Matching;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary><c>-- unrouted</c>: which log sources leave rules without a Channel requirement (index diagnostics).</summary>
public static class Probe
{
    public static void Unrouted(IReadOnlyList<CompiledRule> rules)
    {
        foreach (var g in rules.Where(r => MatcherDiagnostics.AdmitsAnyChannel(r)).GroupBy(r => r.Rule.Logsource.ToString()).OrderByDescending(g => g.Count()))
            Console.WriteLine($"{g.Count(),5} {g.Key}");
    }
}
