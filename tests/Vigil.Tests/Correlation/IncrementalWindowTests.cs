using Vigil.Engine.Correlation;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Tests.Correlation;

/// <summary>
/// What a sliding window keeps so that judging it at every match does not read every member: the median from two heaps
/// (<see cref="SlidingMedian"/>), temporal_ordered's longest prefix from each input's latest start, and consecutive
/// value_count windows that give up their values once an upper bound is passed. Each is compared with the plain
/// evaluation (<see cref="CorrelationEngine.Apply(IReadOnlyList{Detection}, IReadOnlyList{CompiledCorrelation}, Func{SigmaRule, bool}, Func{SigmaRule, bool}?)"/>,
/// which sorts or walks the members at each judgment) on windows of hundreds to tens of thousands of members.
/// </summary>
public sealed class IncrementalWindowTests
{
    /// <summary>Numbers with ties, NaN, both zeros and infinities: the order a stable sort gives them decides which of
    /// two equal numbers is the median, and -0 and 0 print differently.</summary>
    private static double Number(Random random) => random.Next(12) switch
    {
        0 => double.NaN,
        1 => -0.0,
        2 => 0.0,
        3 => double.PositiveInfinity,
        4 => double.NegativeInfinity,
        5 => random.NextDouble() * 100,
        _ => random.Next(20),
    };

    /// <summary>Random entries and departures (and clears), the median compared with a stable sort's at every step of
    /// a small window and often in a large one; a small slack compacts the heaps all the time.</summary>
    [Theory]
    [InlineData(1, 55, 8)]
    [InlineData(2, 50, 1024)]
    [InlineData(3, 70, 1024)]
    [InlineData(4, 52, 2)]
    public void The_sliding_median_is_the_stable_sort_median_bit_for_bit(int seed, int addPercent, int slack)
    {
        var random = new Random(seed);
        var median = new SlidingMedian(slack);
        var window = new Queue<double>();
        long seq = 0;
        int largest = 0;
        for (int step = 0; step < 100_000; step++)
        {
            int op = random.Next(1000);
            if (op < addPercent * 10 || window.Count == 0)
            {
                double x = Number(random);
                median.Add(x, seq++);
                window.Enqueue(x);
            }
            else if (op < 999 || addPercent > 60) median.RemoveOldest(window.Dequeue(), seq - median.Count);
            else
            {
                median.Clear();
                window.Clear();
                seq = 0;
                continue;
            }
            largest = Math.Max(largest, window.Count);
            Assert.Equal(window.Count, median.Count);
            Assert.True(median.Held <= 2 * median.Count + 2 * slack + 2, $"{median.Held} entries for {median.Count} members");
            if (window.Count == 0 || (window.Count > 300 && step % 997 != 0)) continue;
            var sorted = window.Order().ToArray();
            int n = sorted.Length;
            double expected = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(median.Median));
        }
        Assert.True(largest > (addPercent > 60 ? 10_000 : 20), $"largest window {largest}");
        Assert.Throws<InvalidOperationException>(() => new SlidingMedian().RemoveOldest(1, 0));
    }

    private static readonly string[] Ops = ["gt", "gte", "lt", "lte", "eq", "neq"];
    private static readonly double[] Thresholds = [14, 0, -0.0, 5.5, 19, 1e308, -1e308, double.NaN, double.PositiveInfinity, 9e307];

    /// <summary>Numbers as <see cref="Number"/> gives them, and the thresholds themselves and numbers whose mean overflows.</summary>
    private static double Near(Random random) => random.Next(10) switch
    {
        0 => Thresholds[random.Next(Thresholds.Length)],
        1 => random.Next(2) == 0 ? 1e308 : -1.7e308,
        _ => Number(random),
    };

    /// <summary>Random entries and departures (and clears) under random conditions of one to three bounds: at every step
    /// the judgment from counts and block extremes is the condition over the heaps' median (itself the stable sort's, see
    /// above), and often the selected median is that median bit for bit (NaN as NaN).</summary>
    [Theory]
    [InlineData(1, 52, 1)]
    [InlineData(2, 55, 3)]
    [InlineData(3, 51, 4)]
    [InlineData(4, 60, 64)]
    [InlineData(5, 50, 7)]
    public void The_threshold_median_judges_as_the_sorted_median(int seed, int addPercent, int blockRows)
    {
        var random = new Random(seed);
        for (int round = 0; round < 12; round++)
        {
            var condition = Enumerable.Range(0, 1 + random.Next(3))
                .Select(_ => new CorrelationBound(Ops[random.Next(Ops.Length)], Thresholds[random.Next(Thresholds.Length)])).ToList();
            // Every other round finds medians by the radix search however small the window.
            var large = new ThresholdMedian(condition, blockRows, sortBelow: round % 2 == 0 ? 0 : 65_536);
            var model = new SlidingMedian();
            var window = new Queue<double>();
            Func<IEnumerable<double>> members = () => window;
            long seq = 0;
            int largest = 0, held = 0, fired = 0;
            for (int step = 0; step < 8_000; step++)
            {
                int op = random.Next(1000);
                if (op < addPercent * 10 || window.Count == 0)
                {
                    double x = Near(random);
                    large.Add(x, seq);
                    model.Add(x, seq++);
                    window.Enqueue(x);
                }
                else if (op < 999)
                {
                    double x = window.Dequeue();
                    large.RemoveOldest(x, seq - model.Count);
                    model.RemoveOldest(x, seq - model.Count);
                }
                else
                {
                    // A window that fired is cleared; numbering goes on where it was, as after a switch from heaps.
                    while (window.Count > 0)
                    {
                        double x = window.Dequeue();
                        large.RemoveOldest(x, seq - model.Count);
                        model.RemoveOldest(x, seq - model.Count);
                    }
                    continue;
                }
                largest = Math.Max(largest, window.Count);
                Assert.Equal(window.Count, large.Count);
                if (window.Count == 0) continue;
                double median = model.Median;
                bool holds = condition.All(b => b.Holds(median));
                Assert.True(holds == large.Holds(members),
                    $"round {round} step {step}: median {median} of {window.Count} under {string.Join(", ", condition)}");
                if (holds) held++;
                if (step % 401 == 0 || (holds && fired++ < 20))
                {
                    double selected = large.Median(members);
                    Assert.True(double.IsNaN(median) ? double.IsNaN(selected) : BitConverter.DoubleToInt64Bits(median) == BitConverter.DoubleToInt64Bits(selected),
                        $"round {round} step {step}: selected {selected}, sorted {median}");
                }
            }
            Assert.True(largest > 2 * blockRows, $"largest window {largest}");
            Assert.True(held > 0 || condition.Any(b => double.IsNaN(b.Value)) || condition.Count > 1, $"never held under {string.Join(", ", condition)}");
        }
        Assert.Throws<InvalidOperationException>(() => new ThresholdMedian([new("gt", 1)], 4).RemoveOldest(1, 0));
    }

    /// <summary>Two numbers alternating about the threshold in a window of 100,000: every even count splits the middle
    /// between two pieces, so every second judgment needs the lower piece's largest and the upper piece's smallest
    /// member. They come from block extremes: the members are read once each, as their block becomes the oldest, not
    /// once per judgment (5 billion reads).</summary>
    [Fact]
    public void Judging_a_split_median_reads_each_member_once()
    {
        var large = new ThresholdMedian([new("gt", 10.6)], 64);
        var model = new SlidingMedian();
        var window = new Queue<double>();
        Func<IEnumerable<double>> members = () => window;
        int held = 0;
        for (long seq = 0; seq < 300_000; seq++)
        {
            // Below: up to 10, or up to 10.5 in every other stretch of 50,000; above: 11 and up.
            double x = seq % 2 == 0 ? (seq / 50_000 % 2 == 0 ? 10 : 10.5) - seq % 7 : 11 + seq % 5;
            large.Add(x, seq);
            model.Add(x, seq);
            window.Enqueue(x);
            if (window.Count > 100_000)
            {
                double y = window.Dequeue();
                large.RemoveOldest(y, seq - 100_000);
                model.RemoveOldest(y, seq - 100_000);
            }
            bool holds = large.Holds(members);
            Assert.Equal(model.Median > 10.6, holds);
            if (holds) held++;
        }
        Assert.InRange(held, 50_000, 250_000);
        Assert.True(large.MembersRead <= 300_000 + 64, $"{large.MembersRead} members read");
        Assert.Equal(model.Median, large.Median(members));
    }

    private static string Corr(int n, string type, string rules, string rest) => $"""
        title: corr {n} {type}
        id: 10000000-0000-0000-0000-0000000002{n:00}
        status: test
        level: high
        correlation:
            type: {type}
            rules:
        {string.Join("\n", rules.Split(' ').Select(r => "        - " + r))}
            group-by:
                - User
        {rest}
        """;

    private static readonly string Yaml = string.Join("\n---\n",
        Corr(1, "value_median", "a c", "    timespan: 10m\n    condition:\n        gt: 14\n        field: Bytes"),
        Corr(2, "value_median", "b", "    timespan: 30m\n    condition:\n        lte: 2\n        field: Bytes"),
        Corr(3, "value_median", "a b c d", "    timespan: 5m\n    condition:\n        gte: 9.5\n        lt: 9.75\n        field: Bytes"),
        Corr(4, "temporal_ordered", "a b c", "    timespan: 2m"),
        Corr(5, "temporal_ordered", "c b a d", "    timespan: 20m"),
        Corr(6, "temporal_ordered", "d c b a", "    timespan: 10m\n    condition:\n        gte: 3"),
        Corr(7, "temporal_ordered", "a b d", "    timespan: 10m\n    condition:\n        lt: 3"),
        Corr(8, "value_count", "a b", "    timespan: 10m\n    condition:\n        lt: 30\n        field: Host"),
        Corr(9, "value_count", "c", "    timespan: 20m\n    condition:\n        lte: 40\n        field: Host"),
        Corr(10, "value_count", "a", "    timespan: 10m\n    condition:\n        eq: 12\n        field: Host"),
        Corr(11, "value_count", "a d", "    timespan: 10m\n    condition:\n        neq: 60\n        field: Host"),
        Corr(12, "value_count", "b", "    timespan: 15m\n    condition:\n        gte: 20\n        lt: 42\n        field: Host"),
        Corr(13, "value_percentile", "a b", "    timespan: 10m\n    condition:\n        lte: 1\n        field: Host"),
        Corr(14, "value_percentile", "c d", "    timespan: 30m\n    condition:\n        gte: 4\n        field: Host"),
        CorrelationSupport.BaseRule("a", "a", "20000000-0000-0000-0000-000000000201"),
        CorrelationSupport.BaseRule("b", "b", "20000000-0000-0000-0000-000000000202"),
        CorrelationSupport.BaseRule("c", "c", "20000000-0000-0000-0000-000000000203"),
        CorrelationSupport.BaseRule("d", "d", "20000000-0000-0000-0000-000000000204"));

    private static RuleSet Load(string yaml)
    {
        var set = RuleLoader.LoadText(yaml, "incremental.yml");
        Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
        return set;
    }

    private static readonly long T0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private static Detection Make(SigmaRule rule, long ticks, EventOrigin origin, List<EventField> fields) =>
        new() { Rule = rule, TimestampTicks = ticks, Computer = "", Channel = "", Origin = origin, Fields = fields };

    /// <summary>Events of four users over two hours, each with detections of some of the rules (d rarely), numbers as
    /// text (NaN, -0, Infinity among them) or as numbers, and dozens of hosts.</summary>
    private static List<Detection> Detections(RuleSet set, int events, int seed)
    {
        var random = new Random(seed);
        var rules = new[] { "a", "b", "c", "d" }.Select(n => set.Rules.Single(r => r.Rule.Name == n).Rule).ToArray();
        var list = new List<Detection>();
        for (int e = 0; e < events; e++)
        {
            // Users from busy (hundreds of matches in a window) to sparse (a few), with fewer hosts the sparser.
            int p = random.Next(100), user = p < 60 ? 0 : p < 90 ? 1 : p < 98 ? 2 : 3;
            var fields = new List<EventField> { new("User", FieldValue.FromString("u" + user)) };
            if (random.Next(10) != 0) fields.Add(new("Host", FieldValue.FromString("h" + random.Next(new[] { 70, 50, 40, 30 }[user]))));
            double x = Number(random);
            fields.Add(new("Bytes", random.Next(3) == 0 ? FieldValue.FromDouble(x)
                : FieldValue.FromString(x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
            long ticks = T0 + TimeSpan.TicksPerSecond * random.Next(7200);
            var origin = new EventOrigin("x.jsonl", e * 10L, e + 1);
            for (int r = 0; r < rules.Length; r++)
                if (r == 3 ? random.Next(40) == 0 : random.Next(3) == 0)
                    list.Add(Make(rules[r], ticks, origin, fields));
        }
        return list.OrderBy(d => d, Comparer<Detection>.Create(Detection.Compare)).ToList();
    }

    private static string Text(Detection d) =>
        $"{d.Rule.Title}|{d.TimestampTicks}|{d.Origin}|" + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()));

    /// <summary>With a value cap of 3 (or 12), every consecutive value_count and value_percentile window of any size sorts
    /// its values on disk (in runs of 4 rows) and reads their texts back; with the default, none does.</summary>
    [Theory]
    [InlineData(30_000, 1, 4, 3, MemberStore.DefaultMedianCap)]
    [InlineData(30_000, 2, 64, MemberStore.DefaultValueCap, MemberStore.DefaultMedianCap)]
    [InlineData(8_000, 3, 1, 12, MemberStore.DefaultMedianCap)]
    [InlineData(30_000, 4, 4, MemberStore.DefaultValueCap, 8)]
    [InlineData(20_000, 5, 3, 3, 40)]
    public void Incremental_windows_find_what_the_plain_evaluation_finds(int events, int seed, int blockRows, int valueCap, int medianCap)
    {
        var set = Load(Yaml);
        var held = Detections(set, events, seed);
        var plain = CorrelationEngine.Apply(held, set.Correlations, set.Generates, null, blockRows: 1 << 20).Detections
            .Where(d => d.Rule.IsCorrelation).Select(Text).Order(StringComparer.Ordinal).ToList();
        var found = new List<Detection>();
        using var store = new MemberStore(blockRows) { ValueCap = valueCap, ValueRunRows = 4, MedianCap = medianCap };
        CorrelationEngine.ApplySorted(held, set.Correlations, set.Generates, null, found.Add, store, 65_536);
        Assert.Equal(plain, found.Select(Text).Order(StringComparer.Ordinal).ToList());
        if (medianCap < 100) Assert.True(store.LargeMedians >= 10, $"{store.LargeMedians} windows judged their median from counts");
        else Assert.Equal(0, store.LargeMedians);
        if (valueCap < 100) Assert.True(store.ValueSpills > 100, $"{store.ValueSpills} windows sorted their values");
        else Assert.Equal(0, store.ValueSpills);
        // Every correlation fired somewhere, so none of the comparison is empty.
        foreach (var c in set.Correlations)
            Assert.True(found.Any(d => d.Rule == c.Meta) || seed == 3, $"{c.Meta.Title} never fired; " + string.Join(", ", found.GroupBy(d => d.Rule.Title).Select(g => g.Key + "=" + g.Count())));
    }

    /// <summary>One host's 20,000 matches in one window that never fires, in blocks of 4: judging the median and the
    /// ordered search at each match reads no member back (a plain judgment would read the window's 5,000 blocks at every
    /// match, 50 million reads); the members are read back once each, as they leave.</summary>
    [Fact]
    public void Judging_a_large_window_at_every_match_does_not_read_its_members()
    {
        var set = Load(string.Join("\n---\n",
            Corr(1, "value_median", "a", "    timespan: 1h\n    condition:\n        gt: 1000\n        field: Bytes"),
            Corr(2, "temporal_ordered", "a b", "    timespan: 1h"),
            CorrelationSupport.BaseRule("a", "a", "20000000-0000-0000-0000-000000000201"),
            CorrelationSupport.BaseRule("b", "b", "20000000-0000-0000-0000-000000000202")));
        var a = set.Rules.Single(r => r.Rule.Name == "a").Rule;
        var list = new List<Detection>();
        for (int i = 0; i < 20_000; i++)
            list.Add(Make(a, T0 + TimeSpan.TicksPerMillisecond * 360L * i, new EventOrigin("x.jsonl", i * 10L, i + 1),
                [new("User", FieldValue.FromString("u")), new("Bytes", FieldValue.FromInt64(i % 999))]));
        var found = new List<Detection>();
        using var store = new MemberStore(4);
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 65_536);
        Assert.Empty(found);
        Assert.True(store.BlocksWritten > 4_000, $"{store.BlocksWritten} blocks written");
        Assert.True(store.BlocksRead <= store.BlocksWritten, $"{store.BlocksRead} blocks read of {store.BlocksWritten} written");
    }

    /// <summary>A scanner's 100,000 destinations in a day under "fewer than 3 a day": its window gives up its values at
    /// the third, while a quiet host's two destinations fire as the plain evaluation finds.</summary>
    [Fact]
    public void A_consecutive_value_count_window_past_its_upper_bound_keeps_no_values()
    {
        var set = Load(string.Join("\n---\n",
            Corr(1, "value_count", "a", "    timespan: 1d\n    condition:\n        lt: 3\n        field: Host"),
            CorrelationSupport.BaseRule("a", "a", "20000000-0000-0000-0000-000000000201")));
        var a = set.Rules.Single(r => r.Rule.Name == "a").Rule;
        var list = new List<Detection>();
        for (int i = 0; i < 100_000; i++)
        {
            bool quiet = i % 1000 == 0;
            list.Add(Make(a, T0 + TimeSpan.TicksPerSecond * (i / 2), new EventOrigin("x.jsonl", i * 10L, i + 1),
                [new("User", FieldValue.FromString(quiet ? "quiet" : "scanner")), new("Host", FieldValue.FromString(quiet ? "h" + (i / 1000 % 2) : "10.0." + i))]));
        }
        var found = new List<Detection>();
        using var store = new MemberStore(64);
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 65_536);
        Assert.Equal(3, store.MaxWindowValues);
        var d = Assert.Single(found);
        Assert.Equal("quiet", CorrelationSupport.Field(d, "User"));
        Assert.Equal("2", CorrelationSupport.Field(d, "value_count"));
        var plain = CorrelationEngine.Apply(list, set.Correlations, set.Generates, null, blockRows: 1 << 20).Detections
            .Where(x => x.Rule.IsCorrelation).Select(Text).ToList();
        Assert.Equal(plain, found.Select(Text));
    }
}
