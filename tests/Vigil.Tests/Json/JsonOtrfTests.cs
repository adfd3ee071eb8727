using System.Globalization;
using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

/// <summary>Real data: the OTRF Security-Datasets JSON-lines files in ../shared.</summary>
public class JsonOtrfTests
{
    [Fact]
    public void EveryLineOfEveryOtrfFileIsOneEvent()
    {
        var files = JsonTestSupport.OtrfFiles();
        Assert.True(files.Length >= 40, $"expected the OTRF files, found {files.Length} in {JsonTestSupport.OtrfFolder}");
        long total = 0;
        foreach (var file in files)
        {
            // Independent count: non-blank lines, and the 1-based numbers they sit on.
            var lines = File.ReadAllLines(file);
            var expectedLines = Enumerable.Range(0, lines.Length).Where(i => !string.IsNullOrWhiteSpace(lines[i])).Select(i => (long)i + 1).ToList();
            var result = JsonTestSupport.ReadAll(file);
            Assert.Empty(result.Errors);
            Assert.Equal(expectedLines.Count, result.Events.Count);
            Assert.Equal(expectedLines, result.Events.Select(e => e.Origin.Line).ToList());
            Assert.All(result.Events, e => Assert.Equal(file, e.Origin.Source));
            Assert.All(result.Events, e => Assert.Equal("json", e.Format));
            total += result.Events.Count;
        }
        Assert.True(total > 30000, $"only {total} events");
    }

    [Fact]
    public void OtrfFilesAreRecognisedByContent()
    {
        var format = new JsonFormat();
        var diag = new DiagnosticsCollector();
        foreach (var file in JsonTestSupport.OtrfFiles())
        {
            var classified = InputFiles.Classify(file, [format], diag, quiet: false);
            Assert.NotNull(classified);
            // Content alone, without the .json name.
            var all = File.ReadAllBytes(file);
            var head = all.AsSpan(0, Math.Min(all.Length, 4096));
            Assert.True(format.Recognize(head, "evidence.bin"), file);
        }
        Assert.Empty(diag.Errors);
    }

    /// <summary>
    /// Every field of every OTRF event against an independent flattening done with JsonDocument:
    /// same names in the same order, same kinds of value, same text, offsets pointing at the line.
    /// </summary>
    [Fact]
    public void OtrfEventsMatchAnIndependentFlattening()
    {
        foreach (var file in JsonTestSupport.OtrfFiles())
        {
            var bytes = File.ReadAllBytes(file);
            var result = JsonTestSupport.ReadAll(file);
            foreach (var ev in result.Events)
            {
                int start = (int)ev.Origin.Offset;
                int end = Array.IndexOf(bytes, (byte)'\n', start);
                if (end < 0) end = bytes.Length;
                using var doc = JsonDocument.Parse(bytes.AsMemory(start, end - start));
                Assert.Equal(ev.Origin.Line, bytes.AsSpan(0, start).Count((byte)'\n') + 1);
                var expected = new List<FieldSnap>();
                ExpectedFlatten(doc.RootElement, "", expected);
                Assert.Equal(string.Join("\n", expected.Select(Norm)), string.Join("\n", ev.Fields.Select(Norm)));
            }
        }

        static string Norm(FieldSnap f) => $"{f.Name.ToLowerInvariant()}={f.Kind}:{f.Text}";
    }

    /// <summary>The flattening rules written again on top of JsonDocument, as the reference.</summary>
    internal static void ExpectedFlatten(JsonElement e, string path, List<FieldSnap> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                if (path.Length > 0) into.Add(new FieldSnap(path, ValueKind.RawJson, e.GetRawText()));
                foreach (var p in e.EnumerateObject())
                    ExpectedFlatten(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, into);
                break;
            case JsonValueKind.Array:
                into.Add(new FieldSnap(path, ValueKind.RawJson, e.GetRawText()));
                foreach (var item in e.EnumerateArray()) ExpectedFlatten(item, path, into);
                break;
            case JsonValueKind.String: into.Add(new FieldSnap(path, ValueKind.String, e.GetString()!)); break;
            case JsonValueKind.Number:
                if (e.TryGetInt64(out long l)) into.Add(new FieldSnap(path, ValueKind.Int64, l.ToString(CultureInfo.InvariantCulture)));
                else if (e.TryGetUInt64(out ulong u)) into.Add(new FieldSnap(path, ValueKind.UInt64, u.ToString(CultureInfo.InvariantCulture)));
                else into.Add(new FieldSnap(path, ValueKind.Double, e.GetDouble().ToString("R", CultureInfo.InvariantCulture)));
                break;
            case JsonValueKind.True: into.Add(new FieldSnap(path, ValueKind.Boolean, "true")); break;
            case JsonValueKind.False: into.Add(new FieldSnap(path, ValueKind.Boolean, "false")); break;
            case JsonValueKind.Null: into.Add(new FieldSnap(path, ValueKind.Null, "")); break;
        }
    }
}
