using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Linking;
using Vigil.Campaigns.Operator;
using Vigil.Campaigns.Scoring;
using Vigil.Campaigns.Output;

namespace Vigil.Campaigns;

/// <summary>
/// Turns a hunt's detections and its context into ranked campaigns.
/// <list type="number">
/// <item>Entities per detection: its process tree (ProcessGuid, or pid resolved against process creations), its logon
/// session, its event, its account on its host (consecutive detections of one account on one host within
/// <see cref="AccountGap"/>), a rare external address it talks to, a cloud identity.</item>
/// <item>Lateral links (<see cref="LateralLinker"/>) join the source side's entities to the target's.</item>
/// <item>Disjoint sets over all entity keys; each set holding detections is a campaign. Nothing joins through a host
/// alone: two unrelated actors on one server stay apart unless a process, session, account run or movement joins them.</item>
/// <item>Per campaign: steps, links, theft, operator verdict, kind and score; ranked by score, ids C1.. by rank.</item>
/// </list>
/// Cost: sorting and hashing, O((detections + context) log n); no pass compares detections pairwise.
/// </summary>
/// <summary>The points in <see cref="CampaignBuilder.Build(IReadOnlyList{DetectionFact}, ContextCollector?, out int, Action{BuildPhase, string}?)"/>
/// at which its caller hears of the progress: the process index is built; the entity pass begins; the lateral links are
/// found (process lookups released); the groups are made and assembly begins; every group is assembled.</summary>
public enum BuildPhase { ProcessIndex, Entities, Laterals, Environment, Assembled,
    /// <summary>Inside the lateral linking, its candidates found (a measuring point: the caller does not collect here).</summary>
    Linking,
    /// <summary>The keys joined and the groups numbered, the processes' groups not yet sorted (a measuring point).</summary>
    Grouping,
    /// <summary>The biggest campaign so far (over 10,000 detections) just assembled, its draft still held (a measuring
    /// point).</summary>
    Biggest,
    /// <summary>A big campaign's assembly passed one of its stages, or it was just stored: a place for the caller to compact
    /// the heap if it grew (one campaign of 1M hosts is ~45 s of sorts and lists that leave garbage; 505 MB resident at its
    /// end without). Not a measuring point.</summary>
    Working }

/// <summary>Sizes of the campaign build's external sorts (rows per sorted run) and of its lookup files (rows per page, pages
/// cached). The build's memory for these structures is bounded by them, whatever the input's size; tests force tiny ones
/// so that every run is merged and every lookup reads its page back from the file.</summary>
internal sealed record BuildLimits(int RunRows, int PageRows, int CachePages, int BigGroup = BuildLimits.DefaultBigGroup,
    int MemoryItems = SpillList<int>.DefaultMemoryItems)
{
    /// <summary>Pages of the tables with an entry per detection or process once they pass <see cref="MemoryItems"/> (see
    /// <see cref="SpillList{T}"/>): values per page and pages cached.</summary>
    public int SpillPageRows { get; init; } = SpillList<int>.DefaultPageRows;
    public int SpillCachePages { get; init; } = SpillList<int>.DefaultCachePages;

    /// <summary>A table of <paramref name="count"/> copies of <paramref name="value"/>, in memory up to
    /// <see cref="MemoryItems"/> entries, else in a temporary file.</summary>
    public SpillList<T> Table<T>(string name, int count, T value) where T : unmanaged =>
        SpillList<T>.Filled(name, count, value, MemoryItems, SpillPageRows, SpillCachePages);

    /// <summary>Entries a campaign's own lists (a big campaign's detections, ids, orders; its cloud reads) hold in memory
    /// before they go to files: 1M (8 MB of ids), and at most <see cref="ListMemoryBytes"/> of wider rows.</summary>
    public const int ListMemoryItems = 1 << 20;

    /// <summary>Bytes of one list's entries in memory: 8 MB (a 1M-link campaign's 40-byte link rows were 40 MB).</summary>
    public const int ListMemoryBytes = 8 << 20;

    /// <summary>Bytes of cached pages of a list read in order once it is in its file (<c>walked</c>).</summary>
    public const int WalkCacheBytes = 1 << 20;

    /// <summary>An empty list for one campaign's table: in memory up to <see cref="ListMemoryItems"/> entries and
    /// <see cref="ListMemoryBytes"/> (or <see cref="MemoryItems"/> entries, if fewer), then a file.</summary>
    /// <param name="walked">The list is only ever read in order (or close to it): past its memory, it caches
    /// <see cref="WalkCacheBytes"/> of pages instead of <see cref="SpillCachePages"/> (1M entries: a 1M-link campaign's
    /// 40-byte link rows, read once in order, stayed cached whole, 40 MB).</param>
    public SpillList<T> List<T>(string name, int capacity = 0, bool walked = false) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        int items = Math.Min(MemoryItems, Math.Min(ListMemoryItems, ListMemoryBytes / size));
        int cachePages = walked ? Math.Clamp(WalkCacheBytes / (SpillPageRows * size), 2, SpillCachePages) : SpillCachePages;
        return new(name, items, capacity, SpillPageRows, cachePages);
    }

    /// <summary>A campaign with more detections (or processes) than this is assembled from lists that read its facts (or
    /// processes) from their stores on demand, a few blocks held (<see cref="BlockCachedList{T}"/>), and its steps are folded
    /// as the campaign store writes them: no object per detection, process or step for the whole campaign.</summary>
    public const int DefaultBigGroup = 16_384;

    /// <summary>Characters of entity key texts (rare external addresses, cloud identities, services) numbered in memory;
    /// past them a key text is kept in a file and keyed by its hash (see <see cref="Linking.KeyJoin"/>). Tests force 0.</summary>
    public long KeyTextChars { get; init; } = TextTable.DefaultMemoryChars;

    /// <summary>Distinct accounts, and distinct addresses, a campaign lists from memory; past them the lists are in files
    /// (see <see cref="DistinctTexts"/>). Tests force a few.</summary>
    public int ListTexts { get; init; } = DistinctTexts.DefaultMemoryItems;

    /// <summary>(host, account) keys whose runs are joined in memory; the others are joined after a sort (see
    /// <see cref="Linking.AccountRuns"/>). Tests force a few.</summary>
    public int AccountKeys { get; init; } = Linking.AccountRuns.DefaultMemoryKeys;

    /// <summary>A list of distinct texts for one campaign (distinct by <paramref name="keyOf"/>, or as they are), in memory
    /// up to <see cref="ListTexts"/>, then sorted in files.</summary>
    public DistinctTexts Texts(string name, Func<string, string>? keyOf = null) => new(name, keyOf, ListTexts, RunRows, PageRows, 16);

    /// <summary>A table of key texts (entity keys, account runs, session hosts) numbered in memory up to
    /// <paramref name="memoryChars"/>, the rest in files read through a sixteenth of the lookup pages.</summary>
    public TextTable KeyTexts(string name, long memoryChars, int recentSpilled = TextTable.RecentSpilled, bool exact = false) =>
        new(name, memoryChars, PageRows, Math.Max(2, CachePages / 16), recentSpilled, exact, memorySlots: KeySlots);

    /// <summary>Slots of an exact key table (hosts) kept in memory; past them its slots are in a file (see
    /// <see cref="TextTable"/>). Tests force 1.</summary>
    public int KeySlots { get; init; } = TextTable.DefaultMemorySlots;

    /// <summary>Runs of 64K rows (1-1.5 MB of 16-24-byte rows), lookup pages of 64 rows with 1,024 cached (~1.5 MB per file).</summary>
    public static readonly BuildLimits Default = new(1 << 16, 64, 1024);
}

public sealed class CampaignBuilder
{
    public static readonly TimeSpan AccountGap = TimeSpan.FromMinutes(30);
    /// <summary>External addresses contacted by more internal hosts than this are infrastructure, not an actor's.</summary>
    public const int RareExternalHosts = 3;

    public static IReadOnlyList<Campaign> Build(IReadOnlyList<DetectionFact> facts, ContextCollector? context) =>
        Build(facts, context, out _);

    /// <summary>
    /// Builds and ranks the campaigns. <paramref name="informationalOnly"/>: groups left out because they are kind
    /// "suspicious" and every detection in them is informational (SigmaHQ's threat-hunting rules fire on much ordinary
    /// activity: a full-collection hunt of a simulated benign day gave ~1,250 such one-host groups). Nothing in them
    /// suggests an actor; their detections stay in the detection output. Any group with a low or higher detection,
    /// a link or a theft step is kept, and so is every intrusion, automation and admin group.
    /// </summary>
    /// <param name="onPhase">Called as each phase of the build begins, with a line describing it (the CLI collects garbage
    /// between phases and prints memory figures for VIGIL_MEMLOG).</param>
    public static IReadOnlyList<Campaign> Build(IReadOnlyList<DetectionFact> facts, ContextCollector? context, out int informationalOnly,
        Action<BuildPhase, string>? onPhase = null) => Build(facts, context, out informationalOnly, onPhase, BuildLimits.Default);

    /// <summary>The build with the given sizes of its external sorts and lookup files (tests force tiny ones).</summary>
    internal static IReadOnlyList<Campaign> Build(IReadOnlyList<DetectionFact> facts, ContextCollector? context, out int informationalOnly,
        Action<BuildPhase, string>? onPhase, BuildLimits limits)
    {
        var ctx = context ?? new ContextCollector();
        var hostMap = ctx.Addresses;
        ctx.DropSuperseded();
        using var px = new ProcessIndex(ctx.Processes, limits);
        // Page reads so far of the stores' temporary files (VIGIL_MEMLOG diagnostics).
        string Reads() => $"; page reads: facts {(facts as FactStore)?.PageReads:N0}, processes {ctx.Processes.PageReads:N0}, logons {ctx.Logons.PageReads:N0}, process lookups {px.LookupPageReads:N0}, process index rows {px.RowPageReads:N0}";
        onPhase?.Invoke(BuildPhase.ProcessIndex, $"process index ({px.Count:N0} processes, {ctx.Processes.TextCount:N0} process texts, {ctx.Logons.Count:N0} logons, {ctx.Flows.Count:N0} flows, {(facts as FactStore)?.TextCount:N0} fact texts, {ctx.Connections.Count:N0} connections, {ctx.Cloud.Count:N0} cloud records, {ctx.Services.Count:N0} services, {ctx.Addresses.Count:N0} addresses){Reads()}");
        // Nodes: one per detection, then one per lateral link and per cloud key found (added when they are known). Entity
        // keys (trees, sessions, addresses...) have no node: their memberships are rows sorted in runs (KeyJoin), joined
        // once every key is known.
        using var uf = new UnionFind(facts.Count, limits.MemoryItems, limits.SpillPageRows, limits.SpillCachePages);
        using var keys = new KeyJoin(limits);
        // Whether each detection found its process (the network-level pass below asks only that): a bit per detection.
        var hasProc = new System.Collections.BitArray(facts.Count);

        // External addresses many internal hosts talk to are infrastructure, not an actor's: they do not join detections.
        using var commonAddresses = new CommonAddresses(ctx.Flows, RareExternalHosts, limits);

        var servicesByHost = ctx.Services.ToLookup(s => s.Host, StringComparer.Ordinal);
        // Network logons' sessions: a marker row on their session key (a process's session joins a campaign through it).
        for (int l = 0; l < ctx.Logons.Count; l++)
            if (ctx.Logons.EventId(l) == 4624 && ctx.Logons[l] is { LogonType: 3 or 8 } logon) keys.NetworkSession(logon.Host, logon.LogonId);

        // 1. Entities of each detection. Detection i is node i; detections of one event share a node per event key (no key
        // strings per detection: a long day has hundreds of thousands).
        for (int i = 0; i < facts.Count; i++) uf.Add();
        // Detections of one event join the first detection of that event: a store groups them by place, sorting (hash, index)
        // pairs in runs (no key strings, no array per detection); a list of facts by key text.
        if (facts is FactStore factStore) factStore.JoinEvents(uf.Union, limits.RunRows);
        else
        {
            var firstOfEvent = FirstOfEvent(facts);
            for (int i = 0; i < facts.Count; i++) if (firstOfEvent[i] != i) uf.Union(i, firstOfEvent[i]);
        }
        // Account runs: the same account on the same host, consecutive detections (by time, then position) no further apart
        // than AccountGap. Facts in time order (a hunt's output is sorted by time): joined in this pass, keeping only the
        // last detection of each (host, account), nothing per detection, for the first keys; the others' detections (all,
        // for facts not in time order) are joined after a sort (see AccountRuns).
        bool timeOrdered = facts is FactStore fs ? fs.TicksAscending : TicksAscending(facts);
        using var accountRuns = new AccountRuns(timeOrdered, AccountGap, uf.Union, limits);
        for (int i = 0; i < facts.Count; i++)
        {
            var d = facts[i];
            string host = HostOf(d, hostMap);
            if (d.Account.Length > 0 && host.Length > 0) accountRuns.Add(host, Names.AccountKey(d.Account), d.Ticks, i);
            int self = i;

            int p = px.ByGuid(d.ProcessGuidKey);
            if (p < 0 && d.ProcessId >= 0 && host.Length > 0 && d.EventId is not (4624 or 4625 or 4648)) p = px.ByPid(host, d.ProcessId, d.Ticks);
            if (p < 0 && d.EventId is 7045 or 4697 or 4698)
            {
                var svc = servicesByHost[host].FirstOrDefault(s => s.Host == host && Math.Abs(s.Ticks - d.Ticks) < TimeSpan.TicksPerSecond * 2
                    && (d.ServiceName.Length == 0 || s.Name == d.ServiceName));
                if (svc is not null)
                {
                    p = LateralLinker.ServiceProcess(px, host, svc);
                    if (p < 0) keys.Member(LateralLinker.ServiceKey(svc), self);
                }
            }
            if (p < 0 && d.EventId is 4720 or 4722 or 4724 or 4728 or 4732 or 4738 or 4756 && Names.IsSystemLogon(d.LogonId) && d.TargetAccount.Length > 0)
                p = CommandNaming(px, host, Names.AccountKey(d.TargetAccount), d.Ticks);
            hasProc[i] = p >= 0;
            if (p >= 0)
            {
                keys.Member(LateralLinker.ProcKey(px, p), self);
                if (!Names.IsSystemLogon(px.LogonId(p))) keys.Member(LateralLinker.SessionKey(px.Host(p), px.LogonId(p)), self);
            }
            if (!Names.IsSystemLogon(d.LogonId) && host.Length > 0 && d.EventId is not (4625))
                keys.Member(LateralLinker.SessionKey(host, d.LogonId), self);
            if (d.DestAddress.Length > 0 && !Names.IsInternal(d.DestAddress)
                && !commonAddresses.Contains(d.DestAddress))
                keys.Member("X|" + d.DestAddress, self);
            if (d.SourceAddress.Length > 0 && !Names.IsInternal(d.SourceAddress) && d.EventId is 4624 or 4625 or 0)
                keys.Member("X|" + d.SourceAddress, self);
            if (d.CloudArn.Length > 0) keys.Member("C|" + d.CloudArn, self);
        }

        // Network-level detections (a sweep seen by Zeek, a burst of failed logons from an address) name no account, process
        // or session: only the source address. They join the actor that was busy on the source host at that moment: the
        // process tree with the most process creations there in the two minutes before (and 30 s after), if any.
        for (int i = 0; i < facts.Count; i++)
        {
            var d = facts[i];
            if (hasProc[i] || d.Account.Length > 0 || d.CloudArn.Length > 0 || d.SourceAddress.Length == 0 || !Names.IsInternal(d.SourceAddress)) continue;
            var source = hostMap.HostOf(d.SourceAddress);
            if (source.Length == 0) continue;
            var busiest = px.Window(source, d.Ticks - TimeSpan.TicksPerMinute * 2, d.Ticks + TimeSpan.TicksPerSecond * 30)
                .Where(p => !Names.IsSystemLogon(px.LogonId(p)) || !ProcessIndex.IsHub(px.Image(px.Root(p))))
                .GroupBy(px.Root).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max()).FirstOrDefault();
            if (busiest is not null) keys.Member(LateralLinker.ProcKey(px, busiest.Key), i);
        }

        // Cloud credentials: an identity first used from a new address after a campaign searched for cloud keys (findstr
        // aws_secret_access_key, .aws\credentials) belongs to that campaign: the key was found, then used.
        onPhase?.Invoke(BuildPhase.Entities, $"entities ({facts.Count:N0} detections, {uf.Count:N0} nodes, {keys.Rows:N0} key rows in {keys.Runs:N0} runs, {keys.Texts:N0} key texts and hosts){Reads()}");
        CloudKeyLinks(facts, ctx, px, uf, keys, limits);

        // The account runs of the keys sorted (unions in another order give the same sets).
        accountRuns.Finish();

        // 2. Lateral movement joins source and target entities.
        using var laterals = LateralLinker.Find(ctx, px, hostMap, onPhase is null ? null : line => onPhase(BuildPhase.Linking, $"linking: {line}{Reads()}"), limits);
        var movements = laterals.Movements;
        // Every lookup by GUID, pid or host window is done: grouping and assembling need the processes themselves and their
        // trees, not the lookups over them (~40 bytes per process, freed before the grouping arrays are made).
        px.ReleaseLookups();
        onPhase?.Invoke(BuildPhase.Laterals, $"laterals ({laterals.Count:N0}){Reads()}");
        // A link with a target side joins all its keys (source side to target side, and the target's own keys: session and
        // service process belong together even without a source side): one node of its own, a member of each. A link with
        // no target side (explicit credentials only) joins nothing; which campaign it belongs to is asked per key (question
        // 2n + k: link n's key k; a link has at most two).
        var lateralNode = new int[movements.Count];
        for (int li = 0; li < movements.Count; li++)
        {
            var l = movements[li];
            lateralNode[li] = uf.Add();
            foreach (var a in l.FromKeys) keys.Member(a, lateralNode[li]);
            foreach (var b in l.ToKeys) keys.Member(b, lateralNode[li]);
        }
        for (int n = 0; n < laterals.ExplicitCount; n++)
        {
            var fromKeys = laterals.ExplicitKeys(n);
            for (int k = 0; k < fromKeys.Count; k++) keys.Query(fromKeys[k], KeyJoin.RowType.LateralQuery, 2 * n + k);
        }
        // The questions of the grouping below: the set of each tree (by its root), and of each process's session if it is a
        // network logon's.
        for (int i = 0; i < px.Count; i++)
        {
            if (px.Root(i) == i) keys.Query(LateralLinker.ProcKey(px, i), KeyJoin.RowType.TreeQuery, i);
            keys.Query(LateralLinker.SessionKey(px.Host(i), px.LogonId(i)), KeyJoin.RowType.SessionQuery, i);
        }

        // 3. Sets with detections are campaigns. Group g is numbered in order of its first detection (the order groups have
        // always been assembled in); its detections and its processes are (group, item) rows sorted in runs (ascending items
        // within a group), read group by group as they are assembled: no member arrays per detection and per process.
        SpillList<int>? groupOfRoot = null;
        int groupCount = 0;
        static int ByGroup(GroupItem a, GroupItem b) => a.Group != b.Group ? a.Group.CompareTo(b.Group) : a.Item.CompareTo(b.Item);
        using var memberRows = new ExternalSorter<GroupItem>("group-detections", ByGroup, limits.RunRows);
        using var procRows = new ExternalSorter<GroupItem>("group-processes", ByGroup, limits.RunRows);
        // The group of a union-find set, or -1 when the set holds no detection.
        int GroupOf(int root) => root >= 0 ? groupOfRoot![root] : -1;
        // The actor's processes (for tempo and theft): those in a tree or network session joined to the campaign. Per tree
        // root the group of its tree key; per process the group of its session key if a network logon's.
        using var treeGroup = limits.Table("tree-groups", px.Count, -1);
        using var procGroup = limits.Table("process-groups", px.Count, -1);
        // For links with no target side: each source key in a campaign, as (link, key, campaign) rows; the link's first key
        // (in order) that is in one gives the link's campaign. Rows, not a dictionary: most of a server's millions of 4648s
        // can be in campaigns.
        using var explicitHits = new ExternalSorter<ExplicitHit>("explicit-link-groups",
            (a, b) => a.Link != b.Link ? a.Link.CompareTo(b.Link) : a.Key.CompareTo(b.Key), limits.RunRows);
        keys.Resolve(uf, () =>
        {
            groupOfRoot = limits.Table("set-groups", uf.Count, -1);
            for (int i = 0; i < facts.Count; i++)
            {
                int root = uf.Find(i);
                int g = groupOfRoot[root];
                if (g < 0) groupOfRoot[root] = g = groupCount++;
                memberRows.Add(new GroupItem(g, i));
            }
        }, (type, id, root) =>
        {
            int g = GroupOf(root);
            if (g < 0) return;
            if (type == KeyJoin.RowType.TreeQuery) treeGroup[id] = g;
            else if (type == KeyJoin.RowType.SessionQuery) procGroup[id] = g;
            else
            {
                explicitHits.Add(new ExplicitHit(id >> 1, id & 1, g));
            }
        });
        onPhase?.Invoke(BuildPhase.Grouping, $"grouping ({groupCount:N0} groups){Reads()}");
        for (int i = 0; i < px.Count; i++)
        {
            int g = treeGroup[px.Root(i)];
            if (g < 0) g = procGroup[i];
            if (g >= 0) procRows.Add(new GroupItem(g, i));
        }
        treeGroup.Dispose();
        procGroup.Dispose();
        // Each campaign's links as (group, link) rows: link l < movements.Count is movement l, the others explicit-credential
        // link l - movements.Count. Made into objects only while their campaign is assembled.
        using var linkRows = new ExternalSorter<GroupItem>("group-links", ByGroup, limits.RunRows);
        for (int li = 0; li < movements.Count; li++)
            if (GroupOf(uf.Find(lateralNode[li])) is var g and >= 0) linkRows.Add(new GroupItem(g, li));
        int lastLink = -1;
        foreach (var hit in explicitHits.Sorted())
        {
            if (hit.Link == lastLink) continue; // a later key of a link already placed
            lastLink = hit.Link;
            linkRows.Add(new GroupItem(hit.Group, movements.Count + hit.Link));
        }
        Lateral LinkAt(int l) => l < movements.Count ? movements[l] : laterals.Explicit(l - movements.Count);
        groupOfRoot?.Dispose();
        groupOfRoot = null;

        using var env = new BuildEnv(ctx, px, hostMap, limits) { Checkpoint = onPhase is null ? null : stage => onPhase(BuildPhase.Working, stage) };
        onPhase?.Invoke(BuildPhase.Environment, "env");
        // Each group is assembled, judged and turned into its final model at once, so only the campaigns kept stay in memory
        // (a day's hunt assembles ~23,000 groups and keeps ~7,000; drafts carry working sets that the campaign does not need).
        // Kept campaigns go to a temporary file as they are built (see CampaignStore): only their rank keys stay in memory.
        var store = new CampaignStore();
        try
        {
            informationalOnly = 0;
            using var memberIt = memberRows.Sorted().GetEnumerator();
            using var procIt = procRows.Sorted().GetEnumerator();
            using var linkIt = linkRows.Sorted().GetEnumerator();
            bool moreMembers = memberIt.MoveNext(), moreProcs = procIt.MoveNext(), moreLinks = linkIt.MoveNext();
            // A group's detections and processes (positions in their stores): arrays, or files for a huge group.
            using var groupMembers = limits.List<int>("campaign detections");
            using var groupProcs = limits.List<int>("campaign processes");
            using var groupLinks = limits.List<int>("campaign links");
            int biggest = 0;   // members of the biggest group so far (a measuring point)
            for (int g = 0; g < groupCount; g++)
            {
                groupMembers.Clear();
                for (; moreMembers && memberIt.Current.Group == g; moreMembers = memberIt.MoveNext()) groupMembers.Add(memberIt.Current.Item);
                groupProcs.Clear();
                for (; moreProcs && procIt.Current.Group == g; moreProcs = procIt.MoveNext()) groupProcs.Add(procIt.Current.Item);
                groupLinks.Clear();
                for (; moreLinks && linkIt.Current.Group == g; moreLinks = linkIt.MoveNext()) groupLinks.Add(linkIt.Current.Item);
                using var d = Assemble(facts, groupMembers, groupProcs, groupLinks.Select(LinkAt), groupLinks.Count, env, limits);
                if (onPhase is not null && groupMembers.Count > Math.Max(10_000, biggest))
                {
                    biggest = groupMembers.Count;
                    onPhase(BuildPhase.Biggest, $"biggest campaign so far assembled ({groupMembers.Count:N0} detections, {groupProcs.Count:N0} processes){Reads()}");
                    GC.KeepAlive(d);
                }
                if (d.Kind == "suspicious" && d.Links.Count == 0 && d.Theft.Count == 0 && d.Levels.Keys.All(level => Tactics.LevelRank(level) == 0))
                {
                    informationalOnly++;
                    continue;
                }
                store.Add(d.ToCampaign("", limits), d.Score, d.First, d.DetectionIds[0]);
                d.Checkpoint?.Invoke("stored");
            }
            onPhase?.Invoke(BuildPhase.Assembled, $"assembled{Reads()}");
            // 4. Rank: score, then the earlier campaign, then the smaller first detection id (deterministic); ids C1.. by rank.
            return store.Rank();
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>For each fact, the first fact with the same <see cref="DetectionFact.EventKey"/>.</summary>
    private static int[] FirstOfEvent(IReadOnlyList<DetectionFact> facts)
    {
        var first = new int[facts.Count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < facts.Count; i++)
        {
            var key = facts[i].EventKey;
            if (!seen.TryGetValue(key, out first[i])) seen[key] = first[i] = i;
        }
        return first;
    }

    private static readonly System.Text.RegularExpressions.Regex CloudKeySearch = new(
        @"aws_secret_access_key|aws_access_key_id|\.aws[\\/]credentials|\bAKIA[0-9A-Z]{12,}|azure_client_secret|GOOGLE_APPLICATION_CREDENTIALS",
        System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Compiled);

    /// <summary>The last item of <paramref name="sorted"/> (ascending by <paramref name="time"/>) at or before
    /// <paramref name="ticks"/> and at most <paramref name="within"/> before it, or -1: what <c>FindLastIndex</c> with that
    /// condition gives, by halving (a stolen key used from 100K addresses asked once per address over every search).</summary>
    internal static int LatestWithin<T>(List<T> sorted, Func<T, long> time, long ticks, long within)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (time(sorted[mid]) <= ticks) lo = mid + 1; else hi = mid;
        }
        return lo > 0 && ticks - time(sorted[lo - 1]) <= within ? lo - 1 : -1;
    }

    private static void CloudKeyLinks(IReadOnlyList<DetectionFact> facts, ContextCollector ctx, ProcessIndex px, UnionFind uf, KeyJoin keys,
        BuildLimits limits)
    {
        // A search is a process tree (its key) or a detection (its node, Key null). Found first: most inputs have none, and
        // then the identities are not read at all.
        var searches = new List<(long Ticks, UnionFind.Key? Key, int Fact)>();
        for (int i = 0; i < px.Count; i++)
            if (CloudKeySearch.IsMatch(px.CommandLine(i))) searches.Add((px.Ticks(i), LateralLinker.ProcKey(px, i), -1));
        bool anyArn = false;
        for (int i = 0; i < facts.Count; i++)
        {
            var f = facts[i];
            if (f.CloudArn.Length > 0) anyArn = true;
            else if (CloudKeySearch.IsMatch(f.Detail)) searches.Add((f.Ticks, null, i));
        }
        if (searches.Count == 0 || !anyArn) return;
        searches.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
        // The identities of the detections, each at its first detection, joined by hash with each identity's first call from
        // each address: both sides are rows of sorts, so neither the identities (an agent minting a role session per call
        // is an identity per detection) nor the (identity, address) pairs (a theft through rotating proxies) are held.
        using var identities = new ExternalSorter<(UInt128 Arn, int Fact)>("cloud-key-identities", (a, b) => a.CompareTo(b), limits.RunRows);
        for (int i = 0; i < facts.Count; i++)
            if (facts[i].CloudArn is { Length: > 0 } arn) identities.Add((TextHash.Of(arn), i));
        using var calls = new ExternalSorter<(UInt128 Arn, ulong Address, long Ticks, int Position)>("cloud-key-calls", (a, b) => a.CompareTo(b), limits.RunRows);
        for (int i = 0; i < ctx.Cloud.Count; i++)
        {
            var address = ctx.Cloud.SourceAddress(i);
            if (address.Length == 0) continue;
            calls.Add((TextHash.Of(ctx.Cloud.Arn(i)), TextHash.Of64(address), ctx.Cloud.Ticks(i), i));
        }
        // A first use of an identity from an address: the latest key search in the 24 hours before it. Kept by the identity's
        // first detection, then time: the order the identities were first seen in, each one's first uses by time.
        using var uses = new ExternalSorter<(int First, long Ticks, int Position, int Search)>("cloud-key-uses", (a, b) => a.CompareTo(b), limits.RunRows);
        using (var ids = identities.Sorted().GetEnumerator())
        {
            bool moreIds = ids.MoveNext();
            UInt128 lastArn = default;
            ulong lastAddress = 0;
            bool any = false;
            int first = -1;
            foreach (var c in calls.Sorted())
            {
                // The rows of each (identity, address) come by time: the first is its first use.
                if (any && c.Arn == lastArn && c.Address == lastAddress) continue;
                if (!any || c.Arn != lastArn)
                {
                    while (moreIds && ids.Current.Arn < c.Arn) moreIds = ids.MoveNext();
                    first = moreIds && ids.Current.Arn == c.Arn ? ids.Current.Fact : -1;
                }
                (lastArn, lastAddress, any) = (c.Arn, c.Address, true);
                if (first < 0) continue;   // an identity no detection names
                int at = LatestWithin(searches, x => x.Ticks, c.Ticks, TimeSpan.TicksPerDay);
                if (at >= 0) uses.Add((first, c.Ticks, c.Position, at));
            }
        }
        // Two keys joined: a node of their own, a member of both (after the detections' memberships, as before).
        using var keyPairs = limits.List<(int Position, int Search)>("cloud key pairs", walked: true);
        foreach (var (_, _, position, at) in uses.Sorted())
        {
            var search = searches[at];
            if (search.Key is not null) keyPairs.Add((position, at));
            else keys.Member("C|" + ctx.Cloud.Arn(position), search.Fact);
        }
        foreach (var (position, at) in keyPairs)
        {
            int node = uf.Add();
            keys.Member("C|" + ctx.Cloud.Arn(position), node);
            keys.Member(searches[at].Key!.Value, node);
        }
    }

    /// <summary>The process on the host that ran a command naming <paramref name="name"/> in the two minutes before (net user X /add
    /// for the 4720 that followed), or -1.</summary>
    private static int CommandNaming(ProcessIndex px, string host, string name, long ticks)
    {
        if (name.Length < 3) return -1;
        int best = -1;
        foreach (int i in px.Window(host, ticks - TimeSpan.TicksPerMinute * 2, ticks + TimeSpan.TicksPerSecond * 5))
            if (px.CommandLine(i).Contains(name, StringComparison.OrdinalIgnoreCase)) best = i;
        return best;
    }

    /// <summary>The context indexed once for every campaign: per-campaign work looks up its own addresses and identities
    /// instead of scanning the whole context.</summary>
    internal sealed class BuildEnv(ContextCollector ctx, ProcessIndex px, AddressBook hosts, BuildLimits limits) : IDisposable
    {
        public ContextCollector Ctx { get; } = ctx;
        public ProcessIndex Px { get; } = px;
        /// <summary>Sizes of the temporary files and sorts that per-campaign work uses (a big campaign's lists, the operator
        /// analysis, the roots check, the theft finder).</summary>
        public BuildLimits Limits { get; } = limits;
        public AddressBook Hosts { get; } = hosts;
        /// <summary>Called between the stages of a big campaign's assembly (<see cref="BuildPhase.Working"/>), with the stage just done.</summary>
        public Action<string>? Checkpoint { get; init; }
        /// <summary>Flows by source address, by first contact.</summary>
        public StoreTimeIndex<Flow> FlowsBySource { get; } = FlowIndex(ctx.Flows, limits);
        /// <summary>Failed and successful logons by source address (rows in temporary files, see <see cref="LogonAddressIndex"/>).</summary>
        public LogonAddressIndex FailuresByAddress { get; } = new(ctx.Logons, 4625, withAccounts: false, limits);
        public LogonAddressIndex SuccessesByAddress { get; } = new(ctx.Logons, 4624, withAccounts: true, limits);
        // Read field by field: a whole record per logon (~120 bytes, most not 4672s) was 240 MB of garbage on 2M logons.
        private readonly HashSet<string> _privileged = Enumerable.Range(0, ctx.Logons.Count).Where(i => ctx.Logons.EventId(i) == 4672)
            .Select(i => Names.AccountKey(ctx.Logons.Account(i))).ToHashSet(StringComparer.Ordinal);
        /// <summary>An administrative account: adm/admin in its name, or given special privileges at logon (4672).</summary>
        public bool IsAdministrative(string account)
        {
            var k = Names.AccountKey(account);
            return k.StartsWith("adm", StringComparison.Ordinal) || k.Contains("admin", StringComparison.Ordinal) || k.EndsWith("-adm", StringComparison.Ordinal)
                || k.EndsWith("_adm", StringComparison.Ordinal) || _privileged.Contains(k);
        }
        /// <summary>Whether the account (key) ever logged on successfully from the address.</summary>
        public bool Succeeded(string address, string accountKey) => SuccessesByAddress.AnyFrom(address, accountKey);
        public StoreTimeIndex<CloudRec> CloudByArn { get; } = new(ctx.Cloud.Count, ctx.Cloud.Arn, ctx.Cloud.Ticks, i => ctx.Cloud[i], limits);
        public StoreTimeIndex<CloudRec> CloudByAddress { get; } = new(ctx.Cloud.Count, ctx.Cloud.SourceAddress, ctx.Cloud.Ticks, i => ctx.Cloud[i], limits);
        public ILookup<string, ServiceRec> ServicesByHost { get; } = ctx.Services.ToLookup(s => s.Host, StringComparer.Ordinal);
        /// <summary>(command, image) → (image name, template), see OperatorAnalyzer.</summary>
        public Dictionary<(string Command, string Image), (string Name, string Template)> CommandShapes { get; } = [];
        /// <summary>Characters held by <see cref="CommandShapes"/> (keys and values, each entry counted with 64 more).</summary>
        public long CommandShapeChars { get; set; }
        /// <summary>8M characters (16 MB): the shapes cache stops growing past it.</summary>
        public const long MaxCommandShapeChars = 8L << 20;

        public void Dispose()
        {
            FailuresByAddress.Dispose();
            SuccessesByAddress.Dispose();
            FlowsBySource.Dispose();
            CloudByArn.Dispose();
            CloudByAddress.Dispose();
        }
    }

    /// <summary>Flows by source address, by first contact (flows without a time left out).</summary>
    internal static StoreTimeIndex<Flow> FlowIndex(FlowStore flows, BuildLimits? limits = null) =>
        new(flows.Count, i => flows.First(i) == long.MaxValue ? "" : flows.Source(i), flows.First, i => flows[i], limits ?? BuildLimits.Default);

    /// <summary>The host a detection happened on: its own, else the host its internal source address belongs to (or the
    /// address itself).</summary>
    private static string HostOf(DetectionFact d, AddressBook hostMap) =>
        d.Host.Length > 0 ? d.Host : d.SourceAddress.Length > 0 && Names.IsInternal(d.SourceAddress)
            ? (hostMap.HostOf(d.SourceAddress) is { Length: > 0 } h ? h : d.SourceAddress) : "";

    private static bool TicksAscending(IReadOnlyList<DetectionFact> facts)
    {
        for (int i = 1; i < facts.Count; i++) if (facts[i].Ticks < facts[i - 1].Ticks) return false;
        return true;
    }

    private readonly record struct GroupItem(int Group, int Item);

    /// <summary>An explicit-credential link's source key <see cref="Key"/> (0 or 1) is in campaign <see cref="Group"/>.</summary>
    private readonly record struct ExplicitHit(int Link, int Key, int Group);

    /// <summary>A campaign's links, one per (from, to, account): its earliest record (by time, then link order), with the
    /// method of the earliest record that names a specific one (a tool, not just a network logon), in order of those
    /// earliest records: what sorting the links by time and grouping them gave, holding one entry per (from, to, account)
    /// instead of every link (a server's 4648s can be a million links in one campaign).</summary>
    internal static List<Lateral> FoldLinks(IEnumerable<Lateral> links)
    {
        var byKey = new Dictionary<(string, string, string), (Lateral First, long FirstSeq, Lateral? Specific)>();
        long seq = 0;
        foreach (var l in links)
        {
            var key = (l.From, l.To, l.Account);
            bool specific = !GenericMethods.Contains(l.Method);
            if (!byKey.TryGetValue(key, out var e)) e = (l, seq, specific ? l : null);
            else
            {
                if (l.Ticks < e.First.Ticks) e = (l, seq, e.Specific);
                if (specific && (e.Specific is null || l.Ticks < e.Specific.Ticks)) e = (e.First, e.FirstSeq, l);
            }
            byKey[key] = e;
            seq++;
        }
        return byKey.Values.OrderBy(e => e.First.Ticks).ThenBy(e => e.FirstSeq)
            .Select(e => e.Specific is { } s ? s with { Ticks = e.First.Ticks } : e.First).ToList();
    }

    /// <summary>A fact's place in its campaign's time order: time, then id, then store position.</summary>
    private readonly record struct FactOrder(long Ticks, long Id, int Position)
    {
        public static int Compare(FactOrder a, FactOrder b)
        {
            int c = a.Ticks.CompareTo(b.Ticks);
            if (c == 0) c = a.Id.CompareTo(b.Id);
            return c != 0 ? c : a.Position.CompareTo(b.Position);
        }
    }

    private static Draft Assemble(IReadOnlyList<DetectionFact> all, SpillList<int> members, SpillList<int> procs, IEnumerable<Lateral> laterals,
        int lateralCount, BuildEnv env, BuildLimits limits)
    {
        var d = new Draft(limits);
        try
        {
            Assemble(d, all, members, procs, laterals, lateralCount, env, limits);
            return d;
        }
        catch
        {
            d.Dispose();
            throw;
        }
    }

    private static void Assemble(Draft d, IReadOnlyList<DetectionFact> all, SpillList<int> members, SpillList<int> procs, IEnumerable<Lateral> laterals,
        int lateralCount, BuildEnv env, BuildLimits limits)
    {
        var store = all as FactStore;
        int bigGroup = limits.BigGroup;
        bool big = store is not null && members.Count > bigGroup;
        // A campaign past BigGroup detections, processes or movements is assembled in stages that leave garbage: between
        // them (and once it is stored) the caller may compact the heap.
        if (big || procs.Count > bigGroup || lateralCount > bigGroup) d.Checkpoint = env.Checkpoint;
        if (big)
        {
            // A big campaign: its facts in time order (then id, then position: the order below) read from the store on
            // demand, through their order and their sorted ids in lists that go to files past a few million (an agent
            // running commands at machine speed for a day is one campaign of millions of detections).
            var factOrder = d.Own(limits.List<int>("campaign fact order", members.Count));
            var ids = d.Own(limits.List<long>("campaign detection ids", members.Count));
            using (var byTime = new ExternalSorter<FactOrder>("campaign-facts", FactOrder.Compare, limits.RunRows))
            using (var byId = new ExternalSorter<long>("campaign-ids", (a, b) => a.CompareTo(b), limits.RunRows))
            {
                foreach (int position in members)
                {
                    long id = store!.IdAt(position);
                    byTime.Add(new FactOrder(store.TicksAt(position), id, position));
                    byId.Add(id);
                }
                foreach (var f in byTime.Sorted()) factOrder.Add(f.Position);
                foreach (long id in byId.Sorted()) ids.Add(id);
            }
            d.DetectionIds = ids;
            var lazy = new BlockCachedList<DetectionFact>(factOrder.Count, k => store![factOrder[k]]);
            d.Facts = lazy;
            d.FactHosts = new BlockCachedList<string>(factOrder.Count, k => HostOf(lazy[k], env.Hosts));
            d.Checkpoint?.Invoke("facts ordered");
        }
        else
        {
            // Each member is read once (from a store: rows of a temporary file, in ascending position), then ordered.
            var mine = new DetectionFact[members.Count];
            for (int k = 0; k < mine.Length; k++) mine[k] = all[members[k]];
            var hosts = new string[mine.Length];
            for (int k = 0; k < mine.Length; k++) hosts[k] = HostOf(mine[k], env.Hosts);
            var byTime = Enumerable.Range(0, mine.Length).OrderBy(k => mine[k].Ticks).ThenBy(k => mine[k].Id).ToList();
            d.Facts = byTime.Select(k => mine[k]).ToList();
            d.FactHosts = byTime.Select(k => hosts[k]).ToList();
        }
        var smallIds = big ? null : new List<long>(d.Facts.Count);
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            smallIds?.Add(f.Id);
            d.AddHost(d.FactHosts[k]);
            d.AddUser(f.Account);
            d.CloudIdentities.Add(f.CloudArn);
            if (f.SourceAddress.Length > 0) d.AddAddress(f.SourceAddress);
            if (f.DestAddress.Length > 0) d.AddAddress(f.DestAddress);
            d.Levels[f.Level.Length > 0 ? f.Level : "unknown"] = d.Levels.GetValueOrDefault(f.Level.Length > 0 ? f.Level : "unknown") + 1;
            foreach (var t in f.Tactics) d.TacticSet.Add(t);
            foreach (var t in f.Techniques) d.TechniqueSet.Add(t);
            if (f.Ticks != 0)
            {
                if (d.First == 0 || f.Ticks < d.First) d.First = f.Ticks;
                if (f.Ticks > d.Last) d.Last = f.Ticks;
            }
        }
        if (smallIds is not null)
        {
            smallIds.Sort();
            d.DetectionIds = smallIds;
        }
        if (procs.Count > bigGroup)
        {
            // Its processes by start time, then index (ascending in the group: what a stable sort by time gives), read on demand.
            var byTime = d.Own(limits.List<int>("campaign process order", procs.Count));
            using (var sorter = new ExternalSorter<(long Ticks, int Index)>("campaign-processes", (a, b) => a.CompareTo(b), limits.RunRows))
            {
                foreach (int i in procs) sorter.Add((env.Px.Ticks(i), i));
                foreach (var p in sorter.Sorted()) byTime.Add(p.Index);
            }
            d.Procs = new BlockCachedList<ProcRec>(byTime.Count, k => env.Px.Procs[byTime[k]]);
        }
        else d.Procs = procs.Select(i => env.Px.Procs[i]).OrderBy(p => p.Ticks).ToList();

        // Links: one per (from, to, account, method), the first time it happened, with the detections that show it.
        // Detections that show movement (lateral-movement tactic, remote services, WMI), in time order, for the links' evidence
        // (of a big campaign: their places in its time order, read on demand).
        static bool ShowsMovement(DetectionFact f) => f.Tactics.Contains("lateral-movement") || f.Techniques.Any(t =>
            t.StartsWith("T1021", StringComparison.Ordinal) || t == "T1047" || t.StartsWith("T1569", StringComparison.Ordinal));
        IReadOnlyList<DetectionFact> lateralFacts;
        if (big)
        {
            var places = d.Own(limits.List<int>("campaign movement detections"));
            for (int k = 0; k < d.Facts.Count; k++) if (ShowsMovement(d.Facts[k])) places.Add(k);
            var facts = d.Facts;
            lateralFacts = new BlockCachedList<DetectionFact>(places.Count, j => facts[places[j]]);
        }
        else lateralFacts = d.Facts.Where(ShowsMovement).ToList();
        // Several records of one movement (4648 by svchost and by WMIC, two logons) make one link with the most specific method.
        // Movement shown only by a detection's command line (the target's own logs may be absent) is added after: only from
        // high/critical detections (a PsExec or WMIC run against the host), since a lower one naming a host is often an
        // attempt (net use \\HOST while spraying passwords) and no evidence the actor got there.
        static bool CommandLink(DetectionFact f) => f.Tactics.Contains("lateral-movement") && f.Host.Length > 0 && Tactics.LevelRank(f.Level) >= 3;
        if (lateralCount > bigGroup)
        {
            // Many links (an actor moving to 1M hosts): folded, with their evidence, in files (see LinkTable).
            // Its texts in the hosts' table, if the hosts went to one (the draft owns both; the links never dispose it).
            var table = d.Own(LinkTable.Build(laterals, lateralFacts, env.Hosts, limits, d.Hosts.Texts, d.Checkpoint));
            d.Checkpoint?.Invoke("links built");
            for (int i = 0; i < table.Count; i++)
            {
                var (from, to, account, address) = table.Texts(i);
                d.AddHost(from);
                d.AddHost(to);
                d.AddUser(account);
                if (address.Length > 0) d.AddAddress(address);
            }
            table.AddCommandLinks(lateralFacts, CommandLink, d.AddHost, limits);
            d.Links = table;
        }
        else
        {
            var links = new List<HostLink>();
            var folded = FoldLinks(laterals);
            var evidence = LinkEvidence.Find(folded, lateralFacts, env.Hosts);
            for (int i = 0; i < folded.Count; i++)
            {
                var l = folded[i];
                d.AddHost(l.From.Length > 0 ? l.From : "");
                d.AddHost(l.To);
                d.AddUser(l.Account);
                if (l.SourceAddress.Length > 0) d.AddAddress(l.SourceAddress);
                links.Add(new HostLink(l.From.Length > 0 ? l.From : l.SourceAddress, l.To, l.Account, l.Method, Time(l.Ticks), l.SourceAddress, evidence[i]));
            }
            var linked = new HashSet<(string, string)>(links.Select(x => (x.FromHost, x.ToHost)));
            foreach (var f in lateralFacts)
            {
                if (!CommandLink(f)) continue;
                foreach (var target in CommandTargets(f.Detail))
                {
                    if (target == f.Host || !linked.Add((f.Host, target))) continue;
                    d.AddHost(target);
                    links.Add(new HostLink(f.Host, target, f.Account, LateralLinker.MethodOfCommand(f.Detail) ?? "remote-execution", f.Time, "", [f.Id]));
                }
            }
            d.Links = links;
        }
        if (d.Links.Count > 0 && d.First == 0) d.First = d.Links.Min(l => l.Time.Ticks);
        // Hosts in the order first touched, by detections or by movement (the source of a link is touched at its time).
        IEnumerable<(string, long)> Touches()
        {
            for (int k = 0; k < d.Facts.Count; k++) yield return (d.FactHosts[k], d.Facts[k].Ticks);
            foreach (var l in d.Links)
            {
                yield return (l.FromHost, l.Time.Ticks - 1);
                yield return (l.ToHost, l.Time.Ticks);
            }
            foreach (var p in d.Procs) yield return (p.Host, p.Ticks);
        }
        d.Hosts.Reorder(Touches());
        d.Checkpoint?.Invoke("hosts ordered");
        foreach (var h in d.Hosts)
            foreach (var a in env.Hosts.FirstAddresses(h)) d.AddAddress(a);
        TheftFinder.Find(d, env);
        foreach (var t in d.Theft) if (t.Destination.Length > 0 && Names.Address(t.Destination).Length > 0) d.AddAddress(t.Destination);
        d.SealLists();
        d.Checkpoint?.Invoke("lists sealed");
        d.Operator = OperatorAnalyzer.Analyze(d, env);
        CampaignScorer.Classify(d, env);
        d.Summary = SummaryWriter.Write(d);
        // A big campaign's steps are folded again whenever they are walked (once, by the campaign store).
        d.Steps = big ? new EnumeratedList<CampaignStep>(() => Fold(d)) : Fold(d).ToList();
    }

    internal static readonly HashSet<string> GenericMethods = ["network-logon", "explicit-credentials", "smb", "remote-execution"];

    /// <summary>Whether a detection on a link's source host is about its target: it names the target (its command line or
    /// other detail, as a word), or its explicit credentials were for it (4648's target server), or it connected to one of
    /// the target's addresses. Other movement detections on the source in the same minutes are not this link's evidence: a
    /// source reaching a new target every 50 ms has thousands in ten minutes, each link listed them all (10,000 targets:
    /// 84M ids, 5.8 GB), and a link to one host listed commands run against the others.</summary>
    internal static bool Targets(DetectionFact f, string target, AddressBook hosts) =>
        f.TargetServer == target || NamesHost(f.Detail, target) || (f.DestAddress.Length > 0 && hosts.IsAt(f.DestAddress, target));

    /// <summary>Whether <paramref name="detail"/> names <paramref name="host"/> as a word (ignoring case; a '.' may follow,
    /// as in HOST.corp.example).</summary>
    internal static bool NamesHost(string detail, string host)
    {
        if (host.Length == 0) return false;
        for (int at = detail.IndexOf(host, StringComparison.OrdinalIgnoreCase); at >= 0;
             at = detail.IndexOf(host, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            int end = at + host.Length;
            if ((at == 0 || !NamePart(detail[at - 1])) && (end == detail.Length || !NamePart(detail[end]))) return true;
        }
        return false;
    }

    /// <summary>Whether <paramref name="ch"/> may be part of a host name (a name starts and ends next to none).</summary>
    internal static bool NamePart(char ch) => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '$';

    /// <summary>Host names a command line targets: \\NAME, /node:NAME, -ComputerName NAME.</summary>
    internal static IEnumerable<string> CommandTargets(string cmd)
    {
        var found = new List<string>();
        foreach (var m in System.Text.RegularExpressions.Regex.Matches(cmd,
                     @"(?:\\\\|/node:""?|-ComputerName\s+""?|\s/s\s+)([A-Za-z0-9][A-Za-z0-9\-_.]{0,62})", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
                     .Cast<System.Text.RegularExpressions.Match>())
        {
            var raw = m.Groups[1].Value;
            var h = Names.IsAddress(raw) ? "" : Names.Host(raw);
            if (h.Length > 0 && h is not ("LOCALHOST" or "127" or "*") && !found.Contains(h)) found.Add(h);
        }
        return found;
    }

    /// <summary>Steps in time order; a run of consecutive equal detections (same rule, host and account) is one step with a count.</summary>
    private static IEnumerable<CampaignStep> Fold(Draft d)
    {
        CampaignStep? cur = null;
        string curKey = "";
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            var host = d.FactHosts[k];
            var key = f.RuleId + "|" + host + "|" + Names.AccountKey(f.Account);
            if (cur is not null && key == curKey) { cur = cur with { Count = cur.Count + 1 }; continue; }
            if (cur is not null) yield return cur;
            var tactic = f.Tactics.OrderBy(t => Array.IndexOf(Tactics.Chain, t) is int x and >= 0 ? x : 99).ThenBy(t => Tactics.Order[t]).FirstOrDefault() ?? "";
            cur = new CampaignStep(f.Time, host, f.Account, tactic, f.Techniques.FirstOrDefault() ?? "", f.RuleId, f.RuleTitle, f.Level, f.Id, 1, f.Detail);
            curKey = key;
        }
        if (cur is not null) yield return cur;
    }

    internal static DateTime Time(long ticks) => new(ticks, DateTimeKind.Utc);
}

/// <summary>A campaign while it is being assembled.</summary>
internal sealed class Draft : IDisposable
{
    /// <summary>Ids of the detections, ascending.</summary>
    public IReadOnlyList<long> DetectionIds = [];
    /// <summary>Lists in temporary files the draft's lists read from: disposed with the draft (after the campaign store
    /// wrote the campaign).</summary>
    private readonly List<IDisposable> _owned = [];
    public readonly CampaignHosts Hosts;
    /// <summary>Accounts (distinct by <see cref="Names.AccountKey"/>) and addresses, in the order first seen: bounded lists
    /// (a brute force from millions of addresses is one campaign), read once <see cref="SealLists"/> ran.</summary>
    public readonly DistinctTexts Users, Addresses;
    /// <summary>The cloud identities (ARNs) of the detections, in the order first seen: the theft finder reads them before
    /// <see cref="SealLists"/> (<see cref="DistinctTexts.Added"/>), the operator analysis after.</summary>
    public readonly DistinctTexts CloudIdentities;
    public readonly Dictionary<string, long> Levels = new(StringComparer.Ordinal);
    public readonly HashSet<string> TacticSet = new(StringComparer.Ordinal);
    public readonly SortedSet<string> TechniqueSet = new(StringComparer.Ordinal);
    /// <summary>The links in order (a big campaign's in files: <see cref="LinkTable"/>).</summary>
    public IReadOnlyList<HostLink> Links = [];
    /// <summary>The theft steps by time (in files past their lists' budgets: <see cref="TheftTable"/>), readable once the
    /// theft finder sealed them.</summary>
    public readonly TheftTable Theft;
    /// <summary>The detections in time order (for a big campaign read from the fact store on demand, see
    /// <see cref="BlockCachedList{T}"/>: never compare them by reference).</summary>
    public IReadOnlyList<DetectionFact> Facts = [];
    public IReadOnlyList<string> FactHosts = [];
    public IReadOnlyList<ProcRec> Procs = [];
    public long First, Last;
    /// <summary>The build's <see cref="CampaignBuilder.BuildEnv.Checkpoint"/> for a big campaign (null for the others): called
    /// between the stages of its assembly.</summary>
    public Action<string>? Checkpoint;
    public OperatorVerdict Operator = null!;
    public string Kind = "suspicious";
    public double Score;
    public string Summary = "";
    public IReadOnlyList<CampaignStep> Steps = [];

    public DateTime FirstSeen => CampaignBuilder.Time(First);

    public Draft(BuildLimits limits)
    {
        Hosts = Own(new CampaignHosts(limits));
        Users = Own(limits.Texts("campaign-accounts", Names.AccountKey));
        Addresses = Own(limits.Texts("campaign-addresses"));
        CloudIdentities = Own(limits.Texts("campaign-cloud-identities"));
        Theft = Own(new TheftTable(limits));
    }

    public T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
        _owned.Clear();
    }

    public void AddHost(string h) => Hosts.Add(h);
    public void AddUser(string u) => Users.Add(u);
    public void AddAddress(string a) => Addresses.Add(a);

    /// <summary>Every account and address is added: the lists can be read.</summary>
    public void SealLists()
    {
        Users.Seal();
        Addresses.Seal();
        CloudIdentities.Seal();
    }

    public IEnumerable<string> OrderedTactics => TacticSet.OrderBy(t => Tactics.Order[t]);

    /// <summary>The campaign, for the campaign store to write before the draft is disposed: its lists may read the draft's
    /// files.</summary>
    public Campaign ToCampaign(string id, BuildLimits limits)
    {
        IReadOnlyList<string> intern, ext;
        if (!Addresses.Spilled)
        {
            intern = Addresses.Where(Names.IsInternal).ToList();
            ext = Addresses.Where(a => !Names.IsInternal(a)).ToList();
        }
        else
        {
            // Millions of addresses: each side is the places of its addresses in the whole list.
            var internalAt = Own(limits.List<int>("campaign internal addresses"));
            var externalAt = Own(limits.List<int>("campaign external addresses"));
            for (int i = 0; i < Addresses.Count; i++) (Names.IsInternal(Addresses[i]) ? internalAt : externalAt).Add(i);
            intern = new ListSubset<string>(Addresses, internalAt);
            ext = new ListSubset<string>(Addresses, externalAt);
        }
        return new()
        {
            Id = id,
            Score = Math.Round(Score, 1),
            Kind = Kind,
            Hosts = Hosts,
            Users = Users,
            InternalAddresses = intern,
            ExternalAddresses = ext,
            Tactics = OrderedTactics.ToList(),
            Techniques = TechniqueSet.ToList(),
            FirstSeen = CampaignBuilder.Time(First),
            LastSeen = CampaignBuilder.Time(Math.Max(First, Last)),
            DetectionIds = DetectionIds,
            Levels = Levels,
            Operator = Operator,
            Summary = Summary,
            Steps = Steps,
            Links = Links,
            Theft = Theft,
        };
    }
}
