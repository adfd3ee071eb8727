using Vigil.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>What a hunt produced: detections in deterministic order, and what was read.
/// <see cref="UntimedCorrelationMatches"/>: base-rule matches without a timestamp, which no correlation can use.</summary>
public sealed record HuntResult(IReadOnlyList<Detection> Detections, ReadStats Stats, long UntimedCorrelationMatches = 0);

/// <summary>
/// Runs compiled rules over every event of the inputs, partitions in parallel. Each event meets only the
/// rules the <see cref="CollectionMatcher"/> (candidate index + merged needle automata, see Matching/README.md)
/// lets through; its answers equal testing every rule (proved by tests). Correlations run after all
/// partitions are done (see the post-processing step at the end of Run).
/// </summary>
public static class Hunter
{
    public static HuntResult Run(IReadOnlyList<InputFile> files, IReadOnlyList<CompiledRule> rules, IDiagnostics diagnostics,
        int? degree = null, Action<ReadStats>? onProgress = null, RuleSet? correlate = null, Func<SigmaRule, bool>? emit = null,
        MatcherOptions? matcherOptions = null)
    {
        // The whole collection as one matcher (candidate index + merged needle automata); see Matching/.
        var matcher = new CollectionMatcher(rules, matcherOptions);
        var stats = new ReadStats();
        var all = new List<Detection>();
        PartitionPipeline.Run<MatcherScratch, List<Detection>>(
            files, stats,
            createWorker: matcher.CreateScratch,
            process: (matchScratch, part, scratch) =>
            {
                var found = new List<Detection>();
                var hits = new List<int>();
                var pool = new SnapshotPool();
                long events = 0, lo = long.MaxValue, hi = long.MinValue;
                part.Read(scratch, e =>
                {
                    events++;
                    if (e.TimestampTicks != 0)
                    {
                        if (e.TimestampTicks < lo) lo = e.TimestampTicks;
                        if (e.TimestampTicks > hi) hi = e.TimestampTicks;
                    }
                    EventField[]? snapshot = null;
                    hits.Clear();
                    matcher.Match(e, matchScratch, hits);
                    foreach (int r in hits)
                    {
                        snapshot ??= pool.Snapshot(e);
                        found.Add(new Detection
                        {
                            Rule = rules[r].Rule,
                            TimestampTicks = e.TimestampTicks,
                            Computer = pool.Text(EventFacts.Computer(e)),
                            Channel = pool.Text(EventFacts.Channel(e)),
                            EventId = EventFacts.EventId(e),
                            RecordId = EventFacts.RecordId(e),
                            Origin = e.Origin,
                            Fields = snapshot,
                        });
                    }
                }, diagnostics);
                stats.Account(events, lo, hi);
                return found;
            },
            consumeInOrder: all.AddRange,
            diagnostics, degree, onProgress);
        all.Sort(Detection.Compare);
        // Post-processing (after every partition is done, so input order does not matter): correlation rules over
        // the base-rule detections, suppression of rules that only feed correlations, and the output selection.
        if (correlate != null || emit != null)
        {
            var corr = correlate != null
                ? Correlation.CorrelationEngine.Apply(all, correlate, emit)
                : new Correlation.CorrelationResult(all.Where(d => emit!(d.Rule)).ToList(), 0);
            return new HuntResult(corr.Detections, stats, corr.UntimedMatches);
        }
        return new HuntResult(all, stats);
    }
}
