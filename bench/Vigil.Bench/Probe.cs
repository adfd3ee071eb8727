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

/// <summary><c>rules DIR [N]</c>: the rules the matcher spends most evaluation time on (Stopwatch ticks per candidate
/// rule, from <see cref="CollectionMatcher.MatchProfiled"/>), with how often each was a candidate and matched.</summary>
public static class RuleCostProbe
{
    public static void Run(string[] args)
    {
        var rules = Corpus.Collection();
        var matcher = new CollectionMatcher(rules);
        var events = Corpus.LoadEvents(Corpus.Files(args[0]));
        int top = args.Length > 1 ? int.Parse(args[1]) : 30;
        var s = matcher.CreateScratch();
        var ticks = new long[rules.Count];
        var hits = new List<int>();
        foreach (var e in events) { hits.Clear(); matcher.Match(e, s, hits); }
        var matches = new long[rules.Count];
        foreach (var e in events)
        {
            hits.Clear();
            matcher.MatchProfiled(e, s, hits, ticks);
            foreach (int r in hits) matches[r]++;
        }
        long total = ticks.Sum();
        Console.WriteLine($"{events.Count} events, evaluation {total / (double)System.Diagnostics.Stopwatch.Frequency:F3} s in all");
        foreach (int r in Enumerable.Range(0, rules.Count).OrderByDescending(r => ticks[r]).Take(top))
            Console.WriteLine($"{100.0 * ticks[r] / total,6:F2}% {matches[r],7} {(matcher.HasPrefilter(r) ? "pre" : "---")} {rules[r].Rule.Title} [{rules[r].Rule.Logsource}]");
    }
}
