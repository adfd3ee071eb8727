using System.Globalization;

namespace Vigil.Simulation;

/// <summary>
/// Event factory and time-ordered queue. Activities create their events (possibly minutes or hours ahead)
/// through these methods; the simulator drains the queue in time order up to a watermark that no later
/// activity can precede. A label set with <see cref="Labelled"/> is attached to every event made meanwhile.
/// </summary>
public sealed class World
{
    private const string Security = "Microsoft-Windows-Security-Auditing";
    private const string Sysmon = "Microsoft-Windows-Sysmon";

    public Company Co { get; }
    private readonly PriorityQueue<SimEvent, (long Ms, long Seq)> _queue = new();
    private long _seq;
    private Label? _label;

    public World(Company co) { Co = co; }

    /// <summary>The network sensor that also records every connection made through <see cref="Net"/>
    /// (null: no network logs). It draws from its own random stream only.</summary>
    public NetSensor? Sensor { get; set; }

    /// <summary>The label events made now get (the innermost <see cref="Labelled"/>).</summary>
    public Label? CurrentLabel => _label;

    /// <summary>Benign activities registered by the scenario (truth.json's <c>benignActivities</c>).</summary>
    public List<BenignActivity> Activities { get; } = [];

    public BenignActivity NewActivity(string kind, string name, params string[] accounts)
    {
        var a = new BenignActivity { Kind = kind, Name = name };
        a.Accounts.AddRange(accounts);
        Activities.Add(a);
        return a;
    }

    public int Pending => _queue.Count;
    /// <summary>Events created so far (queued or written).</summary>
    public long Created { get; private set; }

    public bool TryDequeueBefore(long ms, out SimEvent e)
    {
        if (_queue.TryPeek(out e!, out var key) && key.Ms < ms) { _queue.Dequeue(); return true; }
        e = null!;
        return false;
    }

    /// <summary>Runs <paramref name="body"/> with every created event carrying <paramref name="label"/>.</summary>
    public void Labelled(Label? label, Action body)
    {
        var saved = _label;
        _label = label;
        try { body(); } finally { _label = saved; }
    }

    private SimEvent New(long ms, LogFile file, Host host, int id, string provider)
    {
        Created++;
        var e = new SimEvent { Ms = ms, Seq = _seq++, File = file, Host = host, EventId = id, Provider = provider, Label = _label };
        _queue.Enqueue(e, (ms, e.Seq));
        return e;
    }

    public static string Hex(long v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);
    public static string Utc(long ms) => Simulator.FormatSpace(ms);

    // ---- logon sessions -------------------------------------------------------------------------

    public Logon NewLogon(Host h, Account a, int type, int session = 0) => new()
    {
        Account = a,
        LogonId = Hex(h.Rng.Range(0x100000, 0x7ffffff)),
        LogonGuid = "{" + h.Rng.Hex(8) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(12) + "}",
        LogonType = type,
        Session = session,
    };

    /// <summary>Creates a long-lived process that already existed when the day began (not logged).</summary>
    public Proc Existing(Host h, Proc? parent, string image, string cmd, Logon logon, string integrity, long ms = -3600_000, int pid = 0) => new()
    {
        Host = h, Guid = h.NewProcessGuid(ms), Pid = pid > 0 ? pid : h.NewPid(), Image = image, CommandLine = cmd, Logon = logon,
        Integrity = integrity, CurrentDirectory = "C:\\Windows\\system32\\", Parent = parent,
    };

    // ---- process creation: Sysmon 1 and Security 4688 ----------------------------------------------

    public Proc Spawn(long ms, Proc parent, string image, string cmd, Logon? logon = null, string? integrity = null, string? cwd = null)
    {
        var h = parent.Host;
        var p = new Proc
        {
            Host = h, Guid = h.NewProcessGuid(ms), Pid = h.NewPid(), Image = image, CommandLine = cmd,
            Logon = logon ?? parent.Logon, Integrity = integrity ?? parent.Integrity,
            CurrentDirectory = cwd ?? parent.CurrentDirectory, Parent = parent,
        };
        var info = Images.Info(image);
        string user = UserField(p.Logon.Account, h);
        New(ms, LogFile.Sysmon, h, 1, Sysmon)
            .Add("RuleName", "-").Add("UtcTime", Utc(ms)).Add("ProcessGuid", p.Guid).Add("ProcessId", p.Pid.ToString(CultureInfo.InvariantCulture))
            .Add("Image", image).Add("FileVersion", info.FileVersion).Add("Description", info.Description).Add("Product", info.Product)
            .Add("Company", info.Company).Add("OriginalFileName", info.OriginalFileName).Add("CommandLine", cmd)
            .Add("CurrentDirectory", p.CurrentDirectory).Add("User", user).Add("LogonGuid", p.Logon.LogonGuid)
            .Add("LogonId", p.Logon.LogonId).Add("TerminalSessionId", p.Logon.Session.ToString(CultureInfo.InvariantCulture))
            .Add("IntegrityLevel", p.Integrity).Add("Hashes", Images.Hashes(image)).Add("ParentProcessGuid", parent.Guid)
            .Add("ParentProcessId", parent.Pid.ToString(CultureInfo.InvariantCulture)).Add("ParentImage", parent.Image)
            .Add("ParentCommandLine", parent.CommandLine).Add("ParentUser", UserField(parent.Logon.Account, h));

        var subj = p.Logon.Account.Sid == Co.System.Sid ? h.Machine : p.Logon.Account;
        New(ms, LogFile.Security, h, 4688, Security)
            .Add("SubjectUserSid", p.Logon.Account.Sid).Add("SubjectUserName", subj.Name).Add("SubjectDomainName", subj.Domain)
            .Add("SubjectLogonId", p.Logon.LogonId).Add("NewProcessId", Hex(p.Pid)).Add("NewProcessName", image)
            .Add("TokenElevationType", p.Integrity is "High" or "System" ? "%%1937" : "%%1938").Add("ProcessId", Hex(parent.Pid))
            .Add("CommandLine", cmd).Add("TargetUserSid", "S-1-0-0").Add("TargetUserName", "-").Add("TargetDomainName", "-")
            .Add("TargetLogonId", "0x0").Add("ParentProcessName", parent.Image).Add("MandatoryLabel", MandatoryLabel(p.Integrity));
        return p;
    }

    /// <summary>Sysmon's User field: DOMAIN\name (NT AUTHORITY\SYSTEM, CORP\user, HOST\localuser).</summary>
    private static string UserField(Account a, Host h) => a.Qualified;

    private static string MandatoryLabel(string integrity) => integrity switch
    {
        "System" => "S-1-16-16384",
        "High" => "S-1-16-12288",
        "Low" => "S-1-16-4096",
        _ => "S-1-16-8192",
    };

    // ---- other Sysmon events ---------------------------------------------------------------------

    public void Net(long ms, Proc p, string dstIp, int dstPort, string? dstHostname = null, string protocol = "tcp", Flow? flow = null)
    {
        var h = p.Host;
        int srcPort = h.Rng.Range(49152, 65535);
        // The sensor sees the same connection on the wire (it draws only from its own stream).
        Sensor?.Connection(ms, h.Ip, srcPort, dstIp, dstPort, protocol, dstHostname ?? Co.ByIp(dstIp)?.Fqdn, flow, _label);
        New(ms, LogFile.Sysmon, h, 3, Sysmon)
            .Add("RuleName", "-").Add("UtcTime", Utc(ms)).Add("ProcessGuid", p.Guid).Add("ProcessId", p.Pid.ToString(CultureInfo.InvariantCulture))
            .Add("Image", p.Image).Add("User", UserField(p.Logon.Account, h)).Add("Protocol", protocol).Add("Initiated", "true")
            .Add("SourceIsIpv6", "false").Add("SourceIp", h.Ip).Add("SourceHostname", h.Fqdn).Add("SourcePort", srcPort.ToString(CultureInfo.InvariantCulture))
            .Add("SourcePortName", "-").Add("DestinationIsIpv6", "false").Add("DestinationIp", dstIp)
            .Add("DestinationHostname", dstHostname ?? Co.ByIp(dstIp)?.Fqdn ?? "-").Add("DestinationPort", dstPort.ToString(CultureInfo.InvariantCulture))
            .Add("DestinationPortName", PortName(dstPort));
    }

    /// <summary>A connection only the network sensor records (inbound from the internet, or between machines
    /// that write no logs); labelled like the events made meanwhile.</summary>
    public void Wire(long ms, string srcIp, int srcPort, string dstIp, int dstPort, string protocol = "tcp", string? dstName = null, Flow? flow = null) =>
        Sensor?.Connection(ms, srcIp, srcPort, dstIp, dstPort, protocol, dstName, flow, _label);

    private static string PortName(int port) => port switch
    {
        88 => "kerberos", 135 => "epmap", 389 => "ldap", 443 => "https", 445 => "microsoft-ds", 80 => "http",
        5985 => "-", 1433 => "ms-sql-s", 53 => "domain", 22 => "ssh", _ => "-",
    };

    public void FileCreate(long ms, Proc p, string path)
    {
        New(ms, LogFile.Sysmon, p.Host, 11, Sysmon)
            .Add("RuleName", "-").Add("UtcTime", Utc(ms)).Add("ProcessGuid", p.Guid).Add("ProcessId", p.Pid.ToString(CultureInfo.InvariantCulture))
            .Add("Image", p.Image).Add("TargetFilename", path).Add("CreationUtcTime", Utc(ms)).Add("User", UserField(p.Logon.Account, p.Host));
    }

    public void ProcessAccess(long ms, Proc src, Proc target, string access, string callTrace)
    {
        New(ms, LogFile.Sysmon, src.Host, 10, Sysmon)
            .Add("RuleName", "-").Add("UtcTime", Utc(ms)).Add("SourceProcessGUID", src.Guid).Add("SourceProcessId", src.Pid.ToString(CultureInfo.InvariantCulture))
            .Add("SourceThreadId", src.Host.Rng.Range(1000, 9000).ToString(CultureInfo.InvariantCulture)).Add("SourceImage", src.Image)
            .Add("TargetProcessGUID", target.Guid).Add("TargetProcessId", target.Pid.ToString(CultureInfo.InvariantCulture)).Add("TargetImage", target.Image)
            .Add("GrantedAccess", access).Add("CallTrace", callTrace)
            .Add("SourceUser", UserField(src.Logon.Account, src.Host)).Add("TargetUser", "NT AUTHORITY\\SYSTEM");
    }

    public void RegistrySet(long ms, Proc p, string key, string details)
    {
        New(ms, LogFile.Sysmon, p.Host, 13, Sysmon)
            .Add("RuleName", "-").Add("EventType", "SetValue").Add("UtcTime", Utc(ms)).Add("ProcessGuid", p.Guid)
            .Add("ProcessId", p.Pid.ToString(CultureInfo.InvariantCulture)).Add("Image", p.Image).Add("TargetObject", key)
            .Add("Details", details).Add("User", UserField(p.Logon.Account, p.Host));
    }

    // ---- Security: logons and Kerberos ------------------------------------------------------------

    /// <summary>4624 for a new session on <paramref name="h"/>; returns the session.</summary>
    public Logon Logon4624(long ms, Host h, Account a, int type, string ip, string workstation, string package = "Kerberos", int session = 0)
    {
        var l = NewLogon(h, a, type, session);
        bool network = type is 3;
        New(ms, LogFile.Security, h, 4624, Security)
            .Add("SubjectUserSid", network ? "S-1-0-0" : "S-1-5-18").Add("SubjectUserName", network ? "-" : h.Machine.Name)
            .Add("SubjectDomainName", network ? "-" : Company.NetBios).Add("SubjectLogonId", network ? "0x0" : "0x3e7")
            .Add("TargetUserSid", a.Sid).Add("TargetUserName", a.Name).Add("TargetDomainName", a.Domain == Company.NetBios ? "CORP.EXAMPLE" : a.Domain)
            .Add("TargetLogonId", l.LogonId).Add("LogonType", type.ToString(CultureInfo.InvariantCulture))
            .Add("LogonProcessName", package == "NTLM" ? "NtLmSsp " : type is 2 or 7 or 10 or 11 ? "User32 " : package == "Negotiate" ? "Advapi  " : "Kerberos")
            .Add("AuthenticationPackageName", package).Add("WorkstationName", workstation)
            .Add("LogonGuid", package == "Kerberos" ? l.LogonGuid : "{00000000-0000-0000-0000-000000000000}")
            .Add("TransmittedServices", "-").Add("LmPackageName", package == "NTLM" ? "NTLM V2" : "-").Add("KeyLength", package == "NTLM" ? "128" : "0")
            .Add("ProcessId", network ? "0x0" : Hex(h.Lsass.Pid + 132)).Add("ProcessName", network ? "-" : "C:\\Windows\\System32\\svchost.exe")
            .Add("IpAddress", ip).Add("IpPort", ip == "-" ? "-" : h.Rng.Range(49152, 65535).ToString(CultureInfo.InvariantCulture))
            .Add("ImpersonationLevel", "%%1833").Add("RestrictedAdminMode", "-").Add("TargetOutboundUserName", "-")
            .Add("TargetOutboundDomainName", "-").Add("VirtualAccount", "%%1843").Add("TargetLinkedLogonId", "0x0")
            .Add("ElevatedToken", a.IsAdmin ? "%%1842" : "%%1843");
        if (a.IsAdmin)
            New(ms, LogFile.Security, h, 4672, Security)
                .Add("SubjectUserSid", a.Sid).Add("SubjectUserName", a.Name).Add("SubjectDomainName", a.Domain).Add("SubjectLogonId", l.LogonId)
                .Add("PrivilegeList", "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege\r\n\t\t\tSeDelegateSessionUserImpersonatePrivilege");
        return l;
    }

    public void Logoff4634(long ms, Host h, Logon l)
    {
        New(ms, LogFile.Security, h, 4634, Security)
            .Add("TargetUserSid", l.Account.Sid).Add("TargetUserName", l.Account.Name).Add("TargetDomainName", l.Account.Domain)
            .Add("TargetLogonId", l.LogonId).Add("LogonType", l.LogonType.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>A network logon that failed (type 3, NTLM), as a password-guessing tool causes on the target.</summary>
    public void FailedNetwork4625(long ms, Host h, string user, string domain, string ip, string workstation, int port, string subStatus = "0xc000006a")
    {
        New(ms, LogFile.Security, h, 4625, Security)
            .Add("SubjectUserSid", "S-1-0-0").Add("SubjectUserName", "-").Add("SubjectDomainName", "-")
            .Add("SubjectLogonId", "0x0").Add("TargetUserSid", "S-1-0-0").Add("TargetUserName", user).Add("TargetDomainName", domain)
            .Add("Status", "0xc000006d").Add("FailureReason", "%%2313").Add("SubStatus", subStatus)
            .Add("LogonType", "3").Add("LogonProcessName", "NtLmSsp ").Add("AuthenticationPackageName", "NTLM").Add("WorkstationName", workstation)
            .Add("TransmittedServices", "-").Add("LmPackageName", "-").Add("KeyLength", "0")
            .Add("ProcessId", "0x0").Add("ProcessName", "-")
            .Add("IpAddress", ip).Add("IpPort", port.ToString(CultureInfo.InvariantCulture));
    }

    public void Failed4625(long ms, Host h, Account a, int type, string ip, string workstation, string status = "0xc000006d", string subStatus = "0xc000006a")
    {
        New(ms, LogFile.Security, h, 4625, Security)
            .Add("SubjectUserSid", "S-1-5-18").Add("SubjectUserName", h.Machine.Name).Add("SubjectDomainName", Company.NetBios)
            .Add("SubjectLogonId", "0x3e7").Add("TargetUserSid", "S-1-0-0").Add("TargetUserName", a.Name).Add("TargetDomainName", a.Domain)
            .Add("Status", status).Add("FailureReason", "%%2313").Add("SubStatus", subStatus).Add("LogonType", type.ToString(CultureInfo.InvariantCulture))
            .Add("LogonProcessName", "User32 ").Add("AuthenticationPackageName", "Negotiate").Add("WorkstationName", workstation)
            .Add("TransmittedServices", "-").Add("LmPackageName", "-").Add("KeyLength", "0")
            .Add("ProcessId", Hex(h.Lsass.Pid + 132)).Add("ProcessName", "C:\\Windows\\System32\\svchost.exe")
            .Add("IpAddress", ip).Add("IpPort", "0");
    }

    public void Explicit4648(long ms, Proc p, Account target, string targetServer, string targetInfo)
    {
        var subj = p.Logon.Account;
        New(ms, LogFile.Security, p.Host, 4648, Security)
            .Add("SubjectUserSid", subj.Sid).Add("SubjectUserName", subj.Name).Add("SubjectDomainName", subj.Domain).Add("SubjectLogonId", p.Logon.LogonId)
            .Add("LogonGuid", "{00000000-0000-0000-0000-000000000000}").Add("TargetUserName", target.Name).Add("TargetDomainName", target.Domain)
            .Add("TargetLogonGuid", "{00000000-0000-0000-0000-000000000000}").Add("TargetServerName", targetServer).Add("TargetInfo", targetInfo)
            .Add("ProcessId", Hex(p.Pid)).Add("ProcessName", p.Image).Add("IpAddress", "-").Add("IpPort", "-");
    }

    public void Tgt4768(long ms, Account a, string ip)
    {
        var dc = Co.Dc;
        New(ms, LogFile.Security, dc, 4768, Security)
            .Add("TargetUserName", a.Name).Add("TargetDomainName", Company.NetBios).Add("TargetSid", a.Sid)
            .Add("ServiceName", "krbtgt").Add("ServiceSid", Co.DomainSid + "-502").Add("TicketOptions", "0x40810010").Add("Status", "0x0")
            .Add("TicketEncryptionType", "0x12").Add("PreAuthType", "2").Add("IpAddress", "::ffff:" + ip)
            .Add("IpPort", dc.Rng.Range(49152, 65535).ToString(CultureInfo.InvariantCulture))
            .Add("CertIssuerName", "").Add("CertSerialNumber", "").Add("CertThumbprint", "");
    }

    public void Tgs4769(long ms, Account a, string serviceName, string ip)
    {
        var dc = Co.Dc;
        var svcHost = Co.Hosts.FirstOrDefault(x => x.Machine.Name == serviceName);
        New(ms, LogFile.Security, dc, 4769, Security)
            .Add("TargetUserName", a.Name + "@CORP.EXAMPLE").Add("TargetDomainName", "CORP.EXAMPLE").Add("ServiceName", serviceName)
            .Add("ServiceSid", svcHost?.Machine.Sid ?? Co.DomainSid + "-1200").Add("TicketOptions", "0x40810000").Add("TicketEncryptionType", "0x12")
            .Add("IpAddress", "::ffff:" + ip).Add("IpPort", dc.Rng.Range(49152, 65535).ToString(CultureInfo.InvariantCulture))
            .Add("Status", "0x0").Add("LogonGuid", "{" + dc.Rng.Hex(8) + "-" + dc.Rng.Hex(4) + "-" + dc.Rng.Hex(4) + "-" + dc.Rng.Hex(4) + "-" + dc.Rng.Hex(12) + "}")
            .Add("TransmittedServices", "-");
    }

    public void Share5140(long ms, Host h, Logon l, string share, string localPath, string ip)
    {
        New(ms, LogFile.Security, h, 5140, Security)
            .Add("SubjectUserSid", l.Account.Sid).Add("SubjectUserName", l.Account.Name).Add("SubjectDomainName", l.Account.Domain)
            .Add("SubjectLogonId", l.LogonId).Add("ObjectType", "File").Add("IpAddress", ip)
            .Add("IpPort", h.Rng.Range(49152, 65535).ToString(CultureInfo.InvariantCulture)).Add("ShareName", "\\\\*\\" + share)
            .Add("ShareLocalPath", localPath).Add("AccessMask", "0x1").Add("AccessList", "%%4416\r\n\t\t\t\t");
    }

    public void Share5145(long ms, Host h, Logon l, string share, string localPath, string relative, string accessMask, string ip)
    {
        New(ms, LogFile.Security, h, 5145, Security)
            .Add("SubjectUserSid", l.Account.Sid).Add("SubjectUserName", l.Account.Name).Add("SubjectDomainName", l.Account.Domain)
            .Add("SubjectLogonId", l.LogonId).Add("ObjectType", "File").Add("IpAddress", ip)
            .Add("IpPort", h.Rng.Range(49152, 65535).ToString(CultureInfo.InvariantCulture)).Add("ShareName", "\\\\*\\" + share)
            .Add("ShareLocalPath", localPath).Add("RelativeTargetName", relative).Add("AccessMask", accessMask)
            .Add("AccessList", accessMask == "0x2" ? "%%4417\r\n\t\t\t\t" : "%%4416\r\n\t\t\t\t").Add("AccessReason", "-");
    }

    // ---- Security: account management -------------------------------------------------------------

    public void UserCreated4720(long ms, Host h, Logon by, Account created)
    {
        New(ms, LogFile.Security, h, 4720, Security)
            .Add("TargetUserName", created.Name).Add("TargetDomainName", created.Domain).Add("TargetSid", created.Sid)
            .Add("SubjectUserSid", by.Account.Sid).Add("SubjectUserName", SubjectName(h, by)).Add("SubjectDomainName", SubjectDomain(by))
            .Add("SubjectLogonId", by.LogonId).Add("PrivilegeList", "-").Add("SamAccountName", created.Name).Add("DisplayName", "%%1793")
            .Add("UserPrincipalName", "-").Add("HomeDirectory", "%%1793").Add("HomePath", "%%1793").Add("ScriptPath", "%%1793")
            .Add("ProfilePath", "%%1793").Add("UserWorkstations", "%%1793").Add("PasswordLastSet", "%%1794").Add("AccountExpires", "%%1794")
            .Add("PrimaryGroupId", "513").Add("AllowedToDelegateTo", "-").Add("OldUacValue", "0x0").Add("NewUacValue", "0x15")
            .Add("UserAccountControl", "\r\n\t\t%%2080\r\n\t\t%%2082\r\n\t\t%%2084").Add("UserParameters", "%%1793")
            .Add("SidHistory", "-").Add("LogonHours", "%%1797");
    }

    public void UserEnabled4722(long ms, Host h, Logon by, Account created)
    {
        New(ms, LogFile.Security, h, 4722, Security)
            .Add("TargetUserName", created.Name).Add("TargetDomainName", created.Domain).Add("TargetSid", created.Sid)
            .Add("SubjectUserSid", by.Account.Sid).Add("SubjectUserName", SubjectName(h, by)).Add("SubjectDomainName", SubjectDomain(by))
            .Add("SubjectLogonId", by.LogonId);
    }

    /// <summary>4732 (local / domain-local group) or 4728 (global group) membership addition.</summary>
    public void GroupMemberAdded(long ms, Host h, Logon by, Account member, int eventId, string group, string groupDomain, string groupSid)
    {
        New(ms, LogFile.Security, h, eventId, Security)
            .Add("MemberName", member.Domain == Company.NetBios ? $"CN={member.Name},CN=Users,DC=corp,DC=example" : "-")
            .Add("MemberSid", member.Sid).Add("TargetUserName", group).Add("TargetDomainName", groupDomain).Add("TargetSid", groupSid)
            .Add("SubjectUserSid", by.Account.Sid).Add("SubjectUserName", SubjectName(h, by)).Add("SubjectDomainName", SubjectDomain(by))
            .Add("SubjectLogonId", by.LogonId).Add("PrivilegeList", "-");
    }

    private static string SubjectName(Host h, Logon by) => by.Account.Sid == "S-1-5-18" ? h.Machine.Name : by.Account.Name;
    private static string SubjectDomain(Logon by) => by.Account.Sid == "S-1-5-18" ? Company.NetBios : by.Account.Domain;

    // ---- System and PowerShell --------------------------------------------------------------------

    public void Service7045(long ms, Host h, string name, string imagePath, string startType = "demand start", string account = "LocalSystem")
    {
        New(ms, LogFile.System, h, 7045, "Service Control Manager")
            .Add("ServiceName", name).Add("ImagePath", imagePath).Add("ServiceType", "user mode service")
            .Add("StartType", startType).Add("AccountName", account);
    }

    public void Script4104(long ms, Proc p, string text, string path = "")
    {
        var h = p.Host;
        New(ms, LogFile.PowerShell, h, 4104, "Microsoft-Windows-PowerShell")
            .Add("MessageNumber", "1").Add("MessageTotal", "1").Add("ScriptBlockText", text)
            .Add("ScriptBlockId", h.Rng.Hex(8) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(4) + "-" + h.Rng.Hex(12))
            .Add("Path", path).Add("UserID", p.Logon.Account.Sid).Add("ProcessID", p.Pid.ToString(CultureInfo.InvariantCulture));
    }
}
