using Vigil.Engine.Metrics;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Metrics;

/// <summary>These tests lower the spill threshold of the counting commands, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SpillThresholdCollection { public const string Name = "tally-spill"; }

/// <summary>
/// <c>vigil metrics</c> and <c>vigil logons</c> with the workers spilling their tallies every few keys (runs merged by
/// key, sorted into the table's order through runs, rows read back from a file) print what they print counting in
/// memory, in every format, over real recordings.
/// </summary>
[Collection(SpillThresholdCollection.Name)]
public sealed class SpilledCountTests
{
    private static string Shared(params string[] parts) => Path.Combine([TestPaths.Shared, "data", .. parts]);

    public static TheoryData<string[]> Commands() => new()
    {
        { ["logons", Shared("evtx", "DeepBlueCLI"), Shared("evtx", "EVTX-ATTACK-SAMPLES", "Credential Access")] },
        { ["metrics", Shared("evtx")] },
        { ["metrics", Shared("evtx"), "--by", "computer"] },
        { ["metrics", Shared("json", "otrf")] },
        { ["metrics", Shared("evtx"), "--by", "channel"] },
        { ["logons", Shared("json", "otrf")] },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Spilled_tallies_give_the_same_tables(string[] command)
    {
        foreach (var format in new[] { "table", "csv", "json" })
        {
            string[] args = [.. command, "--format", format, "--threads", "2"];
            var inMemory = CliRunner.Run(args);
            Assert.True(inMemory.ExitCode == 0, inMemory.Error);
            int rows = TallyRuns.SpillRows;
            TallyRuns.SpillRows = 7;
            CliRunner.Result spilled;
            try { spilled = CliRunner.Run(args); }
            finally { TallyRuns.SpillRows = rows; }
            Assert.True(spilled.ExitCode == 0, spilled.Error);
            Assert.Equal(inMemory.Out, spilled.Out);
            Assert.True(inMemory.Out.Split('\n').Length > 10, "the table has rows enough to spill (more than 7 keys)");
        }
    }

    [Fact]
    public void Runs_merge_equal_keys_and_keep_any_text()
    {
        var a = TallyRuns.Write([(["a", "x"], new Tally { Count = 2, First = 5, Last = 9 }), (["b\ud800", ""], new Tally { Count = 1 })], "test");
        var b = TallyRuns.Write([(["a", "x"], new Tally { Count = 3, First = 4, Last = 6 }), (["c"], new Tally { Count = 7, First = 1, Last = 1 })], "test");
        var merged = TallyRuns.Merge([a, b], (p, q) => TallyRuns.ByKey(p.Key, q.Key), combine: true).ToList();
        Assert.Equal(3, merged.Count);
        Assert.Equal(["a", "x"], merged[0].Key);
        Assert.Equal((5L, 4L, 9L), (merged[0].Tally.Count, merged[0].Tally.First, merged[0].Tally.Last));
        Assert.Equal(["b\ud800", ""], merged[1].Key);   // a lone surrogate comes back as it was
        Assert.Equal(["c"], merged[2].Key);
        Assert.False(a.CanRead || b.CanRead);   // runs are closed, so deleted, once merged
    }
}
