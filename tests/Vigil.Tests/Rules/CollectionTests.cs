using Vigil.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Rules;

/// <summary>Loads and compiles the SigmaHQ rule collection from ../shared.</summary>
public class CollectionTests(ITestOutputHelper output)
{
    public static readonly string[] Folders = ["rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir", "rules-compliance"];

    public static string SigmaDir => Path.Combine(TestPaths.Shared, "data", "sigma");

    [Fact]
    public void WholeCollectionLoadsWithoutErrors()
    {
        var paths = Folders.Select(f => Path.Combine(SigmaDir, f)).Where(Directory.Exists).ToList();
        Assert.NotEmpty(paths);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var set = RuleLoader.Load(paths, includeBuiltin: false);
        sw.Stop();
        output.WriteLine($"files {set.FilesRead}, rules {set.Rules.Count}, errors {set.Errors.Count}, {sw.ElapsedMilliseconds} ms");
        foreach (var e in set.Errors) output.WriteLine(e.ToString());
        Assert.True(set.FilesRead > 3000, "expected the SigmaHQ collection, read " + set.FilesRead);
        // Nothing fails. Rules using |expand placeholders without values load with a warning per placeholder use.
        Assert.Empty(set.Errors);
        Assert.Equal(set.FilesRead, set.Rules.Count);
        Assert.Contains(set.Warnings, w => w.Message.Contains("%known_cdcs%"));
        Assert.All(set.Warnings, w => Assert.Contains("placeholder", w.Message));

        var withPlaceholders = RuleLoader.Load(paths, includeBuiltin: false, PlaceholderOptions);
        foreach (var e in withPlaceholders.Errors) output.WriteLine("with placeholders: " + e);
        Assert.Empty(withPlaceholders.Errors);
        Assert.Empty(withPlaceholders.Warnings);
        Assert.Equal(withPlaceholders.FilesRead, withPlaceholders.Rules.Count);
    }

    /// <summary>The CLI contract over the five folders: <c>{"loaded": N, "failed": 0, …}</c> and exit code 0.</summary>
    [Fact]
    public void RulesCheckOverAllFiveFoldersReportsNoFailure()
    {
        var paths = Folders.Select(f => Path.Combine(SigmaDir, f)).ToArray();
        Assert.All(paths, p => Assert.True(Directory.Exists(p), p));
        var r = Cli.CliRunner.Run(["rules", "check", .. paths, "--format", "json"]);
        using var doc = System.Text.Json.JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        Assert.True(root.GetProperty("loaded").GetInt32() > 3000);
        Assert.Equal(root.GetProperty("files").GetInt32(), root.GetProperty("loaded").GetInt32());
        Assert.True(root.GetProperty("warnings").GetInt32() >= 2);   // the two %known_cdcs% rules
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void PlaceholderRulesLoadWhenPlaceholdersAreGiven()
    {
        var dir = Path.Combine(SigmaDir, "rules-placeholder");
        // Without values every rule still loads; each unresolved placeholder is a warning naming file and line.
        var bare = RuleLoader.Load([dir], includeBuiltin: false);
        Assert.Empty(bare.Errors);
        Assert.Equal(bare.FilesRead, bare.Rules.Count);
        Assert.NotEmpty(bare.Warnings);
        Assert.All(bare.Warnings, e => Assert.Contains("placeholder", e.Message));
        var set = RuleLoader.Load([dir], includeBuiltin: false, PlaceholderOptions);
        foreach (var e in set.Errors) output.WriteLine(e.ToString());
        Assert.Empty(set.Errors);
        Assert.Empty(set.Warnings);
        Assert.Equal(set.FilesRead, set.Rules.Count);
    }

    /// <summary>Values for every placeholder the SigmaHQ collection uses (names are case-insensitive).</summary>
    public static readonly RuleLoadOptions PlaceholderOptions = new()
    {
        Placeholders = new Dictionary<string, IReadOnlyList<string>>
        {
            ["known_cdcs"] = ["dc01.example.local"],
            ["Administrators"] = ["admin*"], ["Admins_Workstations"] = ["adminws*"], ["ApprovedUserUpn"] = ["user@example.com"],
            ["Approved_Inviters"] = ["inviter@example.com"], ["DomainControllers"] = ["dc*"], ["HomeTenantID"] = ["00000000-0000-0000-0000-000000000000"],
            ["Important_AppIds"] = ["app"], ["KNOWN_LOCATION"] = ["HQ"], ["Legitimate_Countries"] = ["CH"],
            ["Legitimate_IP_Ranges"] = ["10.0.0.0/8"], ["ServerSystems"] = ["srv*"], ["UnApprovedDevice"] = ["device"],
            ["UnApprovedIp"] = ["192.0.2.1"], ["UnLegitCountries"] = ["XX"], ["Workstations"] = ["ws*"],
            ["dc_ip_addresses"] = ["10.0.0.1"], ["dc_machine_accounts"] = ["DC01$"], ["domain_controller_hostnames"] = ["dc01"],
            ["internal_domains"] = ["example.local"], ["legit_ips"] = ["10.0.0.2"], ["legtimate_identifiers"] = ["id"], ["userdomain"] = ["EXAMPLE"], ["DC-MACHINE-NAME"] = ["DC01"],
        },
    };
}
