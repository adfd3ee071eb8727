using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Engine.Hunting;

namespace Vigil.Outputs;

/// <summary>
/// <c>--timesketch FILE.jsonl</c>: one JSON object per detection in the form Timesketch imports (web upload,
/// <c>timesketch_importer</c>, <c>tsctl import</c>): the three fields it requires, <c>message</c>, <c>datetime</c>
/// (ISO 8601 with offset, here always <c>+00:00</c>) and <c>timestamp_desc</c> ("Event Recorded": the time the log
/// recorded the event), plus <c>timestamp</c> (microseconds since 1970, which Timesketch sorts on) and flat
/// attributes to filter by: rule_title, rule_id, level, tags (one string, comma separated), computer, channel,
/// event_id, record_id, source, detection_id (the <c>id</c> of the JSON lines output), details, data_type
/// "vigil:detection", and campaign_id when the detection belongs to a campaign.
/// <para>
/// Campaigns are known only when the hunt completes, so lines are first written to <c>FILE.jsonl.partial</c> beside
/// the target (see <see cref="PartialFile"/>), then, at <see cref="Complete"/>, either moved into place as they are
/// (no campaigns) or copied with <c>campaign_id</c> added where it applies. A failed hunt leaves no file behind.
/// </para>
/// <para>
/// Timesketch cannot place an event without a time, so detections whose event had none are left out; their number
/// is reported on stderr when the hunt completes (never silently).
/// </para>
/// </summary>
public sealed class TimesketchSink : IHuntSink
{
    public const string TimestampDescription = "Event Recorded";

    private readonly string _path;
    private readonly PartialFile _target;
    private readonly TextWriter _notes;
    private FileStream? _partial;
    private readonly Utf8JsonWriter _json;
    private long _untimed;

    public TimesketchSink(string path, TextWriter notes)
    {
        _path = path;
        _target = new PartialFile(path);
        _notes = notes;
        _partial = _target.Create();
        _json = new Utf8JsonWriter(_partial, EventJson.WriterOptions);
    }

    public long Written { get; private set; }
    public long Untimed => _untimed;

    public void Add(long id, Detection d)
    {
        if (d.TimestampTicks == 0) { _untimed++; return; }
        var t = d.Timestamp!.Value;
        string details = DetectionWriters.Details(d);
        var w = _json;
        w.WriteStartObject();
        // First, so Complete finds it at a fixed place (a later key could be imitated inside attacker-controlled text).
        w.WriteNumber("detection_id", id);
        w.WriteString("message", Message(d, details));
        w.WriteString("datetime", t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'+00:00'", CultureInfo.InvariantCulture));
        w.WriteNumber("timestamp", (d.TimestampTicks - DateTime.UnixEpoch.Ticks) / 10);
        w.WriteString("timestamp_desc", TimestampDescription);
        w.WriteString("data_type", "vigil:detection");
        w.WriteString("rule_title", d.Rule.Title);
        w.WriteString("rule_id", d.Rule.Id);
        w.WriteString("level", d.Rule.Level);
        w.WriteString("tags", string.Join(", ", d.Rule.Tags));
        w.WriteString("computer", d.Computer);
        w.WriteString("channel", d.Channel);
        if (d.EventId is { } eid) w.WriteNumber("event_id", eid);
        if (d.RecordId is { } rid) w.WriteNumber("record_id", rid);
        w.WriteString("source", d.Source);
        w.WriteString("details", details);
        // campaign_id, if any, is added at Complete before the closing brace.
        w.WriteEndObject();
        w.Flush();
        _partial!.WriteByte((byte)'\n');
        w.Reset(_partial);
        Written++;
    }

    /// <summary>What Timesketch shows in its event list: "[level] Rule title on COMPUTER: details".</summary>
    public static string Message(Detection d, string details)
    {
        var sb = new StringBuilder(d.Rule.Title.Length + details.Length + 32);
        sb.Append('[').Append(d.Rule.Level).Append("] ").Append(d.Rule.Title);
        if (d.Computer.Length > 0) sb.Append(" on ").Append(d.Computer);
        if (details.Length > 0) sb.Append(": ").Append(details);
        return sb.ToString();
    }

    public void Complete(HuntSummary summary)
    {
        _json.Dispose(); // flushes into the partial file
        _partial!.Dispose();
        _partial = null;
        // A detection may in principle be claimed by more than one campaign; the ids are joined then, in campaign order.
        // (detection id, campaign) rows sorted in files, joined with the lines (in detection id order) as they are
        // copied: a dictionary of every campaign's detections was ~30 bytes a detection (3M detections: ~100 MB).
        var names = new List<string>();
        using var members = new Vigil.IO.ExternalSorter<Member>("timesketch-campaigns", Member.Compare);
        foreach (var c in summary.Campaigns)
        {
            foreach (long id in c.DetectionIds) members.Add(new Member(id, names.Count));
            names.Add(c.Id);
        }
        if (members.Count == 0) _target.Commit();
        else
        {
            string rewritten = _target.PartialPath + ".campaigns";
            using (var input = new StreamReader(_target.PartialPath, new UTF8Encoding(false)))
            using (var output = new StreamWriter(OutputFiles.Create(rewritten), new UTF8Encoding(false), 1 << 16) { NewLine = "\n" })
            using (var sorted = members.Sorted().GetEnumerator())
            {
                bool more = sorted.MoveNext();
                string? line;
                long n = 0, last = long.MinValue;
                var joined = new StringBuilder();
                while ((line = input.ReadLine()) is not null)
                {
                    n++;
                    long id = DetectionIdOf(line, n);
                    if (id <= last) throw new InvalidDataException($"{_target.PartialPath}:{n}: detection ids out of order ({id} after {last})");
                    last = id;
                    while (more && sorted.Current.Detection < id) more = sorted.MoveNext();
                    joined.Clear();
                    for (; more && sorted.Current.Detection == id; more = sorted.MoveNext())
                    {
                        if (joined.Length > 0) joined.Append(',');
                        joined.Append(names[sorted.Current.Campaign]);
                    }
                    if (joined.Length > 0)
                    {
                        // Each line is one flat object ending in '}': add the attribute before it.
                        output.Write(line.AsSpan(0, line.Length - 1));
                        output.Write(",\"campaign_id\":");
                        output.Write(JsonSerializer.Serialize(joined.ToString()));
                        output.WriteLine('}');
                    }
                    else output.WriteLine(line);
                }
            }
            _target.CommitRewritten(rewritten);
        }
        if (_untimed > 0)
            _notes.WriteLine($"vigil: {_untimed} detections had no event time and are not in the Timesketch file {_path} (Timesketch needs a datetime)");
    }

    /// <summary>The detection_id of a line this sink wrote: always its first key.</summary>
    /// <summary>A detection of a campaign (by its place in the summary's list), sorted by detection, then campaign.</summary>
    private readonly record struct Member(long Detection, int Campaign)
    {
        public static int Compare(Member a, Member b) => a.Detection != b.Detection ? a.Detection.CompareTo(b.Detection) : a.Campaign.CompareTo(b.Campaign);
    }

    private long DetectionIdOf(string line, long lineNo)
    {
        const string key = "{\"detection_id\":";
        int i = line.StartsWith(key, StringComparison.Ordinal) ? 0 : -1;
        if (i < 0) throw new InvalidDataException($"{_target.PartialPath}:{lineNo}: no detection_id (the partial file was changed while the hunt ran)");
        i += key.Length;
        int j = i;
        while (j < line.Length && char.IsAsciiDigit(line[j])) j++;
        return long.Parse(line.AsSpan(i, j - i), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (_partial is not null)
        {
            _json.Dispose();
            _partial.Dispose();
        }
        _target.Dispose(); // deletes the partial file unless the hunt completed
    }
}
