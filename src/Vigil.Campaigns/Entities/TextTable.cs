using System.Runtime.CompilerServices;
using Vigil.IO;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// The texts of a compact store (facts, processes, logons) numbered for its rows, id 0 being "", in bounded memory.
/// <para>
/// The first texts, up to <see cref="MemoryChars"/> characters, stay in memory, each distinct text once with one id: on
/// every day measured (simulated and recorded) that is all of them, since hosts, accounts, images and most command lines
/// repeat. Real estates also have command lines with temp paths, GUIDs and times in them, each seen once: a 3M-event day
/// whose command lines are all distinct kept ~1M of them, ~370 MB held for the whole hunt. Texts added once the budget
/// is spent go to a temporary file (blocks of 32 characters in a <see cref="RowFile{T}"/>) with their start in a second
/// one; reading one back goes through those files' page caches and a small cache of the last strings read.
/// </para>
/// <para>
/// Ids: equal texts in memory share one id. A text added after the budget is spent is looked up among the last
/// <see cref="RecentSpilled"/> spilled texts (by hash, confirmed by reading it back) and otherwise gets a new id, so the
/// same text may then have two ids. Both read back equal: compare texts, never ids, unless the ids come from
/// <see cref="ExactId"/>. Not thread-safe (the hunt adds from one thread, the build reads from one).
/// </para>
/// <para>
/// An exact table (<c>exact: true</c>, for hosts) gives every text one id however many are added, and can be asked for a
/// text's id without adding it (<see cref="Find"/>): every spilled text is in a hash table in memory (32 bits of its 64-bit
/// hash and its id, 8 bytes a slot, at most half full), a hit confirmed by comparing the text in the file (two texts
/// sharing those 32 bits cost a comparison, never a wrong id). A host name kept as a string in a dictionary costs ~100
/// bytes; spilled here, 16-32 (12-byte slots with the whole hash were 24-48: an actor reaching 2M hosts had four tables
/// of 4M slots). The slots are a <see cref="HashSlots"/>: past <see cref="MemorySlots"/> slots (2M: 16 MB, ~1M spilled
/// texts) they move to a file, so that the table's memory stops growing: 8M hosts would have held 128-256 MB of slots in
/// each of the process store's and the build's host tables.
/// </para>
/// </summary>
internal sealed class TextTable : IDisposable
{
    /// <summary>Characters kept in memory by default: 4M (8 MB of text).</summary>
    public const long DefaultMemoryChars = 4L << 20;
    /// <summary>Each text in memory is counted at its length plus this, for its object, list slot and dictionary entry.</summary>
    public const int TextOverheadChars = 40;
    /// <summary>Spilled texts remembered for reuse (a hash and an id each).</summary>
    public const int RecentSpilled = 1 << 16;
    /// <summary>Slots of an exact table kept in memory by default (see <see cref="HashSlots"/>).</summary>
    public const int DefaultMemorySlots = HashSlots.DefaultMemorySlots;
    private const int ReadCacheSize = 1024;

    public long MemoryChars { get; }
    /// <summary>Slots of an exact table kept in memory; past them the slots are in a file.</summary>
    public int MemorySlots { get; }
    private readonly Func<string, ulong> _hash;

    private readonly string _name;
    private readonly List<string> _mem = [""];
    private Dictionary<string, int>? _ids = new(StringComparer.Ordinal) { [""] = 0 };
    private long _memUsed;
    /// <summary>Ids below this are in <see cref="_mem"/>; from it on every id is spilled (its start in <see cref="_starts"/>).</summary>
    private int _firstSpilled = int.MaxValue;

    private readonly int _pageRows, _cachePages;
    private RowFile<Chars32>? _chars;
    private RowFile<long>? _starts;
    private Chars32 _tail;
    private int _tailLength;
    private long _charCount;
    private Dictionary<ulong, int>? _recent;
    private readonly int _recentSpilled;
    private readonly string?[] _readCache = new string?[ReadCacheSize];
    private readonly int[] _readCacheId = new int[ReadCacheSize];
    /// <summary>Exact tables: the spilled texts found or added lately, by the low bits of their hash (direct-mapped), so a
    /// host named by several records in a row is confirmed from memory, not from the text and slot files.</summary>
    private string?[]? _hitText;
    private int[]? _hitId;
    private const int HitCacheSize = 4096;
    private readonly bool _exact;
    /// <summary>Exact tables, from the first spilled text: every spilled text's <see cref="Check"/> and id (texts sharing
    /// a check are told apart by their texts).</summary>
    private HashSlots? _slots;

    /// <summary>Whether the exact table's slots are in a file (tests, diagnostics).</summary>
    internal bool SlotsInFile => _slots is { InFile: true };

    /// <summary>The 32 bits of a text's hash a slot keeps (both halves folded): its place in the table comes from them too,
    /// so that the table can grow without reading the texts back.</summary>
    private static uint Check(ulong hash) => (uint)hash ^ (uint)(hash >> 32);

    /// <param name="recentSpilled">Spilled texts remembered for reuse (tests force few, so that a text gets several ids).</param>
    /// <param name="exact">Every text one id, and <see cref="Find"/> (see the class remarks).</param>
    /// <param name="hash">Tests: a hash of spilled texts with collisions, to show that texts sharing one stay apart.</param>
    /// <param name="memorySlots">Slots of an exact table kept in memory (a power of two; tests force few).</param>
    public TextTable(string name, long memoryChars = DefaultMemoryChars, int pageRows = 128, int cachePages = 64, int recentSpilled = RecentSpilled,
        bool exact = false, Func<string, ulong>? hash = null, int memorySlots = DefaultMemorySlots)
    {
        if (!System.Numerics.BitOperations.IsPow2(memorySlots))
            throw new ArgumentOutOfRangeException(nameof(memorySlots), memorySlots, "a power of two");
        MemorySlots = memorySlots;
        _exact = exact;
        _hash = hash ?? (static t => TextHash.Of64(t));
        ArgumentOutOfRangeException.ThrowIfNegative(memoryChars);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(recentSpilled);
        _recentSpilled = recentSpilled;
        _name = name;
        MemoryChars = memoryChars;
        _pageRows = pageRows;
        _cachePages = cachePages;
        Array.Fill(_readCacheId, -1);
    }

    /// <summary>Ids given so far, "" included.</summary>
    public int Count => _firstSpilled == int.MaxValue ? _mem.Count : _firstSpilled + (_starts?.Count ?? 0);

    /// <summary>Texts in the temporary file.</summary>
    public int SpilledCount => _starts?.Count ?? 0;

    /// <summary>True once <see cref="Seal"/> was called: <see cref="Id"/> then throws.</summary>
    public bool IsSealed => _ids is null;

    /// <summary>Whether <paramref name="id"/> is a text kept in memory: such an id is the only one its text has (a text
    /// added again gets it back), so ids in memory compare like their texts.</summary>
    public bool InMemory(int id) => id < _firstSpilled;

    /// <summary>The id of <paramref name="text"/>, numbering it if new (see the class remarks on spilled texts).</summary>
    public int Id(string text) => Number(text, exact: false);

    /// <summary>An id that is equal for equal texts however many are added: for the few texts compared by id (a store's
    /// input paths). Kept in memory whatever the budget.</summary>
    public int ExactId(string text) => Number(text, exact: true);

    private int Number(string text, bool exact)
    {
        if (_ids is null) throw new InvalidOperationException($"{_name} texts are sealed: no more can be added");
        if (text.Length == 0) return 0;
        if (_ids.TryGetValue(text, out int id)) return id;
        // In memory until texts spill: while the budget lasts, or whatever it, for an exact text.
        if (_firstSpilled == int.MaxValue && (exact || _memUsed + text.Length + TextOverheadChars <= MemoryChars))
        {
            id = _mem.Count;
            _mem.Add(text);
            _ids[text] = id;
            _memUsed += text.Length + TextOverheadChars;
            return id;
        }
        id = Spill(text);
        // Past the budget an exact text is spilled and remembered in _ids (its id keeps pointing at the file).
        if (exact) _ids[text] = id;
        return id;
    }

    /// <summary>The id of <paramref name="text"/> in an exact table, or -1 if it was never added ("" is 0).</summary>
    public int Find(string text)
    {
        if (!_exact) throw new InvalidOperationException($"{_name}: Find needs an exact table");
        if (_ids is null) throw new InvalidOperationException($"{_name} texts are sealed");
        if (text.Length == 0) return 0;
        if (_ids.TryGetValue(text, out int id)) return id;
        if (_slots is null) return -1;
        ulong hash = _hash(text);
        if (Hit(text, hash) is int hit and >= 0) return hit;
        id = FindSpilled(text, Check(hash), out _);
        if (id >= 0) Remember(text, hash, id);
        return id;
    }

    /// <summary>The id of a spilled text found or added lately, or -1.</summary>
    private int Hit(string text, ulong hash)
    {
        int at = (int)(hash & (HitCacheSize - 1));
        return _hitText is not null && _hitText[at] is { } seen && seen == text ? _hitId![at] : -1;
    }

    private void Remember(string text, ulong hash, int id)
    {
        _hitText ??= new string?[HitCacheSize];
        _hitId ??= new int[HitCacheSize];
        int at = (int)(hash & (HitCacheSize - 1));
        _hitText[at] = text;
        _hitId[at] = id;
    }

    /// <summary>The spilled text's id, or -1 with the empty slot where it would go.</summary>
    private int FindSpilled(string text, uint check, out int free)
    {
        int id = _slots!.Find(check, (Table: this, Text: text), static (s, id) => s.Table.SpilledEquals(id - s.Table._firstSpilled, s.Text), out free);
        return id == 0 ? -1 : id;
    }

    private int Spill(string text)
    {
        ulong hash = _hash(text);
        int free = -1;
        if (_exact)
        {
            _slots ??= new HashSlots(_name, MemorySlots);
            if (Hit(text, hash) is int hit and >= 0) return hit;
            if (FindSpilled(text, Check(hash), out free) is int known and >= 0)
            {
                Remember(text, hash, known);
                return known;
            }
        }
        else
        {
            _recent ??= new Dictionary<ulong, int>(Math.Min(_recentSpilled, 1 << 10));
            if (_recent.TryGetValue(hash, out int seen) && this[seen] == text) return seen;
        }
        if (_firstSpilled == int.MaxValue)
        {
            _firstSpilled = _mem.Count;
            _chars = new RowFile<Chars32>($"{_name}-texts", _pageRows, _cachePages);
            _starts = new RowFile<long>($"{_name}-text-starts", _pageRows * 4, _cachePages);
        }
        int id = Count;
        if (id == int.MaxValue) throw new InvalidOperationException($"{_name}: more than {int.MaxValue} texts");
        _starts!.Add(_charCount);
        foreach (char c in text)
        {
            _tail[_tailLength++] = c;
            if (_tailLength == Chars32.Length)
            {
                _chars!.Add(_tail);
                _tailLength = 0;
            }
        }
        _charCount += text.Length;
        if (_exact)
        {
            _slots!.Add(Check(hash), id, free);
            Remember(text, hash, id);
            return id;
        }
        if (_recent!.Count >= _recentSpilled) _recent.Clear();
        _recent[hash] = id;
        return id;
    }

    public string this[int id]
    {
        get
        {
            if (id < _firstSpilled) return _mem[id];
            int slot = id & (ReadCacheSize - 1);
            if (_readCacheId[slot] == id) return _readCache[slot]!;
            var text = ReadSpilled(id - _firstSpilled);
            _readCacheId[slot] = id;
            _readCache[slot] = text;
            return text;
        }
    }

    /// <summary>Where spilled text <paramref name="k"/> starts in the characters of the file, and its length.</summary>
    private (long Start, int Length) SpilledRange(int k)
    {
        long start = _starts![k];
        long end = k + 1 < _starts.Count ? _starts[k + 1] : _charCount;
        return (start, checked((int)(end - start)));
    }

    /// <summary>Whether spilled text <paramref name="k"/> is <paramref name="text"/>, compared in the file's blocks (no
    /// string made).</summary>
    private bool SpilledEquals(int k, string text)
    {
        var (start, length) = SpilledRange(k);
        if (length != text.Length) return false;
        int done = 0;
        while (done < text.Length)
        {
            long block = (start + done) / Chars32.Length;
            int inBlock = (int)((start + done) % Chars32.Length);
            Chars32 chars = block < _chars!.Count ? _chars[(int)block] : _tail;
            int n = Math.Min(Chars32.Length - inBlock, text.Length - done);
            if (!((ReadOnlySpan<char>)chars)[inBlock..(inBlock + n)].SequenceEqual(text.AsSpan(done, n))) return false;
            done += n;
        }
        return true;
    }

    private string ReadSpilled(int k)
    {
        if ((uint)k >= (uint)SpilledCount) throw new ArgumentOutOfRangeException(nameof(k), k, $"{_name}: spilled text {k} of {SpilledCount}");
        var (start, length) = SpilledRange(k);
        return string.Create(length, (this, start), static (span, state) =>
        {
            var (table, at) = state;
            int done = 0;
            while (done < span.Length)
            {
                long block = (at + done) / Chars32.Length;
                int inBlock = (int)((at + done) % Chars32.Length);
                Chars32 chars = block < table._chars!.Count ? table._chars[(int)block] : table._tail;
                int n = Math.Min(Chars32.Length - inBlock, span.Length - done);
                ((ReadOnlySpan<char>)chars)[inBlock..(inBlock + n)].CopyTo(span[done..]);
                done += n;
            }
        });
    }

    /// <summary>No more texts: the lookups are dropped (the texts stay readable).</summary>
    public void Seal()
    {
        _ids = null;
        _recent = null;
        _mem.TrimExcess();
    }

    /// <summary>Back to "" alone, open for adding.</summary>
    public void Clear()
    {
        _mem.Clear();
        _mem.Add("");
        _mem.TrimExcess();
        _ids = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        _memUsed = 0;
        _firstSpilled = int.MaxValue;
        _chars?.Dispose();
        _starts?.Dispose();
        _chars = null;
        _starts = null;
        _tailLength = 0;
        _charCount = 0;
        _recent = null;
        _slots?.Dispose();
        _slots = null;
        _hitText = null;
        _hitId = null;
        Array.Fill(_readCacheId, -1);
        Array.Clear(_readCache);
    }

    public void Dispose()
    {
        _chars?.Dispose();
        _starts?.Dispose();
        _slots?.Dispose();
    }

    /// <summary>32 characters, one row of the spilled texts' file.</summary>
    [InlineArray(Length)]
    internal struct Chars32
    {
        public const int Length = 32;
        private char _first;
    }
}
