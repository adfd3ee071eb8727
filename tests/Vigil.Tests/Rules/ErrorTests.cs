using Vigil.Rules;
using static Vigil.Tests.Rules.RuleTestHelper;

namespace Vigil.Tests.Rules;

/// <summary>Bad rules fail loudly with file, line and column; the other rules of the file still load.</summary>
public class ErrorTests
{
    private const string Good = "title: good\nid: g1\nlogsource:\n    product: windows\ndetection:\n    sel:\n        A: 1\n    condition: sel\n";

    [Fact]
    public void UnknownModifierNamesFileAndLine()
    {
        var set = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image|endswith: x\n        CommandLine|containz: y\n    condition: sel\n", "rules/bad_mod.yml");
        var err = Assert.Single(set.Errors);
        Assert.Equal("rules/bad_mod.yml", err.File);
        Assert.Equal(7, err.Line);
        Assert.Equal(9, err.Column);
        Assert.Contains("containz", err.Message);
        Assert.StartsWith("rules/bad_mod.yml:7:9: ", err.ToString());
        Assert.Empty(set.Rules);
    }

    [Fact]
    public void UnknownIdentifierInCondition()
    {
        var set = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: 1\n    condition: selection and not filter\n", "c.yml");
        var err = Assert.Single(set.Errors);
        Assert.Equal(7, err.Line);
        Assert.Equal(34, err.Column);   // points at "filter"
        Assert.Contains("'filter'", err.Message);
    }

    [Fact]
    public void OfPatternMatchingNothing()
    {
        var set = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: 1\n    condition: selection and not 1 of filter_*\n");
        Assert.Contains("filter_*", Assert.Single(set.Errors).Message);
    }

    [Theory]
    [InlineData("selection and", "expected")]
    [InlineData("(selection", "')'")]
    [InlineData("selection selection", "unexpected")]
    [InlineData("selection | count() > 5", "aggregation")]
    [InlineData("2 of selection*", "'2 of selection*' can never hold")]
    [InlineData("0 of selection*", "at least 1")]
    [InlineData("1 of", "after 'of'")]
    public void BadConditionSyntax(string condition, string expected)
    {
        var set = Load($"title: t\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: 1\n    condition: '{condition}'\n");
        var err = Assert.Single(set.Errors);
        Assert.Equal(7, err.Line);
        Assert.Contains(expected, err.Message);
    }

    [Fact]
    public void YamlSyntaxError()
    {
        var set = Load("title: t\nlogsource:\n    product: windows\ndetection:\n    selection:\n        A: [1, 2\n    condition: selection\n", "y.yml");
        var err = Assert.Single(set.Errors);
        Assert.Equal("y.yml", err.File);
        Assert.Equal(6, err.Line);
        Assert.Contains("YAML", err.Message);
    }

    [Fact]
    public void MissingPartsAndBadValues()
    {
        Assert.Contains("detection", Assert.Single(Load("title: t\nlogsource:\n    product: w\n").Errors).Message);
        Assert.Contains("condition", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A: 1\n").Errors).Message);
        Assert.Contains("nested", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A:\n            B: 1\n    condition: sel\n").Errors).Message);
        Assert.Contains("exists", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A|exists: maybe\n    condition: sel\n").Errors).Message);
        Assert.Contains("CIDR", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A|cidr: 10.0.0/33x\n    condition: sel\n").Errors).Message);
        Assert.Contains("number", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A|gt: big\n    condition: sel\n").Errors).Message);
        Assert.Contains("regex", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A|i: x\n    condition: sel\n").Errors).Message);
        Assert.Contains("bad value", Assert.Single(Load("title: t\ndetection:\n    sel:\n        A|re: '(unclosed'\n    condition: sel\n").Errors).Message);
    }

    [Fact]
    public void OneBadDocumentDoesNotStopTheOthers()
    {
        var yaml = Good + "---\ntitle: bad\nlogsource:\n    product: windows\ndetection:\n    sel:\n        A|nope: 1\n    condition: sel\n---\n"
                   + Good.Replace("g1", "g2");
        var set = Load(yaml, "multi.yml");
        Assert.Equal(2, set.Rules.Count);
        var err = Assert.Single(set.Errors);
        Assert.Equal(15, err.Line);
        Assert.Contains("nope", err.Message);
    }

    [Fact]
    public void CorrelationAndFilterDocumentsAreCheckedWithFileAndLine()
    {
        // event_count needs a condition: the error points at the correlation section.
        var corr = Load(Good + "---\ntitle: c\ncorrelation:\n    type: event_count\n    rules: [g1]\n    timespan: 1h\n", "corr.yml");
        Assert.Single(corr.Rules);
        var err = Assert.Single(corr.Errors);
        Assert.Contains("needs a condition", err.Message);
        Assert.Equal("corr.yml", err.File);
        Assert.Equal(12, err.Line);
        // A reference to nothing fails the correlation, naming it.
        var dangling = Load(Good + "---\ntitle: c\ncorrelation:\n    type: temporal\n    rules: [g1, nope]\n    group-by: [A]\n    timespan: 1h\n", "corr.yml");
        Assert.Contains("'nope'", Assert.Single(dangling.Errors).Message);
        Assert.Empty(dangling.Correlations);
        var badSpan = Load(Good + "---\ntitle: c\ncorrelation:\n    type: temporal\n    rules: [g1]\n    timespan: 1w\n", "corr.yml");
        Assert.Contains("timespan '1w'", Assert.Single(badSpan.Errors).Message);
        var cycle = Load(Good + "---\ntitle: c1\nname: c1\ncorrelation:\n    type: temporal\n    rules: [g1, c2]\n    timespan: 1h\n"
                         + "---\ntitle: c2\nname: c2\ncorrelation:\n    type: temporal\n    rules: [g1, c1]\n    timespan: 1h\n", "corr.yml");
        Assert.Contains(cycle.Errors, e => e.Message.Contains("cycle"));
        Assert.Empty(cycle.Correlations);
        // A filter naming a rule nobody loaded is a warning, not a failure; a filter without rules is an error.
        var filt = Load("title: f\nlogsource:\n    product: windows\nfilter:\n    rules: [g1]\n    selection:\n        A: 2\n    condition: selection\n", "f.yml");
        Assert.Empty(filt.Errors);
        Assert.Contains("no loaded rule", Assert.Single(filt.Warnings).Message);
        var noRules = Load("title: f\nlogsource:\n    product: windows\nfilter:\n    selection:\n        A: 2\n    condition: selection\n", "f.yml");
        Assert.Contains("'rules'", Assert.Single(noRules.Errors).Message);
    }

    [Fact]
    public void GlobalActionMergesIntoFollowingDocuments()
    {
        var yaml = "action: global\ntitle: shared title\nlogsource:\n    product: windows\ndetection:\n    filter:\n        User: SYSTEM\n    condition: sel and not filter\n"
                   + "---\nid: r1\ndetection:\n    sel:\n        A: 1\n---\nid: r2\ntitle: own title\ndetection:\n    sel:\n        B: 1\n";
        var set = Load(yaml, "coll.yml");
        Assert.Empty(set.Errors);
        Assert.Equal(2, set.Rules.Count);
        var r1 = set.Rules[0];
        Assert.Equal("shared title", r1.Rule.Title);
        Assert.Equal("own title", set.Rules[1].Rule.Title);
        Assert.Equal(10, r1.Rule.Line);
        Assert.True(r1.Matches(Ev(("A", 1L), ("User", "bob"))));
        Assert.False(r1.Matches(Ev(("A", 1L), ("User", "system"))));
        Assert.True(set.Rules[1].Matches(Ev(("B", 1L))));
        Assert.False(set.Rules[1].Matches(Ev(("A", 1L))));
    }

    [Fact]
    public void RepeatActionReusesThePreviousDocument()
    {
        var yaml = "title: first\nid: r1\nlogsource:\n    product: windows\ndetection:\n    sel:\n        A: 1\n    condition: sel\n"
                   + "---\naction: repeat\nid: r2\ndetection:\n    sel:\n        A: 2\n";
        var set = Load(yaml, "rep.yml");
        Assert.Empty(set.Errors);
        Assert.Equal(2, set.Rules.Count);
        Assert.Equal("first", set.Rules[1].Rule.Title);
        Assert.True(set.Rules[1].Matches(Ev(("A", 2L))));
        Assert.False(set.Rules[1].Matches(Ev(("A", 1L))));
    }

    [Fact]
    public void BuiltinRulesLoadCleanly()
    {
        var set = RuleLoader.LoadBuiltin();
        Assert.Empty(set.Errors);
        Assert.True(set.Rules.Count >= set.FilesRead);
    }

    [Fact]
    public void MetadataIsParsed()
    {
        var set = Load("title: T\nid: abc\nstatus: deprecated\nlevel: high\nauthor: me\ndescription: d\ntags:\n    - attack.t1059\nreferences:\n    - https://x\nfalsepositives:\n    - admins\n"
                       + "logsource:\n    product: windows\n    category: process_creation\n    service: sysmon\ndetection:\n    sel:\n        A: 1\n    condition: sel\n", "m.yml");
        var r = Assert.Single(set.Rules).Rule;
        Assert.Equal(("abc", "T", "deprecated", "high", "me", "d"), (r.Id, r.Title, r.Status, r.Level, r.Author, r.Description));
        Assert.Equal(["attack.t1059"], r.Tags);
        Assert.Equal(["https://x"], r.References);
        Assert.Equal(["admins"], r.FalsePositives);
        Assert.Equal(new Logsource("windows", "process_creation", "sysmon"), r.Logsource);
        Assert.Equal("m.yml", r.File);
        Assert.Equal(1, r.Line);
    }

    [Fact]
    public void FolderLoadKeepsGoodFilesWhenOneIsBroken()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-rules-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub"));
            File.WriteAllText(Path.Combine(dir, "a.yml"), Good);
            File.WriteAllText(Path.Combine(dir, "sub", "b.yaml"), Good.Replace("g1", "g2"));
            File.WriteAllText(Path.Combine(dir, "sub", "broken.yml"), "title: [unclosed\n");
            File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a rule");
            var set = RuleLoader.Load([dir], includeBuiltin: false);
            Assert.Equal(3, set.FilesRead);
            Assert.Equal(["g1", "g2"], set.Rules.Select(r => r.Rule.Id).Order().ToArray());
            var err = Assert.Single(set.Errors);
            Assert.Equal(Path.Combine(dir, "sub", "broken.yml"), err.File);
            var single = RuleLoader.Load([Path.Combine(dir, "a.yml")], includeBuiltin: false);
            Assert.Equal(1, single.FilesRead);
            Assert.Single(single.Rules);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void MissingPathIsAnError()
    {
        var set = RuleLoader.Load([Path.Combine(Path.GetTempPath(), "vigil-no-such-dir-" + Guid.NewGuid())], includeBuiltin: false);
        Assert.Single(set.Errors);
        Assert.Equal(0, set.FilesRead);
    }
}
