using System.Runtime.InteropServices;

namespace Vigil.IO;

/// <summary>
/// Sorts fixed-size, reference-free rows in memory of a fixed size, whatever their number: rows are collected into a
/// buffer of at most <see cref="RunRows"/> rows; each full buffer is sorted and written to a temporary file as a run; the
/// sorted sequence is the merge of the runs, each read through a block of <see cref="BlockRows"/> rows. A sort that never
/// fills the buffer stays in memory (no file).
/// <para>
/// The comparison must be a total order over the rows that are added (no two rows compare equal unless they are equal):
/// then the result is the same whatever the run size (the builder's rows carry their own index as the last key). The
/// order of rows that compare equal but differ is not defined: each run is sorted by <see cref="Array.Sort{T}(T[], int, int, IComparer{T})"/>,
/// which is not stable (the merge takes equal rows of different runs in run order, which does not make up for it).
/// </para>
/// <para>
/// Memory: the buffer (grown as rows come, up to <see cref="RunRows"/>) while rows are added; while merging, one block per
/// run (runs = rows / RunRows: a 6M-event day's ~1M processes make 16 runs of 64K rows), at most <see cref="MergeWidth"/>
/// of them: with more runs, the first MergeWidth are merged into one longer run appended to the file, until at most
/// MergeWidth are left (64 runs of 64K rows = 4M rows per pass; a pass reads and writes those rows once more), so the
/// merge's memory does not grow with the number of rows either. The file is unlinked at creation on
/// Unix and deleted on close on Windows. A read that comes up short is an <see cref="InvalidDataException"/> naming the file
/// and the offset. Not thread-safe.
/// </para>
/// </summary>
public sealed class ExternalSorter<T> : IDisposable where T : unmanaged
{
    public const int DefaultRunRows = 1 << 16;
    public const int DefaultBlockRows = 1 << 10;
    public const int DefaultMergeWidth = 64;

    public int RunRows { get; }
    public int BlockRows { get; }
    /// <summary>Runs merged at once (one block each in memory); more are first merged in passes.</summary>
    public int MergeWidth { get; }
    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    private readonly string _name;
    /// <summary>The run file's name, made when the first run is written (a build makes several small sorts per campaign,
    /// most of which never write one).</summary>
    private string? _path;
    private readonly IComparer<T> _comparer;
    private T[] _buffer;
    private int _buffered;
    private FileStream? _file;
    /// <summary>Runs to merge: first row and row count each (the file holds them one after another).</summary>
    private readonly List<(long Start, long Count)> _runs = [];
    private long _written;
    private bool _sorting;

    /// <summary>Rows added.</summary>
    public long Count { get; private set; }

    /// <summary>Runs of sorted rows written to the file from the buffer (0: everything is still in memory).</summary>
    public int Runs { get; private set; }

    /// <summary>Runs written by merge passes (see <see cref="MergeWidth"/>).</summary>
    public int MergedRuns { get; private set; }

    public ExternalSorter(string name, Comparison<T> comparison, int runRows = DefaultRunRows, int blockRows = DefaultBlockRows,
        int mergeWidth = DefaultMergeWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(mergeWidth, 2);
        _name = name;
        _comparer = Comparer<T>.Create(comparison);
        RunRows = runRows;
        BlockRows = blockRows;
        MergeWidth = mergeWidth;
        // Grown as rows come: most of a build's sorts hold a few rows (one per command, gap or process of a small campaign).
        _buffer = new T[Math.Min(runRows, 16)];
    }

    public void Add(in T row)
    {
        if (_sorting) throw new InvalidOperationException($"{_name}: rows added after the sort began");
        if (_buffered == _buffer.Length)
        {
            if (_buffer.Length < RunRows) Array.Resize(ref _buffer, (int)Math.Min(RunRows, _buffer.Length * 2L));
            else SpillRun();
        }
        _buffer[_buffered++] = row;
        Count++;
    }

    /// <summary>The run file's handle, taken once (<see cref="FileStream.SafeFileHandle"/> seeks on every call).</summary>
    private Microsoft.Win32.SafeHandles.SafeFileHandle Handle() => _handle ??= File().SafeFileHandle;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;

    private FileStream File()
    {
        if (_file is not null) return _file;
        _path = TempFile.NewPath($"vigil-sort-{_name}-");
        _file = TempFile.Create(_path, 1);
        return _file;
    }

    private void SpillRun()
    {
        Array.Sort(_buffer, 0, _buffered, _comparer);
        _runs.Add((Append(_buffer.AsSpan(0, _buffered)), _buffered));
        _buffered = 0;
        Runs++;
    }

    /// <summary>Writes rows after everything written so far; returns the row number they start at.</summary>
    private long Append(ReadOnlySpan<T> rows)
    {
        long start = _written;
        RandomAccess.Write(Handle(), MemoryMarshal.AsBytes(rows), start * RowBytes);
        _written += rows.Length;
        return start;
    }

    /// <summary>The rows in order. Enumerate once; no rows can be added after it begins.</summary>
    public IEnumerable<T> Sorted()
    {
        if (_sorting) throw new InvalidOperationException($"{_name}: sorted twice");
        _sorting = true;
        if (_runs.Count == 0)
        {
            Array.Sort(_buffer, 0, _buffered, _comparer);
            for (int i = 0; i < _buffered; i++) yield return _buffer[i];
            _buffer = [];
            yield break;
        }
        if (_buffered > 0) SpillRun();
        _buffer = [];
        while (_runs.Count > MergeWidth) MergePass();
        foreach (var row in Merge(_runs)) yield return row;
    }

    /// <summary>Merges the first <see cref="MergeWidth"/> runs into one run appended to the file (after every run, so
    /// nothing being read is overwritten), in place of them.</summary>
    private void MergePass()
    {
        var group = _runs.GetRange(0, MergeWidth);
        _runs.RemoveRange(0, MergeWidth);
        long start = _written;
        var block = new T[BlockRows];
        int n = 0;
        foreach (var row in Merge(group))
        {
            block[n++] = row;
            if (n < block.Length) continue;
            Append(block);
            n = 0;
        }
        if (n > 0) Append(block.AsSpan(0, n));
        _runs.Add((start, _written - start));
        MergedRuns++;
    }

    /// <summary>The rows of the given runs in order: one block per run, the smallest head first.</summary>
    private IEnumerable<T> Merge(List<(long Start, long Count)> runs)
    {
        int k = runs.Count;
        var blocks = new T[k][];
        var at = new int[k];      // next row in the block
        var filled = new int[k];  // rows in the block
        var next = new long[k];   // next row of the run to read into the block
        var heap = new PriorityQueue<int, (T Row, int Run)>(Comparer<(T Row, int Run)>.Create((a, b) =>
            _comparer.Compare(a.Row, b.Row) is int c and not 0 ? c : a.Run.CompareTo(b.Run)));
        for (int r = 0; r < k; r++)
        {
            blocks[r] = new T[Math.Min(BlockRows, runs[r].Count)];
            next[r] = runs[r].Start;
            if (Fill(runs, r, blocks, filled, next)) heap.Enqueue(r, (blocks[r][0], r));
        }
        while (heap.TryDequeue(out int r, out var top))
        {
            yield return top.Row;
            if (++at[r] == filled[r])
            {
                at[r] = 0;
                if (!Fill(runs, r, blocks, filled, next)) continue;
            }
            heap.Enqueue(r, (blocks[r][at[r]], r));
        }
    }

    /// <summary>Reads run r's next block; false when the run is done.</summary>
    private bool Fill(List<(long Start, long Count)> runs, int r, T[][] blocks, int[] filled, long[] next)
    {
        long end = runs[r].Start + runs[r].Count;
        int rows = (int)Math.Min(blocks[r].Length, end - next[r]);
        filled[r] = rows;
        if (rows <= 0) return false;
        var bytes = MemoryMarshal.AsBytes(blocks[r].AsSpan(0, rows));
        long offset = next[r] * RowBytes;
        int read = FileReads.ReadFully(Handle(), bytes, offset);
        if (read < bytes.Length)
            throw new InvalidDataException($"{_path} (temporary {_name} sort runs): short read at offset {offset + read}: " +
                $"{read} of {bytes.Length} bytes of run {r} (rows {next[r]}..{next[r] + rows - 1})");
        next[r] += rows;
        return true;
    }

    /// <summary>Tests: cuts the run file to <paramref name="bytes"/>, so the merge's next read past it comes up short.</summary>
    internal void TruncateFileForTest(long bytes) => File().SetLength(bytes);

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
        _buffer = [];
    }
}
