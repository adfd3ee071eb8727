using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vigil.Simulation;

/// <summary>The JSON log files beside the Windows logs: a Zeek sensor's logs and AWS CloudTrail.</summary>
public enum SideLog { Conn = 0, Dns = 1, Http = 2, Ssl = 3, CloudTrail = 4 }

public static class SideLogs
{
    public const int Count = 5;

    /// <summary>Path relative to the log folder, with '/' (also the truth.json <c>file</c> label).</summary>
    public static string Label(SideLog l) => l switch
    {
        SideLog.Conn => "zeek/conn.log",
        SideLog.Dns => "zeek/dns.log",
        SideLog.Http => "zeek/http.log",
        SideLog.Ssl => "zeek/ssl.log",
        SideLog.CloudTrail => "cloudtrail/" + CloudTrail.AccountFileName,
        _ => throw new ArgumentOutOfRangeException(nameof(l)),
    };
}

/// <summary>
/// Hints for one network connection as the Zeek sensor records it. Anything left null is chosen by the sensor
/// from the port (service, typical sizes and duration) with its own random stream.
/// </summary>
public sealed record Flow
{
    public long? OrigBytes { get; init; }
    public long? RespBytes { get; init; }
    public long? DurationMs { get; init; }
    /// <summary>Zeek conn_state: "SF" (normal), "S0" (no answer), "REJ" (refused), "RSTO", ...</summary>
    public string? State { get; init; }
    public string? Service { get; init; }
    /// <summary>For HTTP: method and URI; for TLS: false when the client sends no SNI.</summary>
    public string? Method { get; init; }
    public string? Uri { get; init; }
    public string? UserAgent { get; init; }
    public bool Sni { get; init; } = true;

    /// <summary>A bulk upload of about <paramref name="mb"/> MB taking about <paramref name="seconds"/> s.</summary>
    public static Flow Upload(long mb, long seconds, string? service = null) =>
        new() { OrigBytes = mb * 1_000_000, RespBytes = mb * 9_000, DurationMs = seconds * 1000, State = "SF", Service = service };

    public static readonly Flow Refused = new() { State = "REJ" };
    public static readonly Flow NoAnswer = new() { State = "S0" };
}

/// <summary>One record of a side log waiting in the time-ordered queue; its JSON text is final.</summary>
internal sealed class SideRecord
{
    public long Ms;
    public long Seq;
    public SideLog Log;
    public required byte[] Json;
    public Label? Label;
    /// <summary>Zeek uid or CloudTrail eventID: names the record in truth.json beside file and line.</summary>
    public required string Id;
    /// <summary>The internal host the record is about (FQDN), if any.</summary>
    public string? Host;
    public string? SrcIp;
    public string? DstIp;
}

/// <summary>
/// The network sensor: a Zeek instance on a SPAN port of the core switch and the internet uplink, so it sees
/// traffic between the user and server networks, to the backup NAS, and to the internet (after the firewall's
/// NAT it would see the public address; this sensor sits inside, so it sees internal addresses). It writes
/// JSON logs as Zeek does with <c>LogAscii::use_json</c>: conn, dns, http, ssl, one object per line, native
/// field names (<c>id.orig_h</c> ...), <c>ts</c> as epoch seconds with microseconds, unset fields omitted.
/// Connections come from the Windows side (every Sysmon network connection is also seen on the wire) and from
/// sensor-only flows (inbound traffic, hosts without logs). The sensor has its own random stream, so adding it
/// changed no Windows event.
/// </summary>
public sealed class NetSensor
{
    private readonly Rng _r;
    private readonly Company _co;
    private readonly PriorityQueue<SideRecord, (long, long)> _queue = new();
    private long _seq;
    private readonly ArrayBufferWriter<byte> _buf = new(2048);
    private readonly Utf8JsonWriter _json;
    public const string DnsServerIp = "10.10.10.10";
    internal long Created { get; private set; }

    public NetSensor(Company co, int seed)
    {
        _co = co;
        _r = Rng.For(seed, "sensor");
        _json = new Utf8JsonWriter(_buf, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    public Rng Rng => _r;

    internal bool TryDequeueBefore(long ms, out SideRecord r)
    {
        if (_queue.TryPeek(out r!, out var key) && key.Item1 < ms) { _queue.Dequeue(); return true; }
        r = null!;
        return false;
    }

    internal void Enqueue(SideRecord r)
    {
        r.Seq = _seq++;
        Created++;
        _queue.Enqueue(r, (r.Ms, r.Seq));
    }

    public static bool IsInternal(string ip) =>
        ip.StartsWith("10.", StringComparison.Ordinal) || ip.StartsWith("192.168.", StringComparison.Ordinal)
        || (ip.StartsWith("172.", StringComparison.Ordinal) && int.TryParse(ip.AsSpan(4, Math.Max(0, ip.IndexOf('.', 4) - 4)), NumberStyles.None, CultureInfo.InvariantCulture, out int b) && b is >= 16 and <= 31)
        || ip.StartsWith("127.", StringComparison.Ordinal);

    private string Uid()
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        Span<char> c = stackalloc char[18];
        c[0] = 'C';
        for (int i = 1; i < c.Length; i++) c[i] = alphabet[_r.Next(alphabet.Length)];
        return new string(c);
    }

    private static string Ts(long ms)
    {
        // Zeek: seconds since the epoch with six decimals (microseconds); the simulator works in milliseconds.
        long unixMs = Simulator.BaseUnixSeconds * 1000 + ms;
        return (unixMs / 1000).ToString(CultureInfo.InvariantCulture) + "." + (unixMs % 1000).ToString("000", CultureInfo.InvariantCulture) + "000";
    }

    private static string Seconds(long ms) =>
        (ms / 1000).ToString(CultureInfo.InvariantCulture) + "." + (ms % 1000).ToString("000", CultureInfo.InvariantCulture) + "000";

    private byte[] Take()
    {
        _json.Flush();
        var bytes = _buf.WrittenSpan.ToArray();
        _buf.Clear();
        _json.Reset(_buf);
        return bytes;
    }

    private void Id(string uid, long ms, string src, int srcPort, string dst, int dstPort)
    {
        _json.WriteStartObject();
        _json.WritePropertyName("ts"); _json.WriteRawValue(Ts(ms), skipInputValidation: true);
        _json.WriteString("uid", uid);
        _json.WriteString("id.orig_h", src);
        _json.WriteNumber("id.orig_p", srcPort);
        _json.WriteString("id.resp_h", dst);
        _json.WriteNumber("id.resp_p", dstPort);
    }

    private static string? DefaultService(int port, string proto) => (port, proto) switch
    {
        (53, _) => "dns",
        (80, "tcp") => "http",
        (443, "tcp") => "ssl",
        (445, "tcp") => "smb",
        (139, "tcp") => "smb",
        (135, "tcp") => "dce_rpc",
        (88, "tcp") => "krb_tcp",
        (88, "udp") => "krb",
        (389, _) => "ldap",
        (5985, "tcp") => "http",
        (3389, "tcp") => "rdp",
        (22, "tcp") => "ssh",
        _ => null,
    };

    /// <summary>
    /// A connection seen on the wire: the conn record, and the dns/http/ssl records Zeek's analyzers add.
    /// Returns the conn uid.
    /// </summary>
    public string Connection(long ms, string src, int srcPort, string dst, int dstPort, string proto, string? dstName, Flow? flow, Label? label)
    {
        flow ??= DefaultFlow;
        string state = flow.State ?? "SF";
        string? service = state == "SF" ? flow.Service ?? DefaultService(dstPort, proto) : null;
        bool external = !IsInternal(dst);
        string? hostName = _co.ByIp(src)?.Fqdn ?? _co.ByIp(dst)?.Fqdn;

        // Name resolution before an outbound connection by name: the client asks the DC's DNS server.
        if (external && dstName is { Length: > 1 } && dstName != "-" && state == "SF")
            Dns(ms - _r.Range(3, 40), src, dstName, dst, label);

        string uid = Uid();
        long dur, ob, rb;
        if (state == "SF")
        {
            (long d0, long o0, long r0) = DefaultSizes(dstPort, proto, external);
            dur = flow.DurationMs ?? d0;
            ob = flow.OrigBytes ?? o0;
            rb = flow.RespBytes ?? r0;
        }
        else { dur = flow.DurationMs ?? (state == "REJ" ? _r.Range(0, 2) : 0); ob = flow.OrigBytes ?? 0; rb = flow.RespBytes ?? 0; }

        Id(uid, ms, src, srcPort, dst, dstPort);
        _json.WriteString("proto", proto);
        if (service is not null) _json.WriteString("service", service);
        if (state != "S0")
        {
            _json.WritePropertyName("duration"); _json.WriteRawValue(Seconds(dur), skipInputValidation: true);
            _json.WriteNumber("orig_bytes", ob);
            _json.WriteNumber("resp_bytes", rb);
        }
        _json.WriteString("conn_state", state);
        _json.WriteBoolean("local_orig", IsInternal(src));
        _json.WriteBoolean("local_resp", !external);
        _json.WriteNumber("missed_bytes", 0);
        string history = state switch
        {
            "S0" => "S",
            "REJ" => "Sr",
            "RSTO" => "ShAR",
            _ => proto == "udp" ? "Dd" : "ShADadFf",
        };
        _json.WriteString("history", history);
        int hdr = proto == "udp" ? 28 : 40;
        long op = state == "S0" ? 2 : state == "REJ" ? 1 : Math.Max(1, ob / 1400 + (proto == "udp" ? 0 : 3));
        long rp = state == "S0" ? 0 : state == "REJ" ? 1 : Math.Max(1, rb / 1400 + (proto == "udp" ? 0 : 2));
        _json.WriteNumber("orig_pkts", op);
        _json.WriteNumber("orig_ip_bytes", ob + op * hdr);
        _json.WriteNumber("resp_pkts", rp);
        _json.WriteNumber("resp_ip_bytes", rb + rp * hdr);
        _json.WriteEndObject();
        Enqueue(new SideRecord { Ms = ms, Log = SideLog.Conn, Json = Take(), Label = label, Id = uid, Host = hostName, SrcIp = src, DstIp = dst });

        if (state != "SF") return uid;
        if (service == "ssl")
        {
            long at = ms + _r.Range(20, 90); // the handshake completes a little after the connection starts
            Id(uid, at, src, srcPort, dst, dstPort);
            _json.WriteString("version", "TLSv13");
            _json.WriteString("cipher", "TLS_AES_256_GCM_SHA384");
            _json.WriteString("curve", "x25519");
            if (flow.Sni && dstName is { Length: > 1 } && dstName != "-") _json.WriteString("server_name", dstName);
            _json.WriteBoolean("resumed", false);
            _json.WriteBoolean("established", true);
            _json.WriteString("ssl_history", "CsiI");
            _json.WriteEndObject();
            Enqueue(new SideRecord { Ms = at, Log = SideLog.Ssl, Json = Take(), Label = label, Id = uid, Host = hostName, SrcIp = src, DstIp = dst });
        }
        else if (service == "http")
        {
            long at = ms + _r.Range(5, 60);
            Id(uid, at, src, srcPort, dst, dstPort);
            _json.WriteNumber("trans_depth", 1);
            _json.WriteString("method", flow.Method ?? (dstPort == 5985 ? "POST" : "GET"));
            _json.WriteString("host", dstPort == 5985 ? dst + ":5985" : dstName is { Length: > 1 } && dstName != "-" ? dstName : dst);
            _json.WriteString("uri", flow.Uri ?? (dstPort == 5985 ? "/wsman" : "/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab"));
            _json.WriteString("version", "1.1");
            _json.WriteString("user_agent", flow.UserAgent ?? (dstPort == 5985 ? "Microsoft WinRM Client" : "Microsoft-CryptoAPI/10.0"));
            _json.WriteNumber("request_body_len", dstPort == 5985 ? Math.Max(0, ob - 400) : 0);
            _json.WriteNumber("response_body_len", Math.Max(0, rb - 350));
            _json.WriteNumber("status_code", 200);
            _json.WriteString("status_msg", "OK");
            _json.WriteStartArray("tags"); _json.WriteEndArray();
            _json.WriteEndObject();
            Enqueue(new SideRecord { Ms = at, Log = SideLog.Http, Json = Take(), Label = label, Id = uid, Host = hostName, SrcIp = src, DstIp = dst });
        }
        return uid;
    }

    private static readonly Flow DefaultFlow = new();

    private (long Dur, long Orig, long Resp) DefaultSizes(int port, string proto, bool external) => port switch
    {
        53 => (_r.Range(0, 3), _r.Range(34, 70), _r.Range(50, 220)),
        88 => (_r.Range(1, 12), _r.Range(1400, 1900), _r.Range(1300, 1700)),
        389 => (_r.Range(2, 40), _r.Range(300, 3000), _r.Range(400, 9000)),
        445 or 139 => (_r.Range(30, 4000), _r.Range(1200, 40_000), _r.Range(1500, 90_000)),
        135 => (_r.Range(2, 30), _r.Range(200, 900), _r.Range(150, 600)),
        5985 => (_r.Range(200, 3000), _r.Range(3000, 20_000), _r.Range(4000, 60_000)),
        3389 => (_r.Range(60_000, 900_000), _r.Range(200_000, 4_000_000), _r.Range(2_000_000, 40_000_000)),
        1433 => (_r.Range(50, 3000), _r.Range(600, 6000), _r.Range(2000, 250_000)),
        80 => (_r.Range(40, 900), _r.Range(250, 700), _r.Range(1200, 70_000)),
        443 when external => (_r.Range(150, 45_000), _r.Range(900, 9000), _r.Range(4000, 450_000)),
        22 => (_r.Range(500, 20_000), _r.Range(2000, 40_000), _r.Range(2000, 30_000)),
        _ => (_r.Range(5, 2000), _r.Range(100, 5000), _r.Range(100, 9000)),
    };

    /// <summary>A DNS query from <paramref name="src"/> to the DC's DNS server, answered with <paramref name="answer"/>.</summary>
    public void Dns(long ms, string src, string query, string answer, Label? label)
    {
        int srcPort = _r.Range(49152, 65535);
        string uid = Uid();
        string? host = _co.ByIp(src)?.Fqdn;
        Id(uid, ms, src, srcPort, DnsServerIp, 53);
        _json.WriteString("proto", "udp");
        _json.WriteString("service", "dns");
        _json.WritePropertyName("duration"); _json.WriteRawValue(Seconds(_r.Range(1, 30)), skipInputValidation: true);
        long ob = 30 + query.Length, rb = 46 + query.Length;
        _json.WriteNumber("orig_bytes", ob);
        _json.WriteNumber("resp_bytes", rb);
        _json.WriteString("conn_state", "SF");
        _json.WriteBoolean("local_orig", true);
        _json.WriteBoolean("local_resp", true);
        _json.WriteNumber("missed_bytes", 0);
        _json.WriteString("history", "Dd");
        _json.WriteNumber("orig_pkts", 1);
        _json.WriteNumber("orig_ip_bytes", ob + 28);
        _json.WriteNumber("resp_pkts", 1);
        _json.WriteNumber("resp_ip_bytes", rb + 28);
        _json.WriteEndObject();
        Enqueue(new SideRecord { Ms = ms, Log = SideLog.Conn, Json = Take(), Label = label, Id = uid, Host = host, SrcIp = src, DstIp = DnsServerIp });

        Id(uid, ms, src, srcPort, DnsServerIp, 53);
        _json.WriteString("proto", "udp");
        _json.WriteNumber("trans_id", _r.Range(1, 65535));
        _json.WritePropertyName("rtt"); _json.WriteRawValue(Seconds(_r.Range(1, 25)), skipInputValidation: true);
        _json.WriteString("query", query);
        _json.WriteNumber("qclass", 1);
        _json.WriteString("qclass_name", "C_INTERNET");
        _json.WriteNumber("qtype", 1);
        _json.WriteString("qtype_name", "A");
        _json.WriteNumber("rcode", 0);
        _json.WriteString("rcode_name", "NOERROR");
        _json.WriteBoolean("AA", false);
        _json.WriteBoolean("TC", false);
        _json.WriteBoolean("RD", true);
        _json.WriteBoolean("RA", true);
        _json.WriteNumber("Z", 0);
        _json.WriteStartArray("answers"); _json.WriteStringValue(answer); _json.WriteEndArray();
        _json.WriteStartArray("TTLs"); _json.WriteRawValue("300.0", skipInputValidation: true); _json.WriteEndArray();
        _json.WriteBoolean("rejected", false);
        _json.WriteEndObject();
        Enqueue(new SideRecord { Ms = ms, Log = SideLog.Dns, Json = Take(), Label = label, Id = uid, Host = host, SrcIp = src, DstIp = DnsServerIp });
    }

    private static readonly string[] PortalPaths =
    [
        "/", "/login", "/account/overview", "/account/invoices", "/support/wifi-setup", "/api/v2/session", "/static/app.js",
        "/static/site.css", "/account/payments", "/api/v2/usage",
    ];

    /// <summary>Ordinary customers using the portal on WEB01 (HTTPS, so conn + ssl), from public addresses.</summary>
    public void PortalVisit(long ms)
    {
        var web = _co.Web ?? throw new InvalidOperationException("simulate: no web server in this company");
        // Customers come from many consumer addresses; documentation ranges are avoided for them so that
        // the attacker's addresses (which use them) never collide with a customer's.
        string src = $"{_r.Pick(CustomerPrefixes)}.{_r.Range(1, 254)}.{_r.Range(1, 254)}";
        Connection(ms, src, _r.Range(1024, 65535), web.Ip, 443, "tcp", "portal.corp.example",
            new Flow { OrigBytes = _r.Range(900, 12_000), RespBytes = _r.Range(8_000, 900_000), DurationMs = _r.Range(300, 60_000), Service = "ssl" }, null);
    }

    private static readonly string[] CustomerPrefixes = ["81.2", "86.143", "92.40", "109.150", "151.64", "176.12", "185.44", "212.58", "46.114", "78.33"];

    /// <summary>Paths an exploit or a scanner requests (for labels and tests; the traffic itself is TLS).</summary>
    public static IReadOnlyList<string> Paths => PortalPaths;
}

/// <summary>Writes side logs as JSON lines, one file per log, records in time order.</summary>
internal sealed class SideLogWriter : IDisposable
{
    private readonly FileStream?[] _files = new FileStream?[SideLogs.Count];
    private readonly long[] _lines = new long[SideLogs.Count];
    private readonly string _dir;

    public SideLogWriter(string logDir) { _dir = logDir; }

    /// <summary>Writes one record; returns its 1-based line number in its file.</summary>
    public long Write(SideRecord r)
    {
        int i = (int)r.Log;
        var f = _files[i];
        if (f is null)
        {
            string path = System.IO.Path.Combine(_dir, SideLogs.Label(r.Log).Replace('/', System.IO.Path.DirectorySeparatorChar));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            f = _files[i] = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        f.Write(r.Json);
        f.WriteByte((byte)'\n');
        return ++_lines[i];
    }

    public IReadOnlyList<(string Label, string Path, long Count)> Files =>
        Enumerable.Range(0, SideLogs.Count).Where(i => _files[i] is not null)
            .Select(i => (SideLogs.Label((SideLog)i), _files[i]!.Name, _lines[i])).ToList();

    public void Complete()
    {
        foreach (var f in _files) f?.Flush();
    }

    public void Dispose()
    {
        foreach (var f in _files) f?.Dispose();
    }

    internal static string Utf8(byte[] b) => Encoding.UTF8.GetString(b);
}
