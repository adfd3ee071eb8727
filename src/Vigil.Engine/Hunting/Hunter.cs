using Vigil.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>What a hunt produced: detections in deterministic order, and what was read.</summary>
public sealed record HuntResult(IReadOnlyList<Detection> Detections, ReadStats Stats);

/// <summary>
/// Runs compiled rules over every event of the inputs, partitions in parallel. Each event meets only the
/// rules the <see cref="CollectionMatcher"/> (candidate index + merged needle automata, see Matching/README.md)
/// lets through; its answers equal testing every rule (proved by tests).
/// </summary>
public static class Hunter
{
    public static HuntResult Run(IReadOnlyList<InputFile> files, IReadOnlyList<CompiledRule> rules, IDiagnostics diagnostics,
        int? degree = null, Action<ReadStats>? onProgress = null, MatcherOptions? matcherOptions = null)
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
        return new HuntResult(all, stats);
    }
}
