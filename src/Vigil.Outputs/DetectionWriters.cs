using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Hunting;
using Vigil.Events;

namespace Vigil.Outputs;

/// <summary>Writes detections in one of the contract's formats: jsonl, csv, table. Each reads the detections once,
/// in order, holding one at a time (a hunt's detections are a stream, see DetectionStream), except the table, which
/// sizes its columns from its first <see cref="TableSizingRows"/> rows.</summary>
public static class DetectionWriters
{
    public static readonly string[] Formats = ["jsonl", "csv", "table"];

    public static void Write(string format, IEnumerable<Detection> detections, Stream output, int tableWidth = 160)
    {
        switch (format)
        {
            case "jsonl": WriteJsonl(detections, output); break;
            case "csv": WriteCsv(detections, output); break;
            case "table": WriteTable(detections, output, tableWidth); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown output format");
        }
    }

    /// <summary>One JSON object per detection with the contract's keys, then the event's fields under "event".
    /// <c>id</c> is the detection's 1-based position in output order, the id campaigns and the report refer to.</summary>
    public static void WriteJsonl(IEnumerable<Detection> detections, Stream output)
    {
        // Detections arrive in order on this thread (reading the spool, and any side outputs teeing the stream, stay
        // sequential); batches of them are formatted to UTF-8 by the thread pool and written back in order. The bytes
        // are the same as formatting one by one: each batch starts its ids where the previous one ended.
        const int BatchSize = 512;
        int maxPending = Math.Max(2, Environment.ProcessorCount * 2);
        var pending = new Queue<Task<PooledBufferWriter>>();
        var batch = new List<Detection>(BatchSize);
        long nextId = 1;
        try
        {
            foreach (var d in detections)
            {
                batch.Add(d);
                if (batch.Count < BatchSize) continue;
                Start(batch, nextId);
                nextId += batch.Count;
                batch = new List<Detection>(BatchSize);
                while (pending.Count >= maxPending) WriteOldest();
            }
            if (batch.Count > 0) Start(batch, nextId);
            while (pending.Count > 0) WriteOldest();
        }
        finally
        {
            // On an error (reading the spool, or writing the output) let the formatting still running finish before the
            // detections' buffers go away; its result is not written.
            foreach (var t in pending) try { t.Wait(); t.Result.Dispose(); } catch (AggregateException) { }
        }

        void Start(List<Detection> items, long firstId) => pending.Enqueue(Task.Run(() => FormatJsonl(items, firstId)));
        void WriteOldest()
        {
            using var bytes = pending.Dequeue().GetAwaiter().GetResult();
            output.Write(bytes.WrittenMemory.Span);
        }
    }

    /// <summary>JSON lines of <paramref name="detections"/>, numbered from <paramref name="firstId"/>, in a pooled
    /// buffer the caller disposes once written.</summary>
    private static PooledBufferWriter FormatJsonl(List<Detection> detections, long firstId)
    {
        var buffer = new PooledBufferWriter(detections.Count * 1024);
        using var w = new Utf8JsonWriter(buffer, EventJson.WriterOptions);
        long id = firstId;
        foreach (var d in detections)
        {
            w.WriteStartObject();
            w.WriteNumber(Keys.Id, id++);
            if (d.TimestampTicks == 0) w.WriteNull(Keys.Timestamp); else w.WriteString(Keys.Timestamp, d.TimestampText);
            RuleText.Of(d.Rule).Write(w);
            w.WriteString(Keys.Computer, d.Computer);
            w.WriteString(Keys.Channel, d.Channel);
            if (d.EventId is { } eid) w.WriteNumber(Keys.EventId, eid); else w.WriteNull(Keys.EventId);
            if (d.RecordId is { } rid) w.WriteNumber(Keys.RecordId, rid); else w.WriteNull(Keys.RecordId);
            w.WriteString(Keys.Source, d.Source);
            if (d.Origin.Line > 0) w.WriteNumber(Keys.Line, d.Origin.Line); else w.WriteNumber(Keys.Offset, d.Origin.Offset);
            w.WriteStartObject(Keys.Event);
            EventJson.WriteFields(d.Fields, w);
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
            System.Buffers.BuffersExtensions.Write(buffer, "\n"u8);
            w.Reset(buffer); // a new top-level value: no separator before it
        }
        return buffer;
    }

    /// <summary>The property names of a detection line, encoded once.</summary>
    private static class Keys
    {
        public static readonly JsonEncodedText Id = JsonEncodedText.Encode("id"), Timestamp = JsonEncodedText.Encode("timestamp"),
            RuleId = JsonEncodedText.Encode("rule_id"), RuleTitle = JsonEncodedText.Encode("rule_title"), Level = JsonEncodedText.Encode("level"),
            Status = JsonEncodedText.Encode("status"), Tags = JsonEncodedText.Encode("tags"), Computer = JsonEncodedText.Encode("computer"),
            Channel = JsonEncodedText.Encode("channel"), EventId = JsonEncodedText.Encode("event_id"), RecordId = JsonEncodedText.Encode("record_id"),
            Source = JsonEncodedText.Encode("source"), Line = JsonEncodedText.Encode("line"), Offset = JsonEncodedText.Encode("offset"),
            Event = JsonEncodedText.Encode("event");
    }

    /// <summary>A rule's part of a detection line (rule_id, rule_title, level, status, tags), encoded once per rule:
    /// the same few hundred rules fire on thousands of events. A rule whose text the encoder refuses (invalid UTF-16)
    /// is written from its strings each time, as before.</summary>
    private sealed class RuleText
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Vigil.Rules.SigmaRule, RuleText> Cache = new();
        private readonly Vigil.Rules.SigmaRule _rule;
        private readonly JsonEncodedText[]? _text;   // id, title, level, status, then the tags

        private RuleText(Vigil.Rules.SigmaRule rule)
        {
            _rule = rule;
            try
            {
                var encoder = EventJson.WriterOptions.Encoder;
                _text = [JsonEncodedText.Encode(rule.Id, encoder), JsonEncodedText.Encode(rule.Title, encoder),
                    JsonEncodedText.Encode(rule.Level, encoder), JsonEncodedText.Encode(rule.Status, encoder),
                    .. rule.Tags.Select(t => JsonEncodedText.Encode(t, encoder))];
            }
            catch (ArgumentException) { _text = null; }
        }

        public static RuleText Of(Vigil.Rules.SigmaRule rule) => Cache.GetValue(rule, static r => new RuleText(r));

        public void Write(Utf8JsonWriter w)
        {
            if (_text is not { } t)
            {
                w.WriteString(Keys.RuleId, _rule.Id);
                w.WriteString(Keys.RuleTitle, _rule.Title);
                w.WriteString(Keys.Level, _rule.Level);
                w.WriteString(Keys.Status, _rule.Status);
                w.WriteStartArray(Keys.Tags);
                foreach (var tag in _rule.Tags) w.WriteStringValue(tag);
                w.WriteEndArray();
                return;
            }
            w.WriteString(Keys.RuleId, t[0]);
            w.WriteString(Keys.RuleTitle, t[1]);
            w.WriteString(Keys.Level, t[2]);
            w.WriteString(Keys.Status, t[3]);
            w.WriteStartArray(Keys.Tags);
            for (int i = 4; i < t.Length; i++) w.WriteStringValue(t[i]);
            w.WriteEndArray();
        }
    }

    /// <summary>The CSV timeline to a stream (standard output or --output): see <see cref="CsvTimelineWriter"/>.
    /// A byte order mark is written only when the stream is a file.</summary>
    public static void WriteCsv(IEnumerable<Detection> detections, Stream output)
    {
        using var csv = new CsvTimelineWriter(output, byteOrderMark: output is FileStream);
        foreach (var d in detections) csv.Write(d);
    }

    private static readonly HashSet<string> SystemFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "EventID", "Channel", "Computer", "Hostname", "EventRecordID", "TimeCreated", "@timestamp", "Provider_Name",
        "Provider_Guid", "Version", "Level", "Task", "Opcode", "Keywords", "Execution_ProcessID", "Execution_ThreadID",
        "Correlation_ActivityID", "Correlation_RelatedActivityID", "Security_UserID", "EventID_Qualifiers", "Message",
    };

    /// <summary>The event's own fields as "Name: value ¦ Name: value", system fields left out (they have columns).</summary>
    public static string Details(Detection d)
    {
        var sb = new StringBuilder();
        foreach (var f in d.Fields)
        {
            if (SystemFields.Contains(f.Name) || f.Value.Kind == ValueKind.RawJson) continue;
            string v = f.Value.ToString();
            if (v.Length == 0 || v == "-") continue;
            if (sb.Length > 0) sb.Append(" ¦ ");
            sb.Append(f.Name).Append(": ").Append(v);
        }
        return sb.ToString();
    }

    /// <summary>Rows the table reads ahead to size its columns; later rows are cut to those widths.</summary>
    public const int TableSizingRows = 1000;

    /// <summary>An aligned table for the terminal: one row per detection, then counts per level. Column widths come
    /// from the first <see cref="TableSizingRows"/> rows (capped at 40), so memory stays bounded on huge hunts;
    /// a longer cell further down is cut with "…" like an over-wide one.</summary>
    public static void WriteTable(IEnumerable<Detection> detections, Stream output, int width)
    {
        using var tw = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        string[] head = ["Timestamp", "Level", "Computer", "EventID", "Rule"];
        static string[] Row(Detection d) =>
        [
            d.TimestampText.Length > 0 ? d.TimestampText[..19].Replace('T', ' ') : "-",
            d.Rule.Level, d.Computer, d.EventId?.ToString(CultureInfo.InvariantCulture) ?? "-", d.Rule.Title,
        ];
        // Per level in order of first appearance (then ranked, stable), as GroupBy over the rows gave.
        var levels = new List<string>();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        void Count(Detection d)
        {
            total++;
            if (counts.TryGetValue(d.Rule.Level, out long n)) counts[d.Rule.Level] = n + 1;
            else { counts[d.Rule.Level] = 1; levels.Add(d.Rule.Level); }
        }
        using var e = detections.GetEnumerator();
        var first = new List<string[]>();
        while (first.Count < TableSizingRows && e.MoveNext()) { Count(e.Current); first.Add(Row(e.Current)); }
        var widths = head.Select(h => h.Length).ToArray();
        foreach (var r in first)
            for (int i = 0; i < r.Length - 1; i++) widths[i] = Math.Max(widths[i], Math.Min(r[i].Length, 40));
        int fixedWidth = widths.Take(widths.Length - 1).Sum() + 2 * (widths.Length - 1);
        widths[^1] = Math.Max(20, width - fixedWidth);
        WriteRow(tw, head, widths);
        tw.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in first) WriteRow(tw, r, widths);
        first = null;
        while (e.MoveNext()) { Count(e.Current); WriteRow(tw, Row(e.Current), widths); }
        tw.WriteLine();
        var byLevel = levels.OrderByDescending(LevelRank);
        tw.WriteLine($"{total} detections: " + string.Join(", ", byLevel.Select(l => $"{counts[l]} {l}")));
    }

    private static void WriteRow(TextWriter tw, string[] cells, int[] widths)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            string c = cells[i].Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
            if (c.Length > widths[i]) c = c[..(widths[i] - 1)] + "…";
            if (i > 0) tw.Write("  ");
            tw.Write(i == cells.Length - 1 ? c : c.PadRight(widths[i]));
        }
        tw.WriteLine();
    }

    /// <summary>Sigma levels from least to most severe; unknown levels rank lowest.</summary>
    public static int LevelRank(string level) => level.ToLowerInvariant() switch
    {
        "informational" => 1, "low" => 2, "medium" => 3, "high" => 4, "critical" => 5, _ => 0,
    };
}
