using Vigil.Rules;
using static Vigil.Tests.Rules.RuleTestHelper;

namespace Vigil.Tests.Rules;

/// <summary>Routing by logsource: Channel/EventID constraints and per-source field renames.</summary>
public class LogsourceTests
{
    private const string Sysmon = "Microsoft-Windows-Sysmon/Operational";

    private static CompiledRule ProcessCreation() =>
        Rule("selection:\n    Image|endswith: '\\whoami.exe'\n    ParentImage|endswith: '\\cmd.exe'\ncondition: selection",
            logsource: "    product: windows\n    category: process_creation");

    [Fact]
    public void ProcessCreationMatchesSysmonEventId1()
    {
        var r = ProcessCreation();
        Assert.True(r.HasRouting);
        Assert.True(r.Matches(Ev(("EventID", 1L), ("Channel", Sysmon), ("Image", "C:\\w\\whoami.exe"), ("ParentImage", "C:\\w\\cmd.exe"))));
        // Right fields, wrong EventID or wrong channel: no match.
        Assert.False(r.Matches(Ev(("EventID", 3L), ("Channel", Sysmon), ("Image", "C:\\w\\whoami.exe"), ("ParentImage", "C:\\w\\cmd.exe"))));
        Assert.False(r.Matches(Ev(("EventID", 1L), ("Channel", "Application"), ("Image", "C:\\w\\whoami.exe"), ("ParentImage", "C:\\w\\cmd.exe"))));
        Assert.False(r.Matches(Ev(("Image", "C:\\w\\whoami.exe"), ("ParentImage", "C:\\w\\cmd.exe"))));
    }

    [Fact]
    public void ProcessCreationMatchesSecurity4688WithRenamedFields()
    {
        var r = ProcessCreation();
        Assert.True(r.Matches(Ev(("EventID", "4688"), ("Channel", "Security"), ("NewProcessName", "C:\\w\\whoami.exe"), ("ParentProcessName", "C:\\w\\cmd.exe"))));
        // The Sysmon names do not count on a Security event, and the Security names not on Sysmon.
        Assert.False(r.Matches(Ev(("EventID", 4688L), ("Channel", "Security"), ("Image", "C:\\w\\whoami.exe"), ("ParentImage", "C:\\w\\cmd.exe"))));
        Assert.False(r.Matches(Ev(("EventID", 1L), ("Channel", Sysmon), ("NewProcessName", "C:\\w\\whoami.exe"), ("ParentProcessName", "C:\\w\\cmd.exe"))));
    }

    [Fact]
    public void ServiceMapsToChannel()
    {
        var r = Rule("selection:\n    EventID: 1102\ncondition: selection", logsource: "    product: windows\n    service: security");
        Assert.True(r.Matches(Ev(("EventID", 1102L), ("Channel", "Security"))));
        Assert.False(r.Matches(Ev(("EventID", 1102L), ("Channel", "System"))));
        var ps = Rule("selection:\n    EventID: 4104\ncondition: selection", logsource: "    product: windows\n    service: powershell");
        Assert.True(ps.Matches(Ev(("EventID", 4104L), ("Channel", "PowerShellCore/Operational"))));
    }

    [Fact]
    public void CategoryWithExtraFieldConstraint()
    {
        var r = Rule("selection:\n    TargetObject|contains: '\\Run'\ncondition: selection", logsource: "    product: windows\n    category: registry_add");
        Assert.True(r.Matches(Ev(("EventID", 12L), ("Channel", Sysmon), ("EventType", "CreateKey"), ("TargetObject", "HKLM\\Run"))));
        Assert.False(r.Matches(Ev(("EventID", 12L), ("Channel", Sysmon), ("EventType", "DeleteKey"), ("TargetObject", "HKLM\\Run"))));
    }

    [Fact]
    public void UnknownLogsourceHasNoConstraint()
    {
        var r = Rule("selection:\n    A: 1\ncondition: selection", logsource: "    product: windows\n    category: no_such_category");
        Assert.False(r.HasRouting);
        Assert.True(r.Matches(Ev(("A", 1L))));
    }

    [Fact]
    public void OtherProductsDoNotFireOnWindowsRecords()
    {
        var r = Rule("keywords:\n    - 'whoami'\ncondition: keywords", logsource: "    product: linux\n    service: syslog");
        Assert.True(r.HasRouting);
        Assert.True(r.Matches(Ev(("message", "user ran whoami"))));                                   // no Channel: a Linux record
        Assert.True(r.Matches(Ev(("Channel", "Linux-Sysmon/Operational"), ("CommandLine", "whoami"))));
        Assert.False(r.Matches(Ev(("Channel", Sysmon), ("CommandLine", "whoami"))));                 // a Windows record
        var aws = Rule("selection:\n    eventName: x\ncondition: selection", logsource: "    product: aws\n    service: cloudtrail");
        // CloudTrail is recognised by its shape (fieldmaps.yml): eventSource, eventName and eventVersion present.
        Assert.True(aws.Matches(Ev(("eventVersion", "1.08"), ("eventSource", "s3.amazonaws.com"), ("eventName", "x"))));
        Assert.False(aws.Matches(Ev(("eventName", "x"))));
        Assert.False(aws.Matches(Ev(("eventVersion", "1.08"), ("eventSource", "s3.amazonaws.com"), ("eventName", "x"), ("Channel", "Security"))));
    }

    [Fact]
    public void RulesWithoutProduct()
    {
        // category antivirus has a Windows mapping (Defender detections), with Defender's field names.
        var av = Rule("selection:\n    Signature|contains: 'Mimikatz'\ncondition: selection", logsource: "    category: antivirus");
        Assert.True(av.Matches(Ev(("EventID", 1116L), ("Channel", "Microsoft-Windows-Windows Defender/Operational"), ("ThreatName", "HackTool:Win32/Mimikatz"))));
        Assert.False(av.Matches(Ev(("EventID", 1116L), ("Channel", "Microsoft-Windows-Windows Defender/Operational"), ("Signature", "HackTool:Win32/Mimikatz"))));
        // category database has none: keep off Windows records, match records without Channel.
        var db = Rule("keywords:\n    - 'dump'\ncondition: keywords", logsource: "    category: database");
        Assert.True(db.Matches(Ev(("query", "mysqldump all"))));
        Assert.False(db.Matches(Ev(("Channel", "Microsoft-Windows-Sysmon/Operational"), ("TargetFilename", "C:\\x\\lsass.dump"))));
    }

    [Fact]
    public void UserMappingFileOverridesBuiltin()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vigil-ls-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, "services:\n  windows:\n    security: [MySecurity]\ncategories:\n  windows:\n    my_cat:\n      - service: security\n        EventID: [7]\n        fieldmappings: {Image: Proc}\n");
        try
        {
            var opts = new RuleLoadOptions { LogsourceMappingFile = file };
            var svc = Rule("selection:\n    EventID: 1102\ncondition: selection", opts, "    product: windows\n    service: security");
            Assert.True(svc.Matches(Ev(("EventID", 1102L), ("Channel", "MySecurity"))));
            Assert.False(svc.Matches(Ev(("EventID", 1102L), ("Channel", "Security"))));
            var cat = Rule("selection:\n    Image: x\ncondition: selection", opts, "    product: windows\n    category: my_cat");
            Assert.True(cat.Matches(Ev(("EventID", 7L), ("Channel", "MySecurity"), ("Proc", "X"))));
            Assert.False(cat.Matches(Ev(("EventID", 7L), ("Channel", "MySecurity"), ("Image", "X"))));
            // Built-in entries not overridden still work.
            var pc = Rule("selection:\n    Image: x\ncondition: selection", opts, "    product: windows\n    category: process_creation");
            Assert.True(pc.Matches(Ev(("EventID", 1L), ("Channel", Sysmon), ("Image", "x"))));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void BadMappingFileIsReported()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vigil-ls-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, "services:\n  windows:\n    security: [A]\nbogus: 1\n");
        try
        {
            var set = RuleLoader.LoadText("title: t\ndetection:\n    s:\n        A: 1\n    condition: s\n", "r.yml", new RuleLoadOptions { LogsourceMappingFile = file });
            var err = Assert.Single(set.Errors);
            Assert.Equal(file, err.File);
            Assert.Equal(4, err.Line);
        }
        finally { File.Delete(file); }
    }
}

public class RoutingInfoTests
{
    [Fact]
    public void RoutingAndDescribeExposeTheCompiledForm()
    {
        var r = RuleTestHelper.Rule("selection:\n    Image|endswith: '\\whoami.exe'\ncondition: selection",
            logsource: "    product: windows\n    category: process_creation");
        Assert.Equal(2, r.Routing.Count);
        Assert.Contains(r.Routing, x => x.EventIds.SequenceEqual([1L]) && x.Channels.Contains("Microsoft-Windows-Sysmon/Operational"));
        Assert.Contains(r.Routing, x => x.EventIds.SequenceEqual([4688L]) && x.Channels.SequenceEqual(["Security"]));
        var text = r.Describe();
        // Field names here are matching keys, printed in the first spelling the process interned: a test that met another
        // spelling first (the JSON fuzz tests add "image") changes the case, so the full suite failed on this now and then.
        Assert.Contains("NewProcessName (else winlog.event_data.NewProcessName, winlog.user_data.NewProcessName) any of EndsWith:'\\whoami.exe'", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Image (else winlog.event_data.Image, winlog.user_data.Image) any of EndsWith:'\\whoami.exe'", text, StringComparison.OrdinalIgnoreCase);
    }
}
