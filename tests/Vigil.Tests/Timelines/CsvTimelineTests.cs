using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Outputs;
using Vigil.Tests.Cli;
using static Vigil.Tests.Timelines.TimelineSupport;

namespace Vigil.Tests.Timelines;

/// <summary>The CSV timeline (--timeline and --format csv) read back with a strict RFC 4180 parser and compared
/// with the JSON lines of the same hunt.</summary>
[Collection(HuntOutputsCollection.Name)]
public sealed class CsvTimelineTests(HuntOutputs hunt)
{
    private static readonly string[] Header = ["Timestamp", "Computer", "Channel", "EventID", "RecordID", "Level", "RuleTitle", "RuleID", "Tags", "Source", "Details"];

    /// <summary>Fields with their own columns, left out of Details (as the CSV documents).</summary>
    private static readonly HashSet<string> SystemFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "EventID", "Channel", "Computer", "Hostname", "EventRecordID", "TimeCreated", "@timestamp", "Provider_Name",
        "Provider_Guid", "Version", "Level", "Task", "Opcode", "Keywords", "Execution_ProcessID", "Execution_ThreadID",
        "Correlation_ActivityID", "Correlation_RelatedActivityID", "Security_UserID", "EventID_Qualifiers", "Message",
    };

    [Fact]
    public void Timeline_file_is_strict_rfc4180_with_a_bom_and_matches_the_jsonl()
    {
        var bytes = File.ReadAllBytes(hunt.Csv);
        Assert.True(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), "a timeline file starts with the UTF-8 BOM (Excel)");
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 3, bytes.Length - 3);
        var records = ParseCsv(text);
        Assert.Equal(Header, records[0]);
        Assert.Equal(hunt.Detections.Count + 1, records.Count);
        int withDetails = 0, checkedValues = 0;
        for (int i = 0; i < hunt.Detections.Count; i++)
        {
            var d = hunt.Detections[i];
            var r = records[i + 1];
            Assert.Equal(Header.Length, r.Length);
            string where = $"row {i + 1}";
            Assert.True(d.Time() is { } t ? r[0] == t.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) : r[0] == "", $"{where}: time {r[0]} vs {d.Str("timestamp")}");
            Assert.Equal(Guard(d.Str("computer")), r[1]);
            Assert.Equal(Guard(d.Str("channel")), r[2]);
            Assert.Equal(d.Str("event_id"), r[3]);
            Assert.Equal(d.Str("record_id"), r[4]);
            Assert.Equal(d.Str("level"), r[5]);
            Assert.Equal(Guard(d.Str("rule_title")), r[6]);
            Assert.Equal(d.Str("rule_id"), r[7]);
            Assert.Equal(Guard(d.Tags(" ")), r[8]);
            Assert.Equal(Guard(d.Str("source")), r[9]);
            // Every plain text field of the event (not a system field, not empty or "-") is in Details as "Name: value".
            bool any = false;
            foreach (var p in d.GetProperty("event").EnumerateObject())
            {
                if (SystemFields.Contains(p.Name) || p.Value.ValueKind != JsonValueKind.String) continue;
                string v = p.Value.GetString()!;
                if (v.Length == 0 || v == "-") continue;
                any = true;
                Assert.Contains($"{p.Name}: {v}", r[10]);
                checkedValues++;
            }
            if (any) { Assert.NotEqual("", r[10]); withDetails++; }
        }
        Assert.True(withDetails > hunt.Detections.Count / 2 && checkedValues > 500, $"{withDetails} rows with details, {checkedValues} values checked");
        // Sorted by time as text: the column sorts like the times.
        var times = records.Skip(1).Select(r => r[0]).Where(t => t.Length > 0).ToList();
        Assert.Equal(times.OrderBy(t => t, StringComparer.Ordinal), times);
    }

    [Fact]
    public void Csv_on_stdout_is_the_timeline_file_without_the_bom()
    {
        var r = CliRunner.Run(["hunt", .. hunt.Inputs, "--format", "csv", "--quiet"]);
        Assert.Equal(0, r.ExitCode);
        var file = File.ReadAllBytes(hunt.Csv);
        Assert.Equal(Encoding.UTF8.GetString(file, 3, file.Length - 3), r.Out);
        Assert.False(r.Out.StartsWith('\uFEFF'));
    }

    [Fact]
    public void Cells_a_spreadsheet_would_run_as_formulas_are_defused_and_quoting_round_trips()
    {
        var d = RealEventDetections(Evtx.EvtxTestSupport.Sample(Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx")), 2);
        var evil = new Vigil.Engine.Hunting.Detection
        {
            Rule = d[1].Rule, TimestampTicks = d[1].TimestampTicks, Computer = "=HYPERLINK(\"http://x\",\"y\")", Channel = "@SUM(1)",
            EventId = d[1].EventId, RecordId = d[1].RecordId, Origin = d[1].Origin, Fields = d[1].Fields,
        };
        using var ms = new MemoryStream();
        using (var w = new CsvTimelineWriter(ms, byteOrderMark: false)) { w.Write(d[0]); w.Write(evil); }
        var rows = ParseCsv(Encoding.UTF8.GetString(ms.ToArray()));
        Assert.Equal(3, rows.Count);
        Assert.Equal("'=HYPERLINK(\"http://x\",\"y\")", rows[2][1]);
        Assert.Equal("'@SUM(1)", rows[2][2]);
        Assert.Equal("Logon from \"odd\", host", rows[2][6]); // the rule title needs quoting: comma and quotes
        Assert.Equal(d[0].Computer, rows[1][1]);
    }
}
