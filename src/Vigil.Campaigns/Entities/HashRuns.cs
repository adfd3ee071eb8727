namespace Vigil.Campaigns.Entities;

/// <summary>
/// A set of 128-bit hashes that answers "seen before?" as it grows, with memory that does not grow with it: the newest
/// hashes in a <see cref="HashSet{T}"/> of at most <see cref="Limit"/> entries, the older ones in sorted files
/// (<see cref="SortedRows{T}"/>) searched by halving. A full set is sorted into a new file; past
/// <see cref="MaxRuns"/> files they are merged into one, so a lookup searches a few files at most. Not thread-safe.
/// </summary>
internal sealed class HashRuns(string name, BuildLimits limits) : IDisposable
{
    /// <summary>Files before they are merged into one.</summary>
    public const int MaxRuns = 8;

    /// <summary>Hashes in memory: at most 262,144 (~10 MB with the set's slots), fewer with small limits (tests).</summary>
    public int Limit { get; } = Math.Max(1, Math.Min(limits.MemoryItems, 1 << 18));

    private readonly HashSet<UInt128> _recent = [];
    private readonly List<SortedRows<UInt128>> _runs = [];

    public long Count { get; private set; }

    /// <summary>Files searched by a lookup now (tests: at most <see cref="MaxRuns"/>).</summary>
    public int Runs => _runs.Count;

    /// <summary>Files written so far (tests).</summary>
    public int RunsWritten { get; private set; }

    /// <summary>Adds <paramref name="hash"/>; false if it was in the set already.</summary>
    public bool Add(UInt128 hash)
    {
        if (_recent.Contains(hash)) return false;
        foreach (var run in _runs)
        {
            int i = run.LowerBound(hash, static (r, h) => r < h);
            if (i < run.Count && run[i] == hash) return false;
        }
        _recent.Add(hash);
        Count++;
        if (_recent.Count >= Limit) Spill();
        return true;
    }

    /// <summary>The set's hashes go to a sorted file, and the files are merged into one past <see cref="MaxRuns"/>.</summary>
    private void Spill()
    {
        var sorted = _recent.ToArray();
        Array.Sort(sorted);
        _recent.Clear();
        _recent.TrimExcess();
        var run = new SortedRows<UInt128>(name, limits.PageRows, limits.CachePages);
        foreach (var h in sorted) run.Add(h);
        _runs.Add(run);
        RunsWritten++;
        if (_runs.Count <= MaxRuns) return;
        var merged = new SortedRows<UInt128>(name, limits.PageRows, limits.CachePages);
        var at = new int[_runs.Count];
        while (true)
        {
            int best = -1;
            for (int r = 0; r < _runs.Count; r++)
                if (at[r] < _runs[r].Count && (best < 0 || _runs[r][at[r]] < _runs[best][at[best]])) best = r;
            if (best < 0) break;
            merged.Add(_runs[best][at[best]++]);
        }
        foreach (var r in _runs) r.Dispose();
        _runs.Clear();
        _runs.Add(merged);
        RunsWritten++;
    }

    public void Dispose()
    {
        foreach (var r in _runs) r.Dispose();
        _runs.Clear();
        _recent.Clear();
    }
}
