using Vigil.Events;

namespace Vigil.Engine.Hunting;

/// <summary>
/// Per-partition sharing of the host and channel names of detections: the same few recur in every detection, and
/// the detection spool holds thousands of detections at a time. Texts up to <see cref="MaxLength"/> chars are stored
/// once; the pool stops growing at <see cref="MaxEntries"/>. (The event's fields are copied whole into an
/// <see cref="EventSnapshot"/>.) Not thread-safe.
/// </summary>
public sealed class DetectionTexts
{
    public const int MaxLength = 1024;
    public const int MaxEntries = 4096;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _spans;

    public DetectionTexts() { _spans = _strings.GetAlternateLookup<ReadOnlySpan<char>>(); }

    /// <summary>The value's text (<see cref="FieldValue.ToString"/>) as a shared string; a text value already seen
    /// costs no allocation.</summary>
    public string Text(in FieldValue v)
    {
        if (v.IsText)
        {
            var span = v.TextSpan;
            if (span.Length <= MaxLength && _spans.TryGetValue(span, out var seen)) return seen;
        }
        return Text(v.ToString());
    }

    /// <summary>The text as a shared string.</summary>
    public string Text(string s)
    {
        if (s.Length > MaxLength) return s;
        if (_strings.TryGetValue(s, out var shared)) return shared;
        if (_strings.Count < MaxEntries) _strings[s] = s;
        return s;
    }
}
