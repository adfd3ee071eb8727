using System.Globalization;
using System.Text.Json;
using Vigil.Simulation;

namespace Vigil.Tests.Simulation;

public sealed class SimulatorTests(SimulatorFixture fx) : IClassFixture<SimulatorFixture>
{
    private static readonly Dictionary<string, string> ChannelOfFile = new()
    {
        ["security.jsonl"] = "Security",
        ["sysmon.jsonl"] = "Microsoft-Windows-Sysmon/Operational",
        ["system.jsonl"] = "System",
        ["powershell.jsonl"] = "Microsoft-Windows-PowerShell/Operational",
    };

    private static readonly HashSet<string> GiveawayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "label", "kind", "step", "technique", "tactic", "truth", "intrusion", "malicious", "attack", "scenario",
    };

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "vigil-sim-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void SameSeedGivesByteIdenticalFilesAndOtherSeedDiffers()
    {
        string a = TempDir(), b = TempDir(), c = TempDir();
        try
        {
            var ra = Simulator.Run(new SimulationOptions { OutDir = a, Events = 8000, Seed = 3 });
            Simulator.Run(new SimulationOptions { OutDir = b, Events = 8000, Seed = 3 });
            Simulator.Run(new SimulationOptions { OutDir = c, Events = 8000, Seed = 4 });
            var names = ra.Files.Select(f => Path.GetRelativePath(a, f)).Append("truth.json").ToList();
            Assert.Equal(5, names.Count);
            foreach (var n in names)
                Assert.True(File.ReadAllBytes(Path.Combine(a, n!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, n!))), $"{n} differs between two runs with seed 3");
            Assert.False(File.ReadAllBytes(Path.Combine(a, "logs", "security.jsonl")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(c, "logs", "security.jsonl"))),
                "seeds 3 and 4 produced the same security.jsonl");
            Assert.False(File.ReadAllBytes(Path.Combine(a, "truth.json")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(c, "truth.json"))));
        }
        finally
        {
            foreach (var d in new[] { a, b, c }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    [Fact]
    public void EveryLineIsAFlatWindowsEventInTimeOrder()
    {
        Assert.NotEmpty(fx.All);
        var lastTime = new Dictionary<string, DateTime>();
        var lastRid = new Dictionary<(string, string), long>();
        foreach (var (file, e) in fx.All)
        {
            Assert.Equal(JsonValueKind.Object, e.ValueKind);
            Assert.Equal(JsonValueKind.Number, e.GetProperty("EventID").ValueKind);
            Assert.Equal(ChannelOfFile[file], e.GetProperty("Channel").GetString());
            string host = e.GetProperty("Hostname").GetString()!;
            Assert.EndsWith(".corp.example", host, StringComparison.Ordinal);
            Assert.Equal(host, e.GetProperty("Computer").GetString());
            Assert.False(string.IsNullOrEmpty(e.GetProperty("Provider_Name").GetString()));
            string ts = e.GetProperty("@timestamp").GetString()!;
            Assert.Equal(ts, e.GetProperty("TimeCreated").GetString());
            var t = DateTime.ParseExact(ts, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
            Assert.InRange(t, Simulator.BaseDate, Simulator.BaseDate.AddDays(1).AddHours(1));
            // Files are chronological, and record ids rise with time per host and channel, as in a real log.
            if (lastTime.TryGetValue(file, out var prev)) Assert.True(t >= prev, $"{file}: {ts} after {prev:o}");
            lastTime[file] = t;
            long rid = e.GetProperty("EventRecordID").GetInt64();
            if (lastRid.TryGetValue((file, host), out long pr)) Assert.True(rid == pr + 1, $"{file} {host}: record {rid} after {pr}");
            lastRid[(file, host)] = rid;
            // Event data are strings as in OTRF exports; no ground-truth hints inside events.
            foreach (var p in e.EnumerateObject())
                Assert.DoesNotContain(p.Name, GiveawayNames);
        }
        Assert.Equal(fx.Result.EventCount, fx.All.Count);
    }

    [Fact]
    public void EventFieldsFollowTheOtrfDatasets()
    {
        // For every (channel, EventID) that both the simulator and the OTRF datasets contain, the
        // simulator writes at least the event-data fields the real events have (collector metadata aside).
        string[] collectorMeta =
        [
            "Keywords", "SeverityValue", "EventTypeOrignal", "ProviderGuid", "ExecutionProcessID", "host", "UserID", "AccountType",
            "ThreadID", "EventReceivedTime", "Opcode", "EventTime", "@timestamp", "SourceModuleType", "port", "AccountName", "RecordNumber",
            "Task", "Domain", "@version", "OpcodeValue", "SourceModuleName", "Severity", "SourceName", "Version", "Category", "tags",
            "Hostname", "Message", "EventType", "ActivityID", "TimeCreated", "Channel", "EventID", "Level", "ERROR_EVT_UNRESOLVED",
            "RelatedActivityID", "ProcessID", "ProcessId",
        ];
        var skip = new HashSet<string>(collectorMeta, StringComparer.Ordinal);
        var sim = new Dictionary<(string, int), HashSet<string>>();
        foreach (var (_, e) in fx.All)
        {
            var key = (e.GetProperty("Channel").GetString()!.ToLowerInvariant(), e.GetProperty("EventID").GetInt32());
            if (!sim.TryGetValue(key, out var set)) sim[key] = set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject()) set.Add(p.Name);
        }
        var real = new Dictionary<(string, int), HashSet<string>>();
        string dir = Path.Combine(TestPaths.Shared, "data", "json", "otrf");
        foreach (var path in Directory.GetFiles(dir, "windows__*.json"))
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0 || line[0] != '{') continue;
                var e = JsonDocument.Parse(line).RootElement;
                if (!e.TryGetProperty("Channel", out var ch) || ch.ValueKind != JsonValueKind.String) continue;
                if (!e.TryGetProperty("EventID", out var id) || id.ValueKind != JsonValueKind.Number) continue;
                var key = (ch.GetString()!.ToLowerInvariant(), id.GetInt32());
                if (!sim.ContainsKey(key)) continue;
                if (!real.TryGetValue(key, out var set)) real[key] = set = new HashSet<string>(StringComparer.Ordinal);
                foreach (var p in e.EnumerateObject()) if (!skip.Contains(p.Name)) set.Add(p.Name);
            }
        // The comparison must actually cover the main event types.
        foreach (var must in new[] { ("microsoft-windows-sysmon/operational", 1), ("microsoft-windows-sysmon/operational", 3), ("security", 4624), ("security", 4688), ("system", 7045) })
            Assert.True(real.ContainsKey(must), $"OTRF data has no {must} to compare with");
        foreach (var (key, fields) in real)
        {
            var missing = fields.Where(f => !sim[key].Contains(f)).ToList();
            Assert.True(missing.Count == 0, $"{key}: simulator lacks fields {string.Join(", ", missing)}");
        }
    }

    [Fact]
    public void TruthListsEventsThatExistAndTellTheStory()
    {
        var truth = fx.Result.Truth;
        var doc = JsonDocument.Parse(File.ReadAllText(fx.Result.TruthPath)).RootElement;
        Assert.Equal(7, doc.GetProperty("seed").GetInt32());
        Assert.Equal("human", doc.GetProperty("operator").GetString());
        Assert.Equal(truth.IntrusionEvents.Count, doc.GetProperty("intrusionEvents").GetArrayLength());
        Assert.True(truth.IntrusionEvents.Count > 50);
        Assert.True(truth.BenignLookalikes.Count > 50);

        // Windows events here; Zeek and CloudTrail labels are checked in ScenarioTests.
        foreach (var le in truth.IntrusionEvents.Concat(truth.BenignLookalikes).Where(l => l.Source == "windows"))
        {
            Assert.True(fx.Index.TryGetValue((le.File, le.EventRecordID, le.Hostname), out var e), $"truth names a missing event {le.File} {le.EventRecordID} {le.Hostname}");
            Assert.Equal(le.EventID, e.GetProperty("EventID").GetInt32());
            Assert.Equal(le.Timestamp, e.GetProperty("@timestamp").GetString());
        }
        Assert.All(truth.IntrusionEvents, le => Assert.Matches(@"^T\d{4}(\.\d{3})?$", le.Technique!));

        // The chain follows the tactics in order (first occurrence of each). Exfiltration happens twice:
        // the LSASS dump early over the C2 channel, the customer data last, after collection.
        var firstSeen = truth.IntrusionEvents.GroupBy(e => e.Tactic!).ToDictionary(g => g.Key, g => g.Select(e => e.Timestamp).Order(StringComparer.Ordinal).First());
        var lastSeen = truth.IntrusionEvents.GroupBy(e => e.Tactic!).ToDictionary(g => g.Key, g => g.Select(e => e.Timestamp).Order(StringComparer.Ordinal).Last());
        string[] order = ["initial-access", "execution", "discovery", "privilege-escalation", "credential-access", "lateral-movement", "persistence", "collection"];
        foreach (var t in order.Append("exfiltration")) Assert.True(firstSeen.ContainsKey(t), $"no {t} step");
        for (int i = 1; i < order.Length; i++)
            Assert.True(string.CompareOrdinal(firstSeen[order[i - 1]], firstSeen[order[i]]) <= 0, $"{order[i - 1]} should start before {order[i]}");
        Assert.True(string.CompareOrdinal(firstSeen["credential-access"], firstSeen["exfiltration"]) < 0, "nothing to exfiltrate before credential access");
        Assert.True(string.CompareOrdinal(lastSeen["collection"], lastSeen["exfiltration"]) < 0, "collected data must leave after collection");

        // Spreads over three hosts; attacker addresses and accounts appear in the events themselves.
        Assert.Equal(3, truth.CompromisedHosts.Count);
        var intrusionEvents = truth.IntrusionEvents.Where(le => le.Source == "windows").Select(le => fx.Index[(le.File, le.EventRecordID, le.Hostname)]).ToList();
        Assert.Equal(truth.CompromisedHosts.OrderBy(h => h), intrusionEvents.Select(e => e.GetProperty("Hostname").GetString()!)
            .Where(h => !h.StartsWith("DC01", StringComparison.Ordinal)).Distinct().OrderBy(h => h));
        foreach (var ip in truth.ExternalIps)
            Assert.Contains(intrusionEvents, e => e.TryGetProperty("DestinationIp", out var d) && d.GetString() == ip);
        Assert.Contains(intrusionEvents, e => e.TryGetProperty("IpAddress", out var d) && d.GetString() == truth.FootholdIp && e.GetProperty("EventID").GetInt32() == 4624);
        Assert.Contains(intrusionEvents, e => e.GetProperty("EventID").GetInt32() == 7045 && e.GetProperty("ServiceName").GetString() == "PSEXESVC");
        Assert.Contains(intrusionEvents, e => e.GetProperty("EventID").GetInt32() == 4732 && e.GetProperty("TargetSid").GetString() == "S-1-5-32-544");
        Assert.Single(truth.CreatedAccounts);
        Assert.Contains(intrusionEvents, e => e.GetProperty("EventID").GetInt32() == 4720 && truth.CreatedAccounts[0].EndsWith("\\" + e.GetProperty("TargetUserName").GetString(), StringComparison.Ordinal));
        Assert.True(truth.IntrusionStart < truth.IntrusionEnd && truth.IntrusionEnd - truth.IntrusionStart < TimeSpan.FromHours(6));

        // Benign automation is labelled and looks like administration: fixed service accounts, internal targets.
        var kinds = truth.BenignLookalikes.Select(l => l.Kind).Distinct().OrderBy(k => k).ToList();
        Assert.Equal(["admin", "backup", "inventory"], kinds);
    }

    [Fact]
    public void InventoryAndBackupLookLikeScheduledAutomation()
    {
        var truth = fx.Result.Truth;
        List<JsonElement> Events(string kind) => truth.BenignLookalikes.Where(l => l.Kind == kind && l.Source == "windows")
            .Select(l => fx.Index[(l.File, l.EventRecordID, l.Hostname)]).ToList();

        // Inventory: one known service account from the management server, at night, every other host.
        var inv = Events("inventory");
        var invLogons = inv.Where(e => e.GetProperty("EventID").GetInt32() == 4624).ToList();
        Assert.All(invLogons, e => Assert.Equal("svc_inventory", e.GetProperty("TargetUserName").GetString()));
        Assert.All(invLogons.Where(e => e.GetProperty("LogonType").GetString() == "3"), e => Assert.Equal("10.10.10.40", e.GetProperty("IpAddress").GetString()));
        var touched = invLogons.Select(e => e.GetProperty("Hostname").GetString()).Distinct().Count();
        Assert.Equal(Simulator.WorkstationCount + 4, touched); // DC, FS, SQL, MGMT itself (batch logon), workstations
        Assert.All(inv, e => Assert.StartsWith("2026-03-10T02:", e.GetProperty("@timestamp").GetString()!, StringComparison.Ordinal));

        // Backup: svc_backup, between 01:00 and 02:00, only internal destinations, archives without passwords.
        var bak = Events("backup");
        Assert.NotEmpty(bak);
        Assert.All(bak, e => Assert.StartsWith("2026-03-10T01:", e.GetProperty("@timestamp").GetString()!, StringComparison.Ordinal));
        Assert.All(bak.Where(e => e.TryGetProperty("DestinationIp", out _)), e => Assert.StartsWith("10.", e.GetProperty("DestinationIp").GetString()!, StringComparison.Ordinal));
        Assert.Contains(bak, e => e.TryGetProperty("CommandLine", out var c) && c.GetString()!.Contains("7z.exe\" a ", StringComparison.Ordinal));
        Assert.All(bak.Where(e => e.GetProperty("EventID").GetInt32() == 1), e => Assert.Equal("CORP\\svc_backup", e.GetProperty("User").GetString()));
    }

    [Fact]
    public void IntrusionIsTheSameWhateverTheBackgroundSize()
    {
        string a = TempDir(), b = TempDir();
        try
        {
            var small = Simulator.Run(new SimulationOptions { OutDir = a, Events = 3000, Seed = 11 });
            var large = Simulator.Run(new SimulationOptions { OutDir = b, Events = 30000, Seed = 11 });
            Assert.Equal(small.Truth.IntrusionEvents.Select(e => (e.Hostname, e.EventID, e.Timestamp, e.Technique)),
                large.Truth.IntrusionEvents.Select(e => (e.Hostname, e.EventID, e.Timestamp, e.Technique)));
            Assert.Equal(CommandLines(small), CommandLines(large));
        }
        finally
        {
            foreach (var d in new[] { a, b }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }

        static List<string> CommandLines(SimulationResult r)
        {
            var set = r.Truth.IntrusionEvents.Where(e => e.File == "sysmon.jsonl" && e.Source == "windows").Select(e => (e.EventRecordID, e.Hostname)).ToHashSet();
            var list = new List<string>();
            foreach (var line in File.ReadLines(r.Files.First(f => f.EndsWith("sysmon.jsonl", StringComparison.Ordinal))))
            {
                var e = JsonDocument.Parse(line).RootElement;
                if (set.Contains((e.GetProperty("EventRecordID").GetInt64(), e.GetProperty("Hostname").GetString()!)) && e.TryGetProperty("CommandLine", out var c))
                    list.Add(c.GetString()!);
            }
            return list;
        }
    }

    [Fact]
    public void EventCountScalesWithTheOption()
    {
        string d = TempDir();
        try
        {
            var r = Simulator.Run(new SimulationOptions { OutDir = d, Events = 50000, Seed = 5 });
            long lines = r.Files.Sum(f => File.ReadLines(f).LongCount());
            Assert.Equal(r.EventCount, lines);
            Assert.InRange(lines, 49_950, 50_050);
            Assert.Equal(lines, r.Truth.EventsPerFile.Where(k => k.Key.EndsWith(".jsonl", StringComparison.Ordinal)).Sum(k => k.Value));
            // Zeek and CloudTrail records come on top of the Windows events and are counted separately.
            Assert.Equal(r.SideRecordCount, r.SideFiles.Sum(f => File.ReadLines(f).LongCount()));
            Assert.Equal(r.SideRecordCount, r.Truth.EventsPerFile.Where(k => !k.Key.EndsWith(".jsonl", StringComparison.Ordinal)).Sum(k => k.Value));
        }
        finally { if (Directory.Exists(d)) Directory.Delete(d, true); }
    }

    [Fact]
    public void UnknownFormatsAreErrors()
    {
        string d = TempDir();
        var ex = Assert.Throws<ArgumentException>(() => Simulator.Run(new SimulationOptions { OutDir = d, Format = "xml" }));
        Assert.Contains("jsonl, evtx", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(d), "a refused format must not create the output folder");
    }
}
