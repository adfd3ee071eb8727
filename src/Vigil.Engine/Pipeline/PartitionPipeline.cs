using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers;

namespace Vigil.Engine.Pipeline;

/// <summary>Counters for what was read, filled in while a pipeline runs.</summary>
public sealed class ReadStats
{
    private long _events;
    private long _minTicks = long.MaxValue;
    private long _maxTicks = long.MinValue;
    public int FilesTotal { get; internal set; }
    /// <summary>Files whose partitions have all been consumed (for progress).</summary>
    public int FilesDone { get; internal set; }
    /// <summary>Files that yielded at least one partition.</summary>
    public int FilesRead { get; internal set; }
    public long BytesTotal { get; internal set; }
    /// <summary>Bytes of input consumed so far, as far as partitions know their size (for progress).</summary>
    public long BytesDone { get; internal set; }
    public long Events => Interlocked.Read(ref _events);
    public DateTime? FirstEvent => _minTicks == long.MaxValue ? null : new DateTime(_minTicks, DateTimeKind.Utc);
    public DateTime? LastEvent => _maxTicks == long.MinValue ? null : new DateTime(_maxTicks, DateTimeKind.Utc);

    /// <summary>Called by workers once per partition with what they saw (thread-safe).</summary>
    public void Account(long events, long minTicks, long maxTicks)
    {
        Interlocked.Add(ref _events, events);
        if (minTicks == long.MaxValue) return;
        long cur;
        while (minTicks < (cur = Interlocked.Read(ref _minTicks)) && Interlocked.CompareExchange(ref _minTicks, minTicks, cur) != cur) { }
        while (maxTicks > (cur = Interlocked.Read(ref _maxTicks)) && Interlocked.CompareExchange(ref _maxTicks, maxTicks, cur) != cur) { }
    }
}

/// <summary>
/// Decodes the partitions of all input files (EVTX chunks, blocks of JSON lines) on several threads and
/// hands each partition's result to the caller in input order (file by file, partition by partition),
/// so output is deterministic whatever the thread timing. Memory stays bounded: at most
/// <c>window</c> partitions (4 per worker) are read ahead of the one being consumed, or for small partitions as many
/// as hold <see cref="WindowBytes"/> (at most <see cref="MaxWindow"/>).
/// </summary>
/// <typeparam name="TWorker">Per-thread state (scratch buffers, matchers) created once per worker.</typeparam>
/// <typeparam name="TResult">What a worker produces for one partition (serialized lines, detections).</typeparam>
public static class PartitionPipeline
{
    /// <summary>A worker takes consecutive partitions until they hold this many bytes (or <see cref="BatchMax"/> of
    /// them): a 64 KB EVTX chunk was one hand-over each, and the wake-ups cost more CPU than they carried
    /// (416k-event simulated EVTX day: ~50k context switches, twice the system time of the same day in JSON lines).</summary>
    internal const long BatchBytes = 1 << 20;
    internal const int BatchMax = 64;
    /// <summary>Read-ahead for small partitions: the producer may run this many bytes ahead of the consumer...</summary>
    internal const long WindowBytes = 16 << 20;
    /// <summary>...but never more than this many partitions (partitions that do not know their size count as 0 bytes).</summary>
    internal const int MaxWindow = 256;

    public static ReadStats Run<TWorker, TResult>(
        IReadOnlyList<InputFile> files,
        ReadStats stats,
        Func<TWorker> createWorker,
        Func<TWorker, IEventPartition, Event, TResult> process,
        Action<TResult> consumeInOrder,
        IDiagnostics diagnostics,
        int? degree = null,
        Action<ReadStats>? onProgress = null)
    {
        int workers = Math.Max(1, degree ?? Environment.ProcessorCount);
        int window = workers * 4;
        stats.FilesTotal = files.Count;
        stats.BytesTotal = files is InputFileList list ? list.TotalBytes : files.Sum(f => f.Length);

        // Work is handed to the workers in batches of consecutive partitions (see BatchBytes); results are still kept
        // and consumed per partition, by sequence number.
        // Each item carries its file's place in the byte count (the bytes of the files before it, and its own), so the
        // consumer's progress needs no access to the file list (which may be rows in a file: InputFileList).
        var pending = new Queue<List<(long Seq, int File, long Before, long Length, IEventPartition Part)>>();
        var done = new Dictionary<long, (int File, long Bytes, bool Ok, TResult? Result, long Before, long Length)>();
        var gate = new object();
        long produced = 0, consumedNext = 0, inflightBytes = 0;
        bool producerFinished = false;
        Exception? failure = null;
        int filesWithPartitions = 0;

        // Producer: enumerates partitions lazily. It stays at most `window` partitions ahead of the consumer, or, for
        // small partitions (64 KB EVTX chunks), as many as hold WindowBytes (never more than MaxWindow).
        var producer = new Thread(() =>
        {
            var batch = new List<(long Seq, int File, long Before, long Length, IEventPartition Part)>();
            long batchBytes = 0;
            void Hand()   // under the lock
            {
                if (batch.Count == 0) return;
                pending.Enqueue(batch);
                batch = [];
                batchBytes = 0;
                Monitor.PulseAll(gate);
            }
            try
            {
                int f = -1;
                long before = 0;   // bytes of the files before this one
                foreach (var file in files)
                {
                    f++;
                    IEnumerator<IEventPartition>? parts = null;
                    bool any = false;
                    try
                    {
                        parts = file.Format.Partition(file.Path, diagnostics).GetEnumerator();
                        while (true)
                        {
                            bool has;
                            try { has = parts.MoveNext(); }
                            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                            {
                                diagnostics.Report(new ReadError(file.Path, $"read failed: {ex.Message}"));
                                break;
                            }
                            if (!has) break;
                            var part = parts.Current;
                            long bytes = Math.Max(0, part.ByteLength);
                            lock (gate)
                            {
                                while (failure is null && produced - consumedNext >= window
                                       && (inflightBytes >= WindowBytes || produced - consumedNext >= MaxWindow))
                                {
                                    Hand();   // never wait holding work the workers could be doing
                                    Monitor.Wait(gate);
                                }
                                if (failure is not null) return;
                                if (!any) { any = true; filesWithPartitions++; }
                                batch.Add((produced++, f, before, file.Length, part));
                                inflightBytes += bytes;
                                batchBytes += bytes;
                                if (batchBytes >= BatchBytes || batch.Count >= BatchMax) Hand();
                            }
                        }
                    }
                    finally { parts?.Dispose(); }
                    before += file.Length;
                }
                lock (gate) Hand();
            }
            catch (Exception ex) { lock (gate) { failure ??= ex; Monitor.PulseAll(gate); } }
            finally { lock (gate) { producerFinished = true; Monitor.PulseAll(gate); } }
        }) { IsBackground = true, Name = "vigil-partitions" };

        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            threads[w] = new Thread(() =>
            {
                try
                {
                    var worker = createWorker();
                    var scratch = new Event();
                    while (true)
                    {
                        List<(long Seq, int File, long Before, long Length, IEventPartition Part)> items;
                        lock (gate)
                        {
                            while (pending.Count == 0 && !producerFinished && failure is null) Monitor.Wait(gate);
                            if (failure is not null || pending.Count == 0) return;
                            items = pending.Dequeue();
                        }
                        var results = new (bool Ok, TResult? Result)[items.Count];
                        for (int i = 0; i < items.Count; i++)
                        {
                            var item = items[i];
                            try { results[i] = (true, process(worker, item.Part, scratch)); }
                            catch (Exception ex) when (ex is not OutOfMemoryException)
                            {
                                // A reader bug on strange input must cost only this partition, never the run.
                                diagnostics.Report(new ReadError(item.Part.Source,
                                    $"partition {item.Part.Ordinal} could not be decoded ({ex.GetType().Name}: {ex.Message}); its events are skipped"));
                                results[i] = (false, default);
                                scratch = new Event();
                            }
                        }
                        lock (gate)
                        {
                            for (int i = 0; i < items.Count; i++)
                                done[items[i].Seq] = (items[i].File, items[i].Part.ByteLength, results[i].Ok, results[i].Result, items[i].Before, items[i].Length);
                            Monitor.PulseAll(gate);
                        }
                    }
                }
                catch (Exception ex) { lock (gate) { failure ??= ex; Monitor.PulseAll(gate); } }
            }) { IsBackground = true, Name = $"vigil-worker-{w}" };
        }

        producer.Start();
        foreach (var t in threads) t.Start();

        // Consumer: the calling thread, in sequence order.
        int lastFile = -1;
        long fileBytesBefore = 0, fileBytesSeen = 0;
        try
        {
            while (true)
            {
                (int File, long Bytes, bool Ok, TResult? Result, long Before, long Length) next;
                lock (gate)
                {
                    while (!done.ContainsKey(consumedNext) && failure is null && !(producerFinished && pending.Count == 0 && consumedNext == produced))
                        Monitor.Wait(gate);
                    if (failure is not null) break;
                    if (!done.Remove(consumedNext, out next)) break; // all produced partitions consumed
                    consumedNext++;
                    inflightBytes -= Math.Max(0, next.Bytes);
                    Monitor.PulseAll(gate);
                }
                if (next.Ok) consumeInOrder(next.Result!);
                if (next.File != lastFile)
                {
                    stats.FilesDone = next.File;
                    lastFile = next.File;
                    // From the producer, which walked the files in order (a sum from the first file on, per file, took
                    // 80 s over 400k small CloudTrail files).
                    fileBytesBefore = next.Before;
                    fileBytesSeen = 0;
                }
                // Clamped to the file's size: gzip partitions count decompressed bytes.
                fileBytesSeen = Math.Min(next.Length, fileBytesSeen + next.Bytes);
                stats.BytesDone = fileBytesBefore + fileBytesSeen;
                onProgress?.Invoke(stats);
            }
        }
        catch (Exception ex)
        {
            // The consumer failed (e.g. the output disk is full): stop the producer and workers, then rethrow.
            lock (gate) { failure ??= ex; Monitor.PulseAll(gate); }
            producer.Join();
            foreach (var t in threads) t.Join();
            throw;
        }

        producer.Join();
        foreach (var t in threads) t.Join();
        if (failure is not null)
            throw new InvalidOperationException($"internal error while reading input: {failure.Message}", failure);
        stats.FilesRead = filesWithPartitions;
        stats.FilesDone = files.Count;
        stats.BytesDone = stats.BytesTotal;
        onProgress?.Invoke(stats);
        return stats;
    }
}
