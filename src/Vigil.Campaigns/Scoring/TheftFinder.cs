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
        var theft = d.Theft;
        // Steps already found, by a hash of what tells them apart (a text of the four per step was ~250 bytes: an upload to
        // 100,000 endpoints is 100,000 steps).
        var seen = new HashSet<UInt128>();
        bool New(DataTheft t) => seen.Add(TextHash.Of(t.Kind, t.Host, t.Detail, t.Destination));
        void Add(DataTheft t)
        {
            if (New(t)) theft.Add(t.Time.Ticks, t.Host, t.Kind, t.Detail, t.Bytes, t.Destination, t.DetectionIds);
        }
        // The export and archive steps (few: an object each), before any upload is looked at.
        var commands = new List<DataTheft>();

        // Commands: the detections' own, then the actor's processes that no detection covered.
        // Detections of one command (Sysmon 1 and 4688, several rules) make one theft step.
        var byCommand = new Dictionary<(string Host, string Detail), (int First, List<long> Ids, string Kind)>();
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            if (byCommand.TryGetValue((d.FactHosts[k], f.Detail), out var have))
            {
                if (f.Ticks - d.Facts[have.First].Ticks <= TimeSpan.TicksPerSecond * 5) { have.Ids.Add(f.Id); continue; }
            }
            var kind = CommandKind(f.Detail);
            if (kind is null) continue;
            byCommand[(d.FactHosts[k], f.Detail)] = (k, [f.Id], kind);
        }
        void Command(DataTheft t)
        {
            if (New(t)) commands.Add(t);
        }
        foreach (var (key, v) in byCommand.OrderBy(kv => kv.Value.First))
            Command(new DataTheft(d.Facts[v.First].Time, key.Host, v.Kind, key.Detail, 0, "", v.Ids.Order().ToList()));
        foreach (var p in d.Procs)
        {
            var kind = CommandKind(p.CommandLine);
            if (kind is null) continue;
            var detail = p.CommandLine.Length > 300 ? p.CommandLine[..300] + "…" : p.CommandLine;
            if (commands.Any(t => t.Host == p.Host && t.Kind == kind && Math.Abs(t.Time.Ticks - p.Ticks) <= TimeSpan.TicksPerSecond * 5)) continue;
            Command(new DataTheft(CampaignBuilder.Time(p.Ticks), p.Host, kind, detail, 0, "", []));
        }
        foreach (var t in commands) theft.Add(t.Time.Ticks, t.Host, t.Kind, t.Detail, t.Bytes, t.Destination, t.DetectionIds);

        // Uploads to addresses never contacted before the campaign.
        // (The addresses are not sealed yet, theft destinations join them below: Added may repeat one past the memory limit,
        // which neither a set nor the first-found positions of the cloud calls below change.)
        var internalAddrs = new HashSet<string>(d.Addresses.Added().Where(Names.IsInternal).Distinct(StringComparer.Ordinal).Take(Operator.OperatorAnalyzer.MaxAddresses * 4), StringComparer.Ordinal);
        // Exfiltration detections naming an external destination: per destination (in the order first named) its first
        // detection, count, bytes and who named it; each detection's id as a row of a sort by (destination, id), read once
        // at the end into the uploads' id lists. A chunked upload is millions of such detections: holding them, grouped by
        // destination, took ~300 bytes each (1M: 470 MB peak).
        var limits = env.Limits;
        var exfil = new Dictionary<string, ExfilDest>(StringComparer.Ordinal);
        var exfilHosts = new Dictionary<string, int>(StringComparer.Ordinal);
        var exfilSources = new Dictionary<string, int>(StringComparer.Ordinal);
        using var exfilIds = new ExternalSorter<ExfilRow>("theft-exfil-ids", ExfilRow.Compare, limits.RunRows);
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            if (!(f.Tactics.Contains("exfiltration") && f.DestAddress.Length > 0 && !Names.IsInternal(f.DestAddress))) continue;
            if (!exfil.TryGetValue(f.DestAddress, out var x)) exfil[f.DestAddress] = x = new ExfilDest(exfil.Count, k);
            x.Bytes += f.Bytes;
            int host = Number(exfilHosts, f.Host), source = Number(exfilSources, f.SourceAddress);
            x.Hosts.Add(host);
            if (x.SourceSet.Add(source)) x.Sources.Add(f.SourceAddress);
            exfilIds.Add(new ExfilRow(x.Index, f.Id, host, source));
        }
        d.Checkpoint?.Invoke("theft: exfiltration destinations");
        // The uploads that list detections (by their number in the table), with what selects theirs: the destination's, by
        // host or source address (-1: none), or all of them.
        var uploadIds = new List<UploadIds>();
        using var staging = new Staging(d, limits);
        staging.Steps(commands);
        // The uploads' destinations (by hash: a list's Any per destination was quadratic, 20,000 endpoints took 7 s).
        var uploaded = new HashSet<UInt128>();
        long slack = TimeSpan.TicksPerMinute;
        long from = d.First == 0 ? long.MinValue : d.First - slack, to = d.First == 0 ? long.MaxValue : d.Last + 30 * slack;
        // Flows by store position (the same flow found twice is one position).
        var flowPositions = internalAddrs.SelectMany(a => env.FlowsBySource.Positions(a, from, to)).ToList();
        // Flows an exfiltration detection names, whenever they started (a set for the test: a scanning host has millions
        // of flows, and a list's Contains per detection was their product).
        HashSet<int>? listed = null;
        foreach (var (dest, x) in exfil)
            foreach (var source in x.Sources)
                if (env.Ctx.Flows.TryGetPosition(source, dest, out int named) && (listed ??= [.. flowPositions]).Add(named)) flowPositions.Add(named);
        foreach (int position in flowPositions)
        {
            var flow = env.Ctx.Flows[position];
            if (Names.IsInternal(flow.Dest)) continue;
            // The transfer must start while the campaign runs (or within 30 minutes after its last step): a host that a
            // benign job touched at night is not blamed for an upload in the afternoon.
            if (d.First != 0 && (flow.First < d.First - slack || flow.First > d.Last + 30 * slack) && flow.First != long.MaxValue) continue;
            bool novel = d.First == 0 || flow.First >= d.First - slack;
            // Volume alone does not make a campaign the uploader (Zeek does not say which process sent it): the campaign
            // must have staged data on that host first (an export, an archive, a collection step) in the two hours before.
            var hostOf = env.Hosts.HostOf(flow.Source);
            bool big = flow.OrigBytes >= UploadBytes && staging.Before(hostOf, flow.First);
            var host = hostOf.Length > 0 ? hostOf : flow.Source;
            // Named by an exfiltration detection on this same host (or from this address).
            int namerHost = -1, namerSource = -1;
            if (exfil.TryGetValue(flow.Dest, out var namers))
            {
                if (exfilHosts.TryGetValue(host, out int n) && namers.Hosts.Contains(n)) namerHost = n;
                if (exfilSources.TryGetValue(flow.Source, out n) && namers.SourceSet.Contains(n)) namerSource = n;
            }
            bool named = namerHost >= 0 || namerSource >= 0;
            if (!(novel && big) && !named) continue;
            var ports = string.Join(",", flow.Ports.Take(4));
            var what = $"{flow.Count} connection{(flow.Count == 1 ? "" : "s")} to {flow.Dest}" + (ports.Length > 0 ? $" port {ports}" : "")
                + (flow.OrigBytes > 0 ? $", {Mb(flow.OrigBytes)} sent" : "") + (novel ? ", first contact in the data" : "");
            var t = new DataTheft(CampaignBuilder.Time(flow.First == long.MaxValue ? d.First : flow.First), host, "upload", what, flow.OrigBytes, flow.Dest, []);
            if (!New(t)) continue;
            int upload = theft.AddUpload(t.Time.Ticks, host, what, flow.OrigBytes, flow.Dest);
            uploaded.Add(TextHash.Of(flow.Dest));
            if (named) uploadIds.Add(new UploadIds(namers!.Index, namerHost, namerSource, false, upload));
        }
        d.Checkpoint?.Invoke("theft: uploads found");
        foreach (var (dest, x) in exfil)
            if (!uploaded.Contains(TextHash.Of(dest)))
            {
                var first = d.Facts[x.FirstAt];
                var t = new DataTheft(first.Time, first.Host, "upload", first.Detail, x.Bytes, dest, []);
                if (New(t)) uploadIds.Add(new UploadIds(x.Index, -1, -1, true, theft.AddUpload(t.Time.Ticks, t.Host, t.Detail, t.Bytes, dest)));
            }
        if (uploadIds.Count > 0) UploadIds.Fill(theft, uploadIds, exfilIds, limits);
        d.Checkpoint?.Invoke("theft: upload ids");

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
                if (New(read))
                {
                    // The ids ascending, sorted in files past a run (an agent's bulk read is millions of detections).
                    using var sorter = new ExternalSorter<long>("theft cloud read detection ids", (a, b) => a.CompareTo(b), limits.RunRows);
                    for (int k = 0; k < d.Facts.Count; k++)
                    {
                        var f = d.Facts[k];
                        if (f.Detail.StartsWith("GetObject", StringComparison.Ordinal)) sorter.Add(f.Id);
                    }
                    theft.Add(read.Time.Ticks, read.Host, read.Kind, read.Detail, read.Bytes, read.Destination, sorter.Sorted());
                }
            }
            foreach (var share in shares) Add(share);
        }
        theft.Seal();
    }

    /// <summary>An upload named by exfiltration detections (its number in the table), with what selects its ids among its
    /// destination's: those of a host or from a source address (by number; -1: none), or all of them.</summary>
    private readonly record struct UploadIds(int Dest, int Host, int Source, bool All, int Upload)
    {
        public bool Takes(ExfilRow row) => All || row.Host == Host || row.Source == Source;

        /// <summary>Gives each upload its ids: the rows come by destination, ids ascending, and each upload of the destination
        /// takes those it selects. A destination with one upload takes them as they come; with several, its rows are listed
        /// (in files past the list's budget) and walked once per upload, since an upload's ids must come together.</summary>
        public static void Fill(TheftTable theft, List<UploadIds> uploads, ExternalSorter<ExfilRow> rows, BuildLimits limits)
        {
            var byDest = uploads.ToLookup(u => u.Dest);
            using var destRows = limits.List<ExfilRow>("theft exfiltration rows of a destination", walked: true);
            int current = -1;
            UploadIds? single = null;
            void Flush()
            {
                if (current >= 0 && single is null)
                    foreach (var u in byDest[current])
                        foreach (var row in destRows)
                            if (u.Takes(row)) theft.AddUploadId(u.Upload, row.Id);
                destRows.Clear();
            }
            foreach (var row in rows.Sorted())
            {
                if (row.Dest != current)
                {
                    Flush();
                    current = row.Dest;
                    var ups = byDest[current];
                    single = ups.Count() == 1 ? ups.First() : null;
                }
                if (single is { } u) { if (u.Takes(row)) theft.AddUploadId(u.Upload, row.Id); }
                else if (byDest.Contains(row.Dest)) destRows.Add(row);
            }
            Flush();
        }
    }

    private static int Number(Dictionary<string, int> numbers, string text)
    {
        if (!numbers.TryGetValue(text, out int n)) numbers.Add(text, n = numbers.Count);
        return n;
    }

    /// <summary>An external destination named by exfiltration detections: the first of them, their bytes, and the hosts and
    /// source addresses that named it (by number; the addresses also as texts, in the order first seen).</summary>
    private sealed class ExfilDest(int index, int firstAt)
    {
        public readonly int Index = index;
        /// <summary>The first detection naming it: its place in the campaign's detections (read again if needed, not held).</summary>
        public readonly int FirstAt = firstAt;
        public long Bytes;
        public readonly SmallIntSet Hosts = new(), SourceSet = new();
        /// <summary>The source addresses, in the order first seen (most destinations have one).</summary>
        public readonly List<string> Sources = new(1);
    }

    /// <summary>A set of numbers that is one number until it holds a second (most destinations are named by one host from one
    /// address: two hash sets each were ~400 bytes a destination).</summary>
    private sealed class SmallIntSet
    {
        private int _first = -1;
        private HashSet<int>? _more;

        public bool Add(int n)
        {
            if (_first < 0) { _first = n; return true; }
            if (n == _first) return false;
            return (_more ??= []).Add(n);
        }

        public bool Contains(int n) => n >= 0 && (n == _first || (_more?.Contains(n) ?? false));
    }

    /// <summary>One exfiltration detection as a row of the sort by (destination, id): its host and source address by number.</summary>
    private readonly record struct ExfilRow(int Dest, long Id, int Host, int Source)
    {
        public static int Compare(ExfilRow a, ExfilRow b)
        {
            int c = a.Dest.CompareTo(b.Dest);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        }
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
    private sealed class Staging(Draft d, BuildLimits limits) : IDisposable
    {
        private readonly List<(string Host, long Ticks)> _steps = [];
        private SortedRows<(ulong Host, long Ticks)>? _rows;

        /// <summary>The export and archive steps found (before any upload is looked at).</summary>
        public void Steps(IEnumerable<DataTheft> found)
        {
            foreach (var t in found)
                if (t.Kind is "database-export" or "archive") _steps.Add((t.Host, t.Time.Ticks));
        }

        public bool Before(string host, long ticks)
        {
            long from = ticks - 2 * TimeSpan.TicksPerHour, to = ticks + TimeSpan.TicksPerMinute;
            foreach (var (h, t) in _steps) if (h == host && t >= from && t <= to) return true;
            var rows = _rows ??= Build();
            var key = (TextHash.Of64(host), from);
            int i = rows.LowerBound(key, static (r, k) => r.CompareTo(k) < 0);
            return i < rows.Count && rows[i].Host == key.Item1 && rows[i].Ticks <= to;
        }

        private SortedRows<(ulong Host, long Ticks)> Build()
        {
            using var sorter = new ExternalSorter<(ulong Host, long Ticks)>("theft-staging", (a, b) => a.CompareTo(b), limits.RunRows);
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

        public void Dispose() => _rows?.Dispose();
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
