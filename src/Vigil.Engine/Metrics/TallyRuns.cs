using System.Runtime.InteropServices;
using Vigil.IO;

namespace Vigil.Engine.Metrics;

/// <summary>
/// Counting past memory (the metrics and logons commands): a worker whose tallies pass <see cref="SpillRows"/> distinct
/// keys writes them, by key, as a sorted run to a temporary file and starts again; at the end the runs of a table are
/// merged by key (equal keys' tallies added), sorted into the table's order in runs of their own, and the rows read
/// back from a file (<see cref="CountRowList"/>). A password spray at 3M accounts was 3M rows in dictionaries, string
/// arrays and a list: 1.27 GB for `vigil logons`.
/// </summary>
internal static class TallyRuns
{
    /// <summary>Distinct keys a worker counts in memory before spilling (tests lower it).</summary>
    internal static int SpillRows = 262_144;

    /// <summary>Writes rows (already in the order the run needs) to a new temporary file (<see cref="TempFile"/>); the
    /// file, at its start for reading.</summary>
    internal static FileStream Write(IEnumerable<(string[] Key, Tally Tally)> rows, string what)
    {
        var file = TempFile.Create(TempFile.NewPath($"vigil-{what}-"), 1 << 16);
        using (var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (var (key, t) in rows) WriteRow(w, key, t);
        file.Position = 0;
        return file;
    }

    internal static void WriteRow(BinaryWriter w, string[] key, in Tally t)
    {
        w.Write((byte)key.Length);
        foreach (var s in key)
        {
            w.Write(s.Length);
            w.Write(MemoryMarshal.AsBytes(s.AsSpan()));   // UTF-16 as it is: any text comes back unchanged
        }
        w.Write(t.Count);
        w.Write(t.First);
        w.Write(t.Last);
    }

    internal static bool TryReadRow(BinaryReader r, out string[] key, out Tally t)
    {
        t = default;
        key = [];
        if (r.BaseStream.Position >= r.BaseStream.Length) return false;
        int n = r.ReadByte();
        key = new string[n];
        for (int i = 0; i < n; i++)
        {
            int length = r.ReadInt32();
            key[i] = length == 0 ? "" : string.Create(length, r, static (span, reader) => reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(span)));
        }
        t.Count = r.ReadInt64();
        t.First = r.ReadInt64();
        t.Last = r.ReadInt64();
        return true;
    }

    /// <summary>The rows of run files, each sorted by <paramref name="order"/>, merged in that order; with
    /// <paramref name="combine"/>, equal keys' tallies are added into one row. The files are closed (so deleted) after.</summary>
    internal static IEnumerable<(string[] Key, Tally Tally)> Merge(IReadOnlyList<FileStream> runs, Comparison<(string[] Key, Tally Tally)> order, bool combine)
    {
        var readers = new List<BinaryReader>();
        try
        {
            foreach (var f in runs) readers.Add(new BinaryReader(f));
            var queue = new PriorityQueue<int, (string[] Key, Tally Tally, int Run)>(Comparer<(string[] Key, Tally Tally, int Run)>.Create((a, b) =>
            {
                int c = order((a.Key, a.Tally), (b.Key, b.Tally));
                return c != 0 ? c : a.Run.CompareTo(b.Run);
            }));
            for (int i = 0; i < readers.Count; i++)
                if (TryReadRow(readers[i], out var k, out var t)) queue.Enqueue(i, (k, t, i));
            (string[] Key, Tally Tally)? pending = null;
            while (queue.TryDequeue(out int run, out var head))
            {
                if (TryReadRow(readers[run], out var k, out var t)) queue.Enqueue(run, (k, t, run));
                if (!combine) { yield return (head.Key, head.Tally); continue; }
                if (pending is { } p && ByKey(p.Key, head.Key) == 0)
                {
                    var sum = p.Tally;
                    sum.Add(head.Tally);
                    pending = (p.Key, sum);
                    continue;
                }
                if (pending is { } done) yield return done;
                pending = (head.Key, head.Tally);
            }
            if (pending is { } last) yield return last;
        }
        finally
        {
            foreach (var f in runs) f.Dispose();
        }
    }

    /// <summary>Keys compared column by column, ordinally.</summary>
    internal static int ByKey(string[] a, string[] b)
    {
        for (int i = 0; i < a.Length && i < b.Length; i++)
        {
            int c = string.CompareOrdinal(a[i], b[i]);
            if (c != 0) return c;
        }
        return a.Length.CompareTo(b.Length);
    }
}

/// <summary>A table's rows in a temporary file, read in order (twice for the aligned terminal table); an index finds
/// any row through a cached block.</summary>
internal sealed class CountRowList : IReadOnlyList<CountRow>, IDisposable
{
    private const int BlockRows = 4096;
    private readonly FileStream _file;
    private readonly List<long> _blocks = [];
    private readonly Lock _gate = new();
    private (int Block, CountRow[]? Rows) _cache = (-1, null);

    public int Count { get; }

    /// <summary>Writes <paramref name="rows"/> (in table order) to a temporary file.</summary>
    public CountRowList(IEnumerable<(string[] Key, Tally Tally)> rows)
    {
        _file = TempFile.Create(TempFile.NewPath("vigil-rows-"), 1 << 16);
        using (var w = new BinaryWriter(_file, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            int n = 0;
            foreach (var (key, t) in rows)
            {
                if (n % BlockRows == 0) { w.Flush(); _blocks.Add(_file.Position); }
                TallyRuns.WriteRow(w, key, t);
                n++;
            }
            Count = n;
        }
    }

    public CountRow this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            int block = index / BlockRows;
            lock (_gate)
            {
                if (_cache.Block != block || _cache.Rows is null)
                {
                    int n = Math.Min(BlockRows, Count - block * BlockRows);
                    var rows = new CountRow[n];
                    _file.Position = _blocks[block];
                    using var r = new BinaryReader(_file, System.Text.Encoding.UTF8, leaveOpen: true);
                    for (int i = 0; i < n; i++)
                    {
                        TallyRuns.TryReadRow(r, out var key, out var t);
                        rows[i] = new CountRow(key, t.Count, t.First, t.Last);
                    }
                    _cache = (block, rows);
                }
                return _cache.Rows![index % BlockRows];
            }
        }
    }

    public IEnumerator<CountRow> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => _file.Dispose();
}
