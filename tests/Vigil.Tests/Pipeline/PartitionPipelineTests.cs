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
}
