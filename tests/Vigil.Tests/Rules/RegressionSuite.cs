using Vigil.Rules;
using YamlDotNet.RepresentationModel;

namespace Vigil.Tests.Rules;

/// <summary>SigmaHQ's regression suite as both regression tests read it: the loaded collection by rule id,
/// and each info.yml's rule id with the test files it lists.</summary>
internal static class RegressionSuite
{
    public static Dictionary<string, CompiledRule> RulesById()
    {
        var folders = CollectionTests.Folders.Append("rules-placeholder")
            .Select(f => Path.Combine(CollectionTests.SigmaDir, f)).Where(Directory.Exists).ToList();
        var set = RuleLoader.Load(folders, includeBuiltin: false, CollectionTests.PlaceholderOptions);
        var byId = new Dictionary<string, CompiledRule>(StringComparer.OrdinalIgnoreCase);
        foreach (var r in set.Rules) if (r.Rule.Id.Length > 0) byId[r.Rule.Id] = r;
        return byId;
    }

    public static List<string> InfoFiles()
    {
        var infos = Directory.EnumerateFiles(Path.Combine(CollectionTests.SigmaDir, "regression_data"), "info.yml", SearchOption.AllDirectories).Order().ToList();
        Assert.True(infos.Count > 100, "regression data not found");
        return infos;
    }

    /// <summary>The rule id an info.yml names and the paths (relative to the sigma folder) of its
    /// regression_tests_info entries; null when it lists none.</summary>
    public static (string RuleId, List<string>? Paths) ReadInfo(string info)
    {
        var ys = new YamlStream();
        ys.Load(new StringReader(File.ReadAllText(info)));
        var root = (YamlMappingNode)ys.Documents[0].RootNode;
        var meta = (YamlSequenceNode)root["rule_metadata"];
        string id = ((YamlScalarNode)((YamlMappingNode)meta[0])["id"]).Value!;
        if (!root.Children.TryGetValue(new YamlScalarNode("regression_tests_info"), out var ti)) return (id, null);
        return (id, ((YamlSequenceNode)ti).Select(t => ((YamlScalarNode)((YamlMappingNode)t)["path"]).Value!).ToList());
    }
}
