using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>Movement from host A to host B found in the context, with the entity keys on each side it joins.</summary>
public sealed record Lateral(string From, string To, string Account, string Method, long Ticks, string SourceAddress,
    IReadOnlyList<UnionFind.Key> FromKeys, IReadOnlyList<UnionFind.Key> ToKeys);

/// <summary>
/// The links <see cref="LateralLinker.Find(ContextCollector, ProcessIndex, AddressBook, Action{string}?)"/> found:
/// <see cref="Movements"/>, remote logons followed by activity (each with a target side), then the explicit-credential
/// logons (4648) that no logon answered, in order (by source host in order of first appearance, then time, then input).
/// <para>Memory: the second kind are rows (the logon's position, its host's number, the session that used the credentials
/// and its process tree's root: 24 bytes) in a <see cref="SpillList{T}"/>, made into a <see cref="Lateral"/> only when
/// asked (<see cref="Explicit(int)"/>): a server logs a 4648 whenever a process uses other credentials, and as objects
/// (~300 bytes each, with their keys) they were capped at 500k. Their keys come from the row alone (the build asks for
/// every link's keys; reading each logon back would be a page read apiece).</para>
/// </summary>
public sealed class LateralLinks : IDisposable
{
    private readonly LogonStore _logons;
    private readonly SpillList<ExplicitRow> _explicit;
    private readonly IReadOnlyList<string> _hosts;

    private readonly MovementStore _movements;

    internal LateralLinks(MovementStore movements, LogonStore logons, SpillList<ExplicitRow> explicitRows, IReadOnlyList<string> hosts)
    {
        _movements = movements;
        _logons = logons;
        _explicit = explicitRows;
        _hosts = hosts;
    }

    /// <summary>An explicit-credential logon no logon answered: its position in the logon store, its host (a number into the
    /// hosts of the 4648s), the session that used the credentials, and the root of the process that did (-1 when not
    /// found).</summary>
    internal readonly record struct ExplicitRow(int Logon, int Host, long SubjectLogonId, int Root);

    /// <summary>Remote logons followed by activity: each joins its source side's keys to its target side's. Rows in files
    /// (<see cref="MovementStore"/>): each read builds the link again.</summary>
    public IReadOnlyList<Lateral> Movements => _movements;

    /// <summary>Explicit-credential links (no target side).</summary>
    public int ExplicitCount => _explicit.Count;

    public int Count => Movements.Count + ExplicitCount;

    /// <summary>Explicit-credential link <paramref name="n"/>'s source keys, in order: the session that used the credentials
    /// (unless a system logon's), then its process tree (if found).</summary>
    public IReadOnlyList<UnionFind.Key> ExplicitKeys(int n)
    {
        var row = _explicit[n];
        var keys = new List<UnionFind.Key>(2);
        if (!Names.IsSystemLogon(row.SubjectLogonId)) keys.Add(LateralLinker.SessionKey(_hosts[row.Host], row.SubjectLogonId));
        if (row.Root >= 0) keys.Add(UnionFind.Key.Tree(row.Root));
        return keys;
    }

    /// <summary>Explicit-credential link <paramref name="n"/>: from the logon's host to the server it named.</summary>
    public Lateral Explicit(int n)
    {
        var x = _logons[_explicit[n].Logon];
        return new Lateral(x.Host, x.TargetServer, x.Account, LateralLinker.MethodOfTool(x.ProcessName) ?? "explicit-credentials", x.Ticks, "",
            ExplicitKeys(n), []);
    }

    /// <summary>Every link: the movements, then the explicit-credential links (tests; the build reads the two apart).</summary>
    public IEnumerable<Lateral> All()
    {
        foreach (var l in Movements) yield return l;
        for (int n = 0; n < ExplicitCount; n++) yield return Explicit(n);
    }

    public void Dispose()
    {
        _explicit.Dispose();
        _movements.Dispose();
    }
}

/// <summary>
/// Finds lateral movement in the context events. A link A→B needs evidence on B that something was done through the
/// logon (a process in the network logon session, a service installed right after it: "followed by activity"), and it
/// joins B's activity to A's only when A shows the actor reaching out: a process on A connecting to B on a
/// remote-administration port, explicit credentials used for B (4648), or a command line naming B (\\B, /node:B,
/// -ComputerName B, /s B) just before. A logon alone, or a host alone, joins nothing.
/// </summary>
public static class LateralLinker
{
    private static readonly long Second = TimeSpan.TicksPerSecond;

    /// <summary>The process tree of process <paramref name="i"/> (its root).</summary>
    public static UnionFind.Key ProcKey(ProcessIndex px, int i) => UnionFind.Key.Tree(px.Root(i));
    public static UnionFind.Key SessionKey(string host, long logon) => UnionFind.Key.Session(host, logon);

    /// <param name="onCandidates">Called once the remote logons' candidates are found, while they are still held (the
    /// linking's widest point; VIGIL_MEMLOG diagnostics).</param>
    public static LateralLinks Find(ContextCollector ctx, ProcessIndex px, AddressBook hosts, Action<string>? onCandidates = null) =>
        Find(ctx, px, hosts, onCandidates, BuildLimits.Default);

    /// <summary>
    /// Memory: the remote logons' candidates are rows of a temporary file (<see cref="CandidateRow"/>, no logon record or
    /// key lists each: a 3M-event day has ~68,000 candidates, most with no activity), the sessions' processes and the
    /// candidates by target are sorted in runs into temporary files (<see cref="SortedRows{T}"/>), and the candidates' keys
    /// are rows of a list that goes to a file past its memory budget. Explicit-credential logons (4648) are read through an index by host
    /// and time in files (<see cref="StoreTimeIndex{T}"/>), the ones a logon answered marked in a bit per logon, and the
    /// others become rows (<see cref="LateralLinks"/>). Sizes from <paramref name="limits"/>.
    /// </summary>
    internal static LateralLinks Find(ContextCollector ctx, ProcessIndex px, AddressBook hosts, Action<string>? onCandidates, BuildLimits limits)
    {
        var links = new MovementStore(limits.PageRows, limits.CachePages);
        // The remote logons' hosts, one exact id each (a worm's 1M targets in a dictionary were ~100 bytes a host): the process
        // store's (2 x its id) for a host that ran processes, else one of this table's (2 x its id + 1). A fleet's hosts are
        // all in the process store already; numbered again here, each cost another hash slot (4M targets: 64 MB).
        using var hostNames = limits.KeyTexts("lateral-hosts", limits.KeyTextChars / 4, exact: true);
        // procHost: the host's id in the process store (px.FindHost), -1 if it ran none.
        int IdOf(string h, int procHost) => procHost >= 0 ? procHost << 1 : (hostNames.Id(h) << 1) | 1;
        int HostId(string h) => IdOf(h, px.FindHost(h));
        int FindHostId(string h) => px.FindHost(h) is int p and >= 0 ? p << 1 : hostNames.Find(h) is int q and >= 0 ? (q << 1) | 1 : -1;
        string HostName(int id) => (id & 1) == 0 ? px.HostName(id >> 1) : hostNames[id >> 1];
        // Sessions that ran processes: the "followed by activity" on the target. (host, logon, start order) rows, sorted: a
        // session's processes are one run, in start order (the first 64 count, as a list of up to 64 per session did). Hosts
        // here are the process store's ids (px.HostId), not numbered in the table above: a fleet's every host has sessions,
        // and a dictionary there held each name (~100 bytes a host).
        using var sessionProcs = new SortedRows<SessionEntry>("session-processes", limits.PageRows, limits.CachePages);
        int sessionRuns = 0;
        using (var sorter = new ExternalSorter<SessionEntry>("session-processes",
                   (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Logon != b.Logon ? a.Logon.CompareTo(b.Logon) : a.Proc.CompareTo(b.Proc), limits.RunRows))
        {
            for (int i = 0; i < px.Count; i++)
            {
                long logon = px.LogonId(i);
                if (Names.IsSystemLogon(logon)) continue;
                sorter.Add(new SessionEntry(px.HostId(i), logon, i));
            }
            SessionEntry last = default;
            foreach (var e in sorter.Sorted())
            {
                if (sessionProcs.Count == 0 || e.Host != last.Host || e.Logon != last.Logon) sessionRuns++;
                sessionProcs.Add(e);
                last = e;
            }
        }
        // Connections by the host they came from (theirs, else their source address's), in time order: sorted rows in files.
        var conns = ctx.Connections;
        using var connsByHost = new StoreTimeIndex<ConnRec>(conns.Count,
            i => conns.Host(i) is { Length: > 0 } h ? h : hosts.HostOf(conns.SourceAddress(i)), conns.Ticks, i => conns[i], limits);
        // Explicit-credential logons by the host that used them, in time order (then input order): sorted rows in files.
        var logons = ctx.Logons;
        using var explicitByHost = new StoreTimeIndex<int>(logons.Count, i => logons.EventId(i) == 4648 ? logons.Host(i) : "", logons.Ticks, i => i, limits);
        // Those a remote logon answered (a bit per logon).
        var explicitUsed = new System.Collections.BitArray(logons.Count);

        // Pass 1: every remote logon with its source-side evidence and the processes that ran in its session. Each becomes a
        // row (its logon by position in the store); its keys, if any, are rows of a list (in candidate order), their texts
        // numbered in a table: two key lists per candidate as objects were ~350 bytes (1M targets: 657 MB at the linking).
        using var candidates = new RowFile<CandidateRow>("lateral-candidates", limits.PageRows, limits.CachePages);
        using var keyRows = limits.List<UnionFind.KeyRow>("lateral-candidate-keys");
        using var keyTexts = limits.KeyTexts("lateral-key-texts", limits.KeyTextChars / 4);
        int withKeys = 0;
        int AddKeys(List<UnionFind.Key> keys)
        {
            int at = keyRows.Count;
            foreach (var k in keys) keyRows.Add(UnionFind.KeyRow.Of(k, keyTexts));
            return at;
        }
        // Non-RDP candidates by (target, time, number), for pass 2.
        using var byTargetSorter = new ExternalSorter<TargetEntry>("lateral-targets",
            (a, b) => a.To != b.To ? a.To.CompareTo(b.To) : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Candidate.CompareTo(b.Candidate), limits.RunRows);
        var mentions = new MentionMemo();
        // The processes that name remote hosts, indexed when the first remote logon with a source asks.
        MentionIndex? mentionIndex = null;
        MentionIndex Mentioned() => mentionIndex ??= new MentionIndex(px, limits, LogonHosts(logons));
        try
        {
            for (int li = 0; li < logons.Count; li++)
            {
                if (logons.EventId(li) != 4624) continue;
                var logon = logons[li];
                if (logon.LogonType is not (3 or 8 or 10)) continue;
                var to = logon.Host;
                if (to.Length == 0) continue;
                var from = logon.Address.Length > 0 ? hosts.HostOf(logon.Address) : "";
                if (from.Length == 0 && logon.Workstation.Length > 0 && logon.Workstation != to) from = logon.Workstation;
                if (from == to || (from.Length == 0 && logon.Address.Length == 0)) continue;
                var c = new Candidate(logon, from, to) { Method = logon.LogonType == 10 ? "rdp" : "network-logon" };
                int toProcHost = px.FindHost(to);
                if (toProcHost >= 0)
                    for (int k = sessionProcs.LowerBound((toProcHost, logon.LogonId), static (e, key) => e.Host < key.toProcHost || (e.Host == key.toProcHost && e.Logon < key.LogonId)),
                             end = Math.Min(sessionProcs.Count, k + 64); k < end; k++)
                    {
                        var e = sessionProcs[k];
                        if (e.Host != toProcHost || e.Logon != logon.LogonId) break;
                        int i = e.Proc;
                        var img = Names.ImageName(px.Image(i));
                        var parentImg = Names.ImageName(px.ParentImage(i));
                        if (c.Method == "network-logon")
                        {
                            if (img == "wsmprovhost.exe" || parentImg == "wsmprovhost.exe" || img == "winrshost.exe" || parentImg == "winrshost.exe") c.Method = "winrm";
                            else if (parentImg == "wmiprvse.exe") c.Method = "wmi";
                            else if (parentImg is "taskeng.exe" or "taskhostw.exe") c.Method = "schtasks";
                        }
                        c.ToKeys.Add(ProcKey(px, i));
                    }
                SourceSide(c, px, hosts, connsByHost, logons, explicitByHost, explicitUsed, mentions, Mentioned);
                int number = candidates.Count;
                if (c.FromKeys.Count > 0 || c.ToKeys.Count > 0) withKeys++;
                int toId = IdOf(to, toProcHost);
                candidates.Add(new CandidateRow
                {
                    Ticks = logon.Ticks, Logon = li, From = HostId(from), To = toId, Method = MethodId(c.Method),
                    LogonType = (byte)logon.LogonType, HasFrom = c.FromKeys.Count > 0,
                    FromKeys = AddKeys(c.FromKeys), FromKeyCount = c.FromKeys.Count, ToKeys = AddKeys(c.ToKeys), ToKeyCount = c.ToKeys.Count,
                });
                if (logon.LogonType != 10) byTargetSorter.Add(new TargetEntry(toId, logon.Ticks, number));
            }
        }
        finally
        {
            mentionIndex?.Dispose();
        }
        using var byTarget = new SortedRows<TargetEntry>("lateral-targets", limits.PageRows, limits.CachePages);
        foreach (var e in byTargetSorter.Sorted()) byTarget.Add(e);
        onCandidates?.Invoke($"{candidates.Count:N0} remote logon candidates ({withKeys:N0} with keys), {sessionRuns:N0} sessions with processes, " +
            $"{explicitByHost.Count:N0} explicit-credential logons, {ctx.Connections.Count:N0} connections");

        // Pass 2: a service installed on a host belongs to one logon: the one just before it (within a minute) whose source
        // reached out to this host, else the nearest. Other users' share logons in the same minutes do not get it. Its key
        // joins that logon's target keys, after those of pass 1 (rows sorted by candidate, then service order).
        using var serviceKeys = new ExternalSorter<ServiceKeyRow>("lateral-service-keys",
            (a, b) => a.Candidate != b.Candidate ? a.Candidate.CompareTo(b.Candidate) : a.Seq.CompareTo(b.Seq), limits.RunRows);
        foreach (var s in ctx.Services)
        {
            int target = FindHostId(s.Host);
            if (target < 0) continue;
            long from = s.Ticks - 60 * Second, to = s.Ticks + 10 * Second;
            int best = -1;
            CandidateRow bestRow = default;
            for (int k = byTarget.LowerBound((target, from), static (e, key) => e.To < key.target || (e.To == key.target && e.Ticks < key.from)); k < byTarget.Count; k++)
            {
                var e = byTarget[k];
                if (e.To != target || e.Ticks > to) break;
                var c = candidates[e.Candidate];
                long dt = s.Ticks - c.Ticks;
                if (best < 0 || (c.HasFrom && !bestRow.HasFrom)
                    || (c.HasFrom == bestRow.HasFrom && Math.Abs(dt) < Math.Abs(s.Ticks - bestRow.Ticks)))
                    (best, bestRow) = (e.Candidate, c);
            }
            if (best < 0) continue;
            bool psexec = s.Name.Contains("PSEXESVC", StringComparison.OrdinalIgnoreCase) || s.ImagePath.Contains("PSEXESVC", StringComparison.OrdinalIgnoreCase);
            if (Methods[bestRow.Method] is "network-logon" or "smb" or "remote-service")
            {
                bestRow.Method = MethodId(s.IsTask ? "schtasks" : psexec ? "psexec" : "remote-service");
                candidates.Set(best, bestRow);
            }
            int sp = ServiceProcess(px, s.Host, s);
            var key = sp >= 0 ? ProcKey(px, sp) : UnionFind.Key.Of(ServiceKey(s));
            serviceKeys.Add(new ServiceKeyRow(best, serviceKeys.Count, UnionFind.KeyRow.Of(key, keyTexts)));
        }

        using (var service = serviceKeys.Sorted().GetEnumerator())
        {
            bool more = service.MoveNext();
            var added = new List<UnionFind.Key>();
            IEnumerable<UnionFind.Key> Keys(int at, int count) => Enumerable.Range(at, count).Select(j => keyRows[j].ToKey(keyTexts));
            for (int k = 0; k < candidates.Count; k++)
            {
                var c = candidates[k];
                added.Clear();
                for (; more && service.Current.Candidate == k; more = service.MoveNext()) added.Add(service.Current.Key.ToKey(keyTexts));
                // A logon without activity (share access, a mapped drive) is no movement.
                if (c.ToKeyCount == 0 && added.Count == 0 && c.LogonType != 10) continue;
                var logon = logons[c.Logon];
                var toKeys = Keys(c.ToKeys, c.ToKeyCount).Prepend(SessionKey(HostName(c.To), logon.LogonId)).Concat(added);
                links.Add(new Lateral(HostName(c.From), HostName(c.To), logon.Account, Methods[c.Method], logon.Ticks, logon.Address,
                    Keys(c.FromKeys, c.FromKeyCount).Distinct().ToList(), toKeys.Distinct().ToList()));
            }
        }

        // Explicit credentials for another host with no logon seen there (its logs are not in the input): the source side
        // still shows where the actor went. In order of their host's first 4648, then time, then input (the order lists per
        // host kept); the process that used them is looked up now, while the process lookups are held.
        var explicitRows = limits.List<LateralLinks.ExplicitRow>("explicit-credential links");
        try
        {
            // Hosts by first appearance among the 4648s (a host's number is its place); the rows carry what the lookups
            // below need, so the logons are read once, in store order.
            var hostOrder = new Dictionary<string, int>(StringComparer.Ordinal);
            var hostNamesInOrder = new List<string>();
            using var order = new ExternalSorter<ExplicitOrder>("explicit-order",
                (a, b) => a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Logon.CompareTo(b.Logon), limits.RunRows);
            for (int li = 0; li < logons.Count; li++)
            {
                if (logons.EventId(li) != 4648) continue;
                var host = logons.Host(li);
                if (!hostOrder.TryGetValue(host, out int h))
                {
                    hostOrder[host] = h = hostOrder.Count;
                    hostNamesInOrder.Add(host);
                }
                if (!explicitUsed[li] && logons.HasTargetServer(li))
                    order.Add(new ExplicitOrder(h, logons.Ticks(li), li, logons.ProcessId(li), logons.SubjectLogonId(li)));
            }
            foreach (var e in order.Sorted())
            {
                int root = px.ByPid(hostNamesInOrder[e.Host], e.ProcessId, e.Ticks) is int pi and >= 0 ? px.Root(pi) : -1;
                explicitRows.Add(new LateralLinks.ExplicitRow(e.Logon, e.Host, e.SubjectLogonId, root));
            }
            return new LateralLinks(links, logons, explicitRows, hostNamesInOrder);
        }
        catch
        {
            explicitRows.Dispose();
            links.Dispose();
            throw;
        }
    }

    /// <summary>Every host that answered a logon (4624): the targets the mention index will be asked for.</summary>
    private static MentionFilter LogonHosts(LogonStore logons)
    {
        var filter = new MentionFilter();
        for (int li = 0; li < logons.Count; li++)
            if (logons.EventId(li) == 4624) filter.Add(logons.Host(li));
        return filter;
    }

    private readonly record struct ExplicitOrder(int Host, long Ticks, int Logon, long ProcessId, long SubjectLogonId);

    private readonly record struct SessionEntry(int Host, long Logon, int Proc);
    private readonly record struct TargetEntry(int To, long Ticks, int Candidate);

    /// <summary>A service's key for a candidate's target side, in service order (<see cref="Seq"/>).</summary>
    private readonly record struct ServiceKeyRow(int Candidate, long Seq, UnionFind.KeyRow Key);

    /// <summary>A remote logon that may be movement, as a row: its logon's position in the store, hosts by id, method by
    /// number (<see cref="Methods"/>).</summary>
    private struct CandidateRow
    {
        public long Ticks;
        public int Logon, From, To;
        public byte Method, LogonType;
        public bool HasFrom;
        /// <summary>The candidate's source and target keys: their first row in the key list and their number.</summary>
        public int FromKeys, FromKeyCount, ToKeys, ToKeyCount;
    }

    /// <summary>The methods a candidate can have, numbered for its row (the set is fixed: the names below and those
    /// <see cref="MethodOfCommand"/> gives).</summary>
    private static readonly string[] Methods = ["network-logon", "rdp", "winrm", "wmi", "schtasks", "psexec", "smb", "remote-service"];

    private static byte MethodId(string method)
    {
        int id = Array.IndexOf(Methods, method);
        if (id < 0) throw new InvalidOperationException($"lateral method '{method}' has no number");
        return (byte)id;
    }

    private sealed class Candidate(LogonRec logon, string from, string to)
    {
        public LogonRec Logon { get; } = logon;
        public string From { get; } = from;
        public string To { get; } = to;
        public string Method { get; set; } = "network-logon";
        public List<UnionFind.Key> ToKeys { get; } = [];
        public List<UnionFind.Key> FromKeys { get; } = [];
    }

    /// <summary>The actor reaching out from the source just before the logon: a process connecting to the target on a
    /// remote-administration port, explicit credentials for the target (4648), or a command line naming it.</summary>
    private static void SourceSide(Candidate c, ProcessIndex px, AddressBook hosts, StoreTimeIndex<ConnRec> connsByHost,
        LogonStore logons, StoreTimeIndex<int> explicitByHost, System.Collections.BitArray explicitUsed, MentionMemo mentions,
        Func<MentionIndex> mentionIndex)
    {
        if (c.From.Length == 0) return;
        long lo = c.Logon.Ticks - 180 * Second, hi = c.Logon.Ticks + 10 * Second;
        foreach (var conn in connsByHost.In(c.From, lo, hi))
            if (hosts.IsAt(conn.DestAddress, c.To) && px.ByGuid(conn.ProcessGuid) is int ci and >= 0)
            {
                c.FromKeys.Add(ProcKey(px, ci));
                var n = Names.ImageName(conn.Image);
                if (c.Method == "network-logon") c.Method = n.Contains("psexec") ? "psexec" : n == "wmic.exe" ? "wmi" : conn.DestPort == 445 ? "smb" : c.Method;
            }
        foreach (int xi in explicitByHost.Positions(c.From, lo, hi))
            if (logons[xi] is var x && x.TargetServer == c.To)
                {
                    explicitUsed[xi] = true;
                    if (!Names.IsSystemLogon(x.SubjectLogonId)) c.FromKeys.Add(SessionKey(c.From, x.SubjectLogonId));
                    if (px.ByPid(c.From, x.ProcessId, x.Ticks) is int pi and >= 0) c.FromKeys.Add(ProcKey(px, pi));
                    if (c.Method is "network-logon" or "smb") c.Method = MethodOfTool(x.ProcessName) ?? c.Method;
                }
        // The source host's processes of the last five minutes that name the target: through the mention index (rows of the
        // processes that may name it, in start order), or, for a name it cannot answer for, by scanning them all.
        long from = c.Logon.Ticks - 300 * Second;
        var window = MentionIndex.Indexable(c.To) ? mentionIndex().Window(px.FindHost(c.From), c.To, from, hi) : px.WindowCommands(c.From, from, hi);
        foreach (var (i, command) in window)
            if (mentions.Mentions(px, command, c.To))
            {
                c.FromKeys.Add(ProcKey(px, i));
                if (c.Method is "network-logon" or "smb") c.Method = MethodOfCommand(px.Text(command)) ?? c.Method;
            }
    }

    public static string ServiceKey(ServiceRec s) => "V|" + s.Host + "|" + s.Name + "|" + (s.Ticks / TimeSpan.TicksPerMinute).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The process a freshly installed service started as (its image, within two minutes), or -1.</summary>
    public static int ServiceProcess(ProcessIndex px, string host, ServiceRec s)
    {
        var image = Names.ImageName(Environment.ExpandEnvironmentVariables(s.ImagePath.Trim().Trim('"').Split(' ')[0]));
        if (image.Length == 0) return -1;
        foreach (int i in px.Window(host, s.Ticks - 5 * Second, s.Ticks + 120 * Second))
            if (Names.ImageName(px.Image(i)) == image) return i;
        return -1;
    }

    /// <summary>
    /// <see cref="Mentions(string, string)"/> by (command line text id, host), remembered: the source side of every remote
    /// logon scans five minutes of its host's processes, and a host's repeated logons to one target scan the same command
    /// lines again (on a 24.4M-event day, 932k logons: ~200 CPU-s of text searches). At most <c>capacity</c>
    /// answers are kept (then the memo is cleared: it bounds memory, not correctness).
    /// </summary>
    internal sealed class MentionMemo(int capacity = MentionMemo.DefaultCapacity)
    {
        public const int DefaultCapacity = 1 << 18;
        private readonly Dictionary<(int Text, string Host), bool> _answers = [];

        public bool Mentions(ProcessIndex px, int text, string host)
        {
            if (_answers.TryGetValue((text, host), out bool known)) return known;
            bool answer = LateralLinker.Mentions(px.Text(text), host);
            if (_answers.Count >= capacity) _answers.Clear();
            _answers[(text, host)] = answer;
            return answer;
        }
    }

    /// <summary>Whether a command line names the host as a remote target (\\HOST, /node:HOST, -ComputerName HOST, /s HOST, HOST.domain).</summary>
    public static bool Mentions(string commandLine, string host)
    {
        if (host.Length < 2 || commandLine.Length < host.Length) return false;
        int at = 0;
        while ((at = commandLine.IndexOf(host, at, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            int end = at + host.Length;
            if ((end == commandLine.Length || EndsMention(commandLine[end])) && StartsMention(commandLine, at)) return true;
            at = end;
        }
        return false;
    }

    /// <summary>Whether a host named in <paramref name="commandLine"/> may start at <paramref name="at"/>: after a separator,
    /// and after \\, /node:, -ComputerName, /s, -cn, /v, -r:, /S or @ (see <see cref="Mentions(string, string)"/>).</summary>
    internal static bool StartsMention(string commandLine, int at)
    {
        char before = at > 0 ? commandLine[at - 1] : ' ';
        if (before is not ('\\' or ':' or '"' or ' ' or '=' or '\'' or '/' or '@')) return false;
        if (before is '\\' or '@') return true;
        var pre = commandLine.AsSpan(0, at);
        if (pre.EndsWith("/node:", StringComparison.OrdinalIgnoreCase) || pre.EndsWith("/node:\"", StringComparison.OrdinalIgnoreCase)) return true;
        var trimmed = pre.TrimEnd();
        return trimmed.EndsWith("-ComputerName", StringComparison.OrdinalIgnoreCase) || trimmed.EndsWith("/s", StringComparison.OrdinalIgnoreCase)
            || trimmed.EndsWith("-cn", StringComparison.OrdinalIgnoreCase) || trimmed.EndsWith("/v", StringComparison.OrdinalIgnoreCase)
            || trimmed.EndsWith("-r:", StringComparison.OrdinalIgnoreCase) || trimmed.EndsWith("/S", StringComparison.Ordinal);
    }

    /// <summary>Whether a host named in a command line may end before <paramref name="after"/>.</summary>
    internal static bool EndsMention(char after) => after is ' ' or '.' or '"' or '\\' or '\'' or ',' or ':';

    public static string? MethodOfCommand(string commandLine)
    {
        var c = commandLine.ToLowerInvariant();
        if (c.Contains("psexec") || c.Contains("paexec") || c.Contains("remcom")) return "psexec";
        if (c.Contains("wmic") || c.Contains("invoke-wmimethod") || c.Contains("invoke-cimmethod") || c.Contains("wmiexec")) return "wmi";
        if (c.Contains("schtasks") || c.Contains("at.exe")) return "schtasks";
        if (c.Contains("invoke-command") || c.Contains("enter-pssession") || c.Contains("winrs")) return "winrm";
        if (c.Contains("mstsc")) return "rdp";
        if (c.Contains("sc.exe") || c.Contains(" sc ") || c.StartsWith("sc ", StringComparison.Ordinal)) return "remote-service";
        if (c.Contains("copy ") || c.Contains("xcopy") || c.Contains("robocopy")) return "smb";
        return null;
    }

    internal static string? MethodOfTool(string processName)
    {
        var n = Names.ImageName(processName);
        return n.Length == 0 ? null : MethodOfCommand(n);
    }
}
