using Vigil.IO;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Scoring;

namespace Vigil.Campaigns.Operator;

/// <summary>
/// Who drives a campaign: a machine (an agent or a script), a person, or unknown. No single threshold decides
/// (agents are slower than scripts and faster than people); each signal below is measured, shown in the evidence,
/// and votes:
/// <list type="bullet">
/// <item>tempo: commands (the actor's process creations, else its detections; cloud API calls count too) per second in
/// the busiest 10 s and 5 min, and how many consecutive minutes hold at least <see cref="BusyMinute"/> commands;</item>
/// <item>regularity: median and coefficient of variation of the gaps inside bursts;</item>
/// <item>parallelism: most hosts worked within one minute, and interleaving (A, B, A within seconds);</item>
/// <item>breadth: distinct discovery commands within 10 minutes; hosts and ports first contacted within 5 minutes;</item>
/// <item>failures: bursts of failed logons (or denied cloud calls) for accounts that never succeeded, followed by a success;</item>
/// <item>shape: machine-speed bursts separated by long pauses (a person approving the next phase).</item>
/// </list>
/// </summary>
internal static class OperatorAnalyzer
{
    public const int BusyMinute = 20;
    /// <summary>Addresses of a campaign whose failures and sweeps are measured (the first touched): bounds the work of a
    /// campaign spanning hundreds of hosts for a whole day.</summary>
    public const int MaxAddresses = 64;
    private static readonly long Sec = TimeSpan.TicksPerSecond;

    private static readonly HashSet<string> DiscoveryTools = new(StringComparer.OrdinalIgnoreCase)
    {
        "whoami.exe", "systeminfo.exe", "ipconfig.exe", "arp.exe", "nltest.exe", "tasklist.exe", "quser.exe", "qwinsta.exe", "netstat.exe",
        "route.exe", "hostname.exe", "dsquery.exe", "nslookup.exe", "ping.exe", "klist.exe", "cmdkey.exe", "wmic.exe", "sc.exe", "reg.exe",
        "findstr.exe", "dir", "setspn.exe", "gpresult.exe", "adfind.exe", "query.exe", "net.exe", "net1.exe", "nbtstat.exe", "getmac.exe",
        "tracert.exe", "fsutil.exe", "vssadmin.exe", "wevtutil.exe", "schtasks.exe", "curl", "nmap", "nmap.exe", "masscan", "id", "uname",
        "ps", "ls", "cat", "ifconfig", "ip", "ss", "who", "w", "last", "find", "grep",
    };

    private static readonly System.Text.RegularExpressions.Regex Variable = new(@"[0-9]+|""[^""]*""|\\\\[^\\ ]+|/node:\S+",
        System.Text.RegularExpressions.RegexOptions.Compiled);

    private readonly record struct Cmd(long Ticks, string Host, string Name, string Template);

    public static OperatorVerdict Analyze(Draft d, CampaignBuilder.BuildEnv env)
    {
        using var cmds = Commands(d, env);
        // A big campaign's stages leave garbage (its facts are read through block caches): a place to compact between them.
        d.Checkpoint?.Invoke("operator: commands read");
        var ev = new Dictionary<string, double>(StringComparer.Ordinal);
        var machine = new List<string>();
        var human = new List<string>();
        double m = 0, h = 0;

        var t = Measure(cmds, env.Limits);
        d.Checkpoint?.Invoke("operator: pace measured");
        double peak10 = t.Peak10, sustained = t.Sustained, median = t.Median, cv = t.Cv;
        int busyMinutes = t.BusyMinutes, inBurst = t.InBurst, parallel = t.Parallel, interleave = t.Interleave, discovery = t.Discovery;
        ev["commands"] = cmds.Count;
        ev["commands_per_second_peak"] = Math.Round(peak10, 2);
        ev["commands_per_second_sustained"] = Math.Round(sustained, 3);
        ev["sustained_minutes"] = busyMinutes;
        ev["median_gap_seconds"] = Math.Round(median, 2);
        ev["interval_cv"] = Math.Round(cv, 3);
        ev["parallel_hosts"] = parallel;
        ev["interleaved_switches"] = interleave;
        int discoveryRules = d.Facts.Where(f => f.Tactics.Contains("discovery")).Select(f => f.RuleId).Distinct().Count();
        ev["distinct_discovery_commands"] = Math.Max(discovery, discoveryRules);
        var (swept, ports) = Sweep(d, env);
        d.Checkpoint?.Invoke("operator: sweep measured");
        ev["hosts_swept_5min"] = swept;
        ev["ports_swept_5min"] = ports;
        var (failBursts, neverValid, thenSuccess) = Failures(d, env);
        ev["failed_logon_bursts"] = failBursts;
        ev["failed_accounts_never_valid"] = neverValid;
        ev["failures_then_success"] = thenSuccess ? 1 : 0;
        int bursts = t.Bursts, pauses = t.Pauses;
        ev["machine_bursts"] = bursts;
        ev["pause_count"] = pauses;
        ev["sequence_repeat_ratio"] = Math.Round(t.Repeat, 3);

        // Votes.
        if (sustained >= 0.3) { m += 2; machine.Add($"sustained {sustained:0.##} commands/s over the busiest 5 minutes"); }
        else if (sustained >= 0.1) { m += 1; machine.Add($"{sustained:0.##} commands/s over the busiest 5 minutes"); }
        if (busyMinutes >= 3) { m += 1; machine.Add($"{busyMinutes} consecutive minutes with at least {BusyMinute} commands each"); }
        if (peak10 >= 1) { m += 1; machine.Add($"peak {peak10:0.#} commands/s in 10 seconds"); }
        if (inBurst >= 10 && median > 0 && median <= 2) { m += 1; machine.Add($"median gap {median:0.##} s between commands"); }
        if (parallel >= 3) { m += 2; machine.Add($"{parallel} hosts worked within one minute"); }
        if (interleave >= 5) { m += 1; machine.Add($"steps interleaved across hosts {interleave} times"); }
        if (ev["distinct_discovery_commands"] >= 8 && discovery >= 8) { m += 1; machine.Add($"{discovery} distinct discovery commands within 10 minutes"); }
        if (swept >= 10) { m += 2; machine.Add($"{swept} hosts ({ports} ports) first contacted within 5 minutes"); }
        if (failBursts > 0 && neverValid > 0) { m += thenSuccess ? 1.5 : 1; machine.Add($"{failBursts} burst(s) of failed logons, {neverValid} account(s) that never worked" + (thenSuccess ? ", then a success" : "")); }
        if (bursts >= 2 && pauses >= 1) { m += 1; machine.Add($"{bursts} machine-speed bursts separated by {pauses} long pause(s)"); }

        if (cmds.Count >= 3 && median >= 5) { h += 2; human.Add($"median gap {median:0.#} s between commands (typing pace)"); }
        if (cmds.Count >= 3 && sustained < 0.05) { h += 1; human.Add($"at most {sustained * 300:0} commands in any 5 minutes"); }
        if (parallel <= 2 && cmds.Count >= 3) { h += 1; human.Add("one host at a time"); }
        if (cmds.Count >= 3 && peak10 < 0.5) { h += 1; human.Add("never more than 4 commands in 10 seconds"); }
        if (inBurst >= 5 && cv >= 0.5 && median >= 5) { h += 0.5; human.Add($"irregular gaps (CV {cv:0.##})"); }
        ev["machine_score"] = m;
        ev["human_score"] = h;

        string kind;
        double confidence;
        List<string> reasons;
        if (cmds.Count < 3 && m < 3)
        {
            kind = "unknown"; confidence = 0.2; reasons = [$"only {cmds.Count} command(s) to judge by"];
        }
        else if (m >= 4 && m > h)
        {
            kind = "machine"; confidence = Math.Min(0.97, 0.5 + 0.07 * (m - h)); reasons = machine;
        }
        else if (h >= 3 && m <= 2)
        {
            kind = "human"; confidence = Math.Min(0.95, 0.45 + 0.08 * (h - m)); reasons = human;
        }
        else
        {
            kind = "unknown"; confidence = 0.3;
            reasons = [$"signals disagree (machine {m:0.#}, human {h:0.#})", .. machine, .. human];
        }
        reasons.TrimExcess(); // kept with the campaign
        return new OperatorVerdict { Kind = kind, Confidence = Math.Round(confidence, 2), Evidence = Measurements.From(ev), Reasons = reasons };
    }

    /// <summary>The measurements over a campaign's commands alone (see the class summary; the raw numbers, before rounding).</summary>
    internal readonly record struct Tempo(int Commands, double Peak10, double Sustained, int BusyMinutes, double Median, double Cv, int InBurst,
        int Parallel, int Interleave, int Discovery, int Bursts, int Pauses, double Repeat);

    /// <summary>Measures commands in time order. Nothing per command is held: each measurement walks the rows with one or
    /// two cursors, and the median and distinct templates sort numbers in runs of <see cref="BuildLimits.RunRows"/>.</summary>
    internal static Tempo Measure(CommandRows cmds, BuildLimits limits)
    {
        var times = cmds.Times;
        var (median, cv, inBurst) = Gaps(times, limits);
        var (parallel, interleave) = Parallelism(cmds);
        var (bursts, pauses) = Shape(times);
        return new Tempo(cmds.Count, TheftFinder.PeakIn(times, 10 * Sec) / 10.0, TheftFinder.PeakIn(times, 300 * Sec) / 300.0, BusyRun(times),
            median, cv, inBurst, parallel, interleave, DiscoveryBreadth(cmds, 600 * Sec), bursts, pauses,
            cmds.Count == 0 ? 0 : 1 - DistinctTemplates(cmds, limits) / (double)cmds.Count);
    }

    /// <summary>The campaign's commands in time order: its processes (else its detections' distinct events), merged with the
    /// cloud API calls of its identities. Ties keep the order of their sources (processes or events first, then identities in
    /// the order first seen), each source's own order kept.</summary>
    private static CommandRows Commands(Draft d, CampaignBuilder.BuildEnv env)
    {
        var limits = env.Limits;
        var rows = new CommandRows(Math.Min(limits.MemoryItems, CommandRows.MemoryRows), Math.Min(limits.SpillPageRows, CommandRows.PageRows),
            Math.Min(limits.SpillCachePages, CommandRows.CachePages));
        try
        {
            // The identities' calls as rows of one sort by (time, identity in the order first seen, the identity's own
            // order): the order a merge of one source per identity gave, without a source (and a copy of the identity)
            // per identity. An agent minting a role session per call is an identity per call: 2M of them took 2 GB.
            using var calls = new ExternalSorter<(long Ticks, int Identity, int Seq, int Position)>("operator-cloud-calls",
                (a, b) => a.CompareTo(b), limits.RunRows);
            var cloud = env.Ctx.Cloud;
            int identity = 0;
            foreach (var arn in d.CloudIdentities)
            {
                int seq = 0;
                foreach (int p in env.CloudByArn.Positions(arn, d.First - TimeSpan.TicksPerHour, d.Last + TimeSpan.TicksPerHour))
                    calls.Add((cloud.Ticks(p), identity, seq++, p));
                identity++;
            }
            IEnumerable<Cmd> Calls()
            {
                // A run of one identity's calls shares its "host" text.
                int lastIdentity = -1;
                string host = "";
                foreach (var (ticks, id, _, position) in calls.Sorted())
                {
                    if (id != lastIdentity) (lastIdentity, host) = (id, "cloud:" + cloud.Arn(position));
                    var name = cloud.EventName(position);
                    yield return new Cmd(ticks, host, name, name);
                }
            }
            foreach (var c in MergeByTime([Primary(d, env), Calls()], c => c.Ticks)) rows.Add(c.Ticks, c.Host, c.Template, DiscoveryTools.Contains(c.Name));
            return rows;
        }
        catch
        {
            rows.Dispose();
            throw;
        }
    }

    /// <summary>The processes' commands (they are in time order), else one per distinct event of the detections.</summary>
    private static IEnumerable<Cmd> Primary(Draft d, CampaignBuilder.BuildEnv env)
    {
        if (d.Procs.Count > 0)
        {
            foreach (var p in d.Procs)
            {
                var (name, template) = Shape(env, p.CommandLine, p.Image);
                yield return new Cmd(p.Ticks, p.Host, name, template);
            }
            yield break;
        }
        // No process creations joined: the detections' distinct events stand for the commands. The facts are in time
        // order, so two of one event are in the same run of equal times: only that run's events are remembered (a set
        // of every event's text grew with the campaign: ~220 bytes a detection, 60 MB for 270,000 detections).
        var seen = new HashSet<(string Host, string Detail)>();
        long seenTicks = long.MinValue;
        for (int k = 0; k < d.Facts.Count; k++)
        {
            var f = d.Facts[k];
            if (f.Ticks == 0) continue;
            if (f.Ticks != seenTicks)
            {
                if (f.Ticks < seenTicks) throw new InvalidOperationException("a campaign's facts are not in time order");
                seen.Clear();
                seenTicks = f.Ticks;
            }
            if (!seen.Add((d.FactHosts[k], f.Detail))) continue;
            var (name, template) = Shape(env, f.Detail, f.Image);
            yield return new Cmd(f.Ticks, d.FactHosts[k], name, template);
        }
    }

    /// <summary>Image name and template of a command, computed once per distinct (command, image) in a build: command lines
    /// repeat (a day's 72,000 Sysmon process creations had 1,300 distinct ones), and each template costs a lower-case copy
    /// and a regular-expression replacement.</summary>
    private static (string Name, string Template) Shape(CampaignBuilder.BuildEnv env, string cmd, string image)
    {
        if (env.CommandShapes.TryGetValue((cmd, image), out var have)) return have;
        var shape = (Names.ImageName(image), Template(cmd, image));
        // Bounded by entries and by characters (distinct command lines are long): past either, shapes are computed each time.
        long chars = cmd.Length + image.Length + shape.Item1.Length + shape.Item2.Length + 64;
        if (env.CommandShapes.Count < 200_000 && env.CommandShapeChars + chars <= CampaignBuilder.BuildEnv.MaxCommandShapeChars)
        {
            env.CommandShapes[(cmd, image)] = shape;
            env.CommandShapeChars += chars;
        }
        return shape;
    }

    /// <summary>A command with its variable parts (numbers, host names, addresses, quotes) blanked: a script repeats its template.</summary>
    private static string Template(string cmd, string image)
    {
        var s = Variable.Replace(cmd.ToLowerInvariant(), "#");
        return Names.ImageName(image) + "|" + (s.Length > 120 ? s[..120] : s);
    }

    /// <summary>The longest run of consecutive minutes with at least <see cref="BusyMinute"/> commands each.</summary>
    private static int BusyRun(IReadOnlyList<long> times)
    {
        int best = 0, run = 0, count = 0;
        long minute = 0, lastBusy = long.MinValue;
        void Close()
        {
            if (count < BusyMinute) return;
            run = lastBusy == minute - 1 ? run + 1 : 1;
            lastBusy = minute;
            best = Math.Max(best, run);
        }
        for (int i = 0; i < times.Count; i++)
        {
            long m = times[i] / TimeSpan.TicksPerMinute;
            if (i > 0 && m == minute) { count++; continue; }
            if (i > 0) Close();
            minute = m;
            count = 1;
        }
        if (times.Count > 0) Close();
        return best;
    }

    /// <summary>Gaps between consecutive commands (in seconds): the median of those over 0.05 s, the coefficient of
    /// variation of those over 0.05 s inside bursts (under 60 s), and how many are inside bursts. The gaps are not held:
    /// the median sorts their ticks (in memory for an ordinary campaign, in runs on disk for a huge one), the mean and the
    /// deviation are summed in two passes in the gaps' order.</summary>
    private static (double Median, double Cv, int InBurst) Gaps(IReadOnlyList<long> times, BuildLimits limits)
    {
        using var sorter = new ExternalSorter<long>("operator-gaps", (a, b) => a.CompareTo(b), limits.RunRows);
        int inBurst = 0, n = 0;
        double sum = 0;
        for (int i = 1; i < times.Count; i++)
        {
            long dt = times[i] - times[i - 1];
            double g = dt / (double)Sec;
            if (g > 0.05) sorter.Add(dt);
            if (g < 60)
            {
                inBurst++;
                if (g > 0.05) { sum += g; n++; }
            }
        }
        double median = 0;
        if (sorter.Count > 0)
        {
            long half = sorter.Count / 2, at = 0;
            double below = 0;
            foreach (long dt in sorter.Sorted())
            {
                double g = dt / (double)Sec;
                if (at == half - 1) below = g;
                if (at == half) { median = sorter.Count % 2 == 1 ? g : (below + g) / 2; break; }
                at++;
            }
        }
        double cv = 0;
        if (n >= 2)
        {
            double mean = sum / n;
            if (mean > 0)
            {
                double squares = 0;
                for (int i = 1; i < times.Count; i++)
                {
                    double g = (times[i] - times[i - 1]) / (double)Sec;
                    if (g < 60 && g > 0.05) squares += (g - mean) * (g - mean);
                }
                cv = Math.Sqrt(squares / (n - 1)) / mean;
            }
        }
        return (median, cv, inBurst);
    }

    private static (int Parallel, int Interleave) Parallelism(CommandRows cmds)
    {
        int best = cmds.Count > 0 ? 1 : 0, lo = 0, old = 0, interleave = 0;
        var counts = new Dictionary<ulong, int>();
        // Each host's last command, for the hosts worked in the last 30 s only: older ones cannot count again, and a dictionary
        // of every host grew with the campaign (an actor reaching 1M hosts: ~40 MB).
        var last = new Dictionary<ulong, long>();
        ulong previous = 0;
        var low = cmds.Count > 0 ? cmds[0] : default;
        for (int hi = 0; hi < cmds.Count; hi++)
        {
            var c = cmds[hi];
            counts[c.Host] = counts.GetValueOrDefault(c.Host) + 1;
            while (c.Ticks - low.Ticks > 60 * Sec)
            {
                if (--counts[low.Host] == 0) counts.Remove(low.Host);
                low = cmds[++lo];
            }
            best = Math.Max(best, counts.Count);
            // A command more than 30 s before this one that was its host's last: that host's entry can never count again.
            for (var o = cmds[old]; c.Ticks - o.Ticks > 30 * Sec; o = cmds[++old])
                if (last.TryGetValue(o.Host, out long t) && t == o.Ticks) last.Remove(o.Host);
            // Interleaving: switching back to a host worked within the last 30 s (A, B, A or A, B, C, A).
            if (hi > 0 && c.Host != previous && last.TryGetValue(c.Host, out long seen) && c.Ticks - seen <= 30 * Sec)
                interleave++;
            last[c.Host] = c.Ticks;
            previous = c.Host;
        }
        return (best, interleave);
    }

    /// <summary>The most distinct discovery templates within <paramref name="window"/>.</summary>
    private static int DiscoveryBreadth(CommandRows cmds, long window)
    {
        int best = 0, lo = NextDiscovery(cmds, 0);
        var counts = new Dictionary<UInt128, int>();
        for (int hi = lo; hi < cmds.Count; hi = NextDiscovery(cmds, hi + 1))
        {
            var c = cmds[hi];
            counts[c.Template] = counts.GetValueOrDefault(c.Template) + 1;
            for (var low = cmds[lo]; c.Ticks - low.Ticks > window; low = cmds[lo])
            {
                if (--counts[low.Template] == 0) counts.Remove(low.Template);
                lo = NextDiscovery(cmds, lo + 1);
            }
            best = Math.Max(best, counts.Count);
        }
        return best;
    }

    private static int NextDiscovery(CommandRows cmds, int from)
    {
        while (from < cmds.Count && cmds[from].Discovery == 0) from++;
        return from;
    }

    /// <summary>Distinct templates among the commands (their hashes sorted, in runs on disk for a huge campaign).</summary>
    private static long DistinctTemplates(CommandRows cmds, BuildLimits limits)
    {
        using var sorter = new ExternalSorter<UInt128>("operator-templates", (a, b) => a.CompareTo(b), limits.RunRows);
        for (int i = 0; i < cmds.Count; i++) sorter.Add(cmds[i].Template);
        long distinct = 0;
        UInt128 previous = default;
        foreach (var t in sorter.Sorted())
        {
            if (distinct == 0 || t != previous) distinct++;
            previous = t;
        }
        return distinct;
    }

    /// <summary>From each campaign address, the most distinct destinations (and their ports) first contacted within 5 minutes.</summary>
    private static (int Hosts, int Ports) Sweep(Draft d, CampaignBuilder.BuildEnv env)
    {
        var sources = new HashSet<string>(d.Addresses.Take(MaxAddresses), StringComparer.Ordinal);
        long from = d.First - TimeSpan.TicksPerHour, to = d.Last + TimeSpan.TicksPerHour;
        // The most flows of one source within 5 minutes, and the first window (in source order, then time) that has them:
        // the flows' starts only, walked in time order, in a queue of the last 5 minutes'. The distinct ports are counted
        // once, over that window read again. (Holding each source's flows and counting the ports of every new best window
        // was quadratic: an upload to 20,000 endpoints in 3 minutes took 50 s here.)
        int bestHosts = 0, bestLo = 0;
        string? bestSource = null;
        var window = new Queue<long>();
        foreach (var a in sources)
        {
            window.Clear();
            int lo = 0;
            foreach (int p in env.FlowsBySource.Positions(a, from, to))
            {
                long first = env.Ctx.Flows.First(p);
                window.Enqueue(first);
                while (first - window.Peek() > 300 * Sec)
                {
                    window.Dequeue();
                    lo++;
                }
                if (window.Count > bestHosts) (bestHosts, bestSource, bestLo) = (window.Count, a, lo);
            }
        }
        if (bestSource is null) return (0, 0);
        var ports = new HashSet<int>();
        foreach (int p in env.FlowsBySource.Positions(bestSource, from, to).Skip(bestLo).Take(bestHosts))
            foreach (int port in env.Ctx.Flows[p].Ports) ports.Add(port);
        return (bestHosts, ports.Count);
    }

    /// <summary>Failed logons from the campaign's addresses or against its accounts: bursts (5+ within 2 minutes), accounts
    /// that failed and never succeeded from that source, and whether a success followed a burst.
    /// <para>Failures and successes are merged in time order from the per-address indexes as they are walked (a password
    /// spray or a bulk cloud read is millions of records): only the distinct failed accounts are kept, in a bounded list
    /// (a spray at 3M accounts held them in a set: ~250 MB).</para></summary>
    private static (int Bursts, int NeverValid, bool ThenSuccess) Failures(Draft d, CampaignBuilder.BuildEnv env)
    {
        var addrs = new HashSet<string>(d.Addresses.Take(MaxAddresses), StringComparer.Ordinal);
        long from = d.First - TimeSpan.TicksPerHour, to = d.Last + TimeSpan.TicksPerHour;
        long until = to + 30 * 60 * Sec;
        using var failedAccounts = env.Limits.Texts("failed-accounts");
        int logonFails = 0, cloudFails = 0;
        IEnumerable<long> LogonFails(string a)
        {
            foreach (var (ticks, account) in env.FailuresByAddress.In(a, from, to))
            {
                logonFails++;
                failedAccounts.Add(Names.AccountKey(account));
                yield return ticks;
            }
        }
        IEnumerable<long> CloudFails(string a)
        {
            foreach (var c in env.CloudByAddress.In(a, from, to))
                if (c.Failed) { cloudFails++; yield return c.Ticks; }
        }
        var (bursts, thenSuccess) = Bursts(MergeTimes(addrs.Select(LogonFails).Concat(addrs.Select(CloudFails))),
            MergeTimes(addrs.Select(a => env.SuccessesByAddress.In(a, from, until).Select(l => l.Ticks))
                .Concat(addrs.Select(a => env.CloudByAddress.In(a, from, until).Where(c => !c.Failed).Select(c => c.Ticks)))));
        if (logonFails == 0) return (bursts, 0, thenSuccess);
        failedAccounts.Seal();
        int never = failedAccounts.Count(a => !addrs.Any(x => env.Succeeded(x, a)));
        if (cloudFails >= 5 && never == 0) never = 1;
        return (bursts, never, thenSuccess);
    }

    /// <summary>Over failure times in time order: runs of failures within 2 minutes of a run's first, a run of 5 or more
    /// being a burst; and whether a success (times in time order) came at or after a burst's last failure within 30 minutes.
    /// Both sequences are walked once (the burst ends grow, so one cursor over the successes serves every burst).</summary>
    internal static (int Bursts, bool ThenSuccess) Bursts(IEnumerable<long> failTimes, IEnumerable<long> successTimes)
    {
        using var successes = successTimes.GetEnumerator();
        bool moreSuccesses = successes.MoveNext();
        int bursts = 0;
        bool thenSuccess = false;
        long start = 0, end = 0;
        int run = 0;
        void Close()
        {
            if (run < 5) return;
            bursts++;
            while (moreSuccesses && successes.Current < end) moreSuccesses = successes.MoveNext();
            thenSuccess |= moreSuccesses && successes.Current <= end + 30 * 60 * Sec;
        }
        foreach (long t in failTimes)
        {
            if (run > 0 && t - start <= 120 * Sec) { run++; end = t; continue; }
            Close();
            start = end = t;
            run = 1;
        }
        Close();
        return (bursts, thenSuccess);
    }

    /// <summary>Times from sources each in time order, merged in time order (walked once).</summary>
    internal static IEnumerable<long> MergeTimes(IEnumerable<IEnumerable<long>> sources) => MergeByTime(sources, t => t);

    /// <summary>Items from sources each in time order, merged in time order (walked once, each source once); equal times
    /// in the order of their sources, each source's own order kept. A source out of time order is an error.</summary>
    private static IEnumerable<T> MergeByTime<T>(IEnumerable<IEnumerable<T>> sources, Func<T, long> ticks)
    {
        var its = sources.Select(s => s.GetEnumerator()).ToList();
        try
        {
            var heads = new PriorityQueue<int, (long Ticks, int Source)>();
            for (int i = 0; i < its.Count; i++) if (its[i].MoveNext()) heads.Enqueue(i, (ticks(its[i].Current), i));
            long last = long.MinValue;
            while (heads.TryDequeue(out int i, out var head))
            {
                if (head.Ticks < last) throw new InvalidOperationException("merged sources must each come in time order");
                last = head.Ticks;
                yield return its[i].Current;
                if (its[i].MoveNext()) heads.Enqueue(i, (ticks(its[i].Current), i));
            }
        }
        finally
        {
            foreach (var it in its) it.Dispose();
        }
    }

    /// <summary>Bursts: 8+ commands with gaps under 5 s. Pauses: gaps of 10+ minutes between two bursts.</summary>
    private static (int Bursts, int Pauses) Shape(IReadOnlyList<long> times)
    {
        int bursts = 0, pauses = 0;
        long lastEnd = 0;
        for (int i = 0; i < times.Count;)
        {
            int j = i;
            while (j + 1 < times.Count && times[j + 1] - times[j] <= 5 * Sec) j++;
            if (j - i + 1 >= 8)
            {
                if (bursts > 0 && times[i] - lastEnd >= 600 * Sec) pauses++;
                bursts++;
                lastEnd = times[j];
            }
            i = j + 1;
        }
        return (bursts, pauses);
    }
}
