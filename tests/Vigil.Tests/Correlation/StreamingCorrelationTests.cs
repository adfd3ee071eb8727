using System.Text;
using Vigil.Engine.Correlation;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Tests.Correlation;

/// <summary>
/// The streaming correlation evaluation (<see cref="CorrelationEngine.ApplySorted"/>, what the hunter runs: inputs read
/// back in time order from a spool, matches sorted by group on disk, one group's window at a time, chains fed from spools
/// of their own) against the evaluation over the whole list
/// (<see cref="CorrelationEngine.Apply(IReadOnlyList{Detection}, IReadOnlyList{CompiledCorrelation}, Func{SigmaRule, bool}, Func{SigmaRule, bool}?)"/>):
/// every correlation type, with lower and upper bounds, groups, values, numbers, events matched by several rules,
/// untimed events and two chains (one over a correlation, one over a correlation and a base rule), over thousands of
/// groups.
/// </summary>
public sealed class StreamingCorrelationTests
{
    private static string Corr(int n, string type, string rules, string rest, string extra = "") => $"""
        title: corr {n} {type}
        id: 10000000-0000-0000-0000-0000000001{n:00}
        {extra}status: test
        level: high
        correlation:
            type: {type}
            rules:
        {rules}
        {rest}
        """;

    internal static readonly string Yaml = string.Join("\n---\n",
        Corr(1, "event_count", "        - a", "    group-by:\n        - User\n    timespan: 30s\n    condition:\n        gte: 3", "name: burst\n"),
        Corr(2, "event_count", "        - a\n        - b", "    group-by:\n        - User\n    timespan: 20s\n    condition:\n        lt: 2"),
        Corr(3, "value_count", "        - a\n        - b", "    group-by:\n        - User\n    timespan: 40s\n    condition:\n        gte: 2\n        field: Host"),
        Corr(4, "value_sum", "        - a", "    group-by:\n        - User\n    timespan: 30s\n    condition:\n        gte: 100\n        field: Bytes"),
        Corr(5, "value_avg", "        - b", "    group-by:\n        - Host\n    timespan: 30s\n    condition:\n        gt: 40.5\n        field: Bytes"),
        Corr(6, "value_median", "        - a\n        - c", "    group-by:\n        - User\n    timespan: 30s\n    condition:\n        gte: 50\n        field: Bytes"),
        Corr(7, "value_percentile", "        - a", "    group-by:\n        - User\n    timespan: 60s\n    condition:\n        lte: 30\n        field: Host"),
        Corr(8, "temporal", "        - a\n        - b", "    group-by:\n        - User\n    timespan: 15s"),
        Corr(9, "temporal_ordered", "        - a\n        - b\n        - c", "    group-by:\n        - User\n    timespan: 30s"),
        Corr(10, "event_count", "        - burst", "    group-by:\n        - User\n    timespan: 10m\n    condition:\n        gte: 2"),
        Corr(11, "event_count", "        - c", "    timespan: 5s\n    condition:\n        gte: 4"),
        Corr(12, "temporal", "        - burst\n        - c", "    group-by:\n        - User\n    timespan: 2m"),
        CorrelationSupport.BaseRule("a", "a", "20000000-0000-0000-0000-000000000001"),
        CorrelationSupport.BaseRule("b", "b", "20000000-0000-0000-0000-000000000002"),
        CorrelationSupport.BaseRule("c", "c", "20000000-0000-0000-0000-000000000003"));

    /// <summary>Events with detections of a random subset of the rules, in sorted order (stable: ties in creation order).</summary>
    private static List<Detection> Detections(RuleSet set, int events, int users, int seed)
    {
        var random = new Random(seed);
        var rules = new[] { "a", "b", "c" }.Select(n => set.Rules.Single(r => r.Rule.Name == n).Rule).ToArray();
        var list = new List<Detection>();
        long t0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        for (int e = 0; e < events; e++)
        {
            var fields = new List<EventField>();
            if (random.Next(20) != 0) fields.Add(new("User", FieldValue.FromString("u" + random.Next(users))));
            if (random.Next(10) != 0) fields.Add(new("Host", FieldValue.FromString("h" + random.Next(random.Next(2) == 0 ? 3 : 40))));
            int bytes = random.Next(120);
            fields.Add(new("Bytes", random.Next(6) switch
            {
                0 => FieldValue.FromString(bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                1 => FieldValue.FromString("n/a"),
                2 => FieldValue.FromDouble(bytes / 3.0),
                _ => FieldValue.FromInt64(bytes),
            }));
            // Times over two hours, in whole seconds (many equal), some events without a time.
            long ticks = random.Next(200) == 0 ? 0 : t0 + TimeSpan.TicksPerSecond * random.Next(7200);
            var origin = new EventOrigin(random.Next(2) == 0 ? "x.jsonl" : "y.jsonl", random.Next(1_000_000), e + 1);
            foreach (var rule in rules)
                if (random.Next(3) != 0 || rule == rules[0])
                    list.Add(new Detection { Rule = rule, TimestampTicks = ticks, Computer = "", Channel = "", Origin = origin, Fields = fields });
        }
        return list.OrderBy(d => d, Comparer<Detection>.Create(Detection.Compare)).ToList();
    }

    private static string Text(Detection d)
    {
        var b = new StringBuilder();
        b.Append(d.Rule.Id).Append('|').Append(d.TimestampTicks).Append('|').Append(d.Origin).Append('|');
        foreach (var f in d.Fields) b.Append(f.Name).Append('=').Append(f.Value.ToString()).Append(';');
        return b.ToString();
    }

    /// <summary>The whole-list evaluation keeps its windows' members in memory (blocks far larger than any window); the
    /// streamed one sorts its matches by group in runs of 5 to 64K rows (most of them merged from the file), and spills
    /// window members through blocks of 1, 2, 3 or 32, so most windows read members back from the file as they leave, as
    /// the found detection lists them and as the median and the ordered search read them. With every group key's hash the
    /// same, groups are told apart by their texts.</summary>
    [Theory]
    [InlineData(20_000, 300, 1, 65_536, 32, false)]
    [InlineData(20_000, 300, 1, 5, 3, false)]
    [InlineData(20_000, 300, 1, 1_000, 2, true)]
    [InlineData(3_000, 5, 2, 7, 1, false)]
    [InlineData(3_000, 5, 2, 65_536, 2, true)]
    [InlineData(12_000, 4_000, 3, 65_536, 1, false)]
    [InlineData(12_000, 4_000, 3, 100, 32, false)]
    public void Streaming_evaluation_finds_what_the_evaluation_over_the_whole_list_finds(int events, int users, int seed, int runRows, int blockRows,
        bool collide)
    {
        var set = RuleLoader.LoadText(Yaml, "streaming.yml");
        Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
        Assert.Equal(12, set.Correlations.Count);
        var held = Detections(set, events, users, seed);
        var metas = set.Correlations.Select(c => c.Meta).ToHashSet();

        var whole = CorrelationEngine.Apply(held, set.Correlations, set.Generates, null, blockRows: 1 << 20);
        var expected = whole.Detections.Where(d => metas.Contains(d.Rule)).Select(Text).Order(StringComparer.Ordinal).ToList();
        var found = new List<Detection>();
        using var store = new MemberStore(blockRows);
        long untimed = CorrelationEngine.ApplySorted(held, set.Correlations, set.Generates, null, found.Add, store, runRows,
            collide ? static _ => UInt128.One : null);
        var actual = found.Select(Text).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(whole.UntimedMatches, untimed);
        Assert.True(whole.UntimedMatches > 0);
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected, actual);
        // Windows did spill, and read their members back.
        if (blockRows < 32) Assert.True(store.BlocksWritten > 100, $"{store.BlocksWritten} blocks written");
        // Every type fired (the chain through "burst" included), so no part of the comparison is empty.
        foreach (var c in set.Correlations.Where(c => set.Generates(c.Meta)))
            Assert.True(found.Any(d => d.Rule == c.Meta) || seed != 1, $"{c.Meta.Title} never fired");
    }
}

/// <summary>The hunter's correlation inputs through a spool that spills after every detection: the same output as with
/// the default spool (everything in memory for an input this small).</summary>
public sealed class SpilledCorrelationInputTests
{
    [Fact]
    public void Correlation_inputs_read_back_from_spilled_runs_give_the_same_hunt()
    {
        var dir = Cli.CliRunner.TempDir("corr-spill");
        File.WriteAllText(Path.Combine(dir, "rules.yml"), StreamingCorrelationTests.Yaml);
        var set = RuleLoader.Load([Path.Combine(dir, "rules.yml")], includeBuiltin: false);
        Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
        var logs = Path.Combine(dir, "logs");
        Directory.CreateDirectory(logs);
        var random = new Random(4);
        var lines = new List<string>();
        for (int i = 0; i < 4_000; i++)
            lines.Add(CorrelationSupport.Line(random.Next(3600), ("kind", "abc"[random.Next(3)].ToString()), ("User", "u" + random.Next(50)),
                ("Host", "h" + random.Next(6)), ("Bytes", random.Next(120))));
        File.WriteAllLines(Path.Combine(logs, "a.jsonl"), lines.Take(2_500));
        File.WriteAllLines(Path.Combine(logs, "b.jsonl"), lines.Skip(2_500));
        string Hunt(SpoolOptions? spool)
        {
            var diag = new Vigil.Diagnostics.DiagnosticsCollector();
            var files = Vigil.Readers.InputFiles.Expand([logs], Vigil.Readers.LogFormats.All, diag);
            using var result = Hunter.Run(files, set.Rules, diag, degree: 2, correlate: set, spool: spool);
            return string.Join("\n", result.Detections.Select(d => $"{d.Rule.Title}|{d.TimestampTicks}|{d.Origin}|"
                + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()))));
        }
        var inMemory = Hunt(null);
        var spilled = Hunt(new SpoolOptions(MaxBufferBytes: 1));
        Assert.Contains("corr 10 event_count", inMemory); // the chain over "burst"
        Assert.Contains("corr 12 temporal", inMemory);    // the chain over "burst" and base rule c
        Assert.Contains("corr 3 value_count", inMemory);
        Assert.Equal(inMemory, spilled);
    }

    /// <summary>The base rules here only feed correlations, so the hunt copies just the fields correlations read out of each
    /// matching event (no snapshot of the whole event). Its correlation detections equal those of the evaluation over the
    /// whole detections of a hunt without correlations (every field of every event kept).</summary>
    [Fact]
    public void Detections_trimmed_from_the_event_correlate_like_whole_ones()
    {
        var dir = Cli.CliRunner.TempDir("corr-trim");
        File.WriteAllText(Path.Combine(dir, "rules.yml"), StreamingCorrelationTests.Yaml);
        var set = RuleLoader.Load([Path.Combine(dir, "rules.yml")], includeBuiltin: false);
        var logs = Path.Combine(dir, "logs");
        Directory.CreateDirectory(logs);
        var random = new Random(8);
        var lines = new List<string>();
        for (int i = 0; i < 3_000; i++)
            lines.Add(CorrelationSupport.Line(random.Next(3600), ("kind", "abc"[random.Next(3)].ToString()), ("User", "u" + random.Next(40)),
                ("Host", "h" + random.Next(6)), ("Bytes", random.Next(2) == 0 ? random.Next(120) : (object)(random.Next(120) + ".5"))));
        File.WriteAllLines(Path.Combine(logs, "a.jsonl"), lines);
        var metas = set.Correlations.Select(c => c.Meta).ToHashSet();
        string Text(Detection d) => $"{d.Rule.Title}|{d.TimestampTicks}|{d.Origin}|" + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()));
        List<string> Run(bool correlate)
        {
            var diag = new Vigil.Diagnostics.DiagnosticsCollector();
            var files = Vigil.Readers.InputFiles.Expand([logs], Vigil.Readers.LogFormats.All, diag);
            using var result = Hunter.Run(files, set.Rules, diag, degree: 2, correlate: correlate ? set : null);
            var all = result.Detections.ToList();
            if (correlate) return all.Where(d => metas.Contains(d.Rule)).Select(Text).Order(StringComparer.Ordinal).ToList();
            Assert.All(all, d => Assert.IsType<EventSnapshot>(d.Fields));
            return CorrelationEngine.Apply(all, set).Detections.Where(d => metas.Contains(d.Rule)).Select(Text).Order(StringComparer.Ordinal).ToList();
        }
        var trimmed = Run(correlate: true);
        Assert.Contains(trimmed, t => t.StartsWith("corr 4 value_sum", StringComparison.Ordinal));
        Assert.Contains(trimmed, t => t.StartsWith("corr 3 value_count", StringComparison.Ordinal));
        Assert.Equal(Run(correlate: false), trimmed);
    }
}
