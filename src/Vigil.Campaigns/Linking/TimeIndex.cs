namespace Vigil.Campaigns.Linking;

/// <summary>Records grouped by a key and sorted by time, so per-campaign work reads only its own keys' records inside its
/// own time window (binary search) instead of everything the key ever did.</summary>
public sealed class TimeIndex<T>
{
    private readonly Dictionary<string, List<T>> _byKey = new(StringComparer.Ordinal);
    private readonly Func<T, long> _ticks;

    public TimeIndex(IEnumerable<T> records, Func<T, string> key, Func<T, long> ticks)
    {
        _ticks = ticks;
        foreach (var r in records)
        {
            var k = key(r);
            if (k.Length == 0) continue;
            if (!_byKey.TryGetValue(k, out var l)) _byKey[k] = l = [];
            l.Add(r);
        }
        foreach (var l in _byKey.Values) l.Sort((a, b) => ticks(a).CompareTo(ticks(b)));
    }

    public IReadOnlyList<T> All(string key) => _byKey.TryGetValue(key, out var l) ? l : [];

    public IEnumerable<T> In(string key, long from, long to)
    {
        if (!_byKey.TryGetValue(key, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (_ticks(l[mid]) < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && _ticks(l[k]) <= to; k++) yield return l[k];
    }
}

/// <summary>
/// Records of a compact store (CloudTrail calls, flows) grouped by a key (identity, address, source) and sorted by time,
/// as (time, position) pairs: 16 bytes a record instead of the record, which is read from the store only when a query
/// yields it. The order within a key is that of a <see cref="TimeIndex{T}"/> over the records in position order (the
/// same unstable sort by time over the same sequence gives the same permutation).
/// </summary>
public sealed class StoreTimeIndex<T>
{
    private readonly Func<int, T> _read;
    private readonly Dictionary<string, List<(long Ticks, int Position)>> _byKey = new(StringComparer.Ordinal);

    /// <param name="count">Records in the store (positions 0..count-1).</param>
    /// <param name="key">A record's key; "" leaves it out.</param>
    /// <param name="ticks">A record's time.</param>
    /// <param name="read">The record at a position.</param>
    public StoreTimeIndex(int count, Func<int, string> key, Func<int, long> ticks, Func<int, T> read)
    {
        _read = read;
        for (int i = 0; i < count; i++)
        {
            var k = key(i);
            if (k.Length == 0) continue;
            if (!_byKey.TryGetValue(k, out var l)) _byKey[k] = l = [];
            l.Add((ticks(i), i));
        }
        foreach (var l in _byKey.Values) l.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
    }

    /// <summary>The positions of <paramref name="key"/>'s records within [from, to], in time order.</summary>
    public IEnumerable<int> Positions(string key, long from, long to)
    {
        if (!_byKey.TryGetValue(key, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (l[mid].Ticks < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && l[k].Ticks <= to; k++) yield return l[k].Position;
    }

    /// <summary>The records of <paramref name="key"/> within [from, to], in time order.</summary>
    public IEnumerable<T> In(string key, long from, long to) => Positions(key, from, to).Select(_read);
}
