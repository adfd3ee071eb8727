using Vigil.Rules;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

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
        var folders = CollectionTests.Folders.Append("rules-placeholder")
            .Select(f => Path.Combine(sigma, f)).Where(Directory.Exists).ToList();
        var set = RuleLoader.Load(folders, includeBuiltin: false, CollectionTests.PlaceholderOptions);
        var byId = new Dictionary<string, CompiledRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in set.Rules) if (r.Rule.Id.Length > 0) byId[r.Rule.Id] = r;

        var infos = Directory.EnumerateFiles(Path.Combine(sigma, "regression_data"), "info.yml", SearchOption.AllDirectories).Order().ToList();
        Assert.True(infos.Count > 100, "regression data not found");
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

    private static (string RuleId, List<string>? Json) ReadInfo(string info, string sigma)
    {
        var ys = new YamlStream();
        ys.Load(new StringReader(File.ReadAllText(info)));
        var root = (YamlMappingNode)ys.Documents[0].RootNode;
        var meta = (YamlSequenceNode)root["rule_metadata"];
        string id = ((YamlScalarNode)((YamlMappingNode)meta[0])["id"]).Value!;
        var json = new List<string>();
        if (!root.Children.TryGetValue(new YamlScalarNode("regression_tests_info"), out var ti)) return (id, null);
        foreach (var t in (YamlSequenceNode)ti)
        {
            var path = ((YamlScalarNode)((YamlMappingNode)t)["path"]).Value!;
            var p = Path.Combine(sigma, Path.ChangeExtension(path, ".json"));
            if (File.Exists(p)) json.Add(p);
        }
        return (id, json);
    }
}
