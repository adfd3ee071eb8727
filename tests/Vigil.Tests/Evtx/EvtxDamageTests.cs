using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;

namespace Vigil.Tests.Evtx;

/// <summary>Damaged copies (written to a temp folder, never into shared/) must be read as far as they are intact,
/// with errors that name the file and the chunk/offset, and without exceptions.</summary>
public sealed class EvtxDamageTests : IDisposable
{
    private const string MultiChunk = "DeepBlueCLI/smb-password-guessing-security.evtx";
    private readonly string _dir = EvtxTestSupport.TempDir();

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private (string Copy, List<ReadRecord> Undamaged) CopyOfMultiChunk()
    {
        string src = EvtxTestSupport.Sample(MultiChunk);
        var (records, diag) = EvtxTestSupport.ReadAll(src);
        Assert.Equal(0, diag.Count); // precondition: the original reads cleanly
        Assert.True(new FileInfo(src).Length >= EvtxFormat.FileHeaderSize + 10L * EvtxFormat.ChunkSize);
        string copy = Path.Combine(_dir, "damaged.evtx");
        File.Copy(src, copy);
        File.SetAttributes(copy, FileAttributes.Normal);
        return (copy, records);
    }

    private static long ChunkOffset(int chunk) => EvtxFormat.FileHeaderSize + (long)chunk * EvtxFormat.ChunkSize;

    private static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        fs.Write(bytes);
    }

    private static byte[] ReadBytes(string path, long offset, int count)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read);
        fs.Position = offset;
        var b = new byte[count];
        fs.ReadExactly(b);
        return b;
    }

    [Fact]
    public void ChunkOverwrittenWithGarbageLosesOnlyThatChunk()
    {
        var (copy, undamaged) = CopyOfMultiChunk();
        const int bad = 3;
        var garbage = new byte[EvtxFormat.ChunkSize];
        new Random(1234).NextBytes(garbage);
        Patch(copy, ChunkOffset(bad), garbage);

        var (records, diag) = EvtxTestSupport.ReadAll(copy);
        int inBad = undamaged.Count(r => r.ChunkIndex == bad);
        Assert.True(inBad > 0);
        Assert.Equal(undamaged.Count - inBad, records.Count);
        Assert.DoesNotContain(records, r => r.ChunkIndex == bad);
        var err = Assert.Single(diag.Errors);
        Assert.Equal(copy, err.Source);
        Assert.Equal(bad, err.Chunk);
        Assert.Equal(ChunkOffset(bad), err.Offset);
        Assert.Contains("bad chunk signature", err.Message);
        Assert.Contains($"chunk {bad}", err.ToString());
    }

    [Fact]
    public void FileCutInsideAChunkKeepsItsIntactRecords()
    {
        var (copy, undamaged) = CopyOfMultiChunk();
        const int chunk = 5;
        var inChunk = undamaged.Where(r => r.ChunkIndex == chunk && r.Get("Evtx_Recovered") is null).OrderBy(r => r.Offset).ToList();
        Assert.True(inChunk.Count > 4);
        long cut = inChunk[3].Offset + 10; // inside the 4th record of chunk 5
        using (var fs = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite)) fs.SetLength(cut);

        var (records, diag) = EvtxTestSupport.ReadAll(copy);
        int expected = undamaged.Count(r => r.ChunkIndex < chunk) + 3;
        Assert.Equal(expected, records.Count);
        var err = Assert.Single(diag.Errors, e => e.Chunk == chunk);
        Assert.Equal(copy, err.Source);
        Assert.Equal(cut, err.Offset);
        Assert.Contains("file ends inside the chunk", err.Message);
        Assert.Contains("3 intact records read", err.Message);
        // The header still declares the original chunk count: reported once, for the file.
        Assert.Contains(diag.Errors, e => e.Chunk is null && e.Message.Contains("declares") && e.Source == copy);
    }

    [Fact]
    public void RandomBytesAreNotRecognisedAndReportedWhenForced()
    {
        string path = Path.Combine(_dir, "random.evtx");
        var bytes = new byte[100_000];
        new Random(42).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var format = new EvtxFormat();
        Assert.False(format.Recognize(bytes.AsSpan(0, 4096), path));

        var diag = new DiagnosticsCollector();
        Assert.Empty(format.Partition(path, diag).ToList());
        var err = Assert.Single(diag.Errors);
        Assert.Equal(path, err.Source);
        Assert.Equal(0, err.Offset);
        Assert.Contains("not an EVTX file", err.Message);
    }

    [Fact]
    public void EmptyFileIsReported()
    {
        string path = Path.Combine(_dir, "empty.evtx");
        File.WriteAllBytes(path, []);
        var format = new EvtxFormat();
        Assert.False(format.Recognize([], path));
        var diag = new DiagnosticsCollector();
        Assert.Empty(format.Partition(path, diag).ToList());
        var err = Assert.Single(diag.Errors);
        Assert.Equal(path, err.Source);
        Assert.Contains("empty", err.Message);
    }

    [Fact]
    public void BadChecksumsWithIntactRecordsStillYieldEveryRecord()
    {
        var (copy, undamaged) = CopyOfMultiChunk();
        const int chunk = 2;
        // Flip a byte of the (checksummed, otherwise unused) chunk header area and the stored records checksum.
        var b = ReadBytes(copy, ChunkOffset(chunk) + 60, 1);
        Patch(copy, ChunkOffset(chunk) + 60, [(byte)(b[0] ^ 0xff)]);
        var c = ReadBytes(copy, ChunkOffset(chunk) + 52, 1);
        Patch(copy, ChunkOffset(chunk) + 52, [(byte)(c[0] ^ 0x01)]);

        var (records, diag) = EvtxTestSupport.ReadAll(copy);
        Assert.Equal(undamaged.Count, records.Count);
        Assert.Equal(undamaged.Select(r => r.Get("EventRecordID")), records.Select(r => r.Get("EventRecordID")));
        Assert.Equal(2, diag.Count);
        Assert.All(diag.Errors, e => { Assert.Equal(chunk, e.Chunk); Assert.Equal(copy, e.Source); });
        Assert.Contains(diag.Errors, e => e.Message.Contains("chunk header checksum mismatch"));
        Assert.Contains(diag.Errors, e => e.Message.Contains("event-records checksum mismatch"));
    }

    [Fact]
    public void RecordOverrunningTheChunkIsReportedAndTheRestRecovered()
    {
        var (copy, undamaged) = CopyOfMultiChunk();
        const int chunk = 1;
        var inChunk = undamaged.Where(r => r.ChunkIndex == chunk).OrderBy(r => r.Offset).ToList();
        var victim = inChunk[1];
        Patch(copy, victim.Offset + 4, BitConverter.GetBytes(0x20000u)); // size field: far past the chunk end

        var (records, diag) = EvtxTestSupport.ReadAll(copy);
        // Patching the record also breaks the chunk's records checksum, which is reported too.
        Assert.Equal(2, diag.Count);
        Assert.All(diag.Errors, e => { Assert.Equal(chunk, e.Chunk); Assert.Equal(copy, e.Source); });
        Assert.Contains(diag.Errors, e => e.Message.Contains("event-records checksum mismatch"));
        var err = Assert.Single(diag.Errors, e => e.Message.Contains("overruns the chunk end"));
        Assert.Equal(victim.Offset, err.Offset);
        // Earlier records are kept; later ones validate individually and are recovered (as libevtx does), marked as such.
        Assert.Equal(undamaged.Count - 1, records.Count);
        Assert.DoesNotContain(records, r => r.Offset == victim.Offset);
        var later = records.Where(r => r.ChunkIndex == chunk && r.Offset > victim.Offset).ToList();
        Assert.Equal(inChunk.Count - 2, later.Count);
        Assert.All(later, r => Assert.Equal("true", r.Get("Evtx_Recovered")));
    }

    [Fact]
    public void HeaderOnlyAndCutHeaderFilesAreReported()
    {
        string src = EvtxTestSupport.Sample(MultiChunk);
        var head = ReadBytes(src, 0, EvtxFormat.FileHeaderSize);
        string cutHeader = Path.Combine(_dir, "cut-header.evtx");
        File.WriteAllBytes(cutHeader, head.AsSpan(0, 1000).ToArray());
        var diag = new DiagnosticsCollector();
        Assert.Empty(new EvtxFormat().Partition(cutHeader, diag).ToList());
        Assert.Contains(diag.Errors, e => e.Source == cutHeader && e.Message.Contains("cut off inside its 4096-byte header"));
    }
}
