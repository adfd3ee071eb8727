using Vigil.IO;
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
    /// <summary>One record: its key's hash, time, position, and a number its index carries for the caller (0 unless
    /// given: the logon index keeps each logon's account id there, so a query reads nothing from the store).</summary>
    private struct Row
    {
        public UInt128 Hash;
        public long Ticks;
        public int Position, Value;
    }

    private readonly Func<int, T> _read;
    private readonly SortedRows<Row> _rows;
    /// <summary>The rows as they are added, until <see cref="Complete"/> sorts them into <see cref="_rows"/>.</summary>
    private ExternalSorter<Row>? _sorter;

    /// <param name="count">Records in the store (positions 0..count-1).</param>
    /// <param name="key">A record's key; "" leaves it out.</param>
    /// <param name="ticks">A record's time.</param>
    /// <param name="read">The record at a position.</param>
    public StoreTimeIndex(int count, Func<int, string> key, Func<int, long> ticks, Func<int, T> read)
        : this(count, key, ticks, read, BuildLimits.Default) { }

    internal StoreTimeIndex(int count, Func<int, string> key, Func<int, long> ticks, Func<int, T> read, BuildLimits limits)
        : this("time-index", read, limits)
    {
        for (int i = 0; i < count; i++)
        {
            var k = key(i);
            if (k.Length == 0) continue;
            Add(k, ticks(i), i);
        }
        Complete();
    }

    /// <summary>An index its caller fills (<see cref="Add"/>, then <see cref="Complete"/>), in the same pass as other work
    /// over the store.</summary>
    internal StoreTimeIndex(string name, Func<int, T> read, BuildLimits limits)
    {
        _read = read;
        _rows = new SortedRows<Row>(name, Math.Min(256, limits.PageRows), Math.Min(64, limits.CachePages));
        _sorter = new ExternalSorter<Row>(name,
            (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position),
            limits.RunRows);
    }

    /// <summary>Adds the record at <paramref name="position"/> under a non-empty key, with a number to give back.</summary>
    internal void Add(string key, long ticks, int position, int value = 0)
    {
        if (_sorter is null) throw new InvalidOperationException("the time index is complete: no more records can be added");
        _sorter.Add(new Row { Hash = Hash(key), Ticks = ticks, Position = position, Value = value });
    }

    /// <summary>Sorts the records added into the index; queries may follow.</summary>
    internal void Complete()
    {
        if (_sorter is null) return;
        foreach (var r in _sorter.Sorted()) _rows.Add(r);
        _sorter.Dispose();
        _sorter = null;
    }

    private static UInt128 Hash(string key) => TextHash.Of(key);

    /// <summary>Records indexed (those with a key).</summary>
    public int Count => _rows.Count;

    /// <summary><paramref name="key"/>'s records within [from, to], in time order (then position): time, position and the
    /// number added with each.</summary>
    internal IEnumerable<(long Ticks, int Position, int Value)> Entries(string key, long from, long to)
    {
        if (_sorter is not null) throw new InvalidOperationException("the time index is not complete");
        var h = Hash(key);
        for (int k = _rows.LowerBound((h, from), static (r, q) => r.Hash < q.h || (r.Hash == q.h && r.Ticks < q.from)); k < _rows.Count; k++)
        {
            var r = _rows[k];
            if (r.Hash != h || r.Ticks > to) yield break;
            yield return (r.Ticks, r.Position, r.Value);
        }
    }

    /// <summary>The positions of <paramref name="key"/>'s records within [from, to], in time order (then position).</summary>
    public IEnumerable<int> Positions(string key, long from, long to) => Entries(key, from, to).Select(e => e.Position);

    /// <summary>The records of <paramref name="key"/> within [from, to], in time order.</summary>
    public IEnumerable<T> In(string key, long from, long to) => Positions(key, from, to).Select(_read);

    public void Dispose()
    {
        _sorter?.Dispose();
        _rows.Dispose();
    }
}
