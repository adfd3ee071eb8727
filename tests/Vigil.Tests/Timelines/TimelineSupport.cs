using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Campaigns;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Outputs;
using Vigil.Readers.Evtx;
using Vigil.Rules;
using Vigil.Tests.Cli;
using Vigil.Tests.Evtx;
using Vigil.Tests.Json;

namespace Vigil.Tests.Timelines;

/// <summary>The tests that read the one shared hunt's outputs (run once for all of them, the classes one after another).</summary>
[CollectionDefinition(Name)]
public sealed class HuntOutputsCollection : ICollectionFixture<HuntOutputs>
{
    public const string Name = "timeline hunt outputs";
}

/// <summary>One real hunt over the shared EVTX and OTRF JSON data with every timeline output at once, read back by
/// the tests in this folder.</summary>
public sealed class HuntOutputs
{
    public string Dir { get; } = CliRunner.TempDir("timelines");
    public string Jsonl => Path.Combine(Dir, "detections.jsonl");
    public string Csv => Path.Combine(Dir, "timeline.csv");
    public string Timesketch => Path.Combine(Dir, "timesketch.jsonl");
    public string Sqlite => Path.Combine(Dir, "hunt.db");
    public string[] Inputs { get; } = [EvtxTestSupport.SampleRoot, JsonTestSupport.OtrfFolder];
    public List<JsonElement> Detections { get; }
    public CliRunner.Result Run { get; }

    public HuntOutputs()
    {
        Run = CliRunner.Run(["hunt", .. Inputs, "--format", "jsonl", "--output", Jsonl, "--timeline", Csv,
            "--timesketch", Timesketch, "--sqlite", Sqlite, "--quiet"]);
        Assert.True(Run.ExitCode == 0, $"hunt exit {Run.ExitCode}: {Run.Error}");
        Detections = File.ReadLines(Jsonl).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.True(Detections.Count >= 50, $"only {Detections.Count} detections over the shared data");
    }
}

internal static class TimelineSupport
{
    /// <summary>
    /// A strict RFC 4180 reader: records end in CRLF (the last one too), a field is either unquoted (no quote, CR or
    /// LF inside) or quoted (quotes doubled inside, and a quote closes it only before a comma, CRLF or the end).
    /// Anything else fails the test with the place.
    /// </summary>
    public static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var row = new List<string>();
        var cell = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    Assert.True(i < text.Length, "unterminated quoted field at end of file");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    cell.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    Assert.True(text[i] != '"', $"bare quote inside an unquoted field at char {i} (record {records.Count + 1})");
                    cell.Append(text[i++]);
                }
            }
            row.Add(cell.ToString());
            cell.Clear();
            Assert.True(i < text.Length, $"record {records.Count + 1} does not end in CRLF");
            if (text[i] == ',') { i++; continue; }
            Assert.True(text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n', $"bare CR or LF outside quotes at char {i} (record {records.Count + 1})");
            i += 2;
            records.Add(row.ToArray());
            row.Clear();
        }
        return records;
    }

    /// <summary>The spreadsheet guard the CSV documents: a leading apostrophe before = + - @ TAB CR.</summary>
    public static string Guard(string s) => s.Length > 0 && "=+-@\t\r".Contains(s[0]) ? "'" + s : s;

    public static string Str(this JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Null => "",
            _ => v.GetRawText(),
        } : throw new Xunit.Sdk.XunitException($"no '{name}' in {o.GetRawText()[..Math.Min(200, o.GetRawText().Length)]}");

    public static DateTime? Time(this JsonElement o) =>
        o.GetProperty("timestamp").ValueKind == JsonValueKind.Null ? null
            : DateTime.Parse(o.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public static string Tags(this JsonElement o, string separator) =>
        string.Join(separator, o.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

    /// <summary>Detections built from real events of a shared EVTX file (the first <paramref name="count"/> records),
    /// under made-up rules: for driving the sinks directly, e.g. with campaigns, which no hunt produces yet.</summary>
    public static List<Detection> RealEventDetections(string file, int count)
    {
        var rules = new[]
        {
            new SigmaRule { Id = "11111111-1111-1111-1111-111111111111", Title = "Failed logon burst", Level = "medium", Tags = ["attack.credential-access", "attack.t1110"] },
            new SigmaRule { Id = "22222222-2222-2222-2222-222222222222", Title = "Logon from \"odd\", host", Level = "high", Tags = [] },
        };
        var list = new List<Detection>();
        var diag = new DiagnosticsCollector();
        var ev = new Event();
        foreach (var p in new EvtxFormat().Partition(file, diag))
        {
            p.Read(ev, e =>
            {
                if (list.Count >= count) return;
                list.Add(new Detection
                {
                    Rule = rules[list.Count % 2],
                    TimestampTicks = e.TimestampTicks,
                    Computer = EventFacts.Computer(e),
                    Channel = EventFacts.Channel(e),
                    EventId = EventFacts.EventId(e),
                    RecordId = EventFacts.RecordId(e),
                    Origin = e.Origin,
                    Fields = EventFacts.Snapshot(e),
                });
            }, diag);
            if (list.Count >= count) break;
        }
        Assert.Equal(count, list.Count);
        return list;
    }

    public static Campaign Campaign(string id, IReadOnlyList<long> detectionIds, IReadOnlyList<string> hosts, DateTime first, DateTime last) => new()
    {
        Id = id, Score = 72.5, Kind = "intrusion", Hosts = hosts, Users = ["DESKTOP-M5SN04R\\admin"], InternalAddresses = ["192.168.198.149"],
        ExternalAddresses = [], Tactics = ["credential-access"], Techniques = ["T1110"], FirstSeen = first, LastSeen = last,
        DetectionIds = detectionIds, Levels = new Dictionary<string, long> { ["medium"] = detectionIds.Count },
        Operator = new OperatorVerdict { Kind = "machine", Confidence = 0.9, Evidence = new Dictionary<string, double> { ["interval_cv"] = 0.05 }, Reasons = ["fixed interval"] },
        Summary = "A password guess run against one host.", Steps = [], Links = [], Theft = [],
    };

    public static HuntSummary Summary(long detections, IReadOnlyList<Campaign> campaigns) =>
        new([], new ReadStats(), [], 2, detections, new Dictionary<string, long>(), campaigns, DateTime.UtcNow, TimeSpan.FromSeconds(1));
}
