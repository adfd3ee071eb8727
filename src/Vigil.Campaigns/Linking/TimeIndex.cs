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
/// Calls of a <see cref="Context.CloudStore"/> grouped by a key (identity or address) and sorted by time, as
/// (time, position) pairs: 16 bytes a call instead of the record, which is read from the store only when a query yields
/// it. The order within a key is that of a <see cref="TimeIndex{T}"/> over the records (the same unstable sort by time
/// over the same sequence gives the same permutation).
/// </summary>
public sealed class CloudTimeIndex
{
    private readonly Context.CloudStore _store;
    private readonly Dictionary<string, List<(long Ticks, int Position)>> _byKey = new(StringComparer.Ordinal);

    public CloudTimeIndex(Context.CloudStore store, Func<Context.CloudStore, int, string> key)
    {
        _store = store;
        for (int i = 0; i < store.Count; i++)
        {
            var k = key(store, i);
            if (k.Length == 0) continue;
            if (!_byKey.TryGetValue(k, out var l)) _byKey[k] = l = [];
            l.Add((store.Ticks(i), i));
        }
        foreach (var l in _byKey.Values) l.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
    }

    /// <summary>The store positions of <paramref name="key"/>'s calls within [from, to], in time order.</summary>
    public IEnumerable<int> Positions(string key, long from, long to)
    {
        if (!_byKey.TryGetValue(key, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (l[mid].Ticks < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && l[k].Ticks <= to; k++) yield return l[k].Position;
    }

    /// <summary>The calls of <paramref name="key"/> within [from, to], in time order.</summary>
    public IEnumerable<Context.CloudRec> In(string key, long from, long to) => Positions(key, from, to).Select(i => _store[i]);
}

/// <summary>
/// Flows of a <see cref="Context.FlowStore"/> by source address, by first contact, as (time, position) pairs (flows without
/// a time left out). The order within a source is that of a <see cref="TimeIndex{T}"/> over the flows in position order
/// (the same unstable sort by time over the same sequence).
/// </summary>
public sealed class FlowTimeIndex
{
    private readonly Context.FlowStore _store;
    private readonly Dictionary<string, List<(long First, int Position)>> _bySource = new(StringComparer.Ordinal);

    public FlowTimeIndex(Context.FlowStore store)
    {
        _store = store;
        for (int i = 0; i < store.Count; i++)
        {
            long first = store.First(i);
            var source = store.Source(i);
            if (first == long.MaxValue || source.Length == 0) continue;
            if (!_bySource.TryGetValue(source, out var l)) _bySource[source] = l = [];
            l.Add((first, i));
        }
        foreach (var l in _bySource.Values) l.Sort((a, b) => a.First.CompareTo(b.First));
    }

    /// <summary>The positions of <paramref name="source"/>'s flows first seen within [from, to], by first contact.</summary>
    public IEnumerable<int> Positions(string source, long from, long to)
    {
        if (!_bySource.TryGetValue(source, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (l[mid].First < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && l[k].First <= to; k++) yield return l[k].Position;
    }

    /// <summary>The flows of <paramref name="source"/> first seen within [from, to], by first contact.</summary>
    public IEnumerable<Context.Flow> In(string source, long from, long to) => Positions(source, from, to).Select(i => _store[i]);
}
