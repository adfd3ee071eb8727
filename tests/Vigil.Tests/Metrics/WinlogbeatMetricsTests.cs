using static Vigil.Tests.Metrics.MetricsSupport;

namespace Vigil.Tests.Metrics;

/// <summary>Winlogbeat's shape (facts under winlog.*, event data under winlog.event_data.*): the shared data has no
/// Winlogbeat export, so these events are written here in the shape Winlogbeat 7/8 ships.</summary>
public sealed class WinlogbeatMetricsTests
{
    private static string Line(int eid, string host, string user, string domain, string ip, int type, string time) =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = time,
            ["event"] = new { code = eid.ToString(), provider = "Microsoft-Windows-Security-Auditing" },
            ["host"] = new { name = host.ToLowerInvariant() },
            ["winlog"] = new Dictionary<string, object>
            {
                ["channel"] = "Security", ["computer_name"] = host, ["event_id"] = eid,
                ["provider_name"] = "Microsoft-Windows-Security-Auditing", ["record_id"] = 1,
                ["event_data"] = new { TargetUserName = user, TargetDomainName = domain, IpAddress = ip, LogonType = type.ToString(), WorkstationName = "KALI" },
            },
        });

    [Fact]
    public void Winlogbeat_events_are_counted_under_their_winlog_names()
    {
        var dir = Cli.CliRunner.TempDir("winlogbeat");
        string file = Path.Combine(dir, "winlogbeat.json");
        File.WriteAllLines(file,
        [
            Line(4625, "DC01.corp.local", "administrator", "CORP", "10.0.0.66", 3, "2024-05-01T10:00:00.000Z"),
            Line(4625, "DC01.corp.local", "administrator", "CORP", "10.0.0.66", 3, "2024-05-01T10:00:01.500Z"),
            Line(4624, "DC01.corp.local", "administrator", "CORP", "10.0.0.66", 3, "2024-05-01T10:00:02.000Z"),
            Line(4688, "WS01.corp.local", "x", "-", "-", 0, "2024-05-01T10:01:00.000Z"),
        ]);
        var (_, eid) = RunJson("metrics", file, "--format", "json");
        Assert.Equal(3, eid.Count);
        Assert.Equal(["4625", "Security", "Microsoft-Windows-Security-Auditing", "2"], new[] { eid[0]["event_id"], eid[0]["channel"], eid[0]["provider"], eid[0]["count"] });
        var (_, hosts) = RunJson("metrics", file, "--format", "json", "--by", "computer");
        Assert.Equal("DC01.corp.local", hosts[0]["computer"]); // winlog.computer_name before host.name
        Assert.Equal("3", hosts[0]["count"]);

        var (root, logons) = RunJson("logons", file, "--format", "json");
        Assert.Equal(3, root.GetProperty("total").GetInt64());
        var failed = Assert.Single(logons, r => r["result"] == "failed");
        Assert.Equal(["CORP\\administrator", "3", "10.0.0.66", "KALI", "DC01.corp.local", "2"],
            new[] { failed["target_account"], failed["logon_type"], failed["source_address"], failed["workstation"], failed["computer"], failed["count"] });
        Assert.Equal("2024-05-01T10:00:00.000Z", failed["first"]);
        Assert.Equal("2024-05-01T10:00:01.500Z", failed["last"]);
    }
}
