using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Tests.Campaigns;

/// <summary>Kind and score on detection facts built directly (no hunt): chain progression, order, severity, spread,
/// and that broad rule tags do not turn a repeating service account into an intrusion.</summary>
public class ScoringTests
{
    private static readonly long T0 = new DateTime(2026, 3, 10, 10, 0, 0, DateTimeKind.Utc).Ticks;
    private static long _id;

    private static DetectionFact Fact(int minute, string host, string account, string level, string tactic, string technique, string detail = "x", string guid = "") => new()
    {
        Id = ++_id, Ticks = T0 + minute * TimeSpan.TicksPerMinute, RuleId = tactic + technique + level, RuleTitle = tactic + " step", Level = level,
        Tactics = [tactic], Techniques = [technique], Host = host, EventId = 1, Account = account, Detail = detail, EventKey = "e" + _id, ProcessGuid = guid,
    };

    [Fact]
    public void Further_along_the_chain_in_order_scores_higher()
    {
        var facts = new List<DetectionFact>
        {
            // Actor A: discovery, credential access, collection, exfiltration in chain order (one account, one host).
            Fact(0, "H1", "CORP\\a", "low", "discovery", "T1033"),
            Fact(5, "H1", "CORP\\a", "critical", "credential-access", "T1003.001"),
            Fact(10, "H1", "CORP\\a", "high", "collection", "T1005", "sqlcmd -Q \"SELECT * FROM customers\" -o c.csv"),
            Fact(15, "H1", "CORP\\a", "high", "exfiltration", "T1048"),
            // Actor B: the same severity but only credential access.
            Fact(0, "H2", "CORP\\b", "critical", "credential-access", "T1003.001"),
            // Actor C: the same stages as A but reversed in time (exfiltration first).
            Fact(0, "H3", "CORP\\c", "high", "exfiltration", "T1048"),
            Fact(5, "H3", "CORP\\c", "high", "collection", "T1005"),
            Fact(10, "H3", "CORP\\c", "critical", "credential-access", "T1003.001"),
            Fact(15, "H3", "CORP\\c", "low", "discovery", "T1033"),
        };
        var campaigns = CampaignBuilder.Build(facts, new ContextCollector());
        Assert.Equal(3, campaigns.Count);
        var a = campaigns.Single(c => c.Hosts.SequenceEqual(["H1"]));
        var b = campaigns.Single(c => c.Hosts.SequenceEqual(["H2"]));
        var c = campaigns.Single(c => c.Hosts.SequenceEqual(["H3"]));
        Assert.All(campaigns, x => Assert.Equal("intrusion", x.Kind));
        Assert.True(a.Score > c.Score, $"{a.Score} vs {c.Score}: chain order earns the order bonus");
        Assert.True(c.Score > b.Score, $"{c.Score} vs {b.Score}: more stages score higher");
        Assert.Equal("C1", a.Id);
        Assert.Equal(["credential-access", "discovery", "collection", "exfiltration"], a.Tactics); // matrix order
        Assert.Contains(a.Theft, t => t.Kind == "database-export");
        Assert.Equal(2, a.Levels["high"]);
    }

    [Fact]
    public void A_service_account_repeating_remote_steps_is_automation_until_it_dumps_credentials()
    {
        List<DetectionFact> Sweep(string account, bool dump)
        {
            var facts = new List<DetectionFact>();
            for (int i = 0; i < 12; i++)
            {
                // Every host gets the same two steps, tagged lateral movement and discovery by the rules.
                facts.Add(Fact(i, "MGMT", account, "medium", "lateral-movement", "T1021.006", $"wmic /node:PC{i} qfe get", "{G}"));
                facts.Add(Fact(i, "MGMT", account, "low", "discovery", "T1082", $"systeminfo /s PC{i}", "{G}"));
            }
            if (dump) facts.Add(Fact(20, "MGMT", account, "critical", "credential-access", "T1003.001", "rundll32 comsvcs.dll MiniDump", "{G}"));
            return facts;
        }
        var quiet = Assert.Single(CampaignBuilder.Build(Sweep("CORP\\svc_inventory", false), new ContextCollector()));
        Assert.Equal("automation", quiet.Kind);
        Assert.True(quiet.Score < 25, quiet.Score.ToString());
        var loud = Assert.Single(CampaignBuilder.Build(Sweep("CORP\\svc_inventory", true), new ContextCollector()));
        Assert.Equal("intrusion", loud.Kind);
        // The same steps from an ordinary account are not automation.
        var person = Assert.Single(CampaignBuilder.Build(Sweep("CORP\\jdoe", false), new ContextCollector()));
        Assert.NotEqual("automation", person.Kind);
    }

    [Theory]
    [InlineData("ws21.corp.example", "WS21")]
    [InlineData("WS21", "WS21")]
    [InlineData("\\\\FS01", "FS01")]
    [InlineData("-", "")]
    [InlineData("10.0.0.5", "")]
    public void Host_names_become_upper_case_NetBIOS(string raw, string expected) => Assert.Equal(expected, Names.Host(raw));

    [Theory]
    [InlineData("CORP.EXAMPLE", "elarsen", "CORP\\elarsen")]
    [InlineData(null, "CORP\\elarsen", "CORP\\elarsen")]
    [InlineData("-", "adm@corp.example", "CORP\\adm")]
    [InlineData("NT AUTHORITY", "SYSTEM", "")]
    [InlineData("CORP", "WS21$", "")]
    [InlineData("NT AUTHORITY", "LOCAL SERVICE", "")]
    [InlineData("IIS APPPOOL", "CustomerPortal", "IIS APPPOOL\\CustomerPortal")]
    public void Accounts_are_normalised_and_non_actors_dropped(string? domain, string user, string expected) =>
        Assert.Equal(expected, Names.Account(domain, user));

    [Theory]
    [InlineData("::ffff:10.1.2.3", "10.1.2.3", true)]
    [InlineData("172.20.0.1", "172.20.0.1", true)]
    [InlineData("198.51.100.7", "198.51.100.7", false)]
    [InlineData("127.0.0.1", "", false)]
    [InlineData("-", "", false)]
    public void Addresses_are_normalised_and_classified(string raw, string expected, bool internalAddress)
    {
        Assert.Equal(expected, Names.Address(raw));
        if (expected.Length > 0) Assert.Equal(internalAddress, Names.IsInternal(expected));
    }
}
