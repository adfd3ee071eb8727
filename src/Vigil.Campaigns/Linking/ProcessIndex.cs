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
    /// <summary>Process by GUID: braced GUIDs by value (<see cref="_guids"/>: (GUID, process) rows sorted by GUID, the first
    /// process in start order for each, in a temporary file with the first GUID of each page in memory), other texts
    /// ignoring case, as one dictionary of texts ignoring case did (see <see cref="GuidText"/>).</summary>
    private SortedRows<GuidEntry>? _guids;
    private readonly Dictionary<GuidText, int> _byGuidText = [];
    /// <summary>Host names by id (distinct hosts only).</summary>
    private readonly Dictionary<string, int> _hostIds = new(StringComparer.Ordinal);
    /// <summary>Processes with a pid, sorted by (host id, pid, start order): the processes of one (host, pid) are one run,
    /// earliest first. In a temporary file like <see cref="_guids"/>.</summary>
    private SortedRows<PidEntry>? _pids;
    /// <summary>Processes by (host id, start order) with their start time: a host's processes are one run in time order.
    /// In a temporary file like <see cref="_guids"/>.</summary>
    private SortedRows<HostEntry>? _hostProcs;

    private readonly record struct GuidEntry(Guid Value, int Proc);
    private readonly record struct PidEntry(long Pid, int Host, int Proc);
    private readonly record struct HostEntry(long Ticks, int Host, int Proc);
    private readonly record struct StartEntry(long Ticks, int Position);

    public ProcessIndex(IReadOnlyList<ProcRec> all) : this(all, BuildLimits.Default) { }

    /// <summary>An index whose lookup tables are sorted in runs of <see cref="BuildLimits.RunRows"/> rows and read through
    /// <see cref="BuildLimits.CachePages"/> pages of <see cref="BuildLimits.PageRows"/> rows (tests force tiny ones so that
    /// the runs are merged and the pages read back).</summary>
    internal ProcessIndex(IReadOnlyList<ProcRec> all, BuildLimits limits)
    {
        int runRows = limits.RunRows, pageRows = limits.PageRows, cachePages = limits.CachePages;
        if (all is ProcStore store) _store = store;
        else
        {
            _store = new ProcStore();
            foreach (var p in all) _store.Add(p);
        }
        var s = _store;
        var sysmonHosts = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i)) sysmonHosts.Add(s.Host(i));
        // Start order, stable (equal times keep the store's order: the position is the second key), sorted in runs of a
        // fixed size; the order itself is kept (4 bytes per process).
        int n;
        using (var starts = new ExternalSorter<StartEntry>("process-starts", (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position), runRows))
        {
            for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i) || !sysmonHosts.Contains(s.Host(i))) starts.Add(new StartEntry(s.Ticks(i), i));
            n = checked((int)starts.Count);
            _order = new int[n];
            int k = 0;
            foreach (var e in starts.Sorted()) _order[k++] = e.Position;
        }
        Procs = new View(this);
        // One pass in start order: GUIDs, (host, pid) and hosts, each sorted in runs into its file.
        using var guids = new ExternalSorter<GuidEntry>("process-guids", (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Proc.CompareTo(b.Proc), runRows);
        using var pids = new ExternalSorter<PidEntry>("process-pids",
            (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Proc.CompareTo(b.Proc), runRows);
        using var hosts = new ExternalSorter<HostEntry>("process-hosts", (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Proc.CompareTo(b.Proc), runRows);
        for (int i = 0; i < n; i++)
        {
            int at = _order[i];
            var guid = s.GuidKey(at);
            if (guid.IsGuid) guids.Add(new GuidEntry(guid.Value, i));
            else if (!guid.IsEmpty) _byGuidText.TryAdd(guid, i);
            var host = s.Host(at);
            if (!_hostIds.TryGetValue(host, out int h)) _hostIds[host] = h = _hostIds.Count;
            hosts.Add(new HostEntry(s.Ticks(at), h, i));
            long pid = s.Pid(at);
            if (pid >= 0) pids.Add(new PidEntry(pid, h, i));
        }
        // GUIDs by value, then start order; the first of each value is the one a lookup gives (as TryAdd in start order kept
        // the first).
        _guids = new SortedRows<GuidEntry>("process-guid-index", pageRows, cachePages);
        bool any = false;
        Guid last = default;
        foreach (var e in guids.Sorted())
        {
            if (any && e.Value == last) continue;
            _guids.Add(e);
            any = true;
            last = e.Value;
        }
        _pids = new SortedRows<PidEntry>("process-pid-index", pageRows, cachePages);
        foreach (var e in pids.Sorted()) _pids.Add(e);
        // By host, in start order within each host (the start order is by time, so each host's run is by time too).
        _hostProcs = new SortedRows<HostEntry>("process-host-index", pageRows, cachePages);
        foreach (var e in hosts.Sorted()) _hostProcs.Add(e);
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

    /// <summary>Page reads of the lookup files so far (VIGIL_MEMLOG diagnostics; tests).</summary>
    public long LookupPageReads => (_guids?.PageReads ?? 0) + (_pids?.PageReads ?? 0) + (_hostProcs?.PageReads ?? 0);

    /// <summary>Lookup rows written to the files (tests: the lookups really went through them).</summary>
    internal int LookupRowsSpilled => (_guids?.Spilled ?? 0) + (_pids?.Spilled ?? 0) + (_hostProcs?.Spilled ?? 0);

    private bool _released;

    /// <summary>Frees the lookup tables (by GUID, by pid, by host: their files and page caches) once the builder has
    /// linked everything; <see cref="Procs"/> and the field accessors keep working, lookups throw.</summary>
    public void ReleaseLookups()
    {
        _released = true;
        _guids?.Dispose(); _guids = null;
        _byGuidText.Clear(); _byGuidText.TrimExcess();
        _pids?.Dispose(); _pids = null;
        _hostProcs?.Dispose(); _hostProcs = null;
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
            var rows = _guids!;
            int k = rows.LowerBound(guid.Value, static (e, v) => e.Value.CompareTo(v) < 0);
            return k < rows.Count && rows[k] is { } e && e.Value == guid.Value ? e.Proc : -1;
        }
        return !guid.IsEmpty && _byGuidText.TryGetValue(guid, out int j) ? j : -1;
    }

    /// <summary>The process with this pid on this host that started last at or before <paramref name="ticks"/> (+2 s of clock skew).</summary>
    public int ByPid(string host, long pid, long ticks, int exclude = -1)
    {
        CheckLookups();
        if (pid < 0 || !_hostIds.TryGetValue(host, out int h)) return -1;
        // The first entry of the (host, pid) run.
        var rows = _pids!;
        int lo = rows.LowerBound((h, pid), static (e, key) => e.Host < key.h || (e.Host == key.h && e.Pid < key.pid));
        int best = -1;
        long limit = ticks + TimeSpan.TicksPerSecond * 2;
        for (int k = lo; k < rows.Count; k++)
        {
            var e = rows[k];
            if (e.Host != h || e.Pid != pid) break;
            int i = e.Proc;
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
        var rows = _hostProcs!;
        for (int k = rows.LowerBound((h, from), static (e, key) => e.Host < key.h || (e.Host == key.h && e.Ticks < key.from)); k < rows.Count; k++)
        {
            var e = rows[k];
            if (e.Host != h || e.Ticks > to) yield break;
            yield return e.Proc;
        }
    }

    public static bool IsHub(string image) => Hubs.Contains(Names.ImageName(image));
}
