using System.IO.Compression;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

/// <summary>One field of a decoded event, copied out of the reader's buffers.</summary>
public sealed record FieldSnap(string Name, ValueKind Kind, string Text)
{
    public override string ToString() => $"{Name}={Kind}:{Text}";
}

/// <summary>A decoded event, copied so it outlives the callback.</summary>
public sealed record EventSnap(EventOrigin Origin, long TimestampTicks, string Format, IReadOnlyList<FieldSnap> Fields)
{
    public string? Get(string name) => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))?.Text;
    public IEnumerable<FieldSnap> All(string name) => Fields.Where(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Fields as text for comparing: names are case-folded because FieldNames keeps the first spelling seen.</summary>
    public string Describe(bool withRaw = true) => string.Join("\n",
        Fields.Where(f => withRaw || f.Kind != ValueKind.RawJson).Select(f => $"{f.Name.ToLowerInvariant()}={f.Kind}:{f.Text}"));
}

public sealed record ReadResult(List<EventSnap> Events, IReadOnlyList<ReadError> Errors, int Partitions);

public static class JsonTestSupport
{
    public static EventSnap Snap(Event e)
    {
        var fields = new List<FieldSnap>(e.Count);
        for (int i = 0; i < e.Count; i++) fields.Add(new FieldSnap(e.NameAt(i), e.ValueAt(i).Kind, e.ValueAt(i).ToString()));
        return new EventSnap(e.Origin, e.TimestampTicks, e.Format, fields);
    }

    /// <summary>Reads every partition of a file in order, on this thread.</summary>
    public static ReadResult ReadAll(string path, int? blockSize = null, int? maxEventBytes = null)
    {
        var format = maxEventBytes is { } m ? new JsonFormat(blockSize ?? JsonFormat.DefaultBlockSize, m)
            : blockSize is { } b ? new JsonFormat(b) : new JsonFormat();
        var diag = new DiagnosticsCollector();
        var events = new List<EventSnap>();
        var scratch = new Event();
        int partitions = 0;
        foreach (var p in format.Partition(path, diag))
        {
            Assert.Equal(partitions, p.Ordinal);
            partitions++;
            p.Read(scratch, e => events.Add(Snap(e)), diag);
        }
        return new ReadResult(events, diag.Errors, partitions);
    }

    /// <summary>Reads partitions on several threads, at most a few outstanding (as the engine does), and
    /// puts the events back in file order.</summary>
    public static ReadResult ReadParallel(string path, int blockSize)
    {
        var format = new JsonFormat(blockSize);
        var diag = new DiagnosticsCollector();
        var perPartition = new System.Collections.Concurrent.ConcurrentDictionary<long, List<EventSnap>>();
        Parallel.ForEach(format.Partition(path, diag), new ParallelOptions { MaxDegreeOfParallelism = 4 }, () => new Event(),
            (p, _, scratch) =>
            {
                var list = new List<EventSnap>();
                p.Read(scratch, e => list.Add(Snap(e)), diag);
                Assert.True(perPartition.TryAdd(p.Ordinal, list));
                return scratch;
            }, _ => { });
        var events = perPartition.OrderBy(kv => kv.Key).SelectMany(kv => kv.Value).ToList();
        return new ReadResult(events, diag.Errors, perPartition.Count);
    }

    public static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    public static string OtrfFolder => Path.Combine(TestPaths.Shared, "data", "json", "otrf");

    public static string[] OtrfFiles() => Directory.GetFiles(OtrfFolder, "*.json").OrderBy(f => f, StringComparer.Ordinal).ToArray();
}

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("vigil-json-").FullName;
    public string File(string name, byte[] content)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(p, content);
        return p;
    }
    public string File(string name, string content) => File(name, System.Text.Encoding.UTF8.GetBytes(content));
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
