using Vigil.IO;
using System.Runtime.CompilerServices;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// Network flows of the context, one per (source, destination), merged across partitions in the order they are consumed:
/// their numbers and ports are fixed-size rows in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache).
/// <c>store[i]</c> builds a <see cref="Flow"/> equal to the merged one; positions follow first appearance (the order a
/// dictionary of flows kept).
/// <para>Memory, whatever the number of pairs: the first <see cref="IndexedPairs"/> pairs (1M by default) are merged in
/// place through a lookup in memory: 32 bits of the pair's hash and its position in a <see cref="HashSlots"/> (8 bytes a
/// slot, at most half full: 16 MB at 1M pairs). A hit is confirmed by comparing the pair's texts, so pairs sharing those
/// bits stay apart. (A dictionary keyed by the 128-bit hash took 73 MB at 1M pairs.) Pairs first
/// seen after that are not looked up while the hunt runs: each partition's flow of such a pair is appended to an external
/// sort (<see cref="ExternalSorter{T}"/>) with its hash and its order of arrival. The first read after the hunt
/// (<see cref="Seal"/>) sorts those parts by pair, merges each pair's parts in arrival order (what merging in place would
/// have done), orders the merged flows by their first part and appends them after the indexed ones; their lookup is then a
/// list of (hash, position) sorted by hash in a file (<see cref="SortedRows{T}"/>), searched by halving. The addresses
/// are in a <see cref="TextTable"/> (in memory up to its budget). A <see cref="Flow"/> object with its ports list and
/// dictionary entry cost ~255 bytes: a Zeek day with a million distinct pairs held 255 MB of flows; then, with the lookup
/// of every pair in memory, flows were capped at 1M pairs and a day of 3M pairs lost 2M of them.</para>
/// <para>Disk: ~200 bytes per indexed pair, ~216 per part of a later pair (a pair seen in many partitions after the index
/// filled has as many parts until the seal merges them).</para>
/// </summary>
public sealed class FlowStore
{
    internal struct Row
    {
        public long First, Last, Count, OrigBytes, RespBytes, Failed;
        public int Source, Dest, PortCount;
        public Ports32 Ports;
    }

    [InlineArray(Flow.MaxPorts)]
    internal struct Ports32
    {
        private int _first;
    }

    /// <summary>A partition's flow of a pair first seen after the lookup filled: its pair's hash, its arrival, its row.</summary>
    private struct Part
    {
        public UInt128 Hash;
        public long Seq;
        public Row Row;

        public static int Compare(Part a, Part b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Seq.CompareTo(b.Seq);
    }

    /// <summary>A pair's position in the store, for the lookup of the pairs merged at the seal.</summary>
    private readonly record struct HashPosition(UInt128 Hash, int Position)
    {
        public static int Compare(HashPosition a, HashPosition b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Position.CompareTo(b.Position);
    }

    /// <summary>Pairs merged in place through the lookup in memory by default.</summary>
    public const int DefaultIndexedPairs = 1 << 20;

    private readonly RowFile<Row> _rows;
    private readonly TextTable _texts;
    /// <summary>The indexed pairs: <see cref="Check"/> of the pair's hash and position + 1.</summary>
    private readonly HashSlots _index = new("flows", initialSlots: 64);
    private readonly int _sortRunRows;
    private readonly Func<string, string, UInt128> _hash;
    private ExternalSorter<Part>? _parts;
    private SortedRows<HashPosition>? _sealedLookup;
    private bool _sealed;

    /// <summary>Pairs merged in place through the lookup in memory; later pairs go through the external sort.</summary>
    public int IndexedPairs { get; }

    /// <summary>64 rows of ~200 bytes a page (12 KB), 128 pages cached; 1M pairs looked up in memory.</summary>
    public FlowStore() : this(64, 128) { }

    /// <param name="hash">Tests: a pair hash with collisions, to show that pairs sharing one stay apart.</param>
    internal FlowStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 2,
        int indexedPairs = DefaultIndexedPairs, int sortRunRows = 1 << 15, Func<string, string, UInt128>? hash = null)
    {
        _hash = hash ?? TextHash.Of;
        ArgumentOutOfRangeException.ThrowIfNegative(indexedPairs);
        _rows = new RowFile<Row>("flows", pageRows, cachePages);
        _texts = new TextTable("flows", textChars);
        IndexedPairs = indexedPairs;
        _sortRunRows = sortRunRows;
    }

    private static uint Check(UInt128 hash) => (uint)hash ^ (uint)(hash >> 32) ^ (uint)(hash >> 64) ^ (uint)(hash >> 96);

    /// <summary>The position of the pair's flow among the indexed pairs, or -1 with the empty slot where it would go.</summary>
    private int Find(string src, string dst, UInt128 hash, out int free) =>
        _index.Find(Check(hash), (Store: this, Src: src, Dst: dst),
            static (s, place) => s.Store.SourceAt(place - 1) == s.Src && s.Store.DestAt(place - 1) == s.Dst, out free) - 1;

    /// <summary>Flows (distinct pairs). Reading it seals the store (see <see cref="Seal"/>).</summary>
    public int Count { get { Seal(); return _rows.Count; } }

    /// <summary>Rows written to the temporary file so far.</summary>
    internal int SpilledRows => _rows.Spilled;

    /// <summary>Parts of later pairs waiting for the seal (0 once sealed, or while every pair is indexed).</summary>
    internal long PendingParts => _parts?.Count ?? 0;

    /// <summary>Merges a partition's flow into the one of its pair: in place for an indexed pair, else as a part merged at
    /// the seal. Flows past <paramref name="max"/> records (indexed pairs plus parts) are dropped: false. That bound is on
    /// temporary disk, not memory.</summary>
    public bool Merge(Flow f, long max = long.MaxValue)
    {
        if (_sealed) throw new InvalidOperationException("flows: merged after the store was read");
        var hash = _hash(f.Source, f.Dest);
        int at = Find(f.Source, f.Dest, hash, out int free);
        if (at >= 0)
        {
            var row = _rows[at];
            Fold(ref row, Numbers(f));
            _rows.Set(at, row);
            return true;
        }
        if (_rows.Count + PendingParts >= max) return false;
        var added = Numbers(f);
        added.Source = _texts.Id(f.Source);
        added.Dest = _texts.Id(f.Dest);
        if (_rows.Count < IndexedPairs)
        {
            at = _rows.Count;
            _rows.Add(added);
            _index.Add(Check(hash), at + 1, free);
            return true;
        }
        _parts ??= new ExternalSorter<Part>("flow-parts", Part.Compare, _sortRunRows);
        _parts.Add(new Part { Hash = hash, Seq = _parts.Count, Row = added });
        return true;
    }

    /// <summary>A flow's numbers and ports as a row (no texts).</summary>
    private static Row Numbers(Flow f)
    {
        var row = new Row
        {
            First = f.First, Last = f.Last, Count = f.Count, OrigBytes = f.OrigBytes, RespBytes = f.RespBytes, Failed = f.Failed,
        };
        var ports = f.Ports;
        row.PortCount = ports.Count;
        for (int k = 0; k < ports.Count; k++) row.Ports[k] = ports[k];
        return row;
    }

    /// <summary>Merges <paramref name="other"/>'s numbers and ports into <paramref name="into"/>, as <see cref="Flow.Merge"/>
    /// does: earliest first, latest last, sums, and the ports not yet listed appended in order up to <see cref="Flow.MaxPorts"/>.</summary>
    private static void Fold(ref Row into, in Row other)
    {
        if (other.First < into.First) into.First = other.First;
        if (other.Last > into.Last) into.Last = other.Last;
        into.Count += other.Count; into.OrigBytes += other.OrigBytes; into.RespBytes += other.RespBytes; into.Failed += other.Failed;
        for (int k = 0; k < other.PortCount && into.PortCount < Flow.MaxPorts; k++)
        {
            int port = other.Ports[k];
            bool listed = false;
            for (int j = 0; j < into.PortCount && !listed; j++) listed = into.Ports[j] == port;
            if (!listed) into.Ports[into.PortCount++] = port;
        }
    }

    /// <summary>Ends the merging: the parts of the pairs first seen after the lookup filled are sorted by pair, each pair's
    /// parts folded in arrival order, and the merged flows appended in order of their first part, so positions follow
    /// first appearance as if every pair had been looked up. Done once, on the first read; merging after it throws.</summary>
    public void Seal()
    {
        if (_sealed) return;
        _sealed = true;
        if (_parts is null) return;
        using var parts = _parts;
        _parts = null;
        // Pass 1: parts by (pair hash, arrival) → one merged flow per pair, keyed by its first part's arrival.
        using var byFirst = new ExternalSorter<Part>("flow-pairs", (a, b) => a.Seq.CompareTo(b.Seq), _sortRunRows);
        var group = new List<Part>(2);
        UInt128 hash = default;
        foreach (var part in parts.Sorted())
        {
            if (group.Count > 0 && part.Hash != hash)
            {
                foreach (var merged in group) byFirst.Add(merged);
                group.Clear();
            }
            hash = part.Hash;
            int same = -1;
            for (int g = 0; g < group.Count && same < 0; g++)
                if (SamePair(group[g].Row, part.Row)) same = g;
            if (same < 0) { group.Add(part); continue; }
            var into = group[same];
            Fold(ref into.Row, part.Row);
            group[same] = into;
        }
        foreach (var merged in group) byFirst.Add(merged);
        // Pass 2: the merged flows in order of first appearance, after the indexed pairs; their lookup sorted by hash.
        using var lookup = new ExternalSorter<HashPosition>("flow-lookup", HashPosition.Compare, _sortRunRows);
        foreach (var merged in byFirst.Sorted())
        {
            lookup.Add(new HashPosition(merged.Hash, _rows.Count));
            _rows.Add(merged.Row);
        }
        _sealedLookup = new SortedRows<HashPosition>("flow-lookup", 256, 64);
        foreach (var entry in lookup.Sorted()) _sealedLookup.Add(entry);
    }

    /// <summary>Whether two rows are of one pair: the same text ids, or texts that read back equal (a text past the table's
    /// memory budget can have two ids).</summary>
    private bool SamePair(in Row a, in Row b) =>
        (a.Source == b.Source || _texts[a.Source] == _texts[b.Source]) && (a.Dest == b.Dest || _texts[a.Dest] == _texts[b.Dest]);

    private Flow ToFlow(in Row r)
    {
        var f = new Flow { Source = _texts[r.Source], Dest = _texts[r.Dest], First = r.First, Last = r.Last, Count = r.Count, OrigBytes = r.OrigBytes, RespBytes = r.RespBytes, Failed = r.Failed };
        for (int k = 0; k < r.PortCount; k++) f.AddPort(r.Ports[k]);
        return f;
    }

    /// <summary>The flow at <paramref name="position"/>, built from its row (a new object each time).</summary>
    public Flow this[int position] { get { Seal(); return ToFlow(_rows[position]); } }

    public string Source(int position) { Seal(); return SourceAt(position); }
    public string Dest(int position) { Seal(); return DestAt(position); }
    private string SourceAt(int position) => _texts[_rows[position].Source];
    private string DestAt(int position) => _texts[_rows[position].Dest];
    /// <summary>The flow's first time (<see cref="long.MaxValue"/> when none of its records had one).</summary>
    public long First(int position) { Seal(); return _rows[position].First; }

    /// <summary>The position of the pair's flow, if there is one.</summary>
    public bool TryGetPosition(string source, string dest, out int position)
    {
        Seal();
        var hash = _hash(source, dest);
        position = Find(source, dest, hash, out _);
        if (position >= 0 || _sealedLookup is not { Count: > 0 } lookup) return position >= 0;
        // The first entry with the hash (by halving), then each entry with it, confirmed by its texts.
        int lo = lookup.LowerBound(hash, static (r, h) => r.Hash < h);
        for (int k = lo; k < lookup.Count && lookup[k].Hash == hash; k++)
            if (SourceAt(lookup[k].Position) == source && DestAt(lookup[k].Position) == dest) { position = lookup[k].Position; return true; }
        return false;
    }

    /// <summary>Every flow, in position order.</summary>
    public IEnumerable<Flow> Values
    {
        get { for (int i = 0; i < Count; i++) yield return this[i]; }
    }
}
