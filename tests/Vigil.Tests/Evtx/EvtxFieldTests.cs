using System.Globalization;
using System.Xml.Linq;
using Vigil.Events;
using Xunit.Abstractions;

namespace Vigil.Tests.Evtx;

/// <summary>Field values of known records compared with what evtxexport renders as XML for the same record.</summary>
public sealed class EvtxFieldTests(ITestOutputHelper output)
{
    private (ReadRecord Vigil, XElement Lib) Pick(string relative, string eventId)
    {
        string exe = EvtxTestSupport.RequireEvtxExport();
        string path = EvtxTestSupport.Sample(relative);
        var (records, _) = EvtxTestSupport.ReadAll(path);
        var rec = records.First(r => r.Get("EventID") == eventId && r.Get("Evtx_Recovered") is null);
        var lib = EvtxTestSupport.LibevtxEvents(exe, path)
            .First(e => EvtxTestSupport.SystemValue(e, "EventRecordID") == rec.Get("EventRecordID"));
        output.WriteLine($"{relative}: record {rec.Get("EventRecordID")} at 0x{rec.Offset:x}");
        return (rec, lib);
    }

    private static void AssertSystem(ReadRecord rec, XElement lib)
    {
        Assert.Equal(EvtxTestSupport.SystemValue(lib, "Computer"), rec.Get("Computer"));
        Assert.Equal(EvtxTestSupport.SystemValue(lib, "Channel"), rec.Get("Channel"));
        Assert.Equal(EvtxTestSupport.SystemValue(lib, "EventID"), rec.Get("EventID"));
        Assert.Equal(ValueKind.Int64, rec.Kinds["EventID"]);
        Assert.Equal((string?)lib.Child("System")!.Child("Provider")!.Attribute("Name"), rec.Get("Provider_Name"));

        // libevtx prints 9 fractional digits of which the last two are always 0 (FILETIME has 100 ns resolution).
        string libTime = (string)lib.Child("System")!.Child("TimeCreated")!.Attribute("SystemTime")!;
        var expected = DateTime.ParseExact(libTime[..27] + "Z", "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        Assert.Equal(ValueKind.DateTime, rec.Kinds["TimeCreated"]);
        Assert.Equal(expected.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture), rec.Get("TimeCreated"));

        // Keywords is a HexInt64: shown as 0x… (Windows does not zero-pad; libevtx does, so compare the numbers).
        string keywords = rec.Get("Keywords")!;
        Assert.StartsWith("0x", keywords);
        Assert.Equal(ulong.Parse(EvtxTestSupport.SystemValue(lib, "Keywords")[2..], NumberStyles.HexNumber),
                     ulong.Parse(keywords[2..], NumberStyles.HexNumber));
    }

    /// <summary>Every named EventData item libevtx shows must be present in Vigil with the same value.</summary>
    private static void AssertAllEventData(ReadRecord rec, XElement lib)
    {
        var items = lib.Child("EventData")!.Elements().Where(d => d.Attribute("Name") is not null).ToList();
        Assert.NotEmpty(items);
        foreach (var d in items)
        {
            string name = (string)d.Attribute("Name")!;
            Assert.True(rec.Fields.ContainsKey(name), $"field {name} missing");
            string v = rec.Get(name)!;
            string l = d.Value;
            switch (rec.Kinds[name])
            {
                case ValueKind.UInt64 when v.StartsWith("0x"):
                    Assert.Equal(Convert.ToUInt64(l, 16), Convert.ToUInt64(v, 16));
                    break;
                case ValueKind.Guid:
                    Assert.Equal(l, v, ignoreCase: true);
                    break;
                case ValueKind.Null:
                    Assert.Equal("", l);
                    break;
                default:
                    Assert.Equal(l, v);
                    break;
            }
        }
    }

    [Fact]
    public void SysmonProcessCreateMatchesLibevtx()
    {
        var (rec, lib) = Pick("EVTX-ATTACK-SAMPLES/Privilege Escalation/Sysmon_UACME_22.evtx", "1");
        AssertSystem(rec, lib);
        foreach (var name in new[] { "CommandLine", "Image", "ParentImage", "ParentCommandLine", "User", "IntegrityLevel", "Hashes" })
            Assert.Equal(EvtxTestSupport.DataValue(lib, name), rec.Get(name));
        Assert.Equal(ValueKind.String, rec.Kinds["CommandLine"]);
        Assert.Equal(ValueKind.Guid, rec.Kinds["ProcessGuid"]);
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", rec.Get("Channel"));
        AssertAllEventData(rec, lib);
    }

    [Fact]
    public void SecurityLogonMatchesLibevtx()
    {
        var (rec, lib) = Pick("EVTX-ATTACK-SAMPLES/Credential Access/CA_4624_4625_LogonType2_LogonProc_chrome.evtx", "4624");
        AssertSystem(rec, lib);
        foreach (var name in new[] { "TargetUserName", "TargetDomainName", "LogonType", "LogonProcessName", "IpAddress", "WorkstationName", "ProcessName" })
            Assert.Equal(EvtxTestSupport.DataValue(lib, name), rec.Get(name));
        Assert.Equal(ValueKind.Int64, rec.Kinds["LogonType"]);
        Assert.Equal(ValueKind.Sid, rec.Kinds["TargetUserSid"]);
        Assert.Equal("Security", rec.Get("Channel"));
        Assert.Equal("0x8020000000000000", rec.Get("Keywords"));
        AssertAllEventData(rec, lib);
    }

    [Fact]
    public void LogClearedUserDataLeavesAreFields()
    {
        var (rec, lib) = Pick("EVTX-ATTACK-SAMPLES/Defense Evasion/DE_1102_security_log_cleared.evtx", "1102");
        AssertSystem(rec, lib);
        var wrapper = lib.Child("UserData")!.Elements().Single();
        Assert.NotEmpty(wrapper.Elements());
        foreach (var leaf in wrapper.Elements())
        {
            string? v = rec.Get(leaf.Name.LocalName);
            Assert.NotNull(v);
            if (leaf.Value.StartsWith("0x") && v.StartsWith("0x")) // HexInt64: libevtx zero-pads, Windows does not
                Assert.Equal(Convert.ToUInt64(leaf.Value, 16), Convert.ToUInt64(v, 16));
            else Assert.Equal(leaf.Value, v);
        }
        Assert.NotNull(rec.Get("SubjectUserName"));
    }

    [Fact]
    public void UnnamedDataItemsAreNumberedAndRepeated()
    {
        // Classic PowerShell 600 events carry three unnamed <Data> items.
        string path = EvtxTestSupport.Sample("YamatoSecurity/ImpairDefenses/T1562.010_DowngradeAttack_PowerShell.evtx");
        var (records, _) = EvtxTestSupport.ReadAll(path);
        var rec = records.First(r => r.Get("EventID") == "600");
        Assert.Equal("0", rec.Get("EventID_Qualifiers"));
        var all = rec.Fields["Data"];
        Assert.Equal(3, all.Count);
        Assert.Equal(all[0], rec.Get("Data[1]"));
        Assert.Equal(all[1], rec.Get("Data[2]"));
        Assert.Equal(all[2], rec.Get("Data[3]"));
        Assert.Contains("HostApplication=", rec.Get("Data[3]"));
    }
}
