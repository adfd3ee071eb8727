namespace Vigil.Simulation;

/// <summary>
/// Benign work that looks like parts of an intrusion and is labelled as such in truth.json:
/// the nightly inventory sweep (svc_inventory, WinRM then WMI, every host at machine pace), the nightly
/// backup (svc_backup: SQL backups, a 7-Zip archive of the shares, robocopy to the backup NAS), IT admins
/// running discovery commands at human pace, a helpdesk RDP session, a new-hire account, software updates.
/// </summary>
internal static class Automation
{
    private const string Ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    private const string Cmd = "C:\\Windows\\System32\\cmd.exe";
    private const string Wmic = "C:\\Windows\\System32\\wbem\\WMIC.exe";
    private const string SevenZip = "C:\\Program Files\\7-Zip\\7z.exe";
    private const string Robocopy = "C:\\Windows\\System32\\Robocopy.exe";
    private const string SqlCmd = "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE";

    public static void Schedule(World w, int seed)
    {
        var rng = Rng.For(seed, "automation");
        var co = w.Co;
        string backup = co.SvcBackup.Qualified, inventory = co.SvcInventory.Qualified;
        w.Labelled(Benign(w, "backup", "nightly SQL backup", backup), () => SqlBackup(w, rng, At(1, 0, rng)));
        w.Labelled(Benign(w, "backup", "nightly file share backup", backup), () => ShareBackup(w, rng, At(1, 20, rng)));
        w.Labelled(Benign(w, "inventory", "nightly inventory sweep", inventory), () => Inventory(w, rng, At(2, 0, rng)));
        w.Labelled(Benign(w, "admin", "helpdesk RDP session", co.Admins[0].Qualified), () => HelpdeskRdp(w, rng, At(9, 5, rng)));
        w.Labelled(Benign(w, "admin", "admin troubleshooting", co.Admins[0].Qualified, co.Users[0].Qualified), () => AdminSession(w, rng, At(9, 40, rng), co.Workstations[0], co.Admins[0], 0));
        w.Labelled(Benign(w, "admin", "admin troubleshooting", co.Admins[1].Qualified, co.Users[1].Qualified), () => AdminSession(w, rng, At(11, 25, rng), co.Workstations[1], co.Admins[1], 1));
        w.Labelled(Benign(w, "admin", "admin troubleshooting", co.Admins[0].Qualified, co.Users[0].Qualified), () => AdminSession(w, rng, At(14, 35, rng), co.Workstations[0], co.Admins[0], 2));
        w.Labelled(Benign(w, "admin", "admin troubleshooting", co.Admins[1].Qualified, co.Users[1].Qualified), () => AdminSession(w, rng, At(16, 10, rng), co.Workstations[1], co.Admins[1], 3));
        w.Labelled(Benign(w, "admin", "new hire account", co.Admins[1].Qualified), () => NewHire(w, rng, At(15, 12, rng)));
        w.Labelled(Benign(w, "admin", "software update service", co.System.Qualified), () => SoftwareUpdates(w, rng));
    }

    /// <summary>A label for one run of a benign activity, registered for truth.json's benignActivities.</summary>
    internal static Label Benign(World w, string kind, string name, params string[] accounts) =>
        new(kind, null, null, name) { Activity = w.NewActivity(kind, name, accounts) };

    /// <summary>
    /// Benign work on the internet-facing web server (machine and cloud scenarios only; its own random stream so
    /// the rest of the day is as in the other scenarios): an admin's maintenance RDP session in the morning, which
    /// leaves the admin's credentials in the server's LSASS, and the portal's nightly log rotation.
    /// </summary>
    public static void ScheduleWeb(World w, int seed, Account admin)
    {
        var co = w.Co;
        var web = co.Web ?? throw new InvalidOperationException("simulate: no web server");
        var rng = Rng.For(seed, "automation:web");
        var from = co.Workstations[co.Admins.IndexOf(admin)];
        w.Labelled(Benign(w, "admin", "web server maintenance RDP session", admin.Qualified), () =>
        {
            long t = At(8, 20, rng);
            var mstsc = w.Spawn(t, from.Explorer!, "C:\\Windows\\System32\\mstsc.exe", $"\"C:\\Windows\\system32\\mstsc.exe\" /v:{web.Name}");
            w.Net(t + 400, mstsc, web.Ip, 3389);
            w.Tgs4769(t + 600, admin, web.Machine.Name, from.Ip);
            var l = w.Logon4624(t + 3500, web, admin, 10, from.Ip, from.Name, "Negotiate", session: 2);
            var shell = w.Existing(web, null, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", l, "High", t + 6000);
            var ps = w.Spawn(t + 45_000, shell, Ps, "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" ", cwd: "C:\\Users\\" + admin.Name + "\\");
            w.Script4104(t + 60_000 + rng.Next(20_000), ps, "Get-WebAppPoolState -Name CustomerPortal");
            w.Script4104(t + 120_000 + rng.Next(40_000), ps, "Restart-WebAppPool -Name CustomerPortal");
            w.Spawn(t + 200_000 + rng.Next(60_000), ps, "C:\\Windows\\System32\\inetsrv\\appcmd.exe", "\"C:\\Windows\\system32\\inetsrv\\appcmd.exe\" list requests /elapsed:5000");
            w.Logoff4634(t + 900_000 + rng.Next(300_000), web, l);
        });
        w.Labelled(Benign(w, "backup", "nightly web log rotation", co.System.Qualified), () =>
        {
            long t = At(0, 30, rng);
            var ps = w.Spawn(t, web.SvchostSchedule, Ps,
                "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File C:\\Scripts\\Rotate-IisLogs.ps1", integrity: "System", cwd: "C:\\Scripts\\");
            var zip = w.Spawn(t + 2_000, ps, SevenZip, "\"C:\\Program Files\\7-Zip\\7z.exe\" a -tzip -mx=5 D:\\LogArchive\\W3SVC1_20260309.zip C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex260309.log");
            var copy = w.Spawn(t + 40_000 + rng.Next(20_000), ps, Robocopy, "robocopy D:\\LogArchive \\\\BKP01.corp.example\\weblogs$ W3SVC1_20260309.zip /Z /R:2 /W:5 /NP");
            w.Net(t + 41_000 + rng.Next(20_000), copy, Company.BackupTargetIp, 445, "BKP01.corp.example", flow: Flow.Upload(rng.Range(180, 420), rng.Range(20, 60), "smb"));
            _ = zip;
        });
    }

    private static long At(int hour, int minute, Rng rng) => (hour * 60L + minute) * 60_000 + rng.Next(50_000);

    // ---- inventory ---------------------------------------------------------------------------------

    private static void Inventory(World w, Rng rng, long t)
    {
        var co = w.Co;
        var mgmt = co.Mgmt;
        var batch = w.Logon4624(t, mgmt, co.SvcInventory, 4, "-", "-", "Negotiate");
        var script = w.Spawn(t + 40, mgmt.SvchostSchedule, Ps,
            "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File C:\\Scripts\\Inventory\\Collect-Inventory.ps1 -OutPath \\\\FS01\\IT$\\Inventory",
            logon: batch, integrity: "High", cwd: "C:\\Scripts\\Inventory\\");
        w.Script4104(t + 400, script,
            "param([string]$OutPath)\r\n$computers = Get-ADComputer -Filter 'Enabled -eq $true' | Sort-Object Name | Select-Object -ExpandProperty DNSHostName\r\nforeach ($c in $computers) {\r\n  $r = Invoke-Command -ComputerName $c -ScriptBlock ${function:Get-Inventory} -ErrorAction Continue\r\n  $r | Export-Csv -Append -NoTypeInformation (Join-Path $OutPath 'inventory.csv')\r\n  & wmic.exe /node:\"$c\" qfe get HotFixID,InstalledOn /format:csv | Out-File -Append (Join-Path $OutPath 'hotfixes.csv')\r\n}",
            "C:\\Scripts\\Inventory\\Collect-Inventory.ps1");
        long now = t + 1500;
        // Fixed order, fixed sequence, every host: WinRM inventory then a WMI hotfix query.
        foreach (var target in co.Hosts)
        {
            if (target == mgmt) continue;
            w.Net(now, script, target.Ip, 5985);
            w.Tgs4769(now + 5, co.SvcInventory, target.Machine.Name, mgmt.Ip);
            var l = w.Logon4624(now + 20, target, co.SvcInventory, 3, mgmt.Ip, "-");
            var host = w.Spawn(now + 60, target.SvchostDcom, "C:\\Windows\\System32\\wsmprovhost.exe", "C:\\Windows\\system32\\wsmprovhost.exe -Embedding",
                logon: l, integrity: "High");
            w.Script4104(now + 180, host,
                "Get-CimInstance Win32_OperatingSystem | Select-Object CSName,Caption,Version,LastBootUpTime\r\nGet-CimInstance Win32_ComputerSystem | Select-Object Manufacturer,Model,TotalPhysicalMemory\r\nGet-ItemProperty 'HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*' | Select-Object DisplayName,DisplayVersion,Publisher");
            w.Spawn(now + 300 + rng.Next(40), host, "C:\\Windows\\System32\\systeminfo.exe", "\"C:\\Windows\\system32\\systeminfo.exe\" /fo csv");
            w.Logoff4634(now + 1400 + rng.Next(200), target, l);
            now += 1700 + rng.Next(500);

            var q = w.Spawn(now, script, Wmic, $"\"C:\\Windows\\System32\\Wbem\\WMIC.exe\" /node:\"{target.Fqdn}\" qfe get HotFixID,InstalledOn /format:csv");
            w.Net(now + 30, q, target.Ip, 135);
            var l2 = w.Logon4624(now + 60, target, co.SvcInventory, 3, mgmt.Ip, "-");
            w.Logoff4634(now + 900 + rng.Next(200), target, l2);
            now += 1100 + rng.Next(400);
        }
        w.Logoff4634(now + 500, mgmt, batch);
    }

    // ---- backup ------------------------------------------------------------------------------------

    private static void SqlBackup(World w, Rng rng, long t)
    {
        var co = w.Co;
        var sql = co.Sql;
        var batch = w.Logon4624(t, sql, co.SvcBackup, 4, "-", "-", "Negotiate");
        var cmd = w.Spawn(t + 30, sql.SvchostSchedule, Cmd, "C:\\Windows\\system32\\cmd.exe /c \"D:\\Scripts\\nightly_backup.cmd\"",
            logon: batch, integrity: "High", cwd: "D:\\Scripts\\");
        long now = t + 400;
        foreach (var db in new[] { "SalesDB", "HRDB", "CrmDB" })
        {
            w.Spawn(now, cmd, SqlCmd, $"sqlcmd -S SQL01 -E -b -Q \"BACKUP DATABASE [{db}] TO DISK = N'D:\\Backup\\{db}_20260310.bak' WITH COMPRESSION, INIT, CHECKSUM\"");
            now += 60_000 + rng.Next(120_000);
            w.FileCreate(now - 50_000, sql.SqlServer!, $"D:\\Backup\\{db}_20260310.bak");
        }
        var copy = w.Spawn(now, cmd, Robocopy, "robocopy D:\\Backup \\\\BKP01.corp.example\\sql$ *_20260310.bak /Z /R:2 /W:5 /NP /LOG+:D:\\Backup\\robocopy.log");
        // Gigabytes to the NAS (internal): the sensor records the volume; sizes come from the sensor's own stream.
        for (int i = 0; i < 3; i++) w.Net(now + 200 + i * 40_000, copy, Company.BackupTargetIp, 445, "BKP01.corp.example", flow: BackupFlow(w, 1500, 4200));
        w.Logoff4634(now + 200_000, sql, batch);
    }

    /// <summary>One robocopy stream of a few GB to the NAS; drawn from the sensor's stream (none without a sensor),
    /// so the Windows events are the same with or without network logs.</summary>
    private static Flow? BackupFlow(World w, int minMb, int maxMb)
    {
        if (w.Sensor is not { } s) return null;
        long mb = s.Rng.Range(minMb, maxMb);
        return Flow.Upload(mb, mb / 90 + s.Rng.Range(5, 30), "smb");
    }

    private static void ShareBackup(World w, Rng rng, long t)
    {
        var co = w.Co;
        var fs = co.FileServer;
        var batch = w.Logon4624(t, fs, co.SvcBackup, 4, "-", "-", "Negotiate");
        var cmd = w.Spawn(t + 30, fs.SvchostSchedule, Cmd, "C:\\Windows\\system32\\cmd.exe /c \"D:\\Scripts\\shares_backup.cmd\"",
            logon: batch, integrity: "High", cwd: "D:\\Scripts\\");
        var zip = w.Spawn(t + 300, cmd, SevenZip, "\"C:\\Program Files\\7-Zip\\7z.exe\" a -t7z -mx=1 -ssw D:\\Backup\\shares_20260310.7z D:\\Shares\\*");
        w.FileCreate(t + 900, zip, "D:\\Backup\\shares_20260310.7z");
        long now = t + 600_000 + rng.Next(300_000);
        var copy = w.Spawn(now, cmd, Robocopy, "robocopy D:\\Backup \\\\BKP01.corp.example\\fs$ shares_20260310.7z /Z /R:2 /W:5 /NP /LOG+:D:\\Backup\\robocopy.log");
        for (int i = 0; i < 4; i++) w.Net(now + 200 + i * 60_000, copy, Company.BackupTargetIp, 445, "BKP01.corp.example", flow: BackupFlow(w, 2000, 6000));
        w.Logoff4634(now + 300_000, fs, batch);
    }

    // ---- IT admins ---------------------------------------------------------------------------------

    private static void HelpdeskRdp(World w, Rng rng, long t)
    {
        // An admin helps the user of the workstation the intruder will later land on: the admin's
        // credentials stay in that machine's LSASS, which is what the intruder later dumps.
        var co = w.Co;
        var victim = co.Victim;
        var admin = co.Admins[0];
        var from = co.Workstations[0];
        w.Tgs4769(t, admin, victim.Machine.Name, from.Ip);
        var l = w.Logon4624(t + 300, victim, admin, 10, from.Ip, from.Name, "Negotiate", session: 2);
        var shell = w.Existing(victim, null, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", l, "High", t + 2000);
        var cmd = w.Spawn(t + 40_000, shell, Cmd, "\"C:\\Windows\\system32\\cmd.exe\" ", cwd: "C:\\Users\\" + admin.Name + "\\");
        w.Spawn(t + 52_000, cmd, "C:\\Windows\\System32\\gpupdate.exe", "gpupdate  /force");
        w.Spawn(t + 140_000 + rng.Next(20_000), cmd, "C:\\Windows\\System32\\ipconfig.exe", "ipconfig  /flushdns");
        w.Logoff4634(t + 600_000 + rng.Next(60_000), victim, l);
    }

    private static readonly string[][] AdminCommands =
    [
        ["whoami", "ipconfig /all", "net user {user} /domain", "net group \"Sales\" /domain", "gpresult /r"],
        ["nltest /dsgetdc:corp.example", "ping -n 2 FS01", "net localgroup administrators", "systeminfo", "ipconfig /all"],
        ["whoami /groups", "net user {user} /domain", "net time \\\\DC01", "tasklist /svc", "sc query spooler"],
        ["ipconfig", "net view \\\\FS01", "net use", "quser /server:FS01", "whoami"],
    ];

    private static void AdminSession(World w, Rng rng, long t, Host ws, Account admin, int variant)
    {
        var co = w.Co;
        // "Run as different user": explicit credentials, then an elevated console as the admin account.
        var runas = w.Spawn(t, ws.Explorer!, "C:\\Windows\\System32\\runas.exe", $"runas  /user:CORP\\{admin.Name} cmd");
        w.Explicit4648(t + 4000, runas, admin, "localhost", "localhost");
        w.Tgt4768(t + 4100, admin, ws.Ip);
        var l = w.Logon4624(t + 4300, ws, admin, 2, "::1", ws.Name, "Negotiate", session: 1);
        var cmd = w.Spawn(t + 4800, ws.Explorer!, Cmd, "cmd", logon: l, integrity: "High", cwd: "C:\\Windows\\system32\\");
        long now = t + 20_000;
        foreach (var c in AdminCommands[variant % AdminCommands.Length])
        {
            now += rng.Range(25_000, 240_000); // human pace: reading output, thinking, typing
            string line = c.Replace("{user}", co.Users[rng.Range(2, co.Users.Count - 1)].Name, StringComparison.Ordinal);
            string exe = line.Split(' ')[0];
            w.Spawn(now, cmd, "C:\\Windows\\System32\\" + exe + ".exe", line);
            if (exe == "net" && line.Contains("/domain", StringComparison.Ordinal))
                w.Net(now + 30, cmd, co.Dc.Ip, 445);
        }
        // The admin then opens an RDP session to a server to look at it.
        now += rng.Range(30_000, 90_000);
        var server = variant % 2 == 0 ? co.FileServer : co.Sql;
        var mstsc = w.Spawn(now, ws.Explorer!, "C:\\Windows\\System32\\mstsc.exe", $"\"C:\\Windows\\system32\\mstsc.exe\" /v:{server.Name}");
        w.Net(now + 500, mstsc, server.Ip, 3389);
        w.Tgs4769(now + 700, admin, server.Machine.Name, ws.Ip);
        var rdp = w.Logon4624(now + 4000, server, admin, 10, ws.Ip, ws.Name, "Negotiate", session: 3);
        w.Logoff4634(now + rng.Range(300_000, 900_000), server, rdp);
    }

    private static void NewHire(World w, Rng rng, long t)
    {
        var co = w.Co;
        var dc = co.Dc;
        var admin = co.Admins[1];
        var ws = co.Workstations[1];
        var l = w.Logon4624(t, dc, admin, 10, ws.Ip, ws.Name, "Negotiate", session: 4);
        var shell = w.Existing(dc, null, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", l, "High", t + 3000);
        w.Spawn(t + 25_000, shell, "C:\\Windows\\System32\\mmc.exe", "\"C:\\Windows\\system32\\mmc.exe\" \"C:\\Windows\\system32\\dsa.msc\" ",
            cwd: "C:\\Windows\\system32\\");
        var hire = new Account { Name = "lnovak2", Domain = Company.NetBios, Sid = co.DomainSid + "-" + (1400 + rng.Next(50)) };
        w.UserCreated4720(t + 140_000, dc, l, hire);
        w.UserEnabled4722(t + 140_020, dc, l, hire);
        w.GroupMemberAdded(t + 190_000, dc, l, hire, 4728, "Sales", Company.NetBios, co.DomainSid + "-1110");
        w.Logoff4634(t + 600_000, dc, l);
    }

    private static void SoftwareUpdates(World w, Rng rng)
    {
        var co = w.Co;
        var ws = co.Workstations[4];
        long t = (11 * 60 + 3) * 60_000L + rng.Next(60_000);
        w.Service7045(t, ws, "GoogleUpdaterService123.0.6312.0",
            "\"C:\\Program Files (x86)\\Google\\GoogleUpdater\\123.0.6312.0\\updater.exe\" --system --windows-service --service=update",
            "auto start");
        long t2 = (13 * 60 + 41) * 60_000L + rng.Next(60_000);
        w.Service7045(t2, co.FileServer, "MpKslDrv", "\\??\\C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\{5B2B8C4E-6F7E-4C52-9C28-7A7C57B43C3A}\\MpKslDrv.sys",
            "manual start", "");
    }
}
