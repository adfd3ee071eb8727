using Vigil.Engine.Hunting;

namespace Vigil.Campaigns.Entities;

/// <summary>What the campaign builder keeps of one detection: its id, rule, time, place and the handful of event
/// fields that link it to an actor (account, process, logon session, addresses, command line). Copied while the
/// detection stream passes, so the stream itself need not be held.</summary>
public sealed class DetectionFact
{
    public required long Id { get; init; }
    public required long Ticks { get; init; }
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public required string Level { get; init; }
    /// <summary>ATT&amp;CK tactic short names from the rule's tags (attack.discovery → "discovery").</summary>
    public required string[] Tactics { get; init; }
    /// <summary>Technique ids upper-case ("T1059.001").</summary>
    public required string[] Techniques { get; init; }
    public required string Host { get; init; }
    public long EventId { get; init; }
    /// <summary>The acting account (DOMAIN\user), "" when it is SYSTEM, a machine account or absent.</summary>
    public string Account { get; init; } = "";
    /// <summary>A target account named by the event (4624/4625/4648/4720 TargetUserName), "" if none.</summary>
    public string TargetAccount { get; init; } = "";
    /// <summary>Held as a <see cref="GuidText"/> (16 bytes for a Sysmon GUID); the getter rebuilds the text.</summary>
    public string ProcessGuid { get => ProcessGuidKey.ToString(); init => ProcessGuidKey = new GuidText(value); }
    public string ParentProcessGuid { get => ParentProcessGuidKey.ToString(); init => ParentProcessGuidKey = new GuidText(value); }
    public GuidText ProcessGuidKey { get; init; }
    public GuidText ParentProcessGuidKey { get; init; }
    public long ProcessId { get; init; } = -1;
    public long LogonId { get; init; } = -1;
    public string SourceAddress { get; init; } = "";
    public string DestAddress { get; init; } = "";
    public int DestPort { get; init; }
    public long Bytes { get; init; }
    public string Image { get; init; } = "";
    /// <summary>Command line, script text, service path or target: what the step did (capped).</summary>
    public string Detail { get; init; } = "";
    public string ServiceName { get; init; } = "";
    public string CloudArn { get; init; } = "";
    public int LogonType { get; init; }
    public string Workstation { get; init; } = "";
    public string TargetServer { get; init; } = "";
    /// <summary>Identifies the event (source or its tag, offset, line): detections of one event belong together. Facts read
    /// from a <see cref="FactStore"/> build it on first use (the store groups detections by event without key strings).</summary>
    public string EventKey { get => _eventKey ??= _place is { } p ? Key(p.Source, p.Offset, p.Line) : ""; init => _eventKey = value; }
    private string? _eventKey;
    private (string Source, long Offset, long Line)? _place;
    internal (string Source, long Offset, long Line)? Place { get => _place; init => _place = value; }

    internal static string Key(string source, long offset, long line) =>
        string.Concat(source, "|", offset.ToString(System.Globalization.CultureInfo.InvariantCulture), "|",
            line.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public DateTime Time => new(Ticks, DateTimeKind.Utc);

    private const int MaxDetail = 300;

    private enum Slot { None, User, SubjectUser, SubjectDomain, TargetUser, TargetDomain, ProcessGuid, ParentProcessGuid, ProcessId, NewProcessId,
        LogonId, SubjectLogonId, TargetLogonId, IpAddress, SourceIp, DestIp, DestPort, CommandLine, Image, NewProcessName, ScriptBlock,
        ServiceName, ImagePath, ZeekOrig, ZeekResp, ZeekPort, OrigBytes, CloudIp, Arn, EventName, LogonType, Workstation, TargetServer,
        ShareName, RelativeTarget, TargetFilename, BytesOut, Bucket, SourceProcessGuid, SourceUser, SourceProcessId }

    private static readonly Dictionary<string, Slot> Slots = new(StringComparer.OrdinalIgnoreCase)
    {
        ["User"] = Slot.User, ["SubjectUserName"] = Slot.SubjectUser, ["SubjectDomainName"] = Slot.SubjectDomain,
        ["TargetUserName"] = Slot.TargetUser, ["TargetDomainName"] = Slot.TargetDomain, ["ProcessGuid"] = Slot.ProcessGuid,
        ["ParentProcessGuid"] = Slot.ParentProcessGuid, ["SourceProcessGUID"] = Slot.SourceProcessGuid, ["SourceUser"] = Slot.SourceUser,
        ["SourceProcessId"] = Slot.SourceProcessId, ["ProcessId"] = Slot.ProcessId, ["ProcessID"] = Slot.ProcessId, ["NewProcessId"] = Slot.NewProcessId,
        ["LogonId"] = Slot.LogonId, ["SubjectLogonId"] = Slot.SubjectLogonId, ["TargetLogonId"] = Slot.TargetLogonId,
        ["IpAddress"] = Slot.IpAddress, ["SourceIp"] = Slot.SourceIp, ["DestinationIp"] = Slot.DestIp, ["DestinationPort"] = Slot.DestPort,
        ["CommandLine"] = Slot.CommandLine, ["Image"] = Slot.Image, ["NewProcessName"] = Slot.NewProcessName, ["ScriptBlockText"] = Slot.ScriptBlock,
        ["ServiceName"] = Slot.ServiceName, ["ImagePath"] = Slot.ImagePath, ["ServiceFileName"] = Slot.ImagePath,
        ["id.orig_h"] = Slot.ZeekOrig, ["id.resp_h"] = Slot.ZeekResp, ["id.resp_p"] = Slot.ZeekPort, ["orig_bytes"] = Slot.OrigBytes,
        ["sourceIPAddress"] = Slot.CloudIp, ["userIdentity.arn"] = Slot.Arn, ["eventName"] = Slot.EventName, ["LogonType"] = Slot.LogonType,
        ["WorkstationName"] = Slot.Workstation, ["TargetServerName"] = Slot.TargetServer, ["ShareName"] = Slot.ShareName,
        ["RelativeTargetName"] = Slot.RelativeTarget, ["TargetFilename"] = Slot.TargetFilename,
        ["additionalEventData.bytesTransferredOut"] = Slot.BytesOut, ["requestParameters.bucketName"] = Slot.Bucket,
    };

    public static DetectionFact From(long id, Detection d) => From(id, d, null);

    /// <summary>Tactics and techniques of each rule, split once: every detection of a rule shares the two arrays
    /// (nothing changes them).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Vigil.Rules.SigmaRule, Tuple<string[], string[]>> RuleTags = new();

    /// <summary>The fact of a detection; with a <paramref name="pool"/>, its texts are the pooled copies (a day's hunt keeps
    /// ~60,000 facts whose hosts, accounts, images and command lines repeat). <paramref name="sourceTag"/>, when given, stands
    /// for the detection's source file in <see cref="EventKey"/> (a short distinct tag per file instead of its path).</summary>
    public static DetectionFact From(long id, Detection d, TextPool? pool, string? sourceTag = null) => From(id, d, pool, sourceTag, keyString: true);

    /// <summary>As above; without <paramref name="keyString"/> the event is given by its place (source tag, offset, line) and
    /// <see cref="EventKey"/> is built only if read (a <see cref="FactStore"/> keeps the place, not a string per event).</summary>
    internal static DetectionFact From(long id, Detection d, TextPool? pool, string? sourceTag, bool keyString)
    {
        var v = new string?[Enum.GetValues<Slot>().Length];
        foreach (var f in d.Fields)
        {
            var name = f.Name.StartsWith("winlog.event_data.", StringComparison.Ordinal) ? f.Name["winlog.event_data.".Length..] : f.Name;
            if (!Slots.TryGetValue(name, out var s)) continue;
            if (v[(int)s] is null && !f.Value.IsNull) v[(int)s] = f.Value.ToString();
        }
        string? Get(Slot s) => v[(int)s];
        var tags = RuleTags.GetValue(d.Rule, r => { var (ta, te) = Tags(r.Tags); return Tuple.Create(ta, te); });
        var (tactics, techniques) = (tags.Item1, tags.Item2);
        string P(string? s) => pool is null ? s ?? "" : pool.Intern(s);

        // The actor: Sysmon's User, else the subject of a Security event; CloudTrail's ARN stands for the account.
        // Sysmon 10 (process access) names its actor as the source process and user.
        var account = Names.Account(null, Get(Slot.User) ?? Get(Slot.SourceUser));
        if (account.Length == 0) account = Names.Account(Get(Slot.SubjectDomain), Get(Slot.SubjectUser));
        var target = Names.Account(Get(Slot.TargetDomain), Get(Slot.TargetUser));
        int eventId = (int)(d.EventId ?? 0);
        // A logon's actor is the account that logged on.
        if (eventId is 4624 or 4625 or 4634 or 4647 or 4776 or 4771 or 4768 or 4769 && target.Length > 0) account = target;
        var arn = Get(Slot.Arn) ?? "";
        if (account.Length == 0 && arn.Length > 0) account = ArnUser(arn);

        long logon = Names.Number(Get(Slot.LogonId));
        // Events about a session name it as TargetLogonId (logon, logoff); the others as the subject's session.
        if (logon < 0) logon = Names.Number(eventId is 4624 or 4634 or 4647 ? Get(Slot.TargetLogonId) : Get(Slot.SubjectLogonId));
        long pid = Names.Number(Get(Slot.NewProcessId));
        if (pid < 0) pid = Names.Number(Get(Slot.ProcessId) ?? Get(Slot.SourceProcessId));

        var src = Names.Address(Get(Slot.SourceIp) ?? Get(Slot.ZeekOrig) ?? Get(Slot.IpAddress) ?? Get(Slot.CloudIp));
        var dst = Names.Address(Get(Slot.DestIp) ?? Get(Slot.ZeekResp));
        int port = (int)Math.Max(0, Names.Number(Get(Slot.DestPort) ?? Get(Slot.ZeekPort)));
        long bytes = Math.Max(0, Names.Number(Get(Slot.OrigBytes) ?? Get(Slot.BytesOut)));

        var host = Names.Host(d.Computer);
        if (host.Length == 0 && src.Length > 0) host = ""; // resolved to a host by address later

        string detail = Get(Slot.CommandLine) ?? Get(Slot.ScriptBlock) ?? Get(Slot.ImagePath)
            ?? (Get(Slot.RelativeTarget) is { } rt ? (Get(Slot.ShareName) ?? "") + "\\" + rt : null)
            ?? Get(Slot.TargetFilename)
            ?? (Get(Slot.EventName) is { } en ? en + (Get(Slot.Bucket) is { } b ? " " + b : "") : null)
            ?? (dst.Length > 0 ? $"{src} -> {dst}:{port}" : null)
            ?? (target.Length > 0 ? target : "");
        detail = detail.Replace('\r', ' ').Replace('\n', ' ').Replace('\t', ' ');
        if (detail.Length > MaxDetail) detail = detail[..MaxDetail] + "…";

        var origin = d.Origin;
        string? eventKey;
        if (!keyString) eventKey = null;
        else if (pool is null)
            eventKey = string.Concat(origin.Source, "|", origin.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), "|",
                origin.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
        else
        {
            // Detections of one event (several rules) share one key string, built without an intermediate copy.
            var source = sourceTag ?? origin.Source;
            var buffer = new System.Text.StringBuilder(source.Length + 42);
            buffer.Append(source).Append('|').Append(origin.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('|')
                .Append(origin.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
            eventKey = pool.Intern(buffer.ToString());
        }

        return new DetectionFact
        {
            Id = id, Ticks = d.TimestampTicks, RuleId = P(d.Rule.Id), RuleTitle = P(d.Rule.Title), Level = P((d.Rule.Level ?? "").ToLowerInvariant()),
            Tactics = tactics, Techniques = techniques, Host = P(host), EventId = eventId, Account = P(account), TargetAccount = P(target),
            // GUIDs are packed (GuidText), not pooled: nearly every one is distinct.
            ProcessGuid = Get(Slot.ProcessGuid) ?? Get(Slot.SourceProcessGuid) ?? "", ParentProcessGuid = Get(Slot.ParentProcessGuid) ?? "", ProcessId = pid, LogonId = logon,
            SourceAddress = P(src), DestAddress = P(dst), DestPort = port, Bytes = bytes,
            Image = P(Get(Slot.Image) ?? Get(Slot.NewProcessName)), Detail = P(detail), ServiceName = P(Get(Slot.ServiceName)),
            CloudArn = P(arn), LogonType = (int)Math.Max(0, Names.Number(Get(Slot.LogonType))), Workstation = P(Names.Host(Get(Slot.Workstation))),
            TargetServer = P(Names.Host(Get(Slot.TargetServer))),
            EventKey = eventKey!,
            Place = keyString ? null : (sourceTag ?? origin.Source, origin.Offset, origin.Line),
        };
    }

    /// <summary>"arn:aws:iam::123:user/pedro" → "aws:pedro"; assumed-role sessions keep role/session.</summary>
    public static string ArnUser(string arn)
    {
        if (arn.Length == 0) return "";
        int i = arn.IndexOf(":user/", StringComparison.Ordinal);
        if (i >= 0) return "aws:" + arn[(i + 6)..];
        i = arn.IndexOf(":assumed-role/", StringComparison.Ordinal);
        if (i >= 0) return "aws:" + arn[(i + 14)..];
        i = arn.LastIndexOf(':');
        return "aws:" + arn[(i + 1)..];
    }

    /// <summary>Splits Sigma tags into ATT&amp;CK tactics and technique ids.</summary>
    public static (string[] Tactics, string[] Techniques) Tags(IEnumerable<string>? tags)
    {
        var tactics = new List<string>();
        var techniques = new List<string>();
        foreach (var raw in tags ?? [])
        {
            if (!raw.StartsWith("attack.", StringComparison.OrdinalIgnoreCase)) continue;
            var t = raw[7..].ToLowerInvariant();
            if (t.Length > 1 && t[0] == 't' && char.IsAsciiDigit(t[1])) { var id = t.ToUpperInvariant(); if (!techniques.Contains(id)) techniques.Add(id); }
            else if (Scoring.Tactics.Order.ContainsKey(t.Replace('_', '-'))) { var n = t.Replace('_', '-'); if (!tactics.Contains(n)) tactics.Add(n); }
        }
        return (tactics.ToArray(), techniques.ToArray());
    }
}
