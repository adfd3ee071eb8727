namespace Vigil.Campaigns.Entities;

/// <summary>
/// Rows added in ascending order, kept in a temporary file (<see cref="RowFile{T}"/>), searchable by binary search: the
/// first row of each page stays in memory (1/<see cref="RowFile{T}.PageRows"/> of the rows), the search within a page
/// reads that page through the file's cache. A lookup table of a fixed size in memory over any number of rows, at the cost
/// of (mostly) one page read per lookup that misses the cache.
/// </summary>
internal sealed class SortedRows<T> : IDisposable where T : unmanaged
{
    private readonly RowFile<T> _rows;
    private readonly List<T> _pageFirst = [];

    public SortedRows(string name, int pageRows, int cachePages) => _rows = new RowFile<T>(name, pageRows, cachePages);

    public int Count => _rows.Count;
    public long PageReads => _rows.PageReads;
    /// <summary>Rows written to the file (tests: the lookups really went through it).</summary>
    public int Spilled => _rows.Spilled;

    /// <summary>Appends a row; rows must come in ascending order (the caller's sort).</summary>
    public void Add(in T row)
    {
        if (_rows.Count % _rows.PageRows == 0) _pageFirst.Add(row);
        _rows.Add(row);
    }

    public T this[int i] => _rows[i];

    /// <summary>The first row for which <paramref name="below"/> is false (rows ordered so that it is true for a prefix), or
    /// <see cref="Count"/>.</summary>
    public int LowerBound<TState>(TState state, Func<T, TState, bool> below)
    {
        // The last page whose first row is below: the answer is in it or at the start of the next.
        int lo = 0, hi = _pageFirst.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (below(_pageFirst[mid], state)) lo = mid + 1; else hi = mid;
        }
        if (lo == 0) return 0;
        int page = lo - 1;
        int from = page * _rows.PageRows + 1, to = Math.Min(_rows.Count, (page + 1) * _rows.PageRows);
        while (from < to)
        {
            int mid = (from + to) >>> 1;
            if (below(_rows[mid], state)) from = mid + 1; else to = mid;
        }
        return from;
    }

    public void Dispose() => _rows.Dispose();
}
