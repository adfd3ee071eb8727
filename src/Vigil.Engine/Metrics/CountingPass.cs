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
    public readonly FieldText Texts = new();
    public abstract void BeginPartition();
    public abstract void Count(Event e);
    public abstract void CommitPartition();

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
                stats.Account(n, lo, hi);
                return true;
            },
            consumeInOrder: _ => { },
            diagnostics, degree, onProgress);
        return workers;
    }
}
