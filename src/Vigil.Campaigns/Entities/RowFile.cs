using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Vigil.IO;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// A growing array of fixed-size, reference-free rows kept in a temporary file, with a bounded number of pages in memory.
/// Rows are appended into the last page (held in memory); each page that fills is written to the file. Reading row i
/// finds its page among <see cref="CachePages"/> cached pages, or reads it from the file into the least recently loaded
/// slot (explicit reads into managed buffers, not a memory map: a mapped file counts in the resident set).
/// <para>
/// Memory: (<see cref="CachePages"/> + 1) pages of <see cref="PageRows"/> rows, whatever the number of rows, plus a table
/// of which page is in which slot. The file is unlinked at creation on Unix (nothing is left behind even if the process
/// dies) and deleted on close on Windows. Reading from it goes through the operating system's page cache, which the
/// system can evict; it does not count in this process's resident set.
/// </para>
/// <para>
/// Rows can be rewritten (<see cref="Set"/>): a cached page is then marked dirty and written back when its slot is reused.
/// A read that gets fewer bytes than the page needs is an <see cref="InvalidDataException"/> naming the file and offset.
/// Not thread-safe: one reader or writer at a time (the hunt appends from one thread, the builder reads from one).
/// </para>
/// </summary>
internal sealed class RowFile<T> : IDisposable where T : unmanaged
{
    /// <summary>Rows per page unless a store asks otherwise (tests force small pages so that spilling really happens).</summary>
    public const int DefaultPageRows = 256;
    public const int DefaultCachePages = 64;

    public int PageRows { get; }
    public int CachePages { get; }
    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    private readonly string _path;
    private FileStream? _file;
    private readonly string _name;
    private int _count;
    /// <summary>Rows [0, _flushed) are in the file as whole pages; rows [_flushed, _count) are in _tail.</summary>
    private int _flushed;
    private readonly T[] _tail;
    private readonly T[][] _slots;
    private readonly int[] _slotPage;
    private readonly bool[] _dirty;
    private readonly Dictionary<int, int> _slotOf;
    private int _nextSlot;
    // The last page looked up: sequential reads stay on it without a table lookup.
    private int _lastPage = -1, _lastSlot = -1;

    /// <summary>Pages read from the file (a diagnostic for tests and measurements).</summary>
    public long PageReads { get; private set; }

    public RowFile(string name, int pageRows = DefaultPageRows, int cachePages = DefaultCachePages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cachePages, 1);
        PageRows = pageRows;
        CachePages = cachePages;
        _name = name;
        _path = TempFile.NewPath($"vigil-{name}-");
        _tail = new T[pageRows];
        _slots = new T[cachePages][];
        _slotPage = new int[cachePages];
        Array.Fill(_slotPage, -1);
        _dirty = new bool[cachePages];
        _slotOf = new Dictionary<int, int>(cachePages);
    }

    /// <summary>The file's path (on Unix it is unlinked once created: the name is for messages).</summary>
    public string FilePath => _path;

    public int Count => _count;

    /// <summary>Rows written to the file so far.</summary>
    public int Spilled => _flushed;

    private FileStream File()
    {
        if (_file is not null) return _file;
        _file = TempFile.Create(_path, 1);
        return _file;
    }

    /// <summary>The file's handle, taken once: <see cref="FileStream.SafeFileHandle"/> seeks the file to the stream's
    /// position on every call (an lseek per page read: 14 of 25 s sampled in a 24M-event day's lateral linking).</summary>
    private SafeFileHandle Handle() => _handle ??= File().SafeFileHandle;
    private SafeFileHandle? _handle;

    private long OffsetOf(int page) => (long)page * PageRows * RowBytes;

    public void Add(in T row)
    {
        if (_count == int.MaxValue) throw new InvalidOperationException($"{_name}: more than {int.MaxValue} rows");
        _tail[_count - _flushed] = row;
        _count++;
        if (_count - _flushed == PageRows)
        {
            int page = _flushed / PageRows;
            WritePage(page, _tail);
            _flushed = _count;
        }
    }

    private void WritePage(int page, T[] rows)
    {
        RandomAccess.Write(Handle(), MemoryMarshal.AsBytes(rows.AsSpan()), OffsetOf(page));
    }

    private void ReadPage(int page, T[] into)
    {
        var bytes = MemoryMarshal.AsBytes(into.AsSpan());
        long offset = OffsetOf(page);
        int read = FileReads.ReadFully(Handle(), bytes, offset);
        if (read < bytes.Length)
            throw new InvalidDataException($"{_path} (temporary {_name} rows): short read at offset {offset + read}: " +
                $"{read} of {bytes.Length} bytes of page {page} (rows {page * (long)PageRows}..{(page + 1) * (long)PageRows - 1})");
        PageReads++;
    }

    /// <summary>Row i, copied (a reference into a cached page would not survive the next read: its slot may be reused).</summary>
    public T this[int i]
    {
        get
        {
            if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i), i, $"{_name}: row {i} of {_count}");
            if (i >= _flushed) return _tail[i - _flushed];
            int page = i / PageRows;
            int slot = page == _lastPage ? _lastSlot : Load(page);
            return _slots[slot][i - page * PageRows];
        }
    }

    /// <summary>Rewrites row i.</summary>
    public void Set(int i, in T row)
    {
        if ((uint)i >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(i), i, $"{_name}: row {i} of {_count}");
        if (i >= _flushed) { _tail[i - _flushed] = row; return; }
        int page = i / PageRows;
        int slot = page == _lastPage ? _lastSlot : Load(page);
        _slots[slot][i - page * PageRows] = row;
        _dirty[slot] = true;
    }

    private int Load(int page)
    {
        if (!_slotOf.TryGetValue(page, out int slot))
        {
            slot = _nextSlot;
            _nextSlot = (_nextSlot + 1) % CachePages;
            var buffer = _slots[slot] ??= new T[PageRows];
            if (_slotPage[slot] >= 0)
            {
                if (_dirty[slot]) WritePage(_slotPage[slot], buffer);
                _slotOf.Remove(_slotPage[slot]);
            }
            _dirty[slot] = false;
            ReadPage(page, buffer);
            _slotPage[slot] = page;
            _slotOf[page] = slot;
        }
        _lastPage = page;
        _lastSlot = slot;
        return slot;
    }

    /// <summary>Keeps the first <paramref name="count"/> rows.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _count);
        if (count >= _flushed) { _count = count; return; }
        // The page holding the new end comes back into the tail (with any rewrites it has in the cache); later pages go.
        int page = count / PageRows;
        int slot = Load(page);
        Array.Copy(_slots[slot], _tail, PageRows);
        for (int s = 0; s < CachePages; s++)
            if (_slotPage[s] >= page)
            {
                _slotOf.Remove(_slotPage[s]);
                _slotPage[s] = -1;
                _dirty[s] = false;
            }
        _lastPage = _lastSlot = -1;
        _flushed = page * PageRows;
        _count = count;
        File().SetLength(OffsetOf(page));
    }

    /// <summary>Empties the file (its pages and cache are released).</summary>
    public void Clear()
    {
        _count = _flushed = 0;
        for (int s = 0; s < CachePages; s++) { _slots[s] = null!; _slotPage[s] = -1; _dirty[s] = false; }
        _slotOf.Clear();
        _lastPage = _lastSlot = -1;
        _nextSlot = 0;
        _file?.SetLength(0);
    }

    /// <summary>Tests: cuts the file to <paramref name="bytes"/> and forgets the cached pages, so the next read of a page past
    /// the end comes up short.</summary>
    internal void TruncateFileForTest(long bytes)
    {
        for (int s = 0; s < CachePages; s++) { _slotPage[s] = -1; _dirty[s] = false; }
        _slotOf.Clear();
        _lastPage = _lastSlot = -1;
        File().SetLength(bytes);
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}
