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

    public static SimulationResult Run(SimulationOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        bool evtx = string.Equals(o.Format, "evtx", StringComparison.OrdinalIgnoreCase);
        if (!evtx && !string.Equals(o.Format, "jsonl", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"simulate: unknown format '{o.Format}' (supported: jsonl, evtx)", nameof(o));
        if (string.IsNullOrWhiteSpace(o.OutDir)) throw new ArgumentException("simulate: an output folder is required", nameof(o));
        if (o.Events < 0) throw new ArgumentOutOfRangeException(nameof(o), o.Events, "simulate: --events must not be negative");
        Directory.CreateDirectory(o.OutDir);

        var co = new Company(o.Seed, WorkstationCount);
        var world = new World(co);
        Setup.Prepare(world, o.Seed);
        var truth = new SimulationTruth { Seed = o.Seed, Scenario = ScenarioName, Operator = "human", Domain = Company.DnsDomain, DayStart = BaseDate };

        // Scheduled activities (automation, admin work, the intrusion) are few and bounded: they are all
        // generated up front into the time-ordered queue. Their size decides the background budget.
        Automation.Schedule(world, o.Seed);
        var intrusion = Intrusion.Schedule(world, o.Seed, truth);
        long scheduled = world.Created;
        long backgroundTarget = Math.Max(0, o.Events - scheduled);

        var background = new Background(world, o.Seed);
        long written = 0;
        // Logs go to DIR/logs so that hunting DIR/logs does not read truth.json as an event.
        string logDir = Path.Combine(o.OutDir, LogFolder);
        Directory.CreateDirectory(logDir);
        IReadOnlyList<(string Label, string Path, long Count)> writtenFiles;
        using (IEventSink sink = evtx ? new EvtxSink(logDir, co) : new JsonlSink(logDir))
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
                written += Drain(world, sink, startMs + 60_000, truth);
            }
            written += Drain(world, sink, long.MaxValue, truth);
            sink.Complete();
            writtenFiles = sink.Files;
            foreach (var (label, _, count) in writtenFiles) truth.EventsPerFile[label] = count;
        }

        intrusion.Finish(truth);
        string truthPath = Path.Combine(o.OutDir, "truth.json");
        WriteTruth(truth, truthPath);
        var files = writtenFiles.Select(f => f.Path).ToList();
        return new SimulationResult { Files = files, EventCount = written, TruthPath = truthPath, Truth = truth };
    }

    private static long Drain(World world, IEventSink sink, long beforeMs, SimulationTruth truth)
    {
        long n = 0;
        while (world.TryDequeueBefore(beforeMs, out var e))
        {
            long rid = e.Host.NextRecord[(int)e.File]++;
            sink.Write(e, rid);
            n++;
            if (e.Label is { } l)
            {
                var le = new LabelledEvent
                {
                    File = sink.FileLabel(e), EventRecordID = rid, Hostname = e.Host.Fqdn, EventID = e.EventId,
                    Timestamp = Iso(e.Ms), Kind = l.Kind, Technique = l.Technique, Tactic = l.Tactic, Step = l.Step,
                };
                (l.Kind == "intrusion" ? truth.IntrusionEvents : truth.BenignLookalikes).Add(le);
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
        w.WriteString("operator", t.Operator);
        w.WriteString("domain", t.Domain);
        w.WriteString("dayStart", t.DayStart.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteString("intrusionStart", t.IntrusionStart.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("intrusionEnd", t.IntrusionEnd.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        WriteList(w, "compromisedHosts", t.CompromisedHosts);
        WriteList(w, "compromisedAccounts", t.CompromisedAccounts);
        WriteList(w, "createdAccounts", t.CreatedAccounts);
        w.WriteStartObject("attackerAddresses");
        w.WriteString("internalFoothold", t.FootholdIp);
        WriteList(w, "external", t.ExternalIps);
        w.WriteEndObject();
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
            w.WriteString("file", e.File);
            w.WriteNumber("EventRecordID", e.EventRecordID);
            w.WriteString("Hostname", e.Hostname);
            w.WriteNumber("EventID", e.EventID);
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
