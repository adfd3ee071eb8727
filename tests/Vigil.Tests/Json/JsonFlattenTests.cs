using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

public class JsonFlattenTests
{
    // A Winlogbeat-like event: nested objects, arrays of scalars and of objects, null, big integers,
    // unicode escapes and escaped quotes/backslashes.
    private const string Winlogbeat = """
        {"@timestamp":"2021-03-04T05:06:07.123Z","event":{"code":1,"kind":"event"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,"record_id":18446744073709551615,"big":-9223372036854775808,"ratio":0.25,"exp":1e3,"event_data":{"CommandLine":"cmd.exe /c \"echo hi\" > C:\\temp\\x.txt","Image":"C:\\Windows\\System32\\cmd.exe","User":"caf\u00e9 \ud83d\ude00","ParentImage":null,"Empty":""}},"tags":["beats","sysmon",3,true,null],"related":{"hash":[{"algo":"SHA1","value":"AA"},{"algo":"MD5","value":"BB"}]},"emptyObj":{},"emptyArr":[],"flag":false}
        """;

    private static EventSnap ReadOne(string json)
    {
        using var dir = new TempDir();
        var r = JsonTestSupport.ReadAll(dir.File("one.json", json + "\n"));
        Assert.Empty(r.Errors);
        return Assert.Single(r.Events);
    }

    [Fact]
    public void NestedObjectsBecomeDottedNamesAndStayReachableAsRawJson()
    {
        var e = ReadOne(Winlogbeat);
        Assert.Equal("cmd.exe /c \"echo hi\" > C:\\temp\\x.txt", e.Get("winlog.event_data.CommandLine"));
        Assert.Equal(@"C:\Windows\System32\cmd.exe", e.Get("winlog.event_data.Image"));
        Assert.Equal("café 😀", e.Get("winlog.event_data.User"));
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", e.Get("winlog.channel"));

        // The container comes before its children, as raw JSON that parses to the same object.
        var names = e.Fields.Select(f => f.Name).ToList();
        int container = names.IndexOf("winlog.event_data");
        Assert.True(container >= 0 && container < names.IndexOf("winlog.event_data.CommandLine"));
        var raw = e.All("winlog.event_data").Single();
        Assert.Equal(ValueKind.RawJson, raw.Kind);
        using (var doc = JsonDocument.Parse(raw.Text))
            Assert.Equal("cmd.exe /c \"echo hi\" > C:\\temp\\x.txt", doc.RootElement.GetProperty("CommandLine").GetString());
        var winlog = e.All("winlog").Single();
        Assert.Equal(ValueKind.RawJson, winlog.Kind);
        Assert.StartsWith("{\"channel\":", winlog.Text);
        Assert.EndsWith("\"Empty\":\"\"}}", winlog.Text);
        Assert.Equal("{}", e.Get("emptyObj"));
        Assert.Equal("[]", e.Get("emptyArr"));
    }

    [Fact]
    public void NumbersStayNumbersAndNullIsPresentButNull()
    {
        var e = ReadOne(Winlogbeat);
        var byName = e.Fields.Where(f => f.Kind != ValueKind.RawJson).GroupBy(f => f.Name).ToDictionary(g => g.Key, g => g.First());
        Assert.Equal(new FieldSnap("winlog.event_id", ValueKind.Int64, "1"), byName["winlog.event_id"]);
        Assert.Equal(new FieldSnap("winlog.record_id", ValueKind.UInt64, "18446744073709551615"), byName["winlog.record_id"]);
        Assert.Equal(new FieldSnap("winlog.big", ValueKind.Int64, "-9223372036854775808"), byName["winlog.big"]);
        Assert.Equal(new FieldSnap("winlog.ratio", ValueKind.Double, "0.25"), byName["winlog.ratio"]);
        Assert.Equal(ValueKind.Double, byName["winlog.exp"].Kind);
        Assert.Equal(ValueKind.Boolean, byName["flag"].Kind);
        Assert.Equal("false", byName["flag"].Text);
        Assert.Equal(ValueKind.String, byName["winlog.event_data.Empty"].Kind);
        Assert.Equal("", byName["winlog.event_data.Empty"].Text);

        // null: present, kind Null; a field never written: absent.
        Assert.Equal(ValueKind.Null, byName["winlog.event_data.ParentImage"].Kind);
        Assert.DoesNotContain(e.Fields, f => f.Name.Equals("winlog.event_data.ParentCommandLine", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void NumbersBeyondDoubleRangeKeepTheirText()
    {
        // The reader parses 1e400 as +Infinity; the event keeps what the log said instead.
        var e = ReadOne("""{"big":1e400,"small":-1e400,"tiny":1e-400,"fine":1.5e300}""");
        var byName = e.Fields.ToDictionary(f => f.Name);
        Assert.Equal(new FieldSnap("big", ValueKind.String, "1e400"), byName["big"]);
        Assert.Equal(new FieldSnap("small", ValueKind.String, "-1e400"), byName["small"]);
        Assert.Equal(ValueKind.Double, byName["tiny"].Kind);   // underflow to 0 is a number, not an error
        Assert.Equal(ValueKind.Double, byName["fine"].Kind);
    }

    [Fact]
    public void ArraysRepeatTheFieldName()
    {
        var e = ReadOne(Winlogbeat);
        // Array of scalars: the raw array first, then each element under the same name, typed.
        Assert.Equal(
            ["RawJson:[\"beats\",\"sysmon\",3,true,null]", "String:beats", "String:sysmon", "Int64:3", "Boolean:true", "Null:"],
            e.All("tags").Select(f => $"{f.Kind}:{f.Text}").ToArray());
        // Array of objects: each element flattened under the same prefix, in order.
        Assert.Equal(["SHA1", "MD5"], e.All("related.hash.algo").Select(f => f.Text).ToArray());
        Assert.Equal(["AA", "BB"], e.All("related.hash.value").Select(f => f.Text).ToArray());
        Assert.Equal(
            ["[{\"algo\":\"SHA1\",\"value\":\"AA\"},{\"algo\":\"MD5\",\"value\":\"BB\"}]", "{\"algo\":\"SHA1\",\"value\":\"AA\"}", "{\"algo\":\"MD5\",\"value\":\"BB\"}"],
            e.All("related.hash").Select(f => f.Text).ToArray());
    }

    [Fact]
    public void TheWholeSampleMatchesTheReferenceFlattening()
    {
        var e = ReadOne(Winlogbeat);
        using var doc = JsonDocument.Parse(Winlogbeat);
        var expected = new List<FieldSnap>();
        JsonOtrfTests.ExpectedFlatten(doc.RootElement, "", expected);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", e.Fields));
    }

    [Fact]
    public void EscapedKeysAndValuesAreUnescaped()
    {
        var e = ReadOne("""{"a\u0062c":{"k\"q":"v\tw"},"plain":"\u0041\u00df\u4e2d"}""");
        Assert.Equal("v\tw", e.Get("abc.k\"q"));
        Assert.Equal("Aß中", e.Get("plain"));
    }

    [Fact]
    public void ValuesFromLaterEventsDoNotOverwriteEarlierOnesDuringTheCallback()
    {
        // Many long values in one event make the char buffer grow mid-event; earlier values must stay intact.
        var big = string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"f{i}\":\"{new string((char)('a' + i % 26), 300)}\""));
        var e = ReadOne("{" + big + "}");
        for (int i = 0; i < 200; i++) Assert.Equal(new string((char)('a' + i % 26), 300), e.Get($"f{i}"));
    }

    [Fact]
    public void FieldIdsAreSharedWithTheProcessWideTable()
    {
        using var dir = new TempDir();
        var path = dir.File("ids.json", "{\"EventID\":4688,\"Channel\":\"Security\"}\n");
        var diag = new DiagnosticsCollector();
        var seen = new List<(bool, long)>();
        foreach (var p in new JsonFormat().Partition(path, diag))
            p.Read(new Event(), ev => seen.Add((ev.TryGet(WellKnownFields.EventID, out var v), v.Int64)), diag);
        Assert.Equal([(true, 4688L)], seen);
    }
}
