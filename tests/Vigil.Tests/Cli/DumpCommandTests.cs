using System.Text.Json;

namespace Vigil.Tests.Cli;

public class DumpCommandTests
{
    [Fact]
    public void Dump_of_an_evtx_file_writes_one_object_per_record_in_file_order()
    {
        var evtx = Path.Combine(TestPaths.Shared, "data", "evtx", "DeepBlueCLI", "password-spray.evtx");
        var r = CliRunner.Run("dump", evtx);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        var ids = new List<long>();
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            ids.Add(root.GetProperty("EventRecordID").GetInt64());
            Assert.Equal(JsonValueKind.Number, root.GetProperty("EventID").ValueKind);
            Assert.Equal("Security", root.GetProperty("Channel").GetString());
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Computer").GetString()));
            Assert.EndsWith("Z", root.GetProperty("TimeCreated").GetString());
        }
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Dump_of_a_json_lines_file_gives_every_line_once()
    {
        var file = Path.Combine(TestPaths.Shared, "data", "json", "otrf", "windows__credential_access__host__cmd_sam_copy_esentutl.json");
        int expected = File.ReadLines(file).Count(l => l.Trim().Length > 0);
        var dir = CliRunner.TempDir("dump-json");
        var output = Path.Combine(dir, "events.jsonl");
        var r = CliRunner.Run("dump", file, "--output", output);
        Assert.Equal(0, r.ExitCode);
        var lines = File.ReadAllLines(output);
        Assert.Equal(expected, lines.Length);
        foreach (var line in lines) JsonDocument.Parse(line).Dispose();
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("otrf/aws__collection__ec2_proxy_s3_exfiltration.json")]
    [InlineData("otrf/windows__discovery__host__covenant_getdomaingroup_ldap_searchrequest_domain_admins.json")]
    public void A_detections_event_is_the_dump_of_that_event(string name)
    {
        // Real JSON lines with nested objects and arrays (CloudTrail, Winlogbeat). A rule that fires on every event:
        // each detection's "event" must be exactly the dump's line for it. Containers are written once, through their
        // leaves (they used to come out twice: the raw text as an extra array element, then each element).
        var file = Path.Combine(TestPaths.Shared, "data", "json", name);
        var dir = CliRunner.TempDir("dump-vs-hunt");
        var rule = Path.Combine(dir, "every-event.yml");
        File.WriteAllText(rule, "title: Every event\nid: 6f1d3a52-0c1e-4b7a-9a43-2b8f7c0d9e11\nlogsource: {}\n"
            + "detection:\n  selection:\n    NoSuchField: zzz\n  condition: not selection\nlevel: low\n");
        var dump = Path.Combine(dir, "dump.jsonl");
        var hunt = Path.Combine(dir, "hunt.jsonl");
        Assert.Equal(0, CliRunner.Run("dump", file, "--output", dump).ExitCode);
        Assert.Equal(0, CliRunner.Run("hunt", file, "--no-builtin", "--rules", rule, "--format", "jsonl", "--output", hunt).ExitCode);
        var events = File.ReadAllLines(dump);
        Assert.Equal(File.ReadLines(file).Count(), events.Length);   // no blank lines: dump line i is file line i + 1
        Assert.Contains(events, l => l.Contains("\":[\""));          // arrays are exercised
        if (name.Contains("windows")) Assert.All(events, l => Assert.Contains("\"tags\":[\"mordorDataset\"]", l));   // a one-element array stays one
        var detections = File.ReadAllLines(hunt);
        Assert.Equal(events.Length, detections.Length);
        foreach (var d in detections)
        {
            using var doc = JsonDocument.Parse(d);
            long line = doc.RootElement.GetProperty("line").GetInt64();
            Assert.Equal(events[line - 1], doc.RootElement.GetProperty("event").GetRawText());
        }
        foreach (var e in events)
        {
            using var doc = JsonDocument.Parse(e);
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.ValueKind == JsonValueKind.Array)
                    Assert.DoesNotContain(p.Value.EnumerateArray(), v => v.ValueKind is JsonValueKind.Array);   // no raw copy of the array inside it
        }
    }

    [Fact]
    public void A_folder_is_searched_recursively_and_unknown_files_are_skipped_quietly()
    {
        var dir = CliRunner.TempDir("dump-folder");
        Directory.CreateDirectory(Path.Combine(dir, "sub", "deeper"));
        File.WriteAllText(Path.Combine(dir, "README.txt"), "not a log\n");
        File.WriteAllText(Path.Combine(dir, "sub", "a.log"), "{\"EventID\":1,\"Channel\":\"x\"}\n{\"EventID\":2}\n");
        File.Copy(Path.Combine(TestPaths.Shared, "data", "evtx", "DeepBlueCLI", "password-spray.evtx"), Path.Combine(dir, "sub", "deeper", "spray.dat"));
        var r = CliRunner.Run("dump", dir);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("README", r.Error);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.Contains("\"EventID\":2"));
        Assert.Contains(lines, l => l.Contains("\"Channel\":\"Security\""));
    }

    [Fact]
    public void Dump_output_is_deterministic_across_thread_counts()
    {
        var dir = Path.Combine(TestPaths.Shared, "data", "evtx", "DeepBlueCLI");
        var one = CliRunner.Run("dump", dir, "--threads", "1");
        var four = CliRunner.Run("dump", dir, "--threads", "4");
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(one.Out, four.Out);
    }
}
