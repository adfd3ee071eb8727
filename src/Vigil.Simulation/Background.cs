namespace Vigil.Simulation;

/// <summary>
/// Ordinary day-to-day activity: users starting Office, browsers and mail, file share access, screen
/// unlocks, machine and service noise on every host. Its volume follows an office-hours profile and is
/// the only part of the day that scales with the requested event count.
/// </summary>
internal sealed class Background
{
    private readonly World _w;
    private readonly Company _co;
    public Rng Rng { get; }

    // Relative activity per hour of day (UTC is treated as local time for this company).
    private static readonly int[] HourWeight = [2, 2, 2, 2, 2, 2, 3, 6, 20, 20, 20, 20, 14, 20, 20, 20, 20, 12, 6, 3, 3, 3, 2, 2];
    public static long TotalWeight { get; } = HourWeight.Sum() * 60L;
    public static int MinuteWeight(int minute) => HourWeight[minute / 60];

    private static readonly (string Ip, string Name)[] WebDestinations =
    [
        ("142.250.185.78", "www.google.com"), ("13.107.42.14", "www.office.com"), ("52.97.146.162", "outlook.office365.com"),
        ("151.101.1.140", "www.reddit.com"), ("104.16.124.96", "cdnjs.cloudflare.com"), ("52.112.95.2", "teams.microsoft.com"),
        ("20.190.159.0", "login.microsoftonline.com"), ("140.82.121.4", "github.com"), ("23.215.0.136", "www.linkedin.com"),
    ];
    private static readonly string[] DocNames =
    [
        "Q1 budget", "sales pipeline", "board minutes", "customer onboarding", "price list 2026", "travel expenses",
        "team roster", "project plan", "supplier contract", "weekly report", "invoice template", "meeting notes",
    ];

    public Background(World w, int seed)
    {
        _w = w;
        _co = w.Co;
        Rng = Rng.For(seed, "background");
    }

    private static bool WorkHours(long ms) { long h = ms / 3_600_000; return h is >= 7 and <= 18; }

    public void Activity(long ms)
    {
        bool work = WorkHours(ms);
        int r = Rng.Next(100);
        if (work)
        {
            if (r < 18) AppLaunch(ms);
            else if (r < 30) Browser(ms);
            else if (r < 42) SystemChild(ms, AnyHost());
            else if (r < 52) UserFileCreate(ms);
            else if (r < 60) ShareAccess(ms);
            else if (r < 65) Unlock(ms);
            else if (r < 78) Network(ms);
            else if (r < 88) MachineLogon(ms);
            else if (r < 92) ScheduledScript(ms);
            else if (r < 97) OutlookLink(ms);
            else SqlClient(ms);
        }
        else
        {
            if (r < 35) SystemChild(ms, AnyHost());
            else if (r < 60) Network(ms);
            else if (r < 85) MachineLogon(ms);
            else ScheduledScript(ms);
        }
    }

    private Host AnyHost() => _co.Hosts[Rng.Next(_co.Hosts.Count)];
    private Host AnyWorkstation() => _co.Workstations[Rng.Next(_co.Workstations.Count)];
    private static string Home(Host h) => "C:\\Users\\" + h.PrimaryUser!.Name + "\\";

    private void AppLaunch(long ms)
    {
        var h = AnyWorkstation();
        string doc = Rng.Pick(DocNames);
        string home = Home(h);
        switch (Rng.Next(5))
        {
            case 0:
                _w.Spawn(ms, h.Explorer!, Setup.Office + "WINWORD.EXE", $"\"{Setup.Office}WINWORD.EXE\" /n \"{home}Documents\\{doc}.docx\" /o \"\"", cwd: home + "Documents\\");
                break;
            case 1:
                _w.Spawn(ms, h.Explorer!, Setup.Office + "EXCEL.EXE", $"\"{Setup.Office}EXCEL.EXE\" \"{home}Documents\\{doc}.xlsx\"", cwd: home + "Documents\\");
                break;
            case 2:
                _w.Spawn(ms, h.Explorer!, Setup.Office + "POWERPNT.EXE", $"\"{Setup.Office}POWERPNT.EXE\" \"{home}Documents\\{doc}.pptx\"", cwd: home + "Documents\\");
                break;
            case 3:
                _w.Spawn(ms, h.Explorer!, "C:\\Windows\\System32\\notepad.exe", $"\"C:\\Windows\\system32\\NOTEPAD.EXE\" {home}Desktop\\todo.txt", cwd: home);
                break;
            default:
                _w.Spawn(ms, h.Explorer!, "C:\\Program Files (x86)\\Adobe\\Acrobat Reader DC\\Reader\\AcroRd32.exe",
                    $"\"C:\\Program Files (x86)\\Adobe\\Acrobat Reader DC\\Reader\\AcroRd32.exe\" \"{home}Downloads\\{doc}.pdf\"", cwd: home);
                break;
        }
    }

    private void Browser(long ms)
    {
        var h = AnyWorkstation();
        var dest = Rng.Pick(WebDestinations);
        const string chrome = "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe";
        var p = _w.Spawn(ms, h.Explorer!, chrome, $"\"{chrome}\" ", cwd: "C:\\Program Files\\Google\\Chrome\\Application\\");
        _w.Net(ms + Rng.Range(300, 2000), p, dest.Ip, 443, dest.Name);
    }

    private void OutlookLink(long ms)
    {
        // Clicking a link in a mail: Outlook starts the browser. Office spawning a browser is normal.
        var h = AnyWorkstation();
        var dest = Rng.Pick(WebDestinations);
        const string edge = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
        var p = _w.Spawn(ms, h.Outlook!, edge, $"\"{edge}\" --single-argument https://{dest.Name}/", cwd: "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\");
        _w.Net(ms + Rng.Range(200, 1500), p, dest.Ip, 443, dest.Name);
    }

    private void SystemChild(long ms, Host h)
    {
        switch (Rng.Next(6))
        {
            case 0:
                _w.Spawn(ms, h.SvchostSchedule, "C:\\Windows\\System32\\taskhostw.exe", "taskhostw.exe Install $(Arg0)", integrity: "System");
                break;
            case 1:
                _w.Spawn(ms, h.SvchostDcom, "C:\\Windows\\System32\\backgroundTaskHost.exe",
                    "\"C:\\Windows\\system32\\backgroundTaskHost.exe\" -ServerName:BackgroundTaskHost.WebAccountProvider", integrity: "System");
                break;
            case 2:
                _w.Spawn(ms, h.SvchostSchedule, "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24020.7-0\\MpCmdRun.exe",
                    "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24020.7-0\\MpCmdRun.exe\" -wdenable", integrity: "System");
                break;
            case 3:
                _w.Spawn(ms, h.SvchostNetsvcs, "C:\\Windows\\System32\\wermgr.exe", "C:\\Windows\\system32\\wermgr.exe -upload", integrity: "System");
                break;
            case 4:
                _w.Spawn(ms, h.SvchostDcom, "C:\\Windows\\System32\\dllhost.exe", "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}", integrity: "System");
                break;
            default:
                _w.Spawn(ms, h.SvchostSchedule, "C:\\Windows\\System32\\SearchProtocolHost.exe",
                    "\"C:\\Windows\\system32\\SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1_ Global\\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 \"Software\\Microsoft\\Windows Search\" \"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)\" \"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc\" \"DownLevelDaemon\" ",
                    integrity: "System");
                break;
        }
    }

    private void UserFileCreate(long ms)
    {
        // Outlook caching mail attachments, or the user saving a copy through Explorer.
        var h = AnyWorkstation();
        string doc = Rng.Pick(DocNames);
        if (Rng.Chance(50))
        {
            string ext = Rng.Pick(new[] { "pdf", "xlsx", "docx" });
            _w.FileCreate(ms, h.Outlook!, $"{Home(h)}AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{OutlookCacheDir(h)}\\{doc}.{ext}");
        }
        else
            _w.FileCreate(ms, h.Explorer!, $"{Home(h)}Documents\\{doc} v{Rng.Range(2, 9)}.xlsx");
    }

    /// <summary>Outlook keeps one random 8-character cache folder per profile.</summary>
    public static string OutlookCacheDir(Host h)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var c = new char[8];
        for (int i = 0; i < 8; i++) c[i] = alphabet[(h.GuidPrefix[i] * 7 + i * 13) % alphabet.Length];
        return new string(c);
    }

    private void ShareAccess(long ms)
    {
        var h = AnyWorkstation();
        var fs = _co.FileServer;
        var user = h.PrimaryUser!;
        _w.Tgs4769(ms, user, fs.Machine.Name, h.Ip);
        var l = _w.Logon4624(ms + Rng.Range(5, 40), fs, user, 3, h.Ip, "-");
        string[] shares = ["Finance", "Sales", "Shared", "HR", "Projects"];
        string share = Rng.Pick(shares);
        _w.Share5140(ms + Rng.Range(41, 80), fs, l, share, "\\??\\D:\\Shares\\" + share, h.Ip);
        _w.Share5145(ms + Rng.Range(81, 200), fs, l, share, "\\??\\D:\\Shares\\" + share, Rng.Pick(DocNames) + ".xlsx", "0x120089", h.Ip);
        _w.Logoff4634(ms + Rng.Range(30_000, 400_000), fs, l);
    }

    private void Unlock(long ms)
    {
        var h = AnyWorkstation();
        var user = h.PrimaryUser!;
        long t = ms;
        if (Rng.Chance(15)) // a mistyped password first
        {
            _w.Failed4625(t, h, user, 7, "127.0.0.1", h.Name);
            t += Rng.Range(2500, 9000);
        }
        _w.Tgt4768(t + Rng.Range(100, 900), user, h.Ip);
        _w.Logon4624(t + Rng.Range(1000, 1500), h, user, 7, "127.0.0.1", h.Name, "Negotiate", session: 1);
    }

    private void Network(long ms)
    {
        var h = AnyHost();
        switch (Rng.Next(4))
        {
            case 0: _w.Net(ms, h.Lsass, _co.Dc.Ip, 88); break;
            case 1: _w.Net(ms, h.SvchostNetsvcs, _co.Dc.Ip, 389); break;
            case 2: _w.Net(ms, h.SvchostNetsvcs, _co.Dc.Ip, 53, protocol: "udp"); break;
            default:
                if (h.Outlook is { } outlook) _w.Net(ms, outlook, "52.97.146.162", 443, "outlook.office365.com");
                else _w.Net(ms, h.SvchostNetsvcs, "13.107.4.50", 80, "ctldl.windowsupdate.com");
                break;
        }
    }

    private void MachineLogon(long ms)
    {
        // Group policy and other machine-account traffic: computers logging on to the DC.
        var h = _co.Hosts[1 + Rng.Next(_co.Hosts.Count - 1)];
        var l = _w.Logon4624(ms, _co.Dc, h.Machine, 3, h.Ip, "-");
        _w.Logoff4634(ms + Rng.Range(200, 3000), _co.Dc, l);
    }

    private void ScheduledScript(long ms)
    {
        // Routine maintenance scripts run as SYSTEM, plus the PowerShell engine's own formatting noise.
        var h = AnyHost();
        var p = _w.Spawn(ms, h.SvchostSchedule, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File C:\\ProgramData\\Maintenance\\Clear-TempFiles.ps1",
            integrity: "System");
        _w.Script4104(ms + Rng.Range(200, 600), p,
            "$limit = (Get-Date).AddDays(-14)\r\nGet-ChildItem -Path $env:windir\\Temp -Recurse -Force -ErrorAction SilentlyContinue |\r\n  Where-Object { -not $_.PSIsContainer -and $_.LastWriteTime -lt $limit } |\r\n  Remove-Item -Force -ErrorAction SilentlyContinue",
            "C:\\ProgramData\\Maintenance\\Clear-TempFiles.ps1");
        if (Rng.Chance(50))
            _w.Script4104(ms + Rng.Range(601, 900), p, "{ Set-StrictMode -Version 1; $_.PSMessageDetails }");
    }

    private void SqlClient(long ms)
    {
        // The line-of-business app on workstations talks to the SQL server.
        var h = AnyWorkstation();
        const string crm = "C:\\Program Files\\Contoso CRM\\CrmClient.exe";
        var p = _w.Spawn(ms, h.Explorer!, crm, $"\"{crm}\" ", cwd: "C:\\Program Files\\Contoso CRM\\");
        _w.Net(ms + Rng.Range(400, 2500), p, _co.Sql.Ip, 1433);
    }
}
