using System.Text;
using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Linking;
using Vigil.Campaigns.Output;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;
using Vigil.Simulation;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The structures that keep a campaign hunt's memory down (issue 4): the text pool shared by the context and the
/// detection facts, detections as plain union-find nodes, and the --campaigns file streamed instead of buffered.
/// Each must leave the campaigns exactly as they were.
/// </summary>
public sealed class CampaignMemoryTests
{
    [Fact]
    public void Text_pool_returns_one_instance_per_text_and_stays_bounded()
    {
        var pool = new TextPool(maxEntries: 2);
        var a1 = pool.Intern(new string("WS21".AsSpan()));
        var a2 = pool.Intern(new string("WS21".AsSpan()));
        Assert.Same(a1, a2);
        Assert.Same(a1, pool.Intern("xWS21y".AsSpan()[1..5]));
        Assert.Equal("", pool.Intern((string?)null));
        Assert.Equal("", pool.Intern(ReadOnlySpan<char>.Empty));
        Assert.Equal(1, pool.Count);
        var b = pool.Intern("CORP\\alice");
        Assert.Equal(2, pool.Count);
        // Full: a new text comes back equal but unshared, and the pool does not grow.
        var c1 = pool.Intern(new string("FS01".AsSpan()));
        var c2 = pool.Intern(new string("FS01".AsSpan()));
        Assert.Equal("FS01", c1);
        Assert.NotSame(c1, c2);
        Assert.Equal(2, pool.Count);
        Assert.Same(b, pool.Intern("CORP\\alice"));
        // Clearing forgets the index, not the strings handed out.
        pool.Clear();
        Assert.Equal(0, pool.Count);
        Assert.Equal("WS21", a1);
        Assert.NotSame(a1, pool.Intern(new string("WS21".AsSpan())));
    }

    [Fact]
    public void Union_find_nodes_without_keys_are_numbered_in_order_and_join_keyed_ones()
    {
        var uf = new UnionFind();
        Assert.Equal(0, uf.Add());
        Assert.Equal(1, uf.Add());
        Assert.Equal(2, uf.Add());
        int p = uf.Node("P|7");
        Assert.Equal(3, p);
        uf.Union(0, p);
        uf.Union(2, uf.Node("S|WS21|3e8"));
        Assert.Equal(uf.Find(0), uf.FindKey("P|7"));
        Assert.NotEqual(uf.Find(0), uf.Find(1));
        Assert.NotEqual(uf.Find(0), uf.Find(2));
        Assert.Equal(uf.Find(2), uf.FindKey("S|WS21|3e8"));
        Assert.Equal(-1, uf.FindKey("S|WS21|3e9"));
        Assert.Equal(5, uf.Count);
    }

    /// <summary>A simulated intrusion day hunted with the built-in rules: facts taken through the context's pool hold the same
    /// values as facts taken without it, share their repeated texts, and build byte-identical campaigns.</summary>
    [Fact]
    public void Pooled_facts_hold_the_same_values_and_build_the_same_campaigns()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-campmem-" + Guid.NewGuid().ToString("N"));
        try
        {
            Simulator.Run(new SimulationOptions { OutDir = dir, Events = 6000, Seed = 5, Scenario = "human" });
            var set = RuleLoader.LoadBuiltin();
            Assert.Empty(set.Errors);
            var diag = new DiagnosticsCollector();
            var files = InputFiles.Expand([Path.Combine(dir, "logs")], LogFormats.All, diag);
            var context = new ContextCollector();
            List<Detection> detections;
            using (var result = Hunter.Run(files, set.Rules, diag, degree: 2, correlate: set, observer: context))
                detections = result.Detections.ToList();
            Assert.Empty(diag.Errors);
            Assert.True(detections.Count > 50, $"only {detections.Count} detections");
            Assert.True(context.Pool.Count > 0);

            var plain = detections.Select((d, i) => DetectionFact.From(i + 1, d)).ToList();
            var pooled = detections.Select((d, i) => DetectionFact.From(i + 1, d, context.Pool)).ToList();
            for (int i = 0; i < plain.Count; i++)
            {
                AssertSameFact(plain[i], pooled[i]);
            }
            // Shared: every pooled fact of one host holds the very same host string; detections of one rule share its tag arrays.
            foreach (var g in pooled.Where(f => f.Host.Length > 0).GroupBy(f => f.Host))
                Assert.All(g, f => Assert.Same(g.First().Host, f.Host));
            foreach (var g in pooled.GroupBy(f => f.RuleId))
                Assert.All(g, f => Assert.Same(g.First().Tactics, f.Tactics));

            var fromPlain = Json(CampaignBuilder.Build(plain, context));
            var fromPooled = Json(CampaignBuilder.Build(pooled, context));
            Assert.Contains("\"intrusion\"", fromPooled);
            Assert.Equal(fromPlain, fromPooled);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Security 4688 records of a host with Sysmon process creations are the same processes again: the context does
    /// not keep those read once Sysmon showed up for the host, and drops those read before in one pass when the build
    /// starts (it rewrote the store for each such host while the hunt ran); the process index passes over them either
    /// way. A host without Sysmon keeps its 4688. Also with every host name in the host table's file and one hash for all
    /// of them: hosts are told apart by their names.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Security_process_records_of_sysmon_hosts_are_not_kept(bool collidingHosts)
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-campmem-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            static string Security(string host, int second, int pid, string image) =>
                $$"""{"EventID":4688,"Channel":"Security","Computer":"{{host}}.corp.example","TimeCreated":"2026-03-10T08:00:{{second:00}}Z","NewProcessId":"0x{{pid:x}}","ProcessId":"0x4","NewProcessName":"{{image}}","ParentProcessName":"C:/Windows/explorer.exe","CommandLine":"{{image}} /x","SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x3e8"}""";
            static string Sysmon(string host, int second, int pid, string image) =>
                $$"""{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"{{host}}.corp.example","TimeCreated":"2026-03-10T08:00:{{second:00}}Z","ProcessGuid":"{00000000-0000-0000-0000-{{pid:000000000000}}}","ParentProcessGuid":"{00000000-0000-0000-0000-000000000001}","ProcessId":"{{pid}}","ParentProcessId":"4","Image":"{{image}}","ParentImage":"C:/Windows/explorer.exe","CommandLine":"{{image}} /x","User":"alice","LogonId":"0x3e8"}""";
            // Read in this order: WS1's 4688 before its Sysmon, WS1's 4688 after it, WS2 with 4688 only.
            File.WriteAllLines(Path.Combine(dir, "a-security.jsonl"), [Security("WS1", 1, 100, "C:/a.exe"), Security("WS1", 2, 101, "C:/b.exe")]);
            File.WriteAllLines(Path.Combine(dir, "b-sysmon.jsonl"), [Sysmon("WS1", 1, 100, "C:/a.exe"), Sysmon("WS1", 2, 101, "C:/b.exe")]);
            File.WriteAllLines(Path.Combine(dir, "c-security.jsonl"), [Security("WS1", 3, 102, "C:/c.exe"), Security("WS2", 4, 200, "C:/d.exe")]);
            var set = RuleLoader.LoadBuiltin();
            var diag = new DiagnosticsCollector();
            var files = InputFiles.Expand([dir], LogFormats.All, diag);
            Assert.Equal(3, files.Count);
            var context = collidingHosts
                ? new ContextCollector(new ProcStore(2, 1, hostChars: 0, hostHash: _ => 7), new LogonStore())
                : new ContextCollector();
            using (var result = Hunter.Run(files, set.Rules, diag, degree: 1, correlate: set, observer: context)) _ = result.Detections.Count;
            Assert.Empty(diag.Errors);
            static string Line(ProcRec p) => $"{p.Host} {p.Image} {(p.FromSysmon ? "sysmon" : "4688")}";
            Assert.Equal(["WS1 C:/a.exe 4688", "WS1 C:/a.exe sysmon", "WS1 C:/b.exe 4688", "WS1 C:/b.exe sysmon", "WS2 C:/d.exe 4688"],
                context.Processes.Select(Line).Order(StringComparer.Ordinal).ToList());
            using (var before = new ProcessIndex(context.Processes))
                Assert.Equal(["WS1 C:/a.exe sysmon", "WS1 C:/b.exe sysmon", "WS2 C:/d.exe 4688"],
                    before.Procs.Select(Line).Order(StringComparer.Ordinal).ToList());
            context.DropSuperseded();
            Assert.Equal(["WS1 C:/a.exe sysmon", "WS1 C:/b.exe sysmon", "WS2 C:/d.exe 4688"],
                context.Processes.Select(Line).Order(StringComparer.Ordinal).ToList());
            context.DropSuperseded();
            Assert.Equal(3, context.Processes.Count);
            using var index = new ProcessIndex(context.Processes);
            Assert.Equal(["WS1 C:/a.exe sysmon", "WS1 C:/b.exe sysmon", "WS2 C:/d.exe 4688"],
                index.Procs.Select(Line).Order(StringComparer.Ordinal).ToList());
            Assert.Equal(-1, index.ByPid("WS1", 0x66, DateTime.Parse("2026-03-10T08:00:05Z").ToUniversalTime().Ticks));
            Assert.Equal("C:/a.exe", index.Image(index.ByPid("WS1", 100, DateTime.Parse("2026-03-10T08:00:05Z").ToUniversalTime().Ticks)));
            Assert.Equal("WS2", index.Host(index.ByPid("WS2", 200, DateTime.Parse("2026-03-10T08:00:05Z").ToUniversalTime().Ticks)));
            Assert.Equal(0, context.Dropped);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Explicit-credential logons (4648) are kept like other logons (they had a cap of 500k while the lateral linker
    /// held them as records), and those no logon answered become links held as rows: in the order lists per host gave (hosts
    /// by first appearance, then time, then input order), with the session and process keys of their source, through
    /// 3-row pages and 5-row sort runs as in memory.</summary>
    [Fact]
    public void Explicit_credential_links_are_rows_in_host_then_time_order()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-campmem-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var random = new Random(4);
            string[] hosts = ["WS2.corp.example", "WS1.corp.example", "SRV9.corp.example"];
            string Logon(int i)
            {
                string host = hosts[random.Next(hosts.Length)], target = random.Next(5) == 0 ? "-" : "SRV" + random.Next(4);
                string subject = random.Next(3) == 0 ? "0x3e7" : "0x" + (0x5000 + random.Next(4)).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
                string tool = random.Next(2) == 0 ? "C:/Windows/System32/net.exe" : "C:/Windows/System32/wbem/WMIC.exe";
                return $$"""{"EventID":4648,"Channel":"Security","Computer":"{{host}}","TimeCreated":"2026-03-10T08:{{random.Next(60):00}}:{{random.Next(60):00}}Z","TargetUserName":"alice{{i % 3}}","TargetDomainName":"CORP","SubjectUserName":"bob","SubjectDomainName":"CORP","SubjectLogonId":"{{subject}}","TargetServerName":"{{target}}","ProcessId":"0x4","ProcessName":"{{tool}}"}""";
            }
            var lines = Enumerable.Range(0, 300).Select(Logon).ToList();
            // One 4648 a logon answers: WS1 uses alice's credentials for SRV1 at 09:29:55, and SRV1 logs alice's network
            // logon from WS1's address at 09:30:00, followed by a process in that session. It makes a movement, not an
            // explicit-credential link.
            lines.Add("""{"EventID":4648,"Channel":"Security","Computer":"WS1.corp.example","TimeCreated":"2026-03-10T09:29:55Z","TargetUserName":"alice","TargetDomainName":"CORP","SubjectUserName":"bob","SubjectDomainName":"CORP","SubjectLogonId":"0x7777","TargetServerName":"SRV1","ProcessId":"0x4","ProcessName":"C:/Windows/System32/net.exe"}""");
            lines.Add("""{"EventID":4624,"Channel":"Security","Computer":"SRV1.corp.example","TimeCreated":"2026-03-10T09:30:00Z","TargetUserName":"alice","TargetDomainName":"CORP","TargetLogonId":"0x9999","LogonType":"3","IpAddress":"10.0.0.5","WorkstationName":"WS1"}""");
            File.WriteAllLines(Path.Combine(dir, "security.jsonl"), lines);
            File.WriteAllLines(Path.Combine(dir, "sysmon.jsonl"), ["""{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"SRV1.corp.example","UtcTime":"2026-03-10 09:30:02.000","TimeCreated":"2026-03-10T09:30:02Z","ProcessGuid":"{11111111-2222-3333-4444-555555555555}","ProcessId":"4242","Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami","ParentImage":"C:\\Windows\\System32\\services.exe","ParentProcessGuid":"{11111111-2222-3333-4444-000000000000}","ParentProcessId":"600","LogonId":"0x9999","User":"CORP\\alice"}"""]);
            var set = RuleLoader.LoadBuiltin();
            var diag = new DiagnosticsCollector();
            var files = InputFiles.Expand([dir], LogFormats.All, diag);
            var context = new ContextCollector();
            using (var result = Hunter.Run(files, set.Rules, diag, degree: 1, correlate: set, observer: context)) _ = result.Detections.Count;
            Assert.Empty(diag.Errors);
            // A 4648 naming no server ("-") is not kept.
            Assert.Equal(lines.Count(l => l.Contains("\"TargetServerName\":\"SRV", StringComparison.Ordinal)), context.Logons.Count(l => l.EventId == 4648));
            Assert.Equal(0, context.Dropped);

            // What lists per host gave: hosts in order of first appearance, each host's logons in time order (stable).
            var expected = context.Logons.Where(l => l.EventId == 4648).GroupBy(l => l.Host).SelectMany(g => g.OrderBy(l => l.Ticks))
                .Where(l => l.TargetServer.Length > 0 && l.SubjectLogonId != 0x7777)
                .Select(l => $"{l.Host}>{l.TargetServer} {l.Account} {l.Ticks} " + (Vigil.Campaigns.Entities.Names.IsSystemLogon(l.SubjectLogonId) ? "" : $"S:{l.SubjectLogonId}"))
                .ToList();
            Assert.True(expected.Count > 200, $"{expected.Count} explicit links expected");
            var hostMap = context.Addresses;
            foreach (var limits in new[] { ExternalBuildTests.Tiny, ExternalBuildTests.InMemory })
            {
                using var links = LateralLinker.Find(context, new ProcessIndex(context.Processes, limits), hostMap, null, limits);
                var movement = Assert.Single(links.Movements);
                Assert.Equal("WS1>SRV1 CORP\\alice", $"{movement.From}>{movement.To} {movement.Account}");
                Assert.Contains(UnionFind.Key.Session("WS1", 0x7777), movement.FromKeys);
                Assert.Equal(expected.Count, links.ExplicitCount);
                var explicitLinks = Enumerable.Range(0, links.ExplicitCount).Select(links.Explicit).ToList();
                Assert.Equal(links.All().Skip(1).Select(l => l.ToString()), explicitLinks.Select(l => l.ToString()));
                var got = explicitLinks.Select(l => $"{l.From}>{l.To} {l.Account} {l.Ticks} " + string.Join("", l.FromKeys.Where(k => k.Kind == 2).Select(k => $"S:{k.Number}"))).ToList();
                Assert.Equal(expected, got);
                Assert.All(explicitLinks, l => Assert.Empty(l.ToKeys));
                Assert.Contains(explicitLinks, l => l.Method == "wmi");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>An explicit-credential link (no logon answered it) belongs to the campaign of the session that used the
    /// credentials: a detection in WS1's session 0x5001 takes its two 4648s (to SRV3 and, by WMIC, SRV4) as movement, and
    /// not the one of another session (to SRV5).</summary>
    [Fact]
    public void Explicit_credential_links_join_the_campaign_of_their_session()
    {
        var links = CampaignLinks("explicit-links",
            [Explicit4648("09:00:05", "0x5001", "SRV3", "net.exe"), Explicit4648("09:01:00", "0x5002", "SRV5", "net.exe"),
             Explicit4648("09:02:00", "0x5001", "SRV4", "wbem/WMIC.exe")],
            [SysmonProcess("09:00:00", "11111111-2222-3333-4444-555555555555", "4242", "whoami.exe", "0x5001", "bob")]);
        Assert.Equal(["WS1>SRV3 explicit-credentials", "WS1>SRV4 wmi"], Assert.Single(links).Value);
    }

    /// <summary>An explicit-credential logon whose session and whose process are in two campaigns belongs to the campaign of
    /// its first key, the session: bob's session ran whoami, and the credentials were used by a net.exe of carol's (pid 4).</summary>
    [Fact]
    public void An_explicit_credential_link_goes_to_the_campaign_of_its_session_before_that_of_its_process()
    {
        var links = CampaignLinks("explicit-first-key", [Explicit4648("09:05:00", "0x5001", "SRV3", "net.exe")],
            [SysmonProcess("09:00:00", "11111111-2222-3333-4444-555555555551", "100", "whoami.exe", "0x5001", "bob"),
             SysmonProcess("09:04:00", "11111111-2222-3333-4444-555555555552", "4", "net.exe", "0x6001", "carol")]);
        Assert.Equal(2, links.Count);
        Assert.Equal(["WS1>SRV3 explicit-credentials"], links.Single(c => c.Key.Contains("bob", StringComparison.Ordinal)).Value);
        Assert.Empty(links.Single(c => c.Key.Contains("carol", StringComparison.Ordinal)).Value);
    }

    /// <summary>WS1 used alice's credentials for <paramref name="target"/> (4648) from session <paramref name="subject"/>,
    /// by process 4 (<paramref name="tool"/>).</summary>
    private static string Explicit4648(string time, string subject, string target, string tool) =>
        $$"""{"EventID":4648,"Channel":"Security","Computer":"WS1.corp.example","TimeCreated":"2026-03-10T{{time}}Z","TargetUserName":"alice","TargetDomainName":"CORP","SubjectUserName":"bob","SubjectDomainName":"CORP","SubjectLogonId":"{{subject}}","TargetServerName":"{{target}}","ProcessId":"0x4","ProcessName":"C:/Windows/System32/{{tool}}"}""";

    /// <summary>A Sysmon process creation on WS1, the root of its own tree, in a user's logon session.</summary>
    private static string SysmonProcess(string time, string guid, string pid, string image, string logon, string user) =>
        $$"""{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS1.corp.example","UtcTime":"2026-03-10 {{time}}.000","TimeCreated":"2026-03-10T{{time}}Z","ProcessGuid":"{{{guid}}}","ProcessId":"{{pid}}","Image":"C:\\Windows\\System32\\{{image}}","CommandLine":"{{image}}","ParentImage":"C:\\Windows\\explorer.exe","ParentProcessGuid":"{{{guid}}}0","ParentProcessId":"600","LogonId":"{{logon}}","User":"CORP\\{{user}}"}""";

    /// <summary>Hunts the given Security and Sysmon lines with one rule (whoami.exe and net.exe, high) and gives each
    /// campaign's links ("from>to method"), keyed by its users.</summary>
    private static Dictionary<string, List<string>> CampaignLinks(string name, string[] security, string[] sysmon)
    {
        var dir = Vigil.Tests.Cli.CliRunner.TempDir(name);
        File.WriteAllLines(Path.Combine(dir, "security.jsonl"), security);
        File.WriteAllLines(Path.Combine(dir, "sysmon.jsonl"), sysmon);
        File.WriteAllText(Path.Combine(dir, "rule.yml"), """
            title: Recon tool
            id: 3a1c7f52-5f5e-4a1f-9d3e-0d1b2c3d4e60
            status: test
            level: high
            tags:
                - attack.discovery
            logsource:
                category: process_creation
                product: windows
            detection:
                selection:
                    Image|endswith:
                        - '\whoami.exe'
                        - '\net.exe'
                condition: selection
            """);
        var r = Vigil.Tests.Cli.CliRunner.Run("hunt", Path.Combine(dir, "security.jsonl"), Path.Combine(dir, "sysmon.jsonl"), "--no-builtin",
            "--rules", Path.Combine(dir, "rule.yml"), "-f", "jsonl", "-o", Path.Combine(dir, "d.jsonl"), "--campaigns", Path.Combine(dir, "c.json"));
        Assert.Equal(0, r.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "c.json")));
        return doc.RootElement.GetProperty("campaigns").EnumerateArray().ToDictionary(
            c => string.Join(",", c.GetProperty("users").EnumerateArray().Select(u => u.GetString())),
            c => c.GetProperty("links").EnumerateArray()
                .Select(l => $"{l.GetProperty("from_host").GetString()}>{l.GetProperty("to_host").GetString()} {l.GetProperty("method").GetString()}").ToList());
    }

    /// <summary>A campaign's links folded per (from, to, account) as they stream in equal what sorting them by time and
    /// grouping gave (the earliest record, the method of the earliest specific one, in order of the earliest records), on
    /// random links with equal times, generic and specific methods.</summary>
    [Fact]
    public void Folded_links_equal_links_sorted_and_grouped()
    {
        var random = new Random(8);
        string[] methods = ["network-logon", "smb", "explicit-credentials", "psexec", "wmi", "rdp", "winrm"];
        for (int round = 0; round < 200; round++)
        {
            var links = Enumerable.Range(0, random.Next(0, 60)).Select(i => new Lateral("WS" + random.Next(3), "SRV" + random.Next(3), "u" + random.Next(2),
                methods[random.Next(methods.Length)], random.Next(20), i % 2 == 0 ? "10.0.0.1" : "", [], [])).ToList();
            var expected = links.OrderBy(l => l.Ticks).GroupBy(l => (l.From, l.To, l.Account))
                .Select(g => g.FirstOrDefault(x => x.Method is not ("network-logon" or "smb" or "explicit-credentials")) is { } specific ? specific with { Ticks = g.First().Ticks } : g.First())
                .ToList();
            Assert.Equal(expected, CampaignBuilder.FoldLinks(links));
        }
    }

    [Fact]
    public void Operator_measurements_keep_their_order_and_values_and_share_their_names()
    {
        var first = new Dictionary<string, double> { ["commands"] = 12, ["interval_cv"] = 0.25, ["parallel_hosts"] = 3 };
        var second = new Dictionary<string, double> { ["commands"] = 4, ["interval_cv"] = double.NaN, ["parallel_hosts"] = 1 };
        var other = new Dictionary<string, double> { ["parallel_hosts"] = 2, ["commands"] = 7 };
        var a = Vigil.Campaigns.Operator.Measurements.From(first);
        var b = Vigil.Campaigns.Operator.Measurements.From(second);
        var c = Vigil.Campaigns.Operator.Measurements.From(other);
        Assert.Equal(first.ToList(), a.ToList());
        Assert.Equal(["commands", "interval_cv", "parallel_hosts"], b.Keys);
        Assert.True(double.IsNaN(b["interval_cv"]));
        Assert.Same(a.Keys, b.Keys);
        Assert.Equal(other.ToList(), c.ToList());
        Assert.Equal(2, c.Count);
        Assert.Equal(7, c.GetValueOrDefault("commands"));
        Assert.False(c.TryGetValue("interval_cv", out _));
        Assert.False(c.ContainsKey("interval_cv"));
        Assert.Throws<KeyNotFoundException>(() => c["interval_cv"]);
    }

    /// <summary>The --campaigns writer hands its text to the stream as it goes: no single write holds the whole file.</summary>
    [Fact]
    public void Campaign_json_is_streamed_not_buffered_whole()
    {
        var campaigns = Enumerable.Range(1, 400).Select(i => new Campaign
        {
            Id = "C" + i, Score = i % 100, Kind = "suspicious", Hosts = ["WS" + i, "FS01"], Users = ["CORP\\user" + i], InternalAddresses = ["10.0.0." + (i % 250)],
            ExternalAddresses = [], Tactics = ["discovery"], Techniques = ["T1087"], FirstSeen = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc),
            LastSeen = new DateTime(2026, 3, 10, 1, 0, 0, DateTimeKind.Utc), DetectionIds = Enumerable.Range(i * 10, 10).Select(x => (long)x).ToList(),
            Levels = new Dictionary<string, long> { ["low"] = 10 },
            Operator = new OperatorVerdict { Kind = "unknown", Confidence = 0.2, Evidence = new Dictionary<string, double> { ["commands"] = i }, Reasons = ["only 1 command(s) to judge by"] },
            Summary = new string('x', 300) + i, Steps = [], Links = [], Theft = [],
        }).ToList();
        var sink = new RecordingStream();
        CampaignJson.Write(campaigns, sink);
        var text = Encoding.UTF8.GetString(sink.ToArray());
        Assert.True(sink.Writes > 4, $"{sink.Writes} writes");
        Assert.True(sink.LargestWrite < text.Length / 4, $"largest write {sink.LargestWrite} of {text.Length} bytes");
        // Same content as each campaign on its own.
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        var items = doc.RootElement.GetProperty("campaigns").EnumerateArray().ToList();
        Assert.Equal(400, items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            using var alone = System.Text.Json.JsonDocument.Parse(CampaignJson.ToJson(campaigns[i]));
            Assert.Equal(System.Text.Json.JsonSerializer.Serialize(alone.RootElement), System.Text.Json.JsonSerializer.Serialize(items[i]));
        }
    }

    private static string Json(IReadOnlyList<Campaign> campaigns)
    {
        using var ms = new MemoryStream();
        CampaignJson.Write(campaigns, ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private sealed class RecordingStream : MemoryStream
    {
        public int Writes { get; private set; }
        public int LargestWrite { get; private set; }

        public override void Write(byte[] buffer, int offset, int count) { Record(count); base.Write(buffer, offset, count); }
        public override void Write(ReadOnlySpan<byte> buffer) { Record(buffer.Length); base.Write(buffer); }

        private void Record(int count)
        {
            Writes++;
            LargestWrite = Math.Max(LargestWrite, count);
        }
    }

    /// <summary>Every field of two detection facts equal (values, not references), tags and techniques in order.</summary>
    internal static void AssertSameFact(DetectionFact a, DetectionFact b)
    {
        Assert.Equal((a.Id, a.Ticks, a.RuleId, a.RuleTitle, a.Level, a.Host, a.EventId, a.Account, a.TargetAccount, a.ProcessGuid),
            (b.Id, b.Ticks, b.RuleId, b.RuleTitle, b.Level, b.Host, b.EventId, b.Account, b.TargetAccount, b.ProcessGuid));
        Assert.Equal((a.ParentProcessGuid, a.ProcessId, a.LogonId, a.SourceAddress, a.DestAddress, a.DestPort, a.Bytes, a.Image, a.Detail),
            (b.ParentProcessGuid, b.ProcessId, b.LogonId, b.SourceAddress, b.DestAddress, b.DestPort, b.Bytes, b.Image, b.Detail));
        Assert.Equal((a.ServiceName, a.CloudArn, a.LogonType, a.Workstation, a.TargetServer, a.EventKey),
            (b.ServiceName, b.CloudArn, b.LogonType, b.Workstation, b.TargetServer, b.EventKey));
        Assert.Equal(a.Tactics, b.Tactics);
        Assert.Equal(a.Techniques, b.Techniques);
    }
}
