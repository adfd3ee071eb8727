using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;

namespace Vigil.Engine.Metrics;

/// <summary>Per-thread counting state: tallies for the partition being read, merged into the worker's totals only
/// when the partition was read to its end (a partition that fails to decode is skipped whole by the pipeline, and
/// its events must not half-count).</summary>
internal abstract class CountingWorker
{
    public FieldText Texts { get; private set; } = new();
    public abstract void BeginPartition();
    public abstract void Count(Event e);
    public abstract void CommitPartition();

    /// <summary>Distinct keys in the worker's totals, over all its tables.</summary>
    internal abstract int Distinct { get; }
    /// <summary>A table's totals with their keys as texts (table 0, 1, ... as the result names them).</summary>
    internal abstract IEnumerable<(string[] Key, Tally Tally)> Totals(int table);
    internal abstract int Tables { get; }
    protected abstract void ClearTotals();

    /// <summary>Per table, the runs this worker spilled (<see cref="TallyRuns"/>); empty while it counts in memory.</summary>
    internal readonly Dictionary<int, List<FileStream>> Runs = [];
    internal bool Spilled => Runs.Count > 0;

    /// <summary>Past <see cref="TallyRuns.SpillRows"/> distinct keys (or always, with <paramref name="force"/> once any
    /// worker spilled), writes each table's totals as a run sorted by key and starts again, texts included.</summary>
    internal void SpillIfLarge(bool force = false)
    {
        if (Distinct == 0 || (!force && Distinct < TallyRuns.SpillRows)) return;
        for (int table = 0; table < Tables; table++)
        {
            var rows = Totals(table).ToList();
            if (rows.Count == 0) continue;
            rows.Sort((a, b) => TallyRuns.ByKey(a.Key, b.Key));
            if (!Runs.TryGetValue(table, out var list)) Runs[table] = list = [];
            list.Add(TallyRuns.Write(rows, "tally"));
        }
        ClearTotals();
        Texts = new FieldText();
    }

    protected static void Merge<TKey>(Dictionary<TKey, Tally> from, Dictionary<TKey, Tally> into) where TKey : notnull
    {
        foreach (var kv in from)
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(into, kv.Key, out _).Add(kv.Value);
        from.Clear();
    }

    protected static void Tally<TKey>(Dictionary<TKey, Tally> d, TKey key, long ticks) where TKey : notnull =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(d, key, out _).Add(ticks);
}

/// <summary>One parallel pass over the inputs with <see cref="PartitionPipeline"/>: every event goes to its thread's
/// worker; the workers are returned for merging once all partitions are read.</summary>
internal static class CountingPass
{
    public static List<TWorker> Run<TWorker>(IReadOnlyList<InputFile> files, ReadStats stats, Func<TWorker> create,
        IDiagnostics diagnostics, int? degree, Action<ReadStats>? onProgress) where TWorker : CountingWorker
    {
        var workers = new List<TWorker>();
        PartitionPipeline.Run<TWorker, bool>(
            files, stats,
            createWorker: () =>
            {
                var w = create();
                lock (workers) workers.Add(w);
                return w;
            },
            process: (w, part, scratch) =>
            {
                w.BeginPartition();
                long n = 0, lo = long.MaxValue, hi = long.MinValue;
                part.Read(scratch, e =>
                {
                    n++;
                    if (e.TimestampTicks != 0) { lo = Math.Min(lo, e.TimestampTicks); hi = Math.Max(hi, e.TimestampTicks); }
                    w.Count(e);
                }, diagnostics);
                w.CommitPartition();
                w.SpillIfLarge();
                stats.Account(n, lo, hi);
                return true;
            },
            consumeInOrder: _ => { },
            diagnostics, degree, onProgress);
        return workers;
    }
}
