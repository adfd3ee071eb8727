namespace Vigil.Simulation;

/// <summary>Creates the processes and sessions that already exist when the simulated day begins.</summary>
internal static class Setup
{
    public const string Office = "C:\\Program Files\\Microsoft Office\\root\\Office16\\";
    public const string SqlBinn = "C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\";

    public static void Prepare(World w, int seed)
    {
        var co = w.Co;
        foreach (var h in co.Hosts)
        {
            var sys = new Logon { Account = co.System, LogonId = "0x3e7", LogonGuid = "{00000000-0000-0000-0000-000000000000}", LogonType = 0 };
            h.SystemLogon = sys;
            long boot = -h.Rng.Range(2, 20) * 86_400_000L; // booted days ago
            h.Services = w.Existing(h, null, "C:\\Windows\\System32\\services.exe", "C:\\Windows\\system32\\services.exe", sys, "System", boot);
            h.Lsass = w.Existing(h, null, "C:\\Windows\\System32\\lsass.exe", "C:\\Windows\\system32\\lsass.exe", sys, "System", boot,
                pid: h.Rng.Range(150, 250) * 4); // started early in boot: a low process id
            h.SvchostDcom = w.Existing(h, h.Services, "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p", sys, "System", boot);
            h.SvchostNetsvcs = w.Existing(h, h.Services, "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p", sys, "System", boot);
            h.SvchostSchedule = w.Existing(h, h.Services, "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule", sys, "System", boot);
            h.WmiPrvSE = w.Existing(h, h.SvchostDcom, "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding", sys, "System", boot);

            if (h.Role == HostRole.DatabaseServer)
            {
                var sqlLogon = w.NewLogon(h, co.SvcSql, 5);
                h.SqlServer = w.Existing(h, h.Services, SqlBinn + "sqlservr.exe", "\"" + SqlBinn + "sqlservr.exe\" -sMSSQLSERVER", sqlLogon, "High", boot);
                var agentLogon = w.NewLogon(h, co.SvcBackup, 5);
                h.SqlAgent = w.Existing(h, h.Services, SqlBinn + "SQLAGENT.EXE", "\"" + SqlBinn + "SQLAGENT.EXE\" -i MSSQLSERVER", agentLogon, "High", boot);
            }

            if (h.Role == HostRole.WebServer && co.WebPool is { } pool)
            {
                // IIS: the customer portal's worker process runs as its application pool identity.
                var poolLogon = w.NewLogon(h, pool, 5);
                var was = w.Existing(h, h.Services, "C:\\Windows\\System32\\svchost.exe", "C:\\Windows\\system32\\svchost.exe -k iissvcs", sys, "System", boot);
                h.WebApp = w.Existing(h, was, "C:\\Windows\\System32\\inetsrv\\w3wp.exe",
                    "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"CustomerPortal\" -v \"v4.0\" -l \"webengine4.dll\" -a \\\\.\\pipe\\iisipm" + h.Rng.Hex(8) + " -h \"C:\\inetpub\\temp\\apppools\\CustomerPortal\\CustomerPortal.config\" -w \"\" -m 0",
                    poolLogon, "High", -h.Rng.Range(1, 3) * 3_600_000L);
            }

            if (h.Role == HostRole.Workstation && h.PrimaryUser is { } user)
            {
                // The user logged on earlier in the week and locks/unlocks the same session.
                long logon = -h.Rng.Range(1, 4) * 86_400_000L + 8 * 3_600_000L;
                h.UserLogon = w.NewLogon(h, user, 2, session: 1);
                h.Explorer = w.Existing(h, null, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", h.UserLogon, "Medium", logon);
                h.Outlook = w.Existing(h, h.Explorer, Office + "OUTLOOK.EXE", "\"" + Office + "OUTLOOK.EXE\" ", h.UserLogon, "Medium", logon + 60_000);
            }
        }
    }
}
