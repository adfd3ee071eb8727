using System.Net;
using System.Net.Sockets;

namespace Vigil.Campaigns.Entities;

/// <summary>How hosts, accounts and addresses are written so that the same thing from different logs compares equal.</summary>
public static class Names
{
    /// <summary>FQDN or NetBIOS name to upper-case NetBIOS ("ws21.corp.example" → "WS21"); "" for nothing ("-", "", "localhost").
    /// An IP address is not a host name and comes back as "".</summary>
    public static string Host(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "";
        var s = name.Trim().TrimStart('\\');
        if (s is "-" or "::1" || s.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return "";
        if (IsAddress(s)) return "";
        int dot = s.IndexOf('.');
        if (dot > 0) s = s[..dot];
        return s.ToUpperInvariant();
    }

    public static bool IsAddress(string s) => s.Length > 0 && (char.IsAsciiDigit(s[0]) || s.Contains(':')) && IPAddress.TryParse(s, out _);

    /// <summary>An address as written by Windows ("::ffff:10.0.0.5" → "10.0.0.5"); "" for "-", loopback or nothing.</summary>
    public static string Address(string? ip)
    {
        if (string.IsNullOrWhiteSpace(ip)) return "";
        var s = ip.Trim();
        if (s.StartsWith("::ffff:", StringComparison.OrdinalIgnoreCase)) s = s[7..];
        if (!IPAddress.TryParse(s, out var a)) return "";
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.Equals(IPAddress.IPv6None)) return "";
        return a.ToString();
    }

    /// <summary>RFC 1918, link-local, IPv6 unique-local and link-local count as internal.</summary>
    public static bool IsInternal(string ip)
    {
        if (!IPAddress.TryParse(ip, out var a)) return false;
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return b[0] == 10 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254)
                || b[0] == 127;
        }
        if (a.IsIPv6LinkLocal || a.IsIPv6SiteLocal || IPAddress.IsLoopback(a)) return true;
        var v6 = a.GetAddressBytes();
        return (v6[0] & 0xFE) == 0xFC;
    }

    private static readonly HashSet<string> NonActors = new(StringComparer.OrdinalIgnoreCase)
    {
        "SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE", "ANONYMOUS LOGON", "LOCALSERVICE", "NETWORKSERVICE", "-", "",
        "IUSR", "DWM-1", "DWM-2", "DWM-3", "UMFD-0", "UMFD-1", "UMFD-2", "UMFD-3",
    };

    /// <summary>"DOMAIN\user" with the domain's first label upper-cased ("corp.example" → "CORP"), or "user" when no domain;
    /// "" for accounts that are not an actor (SYSTEM, LOCAL/NETWORK SERVICE, anonymous, machine accounts ending in $).</summary>
    public static string Account(string? domain, string? user)
    {
        if (string.IsNullOrWhiteSpace(user)) return "";
        var u = user.Trim();
        var d = domain?.Trim() ?? "";
        int slash = u.IndexOf('\\');
        if (slash >= 0) { d = u[..slash]; u = u[(slash + 1)..]; }
        int at = u.IndexOf('@');
        if (at > 0) { if (d.Length == 0 || d == "-") d = u[(at + 1)..]; u = u[..at]; }
        if (NonActors.Contains(u) || u.EndsWith('$') || u.StartsWith("DWM-", StringComparison.OrdinalIgnoreCase)
            || u.StartsWith("UMFD-", StringComparison.OrdinalIgnoreCase)) return "";
        if (d.Equals("NT AUTHORITY", StringComparison.OrdinalIgnoreCase) || d.Equals("Window Manager", StringComparison.OrdinalIgnoreCase)
            || d.Equals("Font Driver Host", StringComparison.OrdinalIgnoreCase)) return "";
        if (d == "-") d = "";
        int dot = d.IndexOf('.');
        if (dot > 0) d = d[..dot];
        return d.Length > 0 ? d.ToUpperInvariant() + "\\" + u : u;
    }

    /// <summary>The key accounts are compared by: lower-case user name without its domain (logs disagree on
    /// "CORP" vs "CORP.EXAMPLE" vs none; names within one estate are unique enough for linking).</summary>
    public static string AccountKey(string account)
    {
        int slash = account.IndexOf('\\');
        return (slash >= 0 ? account[(slash + 1)..] : account).ToLowerInvariant();
    }

    /// <summary>Service-like account names: automation runs under these.</summary>
    public static bool IsServiceAccount(string account)
    {
        var k = AccountKey(account);
        return k.StartsWith("svc", StringComparison.Ordinal) || k.EndsWith("svc", StringComparison.Ordinal) || k.Contains("_svc", StringComparison.Ordinal)
            || k.Contains("service", StringComparison.Ordinal) || k.StartsWith("sa_", StringComparison.Ordinal) || k.StartsWith("sa-", StringComparison.Ordinal)
            || k.Contains("backup", StringComparison.Ordinal) || k.Contains("sccm", StringComparison.Ordinal) || k.Contains("scan", StringComparison.Ordinal);
    }

    /// <summary>The file name of an image path, lower-case ("C:\Windows\System32\whoami.exe" → "whoami.exe").</summary>
    public static string ImageName(string? image)
    {
        if (string.IsNullOrEmpty(image)) return "";
        int i = image.LastIndexOfAny(['\\', '/']);
        return (i >= 0 ? image[(i + 1)..] : image).Trim().Trim('"').ToLowerInvariant();
    }

    /// <summary>Parses a logon id / process id written as hex ("0x3e7") or decimal; -1 when it is neither.</summary>
    public static long Number(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return -1;
        var t = s.AsSpan().Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return long.TryParse(t[2..], System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out long h) ? h : -1;
        return long.TryParse(t, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long d) ? d : -1;
    }

    /// <summary>Logon ids of the machine's own sessions (SYSTEM 0x3e7, NETWORK SERVICE 0x3e4, LOCAL SERVICE 0x3e5): not an actor's session.</summary>
    public static bool IsSystemLogon(long id) => id is <= 0 or 0x3e7 or 0x3e4 or 0x3e5;
}
