namespace Vigil.Campaigns.Entities;

/// <summary>
/// A list of reference-free values read and rewritten by position: an array while it holds at most
/// <see cref="MemoryItems"/> values, then a <see cref="RowFile{T}"/> (the values in a temporary file, a bounded number of
/// pages in memory). It holds the same values either way; only where they live differs.
/// <para>
/// For the campaign build's tables with one entry per detection or per process (the union-find's parents and ranks, each
/// set's group, each process's parent, root and group): a day of a few million events keeps them as arrays (a few bytes an
/// entry, the fastest), a larger input moves them to files once they pass the limit, so the build's memory for them stops
/// growing with the input. Random access past the limit costs a page read from the file (through the operating system's
/// page cache) when the page is not among the cached ones.
/// </para>
/// Not thread-safe.
/// </summary>
internal sealed class SpillList<T> : IReadOnlyList<T>, IDisposable where T : unmanaged
{
    /// <summary>Values an array holds before the list moves to a file unless the caller says otherwise: 4M (16 MB of
    /// 4-byte values).</summary>
    public const int DefaultMemoryItems = 1 << 22;
    /// <summary>Values per page of the file (16 KB of 4-byte values), pages cached (4 MB).</summary>
    public const int DefaultPageRows = 4096, DefaultCachePages = 256;

    private readonly string _name;
    private readonly int _pageRows, _cachePages;
    private T[] _items;
    private int _count;
    private RowFile<T>? _file;

    /// <param name="name">Names the temporary file (in messages).</param>
    /// <param name="memoryItems">The most values kept in an array; one more moves them all to the file.</param>
    /// <param name="capacity">Values expected (the array is sized once for them, up to <paramref name="memoryItems"/>).</param>
    public SpillList(string name, int memoryItems = DefaultMemoryItems, int capacity = 0,
        int pageRows = DefaultPageRows, int cachePages = DefaultCachePages)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryItems);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _name = name;
        MemoryItems = memoryItems;
        _pageRows = pageRows;
        _cachePages = cachePages;
        _items = new T[Math.Min(capacity, memoryItems)];
    }

    /// <summary>A list of <paramref name="count"/> copies of <paramref name="value"/>.</summary>
    public static SpillList<T> Filled(string name, int count, T value, int memoryItems = DefaultMemoryItems,
        int pageRows = DefaultPageRows, int cachePages = DefaultCachePages)
    {
        // A table past the limit goes to its file from the start (not filled in an array first and copied).
        bool big = count > memoryItems;
        var list = new SpillList<T>(name, memoryItems, big ? 0 : count, pageRows, cachePages);
        if (big) list.MoveToFile();
        for (int i = 0; i < count; i++) list.Add(value);
        return list;
    }

    public int MemoryItems { get; }
    public int Count => _count;
    /// <summary>Whether the values live in the file.</summary>
    public bool Spilled => _file is not null;
    /// <summary>Pages read back from the file (a diagnostic).</summary>
    public long PageReads => _file?.PageReads ?? 0;

    /// <summary>The values as a span while they are in memory (hot loops read them without the indexer's checks); false once
    /// they are in the file.</summary>
    public bool TryGetSpan(out Span<T> values)
    {
        values = _file is null ? _items.AsSpan(0, _count) : default;
        return _file is null;
    }

    public void Add(T value)
    {
        if (_file is not null)
        {
            _file.Add(value);
            _count++;
            return;
        }
        if (_count == MemoryItems)
        {
            MoveToFile();
            _file!.Add(value);
            _count++;
            return;
        }
        if (_count == _items.Length) Array.Resize(ref _items, (int)Math.Min(MemoryItems, Math.Max(16L, _count + (long)_count / 2)));
        _items[_count++] = value;
    }

    /// <summary>Moves the values held so far to the file; every later one goes there too.</summary>
    private void MoveToFile()
    {
        _file = new RowFile<T>(_name, _pageRows, _cachePages);
        for (int i = 0; i < _count; i++) _file.Add(_items[i]);
        _items = [];
    }

    public T this[int i]
    {
        get
        {
            if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i), i, $"{_name}: value {i} of {_count}");
            return _file is null ? _items[i] : _file[i];
        }
        set
        {
            if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i), i, $"{_name}: value {i} of {_count}");
            if (_file is null) _items[i] = value;
            else _file.Set(i, value);
        }
    }

    /// <summary>The <paramref name="count"/> values from <paramref name="at"/> on, as a list read through this one (valid while
    /// it holds them).</summary>
    public IReadOnlyList<T> Slice(int at, int count)
    {
        if (at < 0 || count < 0 || at > _count - count) throw new ArgumentOutOfRangeException(nameof(at), at, $"{_name}: {count} values at {at} of {_count}");
        return new Range(this, at, count);
    }

    private sealed class Range(SpillList<T> list, int at, int count) : IReadOnlyList<T>
    {
        public int Count => count;

        public T this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
                return list[at + index];
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            for (int i = 0; i < count; i++) yield return list[at + i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Empties the list (its file, if it had one, is deleted; the array is kept for the next values).</summary>
    public void Clear()
    {
        _file?.Dispose();
        _file = null;
        _count = 0;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _items = [];
        _count = 0;
    }
}
