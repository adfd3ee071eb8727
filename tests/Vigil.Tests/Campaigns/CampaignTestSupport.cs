using System.Globalization;
using System.Text.Json;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// Hand-made event sets for campaign tests: Windows events as flat JSON lines (OTRF style: EventID, Channel, Computer,
/// TimeCreated, then the event's fields), Zeek conn lines, and a small Sigma rule set with ATT&amp;CK tags, hunted for real
/// through the CLI with --campaigns.
/// </summary>
public sealed class EventSet
{
    private readonly List<(DateTime Time, string Line)> _lines = [];
    public static readonly DateTime Day = new(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);
    private long _record = 1000;

    public const string Sysmon = "Microsoft-Windows-Sysmon/Operational";

    public void Windows(DateTime t, string host, int eventId, string channel, params (string Key, object Value)[] fields)
    {
        var o = new Dictionary<string, object>
        {
            ["EventID"] = eventId, ["Channel"] = channel, ["Computer"] = host, ["EventRecordID"] = _record++,
            ["TimeCreated"] = t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        foreach (var (k, v) in fields) o[k] = v;
        _lines.Add((t, JsonSerializer.Serialize(o)));
    }

    public string Process(DateTime t, string host, string guid, string parentGuid, string image, string cmd, string user, string logonId,
        string parentImage = "C:\\Windows\\explorer.exe")
    {
        Windows(t, host, 1, Sysmon, ("ProcessGuid", guid), ("ParentProcessGuid", parentGuid), ("ProcessId", (Stable(guid) % 60000).ToString(CultureInfo.InvariantCulture)),
            ("Image", image), ("CommandLine", cmd), ("User", user), ("LogonId", logonId), ("ParentImage", parentImage));
        return guid;
    }

    public void Net(DateTime t, string host, string guid, string image, string src, string dst, int port) =>
        Windows(t, host, 3, Sysmon, ("ProcessGuid", guid), ("Image", image), ("SourceIp", src), ("DestinationIp", dst),
            ("DestinationPort", port.ToString(CultureInfo.InvariantCulture)), ("Initiated", "true"), ("User", "CORP\\x"));

    public void Logon(DateTime t, string host, string user, int type, string ip, string logonId, int eventId = 4624, string workstation = "-") =>
        Windows(t, host, eventId, "Security", ("TargetUserName", user), ("TargetDomainName", "CORP"), ("TargetLogonId", logonId),
            ("LogonType", type.ToString(CultureInfo.InvariantCulture)), ("IpAddress", ip), ("WorkstationName", workstation));

    public void Service(DateTime t, string host, string name, string path) =>
        Windows(t, host, 7045, "System", ("ServiceName", name), ("ImagePath", path), ("AccountName", "LocalSystem"));

    public void Zeek(DateTime t, string orig, string resp, int port, long origBytes, string state = "SF") =>
        _lines.Add((t, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["ts"] = (t - DateTime.UnixEpoch).TotalSeconds, ["uid"] = "C" + _record++, ["id.orig_h"] = orig, ["id.orig_p"] = 50000,
            ["id.resp_h"] = resp, ["id.resp_p"] = port, ["proto"] = "tcp", ["duration"] = 12.5, ["orig_bytes"] = origBytes,
            ["resp_bytes"] = 4000, ["conn_state"] = state,
        })));

    public string Write(string dir, string name = "events.jsonl")
    {
        var path = Path.Combine(dir, name);
        File.WriteAllLines(path, _lines.OrderBy(l => l.Time).Select(l => l.Line));
        return path;
    }

    /// <summary>Rules with ATT&amp;CK tags matching the commands the tests use.</summary>
    public static string WriteRules(string dir)
    {
        var rules = Path.Combine(dir, "rules");
        Directory.CreateDirectory(rules);
        void Rule(string name, string level, string tags, string selection) => File.WriteAllText(Path.Combine(rules, name + ".yml"),
            $"title: Test {name}\nid: 00000000-0000-0000-0000-{Stable(name) % 1000000000000:D12}\nstatus: test\nlevel: {level}\n" +
            $"tags:\n{string.Join("", tags.Split(' ').Select(t => "  - attack." + t + "\n"))}" +
            $"logsource:\n  product: windows\ndetection:\n  selection:\n{selection}  condition: selection\n");
        Rule("discovery", "low", "discovery t1033", "    EventID: 1\n    Image|endswith:\n      - '\\whoami.exe'\n      - '\\systeminfo.exe'\n      - '\\ipconfig.exe'\n      - '\\nltest.exe'\n");
        Rule("lsass", "critical", "credential-access t1003.001", "    EventID: 1\n    CommandLine|contains: 'comsvcs'\n");
        Rule("psexec", "high", "lateral-movement t1021.002", "    EventID: 1\n    CommandLine|contains: 'psexec'\n");
        Rule("psexesvc", "high", "lateral-movement execution t1569.002", "    EventID: 7045\n    ServiceName: 'PSEXESVC'\n");
        Rule("useradd", "medium", "persistence t1136.001", "    EventID: 1\n    CommandLine|contains: '/add'\n");
        Rule("dbexport", "high", "collection t1005", "    EventID: 1\n    CommandLine|contains: 'SELECT *'\n");
        Rule("rclone", "high", "exfiltration t1048", "    EventID: 1\n    CommandLine|contains: 'rclone'\n");
        return rules;
    }

    /// <summary>Hunts the folder with the test rules only and returns the campaigns (parsed --campaigns file).</summary>
    public static List<JsonElement> Hunt(string dir, string input, params string[] extra)
    {
        var campaignsPath = Path.Combine(dir, "campaigns.json");
        var r = CliRunner.Run(["hunt", input, "--no-builtin", "--rules", WriteRules(dir), "--format", "jsonl", "--output", Path.Combine(dir, "det.jsonl"),
            "--campaigns", campaignsPath, .. extra]);
        Assert.True(r.ExitCode == 0, r.Error);
        var doc = JsonDocument.Parse(File.ReadAllText(campaignsPath)).RootElement;
        return doc.GetProperty("campaigns").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    /// <summary>Hunts with the built-in rules and returns the campaigns.</summary>
    public static List<JsonElement> HuntBuiltin(string dir, string input)
    {
        var campaignsPath = Path.Combine(dir, "campaigns.json");
        var r = CliRunner.Run("hunt", input, "--format", "jsonl", "--output", Path.Combine(dir, "det.jsonl"), "--campaigns", campaignsPath, "--quiet");
        Assert.True(r.ExitCode == 0, r.Error);
        return JsonDocument.Parse(File.ReadAllText(campaignsPath)).RootElement.GetProperty("campaigns").EnumerateArray().Select(c => c.Clone()).ToList();
    }

    /// <summary>A hash that is the same in every process (string.GetHashCode is randomized).</summary>
    public static long Stable(string s)
    {
        long h = 17;
        foreach (char c in s) h = (h * 31 + c) % 1_000_000_007;
        return h;
    }

    public static List<string> Strings(JsonElement c, string key) => c.GetProperty(key).EnumerateArray().Select(x => x.GetString()!).ToList();
    public static List<long> Ids(JsonElement c) => c.GetProperty("detections").EnumerateArray().Select(x => x.GetInt64()).ToList();
}
