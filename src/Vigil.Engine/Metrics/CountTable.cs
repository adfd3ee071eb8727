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
        var rows = tallies.Select(kv => new CountRow(kv.Key, kv.Value.Count, kv.Value.First, kv.Value.Last)).ToList();
        rows.Sort((a, b) =>
        {
            int c = b.Count.CompareTo(a.Count);
            for (int i = 0; c == 0 && i < a.Key.Count; i++) c = CompareKey(a.Key[i], b.Key[i]);
            return c;
        });
        return new CountTable(title, columns, rows, rows.Sum(r => r.Count));
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
