using System.Text.Json;
using Vigil.Simulation;

namespace Vigil.Tests.Cli;

/// <summary>
/// The README's main job, end to end through the real CLI: simulate a day, hunt it with the built-in
/// rules only, and find the intrusion: every compromised host has serious detections, and no serious
/// detection points at a benign event.
/// </summary>
public class HuntSimulationTests
{
    private static readonly string[] Serious = ["high", "critical"];

    [Fact]
    public void Hunting_a_simulated_day_with_builtin_rules_finds_the_intrusion_and_only_it()
    {
        var dir = CliRunner.TempDir("hunt-sim");
        var sim = CliRunner.Run("simulate", "--out", dir, "--events", "8000", "--seed", "5");
        Assert.Equal(0, sim.ExitCode);
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "truth.json"))).RootElement;
        // Windows events (Zeek and CloudTrail records are named by file and line, see ScenarioTests).
        var intrusion = truth.GetProperty("intrusionEvents").EnumerateArray().Where(e => e.GetProperty("source").GetString() == "windows")
            .Select(e => (File: e.GetProperty("file").GetString()!, Id: e.GetProperty("EventRecordID").GetInt64(), Host: e.GetProperty("Hostname").GetString()!))
            .ToHashSet();

        var output = Path.Combine(dir, "detections.jsonl");
        var hunt = CliRunner.Run("hunt", Path.Combine(dir, "logs"), "--format", "jsonl", "--output", output);
        Assert.Contains("of 9 files", hunt.Error); // the four Windows logs, four Zeek logs and CloudTrail, not truth.json
        Assert.Equal(0, hunt.ExitCode);
        var detections = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(detections);

        var serious = detections.Where(d => Serious.Contains(d.GetProperty("level").GetString())).ToList();
        Assert.NotEmpty(serious);
        foreach (var d in serious)
        {
            var key = (Path.GetFileName(d.GetProperty("source").GetString()!), d.GetProperty("record_id").GetInt64(),
                d.GetProperty("event").GetProperty("Hostname").GetString()!);
            Assert.True(intrusion.Contains(key), $"serious detection on a benign event: {d}");
        }

        var hostsHit = serious.Select(d => d.GetProperty("computer").GetString()!.Split('.')[0].ToUpperInvariant()).ToHashSet();
        foreach (var host in truth.GetProperty("compromisedHosts").EnumerateArray())
            Assert.Contains(host.GetString()!.Split('.')[0].ToUpperInvariant(), hostsHit);

        // The key steps are each found by name.
        var titles = serious.Select(d => d.GetProperty("rule_title").GetString()!).ToList();
        Assert.Contains(titles, t => t.Contains("LSASS", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(titles, t => t.Contains("PsExec", StringComparison.OrdinalIgnoreCase));

        // Contract keys are all there.
        foreach (var key in new[] { "id", "timestamp", "rule_id", "rule_title", "level", "tags", "computer", "channel", "event_id", "record_id", "source" })
            Assert.True(detections[0].TryGetProperty(key, out _), key);
        Assert.EndsWith("Z", detections[0].GetProperty("timestamp").GetString());
    }

    [Fact]
    public void Hunt_output_is_identical_across_runs_thread_counts_and_formats_agree()
    {
        var dir = CliRunner.TempDir("hunt-det");
        Simulator.Run(new SimulationOptions { OutDir = dir, Events = 3000, Seed = 9 });
        var a = CliRunner.Run("hunt", dir, "--format", "jsonl", "--threads", "1");
        var b = CliRunner.Run("hunt", dir, "--format", "jsonl", "--threads", "3");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Out, b.Out);
        int n = a.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

        var csv = CliRunner.Run("hunt", dir, "--format", "csv");
        var rows = CsvRecords(csv.Out);
        Assert.Equal(["Timestamp", "Computer", "Channel", "EventID", "RecordID", "Level", "RuleTitle", "RuleID", "Tags", "Source", "Details"], rows[0]);
        Assert.Equal(n + 1, rows.Count);
        Assert.All(rows, r => Assert.Equal(11, r.Count));

        var table = CliRunner.Run("hunt", dir, "--format", "table");
        Assert.Contains($"{n} detections", table.Out);
    }

    [Fact]
    public void Min_level_keeps_only_serious_rules()
    {
        var dir = CliRunner.TempDir("hunt-level");
        Simulator.Run(new SimulationOptions { OutDir = dir, Events = 2000, Seed = 2 });
        var r = CliRunner.Run("hunt", dir, "--format", "jsonl", "--min-level", "high");
        Assert.Equal(0, r.ExitCode);
        var levels = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("level").GetString()).ToHashSet();
        Assert.NotEmpty(levels);
        Assert.Subset(new HashSet<string?>(Serious), levels);
    }

    [Fact]
    public void A_detections_event_object_is_the_dump_of_that_event()
    {
        var dir = CliRunner.TempDir("hunt-dump");
        Simulator.Run(new SimulationOptions { OutDir = dir, Events = 2000, Seed = 4 });
        var logs = Path.Combine(dir, "logs");
        var sysmon = Path.Combine(logs, "sysmon.jsonl");
        var dump = CliRunner.Run("dump", sysmon).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var hunt = CliRunner.Run("hunt", sysmon, "--format", "jsonl").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(hunt);
        foreach (var line in hunt)
        {
            var d = JsonDocument.Parse(line).RootElement;
            long n = d.GetProperty("line").GetInt64();
            Assert.Equal(dump[n - 1], d.GetProperty("event").GetRawText());
        }
    }

    /// <summary>RFC 4180 reader: quoted cells may hold commas, quotes ("") and line breaks.</summary>
    private static List<List<string>> CsvRecords(string text)
    {
        var records = new List<List<string>>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString()); cell.Clear();
                records.Add(row); row = [];
                i++;
            }
            else cell.Append(c);
        }
        Assert.False(quoted, "unterminated quoted cell");
        return records;
    }
}
