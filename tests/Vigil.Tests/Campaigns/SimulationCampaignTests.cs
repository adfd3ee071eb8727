using System.Text.Json;
using Vigil.Tests.Cli;
using Xunit.Abstractions;

namespace Vigil.Tests.Campaigns;

/// <summary>End to end through the CLI: simulate a day, hunt it with the built-in rules, and judge the campaigns by
/// truth.json (see <see cref="ScenarioRun"/>).</summary>
public class SimulationCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public void Human_intrusion_is_the_top_campaign_with_its_hosts_and_benign_work_stays_out()
    {
        var dir = CliRunner.TempDir("camp-sim-human");
        Assert.Equal(0, CliRunner.Run("simulate", "--out", dir, "--events", "8000", "--seed", "5").ExitCode);
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "truth.json"))).RootElement;
        var compromised = truth.GetProperty("compromisedHosts").EnumerateArray().Select(h => h.GetString()!.Split('.')[0].ToUpperInvariant()).ToList();
        var campaigns = EventSet.HuntBuiltin(dir, Path.Combine(dir, "logs"));

        var top = campaigns[0];
        Assert.Equal("intrusion", top.GetProperty("kind").GetString());
        Assert.Equal(compromised.Order(), EventSet.Strings(top, "hosts").Order());
        Assert.Equal("human", top.GetProperty("operator").GetProperty("kind").GetString());
        Assert.Contains(top.GetProperty("links").EnumerateArray(), l => l.GetProperty("method").GetString() == "psexec" && l.GetProperty("to_host").GetString() == "FS01");
        Assert.Contains(top.GetProperty("links").EnumerateArray(), l => l.GetProperty("method").GetString() == "wmi" && l.GetProperty("to_host").GetString() == "SQL01");
        var theft = top.GetProperty("theft").EnumerateArray().Select(t => t.GetProperty("kind").GetString()).ToHashSet();
        Assert.Contains("database-export", theft);
        Assert.Contains("archive", theft);
        Assert.Contains("upload", theft);
        Assert.Contains("198.51.100.23", EventSet.Strings(top, "external_addresses"));
        // Benign look-alikes: their own campaigns, of their own kinds, with none of their accounts in the intrusion.
        var inventory = campaigns.Single(c => EventSet.Strings(c, "users").Contains("CORP\\svc_inventory"));
        Assert.Equal("automation", inventory.GetProperty("kind").GetString());
        Assert.DoesNotContain("CORP\\svc_inventory", EventSet.Strings(top, "users"));
        Assert.DoesNotContain("CORP\\svc_backup", EventSet.Strings(top, "users"));
        Assert.All(campaigns.Skip(1), c => Assert.NotEqual("intrusion", c.GetProperty("kind").GetString()));
        Assert.Contains(campaigns, c => c.GetProperty("kind").GetString() == "admin");

        var run = ScenarioRun.Run("human", 5, 8000);
        output.WriteLine(ScenarioRun.Markdown([run]));
        Assert.Equal(0, run.BenignInTrue);
        Assert.Equal(run.TopDetections, run.TopIntrusionDetections);
    }

    /// <summary>With the whole SigmaHQ collection a simulated day fires thousands of low-level rules (logoffs, PowerShell,
    /// WinRM sessions tagged as lateral movement, admin-share copies tagged as exfiltration, password spraying naming
    /// every workstation): still exactly one intrusion campaign, on top, covering the compromised hosts, with the right
    /// operator; none on the benign day; the inventory and backups are automation.</summary>
    [Theory]
    [InlineData("human")]
    [InlineData("machine")]
    [InlineData("benign")]
    public void With_the_full_SigmaHQ_collection_the_only_intrusion_campaign_is_the_intrusion(string scenario)
    {
        var dir = CliRunner.TempDir("camp-sim-sigma-" + scenario);
        Assert.Equal(0, CliRunner.Run("simulate", "--scenario", scenario, "--out", dir, "--events", "20000", "--seed", "1").ExitCode);
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "truth.json"))).RootElement;
        var compromised = truth.GetProperty("compromisedHosts").EnumerateArray().Select(h => h.GetString()!.Split('.')[0].ToUpperInvariant()).ToList();
        var path = Path.Combine(dir, "c.json");
        var sigma = Path.Combine(TestPaths.Shared, "data", "sigma");
        var r = CliRunner.Run("hunt", Path.Combine(dir, "logs"), "--rules", Path.Combine(sigma, "rules"), "--rules", Path.Combine(sigma, "rules-threat-hunting"),
            "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"), "--campaigns", path, "--quiet");
        Assert.True(r.ExitCode == 0, r.Error);
        var campaigns = JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("campaigns").EnumerateArray().ToList();
        output.WriteLine($"{scenario}: {campaigns.Count} campaigns: " + string.Join(", ", campaigns.GroupBy(c => c.GetProperty("kind").GetString()).Select(g => $"{g.Count()} {g.Key}")));
        var intrusions = campaigns.Where(c => c.GetProperty("kind").GetString() == "intrusion").ToList();
        if (compromised.Count == 0) Assert.Empty(intrusions);
        else
        {
            var intrusion = Assert.Single(intrusions);
            Assert.Equal("C1", intrusion.GetProperty("id").GetString());
            Assert.Subset(EventSet.Strings(intrusion, "hosts").ToHashSet(), compromised.ToHashSet());
            Assert.Equal(truth.GetProperty("operator").GetString(), intrusion.GetProperty("operator").GetProperty("kind").GetString());
        }
        Assert.Equal("automation", campaigns.Single(c => EventSet.Strings(c, "users").SequenceEqual(["CORP\\svc_inventory"])).GetProperty("kind").GetString());
        Assert.All(campaigns.Where(c => EventSet.Strings(c, "users").Contains("CORP\\svc_backup")), c => Assert.Equal("automation", c.GetProperty("kind").GetString()));
    }

    /// <summary>Scenarios × seeds: precision and recall of intrusion campaigns and of the operator verdict. The figures
    /// are printed (and written to $VIGIL_CAMPAIGN_EVAL when set) for bench/results.</summary>
    [Fact]
    public void Campaigns_and_operator_verdicts_across_scenarios_and_seeds()
    {
        var runs = new List<ScenarioRun>();
        foreach (var scenario in new[] { "human", "machine", "cloud", "benign" })
            foreach (var seed in new[] { 1, 2, 3 })
                runs.Add(ScenarioRun.Run(scenario, seed));
        var md = ScenarioRun.Markdown(runs);
        output.WriteLine(md);
        if (Environment.GetEnvironmentVariable("VIGIL_CAMPAIGN_EVAL") is { Length: > 0 } path) File.WriteAllText(path, md);

        Assert.Equal(0, runs.Sum(r => r.FalsePositives));
        Assert.All(runs.Where(r => r.HasIntrusion), r => Assert.True(r.TopIsTrue, $"{r.Scenario} seed {r.Seed}: top campaign is not the intrusion"));
        Assert.All(runs.Where(r => r.HasIntrusion), r => Assert.True(r.OperatorRight, $"{r.Scenario} seed {r.Seed}: operator {r.TopOperator}, truth {r.TruthOperator}"));
        Assert.All(runs.Where(r => r.HasIntrusion), r => Assert.True(r.HostRecall >= 0.99, $"{r.Scenario} seed {r.Seed}: host recall {r.HostRecall}"));
        Assert.All(runs.Where(r => !r.HasIntrusion), r => Assert.Equal(0, r.Intrusions));
        Assert.Equal(0, runs.Sum(r => r.BenignInTrue));
    }
}
