using System.Text.Json;
using Vigil.Tests.Evtx;
using Vigil.Tests.Json;
using Xunit.Abstractions;
using static Vigil.Tests.Metrics.MetricsSupport;

namespace Vigil.Tests.Metrics;

/// <summary><c>vigil logons</c> against 4624/4625 counts taken independently from evtxexport XML and from the raw JSON.</summary>
public sealed class LogonSummaryTests(ITestOutputHelper output)
{
    /// <summary>A 3,561-attempt SMB password guess (4625), interactive logons with failures, a PsExec target, and an
    /// Application log whose EventID 4625 is not a logon at all (it must not count).</summary>
    private static readonly string[] Files =
    [
        Path.Combine("DeepBlueCLI", "smb-password-guessing-security.evtx"),
        Path.Combine("DeepBlueCLI", "many-events-application.evtx"),
        Path.Combine("DeepBlueCLI", "metasploit-psexec-native-target-security.evtx"),
        Path.Combine("EVTX-ATTACK-SAMPLES", "Credential Access", "CA_4624_4625_LogonType2_LogonProc_chrome.evtx"),
    ];

    private static string Key(string result, string domain, string user, string type, string address, string workstation, string computer)
    {
        string account = user.Length == 0 ? "" : domain.Length == 0 || domain == "-" ? user : domain + "\\" + user;
        return string.Join("|", result, account, type, address, workstation, computer);
    }

    private static string RowKey(Dictionary<string, string> r) =>
        string.Join("|", r["result"], r["target_account"], r["logon_type"], r["source_address"], r["workstation"], r["computer"]);

    [Fact]
    public void Evtx_logons_match_evtxexport()
    {
        var paths = Files.Select(EvtxTestSupport.Sample).ToArray();
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        long success = 0, failed = 0, notLogons = 0;
        foreach (var file in paths)
        {
            // Logon records only Vigil recovers (slack space) would be counted by it but not seen here: there must be none.
            Assert.DoesNotContain(VigilRecovered(file), r => r.EventId is "4624" or "4625");
            foreach (var e in EvtxExport(file))
            {
                string eid = Sys(e, "EventID");
                if (eid is not ("4624" or "4625")) continue;
                if (Sys(e, "Channel") != "Security") { notLogons++; continue; }
                string result = eid == "4624" ? "success" : "failed";
                if (eid == "4624") success++; else failed++;
                string k = Key(result, Data(e, "TargetDomainName"), Data(e, "TargetUserName"), Data(e, "LogonType"),
                    Data(e, "IpAddress"), Data(e, "WorkstationName"), Sys(e, "Computer"));
                expected[k] = expected.GetValueOrDefault(k) + 1;
            }
        }
        Assert.True(failed >= 3561, $"expected the password-guessing run's failures, evtxexport shows {failed}");
        Assert.True(success > 0 && notLogons > 0, $"{success} successes, {notLogons} non-Security 4624/4625");

        var (root, rows) = RunJson(["logons", .. paths, "--format", "json", "--threads", "2"]);
        SameCounts(expected, rows.ToDictionary(RowKey, r => long.Parse(r["count"])), "logons");
        Assert.Equal(success + failed, root.GetProperty("total").GetInt64());
        output.WriteLine($"{success} successful, {failed} failed logons in {rows.Count} rows; {notLogons} Application 4624/4625 left out");

        // The brute force shows as failures from one address.
        var fromGuesser = rows.Where(r => r["result"] == "failed" && r["source_address"] == "192.168.198.149").Sum(r => long.Parse(r["count"]));
        Assert.True(fromGuesser >= 3500, $"{fromGuesser} failures from the guessing host");
    }

    [Fact]
    public void First_and_last_times_bound_each_row()
    {
        var (_, rows) = RunJson("logons", EvtxTestSupport.Sample(Files[0]), "--format", "json");
        var times = EvtxExport(EvtxTestSupport.Sample(Files[0]))
            .Where(e => Sys(e, "EventID") == "4625")
            .Select(e => DateTime.Parse((string)e.Child("System")!.Child("TimeCreated")!.Attribute("SystemTime")!, null, System.Globalization.DateTimeStyles.AdjustToUniversal))
            .ToList();
        var first = rows.Where(r => r["result"] == "failed").Min(r => DateTime.Parse(r["first"], null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        var last = rows.Where(r => r["result"] == "failed").Max(r => DateTime.Parse(r["last"], null, System.Globalization.DateTimeStyles.AdjustToUniversal));
        // Millisecond output: within a millisecond of the record times.
        Assert.InRange((times.Min() - first).TotalMilliseconds, 0, 1);
        Assert.InRange((times.Max() - last).TotalMilliseconds, 0, 1);
    }

    [Fact]
    public void Json_logons_match_a_count_with_System_Text_Json()
    {
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in JsonTestSupport.OtrfFiles())
            foreach (var line in File.ReadLines(file))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                string S(string name) => o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
                    ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()) : "";
                string eid = S("EventID");
                if (eid is not ("4624" or "4625")) continue;
                string channel = S("Channel");
                if (channel.Length > 0 && !channel.Equals("Security", StringComparison.OrdinalIgnoreCase)) continue;
                string k = Key(eid == "4624" ? "success" : "failed", S("TargetDomainName"), S("TargetUserName"), S("LogonType"),
                    S("IpAddress"), S("WorkstationName"), S("Hostname"));
                expected[k] = expected.GetValueOrDefault(k) + 1;
            }
        Assert.True(expected.Values.Sum() >= 50, $"only {expected.Values.Sum()} logons in the OTRF files");
        var (_, rows) = RunJson("logons", JsonTestSupport.OtrfFolder, "--format", "json");
        SameCounts(expected, rows.ToDictionary(RowKey, r => long.Parse(r["count"])), "OTRF logons");
    }
}
