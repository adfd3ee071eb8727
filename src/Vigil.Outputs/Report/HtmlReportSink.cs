using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vigil.Campaigns;
using Vigil.Campaigns.Output;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Outputs.Report;

/// <summary>
/// <c>vigil hunt ... --report FILE.html</c>: one self-contained HTML file (campaigns, ATT&amp;CK heat map, charts,
/// a virtualised detection table with the raw event behind each row, and what was read).
///
/// Memory: detections are not held. Each <see cref="Add"/> writes one compact row (numbers and string-table indexes)
/// to a temp file and the event, once per distinct event, as one JSON line to a second temp file; only the string
/// table (rule ids, hosts, channels, sources: distinct values, not per row) stays in memory. <see cref="Complete"/>
/// splices both files into the page.
///
/// Size: the page embeds at most <see cref="RowsPerRule"/> rows of each rule (its earliest), at most
/// <see cref="MaxRows"/> in all, plus every detection a campaign's step, movement or theft names (up to
/// <see cref="PinnedRows"/>), and only the events those rows show. A day of 1.8M detections made a 1.2 GB page that no
/// browser opens; most of it was a few noisy rules (logoffs, PowerShell hosts). The page says how many it shows of how
/// many, and its counts per rule, level and technique are those of every detection. Of the campaigns it embeds the
/// <see cref="MaxCampaigns"/> highest ranked.
///
/// Security: every event string is attacker-written. Data goes into <c>&lt;script type="application/json"&gt;</c>
/// blocks (never executed) with <c>&lt; &gt; &amp;</c> and U+2028/2029 escaped as <c>\uXXXX</c>, so nothing in the data can close
/// the block or start markup; the page's script renders data only as text nodes. A Content-Security-Policy meta tag
/// allows the one inline script and style by SHA-256 hash and nothing else (no network of any kind).
/// </summary>
public sealed class HtmlReportSink : IHuntSink
{
    private readonly string _path;
    private readonly string _tempDir;
    private readonly FileStream _rows;
    private readonly FileStream _events;
    private readonly ArrayBufferWriter<byte> _eventBuffer = new(4096);
    private Utf8JsonWriter? _eventWriter;
    private readonly Dictionary<string, int> _stringIndex = new(StringComparer.Ordinal);
    private readonly List<string> _strings = [];
    private readonly Dictionary<SigmaRule, int> _ruleIndex = new(ReferenceEqualityComparer.Instance);
    private readonly List<SigmaRule> _rules = [];
    private long _rowCount;
    private long _eventCount;
    /// <summary>Detections per rule (by <see cref="Rule"/> index), embedded or not.</summary>
    private readonly List<long> _ruleTotals = [];
    private readonly byte[] _rowBytes = new byte[Row.Size];
    private EventOrigin? _lastOrigin;
    private bool _completed;

    /// <summary>Rows of one rule embedded by default (its earliest), besides those a campaign names.</summary>
    public const int DefaultRowsPerRule = 10_000;
    /// <summary>Rows embedded in all by default, besides those a campaign names.</summary>
    public const int DefaultMaxRows = 200_000;
    /// <summary>Rows a campaign names (a step, a movement, a theft) embedded whatever the caps, in campaign order.</summary>
    public const int PinnedRows = 100_000;
    /// <summary>Campaigns embedded, the highest ranked: the page shows ten as cards and the rest a page of 200 lines at a
    /// time. A 1.39M-event day made 24,945 campaigns, 52 MB of the page; its top 1,000 are 2.3 MB. The hunt's
    /// <c>--campaigns</c> output has every one.</summary>
    public const int DefaultMaxCampaigns = 1_000;
    /// <summary>Items of each of a campaign's lists embedded by default (hosts, accounts, addresses, detection ids, steps,
    /// links, a link's detection ids), the first ones; the page gives the full counts. One actor moving to 100K hosts made
    /// a 158 MB page whose graph and timeline drew a box and a lane per host; at 1M hosts, ~1.5 GB. The hunt's
    /// <c>--campaigns</c> and <c>--sqlite</c> outputs have every item.</summary>
    public const int DefaultCampaignListLimit = 2_000;

    /// <summary>Rows of one rule embedded (0: no cap).</summary>
    public int RowsPerRule { get; }
    /// <summary>Rows embedded in all besides those a campaign names (0: no cap).</summary>
    public int MaxRows { get; }
    /// <summary>Campaigns embedded, the highest ranked (0: all).</summary>
    public int MaxCampaigns { get; }
    /// <summary>Items of each of a campaign's lists embedded (0: all).</summary>
    public int CampaignListLimit { get; init; } = DefaultCampaignListLimit;

    private int ListLimit => CampaignListLimit == 0 ? int.MaxValue : CampaignListLimit;

    private IEnumerable<Campaign> EmbeddedCampaigns(IReadOnlyList<Campaign> campaigns) => MaxCampaigns == 0 ? campaigns : campaigns.Take(MaxCampaigns);

    /// <param name="rowsPerRule">Rows of one rule embedded, its earliest (0: every row).</param>
    /// <param name="maxRows">Rows embedded in all besides those campaigns name (0: every row).</param>
    /// <param name="maxCampaigns">Campaigns embedded, the highest ranked (0: all).</param>
    public HtmlReportSink(string path, int rowsPerRule = DefaultRowsPerRule, int maxRows = DefaultMaxRows, int maxCampaigns = DefaultMaxCampaigns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowsPerRule);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        ArgumentOutOfRangeException.ThrowIfNegative(maxCampaigns);
        RowsPerRule = rowsPerRule;
        MaxRows = maxRows;
        MaxCampaigns = maxCampaigns;
        _path = Path.GetFullPath(path);
        // Like --output: the report's folder is created if missing (now, so a bad path fails before the hunt).
        OutputFiles.CreateFolderFor(_path, path);
        _tempDir = Path.Combine(Path.GetTempPath(), "vigil-report-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
        _rows = new FileStream(Path.Combine(_tempDir, "rows.bin"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _events = new FileStream(Path.Combine(_tempDir, "events.json"), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
    }

    /// <summary>One detection's row in the temporary file: fixed-size numbers (null as <see cref="long.MinValue"/>).</summary>
    private struct Row
    {
        public long Id, TimeMs, EventId, RecordId, Place, Event;
        public int Rule, Computer, Channel, Source;

        public static int Size => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

        public readonly void Write(Span<byte> b) => System.Runtime.InteropServices.MemoryMarshal.Write(b, in this);

        public static Row Read(ReadOnlySpan<byte> b) => System.Runtime.InteropServices.MemoryMarshal.Read<Row>(b);

        /// <summary>The row as the page reads it (<see cref="RowColumns"/>), its event renumbered among those embedded.</summary>
        public readonly void WriteJson(Utf8JsonWriter w, long eventNumber)
        {
            w.WriteStartArray();
            w.WriteNumberValue(Id);
            Nullable(w, TimeMs);
            w.WriteNumberValue(Rule);
            w.WriteNumberValue(Computer);
            w.WriteNumberValue(Channel);
            Nullable(w, EventId);
            Nullable(w, RecordId);
            w.WriteNumberValue(Source);
            w.WriteNumberValue(Place);
            w.WriteNumberValue(eventNumber);
            w.WriteEndArray();
        }

        private static void Nullable(Utf8JsonWriter w, long v)
        {
            if (v == long.MinValue) w.WriteNullValue(); else w.WriteNumberValue(v);
        }
    }

    /// <summary>Row columns, in order (the page reads them by these positions; keep report.js's C_* constants in step).</summary>
    public static readonly string[] RowColumns =
        ["id", "time_ms", "rule", "computer", "channel", "event_id", "record_id", "source", "place", "event"];

    public void Add(long id, Detection d)
    {
        if (_completed) throw new InvalidOperationException("the report is already complete");
        // Several rules firing on one event come out adjacent (output order sorts by time, source, place, then rule),
        // so one comparison with the previous origin stores each event once.
        if (_lastOrigin != d.Origin)
        {
            WriteEvent(d);
            _lastOrigin = d.Origin;
            _eventCount++;
        }
        var row = new Row
        {
            Id = id,
            TimeMs = d.TimestampTicks == 0 ? long.MinValue : (d.TimestampTicks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond,
            Rule = Rule(d.Rule),
            Computer = Intern(d.Computer),
            Channel = Intern(d.Channel),
            EventId = d.EventId ?? long.MinValue,
            RecordId = d.RecordId ?? long.MinValue,
            Source = Intern(d.Source),
            // Place in the source: a line number (> 0) for text formats, else -(byte offset + 1).
            Place = d.Origin.Line > 0 ? d.Origin.Line : -(d.Origin.Offset + 1),
            Event = _eventCount - 1,
        };
        _ruleTotals[row.Rule]++;
        row.Write(_rowBytes);
        _rows.Write(_rowBytes);
        _rowCount++;
    }

    private void WriteEvent(Detection d)
    {
        _eventBuffer.Clear();
        if (_eventWriter is null) _eventWriter = new Utf8JsonWriter(_eventBuffer, EventJson.WriterOptions);
        else _eventWriter.Reset(_eventBuffer);
        _eventWriter.WriteStartObject();
        EventJson.WriteFields(d.Fields, _eventWriter);
        _eventWriter.WriteEndObject();
        _eventWriter.Flush();
        if (_eventCount > 0) _events.Write(",\n"u8);
        // One event per line: the page finds event i by its line. Raw JSON values copied from pretty-printed input
        // could hold line breaks between tokens; as whitespace outside strings they can become spaces.
        WriteEscaped(_eventBuffer.WrittenSpan, _events, newlinesToSpace: true);
    }

    private int Intern(string s)
    {
        if (_stringIndex.TryGetValue(s, out int i)) return i;
        i = _strings.Count;
        _strings.Add(s);
        _stringIndex[s] = i;
        return i;
    }

    private int Rule(SigmaRule r)
    {
        if (_ruleIndex.TryGetValue(r, out int i)) return i;
        i = _rules.Count;
        _rules.Add(r);
        _ruleTotals.Add(0);
        _ruleIndex[r] = i;
        return i;
    }

    public void Complete(HuntSummary summary)
    {
        if (_completed) throw new InvalidOperationException("the report is already complete");
        _completed = true;
        _rows.Flush();
        _events.Flush();
        var embed = Select(summary);

        var asm = typeof(HtmlReportSink).Assembly;
        string template = Resource(asm, "report.html");
        string style = Resource(asm, "report.css");
        string script = Resource(asm, "report.js");
        // The policy: nothing may load or connect anywhere; the one inline script and style run by hash only.
        string csp = $"default-src 'none'; script-src '{Sha256(script)}'; style-src '{Sha256(style)}'; img-src data:; "
                     + "base-uri 'none'; form-action 'none'";

        using var target = new PartialFile(_path);
        using (var o = target.Create())
        {
            var parts = template.Split(["{{CSP}}", "{{STYLE}}", "{{DATA}}", "{{SCRIPT}}"], StringSplitOptions.None);
            if (parts.Length != 5) throw new InvalidOperationException("report.html template: expected the four placeholders once each");
            Write(o, parts[0]);
            Write(o, csp);
            Write(o, parts[1]);
            Write(o, style);
            Write(o, parts[2]);
            Write(o, "<script type=\"application/json\" id=\"vigil-meta\">");
            WriteMeta(summary, embed, o);
            Write(o, "</script>\n<script type=\"application/json\" id=\"vigil-rows\">[");
            WriteRows(embed, o); // needs no escaping: rows hold only numbers
            Write(o, "]</script>\n<script type=\"application/json\" id=\"vigil-events\">[\n");
            WriteEvents(embed, o); // escaped as written
            Write(o, embed.Events.Count > 0 ? "\n]</script>\n" : "]</script>\n"); // one newline per event, plus the first
            Write(o, parts[3]);
            Write(o, script);
            Write(o, parts[4]);
        }
        target.Commit();
    }

    /// <summary>The rows a page embeds (positions in the row file, ascending) and their events (numbers, ascending).</summary>
    private sealed record Embedded(List<long> Rows, List<long> Events);

    /// <summary>Chooses the rows to embed: every row a campaign names (up to <see cref="PinnedRows"/>), and the others in
    /// output order (time) while their rule has fewer than <see cref="RowsPerRule"/> and the page fewer than
    /// <see cref="MaxRows"/>; then the events those rows show.</summary>
    private Embedded Select(HuntSummary summary)
    {
        var pinned = new HashSet<long>();
        void Pin(long id) { if (pinned.Count < PinnedRows) pinned.Add(id); }
        foreach (var c in EmbeddedCampaigns(summary.Campaigns))
        {
            if (pinned.Count >= PinnedRows) break;
            // What the page lists of the campaign (see WriteCampaign).
            foreach (var step in c.Steps.Take(ListLimit)) Pin(step.DetectionId);
            foreach (var l in c.Links.Take(ListLimit)) foreach (var id in l.DetectionIds.Take(ListLimit)) Pin(id);
            foreach (var t in c.Theft) foreach (var id in t.DetectionIds.Take(ListLimit)) Pin(id);
        }
        var rows = new List<long>();
        var events = new List<long>();
        var perRule = new long[_rules.Count];
        long others = 0;
        _rows.Position = 0;
        for (long k = 0; k < _rowCount; k++)
        {
            var row = ReadRow(k);
            bool keep = pinned.Contains(row.Id);
            if (!keep && (RowsPerRule == 0 || perRule[row.Rule] < RowsPerRule) && (MaxRows == 0 || others < MaxRows))
            {
                keep = true;
                perRule[row.Rule]++;
                others++;
            }
            if (!keep) continue;
            rows.Add(k);
            if (events.Count == 0 || events[^1] != row.Event) events.Add(row.Event);
        }
        return new Embedded(rows, events);
    }

    /// <summary>Row <paramref name="k"/> of the row file (read in order: the file is read through its own buffer).</summary>
    private Row ReadRow(long k)
    {
        long at = k * Row.Size;
        if (_rows.Position != at) _rows.Position = at;
        _rows.ReadExactly(_rowBytes);
        return Row.Read(_rowBytes);
    }

    private void WriteRows(Embedded embed, Stream o)
    {
        using var w = new Utf8JsonWriter(o, EventJson.WriterOptions);
        int ev = -1;
        long lastEvent = -1;
        for (int n = 0; n < embed.Rows.Count; n++)
        {
            var row = ReadRow(embed.Rows[n]);
            if (row.Event != lastEvent) { ev++; lastEvent = row.Event; }
            if (n > 0) { w.Flush(); o.Write(",\n"u8); w.Reset(o); }
            row.WriteJson(w, ev);
        }
        w.Flush();
    }

    /// <summary>Copies the embedded events' lines from the event file (one event per line, ",\n" between them).</summary>
    private void WriteEvents(Embedded embed, Stream o)
    {
        if (embed.Events.Count == 0) return;
        _events.Position = 0;
        using var lines = new LineReader(_events);
        long k = 0;
        int next = 0;
        while (next < embed.Events.Count && lines.Next(out var line))
        {
            if (k++ != embed.Events[next]) continue;
            // Every line but the file's last ends with the ',' written before the next event.
            if (line.Length > 0 && line[^1] == (byte)',') line = line[..^1];
            if (next > 0) o.Write(",\n"u8);
            o.Write(line);
            next++;
        }
        if (next < embed.Events.Count)
            throw new InvalidDataException($"{_events.Name}: {embed.Events.Count - next} events of the report missing from its temporary file");
    }

    /// <summary>Lines of a stream, each handed out as the bytes before its '\n' (valid until the next call).</summary>
    private sealed class LineReader(Stream s) : IDisposable
    {
        private byte[] _buf = ArrayPool<byte>.Shared.Rent(1 << 16);
        private int _start, _end;
        private bool _eof;

        public bool Next(out ReadOnlySpan<byte> line)
        {
            while (true)
            {
                int nl = _buf.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (nl >= 0)
                {
                    line = _buf.AsSpan(_start, nl);
                    _start += nl + 1;
                    return true;
                }
                if (_eof)
                {
                    line = _buf.AsSpan(_start, _end - _start);
                    bool any = _end > _start;
                    _start = _end;
                    return any;
                }
                // Move what is left to the front, grow if a line fills the buffer, and read more.
                int left = _end - _start;
                if (left == _buf.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(_buf.Length * 2);
                    _buf.AsSpan(_start, left).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(_buf);
                    _buf = bigger;
                }
                else _buf.AsSpan(_start, left).CopyTo(_buf);
                _start = 0;
                _end = left;
                int read = s.Read(_buf, _end, _buf.Length - _end);
                if (read == 0) _eof = true;
                _end += read;
            }
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buf);
    }

    /// <summary>The meta block (strings, rules, summary, campaigns), escaped into <paramref name="o"/> as it is written: a long
    /// day's campaigns are ~90 MB of JSON, which used to be built in one growing buffer and copied once more.</summary>
    private void WriteMeta(HuntSummary s, Embedded embed, Stream o)
    {
        var buf = new ArrayBufferWriter<byte>(1 << 16);
        // Flushed only between whole values, so a chunk never ends inside a UTF-8 sequence and WriteEscaped sees each
        // character (U+2028/2029 are three bytes) whole: the bytes are the same as escaping the whole block at once.
        void Drain(Utf8JsonWriter w)
        {
            w.Flush();
            WriteEscaped(buf.WrittenSpan, o, newlinesToSpace: false);
            buf.ResetWrittenCount();
        }
        using (var w = new Utf8JsonWriter(buf, EventJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartArray("columns");
            foreach (var c in RowColumns) w.WriteStringValue(c);
            w.WriteEndArray();
            w.WriteStartArray("strings");
            foreach (var str in _strings) w.WriteStringValue(str);
            w.WriteEndArray();
            // Rules: [id, title, level, status, tags[], detections (embedded or not)]
            w.WriteStartArray("rules");
            for (int k = 0; k < _rules.Count; k++)
            {
                var r = _rules[k];
                w.WriteStartArray();
                w.WriteStringValue(r.Id);
                w.WriteStringValue(r.Title);
                w.WriteStringValue(r.Level);
                w.WriteStringValue(r.Status);
                w.WriteStartArray();
                foreach (var t in r.Tags) w.WriteStringValue(t);
                w.WriteEndArray();
                w.WriteNumberValue(_ruleTotals[k]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteNumber("rows", embed.Rows.Count);
            w.WriteNumber("rows_total", _rowCount);
            w.WriteNumber("rows_per_rule", RowsPerRule);
            w.WriteNumber("rows_max", MaxRows);
            w.WriteNumber("events", embed.Events.Count);
            WriteSummary(s, w);
            w.WriteNumber("campaigns_total", s.Campaigns.Count);
            w.WriteStartArray("campaigns");
            // Drained between campaigns and inside one between its detection ids and steps (the biggest campaign of a
            // 12.2M-event day is ~100 MB of text on its own).
            void Spill() { if (w.BytesPending + buf.WrittenCount >= 1 << 16) Drain(w); }
            foreach (var c in EmbeddedCampaigns(s.Campaigns))
            {
                WriteCampaign(c, w, Spill, ListLimit);
                Spill();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            Drain(w);
        }
    }

    private static void WriteSummary(HuntSummary s, Utf8JsonWriter w)
    {
        w.WriteStartObject("summary");
        w.WriteString("started", s.StartedUtc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        w.WriteNumber("elapsed_s", Math.Round(s.Elapsed.TotalSeconds, 3));
        w.WriteNumber("rules_run", s.RulesRun);
        w.WriteNumber("detections", s.DetectionCount);
        w.WriteNumber("events", s.Stats.Events);
        w.WriteNumber("files_read", s.Stats.FilesRead);
        w.WriteNumber("bytes", s.Stats.BytesTotal);
        Time(w, "first_event", s.Stats.FirstEvent);
        Time(w, "last_event", s.Stats.LastEvent);
        w.WriteStartObject("levels");
        foreach (var kv in s.LevelCounts.OrderByDescending(kv => DetectionWriters.LevelRank(kv.Key)).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            w.WriteNumber(kv.Key, kv.Value);
        w.WriteEndObject();
        // The page lists the first 1,000 files and counts the rest: a CloudTrail bucket is millions of files.
        w.WriteNumber("files_total", s.Files.Count);
        w.WriteStartArray("files");
        foreach (var f in s.Files.Take(1000))
        {
            w.WriteStartArray();
            w.WriteStringValue(f.Path);
            w.WriteStringValue(f.Format.Name);
            w.WriteNumberValue(f.Length);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        // Every error and notice, as the CLI printed them (file and place first).
        w.WriteStartArray("errors");
        foreach (var e in s.Errors)
        {
            w.WriteStartArray();
            w.WriteStringValue(e.ToString());
            w.WriteBooleanValue(e.Notice);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Time(Utf8JsonWriter w, string name, DateTime? t)
    {
        if (t is { } v) w.WriteNumber(name, Ms(v)); else w.WriteNull(name);
    }

    private static long Ms(DateTime t) => (t.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private static void Ids(Utf8JsonWriter w, string name, IReadOnlyList<long> ids, int limit)
    {
        w.WriteStartArray(name);
        foreach (var id in ids.Take(limit)) w.WriteNumberValue(id);
        w.WriteEndArray();
    }

    /// <param name="between">Called between whole values inside the campaign's long lists, where the caller may drain.</param>
    /// <param name="limit">Items of each list written, the first ones; <c>totals</c> gives every list's full length.</param>
    private static void WriteCampaign(Campaign c, Utf8JsonWriter w, Action between, int limit)
    {
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteNumber("score", Math.Round(c.Score, 2));
        w.WriteString("kind", c.Kind);
        w.WriteStartObject("totals");
        w.WriteNumber("hosts", c.Hosts.Count);
        w.WriteNumber("users", c.Users.Count);
        w.WriteNumber("internal", c.InternalAddresses.Count);
        w.WriteNumber("external", c.ExternalAddresses.Count);
        w.WriteNumber("detections", c.DetectionIds.Count);
        w.WriteNumber("steps", c.Steps.Count);
        w.WriteNumber("links", c.Links.Count);
        w.WriteEndObject();
        CampaignJson.Strings(w, "hosts", c.Hosts, between, limit);
        CampaignJson.Strings(w, "users", c.Users, between, limit);
        CampaignJson.Strings(w, "internal", c.InternalAddresses, between, limit);
        CampaignJson.Strings(w, "external", c.ExternalAddresses, between, limit);
        CampaignJson.Strings(w, "tactics", c.Tactics);
        CampaignJson.Strings(w, "techniques", c.Techniques);
        w.WriteNumber("first", Ms(c.FirstSeen));
        w.WriteNumber("last", Ms(c.LastSeen));
        w.WriteStartArray("detections");
        for (int i = 0; i < c.DetectionIds.Count && i < limit; i++)
        {
            w.WriteNumberValue(c.DetectionIds[i]);
            if ((i & 1023) == 1023) between();
        }
        w.WriteEndArray();
        w.WriteStartObject("levels");
        foreach (var kv in c.Levels) w.WriteNumber(kv.Key, kv.Value);
        w.WriteEndObject();
        w.WriteStartObject("operator");
        w.WriteString("kind", c.Operator.Kind);
        w.WriteNumber("confidence", c.Operator.Confidence);
        w.WriteStartObject("evidence");
        foreach (var kv in c.Operator.Evidence)
        {
            if (double.IsFinite(kv.Value)) w.WriteNumber(kv.Key, kv.Value);
            else w.WriteString(kv.Key, kv.Value.ToString(CultureInfo.InvariantCulture)); // JSON has no NaN/Infinity
        }
        w.WriteEndObject();
        CampaignJson.Strings(w, "reasons", c.Operator.Reasons);
        w.WriteEndObject();
        w.WriteString("summary", c.Summary);
        // Steps: [time_ms, host, user, tactic, technique, rule_id, rule_title, level, detection_id, count, detail]
        w.WriteStartArray("steps");
        foreach (var s in c.Steps.Take(limit))
        {
            w.WriteStartArray();
            w.WriteNumberValue(Ms(s.Time));
            w.WriteStringValue(s.Host);
            w.WriteStringValue(s.User);
            w.WriteStringValue(s.Tactic);
            w.WriteStringValue(s.Technique);
            w.WriteStringValue(s.RuleId);
            w.WriteStringValue(s.RuleTitle);
            w.WriteStringValue(s.Level);
            w.WriteNumberValue(s.DetectionId);
            w.WriteNumberValue(s.Count);
            w.WriteStringValue(s.Detail);
            w.WriteEndArray();
            between();
        }
        w.WriteEndArray();
        w.WriteStartArray("links");
        foreach (var l in c.Links.Take(limit))
        {
            w.WriteStartObject();
            w.WriteString("from", l.FromHost);
            w.WriteString("to", l.ToHost);
            w.WriteString("account", l.Account);
            w.WriteString("method", l.Method);
            w.WriteNumber("time", Ms(l.Time));
            w.WriteString("address", l.SourceAddress);
            Ids(w, "detections", l.DetectionIds, limit);
            w.WriteEndObject();
            between();
        }
        w.WriteEndArray();
        w.WriteStartArray("theft");
        foreach (var t in c.Theft)
        {
            w.WriteStartObject();
            w.WriteNumber("time", Ms(t.Time));
            w.WriteString("host", t.Host);
            w.WriteString("kind", t.Kind);
            w.WriteString("detail", t.Detail);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteString("destination", t.Destination);
            Ids(w, "detections", t.DetectionIds, limit);
            w.WriteEndObject();
            between();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Copies UTF-8 JSON text so that it can sit inside a <c>&lt;script&gt;</c> element: <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>
    /// and U+2028/U+2029 become <c>\u003c</c>, <c>\u003e</c>, <c>\u0026</c>, <c>\u2028</c>, <c>\u2029</c>. These characters
    /// never occur in JSON's structure, only inside strings, where the escapes mean the same character, so the JSON
    /// is unchanged in meaning while the HTML parser cannot see <c>&lt;/script</c> or <c>&lt;!--</c> in it.
    /// </summary>
    public static void WriteEscaped(ReadOnlySpan<byte> json, Stream o, bool newlinesToSpace)
    {
        int start = 0;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            ReadOnlySpan<byte> rep;
            int skip = 1;
            switch (b)
            {
                case (byte)'<': rep = "\\u003c"u8; break;
                case (byte)'>': rep = "\\u003e"u8; break;
                case (byte)'&': rep = "\\u0026"u8; break;
                case (byte)'\n' or (byte)'\r' when newlinesToSpace: rep = " "u8; break;
                case 0xE2 when i + 2 < json.Length && json[i + 1] == 0x80 && json[i + 2] is 0xA8 or 0xA9:
                    rep = json[i + 2] == 0xA8 ? "\\u2028"u8 : "\\u2029"u8;
                    skip = 3;
                    break;
                default: continue;
            }
            o.Write(json[start..i]);
            o.Write(rep);
            i += skip - 1;
            start = i + 1;
        }
        o.Write(json[start..]);
    }

    private static void Write(Stream o, string s) => o.Write(Encoding.UTF8.GetBytes(s));

    /// <summary>The CSP source expression for an inline element's text, hashed as the browser does (its UTF-8 bytes).</summary>
    public static string Sha256(string text) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Resource(Assembly asm, string name)
    {
        using var s = asm.GetManifestResourceStream("Vigil.Outputs.Report." + name)
            ?? throw new InvalidOperationException($"embedded report resource {name} is missing");
        using var r = new StreamReader(s, Encoding.UTF8);
        // One line ending everywhere, so the hash is the same whichever way git checked the file out.
        return r.ReadToEnd().Replace("\r\n", "\n");
    }

    public void Dispose()
    {
        _eventWriter?.Dispose();
        _rows.Dispose();
        _events.Dispose();
        try { Directory.Delete(_tempDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
