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
        // Without placeholder values, rules using |expand must fail loudly, and nothing else may fail.
        Assert.All(set.Errors, e => Assert.Contains("placeholder", e.Message));

        var withPlaceholders = RuleLoader.Load(paths, includeBuiltin: false, PlaceholderOptions);
        foreach (var e in withPlaceholders.Errors) output.WriteLine("with placeholders: " + e);
        Assert.Empty(withPlaceholders.Errors);
        Assert.Equal(withPlaceholders.FilesRead, withPlaceholders.Rules.Count);
    }

    [Fact]
    public void PlaceholderRulesLoadWhenPlaceholdersAreGiven()
    {
        var dir = Path.Combine(SigmaDir, "rules-placeholder");
        var bare = RuleLoader.Load([dir], includeBuiltin: false);
        Assert.NotEmpty(bare.Errors);
        Assert.All(bare.Errors, e => Assert.Contains("placeholder", e.Message));
        var set = RuleLoader.Load([dir], includeBuiltin: false, PlaceholderOptions);
        foreach (var e in set.Errors) output.WriteLine(e.ToString());
        Assert.Empty(set.Errors);
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
