using System.Globalization;
using System.Text.Json;
using Vigil.Tests.Cli;
using static Vigil.Tests.Campaigns.EventSet;

namespace Vigil.Tests.Campaigns;

/// <summary>Operator features and verdicts on hand-made activity: an agent working four hosts at once, a person doing
/// the same steps one host at a time, and a scheduled inventory job.</summary>
public class OperatorTests
{
    private static readonly string[] Discovery =
    [
        "C:\\Windows\\System32\\whoami.exe|whoami /all", "C:\\Windows\\System32\\ipconfig.exe|ipconfig /all",
        "C:\\Windows\\System32\\systeminfo.exe|systeminfo", "C:\\Windows\\System32\\nltest.exe|nltest /dclist:corp",
        "C:\\Windows\\System32\\net.exe|net group \"domain admins\" /domain", "C:\\Windows\\System32\\netstat.exe|netstat -ano",
        "C:\\Windows\\System32\\tasklist.exe|tasklist /v", "C:\\Windows\\System32\\quser.exe|quser", "C:\\Windows\\System32\\arp.exe|arp -a",
        "C:\\Windows\\System32\\route.exe|route print",
    ];

    /// <summary>From WS5 (10.0.0.15) the actor reaches four servers over WinRM; on each, a session runs commands.
    /// <paramref name="parallel"/>: interleaved across the servers at sub-second gaps (agent) or one server at a time
    /// with typing-pace gaps (person).</summary>
    private static EventSet Operated(bool parallel, int seed)
    {
        var rng = new Random(seed);
        var s = new EventSet();
        var t = Day.AddHours(13);
        string src = "10.0.0.15";
        s.Process(t, "WS5", "{M-0}", "{M-P}", "C:\\Python\\python.exe", "python.exe agent.py", "CORP\\mallory", "0x7000");
        s.Net(t.AddSeconds(1), "WS5", "{M-0}", "C:\\Python\\python.exe", src, "8.8.8.8", 53);
        s.Process(t.AddSeconds(2), "WS5", "{M-D}", "{M-0}", "C:\\Windows\\System32\\rundll32.exe", "rundll32 comsvcs.dll, MiniDump 640 d.dmp full", "CORP\\mallory", "0x7000", "C:\\Python\\python.exe");
        var servers = Enumerable.Range(1, 4).Select(i => (Name: "SRV" + i, Ip: "10.0.0." + (30 + i), Logon: "0x" + (0x8000 + i).ToString("x", CultureInfo.InvariantCulture))).ToList();
        var start = t.AddMinutes(1);
        // Failed logons with guessed accounts first (the agent's claimed credentials), then the real one works.
        if (parallel)
            for (int k = 0; k < 12; k++)
                s.Logon(start.AddMilliseconds(-20_000 + k * 900), "SRV1", "admin" + (k % 4), 3, src, "0x0", eventId: 4625);
        foreach (var (name, ip, logon) in servers)
        {
            s.Net(start.AddMilliseconds(100), name, "{X-" + name + "}", "C:\\Windows\\System32\\svchost.exe", ip, "10.0.0.5", 53); // the server's address
            s.Net(start, "WS5", "{M-0}", "C:\\Python\\python.exe", src, ip, 5985);
            s.Logon(start.AddMilliseconds(200), name, "mallory", 3, src, logon);
            s.Process(start.AddMilliseconds(400), name, "{W-" + name + "}", "{SVC}", "C:\\Windows\\System32\\wsmprovhost.exe", "wsmprovhost.exe -Embedding", "CORP\\mallory", logon, "C:\\Windows\\System32\\svchost.exe");
            if (!parallel) start = start.AddMinutes(12);
        }
        var now = t.AddMinutes(1).AddSeconds(2);
        int n = 0;
        if (parallel)
        {
            // Two bursts of ~4 minutes at 0.3-0.9 s gaps, commands round-robin over the four servers, a 25-minute pause between.
            foreach (var burst in new[] { 0, 1 })
            {
                for (int k = 0; k < 360; k++, n++)
                {
                    var (name, _, logon) = servers[k % 4];
                    var parts = Discovery[rng.Next(Discovery.Length)].Split('|');
                    s.Process(now, name, $"{{C-{n}}}", "{W-" + name + "}", parts[0], parts[1] + " " + rng.Next(1000), "CORP\\mallory", logon, "C:\\Windows\\System32\\wsmprovhost.exe");
                    now = now.AddMilliseconds(300 + rng.Next(600));
                }
                now = now.AddMinutes(25);
            }
        }
        else
        {
            foreach (var (name, _, logon) in servers)
            {
                var at = now;
                for (int k = 0; k < 6; k++, n++)
                {
                    var parts = Discovery[rng.Next(Discovery.Length)].Split('|');
                    at = at.AddSeconds(15 + rng.Next(80));
                    s.Process(at, name, $"{{C-{n}}}", "{W-" + name + "}", parts[0], parts[1], "CORP\\mallory", logon, "C:\\Windows\\System32\\wsmprovhost.exe");
                }
                now = now.AddMinutes(12);
            }
        }
        return s;
    }

    private static JsonElement Top(string name, EventSet s)
    {
        var dir = CliRunner.TempDir(name);
        var campaigns = Hunt(dir, s.Write(dir));
        return campaigns[0];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void An_agent_working_four_hosts_at_once_is_a_machine_with_the_numbers_to_show_it(int seed)
    {
        var c = Top("op-machine", Operated(parallel: true, seed));
        Assert.Equal("intrusion", c.GetProperty("kind").GetString());
        Assert.Equal("WS5", Strings(c, "hosts")[0]);
        Assert.Equal(["SRV1", "SRV2", "SRV3", "SRV4", "WS5"], Strings(c, "hosts").Order());
        var op = c.GetProperty("operator");
        Assert.Equal("machine", op.GetProperty("kind").GetString());
        var ev = op.GetProperty("evidence");
        Assert.True(ev.GetProperty("commands_per_second_sustained").GetDouble() >= 0.5, ev.ToString());
        Assert.True(ev.GetProperty("parallel_hosts").GetDouble() >= 4, ev.ToString());
        Assert.True(ev.GetProperty("interleaved_switches").GetDouble() >= 100, ev.ToString());
        Assert.True(ev.GetProperty("median_gap_seconds").GetDouble() < 1, ev.ToString());
        Assert.True(ev.GetProperty("distinct_discovery_commands").GetDouble() >= 8, ev.ToString());
        Assert.Equal(1, ev.GetProperty("failed_logon_bursts").GetDouble());
        Assert.Equal(4, ev.GetProperty("failed_accounts_never_valid").GetDouble());
        Assert.Equal(1, ev.GetProperty("failures_then_success").GetDouble());
        Assert.Equal(2, ev.GetProperty("machine_bursts").GetDouble());
        Assert.Equal(1, ev.GetProperty("pause_count").GetDouble());
        Assert.True(op.GetProperty("reasons").GetArrayLength() >= 4);
        Assert.True(op.GetProperty("confidence").GetDouble() >= 0.8);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_same_steps_at_typing_pace_one_host_at_a_time_are_a_person(int seed)
    {
        var c = Top("op-human", Operated(parallel: false, seed));
        Assert.Equal("intrusion", c.GetProperty("kind").GetString());
        var op = c.GetProperty("operator");
        Assert.Equal("human", op.GetProperty("kind").GetString());
        var ev = op.GetProperty("evidence");
        Assert.True(ev.GetProperty("median_gap_seconds").GetDouble() >= 5, ev.ToString());
        Assert.True(ev.GetProperty("parallel_hosts").GetDouble() <= 2, ev.ToString());
        Assert.Equal(0, ev.GetProperty("failed_logon_bursts").GetDouble());
    }

    /// <summary>An ordinary account's job run hourly on one host: a cmd.exe script that runs whoami and systeminfo, started by
    /// the task scheduler, or by hand from Explorer. Only the trees' roots (processes whose parent is not in the campaign)
    /// say who started them: the children's parent is the script.</summary>
    [Theory]
    [InlineData("C:\\Windows\\System32\\taskhostw.exe", "automation")]
    [InlineData("C:\\Windows\\explorer.exe", "admin")]
    public void Jobs_the_task_scheduler_starts_are_automation(string starter, string kind)
    {
        var s = new EventSet();
        for (int i = 0; i < 8; i++)
        {
            var t = Day.AddHours(1 + i);
            s.Process(t, "APP1", $"{{J-{i}}}", $"{{S-{i}}}", "C:\\Windows\\System32\\cmd.exe", "cmd.exe /c C:\\Jobs\\report.cmd", "CORP\\jdoe", "0x5000", starter);
            s.Process(t.AddSeconds(1), "APP1", $"{{K-{i}}}", $"{{J-{i}}}", "C:\\Windows\\System32\\whoami.exe", "whoami /all", "CORP\\jdoe", "0x5000", "C:\\Windows\\System32\\cmd.exe");
            s.Process(t.AddSeconds(2), "APP1", $"{{L-{i}}}", $"{{J-{i}}}", "C:\\Windows\\System32\\systeminfo.exe", "systeminfo /fo csv", "CORP\\jdoe", "0x5000", "C:\\Windows\\System32\\cmd.exe");
        }
        var dir = CliRunner.TempDir("op-jobs");
        var job = Assert.Single(Hunt(dir, s.Write(dir)));
        Assert.Equal(16, Ids(job).Count);
        Assert.Equal(kind, job.GetProperty("kind").GetString());
    }

    [Fact]
    public void A_scheduled_inventory_sweep_is_automation_and_ranks_below_an_intrusion()
    {
        var s = new EventSet();
        var t = Day.AddHours(2);
        s.Logon(t, "MGMT1", "svc_inventory", 4, "-", "0x4000");
        s.Process(t.AddSeconds(1), "MGMT1", "{I-0}", "{SCHED}", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell.exe -File C:\\Scripts\\Collect-Inventory.ps1", "CORP\\svc_inventory", "0x4000", "C:\\Windows\\System32\\svchost.exe");
        s.Net(t.AddSeconds(1), "MGMT1", "{I-0}", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "10.0.0.40", "10.0.0.5", 53);
        var now = t.AddSeconds(2);
        for (int i = 1; i <= 12; i++)
        {
            string host = "PC" + i, ip = "10.0.1." + i, logon = "0x" + (0x4100 + i).ToString("x", CultureInfo.InvariantCulture);
            s.Net(now.AddMilliseconds(-50), host, "{Y-" + i + "}", "C:\\Windows\\System32\\svchost.exe", ip, "10.0.0.5", 53);
            s.Net(now, "MGMT1", "{I-0}", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "10.0.0.40", ip, 5985);
            s.Logon(now.AddMilliseconds(20), host, "svc_inventory", 3, "10.0.0.40", logon);
            s.Process(now.AddMilliseconds(60), host, "{W-" + i + "}", "{DCOM}", "C:\\Windows\\System32\\wsmprovhost.exe", "wsmprovhost.exe -Embedding", "CORP\\svc_inventory", logon, "C:\\Windows\\System32\\svchost.exe");
            s.Process(now.AddMilliseconds(300), host, "{Q-" + i + "}", "{W-" + i + "}", "C:\\Windows\\System32\\systeminfo.exe", "systeminfo /fo csv", "CORP\\svc_inventory", logon, "C:\\Windows\\System32\\wsmprovhost.exe");
            now = now.AddMilliseconds(2900 + i * 37 % 300);
        }
        // And a small intrusion elsewhere: one LSASS dump.
        s.Process(Day.AddHours(11), "WS9", "{Z-1}", "{Z-0}", "C:\\Windows\\System32\\rundll32.exe", "rundll32 comsvcs.dll, MiniDump 640 d.dmp full", "CORP\\eve", "0x6000");
        var dir = CliRunner.TempDir("op-inventory");
        var campaigns = Hunt(dir, s.Write(dir));
        var inventory = campaigns.Single(c => Strings(c, "users").Contains("CORP\\svc_inventory"));
        Assert.Equal("automation", inventory.GetProperty("kind").GetString());
        Assert.Equal(13, Strings(inventory, "hosts").Count); // MGMT1 and the 12 it swept: one campaign through the links
        Assert.Equal("MGMT1", Strings(inventory, "hosts")[0]);
        Assert.All(inventory.GetProperty("links").EnumerateArray(), l => Assert.Equal("winrm", l.GetProperty("method").GetString()));
        Assert.True(inventory.GetProperty("operator").GetProperty("evidence").GetProperty("sequence_repeat_ratio").GetDouble() >= 0.5);
        Assert.Equal("C1", campaigns.Single(c => Strings(c, "users").Contains("CORP\\eve")).GetProperty("id").GetString());
    }

    /// <summary>A host's scan, 400 connections to 300 addresses at uneven pace over half an hour: the sweep evidence is the
    /// most addresses first contacted within 5 minutes, and the distinct ports of the first such window, as a plain
    /// count over the flows (each address's first connection and its ports in order) gives them.</summary>
    [Theory]
    [InlineData(5)]
    [InlineData(11)]
    [InlineData(1)]
    public void Sweep_evidence_is_the_busiest_five_minutes_of_first_contacts_and_their_ports(int seed)
    {
        var random = new Random(seed);
        var s = new EventSet();
        var t = Day.AddHours(9);
        var first = new Dictionary<string, (DateTime Time, List<int> Ports)>();
        for (int i = 0; i < 400; i++)
        {
            t = t.AddMilliseconds(random.Next(3) == 0 ? random.Next(2_000, 15_000) : random.Next(200, 900));
            string dst = "10.9." + random.Next(2) + "." + random.Next(150);
            int port = new[] { 22, 80, 443, 445, 3389 }[random.Next(5)] + (random.Next(2) == 0 ? random.Next(1, 2000) : 0);
            s.Net(t, "WS5", "{S-1}", "C:\\Tools\\scan.exe", "10.0.0.50", dst, port);
            if (!first.TryGetValue(dst, out var f)) first[dst] = f = (t, []);
            if (!f.Ports.Contains(port) && f.Ports.Count < 32) f.Ports.Add(port);
        }
        var dir = CliRunner.TempDir("op-sweep");
        var rule = Path.Combine(dir, "scan.yml");
        File.WriteAllText(rule, "title: Test scan\nid: 00000000-0000-0000-0000-00000000a5a5\nstatus: test\nlevel: high\ntags:\n  - attack.discovery\n  - attack.t1046\n" +
            "logsource:\n  product: windows\ndetection:\n  selection:\n    EventID: 3\n    Image|endswith: '\\scan.exe'\n  condition: selection\n");
        var campaigns = Hunt(dir, s.Write(dir), "--rules", rule);
        var scan = Assert.Single(campaigns, c => Strings(c, "hosts").Contains("WS5"));
        var ev = scan.GetProperty("operator").GetProperty("evidence");

        var flows = first.Values.OrderBy(f => f.Time).ToList();
        int best = 0, bestPorts = 0, lo = 0;
        for (int hi = 0; hi < flows.Count; hi++)
        {
            while ((flows[hi].Time - flows[lo].Time).TotalSeconds > 300) lo++;
            if (hi - lo + 1 > best)
            {
                best = hi - lo + 1;
                bestPorts = flows.Skip(lo).Take(best).SelectMany(f => f.Ports).Distinct().Count();
            }
        }
        Assert.InRange(best, 30, 299);   // a busy five minutes, not the whole scan
        Assert.Equal(best, ev.GetProperty("hosts_swept_5min").GetInt32());
        Assert.Equal(bestPorts, ev.GetProperty("ports_swept_5min").GetInt32());
    }
}
