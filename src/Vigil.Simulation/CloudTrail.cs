using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vigil.Simulation;

/// <summary>Who made an AWS API call, as CloudTrail's <c>userIdentity</c> block describes it.</summary>
public sealed record AwsIdentity(string Type, string PrincipalId, string Arn, string AccessKeyId, string? UserName, string? SessionIssuerArn);

/// <summary>
/// The company's AWS account as CloudTrail records it (management events and S3 data events), written as
/// JSON lines of CloudTrail records (<c>logs/cloudtrail/cloudtrail.json</c>): the records of the
/// <c>{"Records":[...]}</c> files one per line, the form SIEM exports and <c>jq -c '.Records[]'</c> produce,
/// which Vigil's JSON reader reads as one event per record (nested blocks flattened: <c>userIdentity.arn</c>).
/// Background: administrators using the console by day, the nightly backup job writing to S3 and spot-checking
/// it, and a reporting account reading a few objects every morning. Own random stream.
/// </summary>
public sealed class CloudTrail
{
    public const string AccountFileName = "cloudtrail.json";
    public const string Region = "eu-central-1";
    public const string ExportBucket = "corp-example-customer-exports";
    public const string BackupBucket = "corp-example-backups";
    private const string ConsoleUa = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
    public const string CliUa = "aws-cli/2.15.30 Python/3.11.8 Windows/10 exe/AMD64 prompt/off command/s3.cp";

    private readonly Rng _r;
    private readonly NetSensor _queue;
    private readonly Company _co;
    private readonly ArrayBufferWriter<byte> _buf = new(4096);
    private readonly Utf8JsonWriter _json;
    public string AccountId { get; }
    public AwsIdentity Admin { get; }
    public AwsIdentity BackupRole { get; }
    /// <summary>IAM user whose access key sits in a script on the file server (what the intruder finds).</summary>
    public AwsIdentity Reporting { get; }
    public string BackupRoleIp { get; }

    public CloudTrail(Company co, NetSensor queue, int seed)
    {
        _co = co;
        _queue = queue;
        _r = Rng.For(seed, "cloudtrail");
        _json = new Utf8JsonWriter(_buf, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
        AccountId = _r.Range(100000, 999999).ToString(CultureInfo.InvariantCulture) + _r.Range(100000, 999999).ToString(CultureInfo.InvariantCulture);
        string adminName = co.Admins[0].Name;
        Admin = new AwsIdentity("AssumedRole", "AROA" + Key(17) + ":" + adminName + "@corp.example",
            $"arn:aws:sts::{AccountId}:assumed-role/AWSReservedSSO_AdministratorAccess_{_r.Hex(16)}/{adminName}@corp.example",
            "ASIA" + Key(16), null, $"arn:aws:iam::{AccountId}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess");
        BackupRole = new AwsIdentity("AssumedRole", "AROA" + Key(17) + ":i-0" + _r.Hex(16), $"arn:aws:sts::{AccountId}:assumed-role/backup-sync/i-0{_r.Hex(16)}",
            "ASIA" + Key(16), null, $"arn:aws:iam::{AccountId}:role/backup-sync");
        Reporting = new AwsIdentity("IAMUser", "AIDA" + Key(17), $"arn:aws:iam::{AccountId}:user/svc-reporting", "AKIA" + Key(16), "svc-reporting", null);
        BackupRoleIp = $"3.{_r.Range(64, 127)}.{_r.Range(1, 254)}.{_r.Range(1, 254)}";
    }

    private string Key(int n)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        Span<char> c = stackalloc char[n];
        for (int i = 0; i < n; i++) c[i] = alphabet[_r.Next(alphabet.Length)];
        return new string(c);
    }

    public Rng Rng => _r;

    private static string EventTime(long ms) =>
        Simulator.BaseDate.AddTicks(ms * TimeSpan.TicksPerMillisecond).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>One CloudTrail record. <paramref name="request"/> and the other writers add the members of
    /// those blocks (the block itself is opened and closed here); null writes JSON null.</summary>
    public string Record(long ms, AwsIdentity who, string source, string name, string srcIp, string userAgent,
        Action<Utf8JsonWriter>? request, Action<Utf8JsonWriter>? response = null, Action<Utf8JsonWriter>? additional = null,
        IReadOnlyList<(string Type, string Arn)>? resources = null, bool readOnly = true, bool data = false, Label? label = null)
    {
        string eventId = $"{_r.Hex(8)}-{_r.Hex(4)}-4{_r.Hex(3)}-{"89ab"[_r.Next(4)]}{_r.Hex(3)}-{_r.Hex(12)}";
        var j = _json;
        j.WriteStartObject();
        j.WriteString("eventVersion", data ? "1.09" : "1.08");
        j.WriteStartObject("userIdentity");
        j.WriteString("type", who.Type);
        j.WriteString("principalId", who.PrincipalId);
        j.WriteString("arn", who.Arn);
        j.WriteString("accountId", AccountId);
        j.WriteString("accessKeyId", who.AccessKeyId);
        if (who.UserName is not null) j.WriteString("userName", who.UserName);
        if (who.SessionIssuerArn is not null)
        {
            j.WriteStartObject("sessionContext");
            j.WriteStartObject("sessionIssuer");
            j.WriteString("type", "Role");
            j.WriteString("principalId", who.PrincipalId.Split(':')[0]);
            j.WriteString("arn", who.SessionIssuerArn);
            j.WriteString("accountId", AccountId);
            j.WriteString("userName", who.SessionIssuerArn[(who.SessionIssuerArn.LastIndexOf('/') + 1)..]);
            j.WriteEndObject();
            j.WriteStartObject("attributes");
            j.WriteString("creationDate", EventTime(Math.Max(0, ms - 1_800_000)));
            j.WriteString("mfaAuthenticated", who.Arn.Contains("SSO", StringComparison.Ordinal) ? "true" : "false");
            j.WriteEndObject();
            j.WriteEndObject();
        }
        j.WriteEndObject();
        j.WriteString("eventTime", EventTime(ms));
        j.WriteString("eventSource", source);
        j.WriteString("eventName", name);
        j.WriteString("awsRegion", Region);
        j.WriteString("sourceIPAddress", srcIp);
        j.WriteString("userAgent", userAgent);
        Block(j, "requestParameters", request);
        Block(j, "responseElements", response);
        if (additional is not null) Block(j, "additionalEventData", additional);
        j.WriteString("requestID", Key(16));
        j.WriteString("eventID", eventId);
        j.WriteBoolean("readOnly", readOnly);
        if (resources is not null)
        {
            j.WriteStartArray("resources");
            foreach (var (type, arn) in resources)
            {
                j.WriteStartObject();
                if (type == "AWS::S3::Bucket") j.WriteString("accountId", AccountId);
                j.WriteString("type", type);
                j.WriteString("ARN", arn);
                j.WriteEndObject();
            }
            j.WriteEndArray();
        }
        j.WriteString("eventType", "AwsApiCall");
        j.WriteBoolean("managementEvent", !data);
        j.WriteString("recipientAccountId", AccountId);
        j.WriteString("eventCategory", data ? "Data" : "Management");
        j.WriteStartObject("tlsDetails");
        j.WriteString("tlsVersion", "TLSv1.3");
        j.WriteString("cipherSuite", "TLS_AES_128_GCM_SHA256");
        j.WriteString("clientProvidedHostHeader", source == "s3.amazonaws.com" ? $"s3.{Region}.amazonaws.com" : source.Replace(".amazonaws.com", "." + Region + ".amazonaws.com", StringComparison.Ordinal));
        j.WriteEndObject();
        j.WriteEndObject();
        j.Flush();
        var bytes = _buf.WrittenSpan.ToArray();
        _buf.Clear();
        j.Reset(_buf);
        _queue.Enqueue(new SideRecord { Ms = ms, Log = SideLog.CloudTrail, Json = bytes, Label = label, Id = eventId, SrcIp = srcIp, Host = null });
        return eventId;
    }

    private static void Block(Utf8JsonWriter j, string name, Action<Utf8JsonWriter>? body)
    {
        if (body is null) { j.WriteNull(name); return; }
        j.WriteStartObject(name);
        body(j);
        j.WriteEndObject();
    }

    /// <summary>An S3 GetObject data event for <paramref name="key"/>.</summary>
    public string GetObject(long ms, AwsIdentity who, string srcIp, string ua, string bucket, string key, long bytes, Label? label = null) =>
        Record(ms, who, "s3.amazonaws.com", "GetObject", srcIp, ua,
            r => { r.WriteString("bucketName", bucket); r.WriteString("Host", $"{bucket}.s3.{Region}.amazonaws.com"); r.WriteString("key", key); },
            null,
            a => { a.WriteString("SignatureVersion", "SigV4"); a.WriteString("CipherSuite", "TLS_AES_128_GCM_SHA256"); a.WriteNumber("bytesTransferredIn", 0); a.WriteString("AuthenticationMethod", "AuthHeader"); a.WriteString("x-amz-id-2", Key(24)); a.WriteNumber("bytesTransferredOut", bytes); },
            [("AWS::S3::Object", $"arn:aws:s3:::{bucket}/{key}"), ("AWS::S3::Bucket", $"arn:aws:s3:::{bucket}")],
            readOnly: true, data: true, label: label);

    public string ListObjects(long ms, AwsIdentity who, string srcIp, string ua, string bucket, string prefix, Label? label = null) =>
        Record(ms, who, "s3.amazonaws.com", "ListObjects", srcIp, ua,
            r => { r.WriteString("bucketName", bucket); r.WriteString("Host", $"{bucket}.s3.{Region}.amazonaws.com"); r.WriteString("prefix", prefix); r.WriteString("list-type", "2"); },
            null,
            a => { a.WriteString("SignatureVersion", "SigV4"); a.WriteNumber("bytesTransferredIn", 0); a.WriteNumber("bytesTransferredOut", _r.Range(900, 60_000)); },
            [("AWS::S3::Bucket", $"arn:aws:s3:::{bucket}")], readOnly: true, data: true, label: label);

    private static readonly string[] AdminCalls = ["DescribeInstances", "DescribeSnapshots", "DescribeVolumes", "DescribeSecurityGroups", "DescribeDBInstances", "ListBuckets", "GetBucketPolicy"];

    /// <summary>Background for one minute of the day (called once per minute, in order).</summary>
    public void Minute(int minute, World w)
    {
        long start = minute * 60_000L;
        int hour = minute / 60;
        if (hour is >= 8 and <= 17 && _r.Chance(6))
        {
            int n = _r.Range(1, 4);
            long t = start + _r.Next(50_000);
            for (int i = 0; i < n; i++)
            {
                AdminCall(t, _r.Pick(AdminCalls));
                t += _r.Range(1500, 9000);
            }
        }
        if (minute == 6 * 60 + 5)
        {
            // The reporting account's morning job: a listing and a handful of reads, from the office.
            long t = start + _r.Next(30_000);
            ListObjects(t, Reporting, Company.EgressIp, CliUa, ExportBucket, "reports/daily/");
            for (int i = 0; i < 6; i++)
                GetObject(t += _r.Range(800, 3000), Reporting, Company.EgressIp, CliUa, ExportBucket, $"reports/daily/2026-03-09/summary-{i + 1}.csv", _r.Range(20_000, 400_000));
        }
        if (minute == 1 * 60 + 45)
        {
            // Nightly backup: archives pushed to S3 by the backup role, then a few spot-check reads.
            var act = w.NewActivity("backup", "nightly S3 backup upload and verification");
            var label = new Label("backup", null, null, "nightly S3 backup upload and verification") { Activity = act };
            long t = start + _r.Next(20_000);
            foreach (var name in new[] { "SalesDB_20260310.bak", "HRDB_20260310.bak", "CrmDB_20260310.bak", "shares_20260310.7z" })
            {
                t += _r.Range(30_000, 120_000);
                Record(t, BackupRole, "s3.amazonaws.com", "PutObject", BackupRoleIp, "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.4",
                    r => { r.WriteString("bucketName", BackupBucket); r.WriteString("Host", $"{BackupBucket}.s3.{Region}.amazonaws.com"); r.WriteString("key", "nightly/" + name); },
                    null,
                    a => { a.WriteString("SignatureVersion", "SigV4"); a.WriteNumber("bytesTransferredIn", _r.Range(500_000_000, 2_000_000_000)); a.WriteNumber("bytesTransferredOut", 0); },
                    [("AWS::S3::Object", $"arn:aws:s3:::{BackupBucket}/nightly/{name}"), ("AWS::S3::Bucket", $"arn:aws:s3:::{BackupBucket}")],
                    readOnly: false, data: true, label: label);
            }
            for (int i = 0; i < 12; i++)
                GetObject(t += _r.Range(400, 1500), BackupRole, BackupRoleIp, "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.4",
                    BackupBucket, $"nightly/manifest-{i:00}.json", _r.Range(2_000, 40_000), label);
            act.Accounts.Add(BackupRole.Arn);
        }
    }

    private void AdminCall(long t, string name)
    {
        string source = name is "ListBuckets" or "GetBucketPolicy" ? "s3.amazonaws.com" : name == "DescribeDBInstances" ? "rds.amazonaws.com" : "ec2.amazonaws.com";
        Record(t, Admin, source, name, Company.EgressIp, ConsoleUa, name == "GetBucketPolicy"
            ? r => { r.WriteString("bucketName", ExportBucket); r.WriteString("Host", $"{ExportBucket}.s3.{Region}.amazonaws.com"); r.WriteString("policy", ""); }
            : name == "DescribeSnapshots" ? r => { r.WriteStartObject("ownersSet"); r.WriteStartArray("items"); r.WriteStartObject(); r.WriteString("owner", "self"); r.WriteEndObject(); r.WriteEndArray(); r.WriteEndObject(); }
            : r => { r.WriteNumber("maxResults", 50); },
            null);
    }
}
