using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Scoring;

/// <summary>
/// A campaign's exfiltration detections that name an external destination, by destination, in files: what the theft
/// finder asks of them. Which destinations they name (first named where, with how many bytes); whether a host, or a source
/// address, named a destination; which flows they name; and each upload's ids among them.
/// <para>
/// An agent uploading to 500,000 endpoints names 500,000 destinations. Kept per destination as objects (the first
/// detection, sets of the hosts and addresses that named it, its addresses as texts), they took ~520 bytes each (500,000:
/// 260 MB of a 747 MB peak). Here every detection is a row of one sort by (destination, id); one pass over it writes the
/// destinations (sorted by the 128-bit hash of their text, searched by halving), the detections' rows in that order (each
/// destination's a range), and the (destination, host) and (destination, source address) pairs, each sorted and searched
/// the same way; a destination named by one host (or from one address) keeps its hash in its row instead. Hosts and addresses are compared by their 64-bit hashes, destinations by 128-bit ones (two texts sharing
/// one would count as one: the odds the time indexes accept). Memory: the sorts' runs and the rows' pages, whatever the
/// number of detections or destinations. Not thread-safe.
/// </para>
/// </summary>
internal sealed class ExfilIndex : IDisposable
{
    /// <summary>A detection naming a destination: its place in the campaign's detections (<see cref="At"/>), its host's and
    /// source address's hashes, the bytes it says were sent.</summary>
    private readonly record struct Named(UInt128 Dest, long Id, int At, ulong Host, ulong Source, long Bytes)
    {
        public static int Compare(Named a, Named b)
        {
            int c = a.Dest.CompareTo(b.Dest);
            if (c == 0) c = a.Id.CompareTo(b.Id);
            return c != 0 ? c : a.At.CompareTo(b.At);
        }
    }

    /// <summary>A destination: the hash of its text, where it was first named, the bytes of all its detections, the range of
    /// its detections' rows (ids ascending), and the hash of the one host (and of the one source address) that named it,
    /// if only one did (most destinations: then no pair is searched for, see <see cref="NamedByHost"/>).</summary>
    public readonly record struct Dest(UInt128 Hash, int FirstAt, long Bytes, int RowsAt, int RowsCount, bool OneHost, ulong Host,
        bool OneSource, ulong Source);

    /// <summary>A detection of a destination, as an upload's ids are chosen from them.</summary>
    public readonly record struct Row(long Id, ulong Host, ulong Source);

    /// <summary>Hosts (or source addresses) listed per destination before the rest are sent to the sort as they come: most
    /// destinations have one of each, and an upload in millions of pieces from one host is then one row per destination.</summary>
    public const int DistinctPerDest = 4096;

    // Made when a detection names a destination: most campaigns have none, and a lookup file's pages and cache slots are
    // ~45 KB each (25,000 campaigns a day).
    private SortedRows<Dest>? _dests;
    private SpillList<Row>? _rows;
    private SortedRows<(UInt128 Dest, ulong Host)>? _hosts;
    private SortedRows<(UInt128 Dest, ulong Source)>? _sources;
    private bool _pairsRead, _orderRead;
    /// <summary>The named (destination, source address) pairs: where the destination was first named, then where the pair
    /// was (a detection's place, to read both texts back).</summary>
    private ExternalSorter<(int DestAt, int PairAt)>? _pairs;
    /// <summary>The destinations in the order first named: where, and their place among <see cref="_dests"/>.</summary>
    private ExternalSorter<(int FirstAt, int Dest)>? _order;

    public int Count => _dests?.Count ?? 0;

    /// <summary>The detections of <paramref name="facts"/> (a campaign's, in order) that <paramref name="names"/> says name an
    /// external destination. <paramref name="distinctPerDest"/>: see <see cref="DistinctPerDest"/> (tests lower it).</summary>
    public ExfilIndex(IReadOnlyList<DetectionFact> facts, Func<DetectionFact, bool> names, BuildLimits limits, int distinctPerDest = DistinctPerDest)
    {
        try
        {
            Build(facts, names, limits, distinctPerDest);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Build(IReadOnlyList<DetectionFact> facts, Func<DetectionFact, bool> names, BuildLimits limits, int distinctPerDest)
    {
        using var named = new ExternalSorter<Named>("theft-exfil-named", Named.Compare, limits.RunRows);
        for (int k = 0; k < facts.Count; k++)
        {
            var f = facts[k];
            if (names(f))
                named.Add(new Named(TextHash.Of(f.DestAddress.AsSpan()), f.Id, k, TextHash.Of64(f.Host), TextHash.Of64(f.SourceAddress), f.Bytes));
        }
        if (named.Count == 0) return;
        var dests = _dests = new SortedRows<Dest>("theft-exfil-destinations", limits.PageRows, limits.CachePages);
        var rows = _rows = limits.List<Row>("theft exfiltration detections", walked: true);
        _hosts = new SortedRows<(UInt128, ulong)>("theft-exfil-hosts", limits.PageRows, limits.CachePages);
        _sources = new SortedRows<(UInt128, ulong)>("theft-exfil-sources", limits.PageRows, limits.CachePages);
        using var hosts = new ExternalSorter<(UInt128 Dest, ulong Host)>("theft-exfil-hosts", (a, b) => a.CompareTo(b), limits.RunRows);
        using var sources = new ExternalSorter<(UInt128 Dest, ulong Source, int At)>("theft-exfil-sources", (a, b) => a.CompareTo(b), limits.RunRows);
        _order = new ExternalSorter<(int, int)>("theft-exfil-order", (a, b) => a.CompareTo(b), limits.RunRows);
        // Per destination: its hosts, and its sources with where each was first seen, up to DistinctPerDest (then sent as
        // they come; the sorts below keep one of each).
        var destHosts = new HashSet<ulong>();
        var destSources = new Dictionary<ulong, int>();
        bool any = false;
        UInt128 dest = default;
        int firstAt = 0, rowsAt = 0;
        long bytes = 0;
        bool hostsOver = false, sourcesOver = false;
        void End()
        {
            bool oneHost = destHosts.Count == 1 && !hostsOver, oneSource = destSources.Count == 1 && !sourcesOver;
            var dest1 = new Dest(dest, firstAt, bytes, rowsAt, rows.Count - rowsAt, oneHost, oneHost ? destHosts.First() : 0,
                oneSource, oneSource ? destSources.First().Key : 0);
            // (A destination named by one host keeps it in its row: its pair is never searched for.)
            if (!oneHost)
                foreach (ulong h in destHosts) hosts.Add((dest, h));
            foreach (var (s, at) in destSources) sources.Add((dest, s, at));
            destHosts.Clear();
            destSources.Clear();
            hostsOver = sourcesOver = false;
            _order!.Add((firstAt, dests.Count));
            dests.Add(dest1);
        }
        foreach (var n in named.Sorted())
        {
            if (!any || n.Dest != dest)
            {
                if (any) End();
                (any, dest, firstAt, rowsAt, bytes) = (true, n.Dest, n.At, rows.Count, 0);
            }
            firstAt = Math.Min(firstAt, n.At);
            bytes += n.Bytes;
            rows.Add(new Row(n.Id, n.Host, n.Source));
            if (!destHosts.Contains(n.Host))
            {
                if (destHosts.Count < distinctPerDest) destHosts.Add(n.Host);
                else { hosts.Add((n.Dest, n.Host)); hostsOver = true; }
            }
            if (destSources.TryGetValue(n.Source, out int seen)) { if (n.At < seen) destSources[n.Source] = n.At; }
            else if (destSources.Count < distinctPerDest) destSources.Add(n.Source, n.At);
            else { sources.Add((n.Dest, n.Source, n.At)); sourcesOver = true; }
        }
        if (any) End();
        bool first = true;
        (UInt128, ulong) last = default;
        foreach (var h in hosts.Sorted())
        {
            if (!first && h == last) continue;
            (first, last) = (false, h);
            _hosts.Add(h);
        }
        // Each (destination, source) once, with where it was first seen, and where its destination was (the destinations
        // are in hash order too: walked alongside).
        _pairs = new ExternalSorter<(int, int)>("theft-exfil-pairs", (a, b) => a.CompareTo(b), limits.RunRows);
        first = true;
        int d = 0;
        foreach (var (destHash, source, at) in sources.Sorted())
        {
            if (!first && (destHash, source) == last) continue;
            (first, last) = (false, (destHash, source));
            while (dests[d].Hash != destHash) d++;
            if (!dests[d].OneSource) _sources.Add((destHash, source));
            _pairs.Add((dests[d].FirstAt, at));
        }
    }

    /// <summary>The destination <paramref name="text"/>: its place among them (or -1) and its row.</summary>
    public int Find(string text, out Dest dest)
    {
        dest = default;
        if (_dests is null) return -1;
        var hash = TextHash.Of(text.AsSpan());
        int i = _dests.LowerBound(hash, static (r, k) => r.Hash < k);
        if (i == _dests.Count || _dests[i].Hash != hash) return -1;
        dest = _dests[i];
        return i;
    }

    public Dest this[int dest] => (_dests ?? throw new ArgumentOutOfRangeException(nameof(dest), dest, "no destinations"))[dest];

    /// <summary>Whether a detection on <paramref name="host"/> named <paramref name="dest"/>.</summary>
    public bool NamedByHost(in Dest dest, ulong host) =>
        dest.OneHost ? dest.Host == host : _hosts is { } hosts && Contains(hosts, (dest.Hash, host));

    /// <summary>Whether a detection from <paramref name="source"/> (address) named <paramref name="dest"/>.</summary>
    public bool NamedFrom(in Dest dest, ulong source) =>
        dest.OneSource ? dest.Source == source : _sources is { } sources && Contains(sources, (dest.Hash, source));

    private static bool Contains(SortedRows<(UInt128, ulong)> rows, (UInt128, ulong) key)
    {
        int i = rows.LowerBound(key, static (r, k) => r.CompareTo(k) < 0);
        return i < rows.Count && rows[i] == key;
    }

    /// <summary>The (source address, destination) pairs the detections name: by the destinations in the order first named,
    /// then each destination's sources in the order first seen. Once.</summary>
    public IEnumerable<(string Source, string Dest)> NamedPairs(IReadOnlyList<DetectionFact> facts)
    {
        if (_pairsRead) throw new InvalidOperationException("the named pairs were read already");
        _pairsRead = true;
        return Pairs(_pairs, facts);
    }

    private IEnumerable<(string Source, string Dest)> Pairs(ExternalSorter<(int DestAt, int PairAt)>? pairs, IReadOnlyList<DetectionFact> facts)
    {
        _pairs = null;
        if (pairs is null) yield break;
        using (pairs)
            foreach (var (_, at) in pairs.Sorted())
            {
                var f = facts[at];
                yield return (f.SourceAddress, f.DestAddress);
            }
    }

    /// <summary>The destinations (their places) in the order first named. Once.</summary>
    public IEnumerable<int> InOrderNamed()
    {
        if (_orderRead) throw new InvalidOperationException("the destinations' order was read already");
        _orderRead = true;
        return Order(_order);
    }

    private IEnumerable<int> Order(ExternalSorter<(int FirstAt, int Dest)>? order)
    {
        _order = null;
        if (order is null) yield break;
        using (order)
            foreach (var (_, dest) in order.Sorted()) yield return dest;
    }

    /// <summary>A destination's detections, ids ascending.</summary>
    public IEnumerable<Row> Rows(int dest)
    {
        var d = this[dest];
        for (int i = d.RowsAt; i < d.RowsAt + d.RowsCount; i++) yield return _rows![i];
    }

    public void Dispose()
    {
        _dests?.Dispose();
        _rows?.Dispose();
        _hosts?.Dispose();
        _sources?.Dispose();
        _pairs?.Dispose();
        _order?.Dispose();
    }
}
