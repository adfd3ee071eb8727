using System.Globalization;
using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;
using Vigil.Simulation;

namespace Vigil.Tests.Simulation;

/// <summary>
/// The scenarios of <c>vigil simulate</c> as an evaluation set: deterministic, labels that point at real lines,
/// the machine operator's tempo, parallelism, breadth and failures really present in the data, the human one
/// slower, and the built-in rules (theft rules included) firing on the intrusion but not on the benign work.
/// </summary>
public sealed class ScenarioTests(ScenarioFixture fx) : IClassFixture<ScenarioFixture>
{
    private static string TempDir() => Path.Combine(Path.GetTempPath(), "vigil-scn-" + Guid.NewGuid().ToString("N"));
    private static readonly string[] Levels = ["informational", "low", "medium", "high", "critical"];
    private static int Rank(string level) => Array.IndexOf(Levels, level);

    private static DateTime Time(string iso) =>
        DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    // ---- determinism ------------------------------------------------------------------------------------

    [Theory]
    [InlineData("human")]
    [InlineData("machine")]
    [InlineData("cloud")]
    [InlineData("benign")]
    public void EachScenarioIsByteIdenticalForASeedAndDiffersForAnother(string scenario)
    {
        string a = TempDir(), b = TempDir(), c = TempDir();
        try
        {
            var ra = Simulator.Run(new SimulationOptions { OutDir = a, Events = 5000, Seed = 3, Scenario = scenario });
            var rb = Simulator.Run(new SimulationOptions { OutDir = b, Events = 5000, Seed = 3, Scenario = scenario });
            var rc = Simulator.Run(new SimulationOptions { OutDir = c, Events = 5000, Seed = 4, Scenario = scenario });
            var names = ra.Files.Concat(ra.SideFiles).Select(f => Path.GetRelativePath(a, f)).Append("truth.json").ToList();
            Assert.Equal(names, rb.Files.Concat(rb.SideFiles).Select(f => Path.GetRelativePath(b, f)).Append("truth.json").ToList());
            Assert.Equal(9 + 1, names.Count); // 4 Windows channels, 4 Zeek logs, CloudTrail, truth
            foreach (var n in names)
                Assert.True(File.ReadAllBytes(Path.Combine(a, n)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, n))), $"{scenario}: {n} differs between two runs with seed 3");
            foreach (var n in new[] { Path.Combine("logs", "zeek", "conn.log"), Path.Combine("logs", "sysmon.jsonl") })
                Assert.False(File.ReadAllBytes(Path.Combine(a, n)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(c, n))), $"{scenario}: seeds 3 and 4 gave the same {n}");
            if (scenario is "machine" or "cloud")
            {
                // Different attacker addresses, workstations reached and backdoor per seed.
                Assert.NotEqual(ra.Truth.ExternalIps, rc.Truth.ExternalIps);
                Assert.True(!ra.Truth.CompromisedHosts.SequenceEqual(rc.Truth.CompromisedHosts) || !ra.Truth.CreatedAccounts.SequenceEqual(rc.Truth.CreatedAccounts),
                    "seeds 3 and 4 compromised the same hosts with the same backdoor");
            }
        }
        finally
        {
            foreach (var d in new[] { a, b, c }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void UnknownScenarioIsAnError()
    {
        string d = TempDir();
        var ex = Assert.Throws<ArgumentException>(() => Simulator.Run(new SimulationOptions { OutDir = d, Scenario = "robot" }));
        Assert.Contains("human, machine, cloud, benign", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(d));
    }

    // ---- truth --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("human")]
    [InlineData("machine")]
    [InlineData("cloud")]
    [InlineData("benign")]
    public void TruthLabelsPointAtRealLines(string scenario)
    {
        var day = fx[scenario];
        var truth = day.Truth;
        var labels = truth.IntrusionEvents.Concat(truth.BenignLookalikes).ToList();
        Assert.NotEmpty(labels);
        foreach (var le in labels)
        {
            Assert.True(le.Line > 0, $"{le.File}: label without a line");
            Assert.True(day.Lines.TryGetValue((le.File, le.Line), out var e), $"truth names {le.File}:{le.Line}, which does not exist");
            switch (le.Source)
            {
                case "windows":
                    Assert.Equal(le.EventRecordID, e.GetProperty("EventRecordID").GetInt64());
                    Assert.Equal(le.Hostname, Str(e, "Hostname"));
                    Assert.Equal(le.EventID, e.GetProperty("EventID").GetInt32());
                    Assert.Equal(le.Timestamp, Str(e, "@timestamp"));
                    break;
                case "zeek":
                    Assert.StartsWith("zeek/", le.File, StringComparison.Ordinal);
                    Assert.Equal(le.RecordId, Str(e, "uid"));
                    Assert.Equal(le.Timestamp, ScenarioDay.ZeekIso(e));
                    break;
                case "cloudtrail":
                    Assert.StartsWith("cloudtrail/", le.File, StringComparison.Ordinal);
                    Assert.Equal(le.RecordId, Str(e, "eventID"));
                    Assert.Equal(le.Timestamp[..19] + "Z", Str(e, "eventTime"));
                    break;
                default:
                    Assert.Fail("unknown label source " + le.Source);
                    break;
            }
        }
        // The counts truth.json gives per file are the lines in the files.
        foreach (var (file, lines) in day.ByFile) Assert.Equal(truth.EventsPerFile[file], lines.Count);
        // truth.json carries the new fields.
        var doc = JsonDocument.Parse(File.ReadAllText(day.Result.TruthPath)).RootElement;
        Assert.Equal(scenario, doc.GetProperty("scenario").GetString());
        foreach (var field in new[] { "compromisedHosts", "compromisedAccounts", "attackerAddresses", "footholdAddresses", "externalIps", "benignActivities" })
            Assert.Equal(JsonValueKind.Array, doc.GetProperty(field).ValueKind);
        Assert.Equal(scenario switch { "benign" => "none", "human" => "human", _ => "machine" }, doc.GetProperty("operator").GetString());

        // Benign activities: every kind present, each with accounts, a time span and (for Windows work) hosts.
        var kinds = truth.BenignActivities.Select(a => a.Kind).Distinct().Order().ToList();
        Assert.Equal(["admin", "backup", "inventory"], kinds);
        foreach (var a in truth.BenignActivities)
        {
            Assert.NotEmpty(a.Accounts);
            Assert.True(a.StartMs <= a.EndMs);
            Assert.True(a.Hosts.Count > 0 || a.Addresses.Count > 0, $"{a.Name}: neither hosts nor addresses");
        }
        var backup = truth.BenignActivities.Where(a => a.Kind == "backup" && a.Hosts.Count > 0).ToList();
        Assert.All(backup, a => Assert.Contains(Company.BackupTargetIp, a.Addresses));

        if (scenario == "benign")
        {
            Assert.Empty(truth.IntrusionEvents);
            Assert.Empty(truth.CompromisedHosts);
            Assert.Empty(truth.AttackerAddresses);
            Assert.Equal(JsonValueKind.Null, doc.GetProperty("intrusionStart").ValueKind);
            return;
        }
        // Attacker addresses are the footholds and external addresses, and they occur in the labelled events.
        Assert.Equal(truth.FootholdIps.Concat(truth.ExternalIps), truth.AttackerAddresses);
        var intrusionLines = truth.IntrusionEvents.Select(day.Of).Select(e => e.GetRawText()).ToList();
        foreach (var ip in truth.AttackerAddresses)
            Assert.Contains(intrusionLines, l => l.Contains("\"" + ip + "\"", StringComparison.Ordinal));
        // Network steps of the intrusion are labelled in Zeek too.
        Assert.Contains(truth.IntrusionEvents, l => l.File == "zeek/conn.log");
    }

    // ---- tempo ----------------------------------------------------------------------------------------------

    /// <summary>Start times and hosts of the intrusion's commands: each command the operator issues is one
    /// <c>cmd.exe /c</c> (machine: web shell, PsExec shell) or one process the implant starts (human).</summary>
    private static List<(DateTime Time, string Host)> Commands(ScenarioDay day, bool machine)
    {
        var list = new List<(DateTime, string)>();
        foreach (var le in day.Truth.IntrusionEvents.Where(l => l.Source == "windows" && l.EventID == 1))
        {
            var e = day.Of(le);
            string image = Str(e, "Image"), parent = Str(e, "ParentImage");
            bool command = machine
                ? image.EndsWith("\\cmd.exe", StringComparison.OrdinalIgnoreCase) && Str(e, "CommandLine").StartsWith("cmd.exe /c ", StringComparison.Ordinal)
                : !parent.EndsWith("\\net.exe", StringComparison.OrdinalIgnoreCase);
            if (command) list.Add((Time(le.Timestamp), le.Hostname));
        }
        list.Sort();
        return list;
    }

    private static List<List<(DateTime Time, string Host)>> Bursts(List<(DateTime Time, string Host)> cmds, TimeSpan pause)
    {
        var bursts = new List<List<(DateTime, string)>>();
        foreach (var c in cmds)
        {
            if (bursts.Count == 0 || c.Time - bursts[^1][^1].Item1 >= pause) bursts.Add([]);
            bursts[^1].Add(c);
        }
        return bursts;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count == 0 ? double.NaN : s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static int MaxHostsInWindow(List<(DateTime Time, string Host)> cmds, TimeSpan window)
    {
        int best = 0;
        for (int i = 0, j = 0; j < cmds.Count; j++)
        {
            while (cmds[j].Time - cmds[i].Time > window) i++;
            best = Math.Max(best, cmds.Skip(i).Take(j - i + 1).Select(c => c.Host).Distinct().Count());
        }
        return best;
    }

    [Theory]
    [InlineData("machine")]
    [InlineData("cloud")]
    public void MachineOperatorTempoHoldsInTheData(string scenario)
    {
        var day = fx[scenario];
        var truth = day.Truth;
        var cmds = Commands(day, machine: true);
        Assert.True(cmds.Count > 200, $"only {cmds.Count} commands");

        // Shape: at least three machine-speed bursts separated by long pauses (a person approving the next phase).
        var bursts = Bursts(cmds, TimeSpan.FromMinutes(10)).Where(b => b.Count >= 20).ToList();
        Assert.True(bursts.Count >= 3, $"{bursts.Count} bursts of 20+ commands");
        for (int i = 1; i < bursts.Count; i++)
            Assert.True(bursts[i][0].Time - bursts[i - 1][^1].Time >= TimeSpan.FromMinutes(10));
        foreach (var b in bursts)
        {
            // Tempo: sub-second median gap, and regular: most gaps close to the median.
            var gaps = b.Zip(b.Skip(1), (x, y) => (y.Time - x.Time).TotalSeconds).ToList();
            double median = Median(gaps);
            Assert.True(median < 1.0, $"median gap {median:F3} s in a burst of {b.Count}");
            double regular = gaps.Count(g => g >= 0.5 * median && g <= 1.6 * median) / (double)gaps.Count;
            Assert.True(regular >= 0.8, $"only {regular:P0} of the gaps are near the median {median:F3} s");
        }
        // Sustained: some burst keeps more than two commands per second for at least 30 s.
        Assert.Contains(bursts, b => b.Count >= 60 && b.Count / Math.Max(1, (b[^1].Time - b[0].Time).TotalSeconds) >= 2.0
            && (b[^1].Time - b[0].Time).TotalSeconds >= 30);

        // Parallelism: three or more hosts worked within one minute.
        Assert.True(MaxHostsInWindow(cmds, TimeSpan.FromMinutes(1)) >= 3, "no minute with commands on three hosts");

        // Breadth: many distinct discovery programs, and a sweep of many addresses in minutes (Zeek).
        var discovery = truth.IntrusionEvents.Where(l => l.Source == "windows" && l.EventID == 1 && l.Tactic == "discovery")
            .Select(l => Path.GetFileName(Str(day.Of(l), "Image")).ToLowerInvariant()).Where(n => n != "cmd.exe").Distinct().ToList();
        Assert.True(discovery.Count >= 20, $"only {discovery.Count} distinct discovery programs: {string.Join(", ", discovery)}");
        string foothold = truth.FootholdIps[0];
        var sweep = day.Zeek("conn").Where(e => Str(e, "id.orig_h") == foothold && NetSensor.IsInternal(Str(e, "id.resp_h")))
            .Select(e => (Time: Time(ScenarioDay.ZeekIso(e)), Dst: Str(e, "id.resp_h"))).OrderBy(x => x.Time).ToList();
        int widest = 0;
        for (int i = 0, j = 0; j < sweep.Count; j++)
        {
            while (sweep[j].Time - sweep[i].Time > TimeSpan.FromMinutes(5)) i++;
            if (j - i > widest) widest = Math.Max(widest, sweep.Skip(i).Take(j - i + 1).Select(x => x.Dst).Distinct().Count());
        }
        Assert.True(widest >= 80, $"the foothold reached only {widest} internal addresses within 5 minutes");

        // Failures: a burst of failed network logons from the foothold on several servers, then a success.
        var failed = day.ByFile["security.jsonl"].Where(e => e.GetProperty("EventID").GetInt32() == 4625 && Str(e, "IpAddress") == foothold)
            .Select(e => (Time: Time(Str(e, "@timestamp")), Host: Str(e, "Hostname"))).ToList();
        Assert.True(failed.Count >= 10, $"{failed.Count} failed logons from the foothold");
        Assert.True(failed[^1].Time - failed[0].Time <= TimeSpan.FromMinutes(2));
        Assert.True(failed.Select(f => f.Host).Distinct().Count() >= 3);
        var success = day.ByFile["security.jsonl"].Where(e => e.GetProperty("EventID").GetInt32() == 4624 && Str(e, "IpAddress") == foothold
            && Str(e, "LogonType") == "3" && Time(Str(e, "@timestamp")) > failed[^1].Time).ToList();
        Assert.NotEmpty(success);
        Assert.Contains(truth.CompromisedAccounts, a => a.EndsWith("\\" + Str(success[0], "TargetUserName"), StringComparison.Ordinal));

        // Escalation: credential access, remote services, backdoor account, database export, large upload to a
        // new address, cloud bulk reads.
        var windows = truth.IntrusionEvents.Where(l => l.Source == "windows").Select(day.Of).ToList();
        Assert.Contains(windows, e => e.GetProperty("EventID").GetInt32() == 10 && Str(e, "TargetImage").EndsWith("lsass.exe", StringComparison.Ordinal));
        Assert.Contains(windows, e => Str(e, "CommandLine").StartsWith("ntdsutil", StringComparison.Ordinal));
        Assert.True(windows.Count(e => e.GetProperty("EventID").GetInt32() == 7045 && Str(e, "ServiceName") == "PSEXESVC") >= 3);
        Assert.Contains(windows, e => e.GetProperty("EventID").GetInt32() == 4720 && truth.CreatedAccounts[0].EndsWith("\\" + Str(e, "TargetUserName"), StringComparison.Ordinal));
        Assert.Contains(windows, e => e.GetProperty("EventID").GetInt32() == 4732 && Str(e, "TargetSid") == "S-1-5-32-544");
        Assert.Contains(windows, e => e.GetProperty("EventID").GetInt32() == 4624 && Str(e, "LogonType") == "3" && Str(e, "IpAddress") == foothold);
        Assert.Contains(windows, e => Str(e, "Image").EndsWith("bcp.exe", StringComparison.Ordinal) && Str(e, "CommandLine").Contains(" out ", StringComparison.Ordinal));
        var start = truth.IntrusionStart;
        var before = day.Zeek("conn").Where(e => Time(ScenarioDay.ZeekIso(e)) < start).SelectMany(e => new[] { Str(e, "id.orig_h"), Str(e, "id.resp_h") }).ToHashSet();
        var exfil = day.Zeek("conn").Where(e => e.TryGetProperty("orig_bytes", out var b) && b.GetInt64() >= 100_000_000 && !NetSensor.IsInternal(Str(e, "id.resp_h"))).ToList();
        var theft = Assert.Single(exfil);
        Assert.Contains(Str(theft, "id.resp_h"), truth.ExternalIps);
        Assert.DoesNotContain(Str(theft, "id.resp_h"), before);
        var gets = day.CloudTrail.Where(e => Str(e, "eventName") == "GetObject" && truth.ExternalIps.Contains(Str(e, "sourceIPAddress")))
            .Select(e => Time(Str(e, "eventTime"))).ToList();
        Assert.True(gets.Count >= 100 && gets[99] - gets[0] <= TimeSpan.FromMinutes(5), $"{gets.Count} GetObject calls from attacker addresses");

        // Every connection the intrusion made on a Windows host is also in Zeek's conn.log.
        var conns = day.Zeek("conn").Select(e => (Str(e, "id.orig_h"), e.GetProperty("id.orig_p").GetInt32(), Str(e, "id.resp_h"), e.GetProperty("id.resp_p").GetInt32())).ToHashSet();
        foreach (var e in windows.Where(e => e.GetProperty("EventID").GetInt32() == 3))
            Assert.Contains((Str(e, "SourceIp"), int.Parse(Str(e, "SourcePort"), CultureInfo.InvariantCulture), Str(e, "DestinationIp"), int.Parse(Str(e, "DestinationPort"), CultureInfo.InvariantCulture)), conns);
    }

    [Fact]
    public void HumanOperatorIsSlowerAndWorksOneHostAtATime()
    {
        var human = Commands(fx["human"], machine: false);
        var machine = Commands(fx["machine"], machine: true);
        Assert.True(human.Count >= 20);
        double MedianGap(List<(DateTime Time, string Host)> c) => Median(c.Zip(c.Skip(1), (x, y) => (y.Time - x.Time).TotalSeconds).ToList());
        double h = MedianGap(human), m = MedianGap(machine);
        Assert.True(h >= 5, $"human median gap {h:F1} s");
        Assert.True(m < 1, $"machine median gap {m:F3} s");
        // One host at a time: a lateral move puts two hosts in one minute (the source and the new shell), never three.
        Assert.True(MaxHostsInWindow(human, TimeSpan.FromMinutes(1)) <= 2, "the human operator worked three hosts within a minute");
        // Nothing in the human scenario reaches two commands per second over 30 s.
        for (int i = 0; i + 60 < human.Count; i++)
            Assert.True(human[i + 60].Time - human[i].Time > TimeSpan.FromSeconds(30));
    }

    // ---- hunting ------------------------------------------------------------------------------------------------

    private static readonly Lazy<RuleSet> Builtin = new(() =>
    {
        var set = RuleLoader.LoadBuiltin();
        Assert.Empty(set.Errors);
        return set;
    });

    private static List<Detection> Hunt(string logDir, RuleSet set)
    {
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([logDir], LogFormats.All, diag);
        using var result = Hunter.Run(files, set.Rules, diag, degree: 1, correlate: set);
        var list = result.Detections.ToList();
        Assert.Empty(diag.Errors);
        return list;
    }

    private static (string File, long Line) Key(ScenarioDay day, Detection d) =>
        (Path.GetRelativePath(day.LogDir, d.Origin.Source).Replace(Path.DirectorySeparatorChar, '/'), d.Origin.Line);

    private const string LargeOutbound = "8cab42aa-0963-4aab-b1dd-8a0d31b30bfa";
    private const string GetObjectBurst = "abf1bcf9-7887-4c10-ba8e-0f8f19aa8711";
    private const string SnapshotShared = "bd2c2778-6274-4f7b-874d-44f869daab08";
    private const string FailedLogonBurst = "249dd4e0-d580-4b54-8a3a-85171ca39ce9";
    private const string PortSweep = "66ec7693-94d2-4dcf-9d0c-6016e0a40cca";
    private const string WebShell = "5facf307-8fed-4d39-b81c-ad36ff3e0a9b";

    [Theory]
    [InlineData("human")]
    [InlineData("machine")]
    [InlineData("cloud")]
    [InlineData("benign")]
    public void HuntFindsTheIntrusionAndTheTheftRulesSpareTheBenignWork(string scenario)
    {
        var day = fx[scenario];
        var truth = day.Truth;
        var detections = Hunt(day.LogDir, Builtin.Value);
        var intrusion = truth.IntrusionEvents.Select(l => (l.File, l.Line)).ToHashSet();
        var backupLines = truth.BenignLookalikes.Where(l => l.Kind == "backup").Select(l => (l.File, l.Line)).ToHashSet();
        Assert.Contains(backupLines, k => k.File == "zeek/conn.log");

        // No benign line (background, inventory, backup, admin work) fires a high or critical rule or correlation.
        var falseAlarms = detections.Where(d => Rank(d.Rule.Level) >= 3 && !intrusion.Contains(Key(day, d)))
            .Select(d => $"{d.Rule.Title} on {Key(day, d)}").ToList();
        Assert.True(falseAlarms.Count == 0, $"{scenario}: benign lines fire high/critical rules:\n" + string.Join("\n", falseAlarms.Take(20)));
        // The theft rules never fire on the backup job (gigabytes, but to the internal NAS) or anything benign.
        foreach (var id in new[] { LargeOutbound, GetObjectBurst, SnapshotShared, FailedLogonBurst, PortSweep, WebShell })
            Assert.All(detections.Where(d => d.Rule.Id == id), d => Assert.Contains(Key(day, d), intrusion));
        Assert.DoesNotContain(detections, d => backupLines.Contains(Key(day, d)) && Rank(d.Rule.Level) >= 2);

        int Fired(string id) => detections.Count(d => d.Rule.Id == id);
        if (scenario == "benign")
        {
            Assert.DoesNotContain(detections, d => Rank(d.Rule.Level) >= 2);
            return;
        }
        Assert.True(Fired(LargeOutbound) >= 1, "no large outbound transfer detected");
        bool agent = scenario is "machine" or "cloud";
        Assert.Equal(agent, Fired(GetObjectBurst) >= 1);
        Assert.Equal(scenario == "cloud", Fired(SnapshotShared) >= 1);
        Assert.Equal(agent, Fired(FailedLogonBurst) >= 1);
        Assert.Equal(agent, Fired(PortSweep) >= 1);
        Assert.Equal(agent, Fired(WebShell) >= 1);

        // The intrusion's detections span the kill chain.
        var tactics = detections.Where(d => intrusion.Contains(Key(day, d))).SelectMany(d => d.Rule.Tags)
            .Where(t => t.StartsWith("attack.", StringComparison.Ordinal) && !t.StartsWith("attack.t", StringComparison.Ordinal)).Select(t => t[7..]).ToHashSet();
        foreach (var t in new[] { "execution", "discovery", "credential-access", "lateral-movement", "persistence", "collection", "exfiltration" })
            Assert.True(tactics.Contains(t) || (t == "execution" && agent), $"{scenario}: no detection with tactic {t} ({string.Join(", ", tactics)})");
    }

    [Fact]
    public void ZeekAndCloudTrailLinesAreRecognisedByTheirLogsource()
    {
        var day = fx["machine"];
        const string yaml = """
            title: zeek conn established
            id: 10000000-0000-4000-8000-000000000001
            status: test
            level: low
            logsource:
                product: zeek
                service: conn
            detection:
                selection:
                    conn_state: SF
                condition: selection
            ---
            title: zeek dns query
            id: 10000000-0000-4000-8000-000000000002
            status: test
            level: low
            logsource:
                product: zeek
                service: dns
            detection:
                selection:
                    query|endswith: '.com'
                condition: selection
            ---
            title: zeek tls sni
            id: 10000000-0000-4000-8000-000000000003
            status: test
            level: low
            logsource:
                product: zeek
                service: ssl
            detection:
                selection:
                    server_name|exists: true
                condition: selection
            ---
            title: cloudtrail s3
            id: 10000000-0000-4000-8000-000000000004
            status: test
            level: low
            logsource:
                product: aws
                service: cloudtrail
            detection:
                selection:
                    eventSource: s3.amazonaws.com
                    userIdentity.type: IAMUser
                condition: selection
            """;
        var set = RuleLoader.LoadText(yaml, "inline.yml");
        Assert.Empty(set.Errors);
        var detections = Hunt(day.LogDir, set);
        List<(string File, long Line)> Of(string title) => detections.Where(d => d.Rule.Title == title).Select(d => Key(day, d)).Order().ToList();

        List<(string, long)> Expected(string file, Func<JsonElement, bool> pred) =>
            day.ByFile[file].Select((e, i) => (e, i)).Where(x => pred(x.e)).Select(x => (file, (long)x.i + 1)).ToList();
        Assert.Equal(Expected("zeek/conn.log", e => Str(e, "conn_state") == "SF"), Of("zeek conn established"));
        Assert.Equal(Expected("zeek/dns.log", e => Str(e, "query").EndsWith(".com", StringComparison.Ordinal)), Of("zeek dns query"));
        Assert.Equal(Expected("zeek/ssl.log", e => e.TryGetProperty("server_name", out _)), Of("zeek tls sni"));
        Assert.Equal(Expected("cloudtrail/" + CloudTrail.AccountFileName,
            e => Str(e, "eventSource") == "s3.amazonaws.com" && e.GetProperty("userIdentity").GetProperty("type").GetString() == "IAMUser"), Of("cloudtrail s3"));
        Assert.NotEmpty(Of("zeek conn established"));
        Assert.NotEmpty(Of("zeek dns query"));
        Assert.NotEmpty(Of("zeek tls sni"));
        Assert.NotEmpty(Of("cloudtrail s3"));
    }
}
