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
    /// <summary>Process by GUID: braced GUIDs by value (<see cref="_guids"/>, sorted, with the first process in start
    /// order for each: 20 bytes per process instead of ~32 in a dictionary), other texts ignoring case, as one dictionary of
    /// texts ignoring case did (see <see cref="GuidText"/>).</summary>
    private Guid[] _guids;
    private int[] _guidProc;
    private readonly Dictionary<GuidText, int> _byGuidText = [];
    /// <summary>Host names by id (distinct hosts only).</summary>
    private readonly Dictionary<string, int> _hostIds = new(StringComparer.Ordinal);
    /// <summary>Processes with a pid, sorted by (host id, pid, start order): the processes of one (host, pid) are one run,
    /// earliest first. 16 bytes per process instead of a dictionary entry and a chain link (~40).</summary>
    private PidEntry[] _pids;
    /// <summary>Per host id, its processes in time order: <see cref="_hostProcs"/>[<see cref="_hostStart"/>[h]..[h + 1]).
    /// 4 bytes per process, no list per host.</summary>
    private int[] _hostProcs;
    private int[] _hostStart;

    private readonly record struct PidEntry(long Pid, int Host, int Proc);

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
        // One pass in start order: GUIDs, (host, pid) and hosts, each into a flat array sorted afterwards.
        var guids = new List<(Guid Value, int Proc)>(n);
        var pids = new PidEntry[n];
        int pidCount = 0;
        var hostOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            int at = _order[i];
            var guid = s.GuidKey(at);
            if (guid.IsGuid) guids.Add((guid.Value, i));
            else if (!guid.IsEmpty) _byGuidText.TryAdd(guid, i);
            var host = s.Host(at);
            if (!_hostIds.TryGetValue(host, out int h)) _hostIds[host] = h = _hostIds.Count;
            hostOf[i] = h;
            long pid = s.Pid(at);
            if (pid >= 0) pids[pidCount++] = new PidEntry(pid, h, i);
        }
        // GUIDs sorted by value, then start order; the first of each value is the one a lookup gives (as TryAdd in start
        // order kept the first).
        var guidArray = guids.ToArray();
        guids = null;
        Array.Sort(guidArray, (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Proc.CompareTo(b.Proc));
        int distinct = 0;
        for (int k = 0; k < guidArray.Length; k++)
            if (k == 0 || guidArray[k].Value != guidArray[k - 1].Value) guidArray[distinct++] = guidArray[k];
        _guids = new Guid[distinct];
        _guidProc = new int[distinct];
        for (int k = 0; k < distinct; k++) (_guids[k], _guidProc[k]) = guidArray[k];
        guidArray = null;
        Array.Resize(ref pids, pidCount);
        Array.Sort(pids, (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Proc.CompareTo(b.Proc));
        _pids = pids;
        // Processes by host: a counting sort keeps start order within each host.
        _hostStart = new int[_hostIds.Count + 1];
        foreach (int h in hostOf) _hostStart[h + 1]++;
        for (int h = 0; h < _hostIds.Count; h++) _hostStart[h + 1] += _hostStart[h];
        _hostProcs = new int[n];
        var next = _hostStart[.._hostIds.Count];
        for (int i = 0; i < n; i++) _hostProcs[next[hostOf[i]]++] = i;
        hostOf = null;
        _parent = new int[n];
        for (int i = 0; i < n; i++)
        {
            int at = _order[i];
            var parentGuid = s.ParentGuidKey(at);
            long parentPid = s.ParentPid(at);
            _parent[i] = ByGuid(parentGuid) is int g and >= 0 && g != i ? g
                : parentGuid.IsEmpty && parentPid >= 0 ? ByPid(s.Host(at), parentPid, s.Ticks(at), exclude: i) : -1;
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

    /// <summary>Frees the lookup tables (by GUID, by pid, by host: ~40 bytes per process) once the builder has linked
    /// everything; <see cref="Procs"/> and the field accessors keep working, lookups throw.</summary>
    public void ReleaseLookups()
    {
        _released = true;
        _guids = []; _guidProc = [];
        _byGuidText.Clear(); _byGuidText.TrimExcess();
        _pids = [];
        _hostProcs = []; _hostStart = [];
        _hostIds.Clear(); _hostIds.TrimExcess();
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

    public int ByGuid(GuidText guid)
    {
        CheckLookups();
        if (guid.IsGuid)
        {
            int k = Array.BinarySearch(_guids, guid.Value);
            return k >= 0 ? _guidProc[k] : -1;
        }
        return !guid.IsEmpty && _byGuidText.TryGetValue(guid, out int j) ? j : -1;
    }

    /// <summary>The process with this pid on this host that started last at or before <paramref name="ticks"/> (+2 s of clock skew).</summary>
    public int ByPid(string host, long pid, long ticks, int exclude = -1)
    {
        CheckLookups();
        if (pid < 0 || !_hostIds.TryGetValue(host, out int h)) return -1;
        // The first entry of the (host, pid) run.
        int lo = 0, hi = _pids.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            var e = _pids[mid];
            if (e.Host < h || (e.Host == h && e.Pid < pid)) lo = mid + 1; else hi = mid;
        }
        int best = -1;
        long limit = ticks + TimeSpan.TicksPerSecond * 2;
        for (int k = lo; k < _pids.Length && _pids[k].Host == h && _pids[k].Pid == pid; k++)
        {
            int i = _pids[k].Proc;
            if (i == exclude) continue;
            if (Ticks(i) <= limit) best = i; else break;
        }
        return best;
    }

    /// <summary>Processes on a host that started within [from, to], in time order.</summary>
    public IEnumerable<int> Window(string host, long from, long to)
    {
        CheckLookups();
        if (!_hostIds.TryGetValue(host, out int h)) yield break;
        int lo = _hostStart[h], end = _hostStart[h + 1], hi = end;
        while (lo < hi) { int mid = (lo + hi) >>> 1; if (Ticks(_hostProcs[mid]) < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < end && Ticks(_hostProcs[k]) <= to; k++) yield return _hostProcs[k];
    }

    public static bool IsHub(string image) => Hubs.Contains(Names.ImageName(image));
}
