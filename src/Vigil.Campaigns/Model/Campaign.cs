namespace Vigil.Campaigns;

/// <summary>
/// One actor's connected activity over time, built from detections and the events around them (logons,
/// process trees, services, network connections). This is the model every output renders (campaign JSON,
/// the terminal table, the HTML report, SQLite); the builder fills it, outputs never change it.
/// Detection ids are 1-based positions of detections in the hunt's output order (the <c>id</c> of each
/// JSON lines detection), so a campaign points at the rows it is made of.
/// </summary>
public sealed class Campaign
{
    /// <summary>"C1", "C2", ... in rank order (highest score first).</summary>
    public required string Id { get; init; }
    /// <summary>0–100: how far along the ATT&amp;CK tactics it gets, how severe its detections are, how far it spread.</summary>
    public required double Score { get; init; }
    /// <summary>"intrusion" (escalating, attacker-like), "automation" (repeating fixed sequence on a schedule from
    /// a known account), "admin" (human-paced administration without escalation), or "suspicious" (not enough to tell).</summary>
    public required string Kind { get; init; }
    /// <summary>Host names as the events give them (upper-case NetBIOS form preferred), in order first touched.</summary>
    public required IReadOnlyList<string> Hosts { get; init; }
    /// <summary>Accounts as DOMAIN\user or user, in order first seen.</summary>
    public required IReadOnlyList<string> Users { get; init; }
    public required IReadOnlyList<string> InternalAddresses { get; init; }
    public required IReadOnlyList<string> ExternalAddresses { get; init; }
    /// <summary>ATT&amp;CK tactic short names (e.g. "discovery", "credential-access") in kill-chain order.</summary>
    public required IReadOnlyList<string> Tactics { get; init; }
    /// <summary>ATT&amp;CK technique ids (e.g. "T1059.001"), sorted.</summary>
    public required IReadOnlyList<string> Techniques { get; init; }
    public required DateTime FirstSeen { get; init; }
    public required DateTime LastSeen { get; init; }
    /// <summary>Ids of the detections the campaign is made of, ascending.</summary>
    public required IReadOnlyList<long> DetectionIds { get; init; }
    /// <summary>Detections per rule level.</summary>
    public required IReadOnlyDictionary<string, long> Levels { get; init; }
    public required OperatorVerdict Operator { get; init; }
    /// <summary>One paragraph in plain words: where it started, where it went, what it took, who drives it.</summary>
    public required string Summary { get; init; }
    /// <summary>The campaign's steps in time order (one per detection, or per group of equal detections).</summary>
    public required IReadOnlyList<CampaignStep> Steps { get; init; }
    /// <summary>Host-to-host movement the evidence shows (lateral movement arrows).</summary>
    public required IReadOnlyList<HostLink> Links { get; init; }
    /// <summary>Customer-data theft steps: bulk exports, archives, large uploads to new external addresses.</summary>
    public required IReadOnlyList<DataTheft> Theft { get; init; }

    public IEnumerable<string> Addresses => InternalAddresses.Concat(ExternalAddresses);
}

/// <summary>One step of a campaign: a detection (or a run of equal ones) in time order.</summary>
public sealed record CampaignStep(
    DateTime Time,
    string Host,
    string User,
    /// <summary>ATT&amp;CK tactic short name, or "" when the rule has no tactic tag.</summary>
    string Tactic,
    string Technique,
    string RuleId,
    string RuleTitle,
    string Level,
    /// <summary>The detection this step stands for (the first of a run).</summary>
    long DetectionId,
    /// <summary>How many equal detections (same rule, host, user) this step folds together.</summary>
    int Count,
    /// <summary>A short text of what happened (command line, target, share), attacker-controlled: render as text.</summary>
    string Detail);

/// <summary>Movement from one host to another: who, how, when, and on what evidence.</summary>
public sealed record HostLink(
    string FromHost,
    string ToHost,
    string Account,
    /// <summary>"psexec", "wmi", "winrm", "rdp", "remote-service", "network-logon", "smb", "schtasks", ...</summary>
    string Method,
    DateTime Time,
    /// <summary>Source address of the logon or connection, if known.</summary>
    string SourceAddress,
    /// <summary>Detection ids that support the link (may be empty when it rests on context events only).</summary>
    IReadOnlyList<long> DetectionIds);

/// <summary>A step of customer-data theft.</summary>
public sealed record DataTheft(
    DateTime Time,
    string Host,
    /// <summary>"database-export", "archive", "cloud-bulk-read", "upload", ...</summary>
    string Kind,
    string Detail,
    /// <summary>Bytes moved when known (Zeek orig_bytes, CloudTrail bytes), else 0.</summary>
    long Bytes,
    string Destination,
    IReadOnlyList<long> DetectionIds);

/// <summary>Who drives a campaign, and the numbers the decision rests on.</summary>
public sealed class OperatorVerdict
{
    /// <summary>"machine", "human" or "unknown".</summary>
    public required string Kind { get; init; }
    /// <summary>0–1.</summary>
    public required double Confidence { get; init; }
    /// <summary>Named measurements (e.g. "commands_per_second_sustained", "interval_cv", "parallel_hosts",
    /// "distinct_discovery_commands", "failed_logon_bursts", "pause_count"), each a number.</summary>
    public required IReadOnlyDictionary<string, double> Evidence { get; init; }
    /// <summary>The reasons in plain words, one per signal that decided.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
}
