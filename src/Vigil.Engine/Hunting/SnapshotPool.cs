using Vigil.Events;

namespace Vigil.Engine.Hunting;

/// <summary>
/// Per-worker copier of event fields for detections that shares repeated text: host names, channels, image
/// paths, users and command lines recur across the events rules fire on, and each detection used to own a
/// fresh copy of every value. Text values up to <see cref="MaxLength"/> chars are looked up by span (no
/// allocation on a repeat) and stored once; the pool stops growing at <see cref="MaxEntries"/> strings, after
/// which new values are copied as before. Same values as <see cref="EventFacts.Snapshot"/>. Not thread-safe.
/// </summary>
public sealed class SnapshotPool
{
    public const int MaxLength = 1024;
    public const int MaxEntries = 200_000;
    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public SnapshotPool() { _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>(); }

    public EventField[] Snapshot(Event e)
    {
        var fields = new EventField[e.Count];
        for (int i = 0; i < e.Count; i++) fields[i] = new EventField(e.NameAt(i), Detach(e.ValueAt(i)));
        return fields;
    }

    /// <summary>The text as a shared string (for Computer / Channel of detections).</summary>
    public string Text(string s) => s.Length > MaxLength ? s : Intern(s.AsSpan());

    private FieldValue Detach(in FieldValue v)
    {
        if (v.Kind != ValueKind.String) return v.Detach();
        var span = v.TextSpan;
        if (span.Length > MaxLength) return v.Detach();
        return FieldValue.FromString(Intern(span));
    }

    private string Intern(ReadOnlySpan<char> span)
    {
        if (_lookup.TryGetValue(span, out var s)) return s;
        s = span.ToString();
        if (_strings.Count < MaxEntries) _strings[s] = s;
        return s;
    }
}
