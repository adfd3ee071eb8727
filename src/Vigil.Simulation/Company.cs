namespace Vigil.Simulation;

/// <summary>
/// The simulated organisation: one AD domain (CORP / corp.example), a domain controller, a file server,
/// a SQL server, a management server that runs inventory, and workstations with one user each.
/// Everything is derived from the seed, so the same seed gives the same company.
/// </summary>
public sealed class Company
{
    public const string NetBios = "CORP";
    public const string DnsDomain = "corp.example";
    public const string BackupTargetIp = "10.10.10.50"; // backup NAS; it writes no Windows logs

    public string DomainSid { get; }
    public List<Host> Hosts { get; } = [];
    public List<Host> Workstations { get; } = [];
    public Host Dc { get; }
    public Host FileServer { get; }
    public Host Sql { get; }
    public Host Mgmt { get; }
    public Host Victim { get; }
    /// <summary>The internet-facing customer portal (IIS), present only in scenarios that need it (machine, cloud).</summary>
    public Host? Web { get; }
    /// <summary>IIS application pool identity of the customer portal.</summary>
    public Account? WebPool { get; }
    /// <summary>The public address the company's outbound traffic is translated to (what cloud providers see).</summary>
    public const string EgressIp = "192.0.2.20";
    public const string WebIp = "10.10.10.60";
    public List<Account> Users { get; } = [];
    public List<Account> Admins { get; } = [];
    public Account SvcInventory { get; }
    public Account SvcBackup { get; }
    public Account SvcSql { get; }
    public Account System { get; }
    private int _nextRid = 1103;

    private static readonly string[] FirstNames =
    [
        "maria", "james", "li", "sofia", "omar", "anna", "david", "fatima", "lucas", "emma", "noah", "aisha",
        "peter", "chen", "laura", "mehmet", "julia", "ravi", "sara", "tom", "ines", "kofi", "nina", "pablo",
        "hana", "erik", "zoe", "ivan", "leila", "marco",
    ];
    private static readonly string[] LastNames =
    [
        "brown", "miller", "wang", "rossi", "haddad", "novak", "clark", "rahman", "silva", "weber", "kim", "okafor",
        "smith", "zhang", "fischer", "yilmaz", "berg", "kumar", "cohen", "moore", "garcia", "mensah", "popov", "ruiz",
        "sato", "larsen", "dubois", "petrov", "nasser", "bianchi",
    ];

    public Company(int seed, int workstationCount, bool withWebServer = false)
    {
        var rng = Rng.For(seed, "company");
        DomainSid = $"S-1-5-21-{rng.Range(1000000000, 2000000000)}-{rng.Range(1000000000, 2000000000)}-{rng.Range(100000000, 900000000)}";
        System = new Account { Name = "SYSTEM", Domain = "NT AUTHORITY", Sid = "S-1-5-18" };

        Dc = AddHost(rng, seed, "DC01", "10.10.10.10", HostRole.DomainController);
        FileServer = AddHost(rng, seed, "FS01", "10.10.10.20", HostRole.FileServer);
        Sql = AddHost(rng, seed, "SQL01", "10.10.10.30", HostRole.DatabaseServer);
        Mgmt = AddHost(rng, seed, "MGMT01", "10.10.10.40", HostRole.Management);
        for (int i = 1; i <= workstationCount; i++)
            Workstations.Add(AddHost(rng, seed, $"WS{i:00}", $"10.10.20.{20 + i}", HostRole.Workstation));

        // Users: a fixed list of names shuffled by the seed, one per workstation.
        var order = Enumerable.Range(0, FirstNames.Length).ToArray();
        for (int i = order.Length - 1; i > 0; i--) { int j = rng.Next(i + 1); (order[i], order[j]) = (order[j], order[i]); }
        for (int i = 0; i < workstationCount; i++)
        {
            int k = order[i % order.Length];
            string name = FirstNames[k][0] + LastNames[(k + i / order.Length) % LastNames.Length];
            Users.Add(DomainAccount(name, admin: false));
        }
        // Two IT admins use separate admin accounts (adm.*); their daily accounts are the first two users.
        Admins.Add(DomainAccount("adm." + Users[0].Name, admin: true));
        Admins.Add(DomainAccount("adm." + Users[1].Name, admin: true));
        SvcInventory = DomainAccount("svc_inventory", admin: true);
        SvcBackup = DomainAccount("svc_backup", admin: true);
        SvcSql = DomainAccount("svc_sql", admin: false);

        for (int i = 0; i < Workstations.Count; i++)
            Workstations[i].PrimaryUser = Users[i];
        // The intrusion's first victim: an ordinary user's workstation (not one of the IT admins').
        Victim = Workstations[rng.Range(2, Workstations.Count - 1)];

        // Added last so that every draw above, and so the company of the default scenario, is unchanged.
        if (withWebServer)
        {
            Web = AddHost(rng, seed, "WEB01", WebIp, HostRole.WebServer);
            WebPool = new Account { Name = "CustomerPortal", Domain = "IIS APPPOOL", Sid = "S-1-5-82-" + rng.Range(100000000, 999999999) + "-" + rng.Range(100000000, 999999999) + "-" + rng.Range(100000000, 999999999) + "-" + rng.Range(100000000, 999999999) + "-" + rng.Range(100000000, 999999999) };
        }
    }

    private Account DomainAccount(string name, bool admin) =>
        new() { Name = name, Domain = NetBios, Sid = $"{DomainSid}-{_nextRid++}", IsAdmin = admin };

    private Host AddHost(Rng rng, int seed, string name, string ip, HostRole role)
    {
        var machine = new Account { Name = name + "$", Domain = NetBios, Sid = $"{DomainSid}-{_nextRid++}" };
        var h = new Host
        {
            Name = name,
            Fqdn = $"{name}.{DnsDomain}",
            Ip = ip,
            Role = role,
            GuidPrefix = rng.Hex(8),
            Rng = Rng.For(seed, "host:" + name),
            Machine = machine,
            LocalSidPrefix = $"S-1-5-21-{rng.Range(1000000000, 2000000000)}-{rng.Range(1000000000, 2000000000)}-{rng.Range(100000000, 900000000)}",
        };
        for (int f = 0; f < LogFiles.Count; f++) h.NextRecord[f] = rng.Range(20000, 900000);
        Hosts.Add(h);
        return h;
    }

    public Host ByName(string name) => Hosts.First(h => h.Name == name);
    public Host? ByIp(string ip) => Hosts.FirstOrDefault(h => h.Ip == ip);
}
