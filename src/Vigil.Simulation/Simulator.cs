using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vigil.Simulation;

/// <summary>
/// Writes one seeded, labelled synthetic day (2026-03-10, UTC) of a small company's Windows logs:
/// benign background scaled to the requested size, benign automation that resembles attacker tooling
/// (inventory, backup, admin work), and one human-operated intrusion of fixed size. Same seed and size
/// give byte-identical files.
/// </summary>
public static class Simulator
{
    public static readonly DateTime BaseDate = new(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);
    public static readonly long BaseUnixSeconds = (long)(BaseDate - DateTime.UnixEpoch).TotalSeconds;
    public const long DayMs = 24L * 3600 * 1000;
    public const int WorkstationCount = 24;
    public const string ScenarioName = "phish-to-customer-data-exfiltration";
    /// <summary>Subfolder of the output folder that holds the log files (truth.json stays beside it).</summary>
    public const string LogFolder = "logs";

    /// <summary>The scenarios <see cref="SimulationOptions.Scenario"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Scenarios = ["human", "machine", "cloud", "benign"];

    public static SimulationResult Run(SimulationOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        bool evtx = string.Equals(o.Format, "evtx", StringComparison.OrdinalIgnoreCase);
        if (!evtx && !string.Equals(o.Format, "jsonl", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"simulate: unknown format '{o.Format}' (supported: jsonl, evtx)", nameof(o));
        string scenario = (o.Scenario ?? "").ToLowerInvariant();
        if (!Scenarios.Contains(scenario))
            throw new ArgumentException($"simulate: unknown scenario '{o.Scenario}' (supported: {string.Join(", ", Scenarios)})", nameof(o));
        if (string.IsNullOrWhiteSpace(o.OutDir)) throw new ArgumentException("simulate: an output folder is required", nameof(o));
        if (o.Events < 0) throw new ArgumentOutOfRangeException(nameof(o), o.Events, "simulate: --events must not be negative");
        Directory.CreateDirectory(o.OutDir);

        bool agent = scenario is "machine" or "cloud";
        var co = new Company(o.Seed, WorkstationCount, withWebServer: agent);
        var world = new World(co);
        Setup.Prepare(world, o.Seed);
        // Network and cloud logs: separate random streams, so the Windows events of a scenario do not depend on them.
        var sensor = new NetSensor(co, o.Seed);
        world.Sensor = sensor;
        var cloud = new CloudTrail(co, sensor, o.Seed);
        var truth = new SimulationTruth
        {
            Seed = o.Seed, Scenario = scenario, Operator = scenario == "benign" ? "none" : agent ? "machine" : "human",
            Domain = Company.DnsDomain, DayStart = BaseDate,
        };

        // Scheduled activities (automation, admin work, the intrusion) are few and bounded: they are all
        // generated up front into the time-ordered queue. Their size decides the background budget.
        Automation.Schedule(world, o.Seed);
        if (agent) Automation.ScheduleWeb(world, o.Seed, AgentIntrusion.DumpedAdmin(co, o.Seed));
        switch (scenario)
        {
            case "human":
                truth.Story = ScenarioName;
                Intrusion.Schedule(world, o.Seed, truth);
                break;
            case "machine":
            case "cloud":
                AgentIntrusion.Schedule(world, cloud, o.Seed, truth, withCloud: scenario == "cloud");
                break;
        }
        long scheduled = world.Created;
        long backgroundTarget = Math.Max(0, o.Events - scheduled);

        var background = new Background(world, o.Seed);
        long written = 0, sideWritten = 0;
        // Logs go to DIR/logs so that hunting DIR/logs does not read truth.json as an event.
        string logDir = Path.Combine(o.OutDir, LogFolder);
        Directory.CreateDirectory(logDir);
        IReadOnlyList<(string Label, string Path, long Count)> writtenFiles, sideFiles;
        using (IEventSink sink = evtx ? new EvtxSink(logDir, co) : new JsonlSink(logDir))
        using (var side = new SideLogWriter(logDir))
        {
            long cumWeight = 0;
            long totalWeight = Background.TotalWeight;
            long bgStart = world.Created;
            for (int minute = 0; minute < 1440; minute++)
            {
                long startMs = minute * 60_000L;
                cumWeight += Background.MinuteWeight(minute);
                // Integer apportionment of the background budget over the day by the hourly profile.
                long due = (long)((Int128)backgroundTarget * cumWeight / totalWeight);
                while (world.Created - bgStart < due)
                    background.Activity(startMs + background.Rng.Next(60_000));
                cloud.Minute(minute, world);
                if (co.Web is not null)
                {
                    int visits = sensor.Rng.Range(0, Background.MinuteWeight(minute) / 3 + 1);
                    for (int i = 0; i < visits; i++) sensor.PortalVisit(startMs + sensor.Rng.Next(60_000));
                }
                written += Drain(world, sink, startMs + 60_000, truth);
                // Side records may be made a little before the activity that causes them (a DNS lookup before its
                // connection): their watermark trails by a quarter minute so the files stay in time order.
                sideWritten += DrainSide(sensor, side, startMs + 45_000, truth);
            }
            written += Drain(world, sink, long.MaxValue, truth);
            sideWritten += DrainSide(sensor, side, long.MaxValue, truth);
            sink.Complete();
            side.Complete();
            writtenFiles = sink.Files;
            sideFiles = side.Files;
            foreach (var (label, _, count) in writtenFiles.Concat(sideFiles)) truth.EventsPerFile[label] = count;
        }

        FinishTimes(truth);
        truth.BenignActivities.AddRange(world.Activities.Where(a => a.StartMs != long.MaxValue));
        string truthPath = Path.Combine(o.OutDir, "truth.json");
        WriteTruth(truth, truthPath);
        return new SimulationResult
        {
            Files = writtenFiles.Select(f => f.Path).ToList(), EventCount = written,
            SideFiles = sideFiles.Select(f => f.Path).ToList(), SideRecordCount = sideWritten,
            TruthPath = truthPath, Truth = truth,
        };
    }

    private static void FinishTimes(SimulationTruth truth)
    {
        if (truth.IntrusionEvents.Count == 0) return;
        // ISO-8601 timestamps of one fixed width sort chronologically as strings.
        var stamps = truth.IntrusionEvents.Select(e => e.Timestamp).Order(StringComparer.Ordinal).ToList();
        truth.IntrusionStart = DateTime.Parse(stamps[0], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        truth.IntrusionEnd = DateTime.Parse(stamps[^1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
    }

    private static long Drain(World world, IEventSink sink, long beforeMs, SimulationTruth truth)
    {
        long n = 0;
        while (world.TryDequeueBefore(beforeMs, out var e))
        {
            long rid = e.Host.NextRecord[(int)e.File]++;
            long line = sink.Write(e, rid);
            n++;
            if (e.Label is { } l)
            {
                var le = new LabelledEvent
                {
                    File = sink.FileLabel(e), Line = line, EventRecordID = rid, Hostname = e.Host.Fqdn, EventID = e.EventId,
                    Timestamp = Iso(e.Ms), Kind = l.Kind, Technique = l.Technique, Tactic = l.Tactic, Step = l.Step,
                };
                (l.Kind == "intrusion" ? truth.IntrusionEvents : truth.BenignLookalikes).Add(le);
                l.Activity?.Saw(e.Ms, e.Host.Fqdn);
            }
        }
        return n;
    }

    private static long DrainSide(NetSensor sensor, SideLogWriter side, long beforeMs, SimulationTruth truth)
    {
        long n = 0;
        while (sensor.TryDequeueBefore(beforeMs, out var r))
        {
            long line = side.Write(r);
            n++;
            if (r.Label is { } l)
            {
                var le = new LabelledEvent
                {
                    Source = r.Log == SideLog.CloudTrail ? "cloudtrail" : "zeek", File = SideLogs.Label(r.Log), Line = line, RecordId = r.Id,
                    Hostname = r.Host ?? "", Timestamp = Iso(r.Ms), Kind = l.Kind, Technique = l.Technique, Tactic = l.Tactic, Step = l.Step,
                };
                (l.Kind == "intrusion" ? truth.IntrusionEvents : truth.BenignLookalikes).Add(le);
                if (l.Activity is { } a)
                {
                    a.Saw(r.Ms, r.Host);
                    if (r.SrcIp is not null) a.SawAddress(r.SrcIp);
                    if (r.DstIp is not null) a.SawAddress(r.DstIp);
                }
            }
        }
        return n;
    }

    public static string Iso(long ms)
    {
        Span<char> b = stackalloc char[32];
        int n = FormatIso(ms, b);
        return new string(b[..n]);
    }

    /// <summary>"2026-03-10T09:12:44.333Z".</summary>
    public static int FormatIso(long ms, Span<char> dest)
    {
        var t = BaseDate.AddTicks(ms * TimeSpan.TicksPerMillisecond);
        t.TryFormat(dest, out int n, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        return n;
    }

    /// <summary>Sysmon UtcTime form: "2026-03-10 09:12:44.333".</summary>
    public static string FormatSpace(long ms) =>
        BaseDate.AddTicks(ms * TimeSpan.TicksPerMillisecond).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private static void WriteTruth(SimulationTruth t, string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("seed", t.Seed);
        w.WriteString("scenario", t.Scenario);
        w.WriteString("story", t.Story);
        w.WriteString("operator", t.Operator);
        w.WriteString("domain", t.Domain);
        w.WriteString("dayStart", t.DayStart.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        if (t.IntrusionEvents.Count > 0)
        {
            w.WriteString("intrusionStart", t.IntrusionStart.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            w.WriteString("intrusionEnd", t.IntrusionEnd.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull("intrusionStart");
            w.WriteNull("intrusionEnd");
        }
        WriteList(w, "compromisedHosts", t.CompromisedHosts);
        WriteList(w, "compromisedAccounts", t.CompromisedAccounts);
        WriteList(w, "createdAccounts", t.CreatedAccounts);
        WriteList(w, "attackerAddresses", t.AttackerAddresses);
        WriteList(w, "footholdAddresses", t.FootholdIps);
        WriteList(w, "externalIps", t.ExternalIps);
        w.WriteStartArray("benignActivities");
        foreach (var a in t.BenignActivities)
        {
            w.WriteStartObject();
            w.WriteString("kind", a.Kind);
            w.WriteString("name", a.Name);
            WriteList(w, "hosts", a.Hosts);
            WriteList(w, "accounts", a.Accounts);
            WriteList(w, "addresses", a.Addresses);
            w.WriteString("start", Iso(a.StartMs));
            w.WriteString("end", Iso(a.EndMs));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartObject("eventsPerFile");
        foreach (var kv in t.EventsPerFile.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteNumber(kv.Key, kv.Value);
        w.WriteEndObject();
        WriteEvents(w, "intrusionEvents", t.IntrusionEvents);
        WriteEvents(w, "benignLookalikes", t.BenignLookalikes);
        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, string name, IEnumerable<string> items)
    {
        w.WriteStartArray(name);
        foreach (var s in items) w.WriteStringValue(s);
        w.WriteEndArray();
    }

    private static void WriteEvents(Utf8JsonWriter w, string name, List<LabelledEvent> events)
    {
        w.WriteStartArray(name);
        foreach (var e in events)
        {
            w.WriteStartObject();
            w.WriteString("source", e.Source);
            w.WriteString("file", e.File);
            if (e.Line > 0) w.WriteNumber("line", e.Line);
            if (e.Source == "windows")
            {
                w.WriteNumber("EventRecordID", e.EventRecordID);
                w.WriteString("Hostname", e.Hostname);
                w.WriteNumber("EventID", e.EventID);
            }
            else
            {
                w.WriteString("recordId", e.RecordId);
                if (e.Hostname.Length > 0) w.WriteString("Hostname", e.Hostname);
            }
            w.WriteString("timestamp", e.Timestamp);
            w.WriteString("kind", e.Kind);
            if (e.Technique is not null) w.WriteString("technique", e.Technique);
            if (e.Tactic is not null) w.WriteString("tactic", e.Tactic);
            w.WriteString("step", e.Step);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
