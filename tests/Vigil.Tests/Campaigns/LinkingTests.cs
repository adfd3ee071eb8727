using System.Text.Json;
using Vigil.Tests.Cli;
using static Vigil.Tests.Campaigns.EventSet;

namespace Vigil.Tests.Campaigns;

/// <summary>Linking rules on small hand-made event sets, hunted for real through the CLI.</summary>
public class LinkingTests
{
    private const string Cmd = "C:\\Windows\\System32\\cmd.exe";

    /// <summary>An intruder on WS1 dumps LSASS and moves to SRV1 with PsExec (network logon from WS1's address, then the
    /// PSEXESVC service, then a shell under it that adds a user). Meanwhile an admin works on SRV1 in his own session.</summary>
    private static EventSet PsExecScenario(bool withAdmin = true)
    {
        var s = new EventSet();
        var t = Day.AddHours(10);
        // Where WS1 is: a Sysmon connection from its address.
        s.Process(t, "WS1.corp.example", "{A-0}", "{A-EXPLORER}", "C:\\Program Files\\Office\\WINWORD.EXE", "winword.exe doc.docm", "CORP\\alice", "0x1111");
        s.Process(t.AddSeconds(5), "WS1.corp.example", "{A-1}", "{A-0}", Cmd, "cmd.exe", "CORP\\alice", "0x1111", "C:\\Program Files\\Office\\WINWORD.EXE");
        s.Process(t.AddSeconds(40), "WS1.corp.example", "{A-2}", "{A-1}", "C:\\Windows\\System32\\whoami.exe", "whoami /all", "CORP\\alice", "0x1111", Cmd);
        s.Process(t.AddSeconds(95), "WS1.corp.example", "{A-3}", "{A-1}", "C:\\Windows\\System32\\rundll32.exe", "rundll32 comsvcs.dll, MiniDump 640 d.dmp full", "CORP\\alice", "0x1111", Cmd);
        var lm = t.AddMinutes(20);
        s.Process(lm, "WS1.corp.example", "{A-4}", "{A-1}", "C:\\Users\\Public\\PsExec64.exe", "PsExec64.exe \\\\SRV1 -u CORP\\adm -p x cmd.exe", "CORP\\alice", "0x1111", Cmd);
        s.Net(lm.AddMilliseconds(200), "WS1.corp.example", "{A-4}", "C:\\Users\\Public\\PsExec64.exe", "10.0.0.11", "10.0.0.20", 445);
        s.Net(lm.AddMilliseconds(100), "SRV1.corp.example", "{S-X}", "C:\\Windows\\System32\\svchost.exe", "10.0.0.20", "10.0.0.5", 53);
        s.Logon(lm.AddMilliseconds(300), "SRV1.corp.example", "adm", 3, "10.0.0.11", "0x9999");
        s.Service(lm.AddMilliseconds(500), "SRV1.corp.example", "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
        s.Process(lm.AddMilliseconds(550), "SRV1.corp.example", "{S-1}", "{S-SERVICES}", "C:\\Windows\\PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", "NT AUTHORITY\\SYSTEM", "0x3e7", "C:\\Windows\\System32\\services.exe");
        s.Process(lm.AddMilliseconds(800), "SRV1.corp.example", "{S-2}", "{S-1}", Cmd, "cmd.exe", "NT AUTHORITY\\SYSTEM", "0x3e7", "C:\\Windows\\PSEXESVC.exe");
        s.Process(lm.AddSeconds(50), "SRV1.corp.example", "{S-3}", "{S-2}", "C:\\Windows\\System32\\net.exe", "net user backdoor P@ss /add", "NT AUTHORITY\\SYSTEM", "0x3e7", Cmd);
        if (withAdmin)
        {
            // Bob administers SRV1 at the same minutes, interactively, from his own session: must not merge.
            s.Logon(lm.AddMinutes(-2), "SRV1.corp.example", "bob", 2, "-", "0x5555");
            s.Process(lm.AddMinutes(-1), "SRV1.corp.example", "{B-1}", "{B-EXPLORER}", Cmd, "cmd.exe", "CORP\\bob", "0x5555");
            s.Process(lm.AddSeconds(30), "SRV1.corp.example", "{B-2}", "{B-1}", "C:\\Windows\\System32\\ipconfig.exe", "ipconfig /all", "CORP\\bob", "0x5555", Cmd);
            s.Process(lm.AddSeconds(90), "SRV1.corp.example", "{B-3}", "{B-1}", "C:\\Windows\\System32\\systeminfo.exe", "systeminfo", "CORP\\bob", "0x5555", Cmd);
        }
        return s;
    }

    [Fact]
    public void PsExec_from_an_address_links_both_hosts_and_an_admin_on_the_target_stays_apart()
    {
        var dir = CliRunner.TempDir("camp-psexec");
        var input = PsExecScenario().Write(dir);
        var campaigns = Hunt(dir, input);

        var top = campaigns[0];
        Assert.Equal("C1", top.GetProperty("id").GetString());
        Assert.Equal("intrusion", top.GetProperty("kind").GetString());
        Assert.Equal(["WS1", "SRV1"], Strings(top, "hosts"));
        var link = Assert.Single(top.GetProperty("links").EnumerateArray());
        Assert.Equal("WS1", link.GetProperty("from_host").GetString());
        Assert.Equal("SRV1", link.GetProperty("to_host").GetString());
        Assert.Equal("psexec", link.GetProperty("method").GetString());
        Assert.Equal("10.0.0.11", link.GetProperty("source_address").GetString());
        Assert.Equal("CORP\\adm", link.GetProperty("account").GetString());
        // The shell that added the user runs as SYSTEM under PSEXESVC: joined through the service, not through the host.
        Assert.Contains(top.GetProperty("steps").EnumerateArray(), s => s.GetProperty("detail").GetString()!.Contains("/add"));
        Assert.Equal(new[] { "credential-access", "discovery", "execution", "lateral-movement", "persistence" }, Strings(top, "tactics").Order());

        // Bob's discovery on SRV1 is its own campaign, admin, not part of the intrusion.
        var bob = campaigns.Single(c => Strings(c, "users").Contains("CORP\\bob"));
        Assert.NotEqual(top.GetProperty("id").GetString(), bob.GetProperty("id").GetString());
        Assert.Equal("admin", bob.GetProperty("kind").GetString());
        Assert.Equal(["SRV1"], Strings(bob, "hosts"));
        Assert.Empty(Ids(top).Intersect(Ids(bob)));
        Assert.True(top.GetProperty("score").GetDouble() > bob.GetProperty("score").GetDouble());
    }

    [Fact]
    public void Without_the_network_logon_and_service_the_target_host_is_a_separate_campaign()
    {
        // The same commands, but nothing shows the movement on SRV1 (no logon from WS1, no service): only the command line
        // on WS1 names SRV1, so the link is drawn from WS1's detection while SRV1's activity stays its own campaign.
        var s = new EventSet();
        var t = Day.AddHours(10);
        s.Process(t, "WS1", "{A-1}", "{A-0}", Cmd, "cmd.exe", "CORP\\alice", "0x1111");
        s.Process(t.AddSeconds(5), "WS1", "{A-4}", "{A-1}", "C:\\PsExec64.exe", "PsExec64.exe \\\\SRV1 cmd.exe", "CORP\\alice", "0x1111", Cmd);
        s.Process(t.AddSeconds(60), "SRV1", "{S-3}", "{S-2}", "C:\\Windows\\System32\\net.exe", "net user backdoor P@ss /add", "NT AUTHORITY\\SYSTEM", "0x3e7", Cmd);
        var dir = CliRunner.TempDir("camp-nolink");
        var campaigns = Hunt(dir, s.Write(dir));
        Assert.Equal(2, campaigns.Count);
        var ws = campaigns.Single(c => Strings(c, "hosts")[0] == "WS1");
        Assert.Equal(["WS1", "SRV1"], Strings(ws, "hosts"));
        Assert.Equal("psexec", ws.GetProperty("links")[0].GetProperty("method").GetString());
        var srv = campaigns.Single(c => Strings(c, "hosts")[0] == "SRV1");
        Assert.Equal(["SRV1"], Strings(srv, "hosts"));
    }

    [Fact]
    public void One_account_on_one_host_links_within_the_gap_and_not_beyond()
    {
        var s = new EventSet();
        var t = Day.AddHours(9);
        // Same user, same host, unrelated process trees: 10 minutes apart joins, 3 hours apart does not.
        s.Process(t, "WS7", "{C-1}", "{P-1}", "C:\\Windows\\System32\\whoami.exe", "whoami", "CORP\\carol", "0x2001");
        s.Process(t.AddMinutes(10), "WS7", "{C-2}", "{P-2}", "C:\\Windows\\System32\\ipconfig.exe", "ipconfig", "CORP\\carol", "0x2002");
        s.Process(t.AddHours(3), "WS7", "{C-3}", "{P-3}", "C:\\Windows\\System32\\systeminfo.exe", "systeminfo", "CORP\\carol", "0x2003");
        // A different user on the same host at the same minute: not joined (no host-only links).
        s.Process(t.AddMinutes(1), "WS7", "{D-1}", "{P-4}", "C:\\Windows\\System32\\whoami.exe", "whoami", "CORP\\dave", "0x2004");
        var dir = CliRunner.TempDir("camp-gap");
        var campaigns = Hunt(dir, s.Write(dir));
        Assert.Equal(3, campaigns.Count);
        Assert.Contains(campaigns, c => Ids(c).Count == 2 && Strings(c, "users").SequenceEqual(["CORP\\carol"]));
        Assert.Contains(campaigns, c => Ids(c).Count == 1 && Strings(c, "users").SequenceEqual(["CORP\\carol"]));
        Assert.Contains(campaigns, c => Ids(c).Count == 1 && Strings(c, "users").SequenceEqual(["CORP\\dave"]));
    }

    [Fact]
    public void Json_shape_has_every_contract_key()
    {
        var dir = CliRunner.TempDir("camp-shape");
        var campaigns = Hunt(dir, PsExecScenario().Write(dir));
        var c = campaigns[0];
        foreach (var key in new[] { "id", "score", "kind", "hosts", "users", "addresses", "internal_addresses", "external_addresses", "tactics",
                     "techniques", "first_seen", "last_seen", "detections", "detection_count", "levels", "operator", "summary", "steps", "links", "theft" })
            Assert.True(c.TryGetProperty(key, out _), key);
        foreach (var key in new[] { "kind", "confidence", "evidence", "reasons" })
            Assert.True(c.GetProperty("operator").TryGetProperty(key, out _), "operator." + key);
        Assert.EndsWith("Z", c.GetProperty("first_seen").GetString());
        Assert.Equal(Ids(c).Count, c.GetProperty("detection_count").GetInt32());
        Assert.Equal(Ids(c).Order(), Ids(c));
        Assert.Contains("10.0.0.11", Strings(c, "internal_addresses"));
        Assert.False(string.IsNullOrWhiteSpace(c.GetProperty("summary").GetString()));
        // Every detection belongs to exactly one campaign, and ids refer to the JSON lines rows.
        var rows = File.ReadAllLines(Path.Combine(dir, "det.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64()).ToList();
        var all = campaigns.SelectMany(Ids).ToList();
        Assert.Equal(rows.Order(), all.Order());
        // Ranked: ids C1.. in score order.
        var scores = campaigns.Select(x => x.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.Equal(campaigns.Select((_, i) => "C" + (i + 1)), campaigns.Select(x => x.GetProperty("id").GetString()));
    }

    [Fact]
    public void Table_shows_ranked_campaigns_before_the_detections()
    {
        var dir = CliRunner.TempDir("camp-table");
        var input = PsExecScenario().Write(dir);
        var r = CliRunner.Run("hunt", input, "--no-builtin", "--rules", WriteRules(dir), "--format", "table");
        Assert.Equal(0, r.ExitCode);
        int campaigns = r.Out.IndexOf("Campaigns (", StringComparison.Ordinal);
        int table = r.Out.IndexOf("Timestamp", StringComparison.Ordinal);
        Assert.True(campaigns >= 0 && table > campaigns, r.Out);
        Assert.Contains("C1 ", r.Out[campaigns..table]);
        Assert.Contains("WS1 -> SRV1 by psexec", r.Out[campaigns..table]);
    }
}
