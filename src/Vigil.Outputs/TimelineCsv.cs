using System.Globalization;
using System.Text;
using Vigil.Engine.Hunting;

namespace Vigil.Outputs;

/// <summary>
/// The CSV timeline (<c>vigil hunt --format csv</c> and <c>--timeline FILE.csv</c>), written for Eric Zimmerman's
/// Timeline Explorer, spreadsheets and scripts:
/// <list type="bullet">
/// <item>RFC 4180: a header row, comma separated, CRLF row ends, a cell quoted (quotes doubled) when it holds a comma,
/// quote, CR or LF; every row has the header's column count.</item>
/// <item>One time column, <c>Timestamp</c>, in UTC as <c>yyyy-MM-dd HH:mm:ss.fff</c>: it sorts as text, and Timeline
/// Explorer and Excel read it as a date-time without shifting it to the analyst's zone, which a trailing "Z" invites
/// (.NET's DateTime.Parse converts "...Z" to local time; Excel does not take the "T" form as a date at all).
/// Empty when the event had no time.</item>
/// <item>A UTF-8 byte order mark only when writing a file (<see cref="CsvTimelineWriter(Stream, bool)"/>): Excel opens
/// a BOM-less CSV in the ANSI code page, which garbles non-ASCII host names, paths and the "¦" of Details;
/// Timeline Explorer reads either. Standard output gets none, so pipes into other tools see plain UTF-8.</item>
/// <item>Spreadsheet formula injection: log text is attacker-controlled, and a cell starting with = + - @ (or a tab
/// or CR) is run as a formula by Excel. Such a cell gets a leading apostrophe (OWASP's advice), which Excel hides.
/// Only the free-text columns are guarded (Computer, Channel, RuleTitle, Tags, Source, Details); the others are
/// numbers, times, levels and ids.</item>
/// </list>
/// </summary>
public sealed class CsvTimelineWriter : IDisposable
{
    public static readonly string[] Header =
        ["Timestamp", "Computer", "Channel", "EventID", "RecordID", "Level", "RuleTitle", "RuleID", "Tags", "Source", "Details"];

    /// <summary>The columns that carry text from the log or the rule and are guarded against formula injection.</summary>
    private static readonly bool[] Guarded = [false, true, true, false, false, false, true, false, true, true, true];

    public const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";

    private readonly StreamWriter _w;
    private readonly string[] _row = new string[Header.Length];

    public CsvTimelineWriter(Stream output, bool byteOrderMark)
    {
        _w = new StreamWriter(output, new UTF8Encoding(byteOrderMark), 1 << 16, leaveOpen: true) { NewLine = "\r\n" };
        WriteRow(Header, guard: false);
    }

    public long Rows { get; private set; }

    public void Write(Detection d)
    {
        _row[0] = d.TimestampTicks == 0 ? "" : d.Timestamp!.Value.ToString(TimestampFormat, CultureInfo.InvariantCulture);
        _row[1] = d.Computer;
        _row[2] = d.Channel;
        _row[3] = d.EventId?.ToString(CultureInfo.InvariantCulture) ?? "";
        _row[4] = d.RecordId?.ToString(CultureInfo.InvariantCulture) ?? "";
        _row[5] = d.Rule.Level;
        _row[6] = d.Rule.Title;
        _row[7] = d.Rule.Id;
        _row[8] = string.Join(" ", d.Rule.Tags);
        _row[9] = d.Source;
        _row[10] = DetectionWriters.Details(d);
        WriteRow(_row, guard: true);
        Rows++;
    }

    private void WriteRow(string[] cells, bool guard)
    {
        for (int i = 0; i < cells.Length; i++)
        {
            if (i > 0) _w.Write(',');
            WriteCell(_w, guard && Guarded[i] ? Defuse(cells[i]) : cells[i]);
        }
        _w.WriteLine();
    }

    /// <summary>The cell as a spreadsheet may safely show it: a leading apostrophe before = + - @ TAB CR.</summary>
    public static string Defuse(string s) => s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + s : s;

    public static void WriteCell(TextWriter tw, string s)
    {
        if (s.AsSpan().IndexOfAny(",\"\r\n") < 0) { tw.Write(s); return; }
        tw.Write('"');
        tw.Write(s.Replace("\"", "\"\""));
        tw.Write('"');
    }

    public void Flush() => _w.Flush();

    public void Dispose() => _w.Dispose();
}

/// <summary><c>--timeline FILE.csv</c>: the CSV timeline written beside the main output (e.g. JSON lines on stdout),
/// with a byte order mark since it is a file (see <see cref="CsvTimelineWriter"/>). Like every side output it is
/// written to <c>FILE.partial</c> and moved into place when the hunt completes.</summary>
public sealed class TimelineCsvSink : IHuntSink
{
    private readonly PartialFile _target;
    private readonly FileStream _file;
    private readonly CsvTimelineWriter _csv;

    public TimelineCsvSink(string path)
    {
        _target = new PartialFile(path);
        _file = _target.Create();
        _csv = new CsvTimelineWriter(_file, byteOrderMark: true);
    }

    private bool _closed;

    public void Add(long id, Detection detection) => _csv.Write(detection);

    public void Complete(HuntSummary summary)
    {
        Close();
        _target.Commit();
    }

    /// <summary>Once only: a StreamWriter left open on its stream flushes again on a second Dispose.</summary>
    private void Close()
    {
        if (_closed) return;
        _closed = true;
        _csv.Dispose();
        _file.Dispose();
    }

    public void Dispose()
    {
        Close();
        _target.Dispose();
    }
}
