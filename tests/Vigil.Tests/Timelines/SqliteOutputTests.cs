using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vigil.Outputs;
using Vigil.Tests.Evtx;
using Xunit.Abstractions;
using static Vigil.Tests.Timelines.TimelineSupport;

namespace Vigil.Tests.Timelines;

/// <summary>The SQLite output read back with Microsoft.Data.Sqlite and with the sqlite3 command-line shell, against
/// the JSON lines of the same hunt.</summary>
[Collection(HuntOutputsCollection.Name)]
public sealed class SqliteOutputTests(HuntOutputs hunt, ITestOutputHelper output)
{
    private static SqliteConnection Open(string path)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static object? Scalar(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = sql;
        return c.ExecuteScalar();
    }

    [Fact]
    public void Detection_rows_are_the_jsonl_detections()
    {
        using var db = Open(hunt.Sqlite);
        using var c = db.CreateCommand();
        c.CommandText = "SELECT id, timestamp, rule_id, rule_title, level, tags, computer, channel, event_id, record_id, source, event_json, details FROM detections ORDER BY id";
        using var r = c.ExecuteReader();
        int n = 0;
        while (r.Read())
        {
            var d = hunt.Detections[n++];
            Assert.Equal(d.GetProperty("id").GetInt64(), r.GetInt64(0));
            Assert.Equal(d.Str("timestamp"), r.IsDBNull(1) ? "" : r.GetString(1));
            Assert.Equal(d.Str("rule_id"), r.GetString(2));
            Assert.Equal(d.Str("rule_title"), r.GetString(3));
            Assert.Equal(d.Str("level"), r.GetString(4));
            Assert.Equal(d.Tags(" "), r.GetString(5));
            Assert.Equal(d.Str("computer"), r.GetString(6));
            Assert.Equal(d.Str("channel"), r.GetString(7));
            Assert.Equal(d.Str("event_id"), r.IsDBNull(8) ? "" : r.GetInt64(8).ToString());
            Assert.Equal(d.Str("record_id"), r.IsDBNull(9) ? "" : r.GetInt64(9).ToString());
            Assert.Equal(d.Str("source"), r.GetString(10));
            Assert.Equal(d.GetProperty("event").GetRawText(), r.GetString(11));
            Assert.Equal("integer", r.IsDBNull(8) ? "integer" : r.GetDataTypeName(8).ToLowerInvariant());
        }
        Assert.Equal(hunt.Detections.Count, n);
        Assert.Equal((long)hunt.Detections.Count, Scalar(db, "SELECT detections FROM runs"));
        Assert.Equal(0L, Scalar(db, "SELECT campaigns FROM runs"));
        Assert.Equal(0L, Scalar(db, "SELECT COUNT(*) FROM campaigns"));
        foreach (var ix in new[] { "detections_timestamp", "detections_rule_id", "detections_computer" })
            Assert.Equal(1L, Scalar(db, $"SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND name='{ix}'"));
        // The timestamp index serves time-range queries.
        Assert.Contains("detections_timestamp", PlanOf(db, "SELECT id FROM detections WHERE timestamp > '2020-01-01'"));
    }

    private static string PlanOf(SqliteConnection db, string sql)
    {
        using var c = db.CreateCommand();
        c.CommandText = "EXPLAIN QUERY PLAN " + sql;
        using var r = c.ExecuteReader();
        var sb = new System.Text.StringBuilder();
        while (r.Read()) sb.AppendLine(r.GetString(3));
        return sb.ToString();
    }

    /// <summary>The sqlite3 shell (Debian's sqlite3 package, installed by .ci/run) opens the file: integrity check and
    /// detections per rule against the JSON lines.</summary>
    [Fact]
    public void The_sqlite3_shell_reads_the_file_and_agrees()
    {
        string exe = new[] { "/usr/bin/sqlite3", "/usr/local/bin/sqlite3" }.FirstOrDefault(File.Exists)
            ?? throw new Xunit.Sdk.XunitException("the sqlite3 shell is not installed (apt-get install -y sqlite3); this test reads the database with it");
        string Shell(string sql)
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-readonly"); psi.ArgumentList.Add(hunt.Sqlite); psi.ArgumentList.Add(sql);
            using var p = Process.Start(psi)!;
            string o = p.StandardOutput.ReadToEnd();
            string e = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"sqlite3 failed: {e}");
            return o;
        }
        Assert.Equal("ok", Shell("PRAGMA integrity_check;").Trim());
        var perRule = Shell("SELECT rule_id, COUNT(*) FROM detections GROUP BY rule_id;")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('|')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        var expected = hunt.Detections.GroupBy(d => d.Str("rule_id")).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(expected.OrderBy(kv => kv.Key), perRule.OrderBy(kv => kv.Key));
        var hosts = Shell("SELECT COUNT(DISTINCT computer) FROM detections;").Trim();
        Assert.Equal(hunt.Detections.Select(d => d.Str("computer")).Distinct().Count().ToString(), hosts);
    }

    [Fact]
    public void Campaigns_and_their_detections_join()
    {
        var dets = RealEventDetections(EvtxTestSupport.Sample(Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx")), 30);
        string path = Path.Combine(Cli.CliRunner.TempDir("sqlite-campaigns"), "c.db");
        File.WriteAllText(path, "not a database"); // an existing file is replaced, never appended to
        Vigil.Campaigns.Campaign c1;
        using (var sink = new SqliteSink(path))
        {
            for (int i = 0; i < dets.Count; i++) sink.Add(i + 1, dets[i]);
            sink.Complete(Summary(dets.Count, [
                c1 = Campaign("C1", [1, 2, 3, 4], ["DESKTOP-M5SN04R", "DC01"], dets[0].Timestamp!.Value, dets[3].Timestamp!.Value),
                Campaign("C2", [10, 30], ["DESKTOP-M5SN04R"], dets[9].Timestamp!.Value, dets[29].Timestamp!.Value)]));
        }
        using var db = Open(path);
        Assert.Equal(30L, Scalar(db, "SELECT COUNT(*) FROM detections"));
        Assert.Equal(2L, Scalar(db, "SELECT COUNT(*) FROM campaigns"));
        Assert.Equal(4L, Scalar(db, "SELECT COUNT(*) FROM detections d JOIN campaign_detections cd ON cd.detection_id = d.id WHERE cd.campaign_id = 'C1'"));
        Assert.Equal("10,30", Scalar(db, "SELECT group_concat(detection_id, ',') FROM (SELECT detection_id FROM campaign_detections WHERE campaign_id = 'C2' ORDER BY detection_id)"));
        Assert.Equal("DC01", Scalar(db, "SELECT host FROM campaign_hosts WHERE campaign_id = 'C1' AND ord = 2"));
        Assert.Equal(dets[29].RecordId, (long?)Scalar(db, "SELECT d.record_id FROM detections d JOIN campaign_detections cd ON cd.detection_id = d.id WHERE cd.campaign_id = 'C2' ORDER BY d.id DESC LIMIT 1"));
        var json = JsonDocument.Parse((string)Scalar(db, "SELECT json FROM campaigns WHERE id = 'C1'")!).RootElement;
        Assert.Equal(4, json.GetProperty("detections").GetArrayLength());
        // The json column is the campaign's object exactly as the --campaigns file writes it.
        Assert.Equal(Vigil.Campaigns.Output.CampaignJson.ToJson(c1), (string)Scalar(db, "SELECT json FROM campaigns WHERE id = 'C1'")!);
        Assert.Equal("machine", Scalar(db, "SELECT operator FROM campaigns WHERE id = 'C1'"));
        Assert.Equal(1L, Scalar(db, "SELECT rank FROM campaigns WHERE id = 'C1'"));
    }

    /// <summary>A campaign whose lists are longer than the json column's limit: the json lists the first
    /// <see cref="SqliteSink.JsonListLimit"/> of each, in order, with the full lengths in "truncated"; the tables list every
    /// value in order. A campaign under the limit has its json as the --campaigns file writes it, without "truncated".</summary>
    [Fact]
    public void A_huge_campaigns_json_is_cut_and_its_tables_are_complete()
    {
        var dets = RealEventDetections(EvtxTestSupport.Sample(Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx")), 3);
        int n = SqliteSink.JsonListLimit + 2_345;
        var ids = Enumerable.Range(1, n).Select(i => (long)i).ToList();
        var users = Enumerable.Range(0, n).Select(i => $"CORP\\user{i}").ToList();
        var intern = Enumerable.Range(0, n - 5).Select(i => $"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}").ToList();
        var ext = new List<string> { "198.51.100.7", "2001:db8::1", "203.0.113.5", "203.0.113.6", "203.0.113.7", "203.0.113.8" };
        var hosts = Enumerable.Range(0, n).Select(i => $"WS{i:D5}").ToList();
        var t0 = dets[0].Timestamp!.Value;
        var steps = Enumerable.Range(0, n).Select(i => new Vigil.Campaigns.CampaignStep(t0.AddSeconds(i), hosts[i], users[i], "credential-access",
            "T1110", "r", "Guess", "medium", i + 1, 1, "attempt " + i)).ToList();
        var template = Campaign("C1", ids, hosts, t0, t0.AddSeconds(n));
        var big = new Vigil.Campaigns.Campaign
        {
            Id = "C1", Score = template.Score, Kind = template.Kind, Hosts = hosts, Users = users, InternalAddresses = intern, ExternalAddresses = ext,
            Tactics = template.Tactics, Techniques = template.Techniques, FirstSeen = template.FirstSeen, LastSeen = template.LastSeen,
            DetectionIds = ids, Levels = template.Levels, Operator = template.Operator, Summary = template.Summary, Steps = steps, Links = [], Theft = [],
        };
        var small = Campaign("C2", [1, 2], ["DC01"], t0, t0);
        string path = Path.Combine(Cli.CliRunner.TempDir("sqlite-huge-campaign"), "c.db");
        using (var sink = new SqliteSink(path))
        {
            for (int i = 0; i < dets.Count; i++) sink.Add(i + 1, dets[i]);
            sink.Complete(Summary(dets.Count, [big, small]));
        }
        using var db = Open(path);
        var json = JsonDocument.Parse((string)Scalar(db, "SELECT json FROM campaigns WHERE id = 'C1'")!).RootElement;
        int limit = SqliteSink.JsonListLimit;
        string[] Texts(string name) => json.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(hosts.Take(limit), Texts("hosts"));
        Assert.Equal(users.Take(limit), Texts("users"));
        Assert.Equal(intern.Concat(ext).Take(limit), Texts("addresses"));
        Assert.Equal(intern.Take(limit), Texts("internal_addresses"));
        Assert.Equal(ext, Texts("external_addresses"));
        Assert.Equal(ids.Take(limit), json.GetProperty("detections").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(n, json.GetProperty("detection_count").GetInt32());
        Assert.Equal(steps.Take(limit).Select(s => s.Detail), json.GetProperty("steps").EnumerateArray().Select(e => e.GetProperty("detail").GetString()));
        Assert.Equal($"{{\"hosts\":{n},\"users\":{n},\"addresses\":{intern.Count + ext.Count},\"internal_addresses\":{intern.Count},\"detections\":{n},\"steps\":{n}}}",
            json.GetProperty("truncated").GetRawText());
        List<string> Column(string sql)
        {
            using var c = db.CreateCommand();
            c.CommandText = sql;
            using var r = c.ExecuteReader();
            var values = new List<string>();
            while (r.Read()) values.Add(r.GetString(0));
            return values;
        }
        Assert.Equal(hosts, Column("SELECT host FROM campaign_hosts WHERE campaign_id = 'C1' ORDER BY ord"));
        Assert.Equal(users, Column("SELECT user FROM campaign_users WHERE campaign_id = 'C1' ORDER BY ord"));
        Assert.Equal(intern.Concat(ext), Column("SELECT address FROM campaign_addresses WHERE campaign_id = 'C1' ORDER BY ord"));
        Assert.Equal(ext, Column("SELECT address FROM campaign_addresses WHERE campaign_id = 'C1' AND internal = 0 ORDER BY ord"));
        Assert.Equal((long)n, Scalar(db, "SELECT COUNT(*) FROM campaign_detections WHERE campaign_id = 'C1'"));
        Assert.Equal(Vigil.Campaigns.Output.CampaignJson.ToJson(small), (string)Scalar(db, "SELECT json FROM campaigns WHERE id = 'C2'")!);
        Assert.DoesNotContain("truncated", (string)Scalar(db, "SELECT json FROM campaigns WHERE id = 'C2'")!);
        Assert.Equal(["DESKTOP-M5SN04R\\admin"], Column("SELECT user FROM campaign_users WHERE campaign_id = 'C2' ORDER BY ord"));
    }

    [Fact]
    public void A_hundred_thousand_detections_all_land()
    {
        var dets = RealEventDetections(EvtxTestSupport.Sample(Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx")), 200);
        string path = Path.Combine(Cli.CliRunner.TempDir("sqlite-100k"), "big.db");
        const int N = 100_000;
        var clock = Stopwatch.StartNew();
        using (var sink = new SqliteSink(path))
        {
            for (int i = 0; i < N; i++) sink.Add(i + 1, dets[i % dets.Count]);
            sink.Complete(Summary(N, []));
        }
        clock.Stop();
        output.WriteLine($"{N:N0} detections into SQLite in {clock.Elapsed.TotalSeconds:F2}s ({new FileInfo(path).Length / 1e6:F1} MB)");
        using var db = Open(path);
        Assert.Equal((long)N, Scalar(db, "SELECT COUNT(*) FROM detections"));
        Assert.Equal((long)N / 2, Scalar(db, "SELECT COUNT(*) FROM detections WHERE rule_id = '11111111-1111-1111-1111-111111111111'"));
        // Speed is measured in the README's figures (4-8 s in Release), not asserted here: timed unit tests flake on shared cores.
    }
}

/// <summary>Side outputs are moved into place only when the hunt completes.</summary>
public sealed class SideOutputFileTests
{
    [Fact]
    public void A_failed_hunt_keeps_the_previous_files_and_leaves_no_partial_ones()
    {
        var dir = Cli.CliRunner.TempDir("sinks-failed");
        string db = Path.Combine(dir, "hunt.db"), ts = Path.Combine(dir, "ts.jsonl"), csv = Path.Combine(dir, "t.csv");
        foreach (var f in new[] { db, ts, csv }) File.WriteAllText(f, "previous run");
        // The rules path is checked after the side outputs were opened: a usage error then.
        var r = Cli.CliRunner.Run("hunt", EvtxTestSupport.Sample("DeepBlueCLI"), "--rules", Path.Combine(dir, "no-such-rules"),
            "--sqlite", db, "--timesketch", ts, "--timeline", csv, "--output", Path.Combine(dir, "out.jsonl"));
        Assert.Equal(1, r.ExitCode);
        foreach (var f in new[] { db, ts, csv }) Assert.Equal("previous run", File.ReadAllText(f));
        Assert.Empty(Directory.GetFiles(dir, "*.partial*"));

        var ok = Cli.CliRunner.Run("hunt", EvtxTestSupport.Sample("DeepBlueCLI"), "--quiet",
            "--sqlite", db, "--timesketch", ts, "--timeline", csv, "--output", Path.Combine(dir, "out.jsonl"));
        Assert.Equal(0, ok.ExitCode);
        foreach (var f in new[] { db, ts, csv }) Assert.NotEqual("previous run", File.ReadAllText(f));
        Assert.Empty(Directory.GetFiles(dir, "*.partial*"));
    }
}
