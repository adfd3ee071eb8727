using Vigil.Campaigns;
using Vigil.Campaigns.Operator;
using Vigil.Campaigns.Scoring;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The operator analysis measures a campaign's commands from rows it walks with cursors (in a temporary file for a campaign
/// of millions of commands) instead of lists of every command, gap and time. These tests hold it to the plain list-based
/// measurements it replaced, on random command sequences with equal times, bursts, pauses, several hosts and repeated
/// templates: through rows in memory, and through 3-row pages and 5-row sort runs so that every file path is taken.
/// </summary>
public class OperatorMeasureTests
{
    private const long Sec = TimeSpan.TicksPerSecond;

    private readonly record struct Cmd(long Ticks, string Host, string Template, bool Discovery);

    private static List<Cmd> Random(int seed, int count)
    {
        var rng = new Random(seed);
        var hosts = Enumerable.Range(0, 1 + rng.Next(6)).Select(i => "HOST" + i).ToArray();
        var templates = Enumerable.Range(0, 1 + rng.Next(40)).Select(i => "tool" + i % 7 + ".exe|arg " + i).ToArray();
        var cmds = new List<Cmd>(count);
        long t = new DateTime(2026, 3, 10, 8, 0, 0, DateTimeKind.Utc).Ticks;
        for (int i = 0; i < count; i++)
        {
            // Equal times, machine-speed gaps, typing-pace gaps, and now and then a long pause.
            t += rng.Next(10) switch
            {
                0 or 1 => 0,
                2 or 3 or 4 => rng.Next(1_000) * TimeSpan.TicksPerMillisecond,
                5 or 6 => rng.Next(4 * (int)Sec),
                7 or 8 => rng.Next(120) * Sec,
                _ => rng.Next(3) == 0 ? rng.Next(3_600) * Sec : rng.Next(70) * Sec,
            };
            var template = templates[rng.Next(templates.Length)];
            cmds.Add(new Cmd(t, hosts[rng.Next(hosts.Length)], template, template.StartsWith("tool1", StringComparison.Ordinal) || template.StartsWith("tool2", StringComparison.Ordinal)));
        }
        return cmds;
    }

    /// <summary>The measurements as lists, the way the analysis computed them before.</summary>
    private static OperatorAnalyzer.Tempo Reference(List<Cmd> cmds)
    {
        var times = cmds.Select(c => c.Ticks).ToList();
        var perMinute = times.GroupBy(x => x / TimeSpan.TicksPerMinute).ToDictionary(g => g.Key, g => g.Count());
        int busy = 0;
        foreach (var minute in perMinute.Keys)
        {
            if (perMinute.GetValueOrDefault(minute - 1) >= OperatorAnalyzer.BusyMinute) continue;
            int run = 0;
            while (perMinute.GetValueOrDefault(minute + run) >= OperatorAnalyzer.BusyMinute) run++;
            busy = Math.Max(busy, run);
        }
        var gaps = new List<double>();
        for (int i = 1; i < times.Count; i++) gaps.Add((times[i] - times[i - 1]) / (double)Sec);
        var inBurst = gaps.Where(g => g < 60).ToList();
        var forMedian = gaps.Where(g => g > 0.05).ToList();
        forMedian.Sort();
        double median = forMedian.Count == 0 ? 0 : forMedian.Count % 2 == 1 ? forMedian[forMedian.Count / 2]
            : (forMedian[forMedian.Count / 2 - 1] + forMedian[forMedian.Count / 2]) / 2;
        var xs = inBurst.Where(g => g > 0.05).ToList();
        double cv = 0;
        if (xs.Count >= 2)
        {
            double mean = xs.Average();
            if (mean > 0) cv = Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) / mean;
        }
        int parallel = cmds.Count > 0 ? 1 : 0, lo = 0, interleave = 0;
        var counts = new Dictionary<string, int>();
        var last = new Dictionary<string, long>();
        for (int hi = 0; hi < cmds.Count; hi++)
        {
            counts[cmds[hi].Host] = counts.GetValueOrDefault(cmds[hi].Host) + 1;
            while (cmds[hi].Ticks - cmds[lo].Ticks > 60 * Sec)
            {
                if (--counts[cmds[lo].Host] == 0) counts.Remove(cmds[lo].Host);
                lo++;
            }
            parallel = Math.Max(parallel, counts.Count);
            if (hi > 0 && cmds[hi].Host != cmds[hi - 1].Host && last.TryGetValue(cmds[hi].Host, out long seen) && cmds[hi].Ticks - seen <= 30 * Sec)
                interleave++;
            last[cmds[hi].Host] = cmds[hi].Ticks;
        }
        var disc = cmds.Where(c => c.Discovery).ToList();
        int discovery = 0;
        lo = 0;
        var templateCounts = new Dictionary<string, int>();
        for (int hi = 0; hi < disc.Count; hi++)
        {
            templateCounts[disc[hi].Template] = templateCounts.GetValueOrDefault(disc[hi].Template) + 1;
            while (disc[hi].Ticks - disc[lo].Ticks > 600 * Sec)
            {
                if (--templateCounts[disc[lo].Template] == 0) templateCounts.Remove(disc[lo].Template);
                lo++;
            }
            discovery = Math.Max(discovery, templateCounts.Count);
        }
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
        double repeat = cmds.Count == 0 ? 0 : 1 - cmds.Select(c => c.Template).Distinct().Count() / (double)cmds.Count;
        return new OperatorAnalyzer.Tempo(cmds.Count, TheftFinder.PeakIn(times, 10 * Sec) / 10.0, TheftFinder.PeakIn(times, 300 * Sec) / 300.0, busy,
            median, cv, inBurst.Count, parallel, interleave, discovery, bursts.Count, pauses, repeat);
    }

    private static OperatorAnalyzer.Tempo Measured(List<Cmd> cmds, bool tiny)
    {
        using var rows = tiny ? new CommandRows(memoryRows: 7, pageRows: 3, cachePages: 2) : new CommandRows();
        foreach (var c in cmds) rows.Add(c.Ticks, c.Host, c.Template, c.Discovery);
        Assert.Equal(tiny && cmds.Count > 7, rows.Spilled);
        return OperatorAnalyzer.Measure(rows, tiny ? ExternalBuildTests.Tiny : BuildLimits.Default);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 9)]
    [InlineData(5, 300)]
    [InlineData(6, 2_000)]
    [InlineData(7, 5_000)]
    [InlineData(8, 5_000)]
    public void Measurements_equal_the_list_based_ones(int seed, int count)
    {
        var cmds = Random(seed, count);
        var expected = Reference(cmds);
        Assert.Equal(expected, Measured(cmds, tiny: false));
        Assert.Equal(expected, Measured(cmds, tiny: true));
    }

    [Fact]
    public void A_machine_speed_day_has_every_signal()
    {
        // 20,000 commands at 50-250 ms gaps on three hosts in turn, a 15-minute pause after every 5,000: the reference and
        // the rows agree on a sequence where every measurement is far from zero.
        var cmds = new List<Cmd>();
        var rng = new Random(11);
        long t = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc).Ticks;
        for (int i = 0; i < 20_000; i++)
        {
            if (i > 0 && i % 5_000 == 0) t += 15 * 60 * Sec;
            t += (50 + rng.Next(200)) * TimeSpan.TicksPerMillisecond;
            cmds.Add(new Cmd(t, "SRV" + i % 3, "whoami.exe|whoami /" + rng.Next(12), true));
        }
        var expected = Reference(cmds);
        Assert.True(expected is { BusyMinutes: > 10, Parallel: 3, Interleave: > 1000, Discovery: 12, Pauses: 3 }, expected.ToString());
        Assert.Equal(expected, Measured(cmds, tiny: false));
        Assert.Equal(expected, Measured(cmds, tiny: true));
    }

    [Fact]
    public void Commands_out_of_time_order_are_refused()
    {
        using var rows = new CommandRows();
        rows.Add(10, "A", "x", false);
        Assert.Throws<InvalidOperationException>(() => rows.Add(9, "A", "x", false));
    }
}

/// <summary>The failure-burst analysis walks failures and successes merged from per-address indexes with one cursor each;
/// these tests hold it to the list-based version it replaced (sorted lists, a binary search per burst) on random times with
/// equal values, runs near the 2-minute and 30-minute edges, and several sources per kind.</summary>
public class FailureBurstTests
{
    private const long Sec = TimeSpan.TicksPerSecond;

    private static (int, bool) Reference(List<long> failTimes, List<long> successes)
    {
        int bursts = 0;
        bool thenSuccess = false;
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
        return (bursts, thenSuccess);
    }

    private static List<List<long>> Sources(Random rng, int sources, int count, int stepSeconds)
    {
        var all = new List<List<long>>();
        for (int s = 0; s < sources; s++)
        {
            long t = rng.Next(600) * Sec;
            var l = new List<long>();
            for (int i = 0; i < count; i++)
            {
                t += rng.Next(4) == 0 ? 0 : rng.Next(stepSeconds) * Sec + rng.Next(1000) * TimeSpan.TicksPerMillisecond;
                l.Add(t);
            }
            all.Add(l);
        }
        return all;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Bursts_equal_the_list_based_ones(int seed)
    {
        var rng = new Random(seed);
        int thenSuccesses = 0;
        for (int round = 0; round < 200; round++)
        {
            var fails = Sources(rng, 1 + rng.Next(3), rng.Next(60), 1 + rng.Next(90));
            var successes = Sources(rng, rng.Next(3), rng.Next(20), 1 + rng.Next(1200));
            var expected = Reference(fails.SelectMany(x => x).Order().ToList(), successes.SelectMany(x => x).Order().ToList());
            var actual = OperatorAnalyzer.Bursts(OperatorAnalyzer.MergeTimes(fails), OperatorAnalyzer.MergeTimes(successes));
            Assert.Equal(expected, actual);
            if (expected.Item2) thenSuccesses++;
        }
        Assert.InRange(thenSuccesses, 5, 195); // both answers occur
    }

    [Fact]
    public void A_success_at_the_last_failures_instant_follows_the_burst()
    {
        long[] fails = [0, 10 * Sec, 20 * Sec, 30 * Sec, 120 * Sec, 121 * Sec];
        Assert.Equal((1, true), OperatorAnalyzer.Bursts(fails, [120 * Sec]));
        Assert.Equal((1, false), OperatorAnalyzer.Bursts(fails, [119 * Sec, 120 * Sec + 30 * 60 * Sec + 1]));
        Assert.Equal((1, true), OperatorAnalyzer.Bursts(fails, [120 * Sec + 30 * 60 * Sec]));
    }
}
