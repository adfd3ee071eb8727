namespace Vigil.Simulation;

public sealed class SimulationOptions
{
    /// <summary>Folder the log files and truth.json are written to (created if missing).</summary>
    public string OutDir { get; set; } = "";
    /// <summary>Approximate total number of events; only the benign background scales with it.</summary>
    public long Events { get; set; } = 20000;
    public int Seed { get; set; } = 1;
    /// <summary>"jsonl" (OTRF-style flat JSON lines) or "evtx" (Windows event log files, one per host and channel).</summary>
    public string Format { get; set; } = "jsonl";
    /// <summary>"human" (default: a person operates the intrusion), "machine" (an AI agent operates it at machine
    /// speed), "cloud" (machine, plus snapshot sharing in AWS), "benign" (the same day without an intrusion).</summary>
    public string Scenario { get; set; } = "human";
}

public sealed class SimulationResult
{
    /// <summary>The Windows log files (JSON lines per channel, or EVTX per host and channel).</summary>
    public required IReadOnlyList<string> Files { get; init; }
    /// <summary>Windows events written (what <see cref="SimulationOptions.Events"/> approximates).</summary>
    public required long EventCount { get; init; }
    /// <summary>The Zeek and CloudTrail files (JSON lines, in both formats): logs/zeek/*.log, logs/cloudtrail/*.json.</summary>
    public IReadOnlyList<string> SideFiles { get; init; } = [];
    /// <summary>Zeek and CloudTrail records written.</summary>
    public long SideRecordCount { get; init; }
    public required string TruthPath { get; init; }
    public required SimulationTruth Truth { get; init; }
}

/// <summary>Ground truth of one simulated day, also written as truth.json.</summary>
public sealed class SimulationTruth
{
    public int Seed { get; set; }
    /// <summary>The scenario name: human, machine, cloud or benign.</summary>
    public string Scenario { get; set; } = "";
    /// <summary>A one-line name of the intrusion's story (empty for benign).</summary>
    public string Story { get; set; } = "";
    /// <summary>"human", "machine" or "none".</summary>
    public string Operator { get; set; } = "";
    public string Domain { get; set; } = "";
    public DateTime DayStart { get; set; }
    public DateTime IntrusionStart { get; set; }
    public DateTime IntrusionEnd { get; set; }
    public List<string> CompromisedHosts { get; } = [];
    public List<string> CompromisedAccounts { get; } = [];
    public List<string> CreatedAccounts { get; } = [];
    /// <summary>The first internal address the intruder worked from (also in <see cref="FootholdIps"/>).</summary>
    public string FootholdIp { get; set; } = "";
    /// <summary>Internal addresses the intruder worked from (footholds).</summary>
    public List<string> FootholdIps { get; } = [];
    /// <summary>External addresses of the intruder (exploit source, C2, exfiltration, cloud API calls).</summary>
    public List<string> ExternalIps { get; } = [];
    /// <summary>Footholds and external addresses together.</summary>
    public IEnumerable<string> AttackerAddresses => FootholdIps.Concat(ExternalIps).Distinct();
    /// <summary>Benign runs of work a campaign builder must not call an intrusion.</summary>
    public List<BenignActivity> BenignActivities { get; } = [];
    /// <summary>Every event the intruder caused, with its ATT&amp;CK step.</summary>
    public List<LabelledEvent> IntrusionEvents { get; } = [];
    /// <summary>Benign automation and admin work that resembles attacker activity (hard negatives).</summary>
    public List<LabelledEvent> BenignLookalikes { get; } = [];
    public Dictionary<string, long> EventsPerFile { get; } = new(StringComparer.Ordinal);
}

public sealed class LabelledEvent
{
    /// <summary>"windows", "zeek" or "cloudtrail".</summary>
    public string Source { get; set; } = "windows";
    public string File { get; set; } = "";
    /// <summary>1-based line in <see cref="File"/> for JSON lines output (every Zeek/CloudTrail record, Windows
    /// events in jsonl format); 0 for EVTX.</summary>
    public long Line { get; set; }
    /// <summary>Zeek uid or CloudTrail eventID (network and cloud records).</summary>
    public string? RecordId { get; set; }
    /// <summary>Windows events only (0 for network and cloud records).</summary>
    public long EventRecordID { get; set; }
    public string Hostname { get; set; } = "";
    public int EventID { get; set; }
    public string Timestamp { get; set; } = "";
    /// <summary>"intrusion", or for negatives "inventory", "backup", "admin".</summary>
    public string Kind { get; set; } = "";
    public string? Technique { get; set; }
    public string? Tactic { get; set; }
    public string Step { get; set; } = "";
}
