using System.Runtime.CompilerServices;
using Vigil.IO;

namespace Vigil.Engine.Matching;

/// <summary>
/// One thread's memory of recent values scanned by one automaton (a field's needles, or a bucket's keywords), and the
/// atoms each value marked. Logs repeat their values: the same image paths, call traces, hostnames and provider GUIDs
/// come back event after event (in the OTRF recordings 48 % of the string characters repeat a value of the same field
/// and file; 80 % of the CallTrace characters, 96 % of Image's). A repeated value is recognised by a hash and a full
/// comparison, which cost a fraction of a character's automaton step, and its atoms are marked again without a scan.
/// <para>Why that is result-identical: what a scan leaves behind is a set. <see cref="CollectionMatcher"/>'s hit sink
/// stamps each atom whose needle occurs where its kind wants it (anywhere, at the start, at the end, the whole text)
/// and adds the rules of newly stamped atoms to the candidates, which are deduplicated by a stamp and sorted before
/// evaluation. That set depends only on the automaton and the text, not on the order of the hits, so marking the
/// set recorded for an equal text leaves the same stamps and the same candidates. Equality is always checked on the
/// whole text: a hash match alone never stands in for a value (a crafted collision must not hide a command line).</para>
/// <para>Layout, so that a lookup touches few cache lines and a steady hunt allocates nothing: <see cref="Entries"/>
/// direct-mapped entries of one struct each (hash, length, where the text and the atoms are), and two ring buffers,
/// one of characters and one of atom ids, that entries are written into one after the other. An entry whose text or
/// atoms have since been overwritten by the ring is no longer found (<see cref="Live"/>). Memory per memo is fixed:
/// <see cref="TextRing"/> characters, <see cref="AtomRing"/> ints and the entries (<see cref="Bytes"/>, ~48 KB), allocated
/// on the first store; the memos of one thread share a budget (<see cref="MatcherScratch.MemoBudgetBytes"/>: 8 MB, ~170
/// automata), so their memory grows neither with the input nor with the number of automata a varied input reaches. A
/// 32K-character ring was no faster than this one on the simulated day and OTRF (an 8K one was slower).
/// Values shorter than <see cref="MinLength"/> scan about as fast as they hash and compare; values longer than
/// <see cref="MaxLength"/> are not kept.</para>
/// <para>A memo that finds few repeats (a message field, unique command lines) pauses itself: after each
/// <see cref="Window"/> lookups with fewer than one hit in <see cref="PauseBelowOneIn"/>, the next
/// <see cref="PauseLookups"/> values are scanned without hashing.</para>
/// </summary>
internal sealed class ValueMemo
{
    internal const int Entries = 256;
    internal const int TextRing = 16 * 1024;
    internal const int AtomRing = 2 * 1024;
    /// <summary>What one memo allocates on its first store: the rings and the entries (about 48 KB).</summary>
    internal const long Bytes = TextRing * 2L + AtomRing * 4L + Entries * 32L;
    internal const int MinLength = 16;
    internal const int MaxLength = 1024;
    internal const int Window = 512;
    internal const int PauseBelowOneIn = 8;
    internal const int PauseLookups = 16 * 1024;

    private struct Entry
    {
        public ulong Hash;
        public long TextAt;     // position in the text ring's stream (index TextAt % TextRing)
        public long AtomsAt;    // position in the atom ring's stream
        public int Length;      // 0: empty (kept values are never empty)
        public int AtomCount;
    }

    private readonly StrongBox<long>? _budget;
    private Entry[]? _entries;
    private char[] _text = [];
    private int[] _atoms = [];
    private long _textEnd, _atomsEnd;   // how much was ever written to each ring
    private int _lookups, _hits, _paused;

    /// <param name="budget">Bytes the memos of one scratch may still allocate, shared by them (null: no limit). A memo
    /// that finds the budget spent keeps nothing: it finds no value, so it pauses itself and its automaton scans.</param>
    internal ValueMemo(StrongBox<long>? budget = null) => _budget = budget;

    /// <summary>Lookups that found their value, and values stored (for diagnostics and tests).</summary>
    internal long Hits { get; private set; }
    internal long Stores { get; private set; }

    /// <summary>The hash a value is looked up and stored under.</summary>
    internal static ulong Hash(ReadOnlySpan<char> text) => TextHash.Of64(text);

    /// <summary>Whether values of this length are kept at all (checked before hashing).</summary>
    internal static bool Keeps(int length) => length is >= MinLength and <= MaxLength;

    /// <summary>False while paused (the caller scans without the memo); counts the lookup otherwise.</summary>
    internal bool Active()
    {
        if (_paused > 0)
        {
            _paused--;
            return false;
        }
        if (++_lookups == Window)
        {
            if (_hits * PauseBelowOneIn < Window) _paused = PauseLookups;
            _lookups = _hits = 0;
        }
        return true;
    }

    /// <summary>Whether the entry's text and atoms are still in the rings (not overwritten since it was stored).</summary>
    private bool Live(in Entry entry) => _textEnd - entry.TextAt <= TextRing && _atomsEnd - entry.AtomsAt <= AtomRing;

    /// <summary>The atoms recorded for <paramref name="text"/>, if it is the value its entry holds.</summary>
    internal bool TryGet(ulong hash, ReadOnlySpan<char> text, out ReadOnlySpan<int> atoms)
    {
        if (_entries is { } entries)
        {
            ref var entry = ref entries[(int)(hash >> 56)];
            if (entry.Hash == hash && entry.Length == text.Length && Live(entry)
                && text.SequenceEqual(_text.AsSpan((int)(entry.TextAt % TextRing), text.Length)))
            {
                _hits++;
                Hits++;
                atoms = _atoms.AsSpan((int)(entry.AtomsAt % AtomRing), entry.AtomCount);
                return true;
            }
        }
        atoms = default;
        return false;
    }

    /// <summary>Keeps <paramref name="text"/> and its atoms in the entry of <paramref name="hash"/>, replacing what the
    /// entry held. A value whose atoms would not fit in a quarter of the atom ring is not kept.</summary>
    internal void Store(ulong hash, ReadOnlySpan<char> text, ReadOnlySpan<int> atoms)
    {
        if (text.Length > MaxLength || atoms.Length > AtomRing / 4) return;
        if (_entries == null)
        {
            if (_budget != null)
            {
                if (_budget.Value < Bytes) return;
                _budget.Value -= Bytes;
            }
            _entries = new Entry[Entries];
            _text = new char[TextRing];
            _atoms = new int[AtomRing];
        }
        long textAt = Place(ref _textEnd, text.Length, TextRing);
        text.CopyTo(_text.AsSpan((int)(textAt % TextRing)));
        long atomsAt = Place(ref _atomsEnd, atoms.Length, AtomRing);
        atoms.CopyTo(_atoms.AsSpan((int)(atomsAt % AtomRing)));
        _entries[(int)(hash >> 56)] = new Entry { Hash = hash, TextAt = textAt, AtomsAt = atomsAt, Length = text.Length, AtomCount = atoms.Length };
        Stores++;
    }

    /// <summary>Where in a ring's stream <paramref name="length"/> items go: at its end, or at the start of the ring's
    /// next turn when they would not fit before the ring's end (an item never wraps). Advances the end past them.</summary>
    private static long Place(ref long end, int length, int ring)
    {
        long at = end;
        if (at % ring + length > ring) at += ring - at % ring;
        end = at + length;
        return at;
    }
}
