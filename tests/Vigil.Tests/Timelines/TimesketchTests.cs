using System.Globalization;
using System.Text.Json;
using Vigil.Outputs;
using Vigil.Tests.Evtx;
using static Vigil.Tests.Timelines.TimelineSupport;

namespace Vigil.Tests.Timelines;

/// <summary>The Timesketch JSON lines: Timesketch's required fields on every line, and the same detections as the
/// JSON lines of the same hunt.</summary>
[Collection(HuntOutputsCollection.Name)]
public sealed class TimesketchTests(HuntOutputs hunt)
{
    [Fact]
    public void Every_line_has_message_datetime_and_timestamp_desc_and_matches_the_jsonl()
    {
        Assert.False(File.Exists(hunt.Timesketch + ".partial"), "the partial file is gone once the hunt completed");
        var lines = File.ReadAllLines(hunt.Timesketch);
        var timed = hunt.Detections.Where(d => d.Time() is not null).ToList();
        Assert.Equal(timed.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var o = doc.RootElement;
            var d = timed[i];
            Assert.Equal(JsonValueKind.Object, o.ValueKind);
            // Timesketch's three required fields.
            string message = o.GetProperty("message").GetString()!;
            Assert.Contains(d.Str("rule_title"), message);
            string dt = o.GetProperty("datetime").GetString()!;
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$", dt);
            var parsed = DateTimeOffset.Parse(dt, CultureInfo.InvariantCulture);
            Assert.Equal(TimeSpan.Zero, parsed.Offset);
            Assert.InRange((parsed.UtcDateTime - d.Time()!.Value).TotalMilliseconds, 0, 0.9999); // jsonl has milliseconds
            Assert.Equal("Event Recorded", o.GetProperty("timestamp_desc").GetString());
            Assert.Equal((parsed.UtcDateTime - DateTime.UnixEpoch).Ticks / 10, o.GetProperty("timestamp").GetInt64());
            // Attributes.
            Assert.Equal(d.GetProperty("id").GetInt64(), o.GetProperty("detection_id").GetInt64());
            foreach (var k in new[] { "rule_title", "rule_id", "level", "computer", "channel", "source" })
                Assert.Equal(d.Str(k), o.Str(k));
            Assert.Equal(d.Str("event_id"), o.TryGetProperty("event_id", out _) ? o.Str("event_id") : "");
            Assert.Equal(d.Str("record_id"), o.TryGetProperty("record_id", out _) ? o.Str("record_id") : "");
            Assert.Equal(d.Tags(", "), o.Str("tags"));
            Assert.False(o.TryGetProperty("campaign_id", out _), "no campaigns in this hunt");
        }
    }

    [Fact]
    public void Campaign_ids_are_added_to_the_lines_of_their_detections()
    {
        var dets = RealEventDetections(EvtxTestSupport.Sample(Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx")), 40);
        var dir = Cli.CliRunner.TempDir("timesketch-campaigns");
        string path = Path.Combine(dir, "ts.jsonl");
        var notes = new StringWriter();
        using (var sink = new TimesketchSink(path, notes))
        {
            // Detection 10 is not in the file (as an untimed one would not be), though campaign C1 names it.
            for (int i = 0; i < dets.Count; i++) if (i != 9) sink.Add(i + 1, dets[i]);
            var c1 = Campaign("C1", [17, 10, 3, 2], ["DESKTOP-M5SN04R"], dets[1].Timestamp!.Value, dets[16].Timestamp!.Value);
            var c2 = Campaign("C2", [40, 17, 11, 99], ["DESKTOP-M5SN04R"], dets[16].Timestamp!.Value, dets[39].Timestamp!.Value);
            sink.Complete(Summary(dets.Count, [c1, c2]));
        }
        Assert.False(File.Exists(path + ".partial"));
        var got = File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.Equal(39, got.Count);
        for (int i = 0; i < got.Count; i++)
        {
            long id = got[i].GetProperty("detection_id").GetInt64();
            Assert.Equal(i < 9 ? i + 1 : i + 2, id);
            string? expected = id switch { 2 or 3 => "C1", 17 => "C1,C2", 11 or 40 => "C2", _ => null };
            Assert.Equal(expected, got[i].TryGetProperty("campaign_id", out var c) ? c.GetString() : null);
            Assert.Equal(dets[(int)id - 1].Computer, got[i].Str("computer"));
        }
        Assert.Equal("", notes.ToString());
    }
}
