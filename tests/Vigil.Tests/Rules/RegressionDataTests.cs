using Vigil.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Rules;

/// <summary>
/// SigmaHQ regression data: each info.yml names a rule id and an event file (.json form of an .evtx).
/// The named rule must match at least one of its events.
/// </summary>
public class RegressionDataTests(ITestOutputHelper output)
{
    [Fact]
    public void EachRuleMatchesItsRegressionEvents()
    {
        string sigma = CollectionTests.SigmaDir;
        var byId = RegressionSuite.RulesById();
        var infos = RegressionSuite.InfoFiles();
        int pass = 0, skipped = 0;
        var failures = new List<string>();
        foreach (var info in infos)
        {
            var (ruleId, jsonPaths) = ReadInfo(info, sigma);
            if (!byId.TryGetValue(ruleId, out var rule)) { failures.Add($"{info}: rule {ruleId} not loaded"); continue; }
            if (jsonPaths == null) { skipped++; output.WriteLine($"{info}: no evtx regression test listed, skipped"); continue; }
            var events = jsonPaths.SelectMany(EvtxJson.ReadFile).ToList();
            if (events.Count == 0) { failures.Add($"{info}: no events in {string.Join(", ", jsonPaths)}"); continue; }
            if (events.Any(rule.Matches)) pass++;
            else failures.Add($"{info}: rule '{rule.Rule.Title}' ({rule.Rule.Logsource}) matched none of {events.Count} events");
        }
        output.WriteLine($"regression: {pass}/{infos.Count - skipped} pass ({skipped} info.yml without an evtx test)");
        foreach (var f in failures) output.WriteLine(f);
        Assert.Empty(failures);
        Assert.True(pass > 150);
    }

    /// <summary>The .json renderings (beside each listed .evtx) that exist; null when the info.yml lists no test.</summary>
    private static (string RuleId, List<string>? Json) ReadInfo(string info, string sigma)
    {
        var (id, paths) = RegressionSuite.ReadInfo(info);
        return (id, paths?.Select(p => Path.Combine(sigma, Path.ChangeExtension(p, ".json"))).Where(File.Exists).ToList());
    }
}
