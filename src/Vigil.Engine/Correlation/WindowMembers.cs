using System.Runtime.InteropServices;
using Vigil.IO;

namespace Vigil.Engine.Correlation;

/// <summary>One match in a correlation window, as a fixed-size row: what the window's aggregates and its found detection
/// need of it (time, which input, the value's slot in the window's value table, the number, and where the event is). The
/// detection itself is not kept.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WindowMember
{
    public long Ticks;
    public long Offset;
    public long Line;
    public double Number;
    public int Input;
    /// <summary>The event's source file, by its number in <see cref="MemberStore.Sources"/>.</summary>
    public int Source;
    /// <summary>The slot of the member's value in its window's value table, or -1 when the correlation reads no value.</summary>
    public int Value;
    private readonly int _pad;
}

/// <summary>
/// What all windows of one correlation run share: the tables of source paths, computers and channels, and one temporary
/// file of fixed-size blocks
/// of members. A window keeps at most two blocks of members in memory (its oldest and its newest); the blocks between go to
/// the file, and a block read back is freed for reuse, so the file holds only the members now waiting in windows. A flood
/// of matches that never satisfies its correlation (a host refused a million times by the same 20 addresses within the
/// port sweep's five minutes) costs two blocks of memory, not a row per match.
/// </summary>
internal sealed class MemberStore : IDisposable
{
    /// <summary>One window is open at a time (<see cref="CorrelationEngine"/> judges groups one by one), so a block can
    /// be large: windows of up to two blocks (8,192 members, 384 KB) never touch the file.</summary>
    public const int DefaultBlockRows = 4096;
    public static readonly int RowBytes = Marshal.SizeOf<WindowMember>();

    /// <summary>Members per block (tests use 1 to 3, so that every window spills).</summary>
    public readonly int BlockRows;
    /// <summary>Input files, and the computers and channels of matched events: few, whatever the input.</summary>
    public readonly StringIds Sources = new(), Computers = new(), Channels = new();
    private FileStream? _file;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _handle;
    private string _path = "";
    private long _end;
    private readonly Stack<long> _free = new();
    private WindowMember[]? _scratch;

    public MemberStore(int blockRows = DefaultBlockRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        BlockRows = blockRows;
    }

    /// <summary>Blocks written to the file so far, and the most it held at once (tests and diagnostics).</summary>
    public long BlocksWritten { get; private set; }
    public long FileBlocks => _end / ((long)BlockRows * RowBytes);

    /// <summary>Distinct values a consecutive window keeps in memory before they go to a sort (tests make it small).</summary>
    public int ValueCap { get; init; } = DefaultValueCap;
    public const int DefaultValueCap = 65_536;

    /// <summary>Rows per sorted run of a window's values past <see cref="ValueCap"/> (tests make it small).</summary>
    public int ValueRunRows { get; init; } = ExternalSorter<int>.DefaultRunRows;

    /// <summary>Windows whose values went to a sort (tests and diagnostics).</summary>
    public long ValueSpills { get; internal set; }

    /// <summary>Members a value_median window keeps in <see cref="SlidingMedian"/>'s heaps (16 bytes each, a few times
    /// that with leavers) before it judges by <see cref="ThresholdMedian"/> (tests make it small).</summary>
    public int MedianCap { get; init; } = DefaultMedianCap;
    public const int DefaultMedianCap = 1 << 18;

    /// <summary>value_median windows that passed <see cref="MedianCap"/> (tests and diagnostics).</summary>
    public long LargeMedians { get; internal set; }

    /// <summary>Blocks read back from the file so far (tests: a judgment must not read every member).</summary>
    public long BlocksRead { get; private set; }

    /// <summary>The most distinct values one window held at once (tests and diagnostics).</summary>
    public int MaxWindowValues { get; private set; }

    internal void NoteValues(int distinct)
    {
        if (distinct > MaxWindowValues) MaxWindowValues = distinct;
    }

    /// <summary>Members held in memory by all windows now, and the most at once (tests and diagnostics).</summary>
    public long RowsInMemory { get; private set; }
    public long MaxRowsInMemory { get; private set; }

    internal void Hold(int rows)
    {
        RowsInMemory += rows;
        if (RowsInMemory > MaxRowsInMemory) MaxRowsInMemory = RowsInMemory;
    }

    /// <summary>Writes one full block; its place in the file.</summary>
    public long Write(ReadOnlySpan<WindowMember> block)
    {
        if (_file == null)
        {
            _path = TempFile.NewPath("vigil-window-");
            _file = TempFile.Create(_path, 1);
            _handle = _file.SafeFileHandle;   // once: the property seeks on every call
        }
        long offset;
        if (_free.Count > 0) offset = _free.Pop();
        else
        {
            offset = _end;
            _end += (long)BlockRows * RowBytes;
        }
        RandomAccess.Write(_handle!, MemoryMarshal.AsBytes(block[..BlockRows]), offset);
        BlocksWritten++;
        return offset;
    }

    /// <summary>Reads the block at <paramref name="offset"/> into <paramref name="into"/> (its first <see cref="BlockRows"/>
    /// rows); <paramref name="free"/>: the block is not read again, and its place is reused.</summary>
    public void Read(long offset, Span<WindowMember> into, bool free)
    {
        var bytes = MemoryMarshal.AsBytes(into[..BlockRows]);
        int read = FileReads.ReadFully(_handle!, bytes, offset);
        if (read != bytes.Length)
            throw new InvalidDataException($"{_path} (temporary correlation window blocks): short read at offset {offset + read}: " +
                $"{read} of {bytes.Length} bytes of the block at {offset}");
        if (free) _free.Push(offset);
        BlocksRead++;
    }

    /// <summary>Tests: cuts the block file to <paramref name="bytes"/>, so the next read past it comes up short.</summary>
    internal void TruncateFileForTest(long bytes) => _file!.SetLength(bytes);

    /// <summary>Frees a block that will not be read (its window was cleared).</summary>
    public void Free(long offset) => _free.Push(offset);

    /// <summary>A block-sized buffer for reading blocks in passing (one at a time: windows are judged one at a time).</summary>
    public WindowMember[] Scratch => _scratch ??= new WindowMember[BlockRows];

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}

/// <summary>
/// A window's members, oldest first: added at the end, removed from the front, read in order. The oldest members are in
/// <c>_head</c> (up to a block), the newest in <c>_tail</c> (up to a block), and full blocks between them are in the
/// store's file, so a window holds at most two blocks in memory however many members it has.
/// </summary>
internal sealed class MemberQueue(MemberStore store)
{
    private WindowMember[] _head = [];
    private int _headStart, _headEnd;
    private Queue<long>? _blocks;
    private WindowMember[]? _tail;
    private int _tailCount;

    public int Count { get; private set; }

    /// <summary>Members held in memory now (at most two blocks).</summary>
    public int InMemory => _headEnd - _headStart + _tailCount;

    public ref readonly WindowMember First => ref _head[_headStart];

    public void Add(in WindowMember m)
    {
        int b = store.BlockRows;
        if (_tailCount == 0 && (_blocks == null || _blocks.Count == 0))
        {
            if (_headEnd == _head.Length && _headStart > 0)
            {
                Array.Copy(_head, _headStart, _head, 0, _headEnd - _headStart);
                _headEnd -= _headStart;
                _headStart = 0;
            }
            if (_headEnd == _head.Length && _head.Length < b) Array.Resize(ref _head, Math.Min(b, Math.Max(4, _head.Length * 2)));
            if (_headEnd < _head.Length)
            {
                _head[_headEnd++] = m;
                Count++;
                store.Hold(1);
                return;
            }
        }
        _tail ??= new WindowMember[b];
        _tail[_tailCount++] = m;
        Count++;
        store.Hold(1);
        if (_tailCount == b)
        {
            (_blocks ??= new()).Enqueue(store.Write(_tail));
            _tailCount = 0;
            store.Hold(-b);
        }
    }

    /// <summary>Removes the oldest member and returns it.</summary>
    public WindowMember RemoveFirst()
    {
        if (Count == 0) throw new InvalidOperationException("the window is empty");
        var m = _head[_headStart++];
        Count--;
        store.Hold(-1);
        if (_headStart == _headEnd)
        {
            _headStart = _headEnd = 0;
            int b = store.BlockRows;
            if (_blocks is { Count: > 0 })
            {
                if (_head.Length < b) _head = new WindowMember[b];
                store.Read(_blocks.Dequeue(), _head, free: true);
                _headEnd = b;
                store.Hold(b);
            }
            else if (_tailCount > 0)
            {
                if (_head.Length < b) _head = new WindowMember[b];
                Array.Copy(_tail!, _head, _tailCount);
                _headEnd = _tailCount;
                _tailCount = 0;
            }
        }
        return m;
    }

    public void Clear()
    {
        store.Hold(-InMemory);
        if (_blocks != null)
            while (_blocks.Count > 0) store.Free(_blocks.Dequeue());
        _headStart = _headEnd = _tailCount = 0;
        Count = 0;
    }

    /// <summary>Every member, oldest first (blocks in the file are read through the store's scratch buffer).</summary>
    public IEnumerable<WindowMember> All()
    {
        for (int i = _headStart; i < _headEnd; i++) yield return _head[i];
        if (_blocks != null)
            foreach (long offset in _blocks)
            {
                var scratch = store.Scratch;
                store.Read(offset, scratch, free: false);
                for (int i = 0; i < store.BlockRows; i++) yield return scratch[i];
            }
        for (int i = 0; i < _tailCount; i++) yield return _tail![i];
    }
}

/// <summary>The distinct values in a window (value_count, value_percentile), each with a slot that members hold and the
/// number of members that carry it; a value leaves when its last member does.</summary>
internal sealed class WindowValues
{
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly List<string> _texts = [];
    private readonly List<int> _counts = [];
    /// <summary>Where each value's text is in the streaming evaluation's text file (-1: not known).</summary>
    private readonly List<long> _at = [];
    private readonly Stack<int> _free = new();

    public int Count => _slots.Count;
    public IEnumerable<string> Texts => _slots.Keys;
    public int CountOf(string text) => _counts[_slots[text]];

    /// <summary>The distinct values with where the first of each was (<paramref name="at"/> of <see cref="Add"/>) and how
    /// many members carry it.</summary>
    public IEnumerable<(string Text, long At, int Count)> Entries()
    {
        foreach (var (text, slot) in _slots) yield return (text, _at[slot], _counts[slot]);
    }

    /// <summary>One more member carries <paramref name="text"/> (its text at <paramref name="at"/> in the text file, or -1);
    /// its slot.</summary>
    public int Add(string text, long at = -1)
    {
        if (!_slots.TryGetValue(text, out int slot))
        {
            if (_free.Count > 0)
            {
                slot = _free.Pop();
                _texts[slot] = text;
                _counts[slot] = 0;
                _at[slot] = at;
            }
            else
            {
                slot = _texts.Count;
                _texts.Add(text);
                _counts.Add(0);
                _at.Add(at);
            }
            _slots.Add(text, slot);
        }
        _counts[slot]++;
        return slot;
    }

    /// <summary>A member carrying the value in <paramref name="slot"/> left.</summary>
    public void Remove(int slot)
    {
        if (--_counts[slot] > 0) return;
        _slots.Remove(_texts[slot]);
        _texts[slot] = "";
        _free.Push(slot);
    }

    public void Clear()
    {
        _slots.Clear();
        _texts.Clear();
        _counts.Clear();
        _at.Clear();
        _free.Clear();
    }
}

/// <summary>Texts by number: each distinct text gets the next number (a run of the same text, by reference, is not looked
/// up again).</summary>
internal sealed class StringIds
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _texts = [];
    private string? _last;
    private int _lastId;

    public int Id(string text)
    {
        if (ReferenceEquals(text, _last)) return _lastId;
        if (!_ids.TryGetValue(text, out int id))
        {
            id = _texts.Count;
            _ids.Add(text, id);
            _texts.Add(text);
        }
        _last = text;
        _lastId = id;
        return id;
    }

    public string this[int id] => _texts[id];
}
