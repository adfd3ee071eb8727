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

    /// <summary>The text as a shared string.</summary>
    public string Text(string s)
    {
        if (s.Length > MaxLength) return s;
        if (_strings.TryGetValue(s, out var shared)) return shared;
        if (_strings.Count < MaxEntries) _strings[s] = s;
        return s;
    }
}
