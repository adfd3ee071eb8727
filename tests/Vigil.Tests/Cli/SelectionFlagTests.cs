using System.Text.Json;
using Vigil.Rules;
using Vigil.Simulation;

namespace Vigil.Tests.Cli;

/// <summary>The rule selection flags of <c>vigil hunt</c> and <c>vigil rules list</c>.</summary>
public class SelectionFlagTests
{
    private static List<string> ListedIds(params string[] args)
    {
        var r = CliRunner.Run(["rules", "list", .. args]);
        Assert.Equal(0, r.ExitCode);
        return r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split("  ")[0]).ToList();
    }

    [Fact]
    public void Tags_match_by_prefix_case_insensitively()
    {
        var set = RuleLoader.LoadBuiltin();
        // rules list shows rules and correlations (built-in correlations count failed logons, S3 reads, sweeps).
        var builtin = set.Rules.Select(r => r.Rule).Concat(set.Correlations.Select(c => c.Meta)).ToList();
        var expected = builtin.Where(r => r.Tags.Any(t => t.StartsWith("attack.t1003.", StringComparison.Ordinal) || t == "attack.t1003"))
            .Select(r => r.Id).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ListedIds("--include-tag", "ATTACK.T1003").Order().ToList());
        // attack.t100 is not a prefix of attack.t1003 at a dot boundary.
        Assert.Empty(ListedIds("--include-tag", "attack.t100"));
        var rest = ListedIds("--exclude-tag", "attack.t1003");
        Assert.Equal(builtin.Count - expected.Count, rest.Count);
        Assert.Empty(rest.Intersect(expected));
    }

    [Fact]
    public void Ids_statuses_and_levels_combine()
    {
        var set = RuleLoader.LoadBuiltin();
        // rules list shows rules and correlations (built-in correlations count failed logons, S3 reads, sweeps).
        var builtin = set.Rules.Select(r => r.Rule).Concat(set.Correlations.Select(c => c.Meta)).ToList();
        var one = builtin[0];
        Assert.Equal([one.Id], ListedIds("--include-id", one.Id.ToUpperInvariant()));
        Assert.Equal(builtin.Count - 1, ListedIds("--exclude-id", one.Id).Count);
        Assert.Equal(builtin.Count, ListedIds("--status", "experimental", "--status", "test").Count);
        Assert.Empty(ListedIds("--status", "stable"));
        var high = builtin.Count(r => RuleSelection.LevelRank(r.Level) >= 4);
        Assert.Equal(high, ListedIds("--min-level", "high").Count);
        // Kinds are AND-ed; an exclusion wins over an inclusion.
        Assert.Empty(ListedIds("--include-id", one.Id, "--exclude-id", one.Id));
        Assert.Equal(1, CliRunner.Run("rules", "list", "--min-level", "severe").ExitCode);
    }

    [Fact]
    public void Hunt_reports_only_selected_rules()
    {
        var dir = CliRunner.TempDir("hunt-select");
        Simulator.Run(new SimulationOptions { OutDir = dir, Events = 2000, Seed = 2 });
        var all = Rows(CliRunner.Run("hunt", dir, "--format", "jsonl"));
        Assert.NotEmpty(all);
        var tagged = RuleLoader.LoadBuiltin().Rules.Where(r => r.Rule.Tags.Any(t => RuleSelection.TagMatches("attack.t1003", t)))
            .Select(r => r.Rule.Id).ToHashSet();
        var only = Rows(CliRunner.Run("hunt", dir, "--format", "jsonl", "--include-tag", "attack.t1003"));
        Assert.Equal(all.Where(tagged.Contains).Count(), only.Count);
        Assert.All(only, id => Assert.Contains(id, tagged));
        var firstId = all[0];
        var without = Rows(CliRunner.Run("hunt", dir, "--format", "jsonl", "--exclude-id", firstId));
        Assert.Equal(all.Count(x => x != firstId), without.Count);
        Assert.DoesNotContain(firstId, without);
    }

    private static List<string> Rows(CliRunner.Result r)
    {
        Assert.Equal(0, r.ExitCode);
        return r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("rule_id").GetString()!).ToList();
    }
}
