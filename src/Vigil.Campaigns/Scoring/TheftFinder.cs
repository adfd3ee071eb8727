using Vigil.IO;
using System.Text.RegularExpressions;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Scoring;

/// <summary>
/// Customer-data theft in a campaign: database exports and password-protected archives (command lines of its
/// detections and of its actor's processes), bulk cloud reads and snapshot sharing (CloudTrail calls of its
/// identities or addresses), and uploads: a campaign host sending to an external address it had never contacted
/// before in the input (first contact at or after the campaign began), with at least <see cref="UploadBytes"/>
/// bytes (Zeek orig_bytes), or named by an exfiltration detection.
/// </summary>
internal static partial class TheftFinder
{
    public const long UploadBytes = 50L * 1024 * 1024;
    public const int BulkReads = 20;

    [GeneratedRegex(@"\bbcp(\.exe)?""?\s.*\b(out|queryout)\b|sqlcmd(\.exe)?""?\s.*select\s+\*|invoke-sqlcmd.*select\s+\*|\bpg_dump(all)?\b|\bmysqldump\b|\bmongo(dump|export)\b|\bexpdp\b|sqlcmd(\.exe)?""?\s.*\s-o\s", RegexOptions.IgnoreCase)]
    private static partial Regex DbExport();

    [GeneratedRegex(@"\b(7z|7za|7zr|rar|winrar)(\.exe)?""?\s+a\b.*\s-h?p\S|\bzip(\.exe)?""?\s.*(\s-P\s|--password)|compress-7zip\b.*-password|-mhe=on", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordArchive();

    /// <summary>Finds the campaign's theft steps into <see cref="Draft.Theft"/> (in the order found; sealed, so by time).</summary>
    public static void Find(Draft d, CampaignBuilder.BuildEnv env)
    {
        // (A step equal to an earlier one in kind, host, detail and destination is dropped when the table is sealed.)
        var theft = d.Theft;
        var limits = env.Limits;
        using var staging = new Staging(d, limits);
        Commands(d, theft, staging, limits);
        d.Checkpoint?.Invoke("theft: commands");

        // Uploads to addresses never contacted before the campaign.
        // (The addresses are not sealed yet, theft destinations join them below: Added may repeat one past the memory limit,
        // which neither a set nor the first-found positions of the cloud calls below change.)
        var internalAddrs = new HashSet<string>(d.Addresses.Added().Where(Names.IsInternal).Distinct(StringComparer.Ordinal).Take(Operator.OperatorAnalyzer.MaxAddresses * 4), StringComparer.Ordinal);
        var (from, to) = Span(d);
        // (Nothing to look at in most campaigns: no internal address, no exfiltration detection.)
        using (var exfil = new ExfilIndex(d.Facts, f => f.Tactics.Contains("exfiltration") && f.DestAddress.Length > 0 && !Names.IsInternal(f.DestAddress), limits))
        {
            d.Checkpoint?.Invoke("theft: exfiltration destinations");
            if (internalAddrs.Count > 0 || exfil.Count > 0) Uploads(d, env, theft, staging, internalAddrs, exfil);
        }

        // Cloud: bulk object reads and snapshot sharing by the campaign's identities or from its external addresses.
        var ext = d.Addresses.Added().Where(a => !Names.IsInternal(a));
        // (The campaign's cloud identities, in the order first seen: an agent minting a role session per call is an identity
        // per detection, past the list's memory in files.)
        var arns = d.CloudIdentities.Added();
        if (arns.Any() || ext.Any())
        {
            // A call found by identity and by address counts once (by its store position, in the order first found), then
            // calls by time (a stable sort). Calls are read from the store one at a time, not held: a bulk theft is
            // millions of GetObject calls. Kept per read: its time (for the peak) and per source address a count.
            var cloud = env.Ctx.Cloud;
            // Positions with the order they were found in, sorted by position: the first of each is kept; then by time and that
            // order. Both sorts go to files in runs past limits.RunRows rows, so no list of the calls is held.
            using var firstFound = new ExternalSorter<(int Position, int Order)>("theft-cloud-found", (a, b) => a.CompareTo(b), limits.RunRows);
            int order = 0;
            // (An identity listed again past the memory limit finds its calls again, at later orders: the first is kept.)
            foreach (var a in arns) foreach (int p in env.CloudByArn.Positions(a, from, to)) firstFound.Add((p, order++));
            foreach (var a in ext) foreach (int p in env.CloudByAddress.Positions(a, from, to)) firstFound.Add((p, order++));
            using var byTime = new ExternalSorter<(long Ticks, int Order, int Position)>("theft-cloud-calls", (a, b) => a.CompareTo(b), limits.RunRows);
            int previous = -1;
            foreach (var (p, o) in firstFound.Sorted())
            {
                if (p == previous) continue;
                previous = p;
                byTime.Add((cloud.Ticks(p), o, p));
            }
            using var readTicks = limits.List<long>("theft cloud reads");
            long bytes = 0;
            var buckets = new List<string>();
            // Per source address of the reads: how many, and when first seen among them (ties go to the first seen).
            using var readsFrom = new ReadSources(limits);
            var shares = new List<DataTheft>();
            foreach (var (_, _, position) in byTime.Sorted())
            {
                var c = cloud[position];
                if (c.Failed) continue;
                if (c.EventName == "GetObject")
                {
                    readTicks.Add(c.Ticks);
                    bytes += c.Bytes;
                    var bucket = c.Target.Split('/')[0];
                    if (bucket.Length > 0 && buckets.Count < 3 && !buckets.Contains(bucket)) buckets.Add(bucket);
                    readsFrom.Add(c.SourceAddress, position);
                }
                else if (c.EventName is "ModifySnapshotAttribute" or "ModifyDBSnapshotAttribute" or "ModifyDBClusterSnapshotAttribute")
                    shares.Add(new DataTheft(CampaignBuilder.Time(c.Ticks), "cloud", "snapshot-share", c.EventName + " " + c.Target, 0, c.SourceAddress, []));
            }
            int peak = PeakIn(readTicks, TimeSpan.TicksPerMinute * 10);
            if (readTicks.Count > 0 && (peak >= BulkReads || bytes >= UploadBytes))
            {
                var mostReads = cloud.SourceAddress(readsFrom.MostReadsAt());
                var read = new DataTheft(CampaignBuilder.Time(readTicks[0]), "cloud", "cloud-bulk-read",
                    $"{readTicks.Count} GetObject calls (up to {peak} in 10 minutes) from {string.Join(", ", buckets)}" + (bytes > 0 ? $", {Mb(bytes)}" : ""),
                    bytes, mostReads, []);
                // The ids ascending, sorted in files past a run (an agent's bulk read is millions of detections).
                using var sorter = new ExternalSorter<long>("theft cloud read detection ids", (a, b) => a.CompareTo(b), limits.RunRows);
                for (int k = 0; k < d.Facts.Count; k++)
                {
                    var f = d.Facts[k];
                    if (f.Detail.StartsWith("GetObject", StringComparison.Ordinal)) sorter.Add(f.Id);
                }
                theft.Add(read.Time.Ticks, read.Host, read.Kind, read.Detail, read.Bytes, read.Destination, sorter.Sorted());
            }
            foreach (var t in shares) theft.Add(t.Time.Ticks, t.Host, t.Kind, t.Detail, t.Bytes, t.Destination, t.DetectionIds);
        }
        theft.Seal();
        d.Checkpoint?.Invoke("theft: sealed");
    }

    /// <summary>The times a campaign's uploads and cloud reads may start in: from a minute before its first step to 30 minutes
    /// after its last (any time for a campaign without times).</summary>
    private static (long From, long To) Span(Draft d) =>
        d.First == 0 ? (long.MinValue, long.MaxValue) : (d.First - TimeSpan.TicksPerMinute, d.Last + 30 * TimeSpan.TicksPerMinute);

    /// <summary>
    /// Uploads: flows of the campaign's internal addresses to external ones (and flows its exfiltration detections name)
    /// that are large and new after staging, or named; then each destination the detections name that no flow shows, as
    /// an upload of all its detections. <paramref name="exfil"/>: the exfiltration detections by destination, in files (an
    /// agent's upload to 500,000 endpoints names 500,000 destinations).
    /// </summary>
    private static void Uploads(Draft d, CampaignBuilder.BuildEnv env, TheftTable theft, Staging staging, HashSet<string> internalAddrs, ExfilIndex exfil)
    {
        var limits = env.Limits;
        // The uploads that list detections, as rows of a sort by (destination, upload), read once at the end.
        using var uploadIds = new ExternalSorter<UploadIds>("theft-upload-ids", UploadIds.Compare, limits.RunRows);
        // Which named destinations have an upload from a flow (a byte per destination).
        using var uploaded = limits.Table<byte>("theft uploaded destinations", exfil.Count, 0);
        var (from, to) = Span(d);
        // The flows to judge, by store position, each once (the first time found): the campaign's internal addresses', then
        // those an exfiltration detection names, whenever they started. Through two sorts, not a list and a set: a scanning
        // host has millions of flows.
        using var found = new ExternalSorter<(int Position, int Order)>("theft-flows-found", (a, b) => a.CompareTo(b), limits.RunRows);
        int foundOrder = 0;
        foreach (var a in internalAddrs)
            foreach (int p in env.FlowsBySource.Positions(a, from, to)) found.Add((p, foundOrder++));
        foreach (var (source, dest) in exfil.NamedPairs(d.Facts))
            if (env.Ctx.Flows.TryGetPosition(source, dest, out int named)) found.Add((named, foundOrder++));
        using var flowOrder = new ExternalSorter<(int Order, int Position)>("theft-flows", (a, b) => a.CompareTo(b), limits.RunRows);
        int lastPosition = -1;
        foreach (var (p, o) in found.Sorted())
        {
            if (p == lastPosition) continue;
            lastPosition = p;
            flowOrder.Add((o, p));
        }
        foreach (var (_, position) in flowOrder.Sorted())
        {
            var flow = env.Ctx.Flows[position];
            if (Names.IsInternal(flow.Dest)) continue;
            // The transfer must start while the campaign runs (or within 30 minutes after its last step): a host that a
            // benign job touched at night is not blamed for an upload in the afternoon.
            if (d.First != 0 && (flow.First < from || flow.First > to) && flow.First != long.MaxValue) continue;
            bool novel = d.First == 0 || flow.First >= from;
            // Volume alone does not make a campaign the uploader (Zeek does not say which process sent it): the campaign
            // must have staged data on that host first (an export, an archive, a collection step) in the two hours before.
            var hostOf = env.Hosts.HostOf(flow.Source);
            bool big = flow.OrigBytes >= UploadBytes && staging.Before(hostOf, flow.First);
            var host = hostOf.Length > 0 ? hostOf : flow.Source;
            // Named by an exfiltration detection on this same host (or from this address).
            int dest = exfil.Find(flow.Dest, out var destRow);
            ulong hostHash = TextHash.Of64(host), sourceHash = TextHash.Of64(flow.Source);
            bool byHost = dest >= 0 && exfil.NamedByHost(destRow, hostHash), fromSource = dest >= 0 && exfil.NamedFrom(destRow, sourceHash);
            bool named = byHost || fromSource;
            if (!(novel && big) && !named) continue;
            var ports = string.Join(",", flow.Ports.Take(4));
            var what = $"{flow.Count} connection{(flow.Count == 1 ? "" : "s")} to {flow.Dest}" + (ports.Length > 0 ? $" port {ports}" : "")
                + (flow.OrigBytes > 0 ? $", {Mb(flow.OrigBytes)} sent" : "") + (novel ? ", first contact in the data" : "");
            // (A step equal to an earlier one is dropped when the table is sealed, its ids with it.)
            int upload = theft.AddUpload((flow.First == long.MaxValue ? d.First : flow.First), host, what, flow.OrigBytes, flow.Dest);
            if (dest >= 0) uploaded[dest] = 1;
            if (named) uploadIds.Add(new UploadIds(dest, upload, byHost, hostHash, fromSource, sourceHash, false));
        }
        d.Checkpoint?.Invoke("theft: uploads found");
        // Destinations no flow shows an upload to: an upload of all their detections, as first named.
        foreach (int dest in exfil.InOrderNamed())
            if (uploaded[dest] == 0)
            {
                var x = exfil[dest];
                var first = d.Facts[x.FirstAt];
                uploadIds.Add(new UploadIds(dest, theft.AddUpload(first.Ticks, first.Host, first.Detail, x.Bytes, first.DestAddress), false, 0, false, 0, true));
            }
        // Each upload's ids: those of its destination that it selects, ascending.
        foreach (var u in uploadIds.Sorted())
            foreach (var row in exfil.Rows(u.Dest))
                if (u.Takes(row)) theft.AddUploadId(u.Upload, row.Id);
        d.Checkpoint?.Invoke("theft: upload ids");
    }

    /// <summary>
    /// The export and archive commands: the detections' own, then the actor's processes that no detection covered, as theft
    /// steps and as staging.
    /// <list type="bullet">
    /// <item>Detections of one command (Sysmon 1 and 4688, several rules) make one step: per (host, command), those within
    /// 5 seconds of its first; a run of it more than 5 seconds later begins a new step that replaces it (the last run
    /// stands). Through a sort by (hash of host and command, place), then by first place: an agent archiving every file
    /// on its own is a command per detection (a dictionary of them was ~200 bytes each, and the processes below were
    /// compared with every step: 80,000 took 17 s, quadratic).</item>
    /// <item>A process of the actor with an export or archive command is a step unless a step of the same kind on its host
    /// is within 5 seconds of it: a detection's (sorted rows, searched by halving), or the last process step before it
    /// (the processes come by time).</item>
    /// </list>
    /// A step equal to an earlier one (kind, host and command) is left out here, not only when the table is sealed: it must not
    /// hide a process within 5 seconds of it either. The steps' hashes are a <see cref="HashRuns"/>: the newest 262,144 in
    /// memory, the rest in sorted files.
    /// </summary>
    internal static void Commands(Draft d, TheftTable theft, Staging staging, BuildLimits limits)
    {
        using var seen = new HashRuns("theft-command-steps-seen", limits);
        bool IsNew(string kind, string host, string detail) => seen.Add(TextHash.Of(kind, host, detail, ""));
        using var runs = new ExternalSorter<(UInt128 Key, int At, long Ticks, long Id)>("theft-commands", (a, b) => a.CompareTo(b), limits.RunRows);
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            if (CommandKind(f.Detail) is not null) runs.Add((TextHash.Of(d.FactHosts[k], f.Detail), k, f.Ticks, f.Id));
        }
        // (Most campaigns run no export or archive command.)
        using var detected = runs.Count > 0 ? DetectedSteps(d, runs, theft, IsNew, staging, limits) : null;
        // Per (host, kind): the time of its last process step.
        var lastStep = new Dictionary<UInt128, long>();
        foreach (var p in d.Procs)
        {
            var kind = CommandKind(p.CommandLine);
            if (kind is null) continue;
            var hostKind = TextHash.Of(p.Host, kind);
            if (detected is not null)
            {
                int i = detected.LowerBound((hostKind, p.Ticks - SameCommand), static (r, k) => r.CompareTo(k) < 0);
                if (i < detected.Count && detected[i].HostKind == hostKind && detected[i].Ticks <= p.Ticks + SameCommand) continue;
            }
            if (lastStep.TryGetValue(hostKind, out long last) && p.Ticks - last <= SameCommand) continue;
            var detail = p.CommandLine.Length > 300 ? p.CommandLine[..300] + "…" : p.CommandLine;
            if (!IsNew(kind, p.Host, detail)) continue;
            theft.Add(p.Ticks, p.Host, kind, detail, 0, "", []);
            lastStep[hostKind] = p.Ticks;
            staging.Step(p.Host, p.Ticks);
        }
    }

    /// <summary>The detections' export and archive steps (see <see cref="Commands"/>) from their rows sorted by (hash of host
    /// and command, place): added to the table and the staging, and returned as (hash of host and kind, time) rows to search
    /// (null without steps).</summary>
    private static SortedRows<(UInt128 HostKind, long Ticks)>? DetectedSteps(Draft d, ExternalSorter<(UInt128 Key, int At, long Ticks, long Id)> runs,
        TheftTable theft, Func<string, string, string, bool> isNew, Staging staging, BuildLimits limits)
    {
        // Each command's last run: its first place, and its ids (ascending) as a range of one list.
        using var ids = limits.List<long>("theft command detection ids", walked: true);
        using var steps = new ExternalSorter<(int First, int IdsAt, int IdsCount)>("theft-command-steps", (a, b) => a.CompareTo(b), limits.RunRows);
        var run = new List<long>();
        bool any = false;
        UInt128 key = default;
        int first = 0;
        long firstTicks = 0;
        void End()
        {
            run.Sort();
            steps.Add((first, ids.Count, run.Count));
            foreach (long id in run) ids.Add(id);
            run.Clear();
        }
        foreach (var r in runs.Sorted())
        {
            if (any && r.Key == key && r.Ticks - firstTicks <= SameCommand) { run.Add(r.Id); continue; }
            if (any && r.Key == key) run.Clear();   // a later run replaces this one
            else if (any) End();
            (any, key, first, firstTicks) = (true, r.Key, r.At, r.Ticks);
            run.Add(r.Id);
        }
        if (any) End();
        using var kinds = new ExternalSorter<(UInt128 HostKind, long Ticks)>("theft-command-times", (a, b) => a.CompareTo(b), limits.RunRows);
        foreach (var (at, idsAt, count) in steps.Sorted())
        {
            var f = d.Facts[at];
            var host = d.FactHosts[at];
            var kind = CommandKind(f.Detail)!;
            if (!isNew(kind, host, f.Detail)) continue;
            theft.Add(f.Ticks, host, kind, f.Detail, 0, "", ids.Slice(idsAt, count));
            kinds.Add((TextHash.Of(host, kind), f.Ticks));
            staging.Step(host, f.Ticks);
        }
        if (kinds.Count == 0) return null;
        var detected = new SortedRows<(UInt128 HostKind, long Ticks)>("theft-command-times", limits.PageRows, limits.CachePages);
        foreach (var row in kinds.Sorted()) detected.Add(row);
        return detected;
    }

    /// <summary>Detections of one command this close to its first are one step; a process this close to a step of its kind
    /// on its host is that step.</summary>
    private const long SameCommand = 5 * TimeSpan.TicksPerSecond;

    /// <summary>An upload that lists exfiltration detections: its destination (a place in the <see cref="ExfilIndex"/>) and its
    /// number in the table, and what selects its ids among the destination's: those of a host or from a source address (by
    /// hash), or all of them.</summary>
    private readonly record struct UploadIds(int Dest, int Upload, bool ByHost, ulong Host, bool FromSource, ulong Source, bool All)
    {
        public bool Takes(ExfilIndex.Row row) => All || (ByHost && row.Host == Host) || (FromSource && row.Source == Source);

        public static int Compare(UploadIds a, UploadIds b) => a.Dest != b.Dest ? a.Dest.CompareTo(b.Dest) : a.Upload.CompareTo(b.Upload);
    }

    /// <summary>Words one of the patterns needs: most commands have none, and skip the regular expressions.</summary>
    private static readonly System.Buffers.SearchValues<string> Keywords = System.Buffers.SearchValues.Create(
        ["bcp", "sqlcmd", "pg_dump", "mysqldump", "mongo", "expdp", "7z", "rar", "zip", "-mhe"], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether a campaign staged data on a host in the two hours before a large transfer (to a minute after): an export or
    /// archive step it took, or a detection of medium level or above tagged collection or exfiltration. The detections'
    /// (host, time) are sorted once, on the first large transfer, into rows searched per transfer (each transfer scanned
    /// every detection of the campaign before: a backup server's uploads times a big campaign's detections).
    /// </summary>
    internal sealed class Staging(Draft d, BuildLimits limits) : IDisposable
    {
        /// <summary>The export and archive steps (host hash, time), sorted with the detections when first searched (a list of
        /// them was scanned per transfer: an agent archiving every file, times a backup server's transfers).</summary>
        private ExternalSorter<(ulong Host, long Ticks)>? _steps = new("theft-staging", (a, b) => a.CompareTo(b), limits.RunRows);
        private SortedRows<(ulong Host, long Ticks)>? _rows;

        /// <summary>An export or archive step (all are given before any upload is looked at).</summary>
        public void Step(string host, long ticks)
        {
            if (_steps is null) throw new InvalidOperationException("staging steps added after the first search");
            _steps.Add((TextHash.Of64(host), ticks));
        }

        public bool Before(string host, long ticks)
        {
            long from = ticks - 2 * TimeSpan.TicksPerHour, to = ticks + TimeSpan.TicksPerMinute;
            var rows = _rows ??= Build();
            var key = (TextHash.Of64(host), from);
            int i = rows.LowerBound(key, static (r, k) => r.CompareTo(k) < 0);
            return i < rows.Count && rows[i].Host == key.Item1 && rows[i].Ticks <= to;
        }

        private SortedRows<(ulong Host, long Ticks)> Build()
        {
            using var sorter = _steps!;
            _steps = null;
            for (int k = 0; k < d.Facts.Count; k++)
            {
                var f = d.Facts[k];
                if (Tactics.LevelRank(f.Level) >= 2 && f.Tactics.Any(t => t is "collection" or "exfiltration"))
                    sorter.Add((TextHash.Of64(d.FactHosts[k]), f.Ticks));
            }
            var rows = new SortedRows<(ulong Host, long Ticks)>("theft-staging", limits.PageRows, limits.CachePages);
            foreach (var r in sorter.Sorted()) rows.Add(r);
            return rows;
        }

        public void Dispose()
        {
            _steps?.Dispose();
            _rows?.Dispose();
        }
    }

    public static string? CommandKind(string command)
    {
        if (command.Length == 0 || !command.AsSpan().ContainsAny(Keywords)) return null;
        if (command.Contains("BACKUP DATABASE", StringComparison.OrdinalIgnoreCase)) return null; // a backup, not an export
        if (DbExport().IsMatch(command)) return "database-export";
        if (PasswordArchive().IsMatch(command)) return "archive";
        return null;
    }

    internal static string Mb(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#} MB" : $"{bytes} bytes";

    /// <summary>The most events in any window of the given length (times sorted).</summary>
    public static int PeakIn(IReadOnlyList<long> sorted, long window)
    {
        int best = 0, lo = 0;
        for (int hi = 0; hi < sorted.Count; hi++)
        {
            while (sorted[hi] - sorted[lo] > window) lo++;
            best = Math.Max(best, hi - lo + 1);
        }
        return best;
    }
}

/// <summary>
/// The source address most reads came from, the first seen among equals: what a dictionary of counts per address gave, by
/// a sort of (the address's 64-bit hash, read number, call position) rows. A bulk read through a rotating pool of proxies
/// is millions of addresses, each a string and a dictionary entry before (~100 bytes). Two addresses sharing a 64-bit hash
/// would count as one (the odds the time indexes accept).
/// </summary>
internal sealed class ReadSources(BuildLimits limits) : IDisposable
{
    private readonly ExternalSorter<(ulong Address, int Read, int Position)> _reads =
        new("theft-cloud-read-sources", (a, b) => a.CompareTo(b), limits.RunRows);
    private int _count;

    /// <summary>A read from <paramref name="address"/> (the call at <paramref name="position"/>), in time order.</summary>
    public void Add(string address, int position) => _reads.Add((TextHash.Of64(address), _count++, position));

    /// <summary>The position of the first call from the address with the most reads (the earliest first read among equals),
    /// or -1 with no reads.</summary>
    public int MostReadsAt()
    {
        (int Count, int First, int Position) best = (0, int.MaxValue, -1);
        ulong address = 0;
        int count = 0, first = 0, at = -1;
        foreach (var (hash, read, position) in _reads.Sorted())
        {
            if (at < 0 || hash != address)
            {
                if (at >= 0 && (count > best.Count || (count == best.Count && first < best.First))) best = (count, first, at);
                (address, count, first, at) = (hash, 0, read, position);
            }
            count++;
        }
        if (at >= 0 && (count > best.Count || (count == best.Count && first < best.First))) best = (count, first, at);
        return best.Position;
    }

    public void Dispose() => _reads.Dispose();
}
