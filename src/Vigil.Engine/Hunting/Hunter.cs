using Vigil.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>What a hunt produced: detections in deterministic order (a stream read once, see <see cref="DetectionStream"/>),
/// and what was read. <see cref="UntimedCorrelationMatches"/>: base-rule matches without a timestamp, which no
/// correlation can use. Dispose it if the detections may be left unread (deletes spooled temp files).</summary>
public sealed record HuntResult(DetectionStream Detections, ReadStats Stats, long UntimedCorrelationMatches = 0) : IDisposable
{
    /// <summary>Where the matcher's construction time went (for <c>hunt --verbose</c>).</summary>
    public string MatcherTimes { get; init; } = "";

    public void Dispose() => Detections.Dispose();
}

/// <summary>
/// Runs compiled rules over every event of the inputs, partitions in parallel. Each event meets only the
/// rules the <see cref="CollectionMatcher"/> (candidate index + merged needle automata, see Matching/README.md)
/// lets through; its answers equal testing every rule (proved by tests). Correlations run after all
/// partitions are done (see the post-processing step at the end of Run).
/// Memory: detections go to a <see cref="DetectionSpool"/> (sorted runs on disk past
/// <see cref="SpoolOptions.MaxBufferBytes"/>); those of rules that feed a correlation go, trimmed to the fields the
/// correlations read, to a second spool, which the correlation engine reads back in time order once every partition is
/// done (<see cref="Correlation.CorrelationEngine.ApplySorted"/>: matches sorted by group on disk, one group's window at
/// a time). Before, they were held in memory until the end: a million S3 GetObject calls feeding the built-in burst rule
/// took ~900 MB.
/// </summary>
public static class Hunter
{
    private readonly record struct PartitionResult(List<Detection> Found, IPartitionObserver? Observed);

    /// <summary>Per rule feeding a correlation: the field names any correlation may read from its detections.</summary>
    private static Dictionary<SigmaRule, HashSet<string>> CorrelationFields(RuleSet? correlate)
    {
        var result = new Dictionary<SigmaRule, HashSet<string>>(ReferenceEqualityComparer.Instance);
        if (correlate == null) return result;
        foreach (var c in correlate.Correlations)
            for (int i = 0; i < c.Inputs.Count; i++)
            {
                var source = c.Inputs[i].Source;
                if (!result.TryGetValue(source, out var names)) result[source] = names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var f in c.Correlation.GroupBy.Concat(c.Correlation.ConditionFields))
                    foreach (var n in c.FieldNamesFor(f, i)) names.Add(n);
            }
        return result;
    }

    /// <summary>The fields of <paramref name="e"/> named in <paramref name="names"/> (none when null), copied out of the
    /// reader's buffers, in event order: what <c>Hold</c> keeps of a snapshot of the same event.</summary>
    private static EventField[] FeedFields(Event e, HashSet<string>? names)
    {
        if (names is null) return [];
        List<EventField>? kept = null;
        for (int i = 0; i < e.Count; i++)
        {
            var name = e.NameAt(i);
            if (names.Contains(name)) (kept ??= []).Add(new EventField(name, e.ValueAt(i).Detach()));
        }
        return kept is null ? [] : kept.ToArray();
    }

    public static HuntResult Run(IReadOnlyList<InputFile> files, IReadOnlyList<CompiledRule> rules, IDiagnostics diagnostics,
        int? degree = null, Action<ReadStats>? onProgress = null, RuleSet? correlate = null, Func<SigmaRule, bool>? emit = null,
        MatcherOptions? matcherOptions = null, SpoolOptions? spool = null, IHuntObserver? observer = null)
    {
        // The whole collection as one matcher (candidate index + merged needle automata); see Matching/.
        var matcher = new CollectionMatcher(rules, matcherOptions);
        var stats = new ReadStats();
        var spooled = new DetectionSpool(spool);
        // Rules that are inputs of a correlation (the keys), with the fields the correlations read from their detections:
        // those detections are held for the correlation engine.
        var feeds = CorrelationFields(correlate);
        // Detections of feeder rules keep only the fields the correlations read (group-by and value fields under every name
        // they may have): the correlation engine finds the same values in the trimmed copy. A feeder rule that also reports
        // its own detections (generate: true) has them output whole through the detection spool.
        var held = new DetectionSpool(spool);
        // Output selection: rules that report their own detections (all but those that only feed correlations), among those
        // the rule filters select.
        bool Outputs(SigmaRule rule) => (correlate == null || correlate.Generates(rule)) && (emit == null || emit(rule));
        var holdIds = new int[64];
        var holdValues = new FieldValue[64];
        var holdNames = new FieldValue[64];
        Detection Hold(Detection d, HashSet<string> names)
        {
            // A detection that is not output carries only its correlations' fields already (the worker's FeedFields).
            if (d.Fields is not EventSnapshot snapshot) return d;
            // An output detection of a feeder rule (generate: true) carries its whole event: its fields are decoded into
            // reused arrays (not three new ones per detection), and those the correlations read copied out (a value of a
            // snapshot points into the whole event's array, which would stay alive with it).
            var kept = new List<EventField>();
            if (snapshot.Count > holdIds.Length)
            {
                holdIds = new int[snapshot.Count];
                holdValues = new FieldValue[snapshot.Count];
                holdNames = new FieldValue[snapshot.Count];
            }
            snapshot.Decode(holdIds, holdValues, holdNames);
            for (int i = 0; i < snapshot.Count; i++)
            {
                var name = FieldNames.Name(holdIds[i], holdNames[i]);
                if (names.Contains(name)) kept.Add(new EventField(name, holdValues[i].Detach()));
            }
            Array.Clear(holdValues, 0, snapshot.Count); // let go of the event's array
            Array.Clear(holdNames, 0, snapshot.Count);
            return new Detection
            {
                Rule = d.Rule, TimestampTicks = d.TimestampTicks, Computer = d.Computer, Channel = d.Channel,
                EventId = d.EventId, RecordId = d.RecordId, Origin = d.Origin, Fields = kept.ToArray(),
            };
        }
        // Between partitions, the heap is compacted when its commitment has crept past its threshold (see HeapGovernor).
        var governor = new HeapGovernor();
        void Consume(PartitionResult part)
        {
            governor.Check();
            if (part.Observed is not null) observer!.Consume(part.Observed);
            foreach (var d in part.Found)
            {
                if (feeds.TryGetValue(d.Rule, out var names)) held.Add(Hold(d, names));
                if (Outputs(d.Rule)) spooled.Add(d);
            }
        }
        // Per rule: whether its detections are output, and the fields correlations read from it (a detection that is not
        // output needs no copy of the whole event: see the worker below).
        var outputs = new bool[rules.Count];
        var feedOf = new HashSet<string>?[rules.Count];
        for (int r = 0; r < rules.Count; r++)
        {
            outputs[r] = Outputs(rules[r].Rule);
            feedOf[r] = feeds.GetValueOrDefault(rules[r].Rule);
        }
        var scratches = new List<MatcherScratch>();   // one per worker, for the value memo's counts
        try
        {
            PartitionPipeline.Run<MatcherScratch, PartitionResult>(
                files, stats,
                createWorker: () =>
                {
                    var scratch = matcher.CreateScratch();
                    lock (scratches) scratches.Add(scratch);
                    return scratch;
                },
                process: (matchScratch, part, scratch) =>
                {
                    var found = new List<Detection>();
                    var hits = new List<int>();
                    var texts = new DetectionTexts();
                    long events = 0, lo = long.MaxValue, hi = long.MinValue;
                    // The observer (campaign context) sees every event too; without one the loop costs one null check per event.
                    var watch = observer?.CreatePartition();
                    part.Read(scratch, e =>
                    {
                        events++;
                        watch?.Observe(e);
                        if (e.TimestampTicks != 0)
                        {
                            if (e.TimestampTicks < lo) lo = e.TimestampTicks;
                            if (e.TimestampTicks > hi) hi = e.TimestampTicks;
                        }
                        hits.Clear();
                        matcher.Match(e, matchScratch, hits);
                        if (hits.Count == 0) return;
                        // What the detections of this event share: its facts, and for those that are output one copy of
                        // its fields. A detection that is not output (a rule that only feeds correlations: each S3 read
                        // of a bulk theft for the burst rule) gets just the fields its correlations read, copied from the
                        // event; none if it is neither output nor a feeder.
                        bool anyOutput = false;
                        foreach (int r in hits) anyOutput |= outputs[r];
                        var snapshot = anyOutput ? EventSnapshot.Capture(e) : null;
                        string computer = texts.Text(EventFacts.ComputerValue(e)), channel = texts.Text(EventFacts.ChannelValue(e));
                        long? eventId = EventFacts.EventId(e), recordId = EventFacts.RecordId(e);
                        foreach (int r in hits)
                        {
                            found.Add(new Detection
                            {
                                Rule = rules[r].Rule,
                                TimestampTicks = e.TimestampTicks,
                                Computer = computer,
                                Channel = channel,
                                EventId = eventId,
                                RecordId = recordId,
                                Origin = e.Origin,
                                Fields = outputs[r] ? snapshot! : FeedFields(e, feedOf[r]),
                            });
                        }
                    }, diagnostics);
                    stats.Account(events, lo, hi);
                    return new PartitionResult(found, watch);
                },
                consumeInOrder: Consume,
                diagnostics, degree, onProgress);
            // Post-processing (after every partition is done, so input order does not matter): correlation rules over
            // the base-rule detections of the rules that feed them (sorted as the engine always received them),
            // suppression of rules that only feed correlations, and the output selection. The rest was filtered in Consume.
            long untimed = 0;
            if (correlate != null && correlate.Correlations.Count > 0)
                untimed = Correlation.CorrelationEngine.ApplySorted(held.Drain(), correlate.Correlations, correlate.Generates, emit, spooled.Add, spool);
            held.Dispose();
            var (built, buildSeconds) = matcher.AutomataBuilt();
            long memoHits = 0, memoStores = 0;
            int memoCount = 0;
            foreach (var sc in scratches)
            {
                var (h, st, n) = sc.MemoCounts();
                memoHits += h;
                memoStores += st;
                memoCount = Math.Max(memoCount, n);
            }
            return new HuntResult(new DetectionStream(spooled), stats, untimed)
            {
                MatcherTimes = $"{matcher.BuildTimes}; {built} automata built during the hunt in {buildSeconds:F2} s; "
                    + $"value memo: {memoHits:N0} values found, {memoStores:N0} scanned and kept (up to {memoCount} automata per thread); "
                    + $"{governor.Compactions} heap compactions in {governor.CompactionTime.TotalSeconds:F2} s",
            };
        }
        catch
        {
            spooled.Dispose();
            held.Dispose();
            throw;
        }
    }
}
