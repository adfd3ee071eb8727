using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>What a hunt produced: detections in deterministic order, and what was read.
/// <see cref="UntimedCorrelationMatches"/>: base-rule matches without a timestamp, which no correlation can use.</summary>
public sealed record HuntResult(IReadOnlyList<Detection> Detections, ReadStats Stats, long UntimedCorrelationMatches = 0);

/// <summary>
/// Runs compiled rules over every event of the inputs, partitions in parallel. Each event is tested
/// against every rule here (correlations: see the post-processing step at the end of Run); the next stage (the whole collection compiled into one matcher) replaces
/// this loop and must produce the same detections.
/// </summary>
public static class Hunter
{
    public static HuntResult Run(IReadOnlyList<InputFile> files, IReadOnlyList<CompiledRule> rules, IDiagnostics diagnostics,
        int? degree = null, Action<ReadStats>? onProgress = null, RuleSet? correlate = null, Func<SigmaRule, bool>? emit = null)
    {
        var stats = new ReadStats();
        var all = new List<Detection>();
        PartitionPipeline.Run<object?, List<Detection>>(
            files, stats,
            createWorker: () => null,
            process: (_, part, scratch) =>
            {
                var found = new List<Detection>();
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
                    for (int r = 0; r < rules.Count; r++)
                    {
                        if (!rules[r].Matches(e)) continue;
                        snapshot ??= EventFacts.Snapshot(e);
                        found.Add(new Detection
                        {
                            Rule = rules[r].Rule,
                            TimestampTicks = e.TimestampTicks,
                            Computer = EventFacts.Computer(e),
                            Channel = EventFacts.Channel(e),
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
