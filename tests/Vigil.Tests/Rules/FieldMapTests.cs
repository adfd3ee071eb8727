using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Rules;

/// <summary>Field mapping files for JSON shapes: Winlogbeat, Zeek and CloudTrail through the real JSON reader and
/// SigmaHQ rules, and a user mapping file.</summary>
public class FieldMapTests
{
    private static string SigmaRules => Path.Combine(CollectionTests.SigmaDir, "rules");
    private static readonly Lazy<RuleSet> Collection = new(() => RuleLoader.Load([SigmaRules], includeBuiltin: false));

    private static List<Detection> Hunt(IReadOnlyList<CompiledRule> rules, params (string Name, string[] Lines)[] files)
    {
        string dir = Cli.CliRunner.TempDir("fieldmap");
        foreach (var (name, lines) in files) File.WriteAllLines(Path.Combine(dir, name), lines);
        return HuntPaths(rules, [dir]);
    }

    private static List<Detection> HuntPaths(IReadOnlyList<CompiledRule> rules, string[] paths)
    {
        var diag = new DiagnosticsCollector();
        var inputs = InputFiles.Expand(paths, LogFormats.All, diag);
        var result = Hunter.Run(inputs, rules, diag, degree: 1);
        Assert.True(diag.Count == 0, string.Join("\n", diag.Errors));
        return result.Detections.ToList();
    }

    private static string Titles(IEnumerable<Detection> ds) => string.Join(" | ", ds.Select(d => d.Rule.Title).Distinct().Order());

    private const string WinlogbeatWhoami = """
        {"@timestamp":"2024-05-01T10:00:00.000Z","event":{"code":"1","provider":"Microsoft-Windows-Sysmon"},"host":{"name":"ws1.corp"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,"computer_name":"ws1.corp","record_id":77,"event_data":{"Image":"C:\\Windows\\System32\\whoami.exe","OriginalFileName":"whoami.exe","CommandLine":"whoami /all","ParentImage":"C:\\Windows\\System32\\cmd.exe","User":"CORP\\bob"}}}
        """;
    private const string WinlogbeatOther = """
        {"@timestamp":"2024-05-01T10:00:01.000Z","winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":1,"computer_name":"ws1.corp","event_data":{"Image":"C:\\Windows\\System32\\notepad.exe","CommandLine":"notepad /all"}}}
        """;
    // The same content on the wrong channel must not fire (routing reads winlog.channel).
    private const string WinlogbeatWrongChannel = """
        {"@timestamp":"2024-05-01T10:00:02.000Z","winlog":{"channel":"Application","event_id":1,"computer_name":"ws1.corp","event_data":{"Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all"}}}
        """;

    [Fact]
    public void WinlogbeatNestedJsonMatchesWindowsRules()
    {
        var rule = Collection.Value.Rules.Single(r => r.Rule.Id == "c248c896-e412-4279-8c15-1c558067b6fa");   // whoami /all
        var found = Hunt([rule], ("winlogbeat.json", [WinlogbeatWhoami, WinlogbeatOther, WinlogbeatWrongChannel]));
        var d = Assert.Single(found);
        Assert.Equal("ws1.corp", d.Computer);
        Assert.Equal(1, d.EventId);
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", d.Channel);
        // The whole collection also finds it (and nothing fires on the wrong-channel record).
        var all = Hunt(Collection.Value.Rules, ("winlogbeat.json", [WinlogbeatWrongChannel]));
        Assert.DoesNotContain(all, x => x.Rule.Title.Contains("Whoami", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void WinlogbeatSecurity4688UsesTheLogsourceRenamesToo()
    {
        var rule = Collection.Value.Rules.Single(r => r.Rule.Id == "c248c896-e412-4279-8c15-1c558067b6fa");
        var sec = """{"@timestamp":"2024-05-01T10:00:00Z","winlog":{"channel":"Security","event_id":4688,"computer_name":"dc1","event_data":{"NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami -all"}}}""";
        Assert.Single(Hunt([rule], ("sec.json", [sec])));
    }

    private static readonly string[] ZeekDns =
    [
        """{"ts":1714557600.123,"uid":"CAbc1","id.orig_h":"10.0.0.5","id.orig_p":51515,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","trans_id":4242,"query":"pool.supportxmr.com","qtype_name":"A","rcode_name":"NOERROR","answers":["51.1.2.3"],"rejected":false}""",
        """{"ts":1714557601.5,"uid":"CAbc2","id.orig_h":"10.0.0.6","id.orig_p":51516,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","trans_id":4243,"query":"www.example.com","qtype_name":"A","rcode_name":"NOERROR","answers":["93.184.216.34"],"rejected":false}""",
    ];

    private static readonly string[] ZeekConn =
    [
        // A conn record naming a mining pool in an unrelated field must not fire the DNS rule.
        """{"_path":"conn","ts":1714557602.0,"uid":"CAbc3","id.orig_h":"10.0.0.5","id.orig_p":40000,"id.resp_h":"51.1.2.3","id.resp_p":3333,"proto":"tcp","conn_state":"SF","service":"pool.supportxmr.com","query":"pool.supportxmr.com"}""",
    ];

    [Fact]
    public void ZeekLogsRouteByShape()
    {
        var mining = Collection.Value.Rules.Single(r => r.Rule.Id == "bf74135c-18e8-4a72-a926-0e4f47888c19");
        Assert.Contains(mining.Routing, x => x.Fields.Contains(("_path", "dns")));
        Assert.Contains(mining.Routing, x => x.Present.Contains("trans_id"));
        var found = Hunt([mining], ("dns.log", ZeekDns), ("conn.log", ZeekConn));
        var d = Assert.Single(found);
        Assert.EndsWith("dns.log", d.Origin.Source);
        // With _path (all logs in one stream) the same record routes by that field instead.
        var withPath = ZeekDns[0].Replace("{\"ts\"", "{\"_path\":\"dns\",\"ts\"").Replace("\"trans_id\":4242,", "");
        Assert.Single(Hunt([mining], ("zeek.json", [withPath])));
    }

    [Fact]
    public void GenericDnsRulesUseZeekNames()
    {
        var yaml = "title: dns answer\nlogsource:\n    category: dns\ndetection:\n    sel:\n        answer: '51.1.2.3'\n        record_type: A\n    condition: sel\n";
        var rule = Assert.Single(RuleLoader.LoadText(yaml, "dns.yml").Rules);
        Assert.Single(Hunt([rule], ("dns.log", ZeekDns)));
    }

    [Fact]
    public void CloudTrailRulesFireOnOtrfCloudTrailAndNowhereElse()
    {
        var aws = Directory.EnumerateFiles(Path.Combine(TestPaths.Shared, "data", "json", "otrf"), "aws__*.json").ToArray();
        Assert.NotEmpty(aws);
        var rules = Collection.Value.Rules;
        var found = HuntPaths(rules, aws);
        // Only AWS rules fire on CloudTrail records: keyword rules of other products (Cisco, databases) stay off.
        Assert.NotEmpty(found);
        Assert.All(found, d => Assert.Equal("aws", d.Rule.Logsource.Product));
        Assert.Contains(found, d => d.Rule.Title == "AWS STS AssumeRole Misuse");
        // And AWS rules do not fire on Zeek or Winlogbeat records.
        var other = Hunt(rules.Where(r => r.Rule.Logsource.Product == "aws").ToList(),
            ("dns.log", ZeekDns), ("conn.log", ZeekConn), ("wlb.json", [WinlogbeatWhoami]));
        Assert.Empty(other);
    }

    [Fact]
    public void UserMappingFileAddsAlternativesAndSources()
    {
        string dir = Cli.CliRunner.TempDir("usermap");
        string map = Path.Combine(dir, "my-mapping.yml");
        File.WriteAllText(map, """
            fields:
              CommandLine: [proc.cmdline]
              Image: [proc.exe]
              Channel: [log.channel]
              EventID: [log.id]
            sources:
              - logsource: {product: myedr}
                match:
                  - present: [edr.sensor]
                fields:
                  user: [edr.account]
            """);
        var opts = new RuleLoadOptions { FieldMappingFile = map };
        var set = RuleLoader.Load([SigmaRules + "/windows/process_creation/proc_creation_win_whoami_all_execution.yml"], false, opts);
        Assert.Empty(set.Errors);
        var edrRule = RuleLoader.LoadText("title: edr user\nlogsource:\n    product: myedr\ndetection:\n    sel:\n        user: eve\n    condition: sel\n", "edr.yml", opts);
        var rules = set.Rules.Concat(edrRule.Rules).ToList();
        var found = Hunt(rules, ("edr.json", [
            """{"@timestamp":"2024-05-01T10:00:00Z","log":{"channel":"Microsoft-Windows-Sysmon/Operational","id":1},"proc":{"exe":"C:\\Windows\\System32\\whoami.exe","cmdline":"whoami /all"}}""",
            """{"@timestamp":"2024-05-01T10:00:01Z","edr":{"sensor":"s1","account":"eve"}}""",
            """{"@timestamp":"2024-05-01T10:00:02Z","edr":{"account":"eve"}}""",
        ]));
        Assert.Equal("Enumerate All Information With Whoami.EXE | edr user", Titles(found));
        Assert.Equal(2, found.Count);
        // Without the user file neither fires.
        var plain = RuleLoader.Load([SigmaRules + "/windows/process_creation/proc_creation_win_whoami_all_execution.yml"], false);
        Assert.Empty(Hunt(plain.Rules, ("edr.json", ["""{"@timestamp":"2024-05-01T10:00:00Z","log":{"channel":"Microsoft-Windows-Sysmon/Operational","id":1},"proc":{"exe":"C:\\Windows\\System32\\whoami.exe","cmdline":"whoami /all"}}"""])));
        // A broken user file is reported with file and line.
        File.WriteAllText(map, "fields:\n  CommandLine: [a]\nbogus: 1\n");
        var bad = RuleLoader.Load([], false, opts);
        var err = Assert.Single(bad.Errors);
        Assert.Equal(map, err.File);
        Assert.Equal(3, err.Line);
    }

    [Fact]
    public void HuntCliTakesAMappingFile()
    {
        string dir = Cli.CliRunner.TempDir("climap");
        File.WriteAllText(Path.Combine(dir, "m.yml"), "fields:\n  CommandLine: [proc.cmdline]\n  Image: [proc.exe]\n  Channel: [log.channel]\n  EventID: [log.id]\n");
        File.WriteAllText(Path.Combine(dir, "e.json"), """{"@timestamp":"2024-05-01T10:00:00Z","log":{"channel":"Microsoft-Windows-Sysmon/Operational","id":1},"proc":{"exe":"C:\\Windows\\System32\\whoami.exe","cmdline":"whoami /all"}}""" + "\n");
        string rule = SigmaRules + "/windows/process_creation/proc_creation_win_whoami_all_execution.yml";
        var with = Cli.CliRunner.Run("hunt", Path.Combine(dir, "e.json"), "--no-builtin", "-r", rule, "--mapping", Path.Combine(dir, "m.yml"), "-f", "jsonl");
        Assert.Equal(0, with.ExitCode);
        Assert.Contains("Whoami", with.Out);
        var without = Cli.CliRunner.Run("hunt", Path.Combine(dir, "e.json"), "--no-builtin", "-r", rule, "-f", "jsonl");
        Assert.DoesNotContain("Whoami", without.Out);
        Assert.Equal(1, Cli.CliRunner.Run("hunt", Path.Combine(dir, "e.json"), "--mapping", Path.Combine(dir, "nope.yml")).ExitCode);
    }
}
