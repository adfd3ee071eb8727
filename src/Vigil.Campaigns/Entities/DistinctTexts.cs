using System.Collections;
using Vigil.IO;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// A campaign's list of distinct texts (its accounts, its addresses) in the order first added, in bounded memory. Texts are
/// distinct by a key (the text itself, or for accounts <see cref="Names.AccountKey"/>): the first text added with a key is
/// the one listed.
/// <para>
/// The first <see cref="MemoryItems"/> distinct texts are a list and a set. Past them every text added whose key is not among
/// them goes to a temporary file (<see cref="TextTable"/>), with a row (hash of its key, its place in the adds) for an
/// external sort; <see cref="Seal"/> sorts the rows, keeps the first of each key (keys of one hash are told apart by their
/// texts) and lists them in the order they were first added. A brute force from 1M addresses at one account made one
/// campaign whose address list and set held ~100 bytes an address; past the limit it costs ~40 bytes of file per add and
/// nothing in memory but page caches.
/// </para>
/// <para>
/// <see cref="Add"/> until <see cref="Seal"/>; the list (<see cref="Count"/>, the indexer) after it. Before sealing,
/// <see cref="Added"/> walks what was added: each key's first text in order, where a text past the limit may come more than
/// once. Not thread-safe.
/// </para>
/// </summary>
internal sealed class DistinctTexts : IReadOnlyList<string>, IDisposable
{
    /// <summary>Distinct texts kept in memory by default (~6 MB of short texts).</summary>
    public const int DefaultMemoryItems = 1 << 16;

    private readonly string _name;
    private readonly Func<string, string>? _keyOf;
    private readonly Func<string, UInt128> _hash;
    private readonly int _pageRows, _cachePages, _runRows, _recentTexts;
    private readonly List<string> _mem = [];
    private HashSet<string>? _memKeys = new(StringComparer.Ordinal);
    // Past the memory limit: the texts (and keys, when they differ) in a file; each add as a row; the text ids in add order.
    private TextTable? _texts;
    private ExternalSorter<Row>? _rows;
    private SpillList<int>? _added;
    // Once sealed: the text ids of the distinct texts past the memory ones, in the order first added.
    private SpillList<int>? _order;
    private bool _sealed;

    private struct Row
    {
        public ulong High, Low;
        public long Seq;
        public int Text, Key;
    }

    private static int Compare(Row a, Row b) =>
        a.High != b.High ? a.High.CompareTo(b.High) : a.Low != b.Low ? a.Low.CompareTo(b.Low) : a.Seq.CompareTo(b.Seq);

    /// <param name="name">Names the temporary files.</param>
    /// <param name="keyOf">The key two texts are the same entry by (null: the text).</param>
    /// <param name="memoryItems">Distinct texts kept in memory; the rest go to files.</param>
    /// <param name="hash">The hash of a key (tests force collisions).</param>
    /// <param name="recentTexts">Texts past the limit remembered for reuse (tests force few, so a text gets several ids).</param>
    public DistinctTexts(string name, Func<string, string>? keyOf = null, int memoryItems = DefaultMemoryItems, int runRows = 1 << 16,
        int pageRows = 128, int cachePages = 16, Func<string, UInt128>? hash = null, int recentTexts = 1 << 12)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryItems);
        _name = name;
        _keyOf = keyOf;
        MemoryItems = memoryItems;
        _runRows = runRows;
        _pageRows = pageRows;
        _cachePages = cachePages;
        _hash = hash ?? (k => TextHash.Of(k));
        _recentTexts = recentTexts;
    }

    public int MemoryItems { get; }

    /// <summary>Whether texts went to files.</summary>
    public bool Spilled => _texts is not null;

    /// <summary>Adds <paramref name="text"/> unless it is empty or its key was added before.</summary>
    public void Add(string text)
    {
        if (_sealed) throw new InvalidOperationException($"{_name}: the list is sealed");
        if (text.Length == 0) return;
        var key = _keyOf is null ? text : _keyOf(text);
        if (_texts is null && _mem.Count < MemoryItems)
        {
            if (_memKeys!.Add(key)) _mem.Add(text);
            return;
        }
        if (_memKeys!.Contains(key)) return;
        if (_texts is null)
        {
            _texts = new TextTable($"{_name}-texts", 0, _pageRows, _cachePages, _recentTexts);
            _rows = new ExternalSorter<Row>($"{_name}-rows", Compare, _runRows);
            _added = new SpillList<int>($"{_name}-added", 0, 0, _pageRows * 8, _cachePages);
        }
        int textId = _texts.Id(text);
        int keyId = key == text ? textId : _texts.Id(key);
        var h = _hash(key);
        _rows!.Add(new Row { High = (ulong)(h >> 64), Low = (ulong)h, Seq = _added!.Count, Text = textId, Key = keyId });
        _added.Add(textId);
    }

    /// <summary>Before <see cref="Seal"/>: each key's first text, in the order added; past the memory limit a text may come
    /// again (a walk that collects into a set, or whose work a repeat does not change, can use it).</summary>
    public IEnumerable<string> Added()
    {
        if (_sealed) throw new InvalidOperationException($"{_name}: the list is sealed: walk the list itself");
        foreach (var t in _mem) yield return t;
        if (_added is null) yield break;
        for (int i = 0; i < _added.Count; i++) yield return _texts![_added[i]];
    }

    /// <summary>No more adds: the texts past the memory limit are reduced to the first of each key, in the order added.</summary>
    public void Seal()
    {
        if (_sealed) return;
        _sealed = true;
        _memKeys = null;
        _mem.TrimExcess();
        if (_rows is null) return;
        using var firsts = new ExternalSorter<(long Seq, int Text)>($"{_name}-firsts", (a, b) => a.CompareTo(b), _runRows);
        // A run of rows with one hash, in add order: the first row of each of its keys (usually one) is kept.
        var keys = new HashRunKeys(_texts!);
        foreach (var r in _rows.Sorted())
        {
            keys.Hash(r.High, r.Low);
            keys.KeyOf(r.Key, out bool isNew);
            if (isNew) firsts.Add((r.Seq, r.Text));
        }
        _rows.Dispose();
        _rows = null;
        _added!.Dispose();
        _added = null;
        _order = new SpillList<int>($"{_name}-order", 0, 0, _pageRows * 8, _cachePages);
        foreach (var (_, text) in firsts.Sorted()) _order.Add(text);
    }

    /// <summary>Distinct texts (once sealed).</summary>
    public int Count => Sealed()._mem.Count + (_order?.Count ?? 0);

    public string this[int index]
    {
        get
        {
            Sealed();
            if ((uint)index < (uint)_mem.Count) return _mem[index];
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return _texts![_order![index - _mem.Count]];
        }
    }

    private DistinctTexts Sealed() =>
        _sealed ? this : throw new InvalidOperationException($"{_name}: the list is read once it is sealed");

    public IEnumerator<string> GetEnumerator()
    {
        int count = Count;
        for (int i = 0; i < count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _rows?.Dispose();
        _added?.Dispose();
        _order?.Dispose();
        _texts?.Dispose();
    }
}

/// <summary>The items of a list at the given places, in their order (a campaign's internal or external addresses among
/// all its addresses).</summary>
internal sealed class ListSubset<T>(IReadOnlyList<T> all, IReadOnlyList<int> places) : IReadOnlyList<T>
{
    public int Count => places.Count;
    public T this[int index] => all[places[index]];

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < places.Count; i++) yield return all[places[i]];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
