using System.Security.Cryptography;
using System.Text;

namespace Vigil.Simulation;

public enum LogFile { Security = 0, Sysmon = 1, System = 2, PowerShell = 3 }

public static class LogFiles
{
    public const int Count = 4;
    public static string FileName(LogFile f) => f switch
    {
        LogFile.Security => "security.jsonl",
        LogFile.Sysmon => "sysmon.jsonl",
        LogFile.System => "system.jsonl",
        LogFile.PowerShell => "powershell.jsonl",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };
    public static string Channel(LogFile f) => f switch
    {
        LogFile.Security => "Security",
        LogFile.Sysmon => "Microsoft-Windows-Sysmon/Operational",
        LogFile.System => "System",
        LogFile.PowerShell => "Microsoft-Windows-PowerShell/Operational",
        _ => throw new ArgumentOutOfRangeException(nameof(f)),
    };
}

public enum HostRole { DomainController, FileServer, DatabaseServer, Management, Workstation, WebServer }

public sealed class Account
{
    public required string Name { get; init; }
    /// <summary>NetBIOS domain ("CORP"), the host name for local accounts, or "NT AUTHORITY".</summary>
    public required string Domain { get; init; }
    public required string Sid { get; init; }
    public bool IsAdmin { get; init; }
    public string Qualified => Domain + "\\" + Name;
}

public sealed class Logon
{
    public required Account Account { get; init; }
    public required string LogonId { get; init; }
    public required string LogonGuid { get; init; }
    public int LogonType { get; init; }
    public int Session { get; init; }
}

public sealed class Proc
{
    public required Host Host { get; init; }
    public required string Guid { get; init; }
    public required int Pid { get; init; }
    public required string Image { get; init; }
    public required string CommandLine { get; init; }
    public required Logon Logon { get; init; }
    public required string Integrity { get; init; }
    public required string CurrentDirectory { get; init; }
    public Proc? Parent { get; init; }
}

public sealed class Host
{
    public required string Name { get; init; }
    public required string Fqdn { get; init; }
    public required string Ip { get; init; }
    public required HostRole Role { get; init; }
    public required string GuidPrefix { get; init; }
    public required Rng Rng { get; init; }
    public required Account Machine { get; init; }
    public required string LocalSidPrefix { get; init; }
    public readonly long[] NextRecord = new long[LogFiles.Count];
    private int _procCounter;

    // Long-lived processes that exist before the simulated day starts (never emitted themselves).
    public Proc Services { get; set; } = null!;
    public Proc SvchostNetsvcs { get; set; } = null!;
    public Proc SvchostDcom { get; set; } = null!;
    public Proc SvchostSchedule { get; set; } = null!;
    public Proc WmiPrvSE { get; set; } = null!;
    public Proc Lsass { get; set; } = null!;
    public Proc? SqlServer { get; set; }
    public Proc? SqlAgent { get; set; }
    /// <summary>Web servers: the IIS worker process of the customer portal (its application pool identity).</summary>
    public Proc? WebApp { get; set; }
    public Logon SystemLogon { get; set; } = null!;
    /// <summary>Workstations: the interactive user and their shell and mail client.</summary>
    public Account? PrimaryUser { get; set; }
    public Logon? UserLogon { get; set; }
    public Proc? Explorer { get; set; }
    public Proc? Outlook { get; set; }

    public int NewPid() => Rng.Range(120, 4000) * 4;

    public string NewProcessGuid(long ms)
    {
        long unix = Simulator.BaseUnixSeconds + ms / 1000;
        int c = ++_procCounter;
        // Sysmon layout: machine part, unix seconds (low word, high word), a per-process counter, a tail.
        return $"{{{GuidPrefix}-{unix & 0xffff:x4}-{(unix >> 16) & 0xffff:x4}-{c & 0xffff:x4}-0000000{(c >> 16) & 0xf:x1}0{GuidPrefix[7]}00}}";
    }
}

/// <summary>File version metadata Sysmon reports for an image.</summary>
public sealed record ImageInfo(string FileVersion, string Description, string Product, string Company, string OriginalFileName);

public static class Images
{
    private const string Ms = "Microsoft Corporation";
    private const string Os = "Microsoft® Windows® Operating System";
    private const string Win = "10.0.19041.1 (WinBuild.160101.0800)";
    private const string Office = "16.0.17328.20162";

    private static readonly Dictionary<string, ImageInfo> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["powershell.exe"] = new(Win, "Windows PowerShell", Os, Ms, "PowerShell.EXE"),
        ["cmd.exe"] = new(Win, "Windows Command Processor", Os, Ms, "Cmd.Exe"),
        ["whoami.exe"] = new(Win, "whoami - displays logged on user information", Os, Ms, "whoami.exe"),
        ["net.exe"] = new(Win, "Net Command", Os, Ms, "net.exe"),
        ["net1.exe"] = new(Win, "Net Command", Os, Ms, "net1.exe"),
        ["nltest.exe"] = new(Win, "Microsoft® Logon Server Test Utility", Os, Ms, "nltestrk.exe"),
        ["systeminfo.exe"] = new(Win, "Displays system information", Os, Ms, "sysinfo.exe"),
        ["ipconfig.exe"] = new(Win, "IP Configuration Utility", Os, Ms, "ipconfig.exe"),
        ["arp.exe"] = new(Win, "TCP/IP Arp Command", Os, Ms, "arp.exe"),
        ["tasklist.exe"] = new(Win, "Lists the current running tasks", Os, Ms, "tasklist.exe"),
        ["rundll32.exe"] = new(Win, "Windows host process (Rundll32)", Os, Ms, "RUNDLL32.EXE"),
        ["reg.exe"] = new(Win, "Registry Console Tool", Os, Ms, "reg.exe"),
        ["fodhelper.exe"] = new(Win, "Features On Demand Helper", Os, Ms, "FodHelper.EXE"),
        ["wmic.exe"] = new(Win, "WMI Commandline Utility", Os, Ms, "wmic.exe"),
        ["wmiprvse.exe"] = new(Win, "WMI Provider Host", Os, Ms, "Wmiprvse.exe"),
        ["wsmprovhost.exe"] = new(Win, "Host process for WinRM plug-ins", Os, Ms, "wsmprovhost.exe"),
        ["curl.exe"] = new("8.4.0", "The curl executable", "The curl executable", "curl, https://curl.se/", "curl.exe"),
        ["robocopy.exe"] = new(Win, "Microsoft Robocopy", Os, Ms, "robocopy.exe"),
        ["mstsc.exe"] = new(Win, "Remote Desktop Connection", Os, Ms, "mstsc.exe"),
        ["notepad.exe"] = new(Win, "Notepad", Os, Ms, "NOTEPAD.EXE"),
        ["taskhostw.exe"] = new(Win, "Host Process for Windows Tasks", Os, Ms, "taskhostw.exe"),
        ["gpupdate.exe"] = new(Win, "Microsoft® Windows Group Policy Refresh Utility", Os, Ms, "gpupdate.exe"),
        ["searchprotocolhost.exe"] = new(Win, "Microsoft Windows Search Protocol Host", Os, Ms, "SearchProtocolHost.exe"),
        ["backgroundtaskhost.exe"] = new(Win, "Background Task Host", Os, Ms, "backgroundTaskHost.exe"),
        ["conhost.exe"] = new(Win, "Console Window Host", Os, Ms, "CONHOST.EXE"),
        ["wermgr.exe"] = new(Win, "Windows Problem Reporting", Os, Ms, "WerMgr"),
        ["sc.exe"] = new(Win, "Service Control Manager Configuration Tool", Os, Ms, "sc.exe"),
        ["services.exe"] = new(Win, "Services and Controller app", Os, Ms, "services.exe"),
        ["psexesvc.exe"] = new("2.43", "PsExec Service", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexesvc.exe"),
        ["psexec64.exe"] = new("2.43", "Execute processes remotely", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexec.c"),
        ["mpcmdrun.exe"] = new("4.18.24020.7", "Microsoft Malware Protection Command Line Utility", "Microsoft® Windows® Operating System", Ms, "MpCmdRun.exe"),
        ["winword.exe"] = new(Office, "Microsoft Word", "Microsoft Office", Ms, "WinWord.exe"),
        ["excel.exe"] = new(Office, "Microsoft Excel", "Microsoft Office", Ms, "Excel.exe"),
        ["powerpnt.exe"] = new(Office, "Microsoft PowerPoint", "Microsoft Office", Ms, "POWERPNT.EXE"),
        ["outlook.exe"] = new(Office, "Microsoft Outlook", "Microsoft Outlook", Ms, "Outlook.exe"),
        ["ms-teams.exe"] = new("24033.811.2738.2546", "Microsoft Teams", "Microsoft Teams", Ms, "ms-teams.exe"),
        ["chrome.exe"] = new("122.0.6261.112", "Google Chrome", "Google Chrome", "Google LLC", "chrome.exe"),
        ["msedge.exe"] = new("122.0.2365.80", "Microsoft Edge", "Microsoft Edge", Ms, "msedge.exe"),
        ["acrord32.exe"] = new("24.1.20643.0", "Adobe Acrobat Reader", "Adobe Acrobat Reader", "Adobe Systems Incorporated", "AcroRd32.exe"),
        ["sqlcmd.exe"] = new("15.0.4298.1", "T-SQL execution command line utility", "Microsoft SQL Server", Ms, "sqlcmd.exe"),
        ["bcp.exe"] = new("15.0.4298.1", "BCP - Bulk Copy Program", "Microsoft SQL Server", Ms, "bcp.exe"),
        ["sqlservr.exe"] = new("2019.150.4345.5", "SQL Server Windows NT - 64 Bit", "Microsoft SQL Server", Ms, "sqlservr.exe"),
        ["sqlagent.exe"] = new("2019.150.4345.5", "SQLAGENT - SQL Server Agent", "Microsoft SQL Server", Ms, "SQLAGENT.EXE"),
        ["7z.exe"] = new("23.01", "7-Zip Console", "7-Zip", "Igor Pavlov", "7z.exe"),
        ["rclone.exe"] = new("1.66.0", "Rsync for cloud storage", "Rclone", "https://rclone.org", "rclone.exe"),
        ["dsa.msc"] = new(Win, "Active Directory Users and Computers", Os, Ms, "dsa.msc"),
        ["mmc.exe"] = new(Win, "Microsoft Management Console", Os, Ms, "mmc.exe"),
        ["svchost.exe"] = new(Win, "Host Process for Windows Services", Os, Ms, "svchost.exe"),
        ["explorer.exe"] = new(Win, "Windows Explorer", Os, Ms, "EXPLORER.EXE"),
        ["lsass.exe"] = new(Win, "Local Security Authority Process", Os, Ms, "lsass.exe"),
        ["runas.exe"] = new(Win, "Run As Utility", Os, Ms, "RUNAS.EXE"),
        ["gpresult.exe"] = new(Win, "Query Group Policy RSOP Data", Os, Ms, "gprslt.exe"),
        ["ping.exe"] = new(Win, "TCP/IP Ping Command", Os, Ms, "ping.exe"),
        ["quser.exe"] = new(Win, "Query User Utility", Os, Ms, "quser.exe"),
        ["dllhost.exe"] = new(Win, "COM Surrogate", Os, Ms, "dllhost.exe"),
        ["w3wp.exe"] = new(Win, "IIS Worker Process", "Internet Information Services", Ms, "w3wp.exe"),
        ["hostname.exe"] = new(Win, "Hostname APP", Os, Ms, "hostname.exe"),
        ["netstat.exe"] = new(Win, "TCP/IP Netstat Command", Os, Ms, "netstat.exe"),
        ["route.exe"] = new(Win, "TCP/IP Route Command", Os, Ms, "route.exe"),
        ["nslookup.exe"] = new(Win, "nslookup", Os, Ms, "nslookup.exe"),
        ["findstr.exe"] = new(Win, "Find String (QGREP) Utility", Os, Ms, "findstr.exe"),
        ["certutil.exe"] = new(Win, "CertUtil.exe", Os, Ms, "CertUtil.exe"),
        ["ntdsutil.exe"] = new(Win, "NT5DS", Os, Ms, "ntdsutil.exe"),
        ["query.exe"] = new(Win, "Query Utility", Os, Ms, "query.exe"),
        ["qwinsta.exe"] = new(Win, "Query Session Utility", Os, Ms, "qwinsta.exe"),
        ["procdump64.exe"] = new("11.0", "Sysinternals process dump utility", "ProcDump", "Sysinternals - www.sysinternals.com", "procdump"),
        ["setspn.exe"] = new(Win, "Query or reset the computer's SPN attribute", Os, Ms, "setspn.exe"),
        ["dsquery.exe"] = new(Win, "Microsoft AD DS/LDS query command line utility", Os, Ms, "dsquery.exe"),
        ["schtasks.exe"] = new(Win, "Task Scheduler Configuration Tool", Os, Ms, "schtasks.exe"),
        ["wevtutil.exe"] = new(Win, "Eventing Command Line Utility", Os, Ms, "wevtutil.exe"),
    };

    private static readonly Dictionary<string, string> HashCache = new(StringComparer.OrdinalIgnoreCase);

    public static string FileName(string image)
    {
        int i = image.LastIndexOf('\\');
        return i < 0 ? image : image[(i + 1)..];
    }

    public static ImageInfo Info(string image)
    {
        string name = FileName(image);
        return Known.TryGetValue(name, out var info) ? info : new ImageInfo("-", "-", "-", "-", "-");
    }

    /// <summary>Stable hashes per image, derived from its name and version (not the real binaries' hashes).</summary>
    public static string Hashes(string image)
    {
        string key = FileName(image) + "|" + Info(image).FileVersion;
        lock (HashCache)
        {
            if (HashCache.TryGetValue(key, out var h)) return h;
            byte[] b = Encoding.UTF8.GetBytes(key);
            h = "SHA1=" + Convert.ToHexString(SHA1.HashData(b)) + ",MD5=" + Convert.ToHexString(MD5.HashData(b))
                + ",SHA256=" + Convert.ToHexString(SHA256.HashData(b)) + ",IMPHASH=" + Convert.ToHexString(MD5.HashData(SHA1.HashData(b)));
            HashCache[key] = h;
            return h;
        }
    }
}
