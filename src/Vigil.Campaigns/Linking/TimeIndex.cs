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
