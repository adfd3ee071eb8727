namespace Vigil.Campaigns.Entities;

/// <summary>
/// One copy of each distinct text the campaign input keeps (host names, accounts, images, command lines, addresses):
/// the same values repeat across partitions and across detections (several rules on one event, one command on many
/// hosts), and a pooled value costs one reference instead of its own string. Bounded: once the pooled texts reach
/// <see cref="MaxChars"/> characters (each counted with <see cref="TextTable.TextOverheadChars"/> for its object and entry)
/// or <see cref="MaxEntries"/> values, new texts are returned as given (still correct, just not shared). The first texts
/// seen are the ones kept: hosts, accounts and images come early and repeat; a command line first seen late is most
/// often seen once. Not thread-safe: used where partitions are appended in order and where detections are read, both
/// on one thread.
/// </summary>
public sealed class TextPool
{
    /// <summary>4M characters (8 MB of text) by default.</summary>
    public const long DefaultMaxChars = 4L << 20;

    public int MaxEntries { get; }
    public long MaxChars { get; }
    private readonly Dictionary<string, string> _map = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _spans;
    private long _chars;

    public TextPool(int maxEntries = 2_000_000, long maxChars = DefaultMaxChars)
    {
        MaxEntries = maxEntries;
        MaxChars = maxChars;
        _spans = _map.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _map.Count;

    /// <summary>Characters pooled, each text counted with its overhead (see the class remarks).</summary>
    public long Chars => _chars;

    /// <summary>The pooled copy of <paramref name="s"/> ("" for null or empty).</summary>
    public string Intern(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        if (_map.TryGetValue(s, out var have)) return have;
        Keep(s);
        return s;
    }

    /// <summary>The pooled string equal to <paramref name="text"/>; allocates only for a text not seen before.</summary>
    public string Intern(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return "";
        if (_spans.TryGetValue(text, out var have)) return have;
        var s = new string(text);
        Keep(s);
        return s;
    }

    private void Keep(string s)
    {
        long cost = s.Length + TextTable.TextOverheadChars;
        if (_map.Count >= MaxEntries || _chars + cost > MaxChars) return;
        _map[s] = s;
        _chars += cost;
    }

    /// <summary>Forgets every entry (the pooled strings stay valid where they are referenced).</summary>
    public void Clear()
    {
        _map.Clear();
        _map.TrimExcess();
        _chars = 0;
    }
}
