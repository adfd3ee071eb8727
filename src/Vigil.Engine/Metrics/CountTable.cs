namespace Vigil.Engine.Metrics;

/// <summary>
/// A counted grouping of events: the key columns (e.g. EventID, Channel, Provider), one row per distinct key with
/// its count and the first and last event time seen under it, sorted by count (highest first, then by key).
/// </summary>
public sealed record CountTable(string Title, IReadOnlyList<string> KeyColumns, IReadOnlyList<CountRow> Rows, long Total)
{
    /// <summary>The row's share of <see cref="Total"/> in percent (0 when the table is empty).</summary>
    public double Percent(CountRow row) => Total == 0 ? 0 : row.Count * 100.0 / Total;
}

/// <summary>One distinct key: its values in the order of <see cref="CountTable.KeyColumns"/> ("" when absent),
/// how many events had it, and the first and last event times in UTC ticks (0 when none of them had a time).</summary>
public sealed record CountRow(IReadOnlyList<string> Key, long Count, long FirstTicks, long LastTicks)
{
    public DateTime? First => FirstTicks == 0 ? null : new DateTime(FirstTicks, DateTimeKind.Utc);
    public DateTime? Last => LastTicks == 0 ? null : new DateTime(LastTicks, DateTimeKind.Utc);
}

/// <summary>A count with its time range, accumulated in place in dictionaries (no allocation per event).</summary>
internal struct Tally
{
    public long Count;
    public long First;
    public long Last;

    public void Add(long ticks)
    {
        Count++;
        if (ticks == 0) return;
        if (First == 0 || ticks < First) First = ticks;
        if (ticks > Last) Last = ticks;
    }

    public void Add(in Tally other)
    {
        Count += other.Count;
        if (other.First != 0 && (First == 0 || other.First < First)) First = other.First;
        if (other.Last > Last) Last = other.Last;
    }
}

/// <summary>Sorting and building tables from merged tallies.</summary>
internal static class Tables
{
    public static CountTable Build(string title, string[] columns, IEnumerable<KeyValuePair<string[], Tally>> tallies)
    {
        var sorted = tallies.Select(kv => (kv.Key, Tally: kv.Value)).ToList();
        sorted.Sort(Order);
        var rows = sorted.Select(r => new CountRow(r.Key, r.Tally.Count, r.Tally.First, r.Tally.Last)).ToList();
        return new CountTable(title, columns, rows, rows.Sum(r => r.Count));
    }

    /// <summary>The table order: most events first, then by key (numbers by value).</summary>
    private static int Order((string[] Key, Tally Tally) a, (string[] Key, Tally Tally) b)
    {
        int c = b.Tally.Count.CompareTo(a.Tally.Count);
        for (int i = 0; c == 0 && i < a.Key.Length; i++) c = CompareKey(a.Key[i], b.Key[i]);
        return c;
    }

    /// <summary>
    /// <see cref="Build"/> over the runs workers spilled for one table (the workers' remaining totals spilled too): the
    /// runs merged by key, equal keys added; then sorted into the table's order through runs of their own; the rows in a
    /// temporary file. Gives the table <see cref="Build"/> would have, without holding it.
    /// </summary>
    public static CountTable BuildSpilled(string title, string[] columns, IReadOnlyList<FileStream> runs)
    {
        var ordered = new List<FileStream>();
        var chunk = new List<(string[] Key, Tally Tally)>();
        long total = 0;
        void Flush()
        {
            if (chunk.Count == 0) return;
            chunk.Sort(Order);
            ordered.Add(TallyRuns.Write(chunk, "order"));
            chunk.Clear();
        }
        foreach (var row in TallyRuns.Merge(runs, (a, b) => TallyRuns.ByKey(a.Key, b.Key), combine: true))
        {
            total += row.Tally.Count;
            chunk.Add(row);
            if (chunk.Count >= TallyRuns.SpillRows) Flush();
        }
        Flush();
        var rows = new CountRowList(TallyRuns.Merge(ordered, Order, combine: false));
        return new CountTable(title, columns, rows, total);
    }

    /// <summary>The workers' table <paramref name="table"/>: their totals merged in memory when no worker spilled, else
    /// from runs.</summary>
    public static CountTable Build(string title, string[] columns, IReadOnlyList<CountingWorker> workers, int table)
    {
        if (!workers.Any(w => w.Spilled))
        {
            var merged = new Dictionary<string[], Tally>(KeyComparer.Instance);
            foreach (var w in workers)
                foreach (var (key, tally) in w.Totals(table))
                    System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(merged, key, out _).Add(tally);
            return Build(title, columns, merged);
        }
        foreach (var w in workers) w.SpillIfLarge(force: true);
        return BuildSpilled(title, columns, workers.SelectMany(w => w.Runs.GetValueOrDefault(table) ?? []).ToList());
    }

    /// <summary>Numbers by value (EventID 4624 before 10000), everything else ordinally.</summary>
    private static int CompareKey(string a, string b) =>
        long.TryParse(a, out long x) && long.TryParse(b, out long y) ? x.CompareTo(y) : string.CompareOrdinal(a, b);
}

/// <summary>An equality comparer for string arrays used as merged keys.</summary>
internal sealed class KeyComparer : IEqualityComparer<string[]>
{
    public static readonly KeyComparer Instance = new();

    public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

    public int GetHashCode(string[] key)
    {
        var h = new HashCode();
        foreach (var s in key) h.Add(s, StringComparer.Ordinal);
        return h.ToHashCode();
    }
}
