using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Json;
using Vigil.Rules;
using YamlDotNet.RepresentationModel;

namespace Vigil.Tests.Simulation;

public sealed class BuiltinRulesTests(SimulatorFixture fx) : IClassFixture<SimulatorFixture>
{
    private static string BuiltinDir => Path.Combine(TestPaths.RepoRoot, "src", "Vigil.Rules", "Builtin");
    private static string[] RuleFiles => Directory.GetFiles(BuiltinDir, "*.yml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    private static string Scalar(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s ? s.Value ?? "" : "";

    [Fact]
    public void EveryBuiltinRuleHasTheRequiredSigmaFields()
    {
        var files = RuleFiles;
        Assert.InRange(files.Length, 12, 40);
        var ids = new HashSet<Guid>();
        string[] levels = ["informational", "low", "medium", "high", "critical"];
        string[] tactics = ["initial-access", "execution", "persistence", "privilege-escalation", "defense-evasion", "credential-access",
            "discovery", "lateral-movement", "collection", "exfiltration", "command-and-control", "impact"];
        foreach (var f in files)
        {
            string name = Path.GetFileName(f);
            var ys = new YamlStream();
            using (var r = new StreamReader(f)) ys.Load(r);
            // One rule per file, or a correlation with the base rules it counts (named in the same file).
            Assert.InRange(ys.Documents.Count, 1, 4);
            int ruleDocs = 0, correlationDocs = 0;
            var names = new HashSet<string>(StringComparer.Ordinal);
            var referenced = new List<string>();
            foreach (var doc in ys.Documents)
            {
                var root = Assert.IsType<YamlMappingNode>(doc.RootNode);
                Assert.False(string.IsNullOrWhiteSpace(Scalar(root, "title")), $"{name}: title");
                Assert.InRange(Scalar(root, "title").Length, 1, 256);
                Assert.True(Guid.TryParse(Scalar(root, "id"), out var id), $"{name}: id is not a UUID");
                Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", Scalar(root, "id"));
                Assert.True(ids.Add(id), $"{name}: duplicate id {id}");
                Assert.Contains(Scalar(root, "status"), new[] { "experimental", "test", "stable" });
                Assert.False(string.IsNullOrWhiteSpace(Scalar(root, "description")), $"{name}: description");
                Assert.Equal("Vigil", Scalar(root, "author"));
                Assert.True(DateTime.TryParseExact(Scalar(root, "date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _), $"{name}: date");
                Assert.Contains(Scalar(root, "level"), levels);
                var tags = Assert.IsType<YamlSequenceNode>(root.Children[new YamlScalarNode("tags")]).Children.Select(t => ((YamlScalarNode)t).Value!).ToList();
                Assert.All(tags, t => Assert.Matches(@"^attack\.(t\d{4}(\.\d{3})?|[a-z-]+)$", t));
                Assert.Contains(tags, t => tactics.Contains(t["attack.".Length..]));
                Assert.Contains(tags, t => Regex.IsMatch(t, @"^attack\.t\d{4}"));
                Assert.IsType<YamlSequenceNode>(root.Children[new YamlScalarNode("falsepositives")]);
                if (Scalar(root, "name") is { Length: > 0 } n) names.Add(n);

                if (root.Children.TryGetValue(new YamlScalarNode("correlation"), out var corrNode))
                {
                    correlationDocs++;
                    var corr = Assert.IsType<YamlMappingNode>(corrNode);
                    Assert.Contains(Scalar(corr, "type"), new[] { "event_count", "value_count", "temporal", "temporal_ordered" });
                    referenced.AddRange(Assert.IsType<YamlSequenceNode>(corr.Children[new YamlScalarNode("rules")]).Children.Select(c => ((YamlScalarNode)c).Value!));
                    continue;
                }
                ruleDocs++;
                var ls = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("logsource")]);
                string product = Scalar(ls, "product");
                Assert.Contains(product, new[] { "windows", "zeek", "aws" });
                if (product == "windows")
                    Assert.True(Scalar(ls, "category").Length > 0 || Scalar(ls, "service").Length > 0, $"{name}: logsource needs category or service");
                else
                    Assert.True(Scalar(ls, "service").Length > 0, $"{name}: {product} logsource needs a service");

                var det = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("detection")]);
                string condition = Scalar(det, "condition");
                Assert.False(string.IsNullOrWhiteSpace(condition), $"{name}: detection.condition");
                var searches = det.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Where(k => k != "condition").ToList();
                foreach (Match m in Regex.Matches(condition, @"[A-Za-z_][A-Za-z0-9_*]*"))
                {
                    string tok = m.Value;
                    if (tok is "and" or "or" or "not" or "of" or "all" or "them") continue;
                    var re = new Regex("^" + Regex.Escape(tok).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
                    Assert.True(searches.Any(s => re.IsMatch(s)), $"{name}: condition refers to '{tok}' which is not defined");
                }
            }
            Assert.True(ruleDocs >= 1, $"{name}: no rule");
            Assert.True(correlationDocs <= 1, $"{name}: one correlation per file");
            Assert.All(referenced, r => Assert.True(names.Contains(r), $"{name}: correlation refers to '{r}', which no rule in the file is named"));

            // Loads and compiles in the real engine without a single error.
            var loaded = RuleLoader.LoadText(File.ReadAllText(f), f);
            Assert.True(loaded.Errors.Count == 0, string.Join("\n", loaded.Errors));
            Assert.Equal(ruleDocs, loaded.Rules.Count);
            Assert.Equal(correlationDocs, loaded.Correlations.Count);
        }
    }

    [Fact]
    public void BuiltinRulesAreEmbeddedInTheRulesAssembly()
    {
        var asm = Assembly.Load("Vigil.Rules");
        var names = asm.GetManifestResourceNames().Where(n => n.StartsWith("Vigil.Builtin.", StringComparison.Ordinal)).ToHashSet();
        foreach (var f in RuleFiles)
            Assert.Contains("Vigil.Builtin." + Path.GetFileName(f), names);
    }

    [Fact]
    public void RulesCatchEachIntrusionStepAndSpareTheBenignLookalikes()
    {
        // The real engine: built-in rules as shipped, events through the real JSON reader.
        var builtin = RuleLoader.LoadBuiltin();
        Assert.Empty(builtin.Errors);
        var rules = builtin.Rules;
        int Rank(string level) => Array.IndexOf(new[] { "informational", "low", "medium", "high", "critical" }, level);
        var intrusionKeys = fx.Result.Truth.IntrusionEvents.Where(e => e.Source == "windows").ToDictionary(e => (e.File, e.EventRecordID, e.Hostname), e => e);
        var matches = new Dictionary<(string File, long Rid, string Host), List<CompiledRule>>();
        var diagnostics = new DiagnosticsCollector();
        var format = new JsonFormat();
        foreach (var path in fx.Result.Files)
        {
            string file = Path.GetFileName(path);
            foreach (var part in format.Partition(path, diagnostics))
                part.Read(new Event(), e =>
                {
                    var key = (file, long.Parse(e.GetString("EventRecordID")!, CultureInfo.InvariantCulture),
                        e.GetString("Hostname")!);
                    var hit = rules.Where(r => r.Matches(e)).ToList();
                    if (hit.Count > 0) matches[key] = hit;
                }, diagnostics);
        }
        Assert.Empty(diagnostics.Errors);

        // No benign event (background, inventory, backup, admin work) may fire a high or critical rule.
        var falseAlarms = new List<string>();
        foreach (var (key, hit) in matches)
        {
            if (intrusionKeys.ContainsKey(key)) continue;
            foreach (var r in hit.Where(r => Rank(r.Rule.Level) >= 3))
                falseAlarms.Add($"{r.Rule.Title} on {key}");
        }
        Assert.True(falseAlarms.Count == 0, "benign events fire high/critical rules:\n" + string.Join("\n", falseAlarms.Take(20)));

        // Each of these steps must be caught by at least one rule of at least the given level.
        var expected = new Dictionary<string, string>
        {
            ["T1059.001"] = "high",      // Office spawns encoded PowerShell / download cradle
            ["T1069.002"] = "low",       // domain admins discovery
            ["T1548.002"] = "high",      // fodhelper UAC bypass
            ["T1057"] = "medium",        // LSASS pid lookup
            ["T1003.001"] = "critical",  // comsvcs MiniDump
            ["T1041"] = "high",          // curl upload of the dump
            ["T1021.002"] = "high",      // PsExec
            ["T1136.001"] = "medium",    // net user /add
            ["T1098"] = "high",          // local Administrators membership
            ["T1047"] = "high",          // wmic process call create
            ["T1005"] = "high",          // sqlcmd / bcp export
            ["T1560.001"] = "high",      // 7z -p
            ["T1048"] = "high",          // rclone
        };
        var best = new Dictionary<string, int>();
        foreach (var le in fx.Result.Truth.IntrusionEvents.Where(e => e.Source == "windows"))
        {
            Assert.True(fx.Index.ContainsKey((le.File, le.EventRecordID, le.Hostname)));
            foreach (var r in matches.GetValueOrDefault((le.File, le.EventRecordID, le.Hostname)) ?? [])
                best[le.Technique!] = Math.Max(best.GetValueOrDefault(le.Technique!, -1), Rank(r.Rule.Level));
        }
        foreach (var (tech, level) in expected)
            Assert.True(best.GetValueOrDefault(tech, -1) >= Rank(level), $"step {tech} not caught at level {level} (best {best.GetValueOrDefault(tech, -1)})");
    }
}
