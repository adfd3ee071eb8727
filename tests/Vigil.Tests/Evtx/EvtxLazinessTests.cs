using System.Diagnostics;
using System.Reflection;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;
using Xunit.Abstractions;

namespace Vigil.Tests.Evtx;

/// <summary>String values stay UTF-16 slices of the chunk buffer; steady-state decoding allocates little.</summary>
public sealed class EvtxLazinessTests(ITestOutputHelper output)
{
    private static readonly FieldInfo DataField =
        typeof(FieldValue).GetField("_data", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("FieldValue._data not found");

    [Fact]
    public void StringValuesAreSlicesOfTheChunkBufferNotStrings()
    {
        string path = EvtxTestSupport.Sample("EVTX-ATTACK-SAMPLES/Privilege Escalation/Sysmon_UACME_22.evtx");
        var diag = new DiagnosticsCollector();
        var ev = new Event();
        int checkedEvents = 0;
        foreach (var p in new EvtxFormat().Partition(path, diag))
            p.Read(ev, e =>
            {
                if (!e.TryGet("Image", out var image)) return;
                Assert.Equal(ValueKind.String, image.Kind);
                // The backing store is the chunk's byte buffer (UTF-16LE), not a materialised string.
                var backing = DataField.GetValue(image);
                Assert.IsType<byte[]>(backing);
                Assert.True(e.TryGet("Channel", out var channel));
                Assert.Same(backing, DataField.GetValue(channel)); // same chunk buffer
                Assert.EndsWith(".exe", image.TextSpan.ToString(), StringComparison.OrdinalIgnoreCase);
                Assert.True(e.TryGet("ProcessId", out var pid));
                Assert.Equal(ValueKind.Int64, pid.Kind); // numbers stay numbers
                Assert.Null(DataField.GetValue(pid));
                checkedEvents++;
            }, diag);
        Assert.True(checkedEvents > 5);
        Assert.Equal(0, diag.Count);
    }

    [Fact]
    public void SteadyStateDecodingAllocatesLittlePerRecord()
    {
        string path = EvtxTestSupport.Sample("DeepBlueCLI/smb-password-guessing-security.evtx");
        var diag = new DiagnosticsCollector();
        var partitions = new EvtxFormat().Partition(path, diag).ToList();
        var ev = new Event();
        int records = 0;
        Action<Event> count = _ => records++;
        foreach (var p in partitions) p.Read(ev, count, diag); // warm-up: JIT, pools, interned names
        records = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var p in partitions) p.Read(ev, count, diag);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        double perRecord = (double)allocated / records;
        output.WriteLine($"{records} records, {allocated} bytes allocated, {perRecord:F1} bytes/record, {allocated / partitions.Count} bytes/chunk");
        // Compiled templates are per chunk; nothing per record beyond that.
        Assert.True(perRecord < 300, $"{perRecord:F1} bytes allocated per record");
    }

    [Fact]
    public void ThroughputOverAllSamples()
    {
        // Prints single-thread parse throughput; asserts only that it ran. Kept short (one pass after warm-up).
        var files = EvtxTestSupport.AllSamples();
        long bytes = files.Sum(f => new FileInfo(f).Length);
        var diag = new DiagnosticsCollector();
        var ev = new Event();
        long records = 0;
        Action<Event> count = _ => records++;
        var format = new EvtxFormat();
        foreach (var f in files) foreach (var p in format.Partition(f, diag)) p.Read(ev, count, diag);
        records = 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        foreach (var f in files) foreach (var p in format.Partition(f, diag)) p.Read(ev, count, diag);
        sw.Stop();
        output.WriteLine($"{files.Length} files, {bytes / 1e6:F1} MB, {records} records in {sw.Elapsed.TotalMilliseconds:F0} ms: " +
                         $"{bytes / 1e6 / sw.Elapsed.TotalSeconds:F0} MB/s, {records / sw.Elapsed.TotalSeconds:F0} records/s");
        Assert.True(records > 15000);
    }
}
