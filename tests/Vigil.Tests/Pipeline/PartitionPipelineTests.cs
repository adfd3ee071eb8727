using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;

namespace Vigil.Tests.Pipeline;

/// <summary>
/// The partition pipeline hands partitions to the workers in batches (many small EVTX chunks per hand-over) but must
/// still consume every partition's result once, in input order, let a failing partition cost only itself (not its
/// batch), and bound its read-ahead. A format of numbered partitions makes each of those observable.
/// </summary>
public class PartitionPipelineTests
{
    private sealed class Numbered(int count, long bytes, Func<long, bool> fails, Action onYield) : ILogFormat
    {
        public string Name => "numbered";
        public bool Recognize(ReadOnlySpan<byte> head, string path) => false;
        public IEnumerable<IEventPartition> Partition(string path, IDiagnostics diagnostics)
        {
            for (int i = 0; i < count; i++) { onYield(); yield return new Part(path, i, bytes, fails(i)); }
        }
    }

    private sealed class Part(string source, long ordinal, long bytes, bool fails) : IEventPartition
    {
        private static readonly int Id = FieldNames.Intern("n");
        public string Source => source;
        public long Ordinal => ordinal;
        public long ByteLength => bytes;
        public void Read(Event scratch, Action<Event> onEvent, IDiagnostics diagnostics)
        {
            if (fails) throw new InvalidOperationException($"planted failure in {ordinal}");
            scratch.Clear();
            scratch.Add(Id, FieldValue.FromInt64(ordinal));
            onEvent(scratch);
        }
    }

    [Theory]
    [InlineData(64 * 1024, 2)]      // EVTX-sized: 16 per batch, read-ahead by bytes
    [InlineData(2 << 20, 2)]        // JSON-block-sized: one per batch
    [InlineData(0, 3)]              // size unknown: bounded by count
    [InlineData(64 * 1024, 1)]
    public void Every_partition_is_consumed_once_in_order_and_a_failure_costs_only_itself(long bytes, int degree)
    {
        const int perFile = 700;
        long yielded = 0, maxAhead = 0;
        var consumed = new List<(string File, long N)>();
        var files = new List<InputFile>();
        for (int f = 0; f < 3; f++)
        {
            var format = new Numbered(perFile, bytes, i => i % 97 == 5, () => Interlocked.Increment(ref yielded));
            files.Add(new InputFile($"file{f}", format, perFile * Math.Max(bytes, 1)));
        }
        var diag = new DiagnosticsCollector();
        PartitionPipeline.Run<object, (string File, long N)>(files, new ReadStats(),
            createWorker: () => new object(),
            process: (_, part, scratch) =>
            {
                long n = -1;
                part.Read(scratch, e => n = e.ValueAt(0).Int64, diag);
                return (part.Source, n);
            },
            consumeInOrder: r =>
            {
                consumed.Add(r);
                long through = int.Parse(r.File.AsSpan(4)) * perFile + r.N + 1;   // partitions consumed, failed ones included
                maxAhead = Math.Max(maxAhead, Interlocked.Read(ref yielded) - through);
            },
            diag, degree);

        var expected = files.SelectMany(f => Enumerable.Range(0, perFile).Where(i => i % 97 != 5).Select(i => (f.Path, (long)i))).ToList();
        Assert.Equal(expected, consumed);
        int failures = 3 * Enumerable.Range(0, perFile).Count(i => i % 97 == 5);
        Assert.Equal(failures, diag.Errors.Count(e => e.Message.Contains("planted failure")));
        // Read-ahead: the producer waits at MaxWindow partitions (plus the one it has just enumerated).
        Assert.InRange(maxAhead, 1, PartitionPipeline.MaxWindow + 1);
    }

    /// <summary>
    /// The real JSON reader's partitions of a records file (CloudTrail's <c>{"Records":[...]}</c>, one line) and of a
    /// top-level array say how many bytes they hold, and the pipeline's read-ahead over them stays near its byte window.
    /// (Array partitions once reported 0 bytes, and the pipeline read 256 of them ahead: ~900 MB on an 800 MB file.)
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Json_element_partitions_report_their_bytes_and_read_ahead_stays_within_the_window(bool records)
    {
        var dir = Vigil.Tests.Cli.CliRunner.TempDir("read-ahead");
        var path = Path.Combine(dir, records ? "cloudtrail.json" : "array.json");
        long elementBytes = 0;
        int elements = 0;
        using (var w = new StreamWriter(path))
        {
            w.Write(records ? "{\"Records\":[" : "[");
            var pad = new string('x', 900);
            while (elementBytes < 48L << 20)
            {
                string element = $"{{\"eventTime\":\"2026-11-01T00:00:00Z\",\"eventName\":\"GetObject\",\"n\":{elements},\"pad\":\"{pad}\"}}";
                if (elements > 0) w.Write(',');
                w.Write(element);
                elementBytes += element.Length;
                elements++;
            }
            w.Write(records ? "]}" : "]");
        }
        const int block = 1 << 20;
        var format = new Vigil.Readers.Json.JsonFormat(block);
        var diag = new DiagnosticsCollector();
        Assert.True(format.Recognize(File.ReadAllBytes(path).AsSpan(0, 4096), path));
        var sizes = new List<long>();
        foreach (var part in format.Partition(path, diag))
        {
            sizes.Add(part.ByteLength);
            ((Vigil.Readers.Json.JsonElementsPartition)part).Discard();
        }
        Assert.True(sizes.Count >= 40);
        Assert.All(sizes[..^1], n => Assert.InRange(n, block, block + 1000));   // full blocks but the last
        Assert.InRange(sizes[^1], 1, block + 1000);
        Assert.Equal(elementBytes, sizes.Sum());

        // Read-ahead, with a slow consumer: bytes yielded and not yet consumed.
        long ahead = 0, maxAhead = 0, events = 0;
        var byOrdinal = new Dictionary<long, long>();
        var counting = new Counting(format, (ordinal, bytes) =>
        {
            lock (byOrdinal) { byOrdinal[ordinal] = bytes; maxAhead = Math.Max(maxAhead, ahead += bytes); }
        });
        PartitionPipeline.Run<object, (long Ordinal, long Events)>([new InputFile(path, counting, new FileInfo(path).Length)], new ReadStats(),
            createWorker: () => new object(),
            process: (_, part, scratch) =>
            {
                long n = 0;
                part.Read(scratch, _ => n++, diag);
                return (part.Ordinal, n);
            },
            consumeInOrder: r =>
            {
                Thread.Sleep(5);
                events += r.Events;
                lock (byOrdinal) ahead -= byOrdinal[r.Ordinal];
            },
            diag, degree: 2);
        Assert.Equal(elements, events);
        Assert.Empty(diag.Errors);
        // The producer waits once 16 MB are ahead (WindowBytes); counted from its yield to the end of its consumption, a
        // partition is ahead a little longer than the pipeline counts it (the one just yielded, the one being consumed).
        Assert.InRange(maxAhead, PartitionPipeline.WindowBytes / 2, PartitionPipeline.WindowBytes + 4 * (block + 1000));
    }

    /// <summary>A format that reports each partition's ordinal and bytes as it is yielded.</summary>
    private sealed class Counting(ILogFormat inner, Action<long, long> onYield) : ILogFormat
    {
        public string Name => inner.Name;
        public bool Recognize(ReadOnlySpan<byte> head, string path) => inner.Recognize(head, path);
        public IEnumerable<IEventPartition> Partition(string path, IDiagnostics diagnostics)
        {
            foreach (var p in inner.Partition(path, diagnostics)) { onYield(p.Ordinal, p.ByteLength); yield return p; }
        }
    }
}
