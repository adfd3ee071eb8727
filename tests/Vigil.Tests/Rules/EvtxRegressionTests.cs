using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Readers.Evtx;
using Vigil.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Rules;

/// <summary>
/// SigmaHQ regression data through the real EVTX reader: for every info.yml, its .evtx file is hunted with the
/// named rule from the loaded collection (EvtxFormat → Hunter), and the rule must fire. Complements
/// <see cref="RegressionDataTests"/>, which uses the .json renderings of the same files.
/// </summary>
public class EvtxRegressionTests(ITestOutputHelper output)
{
    [Fact]
    public void EachRuleFiresOnItsEvtxFile()
    {
        string sigma = CollectionTests.SigmaDir;
        var byId = RegressionSuite.RulesById();
        var infos = RegressionSuite.InfoFiles();
        var evtx = new EvtxFormat();
        int pass = 0, cases = 0, skipped = 0;
        var failures = new List<string>();
        foreach (var info in infos)
        {
            var (ruleId, paths) = ReadInfo(info, sigma);
            if (!byId.TryGetValue(ruleId, out var rule)) { failures.Add($"{info}: rule {ruleId} not loaded"); continue; }
            // A few info.yml list no EVTX test (e.g. a Cisco raw-text sample whose test is commented out).
            if (paths.Count == 0) { skipped++; output.WriteLine($"{info}: no .evtx test listed, skipped"); continue; }
            foreach (var path in paths)
            {
                cases++;
                if (!File.Exists(path)) { failures.Add($"{info}: {path} missing"); continue; }
                var diag = new DiagnosticsCollector();
                var file = InputFiles.Classify(path, [evtx], diag, quiet: false);
                if (file == null) { failures.Add($"{info}: {path} not recognised as EVTX"); continue; }
                var result = Hunter.Run([file], [rule], diag, degree: 1);
                if (result.Detections.Count > 0) pass++;
                else failures.Add($"{info}: rule '{rule.Rule.Title}' ({rule.Rule.Logsource}) did not fire on {path} ({result.Stats.Events} events, {diag.Count} read errors)");
            }
        }
        output.WriteLine($"EVTX regression: {pass}/{cases} fire ({skipped} info.yml without an EVTX test)");
        foreach (var f in failures) output.WriteLine(f);
        Assert.Empty(failures);
        Assert.True(cases >= 200, $"only {cases} EVTX cases found");
        Assert.True(skipped <= 5, $"{skipped} info.yml without an EVTX test");
    }

    /// <summary>The .evtx tests an info.yml lists (none when it lists no test).</summary>
    private static (string RuleId, List<string> Evtx) ReadInfo(string info, string sigma)
    {
        var (id, paths) = RegressionSuite.ReadInfo(info);
        return (id, (paths ?? []).Where(p => p.EndsWith(".evtx", StringComparison.OrdinalIgnoreCase)).Select(p => Path.Combine(sigma, p)).ToList());
    }
}
