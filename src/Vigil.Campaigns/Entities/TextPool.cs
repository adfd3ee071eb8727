namespace Vigil.Campaigns.Entities;

/// <summary>
/// One copy of each distinct text the campaign input keeps (host names, accounts, images, command lines, addresses):
/// the same values repeat across partitions and across detections (several rules on one event, one command on many
/// hosts), and a pooled value costs one reference instead of its own string. Bounded: past <see cref="MaxEntries"/>
/// values new texts are returned as given (still correct, just not shared). Not thread-safe: used where partitions are
/// appended in order and where detections are read, both on one thread.
/// </summary>
public sealed class TextPool
{
    public int MaxEntries { get; }
    private readonly Dictionary<string, string> _map = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _spans;

    public TextPool(int maxEntries = 2_000_000)
    {
        MaxEntries = maxEntries;
        _spans = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _map.Count;

    /// <summary>The pooled copy of <paramref name="s"/> ("" for null or empty).</summary>
    public string Intern(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        if (_map.TryGetValue(s, out var have)) return have;
        if (_map.Count < MaxEntries) _map[s] = s;
        return s;
    }

    /// <summary>The pooled string equal to <paramref name="text"/>; allocates only for a text not seen before.</summary>
    public string Intern(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return "";
        if (_spans.TryGetValue(text, out var have)) return have;
        var s = new string(text);
        if (_map.Count < MaxEntries) _map[s] = s;
        return s;
    }

    /// <summary>Forgets every entry (the pooled strings stay valid where they are referenced).</summary>
    public void Clear()
    {
        _map.Clear();
        _map.TrimExcess();
    }
}
