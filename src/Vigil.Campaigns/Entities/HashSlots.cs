using Vigil.IO;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// An open-addressing table of (32-bit check, value) slots for lookups whose hits the caller confirms (by comparing the
/// texts the value points at), so entries sharing a check stay apart: linear probing from the check's low bits, value 0
/// an empty slot, at most half full, doubling. 8 bytes a slot, where a dictionary keyed by a 128-bit hash took 48 bytes
/// an entry (<see cref="UInt128"/> aligns to 16) at a prime capacity above the count.
/// <para>Past <see cref="MemorySlots"/> slots the table is a file read through a page cache (<see cref="RowFile{T}"/>), so
/// its memory stops growing. The file table doubles too: its entries are sorted by their home in the larger table
/// (<see cref="ExternalSorter{T}"/>) and written in one pass, each at its home or the next free slot after it, which is
/// where linear probing looks for it.</para>
/// Not thread-safe.
/// </summary>
internal sealed class HashSlots : IDisposable
{
    /// <summary>Slots kept in memory by default: 2M (16 MB); a larger table is a file.</summary>
    public const int DefaultMemorySlots = 1 << 21;
    /// <summary>A slot file's pages: 512 slots (4 KB), 64 cached (256 KB).</summary>
    private const int FilePageRows = 512, FileCachePages = 64;

    internal struct Slot
    {
        public uint Check;
        public int Value;
    }

    private readonly string _name;
    private Slot[] _slots;
    /// <summary>The slots once there are more than <see cref="MemorySlots"/> (then <see cref="_slots"/> is empty).</summary>
    private RowFile<Slot>? _file;
    /// <summary>The table's slots, in memory or in the file (a power of two).</summary>
    private int _length;

    /// <param name="memorySlots">Slots kept in memory (a power of two; tests force few).</param>
    /// <param name="initialSlots">Slots to start with (a power of two, at most <paramref name="memorySlots"/> is used).</param>
    public HashSlots(string name, int memorySlots = DefaultMemorySlots, int initialSlots = 1024)
    {
        if (!System.Numerics.BitOperations.IsPow2(memorySlots))
            throw new ArgumentOutOfRangeException(nameof(memorySlots), memorySlots, "a power of two");
        if (!System.Numerics.BitOperations.IsPow2(initialSlots))
            throw new ArgumentOutOfRangeException(nameof(initialSlots), initialSlots, "a power of two");
        _name = name;
        MemorySlots = memorySlots;
        _length = Math.Min(initialSlots, memorySlots);
        _slots = new Slot[_length];
    }

    /// <summary>Slots kept in memory; past them the slots are in a file.</summary>
    public int MemorySlots { get; }

    /// <summary>Entries added.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the slots are in a file (tests, diagnostics).</summary>
    public bool InFile => _file is not null;

    private Slot At(int i) => _file is null ? _slots[i] : _file[i];

    /// <summary>The first value with <paramref name="check"/> that <paramref name="matches"/> confirms, or 0 with the empty
    /// slot where it would go (<paramref name="free"/>, for <see cref="Add"/>).</summary>
    public int Find<TState>(uint check, TState state, Func<TState, int, bool> matches, out int free)
    {
        int mask = _length - 1;
        for (int slot = (int)(check & (uint)mask); ; slot = (slot + 1) & mask)
        {
            var s = At(slot);
            if (s.Value == 0) { free = slot; return 0; }
            if (s.Check == check && matches(state, s.Value)) { free = -1; return s.Value; }
        }
    }

    /// <summary>Puts <paramref name="value"/> (not 0) in the free slot <see cref="Find"/> gave; past half full the table
    /// doubles.</summary>
    public void Add(uint check, int value, int free)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        var entry = new Slot { Check = check, Value = value };
        if (_file is null) _slots[free] = entry;
        else _file.Set(free, entry);
        Count++;
        if ((long)Count * 2 <= _length) return;
        if (_length == 1 << 30) throw new InvalidOperationException($"{_name}: more than {1 << 29} entries");
        int length = _length * 2;
        if (length > MemorySlots) { GrowInFile(length); return; }
        var old = _slots;
        _slots = new Slot[length];
        _length = length;
        int mask = length - 1;
        foreach (var s in old)
        {
            if (s.Value == 0) continue;
            int at = (int)(s.Check & (uint)mask);
            while (_slots[at].Value != 0) at = (at + 1) & mask;
            _slots[at] = s;
        }
    }

    /// <summary>Moves the slots to a new file of <paramref name="length"/> slots. The entries are sorted by their home in
    /// the new table (then by value) and written in one pass: each at its home or, if an earlier entry took it, at the next
    /// slot. The pass writes an empty slot only below the home of the entry after it, so every slot from an entry's home to
    /// the entry is taken, as linear probing needs. An entry pushed past the end takes the first free slot from 0: its
    /// probe runs through the taken slots to the end, wraps, and meets no empty slot before it. Filling an empty slot
    /// never cuts another entry's probe.</summary>
    private void GrowInFile(int length)
    {
        uint mask = (uint)length - 1;
        using var sorter = new ExternalSorter<Slot>($"{_name}-slots", (a, b) =>
        {
            int c = (a.Check & mask).CompareTo(b.Check & mask);
            return c != 0 ? c : a.Value.CompareTo(b.Value);
        });
        for (int i = 0; i < _length; i++)
            if (At(i) is { Value: not 0 } s) sorter.Add(s);
        var file = new RowFile<Slot>($"{_name}-slots", FilePageRows, FileCachePages);
        List<Slot>? wrapped = null;
        int next = 0;
        foreach (var s in sorter.Sorted())
        {
            int at = Math.Max((int)(s.Check & mask), next);
            if (at >= length) { (wrapped ??= []).Add(s); continue; }
            for (; next < at; next++) file.Add(default);
            file.Add(s);
            next++;
        }
        for (; next < length; next++) file.Add(default);
        int free = 0;
        foreach (var s in wrapped ?? [])
        {
            while (file[free].Value != 0) free++;
            file.Set(free, s);
        }
        _file?.Dispose();
        _file = file;
        _slots = [];
        _length = length;
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}
