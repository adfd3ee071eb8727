using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// Process trees from the context: by ProcessGuid (Sysmon) or by (host, pid) nearest earlier start (4688, or events that
/// only name a pid). Security 4688 records are used only for hosts without Sysmon process creations, so a process
/// logged twice counts once. A process's <see cref="Root"/> is the top of its tree below a shared host process
/// (services.exe, svchost.exe, WmiPrvSE.exe, explorer.exe...): everything under one root is one actor's doing.
/// </summary>
public sealed class ProcessIndex : IDisposable
{
    /// <summary>Host processes that start many unrelated trees: a tree stops below them.</summary>
    private static readonly HashSet<string> Hubs = new(StringComparer.OrdinalIgnoreCase)
    {
        "services.exe", "svchost.exe", "wmiprvse.exe", "explorer.exe", "winlogon.exe", "userinit.exe", "smss.exe", "csrss.exe",
        "wininit.exe", "lsass.exe", "system", "taskeng.exe", "taskhostw.exe", "taskhost.exe", "runtimebroker.exe", "dllhost.exe",
        "sihost.exe", "ccmexec.exe", "mmc.exe", "w3wp.exe", "sqlservr.exe",
    };

    /// <summary>The processes in start order (index i is the i-th to start), built as records on demand; the builder's
    /// passes over all of them use the field accessors (<see cref="Ticks"/>, <see cref="Host"/>...) instead.</summary>
    public readonly IReadOnlyList<ProcRec> Procs;
    private readonly ProcStore _store;
    /// <summary>The store's rows copied in start order, each with its parent and the root of its tree, in a temporary file
    /// (<see cref="RowFile{T}"/>): no array of store positions, parents and roots per process (12 bytes each) in memory.
    /// Row i is the i-th process to start; its texts are the store's.</summary>
    private readonly RowFile<IndexRow> _rows;

    private struct IndexRow
    {
        public ProcStore.Row Row;
        public int Parent, Root;
    }
    /// <summary>Process by GUID: braced GUIDs by value (<see cref="_guids"/>: (GUID, process) rows sorted by GUID, the first
    /// process in start order for each, in a temporary file with the first GUID of each page in memory), other texts
    /// ignoring case, as one dictionary of texts ignoring case did (see <see cref="GuidText"/>).</summary>
    private SortedRows<GuidEntry>? _guids;
    /// <summary>Process keys that are not braced GUIDs (a pipeline that strips the braces, another product's ids): (hash of
    /// the text in upper case, process) rows sorted by hash, then start order, confirmed by the process's own key when
    /// looked up. They were a dictionary of texts: ~180 bytes a process, the only table of the index
    /// that grew with the input in memory.</summary>
    private SortedRows<TextKeyEntry>? _guidTexts;
    /// <summary>Processes with a pid, sorted by (host id (the store's, <see cref="ProcStore.HostId"/>), pid, start order):
    /// the processes of one (host, pid) are one run, earliest first. In a temporary file like <see cref="_guids"/>.</summary>
    private SortedRows<PidEntry>? _pids;
    /// <summary>Processes by (host id, start order) with their start time: a host's processes are one run in time order.
    /// In a temporary file like <see cref="_guids"/>.</summary>
    private SortedRows<HostEntry>? _hostProcs;

    private readonly record struct GuidEntry(Guid Value, int Proc);
    private readonly Func<string, UInt128> _textKeyHash;

    private readonly record struct TextKeyEntry(UInt128 Hash, int Proc)
    {
        public static int Compare(TextKeyEntry a, TextKeyEntry b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Proc.CompareTo(b.Proc);
    }

    /// <summary>The hash of a key's text in upper case: texts equal ignoring case (ordinal) hash alike.</summary>
    private static UInt128 TextKeyHash(string text)
    {
        var upper = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
        text.AsSpan().ToUpperInvariant(upper);
        return TextHash.Of(upper);
    }
    private readonly record struct PidEntry(long Pid, int Host, int Proc);
    /// <summary>A process by (host, start time), with its command line's text id, so that a window's command lines are read
    /// without reading each process's row (a page read apiece: the lateral linker scans five minutes of the source host
    /// for every remote logon).</summary>
    private readonly record struct HostEntry(long Ticks, int Host, int Proc, int CommandLine);
    private readonly record struct StartEntry(long Ticks, int Position);

    public ProcessIndex(IReadOnlyList<ProcRec> all) : this(all, BuildLimits.Default) { }

    /// <summary>An index whose lookup tables are sorted in runs of <see cref="BuildLimits.RunRows"/> rows and read through
    /// <see cref="BuildLimits.CachePages"/> pages of <see cref="BuildLimits.PageRows"/> rows (tests force tiny ones so that
    /// the runs are merged and the pages read back).</summary>
    /// <param name="textKeyHash">Tests: a hash of the keys that are not braced GUIDs with collisions (equal for texts equal
    /// ignoring case), to show that keys sharing one stay apart.</param>
    internal ProcessIndex(IReadOnlyList<ProcRec> all, BuildLimits limits, Func<string, UInt128>? textKeyHash = null)
    {
        _textKeyHash = textKeyHash ?? TextKeyHash;
        int runRows = limits.RunRows, pageRows = limits.PageRows, cachePages = limits.CachePages;
        if (all is ProcStore store) _store = store;
        else
        {
            _store = new ProcStore();
            foreach (var p in all) _store.Add(p);
        }
        var s = _store;
        // Hosts with Sysmon process creations, by the store's host ids (a bit each).
        var sysmonHosts = new System.Collections.BitArray(s.HostCount);
        for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i)) sysmonHosts[s.HostIdAt(i)] = true;
        // Start order, stable (equal times keep the store's order: the position is the second key), sorted in runs of a
        // fixed size; the order itself is kept (4 bytes per process).
        // The rows are copied in start order (as they come out of the sort) into the index's own file, and the lookups'
        // rows go to their sorts in the same pass.
        _rows = new RowFile<IndexRow>("process-index", pageRows, Math.Min(cachePages, 256));
        Procs = new View(this);
        using var guids = new ExternalSorter<GuidEntry>("process-guids", (a, b) => a.Value != b.Value ? a.Value.CompareTo(b.Value) : a.Proc.CompareTo(b.Proc), runRows);
        using var guidTexts = new ExternalSorter<TextKeyEntry>("process-guid-texts", TextKeyEntry.Compare, runRows);
        using var pids = new ExternalSorter<PidEntry>("process-pids",
            (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid) : a.Proc.CompareTo(b.Proc), runRows);
        using var hosts = new ExternalSorter<HostEntry>("process-hosts", (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Proc.CompareTo(b.Proc), runRows);
        using (var starts = new ExternalSorter<StartEntry>("process-starts", (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position), runRows))
        {
            for (int i = 0; i < s.Count; i++) if (s.FromSysmon(i) || !sysmonHosts[s.HostIdAt(i)]) starts.Add(new StartEntry(s.Ticks(i), i));
            foreach (var e in starts.Sorted())
            {
                int i = _rows.Count;
                var row = s.RawRow(e.Position);
                _rows.Add(new IndexRow { Row = row, Parent = -1, Root = -2 });
                var guid = s.GuidKeyOf(row);
                if (guid.IsGuid) guids.Add(new GuidEntry(guid.Value, i));
                else if (!guid.IsEmpty) guidTexts.Add(new TextKeyEntry(_textKeyHash(guid.ToString()), i));
                int h = row.Host;
                hosts.Add(new HostEntry(row.Ticks, h, i, row.CommandLine));
                if (row.Pid >= 0) pids.Add(new PidEntry(row.Pid, h, i));
            }
        }
        int n = _rows.Count;
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
        // Other texts by hash, then start order. A text's repeats (a process logged twice, a pipeline's placeholder id) stay:
        // a lookup takes the first entry of the hash whose process has the text, the first in start order, and keeping
        // them needs neither a text read nor a run of entries held here.
        _guidTexts = new SortedRows<TextKeyEntry>("process-guid-text-index", pageRows, cachePages);
        foreach (var e in guidTexts.Sorted()) _guidTexts.Add(e);
        _pids = new SortedRows<PidEntry>("process-pid-index", pageRows, cachePages);
        foreach (var e in pids.Sorted()) _pids.Add(e);
        // By host, in start order within each host (the start order is by time, so each host's run is by time too).
        _hostProcs = new SortedRows<HostEntry>("process-host-index", pageRows, cachePages);
        foreach (var e in hosts.Sorted()) _hostProcs.Add(e);
        // Parents and roots: computed in two tables (8 bytes per process while the index is built, in files past the limits'
        // MemoryItems), then written into the rows, one sequential pass.
        using var parent = limits.Table("process-parents", n, -1);
        for (int i = 0; i < n; i++)
        {
            var row = _rows[i].Row;
            var parentGuid = s.ParentGuidKeyOf(row);
            parent[i] = ByGuid(parentGuid) is int g and >= 0 && g != i ? g
                : parentGuid.IsEmpty && row.ParentPid >= 0 ? ByPid(row.Host, row.ParentPid, row.Ticks, exclude: i) : -1;
        }
        using var root = limits.Table("process-roots", n, -2);
        var path = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (root[i] != -2) continue;
            // Iterative walk with a step limit: pid reuse can make 4688 parent chains loop.
            path.Clear();
            int cur = i;
            while (true)
            {
                if (root[cur] != -2) { cur = root[cur]; break; }
                path.Add(cur);
                int par = parent[cur];
                if (par < 0 || Hubs.Contains(Names.ImageName(Image(par))) || path.Count > 64 || path.Contains(par)) break;
                cur = par;
            }
            foreach (int p in path) root[p] = cur;
        }
        for (int i = 0; i < n; i++)
        {
            var row = _rows[i];
            row.Parent = parent[i];
            row.Root = root[i];
            _rows.Set(i, row);
        }
    }

    /// <summary>Closes the index's files (the lookups' and the rows').</summary>
    public void Dispose()
    {
        ReleaseLookups();
        _rows.Dispose();
    }

    /// <summary>Page reads of the lookup files so far (VIGIL_MEMLOG diagnostics; tests).</summary>
    public long LookupPageReads => (_guids?.PageReads ?? 0) + (_guidTexts?.PageReads ?? 0) + (_pids?.PageReads ?? 0) + (_hostProcs?.PageReads ?? 0);

    /// <summary>Lookup rows written to the files (tests: the lookups really went through them).</summary>
    internal int LookupRowsSpilled => (_guids?.Spilled ?? 0) + (_guidTexts?.Spilled ?? 0) + (_pids?.Spilled ?? 0) + (_hostProcs?.Spilled ?? 0);

    private bool _released;

    /// <summary>Frees the lookup tables (by GUID, by pid, by host: their files and page caches) once the builder has
    /// linked everything; <see cref="Procs"/> and the field accessors keep working, lookups throw.</summary>
    public void ReleaseLookups()
    {
        _released = true;
        _guids?.Dispose(); _guids = null;
        _guidTexts?.Dispose(); _guidTexts = null;
        _pids?.Dispose(); _pids = null;
        _hostProcs?.Dispose(); _hostProcs = null;
    }

    private void CheckLookups()
    {
        if (_released) throw new InvalidOperationException("the process index's lookups were released (ReleaseLookups)");
    }

    public long Ticks(int i) => _rows[i].Row.Ticks;
    public string Host(int i) => _store.HostName(_rows[i].Row.Host);
    /// <summary>The process's host as the store's exact id (<see cref="ProcStore.HostId"/>): equal ids, equal hosts.</summary>
    public int HostId(int i) => _rows[i].Row.Host;
    /// <summary>The text id of the process's command line (<see cref="Text"/>; 0 for none).</summary>
    public int CommandId(int i) => _rows[i].Row.CommandLine;
    /// <summary>A host's id in the store, or -1 if no process of it was added.</summary>
    public int FindHost(string host) => _store.FindHost(host);
    /// <summary>The host with the store's id <paramref name="hostId"/> (<see cref="FindHost"/>, <see cref="HostId"/>).</summary>
    public string HostName(int hostId) => _store.HostName(hostId);
    public long LogonId(int i) => _rows[i].Row.LogonId;
    public string Image(int i) => _store.TextOf(_rows[i].Row.Image);
    public string ParentImage(int i) => _store.TextOf(_rows[i].Row.ParentImage);
    public string CommandLine(int i) => _store.TextOf(_rows[i].Row.CommandLine);
    public GuidText GuidKey(int i) => _store.GuidKeyOf(_rows[i].Row);
    /// <summary>Page reads of the index's rows so far (VIGIL_MEMLOG diagnostics).</summary>
    public long RowPageReads => _rows.PageReads;

    private sealed class View(ProcessIndex px) : IReadOnlyList<ProcRec>
    {
        public ProcRec this[int index] => px._store.RecordOf(px._rows[index].Row);
        public int Count => px._rows.Count;
        public IEnumerator<ProcRec> GetEnumerator() { for (int i = 0; i < Count; i++) yield return this[i]; }
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    public int Count => _rows.Count;
    public int Parent(int i) => _rows[i].Parent;

    /// <summary>The top of the tree <paramref name="i"/> belongs to (below any hub process).</summary>
    public int Root(int i) => _rows[i].Root;

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
        if (guid.IsEmpty || _guidTexts is not { Count: > 0 } texts) return -1;
        var hash = _textKeyHash(guid.ToString());
        for (int k = texts.LowerBound(hash, static (e, h) => e.Hash < h); k < texts.Count && texts[k].Hash == hash; k++)
            if (GuidKey(texts[k].Proc).Equals(guid)) return texts[k].Proc;
        return -1;
    }

    /// <summary>The process with this pid on this host that started last at or before <paramref name="ticks"/> (+2 s of clock skew).</summary>
    public int ByPid(string host, long pid, long ticks, int exclude = -1)
    {
        CheckLookups();
        return pid < 0 ? -1 : ByPid(_store.FindHost(host), pid, ticks, exclude);
    }

    private int ByPid(int h, long pid, long ticks, int exclude)
    {
        CheckLookups();
        if (pid < 0 || h < 0) return -1;
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
        foreach (var e in HostWindow(host, from, to)) yield return e.Proc;
    }

    /// <summary>The processes of <see cref="Window"/>, in its order, with their command lines' text ids (equal ids, equal
    /// texts; <see cref="Text"/> reads one).</summary>
    public IEnumerable<(int Proc, int CommandLine)> WindowCommands(string host, long from, long to)
    {
        foreach (var e in HostWindow(host, from, to)) yield return (e.Proc, e.CommandLine);
    }

    /// <summary>A process text by its id (<see cref="WindowCommands"/>).</summary>
    public string Text(int id) => _store.TextOf(id);

    private IEnumerable<HostEntry> HostWindow(string host, long from, long to)
    {
        CheckLookups();
        int h = _store.FindHost(host);
        if (h < 0) yield break;
        var rows = _hostProcs!;
        for (int k = rows.LowerBound((h, from), static (e, key) => e.Host < key.h || (e.Host == key.h && e.Ticks < key.from)); k < rows.Count; k++)
        {
            var e = rows[k];
            if (e.Host != h || e.Ticks > to) yield break;
            yield return e;
        }
    }

    public static bool IsHub(string image) => Hubs.Contains(Names.ImageName(image));
}
