using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Metrics;

namespace Vigil.Outputs;

/// <summary>
/// Writes a <see cref="CountTable"/> (the metrics and logons commands) as an aligned terminal table, RFC 4180 CSV
/// (same conventions as the CSV timeline: header row, CRLF, UTC times as <c>yyyy-MM-dd HH:mm:ss.fff</c>) or one
/// JSON document <c>{"title", "total", "rows": [{key columns in snake_case, count, percent, first, last}]}</c>
/// with EventID and LogonType as numbers and times as ISO 8601 UTC.
/// </summary>
public static class CountTableWriter
{
    public static readonly string[] Formats = ["table", "csv", "json"];
    private static readonly string[] TailColumns = ["Count", "Percent", "First", "Last"];
    private static readonly HashSet<string> NumericColumns = new(StringComparer.Ordinal) { "EventID", "LogonType" };

    public static void Write(string format, CountTable table, Stream output, string? footer = null)
    {
        switch (format)
        {
            case "table": WriteTable(table, output, footer); break;
            case "csv": WriteCsv(table, output); break;
            case "json": WriteJson(table, output); break;
            default: throw new ArgumentOutOfRangeException(nameof(format), format, "unknown output format");
        }
    }

    private static string Time(DateTime? t) => t is { } v ? v.ToString(CsvTimelineWriter.TimestampFormat, CultureInfo.InvariantCulture) : "";
    private static string Pct(double p) => p.ToString("0.00", CultureInfo.InvariantCulture);

    private static string[] Cells(CountTable table, CountRow r)
    {
        var cells = new string[r.Key.Count + TailColumns.Length];
        for (int i = 0; i < r.Key.Count; i++) cells[i] = r.Key[i];
        int k = r.Key.Count;
        cells[k] = r.Count.ToString(CultureInfo.InvariantCulture);
        cells[k + 1] = Pct(table.Percent(r));
        cells[k + 2] = Time(r.First);
        cells[k + 3] = Time(r.Last);
        return cells;
    }

    public static void WriteCsv(CountTable table, Stream output)
    {
        using var w = new StreamWriter(output, new UTF8Encoding(output is FileStream), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        void Row(IEnumerable<string> cells, bool guard)
        {
            bool first = true;
            foreach (var c in cells)
            {
                if (!first) w.Write(',');
                first = false;
                CsvTimelineWriter.WriteCell(w, guard ? CsvTimelineWriter.Defuse(c) : c);
            }
            w.WriteLine();
        }
        Row(table.KeyColumns.Concat(TailColumns), guard: false);
        foreach (var r in table.Rows) Row(Cells(table, r), guard: true);
    }

    /// <summary>"TargetAccount" → "target_account", "EventID" → "event_id".</summary>
    public static string JsonName(string column)
    {
        var sb = new StringBuilder(column.Length + 4);
        for (int i = 0; i < column.Length; i++)
        {
            char c = column[i];
            if (char.IsUpper(c) && i > 0 && char.IsLower(column[i - 1])) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    public static void WriteJson(CountTable table, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var names = table.KeyColumns.Select(JsonName).ToArray();
        w.WriteStartObject();
        w.WriteString("title", table.Title);
        w.WriteNumber("total", table.Total);
        w.WriteStartArray("rows");
        foreach (var r in table.Rows)
        {
            w.WriteStartObject();
            for (int i = 0; i < names.Length; i++)
            {
                string v = r.Key[i];
                if (NumericColumns.Contains(table.KeyColumns[i]))
                {
                    if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n)) w.WriteNumber(names[i], n);
                    else if (v.Length == 0) w.WriteNull(names[i]);
                    else w.WriteString(names[i], v);
                }
                else w.WriteString(names[i], v);
            }
            w.WriteNumber("count", r.Count);
            w.WriteNumber("percent", Math.Round(table.Percent(r), 4));
            if (r.First is { } f) w.WriteString("first", f.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)); else w.WriteNull("first");
            if (r.Last is { } l) w.WriteString("last", l.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)); else w.WriteNull("last");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
        output.WriteByte((byte)'\n');
    }

    /// <summary>Aligned columns for the terminal; cells over 60 characters are cut with "…"; a missing value shows as "-".</summary>
    public static void WriteTable(CountTable table, Stream output, string? footer)
    {
        using var w = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        var head = table.KeyColumns.Concat(TailColumns).ToArray();
        // Two passes over the rows (widths, then the lines), none held: a table can be millions of rows in a file.
        string[] CellsOf(CountRow r) => Cells(table, r).Select(c => Clean(c.Length == 0 ? "-" : c)).ToArray();
        var widths = head.Select(h => h.Length).ToArray();
        foreach (var row in table.Rows)
        {
            var r = CellsOf(row);
            for (int i = 0; i < r.Length; i++) widths[i] = Math.Max(widths[i], r[i].Length);
        }
        int countAt = table.KeyColumns.Count;
        void Row(string[] cells)
        {
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) w.Write("  ");
                bool right = i == countAt || i == countAt + 1; // counts and percents line up on the right
                w.Write(i == cells.Length - 1 ? cells[i] : right ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
            }
            w.WriteLine();
        }
        Row(head);
        w.WriteLine(string.Join("  ", widths.Select(x => new string('-', x))));
        foreach (var r in table.Rows) Row(CellsOf(r));
        w.WriteLine();
        w.WriteLine(footer ?? $"{table.Total:N0} events in {table.Rows.Count:N0} rows ({table.Title})");
    }

    private static string Clean(string s)
    {
        s = s.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
        return s.Length > 60 ? s[..59] + "…" : s;
    }
}
