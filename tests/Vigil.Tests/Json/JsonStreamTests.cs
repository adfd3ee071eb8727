using System.Text;
using System.Text.Json;

namespace Vigil.Tests.Json;

/// <summary>gzip, top-level arrays, multi-line objects, and block-size independence.</summary>
public class JsonStreamTests
{
    private static string Otrf(string name) => Path.Combine(JsonTestSupport.OtrfFolder, name);
    private const string Cloudtrail = "aws__collection__ec2_proxy_s3_exfiltration.json";
    private const string Security = "windows__credential_access__host__cmd_sam_copy_esentutl.json";   // CRLF endings
    private const string Large = "windows__defense_evasion__host__psh_mshta_html_application_execution.json";

    private static void AssertSameEvents(ReadResult expected, ReadResult actual, bool withRaw = true, bool withOrigin = true)
    {
        Assert.Equal(expected.Events.Count, actual.Events.Count);
        for (int i = 0; i < expected.Events.Count; i++)
        {
            var e = expected.Events[i];
            var a = actual.Events[i];
            if (withOrigin)
            {
                Assert.Equal(e.Origin.Offset, a.Origin.Offset);
                Assert.Equal(e.Origin.Line, a.Origin.Line);
            }
            Assert.Equal(e.TimestampTicks, a.TimestampTicks);
            Assert.Equal(e.Describe(withRaw), a.Describe(withRaw));
        }
    }

    /// <summary>The same events as a pretty-printed top-level array.</summary>
    private static byte[] ToPrettyArray(string jsonLinesPath)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var line in File.ReadLines(jsonLinesPath).Where(l => l.Trim().Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                doc.WriteTo(w);
            }
            w.WriteEndArray();
        }
        return ms.ToArray();
    }

    /// <summary>The same events as pretty-printed objects one after another (what `jq .` writes).</summary>
    private static byte[] ToPrettyConcatenated(string jsonLinesPath)
    {
        var sb = new StringBuilder();
        foreach (var line in File.ReadLines(jsonLinesPath).Where(l => l.Trim().Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            sb.Append(JsonSerializer.Serialize(doc.RootElement, new JsonSerializerOptions { WriteIndented = true })).Append('\n');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Theory]
    [InlineData(Cloudtrail)]
    [InlineData(Security)]
    public void GzipOfJsonLinesGivesTheSameEventsAsThePlainFile(string name)
    {
        using var dir = new TempDir();
        var plain = JsonTestSupport.ReadAll(Otrf(name));
        var gz = dir.File(name + ".gz", JsonTestSupport.Gzip(File.ReadAllBytes(Otrf(name))));
        var fromGz = JsonTestSupport.ReadAll(gz);
        Assert.Empty(fromGz.Errors);
        Assert.True(plain.Events.Count > 100);
        AssertSameEvents(plain, fromGz);
        Assert.All(fromGz.Events, e => Assert.Equal(gz, e.Origin.Source));
        // Recognised by content even without the .gz name.
        Assert.True(new Vigil.Readers.Json.JsonFormat().Recognize(File.ReadAllBytes(gz).AsSpan(0, 4096), "evidence.bin"));
    }

    [Theory]
    [InlineData(Cloudtrail)]
    [InlineData(Security)]
    public void APrettyPrintedArrayGivesTheSameEventsAsJsonLines_PlainAndGzip(string name)
    {
        using var dir = new TempDir();
        var lines = JsonTestSupport.ReadAll(Otrf(name));
        var arrayBytes = ToPrettyArray(Otrf(name));
        var array = JsonTestSupport.ReadAll(dir.File("array.json", arrayBytes));
        Assert.Empty(array.Errors);
        // Same fields and values; raw container text differs only by the pretty-printing whitespace.
        AssertSameEvents(lines, array, withRaw: false, withOrigin: false);
        // Each element's origin points at its '{' and names its line.
        var text = Encoding.UTF8.GetString(arrayBytes);
        foreach (var e in array.Events)
        {
            Assert.Equal((byte)'{', arrayBytes[e.Origin.Offset]);
            Assert.Equal(e.Origin.Line, arrayBytes.AsSpan(0, (int)e.Origin.Offset).Count((byte)'\n') + 1);
        }
        Assert.Equal(2, array.Events[0].Origin.Line);

        var fromGz = JsonTestSupport.ReadAll(dir.File("array.json.gz", JsonTestSupport.Gzip(arrayBytes)));
        Assert.Empty(fromGz.Errors);
        AssertSameEvents(array, fromGz);
    }

    /// <summary>The same records as AWS delivers them: one line <c>{"Records":[...]}</c>, other wrapper properties around.</summary>
    private static byte[] ToCloudTrailDelivery(string jsonLinesPath, bool indented)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteStartArray("Records");
            foreach (var line in File.ReadLines(jsonLinesPath).Where(l => l.Trim().Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                doc.WriteTo(w);
            }
            w.WriteEndArray();
            // Digest-style extras after the records must not become events or errors.
            w.WriteString("logFileVersion", "1.0");
            w.WriteStartObject("meta");
            w.WriteStartArray("x");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    [Theory]
    [InlineData(false, 1 << 20)]
    [InlineData(true, 1 << 20)]
    [InlineData(false, 4096)]
    public void CloudTrailDeliveryFilesGiveOneEventPerRecord_PlainAndGzip(bool indented, int blockSize)
    {
        using var dir = new TempDir();
        var lines = JsonTestSupport.ReadAll(Otrf(Cloudtrail));
        var bytes = ToCloudTrailDelivery(Otrf(Cloudtrail), indented);
        var delivered = JsonTestSupport.ReadAll(dir.File("123456789012_CloudTrail_us-east-1_20201020T0000Z_abc.json", bytes), blockSize);
        Assert.Empty(delivered.Errors);
        Assert.True(lines.Events.Count > 100);
        AssertSameEvents(lines, delivered, withRaw: false, withOrigin: false);
        Assert.All(delivered.Events, e => Assert.Equal((byte)'{', bytes[e.Origin.Offset]));
        var gz = JsonTestSupport.ReadAll(dir.File("delivered.json.gz", JsonTestSupport.Gzip(bytes)), blockSize);
        Assert.Empty(gz.Errors);
        AssertSameEvents(delivered, gz);
    }

    [Fact]
    public void AnObjectWithoutARecordsArrayStaysOneEvent()
    {
        using var dir = new TempDir();
        var r = JsonTestSupport.ReadAll(dir.File("one.json", Encoding.UTF8.GetBytes("{\"Records\": 3, \"a\": \"b\"}\n")));
        Assert.Empty(r.Errors);
        Assert.Equal("b", Assert.Single(r.Events).Get("a"));
    }

    /// <summary>Azure's exports to storage wrap their records as <c>{"records":[...]}</c> (lower case), pretty-printed or on
    /// one line: each record is an event, as CloudTrail's are. Before, the whole file was one event.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AzureRecordsWrapperGivesOneEventPerRecord(bool indented)
    {
        using var dir = new TempDir();
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteStartArray("records");
            for (int i = 0; i < 3; i++)
            {
                w.WriteStartObject();
                w.WriteString("time", $"2026-03-10T00:0{i}:00.0000000Z");
                w.WriteString("operationName", i == 1 ? "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE" : "Sign-in activity");
                w.WriteString("category", i == 1 ? "Administrative" : "SignInLogs");
                w.WriteStartObject("properties");
                w.WriteString("userPrincipalName", $"user{i}@example.com");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var r = JsonTestSupport.ReadAll(dir.File("PT1H.json", ms.ToArray()));
        Assert.Empty(r.Errors);
        Assert.Equal(3, r.Events.Count);
        Assert.Equal(["user0@example.com", "user1@example.com", "user2@example.com"], r.Events.Select(e => e.Get("properties.userPrincipalName") ?? "-"));
        Assert.Equal("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", r.Events[1].Get("operationName"));
    }

    [Fact]
    public void PrettyPrintedObjectsOneAfterAnotherAreRead()
    {
        using var dir = new TempDir();
        var lines = JsonTestSupport.ReadAll(Otrf(Cloudtrail));
        var concatenated = JsonTestSupport.ReadAll(dir.File("jq.json", ToPrettyConcatenated(Otrf(Cloudtrail))));
        Assert.Empty(concatenated.Errors);
        AssertSameEvents(lines, concatenated, withRaw: false, withOrigin: false);
    }

    [Fact]
    public void ATruncatedGzipIsReportedAndEarlierEventsKept()
    {
        using var dir = new TempDir();
        var plain = JsonTestSupport.ReadAll(Otrf(Security));
        var gzBytes = JsonTestSupport.Gzip(File.ReadAllBytes(Otrf(Security)));
        var cut = dir.File("cut.json.gz", gzBytes[..(gzBytes.Length * 6 / 10)]);
        var r = JsonTestSupport.ReadAll(cut);
        var gzError = Assert.Single(r.Errors, e => e.Message.Contains("gzip"));
        Assert.Equal(cut, gzError.Source);
        Assert.NotNull(gzError.Offset);
        // The decompressed data stops mid-line: at most that one partial line is reported besides.
        Assert.InRange(r.Errors.Count, 1, 2);
        Assert.InRange(r.Events.Count, plain.Events.Count / 3, plain.Events.Count - 1);
        AssertSameEvents(new ReadResult(plain.Events.Take(r.Events.Count).ToList(), [], 0), r);
        Assert.True(gzError.Offset >= r.Events[^1].Origin.Offset, "the error is placed after the last event kept");

        // The same for a gzip of a JSON array.
        var arrayGz = JsonTestSupport.Gzip(ToPrettyArray(Otrf(Security)));
        var arr = JsonTestSupport.ReadAll(dir.File("cut-array.json.gz", arrayGz[..(arrayGz.Length / 2)]));
        Assert.Contains(arr.Errors, e => e.Message.Contains("truncated"));
        Assert.InRange(arr.Events.Count, plain.Events.Count / 4, plain.Events.Count - 1);
        AssertSameEvents(new ReadResult(plain.Events.Take(arr.Events.Count).ToList(), [], 0), arr, withRaw: false, withOrigin: false);
    }

    [Fact]
    public void TinyBlocksGiveTheSameResultAsTheDefault_JsonLines()
    {
        using var dir = new TempDir();
        // A generated file: varied line lengths (some far longer than the tiny block), CRLF and LF,
        // blank lines, broken lines, multi-byte UTF-8, no final newline.
        var rng = new Random(7);
        var sb = new StringBuilder();
        for (int i = 1; i <= 6000; i++)
        {
            string eol = rng.Next(3) == 0 ? "\r\n" : "\n";
            switch (rng.Next(40))
            {
                case 0: sb.Append(eol); break;
                case 1: sb.Append("{\"broken\":").Append(i).Append(",,}").Append(eol); break;
                case 2: sb.Append("{\"n\":").Append(i).Append(",\"long\":\"").Append('x', 700 + rng.Next(3000)).Append("\"}").Append(eol); break;
                default:
                    sb.Append("{\"n\":").Append(i).Append(",\"u\":\"äöü—").Append(rng.Next()).Append("\",\"o\":{\"k\":[")
                      .Append(rng.Next(100)).Append(",\"").Append(new string('y', rng.Next(50))).Append("\"]},\"t\":\"2020-10-19 12:28:")
                      .Append((i % 60).ToString("00")).Append(".333\"}").Append(eol);
                    break;
            }
        }
        sb.Append("{\"last\":true}");
        var path = dir.File("gen.json", sb.ToString());

        var reference = JsonTestSupport.ReadAll(path);
        Assert.True(reference.Events.Count > 5000);
        Assert.True(reference.Errors.Count > 50);
        foreach (int block in new[] { 16, 100, 4096 })
        {
            var small = JsonTestSupport.ReadAll(path, block);
            Assert.True(small.Partitions > 2 * reference.Partitions);
            AssertSameEvents(reference, small);
            Assert.Equal(reference.Errors.Select(e => e.ToString()), small.Errors.Select(e => e.ToString()));
        }
        // Partitions decoded in parallel, put back in order: same again.
        var parallel = JsonTestSupport.ReadParallel(path, 1000);
        AssertSameEvents(reference, parallel);
        Assert.Equal(reference.Errors.Select(e => e.ToString()).Order(), parallel.Errors.Select(e => e.ToString()).Order());
    }

    [Fact]
    public void TinyBlocksGiveTheSameResultAsTheDefault_ArraysAndGzip()
    {
        using var dir = new TempDir();
        var arrayPath = dir.File("array.json", ToPrettyArray(Otrf(Cloudtrail)));
        var reference = JsonTestSupport.ReadAll(arrayPath);
        Assert.Empty(reference.Errors);
        // Block size 16: the scanner's buffer starts at 4 KiB, so tokens and elements are split across refills
        // and every element makes its own partition.
        foreach (int block in new[] { 16, 1000 })
        {
            var small = JsonTestSupport.ReadAll(arrayPath, block);
            Assert.Empty(small.Errors);
            Assert.True(small.Partitions > 20);
            AssertSameEvents(reference, small);
        }
        var gzPath = dir.File("lines.json.gz", JsonTestSupport.Gzip(File.ReadAllBytes(Otrf(Security))));
        AssertSameEvents(JsonTestSupport.ReadAll(gzPath), JsonTestSupport.ReadAll(gzPath, 64));
        AssertSameEvents(JsonTestSupport.ReadAll(Otrf(Large)), JsonTestSupport.ReadParallel(Otrf(Large), 64 << 10));
    }

    [Fact]
    public void PartitionsAreCutLazilyAndReadOnce()
    {
        using var dir = new TempDir();
        var gzBytes = JsonTestSupport.Gzip(File.ReadAllBytes(Otrf(Security)));
        var path = dir.File("cut.json.gz", gzBytes[..(gzBytes.Length / 2)]);
        var diag = new Vigil.Diagnostics.DiagnosticsCollector();
        using var parts = new Vigil.Readers.Json.JsonFormat(4096).Partition(path, diag).GetEnumerator();
        Assert.True(parts.MoveNext());
        // The truncation lies far ahead: nothing has been read that far yet.
        Assert.Empty(diag.Errors);
        var first = parts.Current;
        var scratch = new Vigil.Events.Event();
        int n = 0;
        first.Read(scratch, _ => n++, diag);
        Assert.True(n > 0);
        Assert.Throws<InvalidOperationException>(() => first.Read(scratch, _ => { }, diag));
        while (parts.MoveNext()) parts.Current.Read(scratch, _ => { }, diag);
        Assert.Contains(diag.Errors, e => e.Message.Contains("truncated"));
    }

    [Fact]
    public void AnElementLargerThanTheScannerBufferIsRead()
    {
        using var dir = new TempDir();
        var big = new string('z', 100_000);
        var path = dir.File("bigarray.json", $"[{{\"a\":1}},\n{{\"big\":\"{big}\",\"nested\":{{\"x\":[1,2,3]}}}},\n{{\"a\":2}}]");
        var r = JsonTestSupport.ReadAll(path, 16);
        Assert.Empty(r.Errors);
        Assert.Equal(3, r.Events.Count);
        Assert.Equal(big, r.Events[1].Get("big"));
        Assert.Equal(["1", "2", "3"], r.Events[1].All("nested.x").Where(f => f.Kind != Vigil.Events.ValueKind.RawJson).Select(f => f.Text).ToArray());
        Assert.Equal(2, r.Events[1].Origin.Line);
        Assert.Equal(3, r.Events[2].Origin.Line);
    }
}
