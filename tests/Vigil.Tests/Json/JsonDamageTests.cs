using System.Text;
using Vigil.Diagnostics;
using Vigil.Readers;
using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

public class JsonDamageTests
{
    private static string Lines(int from, int to) =>
        string.Concat(Enumerable.Range(from, to - from + 1).Select(i => $"{{\"n\":{i},\"s\":\"line {i}\"}}\n"));

    [Fact]
    public void ABrokenLineIsReportedWithFileAndLineAndTheRestIsRead()
    {
        using var dir = new TempDir();
        var path = dir.File("broken.json", Lines(1, 4) + "{\"n\":5,,\"s\":}\n" + Lines(6, 10));
        var r = JsonTestSupport.ReadAll(path);
        var error = Assert.Single(r.Errors);
        Assert.Equal(path, error.Source);
        Assert.Equal(5, error.Line);
        Assert.Equal(Encoding.UTF8.GetByteCount(Lines(1, 4)), error.Offset);
        Assert.Contains("invalid JSON", error.Message);
        Assert.Contains($"{path}: line 5:", error.ToString());
        Assert.Equal([1L, 2, 3, 4, 6, 7, 8, 9, 10], r.Events.Select(e => e.Origin.Line).ToArray());
        Assert.Equal(["1", "2", "3", "4", "6", "7", "8", "9", "10"], r.Events.Select(e => e.Get("n") ?? "-").ToArray());
    }

    [Fact]
    public void ScalarsAndTrailingGarbageAreErrorsNotEvents()
    {
        using var dir = new TempDir();
        var path = dir.File("scalars.json", "{\"a\":1}\n42\n\"text\"\n[1,2]\n{\"a\":2} {\"a\":3}\n{\"a\":4}\n");
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(["1", "4"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
        Assert.Equal([2L, 3, 4, 5], r.Errors.Select(e => e.Line!.Value).ToArray());
        Assert.Contains("a number, not an object", r.Errors[0].Message);
        Assert.Contains("a string, not an object", r.Errors[1].Message);
        Assert.Contains("an array, not an object", r.Errors[2].Message);
    }

    [Fact]
    public void ATruncatedLastLineIsReportedAndEarlierLinesKept()
    {
        using var dir = new TempDir();
        var path = dir.File("cut.json", Lines(1, 3) + "{\"n\":4,\"s\":\"li");
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(3, r.Events.Count);
        var error = Assert.Single(r.Errors);
        Assert.Equal(4, error.Line);
    }

    [Fact]
    public void CrlfLineEndingsAndEmptyLines()
    {
        using var dir = new TempDir();
        var path = dir.File("crlf.json", "{\"a\":\"x\"}\r\n\r\n  \r\n{\"a\":\"y\"}\r\n{\"a\":\"z\"}");
        var r = JsonTestSupport.ReadAll(path);
        Assert.Empty(r.Errors);
        Assert.Equal(["x", "y", "z"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
        Assert.Equal([1L, 4, 5], r.Events.Select(e => e.Origin.Line).ToArray());
        Assert.Equal([0L, 17, 28], r.Events.Select(e => e.Origin.Offset).ToArray());
    }

    [Fact]
    public void AByteOrderMarkIsSkipped()
    {
        using var dir = new TempDir();
        var path = dir.File("bom.json", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"a\":1}\n{\"a\":2}\n")]);
        Assert.True(new JsonFormat().Recognize(File.ReadAllBytes(path), "noext"));
        var r = JsonTestSupport.ReadAll(path);
        Assert.Empty(r.Errors);
        Assert.Equal(["1", "2"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
        Assert.Equal(3, r.Events[0].Origin.Offset);
        Assert.Equal(1, r.Events[0].Origin.Line);
    }

    [Fact]
    public void Utf16WithByteOrderMarkIsTranscoded()
    {
        using var dir = new TempDir();
        const string text = "{\"a\":\"caf\u00e9\",\"n\":1}\r\n{\"a\":\"x\",\"n\":2}\r\n";
        foreach (var enc in new[] { Encoding.Unicode, Encoding.BigEndianUnicode })
        {
            var path = dir.File("utf16.json", [.. enc.GetPreamble(), .. enc.GetBytes(text)]);
            Assert.True(new JsonFormat().Recognize(File.ReadAllBytes(path), "x.log"));
            var r = JsonTestSupport.ReadAll(path);
            Assert.Empty(r.Errors);
            Assert.Equal(["café", "x"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
            Assert.Equal([1L, 2], r.Events.Select(e => e.Origin.Line).ToArray());
        }
        Assert.False(new JsonFormat().Recognize([0xFF, 0xFE, .. Encoding.Unicode.GetBytes("hello")], "x.json"));
    }

    [Fact]
    public void AnEmptyFileHasNoEventsAndIsNotRecognised()
    {
        using var dir = new TempDir();
        var path = dir.File("empty.json", Array.Empty<byte>());
        var r = JsonTestSupport.ReadAll(path);
        Assert.Empty(r.Events);
        Assert.Empty(r.Errors);
        var diag = new DiagnosticsCollector();
        Assert.Null(InputFiles.Classify(path, [new JsonFormat()], diag, quiet: false));
        Assert.Contains("empty", Assert.Single(diag.Errors).Message);
    }

    /// <summary>Inside a folder, files no format recognises are skipped; those whose name says they are logs (an empty
    /// .json, random bytes named .evtx) are noted, naming the file, and a README is not. Nothing is an error: the log
    /// beside them is read.</summary>
    [Fact]
    public void UnreadableLogsInAFolderAreNotedAndOtherFilesSkippedQuietly()
    {
        using var dir = new TempDir();
        var good = dir.File("good.jsonl", Lines(1, 3));
        var empty = dir.File("empty.json", Array.Empty<byte>());
        var garbage = dir.File("garbage.evtx", Enumerable.Range(0, 3000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        dir.File("README.txt", "hashes and notes");
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([dir.Path], [new JsonFormat()], diag);
        Assert.Equal(good, Assert.Single(files).Path);
        Assert.Equal(0, diag.Count);
        Assert.Equal(2, diag.Notices);
        Assert.Equal([$"{empty}: offset 0x0: skipped: file is empty", $"{garbage}: offset 0x0: skipped: not a log format Vigil reads (EVTX, JSON lines, JSON array, or gzip of JSON)"],
            diag.Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void RandomBytesAreNotRecognised()
    {
        var format = new JsonFormat();
        var rng = new Random(12345);
        var head = new byte[4096];
        for (int i = 0; i < 2000; i++)
        {
            rng.NextBytes(head);
            // Half of them are made to start like JSON, the hard case.
            if (i % 2 == 0) head[0] = (byte)(i % 4 == 0 ? '{' : '[');
            Assert.False(format.Recognize(head, "sample.bin"), $"random head #{i} recognised");
        }
        rng.NextBytes(head);
        Assert.False(format.Recognize(JsonTestSupport.Gzip(head), "random.bin"));
        Assert.False(format.Recognize("ElfFile\0\0\0"u8, "x.json"));
        Assert.False(format.Recognize(JsonTestSupport.Gzip("ElfFile\0\0\0\0\0\0\0\0"u8.ToArray()), "x.evtx.gz"));
        // Text that is JSON-like by extension only: content wins.
        Assert.False(format.Recognize("hello world\n"u8, "notes.json"));
    }

    [Fact]
    public void JsonIsRecognisedByContentAndWhitespaceOnlyHeadsByName()
    {
        var format = new JsonFormat();
        Assert.True(format.Recognize("  \n{\"a\":1}\n"u8, "x.log"));
        Assert.True(format.Recognize("[\n  {\n    \"a\": 1"u8, "x.log"));
        Assert.True(format.Recognize(JsonTestSupport.Gzip("{\"a\":1}\n"u8.ToArray()), "x.bin"));
        Assert.True(format.Recognize(JsonTestSupport.Gzip("[{\"a\":1}]"u8.ToArray()), "x.bin"));
        var spaces = new byte[4096];
        Array.Fill(spaces, (byte)' ');
        Assert.True(format.Recognize(spaces, "x.jsonl"));
        Assert.False(format.Recognize(spaces, "x.txt"));
        // A broken line after a good start does not make the whole file unrecognised.
        Assert.True(format.Recognize("{\"a\":1,\"b\":2}\n{\"a\":,}\n"u8, "x.log"));
    }

    /// <summary>A JSON-lines log cut at its start (rotated or carved, so it begins inside an event) or with a header line
    /// first is still recognised: the damaged first lines are reported by number and every intact line after them is read,
    /// as for a damaged line further down. Before, the whole file was judged "not a log format".</summary>
    [Theory]
    [InlineData("ing\",\"n\":0}\n", 1)]                         // the tail of an event
    [InlineData("\"a\":0,\"s\":\"x\"}\r\n", 1)]                  // CRLF
    [InlineData("# exported 2026-03-10 by siem-export\n", 1)]   // a header line
    [InlineData("{\"n\":0,\"s\":\"cut\n\u0000\u0001\u0002\n", 2)]    // a cut object and a binary fragment
    [InlineData("header\n\nfields: n,s\nx\n", 4)]                  // three damaged lines and a blank one
    public void A_damaged_start_costs_only_its_lines(string start, int firstGood)
    {
        using var dir = new TempDir();
        var path = dir.File("cut.jsonl", start + Lines(1, 200));
        var diag = new DiagnosticsCollector();
        Assert.NotNull(InputFiles.Classify(path, [new JsonFormat()], diag, quiet: false));
        Assert.Equal(0, diag.Count);
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => i.ToString()), r.Events.Select(e => e.Get("n") ?? "-"));
        Assert.Equal(firstGood + 1, r.Events[0].Origin.Line);
        Assert.NotEmpty(r.Errors);
        Assert.All(r.Errors, e => Assert.InRange(e.Line!.Value, 1, firstGood));
        Assert.Contains($"{path}: line 1:", r.Errors[0].ToString());
        // Gzipped, the same.
        var gz = dir.File("cut.jsonl.gz", JsonTestSupport.Gzip(File.ReadAllBytes(path)));
        Assert.True(new JsonFormat().Recognize(File.ReadAllBytes(gz).AsSpan(0, Math.Min(4096, (int)new FileInfo(gz).Length)), "evidence.bin"));
    }

    /// <summary>The damaged start is bounded: prose with a JSON example in it, four damaged lines, or lines after the
    /// damaged start that are not all objects do not make a file JSON lines.</summary>
    [Fact]
    public void Text_with_some_json_lines_is_not_json_lines()
    {
        var format = new JsonFormat();
        Assert.False(format.Recognize("Example:\n{\"a\":1}\nThen run it.\n"u8, "notes.txt"));
        Assert.False(format.Recognize("a\nb\nc\nd\n{\"a\":1}\n{\"a\":2}\n"u8, "x.jsonl"));
        Assert.False(format.Recognize("x\n{\"a\":1}\n[1,2]\n"u8, "x.jsonl"));
        Assert.False(format.Recognize("x\n{\"a\":1} {\"a\":2}\n"u8, "x.jsonl"));
        Assert.False(format.Recognize("x\ny\n{\"a\":1}\nz\n{\"a\":2}\n"u8, "x.jsonl"));
        Assert.False(format.Recognize("x\n\n  \n"u8, "x.txt"));
        Assert.True(format.Recognize("a\nb\nc\n{\"a\":1}\n{\"a\":2}\n"u8, "x.txt"));
        Assert.True(format.Recognize("x\n{\"a\":[1,{\"b\":null}]}\n{\"a\":\"cut"u8, "x.txt"));
    }

    [Fact]
    public void AnUnreadableFileIsReported()
    {
        var diag = new DiagnosticsCollector();
        var parts = new JsonFormat().Partition("/nonexistent/vigil/x.json", diag).ToList();
        Assert.Empty(parts);
        Assert.Contains("cannot open", Assert.Single(diag.Errors).Message);
    }

    [Fact]
    public void ArrayDamageIsReportedWithOffsetAndLineAndEarlierElementsKept()
    {
        using var dir = new TempDir();
        var text = "[\n  {\"a\": 1},\n  {\"a\": 2},\n  {\"a\": 3,, },\n  {\"a\": 4}\n]\n";
        var path = dir.File("arr.json", text);
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(["1", "2"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
        var error = Assert.Single(r.Errors);
        Assert.Equal(4, error.Line);
        Assert.InRange(error.Offset!.Value, text.IndexOf("{\"a\": 3", StringComparison.Ordinal), text.IndexOf(",, ", StringComparison.Ordinal) + 2);
    }

    [Fact]
    public void NonObjectArrayElementsAreReportedAndSkipped()
    {
        using var dir = new TempDir();
        var path = dir.File("arr.json", "[{\"a\":1}, 7, [ {\"a\":9} ], \"s\", {\"a\":2}]");
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(["1", "2"], r.Events.Select(e => e.Get("a") ?? "-").ToArray());
        Assert.Equal(3, r.Errors.Count);
        Assert.All(r.Errors, e => Assert.Contains("not an object", e.Message));
        Assert.Equal(10, r.Errors[0].Offset);
    }

    /// <summary>A file broken on every other line is 1,500 errors: the first 1,000 are listed and echoed with their lines,
    /// then one line says the rest are counted; the hunt still reads every intact line and counts every error.</summary>
    [Fact]
    public void Errors_past_the_cap_of_a_file_are_counted_not_listed()
    {
        var dir = Vigil.Tests.Cli.CliRunner.TempDir("json-many-errors");
        var path = Path.Combine(dir, "broken.jsonl");
        File.WriteAllText(path, string.Concat(Enumerable.Range(1, 3000).Select(i =>
            i % 2 == 0 ? $"{{\"EventID\":4624,\"n\":{i},\"s\":\"cut\n" : $"{{\"EventID\":4624,\"n\":{i}}}\n")));
        var out1 = Path.Combine(dir, "events.jsonl");
        var r = Vigil.Tests.Cli.CliRunner.Run("dump", path, "-o", out1);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1500, File.ReadLines(out1).Count());
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var listed = lines.Where(l => l.Contains(": line ", StringComparison.Ordinal)).ToList();
        Assert.Equal(1000, listed.Count);
        Assert.Contains($"{path}: line 2000: invalid JSON", listed[^1]);
        Assert.Single(lines, l => l == $"vigil: {path}: more than 1,000 errors and notices; the rest are counted, not listed");
        Assert.Contains(lines, l => l.Contains("1500 read errors", StringComparison.Ordinal) || l.Contains("1,500 read errors", StringComparison.Ordinal));
    }

    /// <summary>The collector keeps each source's first errors and notices up to its cap and counts the rest; the list
    /// ends with one line per source past its cap (an error when any of the rest was one, else a notice).</summary>
    [Fact]
    public void The_collector_lists_each_sources_first_errors_and_counts_the_rest()
    {
        var echo = new StringWriter();
        var d = new DiagnosticsCollector(echo, echoNotices: false, maxListedPerSource: 3);
        for (int i = 1; i <= 5; i++) d.Report(new ReadError("a.jsonl", "bad", Line: i));
        d.Report(new ReadError("b.evtx", "slack", Offset: 1, Notice: true));
        for (int i = 0; i < 4; i++) d.Report(new ReadError("c.evtx", "slack", Offset: i, Notice: true));
        d.Report(new ReadError("b.evtx", "bad chunk", Offset: 2));
        Assert.Equal(6, d.Count);
        Assert.Equal(5, d.Notices);
        var errors = d.Errors;
        Assert.Equal(["a.jsonl: line 1: bad", "a.jsonl: line 2: bad", "a.jsonl: line 3: bad", "b.evtx: offset 0x1: slack",
            "c.evtx: offset 0x0: slack", "c.evtx: offset 0x1: slack", "c.evtx: offset 0x2: slack", "b.evtx: offset 0x2: bad chunk",
            "a.jsonl: 2 more errors and notices not listed (2 errors; the first 3 are listed)",
            "c.evtx: 1 more errors and notices not listed (0 errors; the first 3 are listed)"], errors.Select(e => e.ToString()));
        Assert.False(errors[^2].Notice);
        Assert.True(errors[^1].Notice);
        // Echoed: the listed errors, and the one line saying a.jsonl's rest are counted (c.evtx's were notices, not echoed).
        Assert.Equal(["vigil: a.jsonl: line 1: bad", "vigil: a.jsonl: line 2: bad", "vigil: a.jsonl: line 3: bad",
            "vigil: a.jsonl: more than 3 errors and notices; the rest are counted, not listed", "vigil: b.evtx: offset 0x2: bad chunk"],
            echo.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }
}
