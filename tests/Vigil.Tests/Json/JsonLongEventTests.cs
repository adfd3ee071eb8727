using System.Text;
using System.Text.Json;

namespace Vigil.Tests.Json;

/// <summary>
/// An event longer than the reader's limit (a line, or an element of an array or of CloudTrail's Records) is reported
/// with its place and skipped without being held; every other event is read as if it were not there, at its own line.
/// The limit is 16 MB in use; these tests use 16 KB with 4 KB blocks, over a real recording.
/// </summary>
public class JsonLongEventTests
{
    private const int Block = 4096, Max = 16384;
    private static string Security => Path.Combine(JsonTestSupport.OtrfFolder, "windows__credential_access__host__cmd_sam_copy_esentutl.json");

    [Fact]
    public void A_line_over_the_limit_is_skipped_and_the_rest_read_at_their_lines()
    {
        var lines = File.ReadAllLines(Security);
        Assert.True(lines.Length > 40);
        var big = "{\"EventID\":1,\"CommandLine\":\"" + new string('a', 40_000) + "\"}";
        var zeros = new string('\0', 30_000);
        var text = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            if (i == 10) text.Append(big).Append("\r\n");        // line 11: a real (if absurd) event
            if (i == 20) text.Append(zeros).Append('\n');         // line 22: a zero-filled region
            text.Append(lines[i]).Append("\r\n");
        }
        text.Append(zeros);                                        // a zero-filled tail without a newline
        using var dir = new TempDir();
        var path = dir.File("security.json", text.ToString());

        var expected = JsonTestSupport.ReadAll(Security, Block);
        var actual = JsonTestSupport.ReadAll(path, Block, Max);
        Assert.Equal(expected.Events.Count, actual.Events.Count);
        for (int i = 0; i < expected.Events.Count; i++)
        {
            long old = expected.Events[i].Origin.Line;
            Assert.Equal(old + (old > 10 ? 1 : 0) + (old > 20 ? 1 : 0), actual.Events[i].Origin.Line);
            Assert.Equal(expected.Events[i].Describe(true), actual.Events[i].Describe(true));
        }
        Assert.Collection(actual.Errors,
            e => Assert.Equal((11L, "a line of 40,032 bytes, over the 16,384 bytes an event may take: skipped (a damaged or zero-filled region?)"), (e.Line!.Value, e.Message)),
            e => Assert.Equal((22L, "a line of 30,001 bytes, over the 16,384 bytes an event may take: skipped (a damaged or zero-filled region?)"), (e.Line!.Value, e.Message)),
            e =>
            {
                Assert.Equal(lines.Length + 3L, e.Line);
                Assert.Equal(Encoding.UTF8.GetByteCount(text.ToString()) - 30_000, e.Offset);
                Assert.Contains("a line of 30,000 bytes (to the end of the data)", e.Message);
            });
        Assert.Equal(Encoding.UTF8.GetByteCount(string.Join("", lines.Take(10).Select(l => l + "\r\n"))), actual.Errors[0].Offset);
    }

    /// <summary>The recording's events as CloudTrail delivers them, with a 40 KB object of many small fields and a 40 KB
    /// array (not an object: skipped as ever) among them, pretty-printed or on one line.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_records_element_over_the_limit_is_skipped_and_the_rest_read(bool indented)
    {
        var ms = new MemoryStream();
        int n = 0;
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteStartArray("Records");
            foreach (var line in File.ReadLines(Security).Where(l => l.Trim().Length > 0))
            {
                if (n == 5)
                {
                    w.WriteStartObject();
                    for (int f = 0; f < 400; f++) w.WriteString($"field{f}", new string('b', 90));
                    w.WriteEndObject();
                }
                if (n == 9)
                {
                    w.WriteStartArray();
                    for (int f = 0; f < 400; f++) w.WriteStringValue(new string('c', 90));
                    w.WriteEndArray();
                }
                using var doc = JsonDocument.Parse(line);
                doc.WriteTo(w);
                n++;
            }
            w.WriteEndArray();
            w.WriteString("logFileVersion", "1.0");
            w.WriteEndObject();
        }
        using var dir = new TempDir();
        var bytes = ms.ToArray();
        var path = dir.File("delivery.json", bytes);
        var actual = JsonTestSupport.ReadAll(path, Block, Max);
        var expected = JsonTestSupport.ReadAll(Security, Block);
        Assert.Equal(n, actual.Events.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected.Events[i].Describe(false), actual.Events[i].Describe(false));
            // Each origin is the element's '{' and names its line, past the skipped bytes too.
            var at = actual.Events[i].Origin;
            Assert.Equal((byte)'{', bytes[at.Offset]);
            Assert.Equal(bytes.AsSpan(0, (int)at.Offset).Count((byte)'\n') + 1, at.Line);
        }
        Assert.Equal(2, actual.Errors.Count);
        Assert.Equal("a JSON element of over 16,384 bytes, more than an event may take: skipped", actual.Errors[0].Message);
        Assert.Equal((byte)'{', bytes[actual.Errors[0].Offset!.Value]);
        Assert.Equal(bytes.AsSpan(0, (int)actual.Errors[0].Offset!.Value).Count((byte)'\n') + 1, actual.Errors[0].Line);
        Assert.Contains("JSON value is an array, not an object", actual.Errors[1].Message);
        Assert.Equal((byte)'[', bytes[actual.Errors[1].Offset!.Value]);
    }

    [Fact]
    public void One_token_over_the_limit_ends_the_file_after_the_events_before_it()
    {
        var events = File.ReadLines(Security).Where(l => l.Trim().Length > 0).Take(6).ToList();
        var json = "[" + string.Join(",", events.Take(3)) + ",{\"CommandLine\":\"" + new string('d', 40_000) + "\"}," + string.Join(",", events.Skip(3)) + "]";
        using var dir = new TempDir();
        var path = dir.File("array.json", json);
        var actual = JsonTestSupport.ReadAll(path, Block, Max);
        Assert.Equal(3, actual.Events.Count);
        // The element is skipped once it passes the limit; then its one token is found to fill the buffer alone.
        Assert.Equal(2, actual.Errors.Count);
        Assert.Equal("a JSON element of over 16,384 bytes, more than an event may take: skipped", actual.Errors[0].Message);
        Assert.Equal(json.IndexOf("{\"CommandLine\":\"ddd", StringComparison.Ordinal), actual.Errors[0].Offset);
        Assert.Equal("a JSON value of over 16,384 bytes in one token; the rest of the file is skipped", actual.Errors[1].Message);
        Assert.Equal(json.IndexOf("\"" + new string('d', 10), StringComparison.Ordinal), actual.Errors[1].Offset);
    }

    /// <summary>An event of more values than <see cref="Vigil.Events.Event.MaxFields"/> keeps its first ones, is reported,
    /// and a container met after the limit does not overwrite a kept value; through both decoding paths (an escaped key
    /// sends a line to the reader path).</summary>
    [Theory]
    [InlineData("a")]
    [InlineData("esc\\u0041")]
    public void An_event_of_too_many_values_keeps_its_first_ones_and_is_reported(string key)
    {
        var values = string.Join(",", Enumerable.Range(0, 70_000));
        var text = "{\"EventID\":1,\"" + key + "\":[" + values + "],\"b\":{\"c\":\"x\"},\"d\":[5]}\n{\"EventID\":2}\n";
        using var dir = new TempDir();
        var path = dir.File("wide.json", text);
        var r = JsonTestSupport.ReadAll(path);
        Assert.Equal(2, r.Events.Count);
        var wide = r.Events[0];
        Assert.Equal(Vigil.Events.Event.MaxFields, wide.Fields.Count);
        Assert.Equal(Vigil.Events.ValueKind.RawJson, wide.Fields[1].Kind);   // the array's own text, filled in
        Assert.StartsWith("[0,1,2,", wide.Fields[1].Text);
        Assert.Equal((Vigil.Events.ValueKind.Int64, "65533"), (wide.Fields[^1].Kind, wide.Fields[^1].Text));
        Assert.Equal("2", r.Events[1].Fields[0].Text);
        var error = Assert.Single(r.Errors);
        Assert.Equal(1, error.Line);
        Assert.Equal("an event of more than 65,536 fields and values: the rest are not read", error.Message);
    }
}
