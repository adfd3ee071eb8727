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

    public readonly List<ProcRec> Procs;
    private readonly int[] _parent;
    private readonly int[] _root;
    /// <summary>Process by GUID: braced GUIDs by value (16-byte keys), other texts ignoring case, as one dictionary of
    /// texts ignoring case did (see <see cref="GuidText"/>).</summary>
    private readonly Dictionary<Guid, int> _byGuid;
    private readonly Dictionary<GuidText, int> _byGuidText = [];
    /// <summary>Per (host, pid) the first process (earliest start); <see cref="_nextSamePid"/> chains the later ones in start
    /// order. Two ints per process instead of a list per key: a long day has hundreds of thousands of processes, nearly
    /// every (host, pid) with just one.</summary>
    /// <summary>First and last of each chain; the last is needed only while building (one dictionary instead of two).</summary>
    private readonly Dictionary<(string Host, long Pid), (int First, int Last)> _byPid;
    private readonly int[] _nextSamePid;
    /// <summary>Per host, process indexes in time order (for window scans).</summary>
    public readonly Dictionary<string, List<int>> ByHost = new(StringComparer.Ordinal);

    public ProcessIndex(IReadOnlyList<ProcRec> all)
    {
        var sysmonHosts = new HashSet<string>(all.Where(p => p.FromSysmon).Select(p => p.Host), StringComparer.Ordinal);
        // Sized once: a long day has ~500,000 processes, and growing by doubling left up to half of each table unused.
        var kept = all.Where(p => p.FromSysmon || !sysmonHosts.Contains(p.Host)).ToArray();
        Procs = new List<ProcRec>(kept.Length);
        Procs.AddRange(kept.OrderBy(p => p.Ticks));
        kept = null;
        _byGuid = new Dictionary<Guid, int>(Procs.Count);
        _byPid = new Dictionary<(string Host, long Pid), (int First, int Last)>(Procs.Count);
        _nextSamePid = new int[Procs.Count];
        for (int i = 0; i < Procs.Count; i++)
        {
            var p = Procs[i];
            if (p.GuidKey.IsGuid) _byGuid.TryAdd(p.GuidKey.Value, i);
            else if (!p.GuidKey.IsEmpty) _byGuidText.TryAdd(p.GuidKey, i);
            _nextSamePid[i] = -1;
            if (p.Pid >= 0)
            {
                ref var chain = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_byPid, (p.Host, p.Pid), out bool exists);
                if (exists) { _nextSamePid[chain.Last] = i; chain.Last = i; }
                else chain = (i, i);
            }
            if (!ByHost.TryGetValue(p.Host, out var h)) ByHost[p.Host] = h = [];
            h.Add(i);
        }
        _parent = new int[Procs.Count];
        for (int i = 0; i < Procs.Count; i++)
        {
            var p = Procs[i];
            _parent[i] = ByGuid(p.ParentGuidKey) is int g and >= 0 && g != i ? g
                : p.ParentGuidKey.IsEmpty && p.ParentPid >= 0 ? ByPid(p.Host, p.ParentPid, p.Ticks, exclude: i) : -1;
        }
        _root = new int[Procs.Count];
        Array.Fill(_root, -2);
        for (int i = 0; i < Procs.Count; i++) Root(i);
    }

    public int Count => Procs.Count;
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
            if (par < 0 || Hubs.Contains(Names.ImageName(Procs[par].Image)) || path.Count > 64 || path.Contains(par)) break;
            cur = par;
        }
        foreach (int p in path) _root[p] = cur;
        return cur;
    }

    public int ByGuid(string guid) => guid.Length > 0 ? ByGuid(new GuidText(guid)) : -1;

    public int ByGuid(GuidText guid) =>
        guid.IsGuid ? (_byGuid.TryGetValue(guid.Value, out int i) ? i : -1)
        : !guid.IsEmpty && _byGuidText.TryGetValue(guid, out int j) ? j : -1;

    /// <summary>The process with this pid on this host that started last at or before <paramref name="ticks"/> (+2 s of clock skew).</summary>
    public int ByPid(string host, long pid, long ticks, int exclude = -1)
    {
        if (pid < 0 || !_byPid.TryGetValue((host, pid), out var chain)) return -1;
        int first = chain.First;
        int best = -1;
        long limit = ticks + TimeSpan.TicksPerSecond * 2;
        for (int i = first; i >= 0; i = _nextSamePid[i])
        {
            if (i == exclude) continue;
            if (Procs[i].Ticks <= limit) best = i; else break;
        }
        return best;
    }

    /// <summary>Processes on a host that started within [from, to], in time order.</summary>
    public IEnumerable<int> Window(string host, long from, long to)
    {
        if (!ByHost.TryGetValue(host, out var l)) yield break;
        int lo = 0, hi = l.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (Procs[l[mid]].Ticks < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < l.Count && Procs[l[k]].Ticks <= to; k++) yield return l[k];
    }

    public static bool IsHub(string image) => Hubs.Contains(Names.ImageName(image));
}
