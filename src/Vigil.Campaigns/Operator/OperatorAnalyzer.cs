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
        var cmds = Commands(d, env);
        var ev = new Dictionary<string, double>(StringComparer.Ordinal);
        var machine = new List<string>();
        var human = new List<string>();
        double m = 0, h = 0;

        var times = cmds.Select(c => c.Ticks).ToList();
        ev["commands"] = cmds.Count;
        double peak10 = TheftFinder.PeakIn(times, 10 * Sec) / 10.0;
        double sustained = TheftFinder.PeakIn(times, 300 * Sec) / 300.0;
        int busyMinutes = BusyRun(times);
        ev["commands_per_second_peak"] = Math.Round(peak10, 2);
        ev["commands_per_second_sustained"] = Math.Round(sustained, 3);
        ev["sustained_minutes"] = busyMinutes;

        var gaps = new List<double>();
        for (int i = 1; i < times.Count; i++) gaps.Add((times[i] - times[i - 1]) / (double)Sec);
        var inBurst = gaps.Where(g => g < 60).ToList();
        double median = Median(gaps.Where(g => g > 0.05).ToList());
        double cv = Cv(inBurst.Where(g => g > 0.05).ToList());
        ev["median_gap_seconds"] = Math.Round(median, 2);
        ev["interval_cv"] = Math.Round(cv, 3);

        var (parallel, interleave) = Parallelism(cmds);
        ev["parallel_hosts"] = parallel;
        ev["interleaved_switches"] = interleave;

        int discovery = DiscoveryBreadth(cmds, 600 * Sec);
        int discoveryRules = d.Facts.Where(f => f.Tactics.Contains("discovery")).Select(f => f.RuleId).Distinct().Count();
        ev["distinct_discovery_commands"] = Math.Max(discovery, discoveryRules);
        var (swept, ports) = Sweep(d, env);
        ev["hosts_swept_5min"] = swept;
        ev["ports_swept_5min"] = ports;
        var (failBursts, neverValid, thenSuccess) = Failures(d, env);
        ev["failed_logon_bursts"] = failBursts;
        ev["failed_accounts_never_valid"] = neverValid;
        ev["failures_then_success"] = thenSuccess ? 1 : 0;
        var (bursts, pauses) = Shape(times);
        ev["machine_bursts"] = bursts;
        ev["pause_count"] = pauses;
        double repeat = cmds.Count == 0 ? 0 : 1 - cmds.Select(c => c.Template).Distinct().Count() / (double)cmds.Count;
        ev["sequence_repeat_ratio"] = Math.Round(repeat, 3);

        // Votes.
        if (sustained >= 0.3) { m += 2; machine.Add($"sustained {sustained:0.##} commands/s over the busiest 5 minutes"); }
        else if (sustained >= 0.1) { m += 1; machine.Add($"{sustained:0.##} commands/s over the busiest 5 minutes"); }
        if (busyMinutes >= 3) { m += 1; machine.Add($"{busyMinutes} consecutive minutes with at least {BusyMinute} commands each"); }
        if (peak10 >= 1) { m += 1; machine.Add($"peak {peak10:0.#} commands/s in 10 seconds"); }
        if (inBurst.Count >= 10 && median > 0 && median <= 2) { m += 1; machine.Add($"median gap {median:0.##} s between commands"); }
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
        if (inBurst.Count >= 5 && cv >= 0.5 && median >= 5) { h += 0.5; human.Add($"irregular gaps (CV {cv:0.##})"); }
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

    private static List<Cmd> Commands(Draft d, CampaignBuilder.BuildEnv env)
    {
        var cmds = new List<Cmd>();
        if (d.Procs.Count > 0)
            foreach (var p in d.Procs)
            {
                var (name, template) = Shape(env, p.CommandLine, p.Image);
                cmds.Add(new Cmd(p.Ticks, p.Host, name, template));
            }
        else
        {
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
                cmds.Add(new Cmd(f.Ticks, d.FactHosts[k], name, template));
            }
        }
        var arns = new HashSet<string>(d.Facts.Select(f => f.CloudArn).Where(a => a.Length > 0), StringComparer.Ordinal);
        if (arns.Count > 0)
            foreach (var arn in arns)
            {
                // One "host" text per identity, not a copy per call (a bulk theft is millions of calls).
                var host = "cloud:" + arn;
                foreach (var c in env.CloudByArn.In(arn, d.First - TimeSpan.TicksPerHour, d.Last + TimeSpan.TicksPerHour)) cmds.Add(new Cmd(c.Ticks, host, c.EventName, c.EventName));
            }
        cmds.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
        return cmds;
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

    private static int BusyRun(List<long> times)
    {
        if (times.Count == 0) return 0;
        var perMinute = times.GroupBy(t => t / TimeSpan.TicksPerMinute).ToDictionary(g => g.Key, g => g.Count());
        int best = 0;
        foreach (var minute in perMinute.Keys)
        {
            if (perMinute.GetValueOrDefault(minute - 1) >= BusyMinute) continue; // not the start of a run
            int run = 0;
            while (perMinute.GetValueOrDefault(minute + run) >= BusyMinute) run++;
            best = Math.Max(best, run);
        }
        return best;
    }

    private static (int Parallel, int Interleave) Parallelism(List<Cmd> cmds)
    {
        int best = cmds.Count > 0 ? 1 : 0, lo = 0, interleave = 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int hi = 0; hi < cmds.Count; hi++)
        {
            counts[cmds[hi].Host] = counts.GetValueOrDefault(cmds[hi].Host) + 1;
            while (cmds[hi].Ticks - cmds[lo].Ticks > 60 * Sec)
            {
                if (--counts[cmds[lo].Host] == 0) counts.Remove(cmds[lo].Host);
                lo++;
            }
            best = Math.Max(best, counts.Count);
            // Interleaving: switching back to a host worked within the last 30 s (A, B, A or A, B, C, A).
            if (hi > 0 && cmds[hi].Host != cmds[hi - 1].Host && last.TryGetValue(cmds[hi].Host, out long seen) && cmds[hi].Ticks - seen <= 30 * Sec)
                interleave++;
            last[cmds[hi].Host] = cmds[hi].Ticks;
        }
        return (best, interleave);
    }

    private static int DiscoveryBreadth(List<Cmd> cmds, long window)
    {
        var disc = cmds.Where(c => DiscoveryTools.Contains(c.Name)).ToList();
        int best = 0, lo = 0;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int hi = 0; hi < disc.Count; hi++)
        {
            counts[disc[hi].Template] = counts.GetValueOrDefault(disc[hi].Template) + 1;
            while (disc[hi].Ticks - disc[lo].Ticks > window)
            {
                if (--counts[disc[lo].Template] == 0) counts.Remove(disc[lo].Template);
                lo++;
            }
            best = Math.Max(best, counts.Count);
        }
        return best;
    }

    /// <summary>From each campaign address, the most distinct destinations (and their ports) first contacted within 5 minutes.</summary>
    private static (int Hosts, int Ports) Sweep(Draft d, CampaignBuilder.BuildEnv env)
    {
        var sources = new HashSet<string>(d.Addresses.Take(MaxAddresses), StringComparer.Ordinal);
        int bestHosts = 0, bestPorts = 0;
        foreach (var g in sources.Select(a => env.FlowsBySource.In(a, d.First - TimeSpan.TicksPerHour, d.Last + TimeSpan.TicksPerHour)))
        {
            var flows = g.OrderBy(f => f.First).ToList();
            int lo = 0;
            for (int hi = 0; hi < flows.Count; hi++)
            {
                while (flows[hi].First - flows[lo].First > 300 * Sec) lo++;
                int hosts = hi - lo + 1;
                if (hosts > bestHosts)
                {
                    bestHosts = hosts;
                    bestPorts = flows.Skip(lo).Take(hosts).SelectMany(f => f.Ports).Distinct().Count();
                }
            }
        }
        return (bestHosts, bestPorts);
    }

    /// <summary>Failed logons from the campaign's addresses or against its accounts: bursts (5+ within 2 minutes), accounts
    /// that failed and never succeeded from that source, and whether a success followed a burst.</summary>
    private static (int Bursts, int NeverValid, bool ThenSuccess) Failures(Draft d, CampaignBuilder.BuildEnv env)
    {
        var addrs = new HashSet<string>(d.Addresses.Take(MaxAddresses), StringComparer.Ordinal);
        long from = d.First - TimeSpan.TicksPerHour, to = d.Last + TimeSpan.TicksPerHour;
        var fails = addrs.SelectMany(a => env.FailuresByAddress.In(a, from, to)).OrderBy(l => l.Ticks).ToList();
        var cloudFails = addrs.SelectMany(a => env.CloudByAddress.In(a, from, to)).Where(c => c.Failed).Select(c => c.Ticks).ToList();
        long until = to + 30 * 60 * Sec;
        var successes = addrs.SelectMany(a => env.SuccessesByAddress.In(a, from, until)).Select(l => l.Ticks)
            .Concat(addrs.SelectMany(a => env.CloudByAddress.In(a, from, until)).Where(c => !c.Failed).Select(c => c.Ticks)).Order().ToList();
        int bursts = 0;
        bool thenSuccess = false;
        var failTimes = fails.Select(f => f.Ticks).Concat(cloudFails).Order().ToList();
        for (int i = 0; i < failTimes.Count;)
        {
            int j = i;
            while (j + 1 < failTimes.Count && failTimes[j + 1] - failTimes[i] <= 120 * Sec) j++;
            if (j - i + 1 >= 5)
            {
                bursts++;
                long end = failTimes[j];
                int at = successes.BinarySearch(end);
                if (at < 0) at = ~at;
                thenSuccess |= at < successes.Count && successes[at] <= end + 30 * 60 * Sec;
            }
            i = j + 1;
        }
        if (fails.Count == 0) return (bursts, 0, thenSuccess);
        int never = fails.Select(f => Names.AccountKey(f.Account)).Distinct().Count(a => !addrs.Any(x => env.Succeeded(x, a)));
        if (cloudFails.Count >= 5 && never == 0) never = 1;
        return (bursts, never, thenSuccess);
    }

    /// <summary>Bursts: 8+ commands with gaps under 5 s. Pauses: gaps of 10+ minutes between two bursts.</summary>
    private static (int Bursts, int Pauses) Shape(List<long> times)
    {
        var bursts = new List<(long Start, long End)>();
        for (int i = 0; i < times.Count;)
        {
            int j = i;
            while (j + 1 < times.Count && times[j + 1] - times[j] <= 5 * Sec) j++;
            if (j - i + 1 >= 8) bursts.Add((times[i], times[j]));
            i = j + 1;
        }
        int pauses = 0;
        for (int k = 1; k < bursts.Count; k++) if (bursts[k].Start - bursts[k - 1].End >= 600 * Sec) pauses++;
        return (bursts.Count, pauses);
    }

    private static double Median(List<double> xs)
    {
        if (xs.Count == 0) return 0;
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
    }

    private static double Cv(List<double> xs)
    {
        if (xs.Count < 2) return 0;
        double mean = xs.Average();
        if (mean <= 0) return 0;
        double sd = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
        return sd / mean;
    }
}
