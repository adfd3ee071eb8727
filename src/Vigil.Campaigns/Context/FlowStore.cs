using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// Network flows of the context, one per (source, destination), merged across partitions in the order they are consumed:
/// their numbers and ports are fixed-size rows in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache), with
/// only the (source, destination) lookup in memory. <c>store[i]</c> builds a <see cref="Flow"/> equal to the merged one;
/// positions follow first appearance (the order a dictionary of flows kept).
/// <para>Memory: the lookup is a 128-bit hash of the pair per flow (~32 bytes with its entry; a hit is confirmed by
/// comparing the pair's texts, and a pair whose hash another pair has is looked up by its texts), the addresses are in a
/// <see cref="TextTable"/> (in memory up to its budget). A <see cref="Flow"/> object with its ports list and dictionary
/// entry cost ~255 bytes: a Zeek day with a million distinct pairs held 255 MB of flows. Not a strict bound yet: the
/// lookup grows with the pairs (capped at <see cref="ContextCollector.MaxFlows"/>).</para>
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

    private readonly RowFile<Row> _rows;
    private readonly TextTable _texts;
    private readonly Dictionary<UInt128, int> _index = [];
    /// <summary>Pairs whose hash an earlier pair has (never seen in practice; kept exact all the same).</summary>
    private readonly Dictionary<(string Src, string Dst), int> _collided = [];

    /// <summary>64 rows of ~200 bytes a page (12 KB), 128 pages cached.</summary>
    public FlowStore() : this(64, 128) { }

    internal FlowStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 2)
    {
        _rows = new RowFile<Row>("flows", pageRows, cachePages);
        _texts = new TextTable("flows", textChars);
    }

    private static UInt128 Hash(string src, string dst)
    {
        var h = new XxHash128();
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, src.Length);
        h.Append(length);
        h.Append(MemoryMarshal.AsBytes(src.AsSpan()));
        h.Append(MemoryMarshal.AsBytes(dst.AsSpan()));
        return h.GetCurrentHashAsUInt128();
    }

    /// <summary>The position of the pair's flow, or -1.</summary>
    private int Find(string src, string dst, UInt128 hash)
    {
        if (!_index.TryGetValue(hash, out int at)) return -1;
        if (Source(at) == src && Dest(at) == dst) return at;
        return _collided.TryGetValue((src, dst), out at) ? at : -1;
    }

    public int Count => _rows.Count;

    /// <summary>Rows written to the temporary file so far.</summary>
    internal int SpilledRows => _rows.Spilled;

    /// <summary>Merges a partition's flow into the one of its pair, or adds it while fewer than <paramref name="max"/> pairs
    /// are held. False when it was dropped (a new pair past the cap).</summary>
    public bool Merge(Flow f, int max = int.MaxValue)
    {
        var hash = Hash(f.Source, f.Dest);
        int at = Find(f.Source, f.Dest, hash);
        if (at >= 0)
        {
            var row = _rows[at];
            var have = ToFlow(row);
            have.Merge(f);
            _rows.Set(at, RowOf(have, row.Source, row.Dest));
            return true;
        }
        if (Count >= max) return false;
        Append(f, hash);
        return true;
    }

    private void Append(Flow f, UInt128 hash)
    {
        int at = _rows.Count;
        _rows.Add(RowOf(f, _texts.Id(f.Source), _texts.Id(f.Dest)));
        if (!_index.TryAdd(hash, at)) _collided[(f.Source, f.Dest)] = at;
    }

    private static Row RowOf(Flow f, int source, int dest)
    {
        var row = new Row
        {
            First = f.First, Last = f.Last, Count = f.Count, OrigBytes = f.OrigBytes, RespBytes = f.RespBytes, Failed = f.Failed,
            Source = source, Dest = dest,
        };
        var ports = f.Ports;
        row.PortCount = ports.Count;
        for (int k = 0; k < ports.Count; k++) row.Ports[k] = ports[k];
        return row;
    }

    private Flow ToFlow(in Row r)
    {
        var f = new Flow { Source = _texts[r.Source], Dest = _texts[r.Dest], First = r.First, Last = r.Last, Count = r.Count, OrigBytes = r.OrigBytes, RespBytes = r.RespBytes, Failed = r.Failed };
        for (int k = 0; k < r.PortCount; k++) f.AddPort(r.Ports[k]);
        return f;
    }

    /// <summary>The flow at <paramref name="position"/>, built from its row (a new object each time).</summary>
    public Flow this[int position] => ToFlow(_rows[position]);

    public string Source(int position) => _texts[_rows[position].Source];
    public string Dest(int position) => _texts[_rows[position].Dest];
    /// <summary>The flow's first time (<see cref="long.MaxValue"/> when none of its records had one).</summary>
    public long First(int position) => _rows[position].First;

    /// <summary>The position of the pair's flow, if there is one.</summary>
    public bool TryGetPosition(string source, string dest, out int position)
    {
        position = Find(source, dest, Hash(source, dest));
        return position >= 0;
    }

    /// <summary>Every flow, in position order.</summary>
    public IEnumerable<Flow> Values
    {
        get { for (int i = 0; i < Count; i++) yield return this[i]; }
    }
}
