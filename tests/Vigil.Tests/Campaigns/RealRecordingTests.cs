using System.Text.Json;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// Campaigns on real attack recordings from ../shared, hunted with the SigmaHQ collection. What the recordings hold
/// was checked with `vigil dump` first: LM_WMIC_4648_rpcss.evtx has user01 on PC01 running WMIC with explicit
/// credentials of EXAMPLE\administrator for WIN-77LTAPHIQ1R (three 4648s, one by svchost, two by WMIC);
/// OTRF schtask_create has pgustavo on WORKSTATION5 creating a task on WORKSTATION6 with schtasks /s (network logon
/// from 172.18.39.5 then 4698 on WORKSTATION6), while a monitoring script runs as SYSTEM on both hosts.
/// </summary>
public class RealRecordingTests
{
    private static string Sigma => Path.Combine(TestPaths.Shared, "data", "sigma", "rules");

    private static List<JsonElement> Hunt(string name, params string[] inputs)
    {
        var dir = CliRunner.TempDir(name);
        var path = Path.Combine(dir, "campaigns.json");
        var r = CliRunner.Run([.. new[] { "hunt" }, .. inputs, "--rules", Sigma, "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"), "--campaigns", path, "--quiet"]);
        Assert.True(r.ExitCode == 0, r.Error);
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("campaigns").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    [Fact]
    public void Wmic_with_explicit_credentials_links_the_workstation_to_its_target()
    {
        var lm = Path.Combine(TestPaths.Shared, "data", "evtx", "EVTX-ATTACK-SAMPLES", "Lateral Movement");
        var campaigns = Hunt("real-wmic", Path.Combine(lm, "LM_WMIC_4648_rpcss.evtx"), Path.Combine(lm, "LM_ScheduledTask_ATSVC_target_host.evtx"));
        var top = campaigns[0];
        Assert.Equal("intrusion", top.GetProperty("kind").GetString());
        Assert.Equal(["PC01", "WIN-77LTAPHIQ1R"], EventSet.Strings(top, "hosts"));
        var link = Assert.Single(top.GetProperty("links").EnumerateArray());
        Assert.Equal("wmi", link.GetProperty("method").GetString());
        Assert.Equal("EXAMPLE\\administrator", link.GetProperty("account").GetString());
        Assert.Contains("EXAMPLE\\user01", EventSet.Strings(top, "users"));
        Assert.Contains("lateral-movement", EventSet.Strings(top, "tactics"));
        // The next day's activity on the target (another recording, from 10.0.2.17) is not merged into it.
        Assert.True(campaigns.Count >= 2);
        Assert.All(campaigns.Skip(1), c => Assert.DoesNotContain("PC01", EventSet.Strings(c, "hosts")));
    }

    [Fact]
    public void Remote_scheduled_task_links_the_two_workstations_and_leaves_the_monitoring_script_out()
    {
        var campaigns = Hunt("real-schtask", Path.Combine(TestPaths.Shared, "data", "json", "otrf", "windows__lateral_movement__host__schtask_create.json"));
        var top = campaigns[0];
        Assert.Equal("intrusion", top.GetProperty("kind").GetString());
        Assert.Equal(["WORKSTATION5", "WORKSTATION6"], EventSet.Strings(top, "hosts"));
        var link = Assert.Single(top.GetProperty("links").EnumerateArray());
        Assert.Equal("schtasks", link.GetProperty("method").GetString());
        Assert.Equal("WORKSTATION5", link.GetProperty("from_host").GetString());
        Assert.Equal("172.18.39.5", link.GetProperty("source_address").GetString());
        Assert.Equal(["THESHIRE\\pgustavo"], EventSet.Strings(top, "users"));
        // The logoff of the remote session on WORKSTATION6 joins through its logon id; SYSTEM's cscript runs do not.
        var steps = top.GetProperty("steps").EnumerateArray().ToList();
        Assert.Contains(steps, s => s.GetProperty("host").GetString() == "WORKSTATION6");
        Assert.DoesNotContain(steps, s => s.GetProperty("detail").GetString()!.Contains("cscript", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(campaigns.Skip(1), c => c.GetProperty("steps").EnumerateArray().Any(s => s.GetProperty("detail").GetString()!.Contains("cscript", StringComparison.OrdinalIgnoreCase)));
    }
}
