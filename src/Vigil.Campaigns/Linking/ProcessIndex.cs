using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// Process trees from the context: by ProcessGuid (Sysmon) or by (host, pid) nearest earlier start (4688, or events that
/// only name a pid). Security 4688 records are used only for hosts without Sysmon process creations, so a process
/// logged twice counts once. A process's <see cref="Root"/> is the top of its tree below a shared host process
/// (services.exe, svchost.exe, WmiPrvSE.exe, explorer.exe...): everything under one root is one actor's doing.
/// </summary>
public sealed class ProcessIndex
{
    /// <summary>Host processes that start many unrelated trees: a tree stops below them.</summary>
    private static readonly HashSet<string> Hubs = new(StringComparer.OrdinalIgnoreCase)
    {
        "services.exe", "svchost.exe", "wmiprvse.exe", "explorer.exe", "winlogon.exe", "userinit.exe", "smss.exe", "csrss.exe",
        "wininit.exe", "lsass.exe", "system", "taskeng.exe", "taskhostw.exe", "taskhost.exe", "runtimebroker.exe", "dllhost.exe",
        "sihost.exe", "ccmexec.exe", "mmc.exe", "w3wp.exe", "sqlservr.exe",
    };

    /// <summary>The processes in start order (index i is the i-th to start), read from the store as records on demand;
    /// the builder's passes over all of them use the field accessors (<see cref="Ticks"/>, <see cref="Host"/>...) instead.</summary>
    public readonly IReadOnlyList<ProcRec> Procs;
    private readonly ProcStore _store;
    /// <summary>Store position of the i-th process to start.</summary>
    private readonly int[] _order;
    private readonly int[] _parent;
    private readonly int[] _root;
    /// <summary>Process by GUID: braced GUIDs by value (16-byte keys), other texts ignoring case, as one dictionary of
    /// texts ignoring case did (see <see cref="GuidText"/>).</summary>
    private readonly Dictionary<Guid, int> _byGuid;
    private readonly Dictionary<GuidText, int> _byGuidText = [];
    /// <summary>Per (host, pid) the first process (earliest start); <see cref="_nextSamePid"/> chains the later ones in start
    /// order. Two ints per process instead of a list per key: a long day has hundreds of thousands of processes, nearly
    /// every (host, pid) with just one. The last of each chain is kept too (needed while building; one dictionary, not two).</summary>
    private readonly Dictionary<(string Host, long Pid), (int First, int Last)> _byPid;
    private readonly int[] _nextSamePid;
    /// <summary>Per host, process indexes in time order (for window scans).</summary>
    public readonly Dictionary<string, List<int>> ByHost = new(StringComparer.Ordinal);

    public ProcessIndex(IReadOnlyList<ProcRec> all)
    {
        if (all is ProcStore store) _store = store;
        else
        {
            _store = new ProcStore();
            foreach (var p in all) _store.Add(p);
        }
        var s = _store;
        var sysmonHosts = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i)) sysmonHosts.Add(s.Host(i));
        // Start order, stable (equal times keep the store's order); sized once: a long day has ~500,000 processes, and
        // growing by doubling left up to half of each table unused.
        var kept = new List<int>(s.Count);
        for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i) || !sysmonHosts.Contains(s.Host(i))) kept.Add(i);
        var ticks = kept.Select(s.Ticks).ToArray();
        _order = kept.ToArray();
        kept = null;
        Array.Sort(ticks, _order, Comparer<long>.Default);
        StableTies(ticks, _order);
        ticks = null;
        Procs = new View(this);
        int n = _order.Length;
        _byGuid = new Dictionary<Guid, int>(n);
        _byPid = new Dictionary<(string Host, long Pid), (int First, int Last)>(n);
        _nextSamePid = new int[n];
        for (int i = 0; i < n; i++)
        {
            var guid = GuidKey(i);
            if (guid.IsGuid) _byGuid.TryAdd(guid.Value, i);
            else if (!guid.IsEmpty) _byGuidText.TryAdd(guid, i);
            _nextSamePid[i] = -1;
            var host = Host(i);
            long pid = s.Pid(_order[i]);
            if (pid >= 0)
            {
                ref var chain = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byPid, (host, pid), out bool exists);
                if (exists) { _nextSamePid[chain.Last] = i; chain.Last = i; }
                else chain = (i, i);
            }
            if (!ByHost.TryGetValue(host, out var h)) ByHost[host] = h = [];
            h.Add(i);
        }
        _parent = new int[n];
        for (int i = 0; i < n; i++)
        {
            var parentGuid = s.ParentGuidKey(_order[i]);
            long parentPid = s.ParentPid(_order[i]);
            _parent[i] = ByGuid(parentGuid) is int g and >= 0 && g != i ? g
                : parentGuid.IsEmpty && parentPid >= 0 ? ByPid(Host(i), parentPid, Ticks(i), exclude: i) : -1;
        }
        _root = new int[n];
        Array.Fill(_root, -2);
        for (int i = 0; i < n; i++) Root(i);
    }

    /// <summary>Array.Sort is not stable: within each run of equal times, put the store positions back in ascending order
    /// (what a stable sort of the store's order gives).</summary>
    private static void StableTies(long[] ticks, int[] order)
    {
        for (int a = 0; a < ticks.Length;)
        {
            int b = a + 1;
            while (b < ticks.Length && ticks[b] == ticks[a]) b++;
            if (b - a > 1) Array.Sort(order, a, b - a);
            a = b;
        }
    }

    private bool _released;

    /// <summary>Frees the lookup tables (by GUID, by pid, by host: ~70 bytes per process) once the builder has linked
    /// everything; <see cref="Procs"/> and the field accessors keep working, lookups throw.</summary>
    public void ReleaseLookups()
    {
        _released = true;
        _byGuid.Clear(); _byGuid.TrimExcess();
        _byGuidText.Clear(); _byGuidText.TrimExcess();
        _byPid.Clear(); _byPid.TrimExcess();
        ByHost.Clear(); ByHost.TrimExcess();
    }

    private void CheckLookups()
    {
        if (_released) throw new InvalidOperationException("the process index's lookups were released (ReleaseLookups)");
    }

    public long Ticks(int i) => _store.Ticks(_order[i]);
    public string Host(int i) => _store.Host(_order[i]);
    public long LogonId(int i) => _store.LogonId(_order[i]);
    public string Image(int i) => _store.Image(_order[i]);
    public string ParentImage(int i) => _store.ParentImage(_order[i]);
    public string CommandLine(int i) => _store.CommandLine(_order[i]);
    public GuidText GuidKey(int i) => _store.GuidKey(_order[i]);

    private sealed class View(ProcessIndex px) : IReadOnlyList<ProcRec>
    {
        public ProcRec this[int index] => px._store[px._order[index]];
        public int Count => px._order.Length;
        public IEnumerator<ProcRec> GetEnumerator() { for (int i = 0; i < Count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public int Count => _order.Length;
    public int Parent(int i) => _parent[i];

    /// <summary>The top of the tree <paramref name="i"/> belongs to (below any hub process).</summary>
    public int Root(int i)
    {
        if (_root[i] != -2) return _root[i];
        // Iterative walk with a step limit: pid reuse can make 4688 parent chains loop.
        var path = new List<int>();
        int cur = i;
        while (true)
        {
            if (_root[cur] != -2) { cur = _root[cur]; break; }
            path.Add(cur);
            int par = _parent[cur];
            if (par < 0 || Hubs.Contains(Names.ImageName(Image(par))) || path.Count > 64 || path.Contains(par)) break;
            cur = par;
        }
        foreach (int p in path) _root[p] = cur;
        return cur;
    }

    public int ByGuid(string guid) => guid.Length > 0 ? ByGuid(new GuidText(guid)) : -1;

    public int ByGuid(GuidText guid) =>
        _released ? throw new InvalidOperationException("the process index's lookups were released (ReleaseLookups)")
        : guid.IsGuid ? (_byGuid.TryGetValue(guid.Value, out int i) ? i : -1)
        : !guid.IsEmpty && _byGuidText.TryGetValue(guid, out int j) ? j : -1;

    /// <summary>The process with this pid on this host that started last at or before <paramref name="ticks"/> (+2 s of clock skew).</summary>
    public int ByPid(string host, long pid, long ticks, int exclude = -1)
    {
        CheckLookups();
        if (pid < 0 || !_byPid.TryGetValue((host, pid), out var chain)) return -1;
        int first = chain.First;
        int best = -1;
        long limit = ticks + TimeSpan.TicksPerSecond * 2;
        for (int i = first; i >= 0; i = _nextSamePid[i])
        {
            if (i == exclude) continue;
            if (Ticks(i) <= limit) best = i; else break;
        }
        return best;
    }

    /// <summary>Processes on a host that started within [from, to], in time order.</summary>
    public IEnumerable<int> Window(string host, long from, long to)
    {
        CheckLookups();
        if (!ByHost.TryGetValue(host, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (Ticks(l[mid]) < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && Ticks(l[k]) <= to; k++) yield return l[k];
    }

    public static bool IsHub(string image) => Hubs.Contains(Names.ImageName(image));
}
