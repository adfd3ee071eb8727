using System.IO.Hashing;
using System.Runtime.InteropServices;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>Records grouped by a key and sorted by time, then input order, so per-campaign work reads only its own keys'
/// records inside its own time window (binary search) instead of everything the key ever did. Held in memory: the
/// reference the tests compare <see cref="StoreTimeIndex{T}"/> with.</summary>
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
        // Stable: records at the same time keep their input order.
        foreach (var k in _byKey.Keys.ToList()) _byKey[k] = [.. _byKey[k].OrderBy(ticks)];
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
/// then position: the order of a <see cref="TimeIndex{T}"/> over the records in position order. The index is rows of
/// (key hash, time, position) sorted in runs into a temporary file (<see cref="SortedRows{T}"/>): nothing per record in
/// memory but the first row of each 256-row page, where lists of (time, position) per key cost 16 bytes a record and were
/// a step toward lifting the context's 1M cap on CloudTrail calls. A query hashes its key (128-bit XxHash128) and finds the
/// key's first row in the window by binary search (a wrong answer would need two keys with the same 128-bit hash); the
/// record itself is read only when a query yields it.
/// </summary>
public sealed class StoreTimeIndex<T> : IDisposable
{
    private struct Row
    {
        public UInt128 Hash;
        public long Ticks;
        public int Position;
    }

    private readonly Func<int, T> _read;
    private readonly SortedRows<Row> _rows;

    /// <param name="count">Records in the store (positions 0..count-1).</param>
    /// <param name="key">A record's key; "" leaves it out.</param>
    /// <param name="ticks">A record's time.</param>
    /// <param name="read">The record at a position.</param>
    public StoreTimeIndex(int count, Func<int, string> key, Func<int, long> ticks, Func<int, T> read)
        : this(count, key, ticks, read, BuildLimits.Default) { }

    internal StoreTimeIndex(int count, Func<int, string> key, Func<int, long> ticks, Func<int, T> read, BuildLimits limits)
    {
        _read = read;
        _rows = new SortedRows<Row>("time-index", Math.Min(256, limits.PageRows), Math.Min(64, limits.CachePages));
        using var sorter = new ExternalSorter<Row>("time-index",
            (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position),
            limits.RunRows);
        for (int i = 0; i < count; i++)
        {
            var k = key(i);
            if (k.Length == 0) continue;
            sorter.Add(new Row { Hash = Hash(k), Ticks = ticks(i), Position = i });
        }
        foreach (var r in sorter.Sorted()) _rows.Add(r);
    }

    private static UInt128 Hash(string key) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(key.AsSpan()));

    /// <summary>Records indexed (those with a key).</summary>
    public int Count => _rows.Count;

    /// <summary>The positions of <paramref name="key"/>'s records within [from, to], in time order (then position).</summary>
    public IEnumerable<int> Positions(string key, long from, long to)
    {
        var h = Hash(key);
        for (int k = _rows.LowerBound((h, from), static (r, q) => r.Hash < q.h || (r.Hash == q.h && r.Ticks < q.from)); k < _rows.Count; k++)
        {
            var r = _rows[k];
            if (r.Hash != h || r.Ticks > to) yield break;
            yield return r.Position;
        }
    }

    /// <summary>The records of <paramref name="key"/> within [from, to], in time order.</summary>
    public IEnumerable<T> In(string key, long from, long to) => Positions(key, from, to).Select(_read);

    public void Dispose() => _rows.Dispose();
}
