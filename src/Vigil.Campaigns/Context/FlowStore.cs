using System.Runtime.CompilerServices;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// Network flows of the context, one per (source, destination), merged across partitions in the order they are consumed:
/// their numbers and ports are fixed-size rows in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache), with
/// only the (source, destination) lookup in memory. <c>store[i]</c> builds a <see cref="Flow"/> equal to the merged one;
/// positions follow first appearance (the order a dictionary of flows kept).
/// <para>Memory: ~100 bytes per flow (the lookup entry, the pair, a distinct address's string) where a <see cref="Flow"/>
/// object with its ports list and entry cost ~255: a Zeek day with a million distinct pairs held 255 MB of flows. Not a
/// strict bound yet: the lookup grows with the pairs (capped at <see cref="ContextCollector.MaxFlows"/>).</para>
/// </summary>
public sealed class FlowStore
{
    internal struct Row
    {
        public long First, Last, Count, OrigBytes, RespBytes, Failed;
        public int PortCount;
        public Ports32 Ports;
    }

    [InlineArray(Flow.MaxPorts)]
    internal struct Ports32
    {
        private int _first;
    }

    private readonly RowFile<Row> _rows;
    private readonly Dictionary<(string Src, string Dst), int> _index = [];
    private readonly List<(string Src, string Dst)> _pairs = [];

    /// <summary>64 rows of ~190 bytes a page (12 KB), 128 pages cached.</summary>
    public FlowStore() : this(64, 128) { }

    internal FlowStore(int pageRows, int cachePages) => _rows = new RowFile<Row>("flows", pageRows, cachePages);

    public int Count => _rows.Count;

    /// <summary>Rows written to the temporary file so far.</summary>
    internal int SpilledRows => _rows.Spilled;

    /// <summary>Merges a partition's flow into the one of its pair, or adds it while fewer than <paramref name="max"/> pairs
    /// are held. False when it was dropped (a new pair past the cap).</summary>
    public bool Merge(Flow f, int max = int.MaxValue)
    {
        if (_index.TryGetValue((f.Source, f.Dest), out int at))
        {
            var have = ToFlow(at, _rows[at]);
            have.Merge(f);
            _rows.Set(at, RowOf(have));
            return true;
        }
        if (Count >= max) return false;
        Append(f);
        return true;
    }

    /// <summary>Sets the flow of <paramref name="f"/>'s pair to <paramref name="f"/> (adding it if new).</summary>
    public void Put(Flow f)
    {
        if (_index.TryGetValue((f.Source, f.Dest), out int at)) _rows.Set(at, RowOf(f));
        else Append(f);
    }

    private void Append(Flow f)
    {
        _index[(f.Source, f.Dest)] = _rows.Count;
        _pairs.Add((f.Source, f.Dest));
        _rows.Add(RowOf(f));
    }

    private static Row RowOf(Flow f)
    {
        var row = new Row { First = f.First, Last = f.Last, Count = f.Count, OrigBytes = f.OrigBytes, RespBytes = f.RespBytes, Failed = f.Failed };
        var ports = f.Ports;
        row.PortCount = ports.Count;
        for (int k = 0; k < ports.Count; k++) row.Ports[k] = ports[k];
        return row;
    }

    private Flow ToFlow(int at, in Row r)
    {
        var (src, dst) = _pairs[at];
        var f = new Flow { Source = src, Dest = dst, First = r.First, Last = r.Last, Count = r.Count, OrigBytes = r.OrigBytes, RespBytes = r.RespBytes, Failed = r.Failed };
        for (int k = 0; k < r.PortCount; k++) f.AddPort(r.Ports[k]);
        return f;
    }

    /// <summary>The flow at <paramref name="position"/>, built from its row (a new object each time).</summary>
    public Flow this[int position] => ToFlow(position, _rows[position]);

    public string Source(int position) => _pairs[position].Src;
    public string Dest(int position) => _pairs[position].Dst;
    /// <summary>The flow's first time (<see cref="long.MaxValue"/> when none of its records had one).</summary>
    public long First(int position) => _rows[position].First;

    /// <summary>The position of the pair's flow, if there is one.</summary>
    public bool TryGetPosition(string source, string dest, out int position) => _index.TryGetValue((source, dest), out position);

    /// <summary>Every flow, in position order.</summary>
    public IEnumerable<Flow> Values
    {
        get { for (int i = 0; i < Count; i++) yield return this[i]; }
    }
}
