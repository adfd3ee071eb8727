using Vigil.Rules;
using static Vigil.Tests.Rules.RuleTestHelper;

namespace Vigil.Tests.Rules;

/// <summary>Sigma filter documents (meta filters) folded into the rules they name, and "N of" conditions.</summary>
public class FilterTests
{
    private const string ProcRule = """
        title: rar compression
        id: 6f3e2987-db24-4c78-a860-b4f4095a7095
        name: rar_compress
        logsource:
            category: process_creation
            product: windows
        detection:
            selection:
                Image|endswith: '\rar.exe'
            condition: selection
        level: medium
        """;

    private const string AdminFilter = """
        title: Filter Administrator account
        logsource:
            category: process_creation
            product: windows
        filter:
            rules:
                - 6f3e2987-db24-4c78-a860-b4f4095a7095
            selection:
                User|startswith: 'adm_'
            condition: selection
        """;

    private static RuleSet LoadFolder(params (string Name, string Yaml)[] files)
    {
        string dir = Cli.CliRunner.TempDir("filters");
        foreach (var (name, yaml) in files) File.WriteAllText(Path.Combine(dir, name), yaml);
        return RuleLoader.Load([dir], includeBuiltin: false);
    }

    private static Vigil.Events.Event Sysmon1(string image, string user) =>
        Ev(("Channel", "Microsoft-Windows-Sysmon/Operational"), ("EventID", 1L), ("Image", image), ("User", user));

    [Fact]
    public void LoadingAFolderAppliesFiltersToTheRulesTheyName()
    {
        var set = LoadFolder(("proc_rar.yml", ProcRule), ("mf_admin.yml", AdminFilter));
        Assert.Empty(set.Errors);
        Assert.Empty(set.Warnings);
        Assert.Single(set.Filters);
        var rule = Assert.Single(set.Rules);
        Assert.True(rule.Matches(Sysmon1(@"C:\Tools\rar.exe", "bob")));
        Assert.False(rule.Matches(Sysmon1(@"C:\Tools\rar.exe", "adm_bob")));   // suppressed by the filter
        // Without the filter file the same event fires.
        var plain = LoadFolder(("proc_rar.yml", ProcRule));
        Assert.True(Assert.Single(plain.Rules).Matches(Sysmon1(@"C:\Tools\rar.exe", "adm_bob")));
    }

    [Fact]
    public void FilterFieldsUseTheRulesFieldMappingOnEveryRoute()
    {
        // On the Security 4688 route the mapping renames Image to NewProcessName; a filter on Image must follow it
        // just as the rule's own selection does.
        var filter = AdminFilter.Replace("User|startswith: 'adm_'", "Image|contains: '\\approved\\'");
        var set = LoadFolder(("proc_rar.yml", ProcRule), ("mf_approved.yml", filter));
        var rule = Assert.Single(set.Rules);
        var security = Ev(("Channel", "Security"), ("EventID", 4688L), ("NewProcessName", @"C:\approved\rar.exe"));
        Assert.False(rule.Matches(security));
        Assert.True(rule.Matches(Ev(("Channel", "Security"), ("EventID", 4688L), ("NewProcessName", @"C:\Tools\rar.exe"))));
    }

    [Fact]
    public void FiltersTargetByNameAndOnlyMatchingLogsources()
    {
        var byName = AdminFilter.Replace("- 6f3e2987-db24-4c78-a860-b4f4095a7095", "- rar_compress");
        var set = LoadFolder(("proc_rar.yml", ProcRule), ("mf.yml", byName));
        Assert.False(Assert.Single(set.Rules).Matches(Sysmon1(@"C:\rar.exe", "adm_x")));

        var otherSource = AdminFilter.Replace("category: process_creation", "category: file_event");
        set = LoadFolder(("proc_rar.yml", ProcRule), ("mf.yml", otherSource));
        Assert.Contains("logsources differ", Assert.Single(set.Warnings).Message);
        Assert.True(Assert.Single(set.Rules).Matches(Sysmon1(@"C:\rar.exe", "adm_x")));   // not applied
    }

    [Fact]
    public void RulesCheckValidatesFilters()
    {
        string dir = Cli.CliRunner.TempDir("filtercheck");
        File.WriteAllText(Path.Combine(dir, "proc_rar.yml"), ProcRule);
        File.WriteAllText(Path.Combine(dir, "mf_bad.yml"), AdminFilter.Replace("User|startswith:", "User|startswiths:"));
        var r = Cli.CliRunner.Run("rules", "check", dir, "--format", "text");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("mf_bad.yml:9:", r.Out);    // reported against the filter's own file and line
        Assert.Contains("startswiths", r.Out);
        Assert.Contains("Filter Administrator account", r.Out);
        Assert.Contains("1 failed", r.Out);         // the rule it targets still loads (the broken filter is not applied)
        // A broken filter naming no loaded rule is still checked.
        File.Delete(Path.Combine(dir, "proc_rar.yml"));
        r = Cli.CliRunner.Run("rules", "check", dir, "--format", "text");
        Assert.Contains("startswiths", r.Out);
        File.WriteAllText(Path.Combine(dir, "proc_rar.yml"), ProcRule);
        File.WriteAllText(Path.Combine(dir, "mf_bad.yml"), AdminFilter);
        r = Cli.CliRunner.Run("rules", "check", dir, "--format", "text");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1 filters", r.Out);
    }

    [Fact]
    public void NOfPatternMeansAtLeastN()
    {
        var r = Rule("sel_a:\n    A: 1\nsel_b:\n    B: 1\nsel_c:\n    C: 1\ncondition: 2 of sel_*");
        Assert.False(r.Matches(Ev(("A", 1L))));
        Assert.True(r.Matches(Ev(("A", 1L), ("C", 1L))));
        Assert.True(r.Matches(Ev(("B", 1L), ("C", 1L))));
        Assert.True(r.Matches(Ev(("A", 1L), ("B", 1L), ("C", 1L))));
        var three = Rule("sel_a:\n    A: 1\nsel_b:\n    B: 1\nsel_c:\n    C: 1\ncondition: 3 of them");
        Assert.False(three.Matches(Ev(("A", 1L), ("C", 1L))));
        Assert.True(three.Matches(Ev(("A", 1L), ("B", 1L), ("C", 1L))));
        var negated = Rule("sel_a:\n    A: 1\nsel_b:\n    B: 1\nsel_c:\n    C: 1\ncondition: not 2 of sel_*");
        Assert.True(negated.Matches(Ev(("A", 1L))));
        Assert.False(negated.Matches(Ev(("A", 1L), ("B", 1L))));
    }

    [Fact]
    public void OldAggregationSyntaxStaysAClearError()
    {
        var set = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n        A: 1\n    condition: sel | count() by B > 3\n");
        Assert.Contains("correlation rule", Assert.Single(set.Errors).Message);
        var tf = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n        A: 1\n    timeframe: 5m\n    condition: sel\n");
        Assert.Contains("timeframe", Assert.Single(tf.Errors).Message);
    }
}
