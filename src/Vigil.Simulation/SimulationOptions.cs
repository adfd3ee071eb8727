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
}

public sealed class SimulationResult
{
    public required IReadOnlyList<string> Files { get; init; }
    public required long EventCount { get; init; }
    public required string TruthPath { get; init; }
    public required SimulationTruth Truth { get; init; }
}

/// <summary>Ground truth of one simulated day, also written as truth.json.</summary>
public sealed class SimulationTruth
{
    public int Seed { get; set; }
    public string Scenario { get; set; } = "";
    public string Operator { get; set; } = "";
    public string Domain { get; set; } = "";
    public DateTime DayStart { get; set; }
    public DateTime IntrusionStart { get; set; }
    public DateTime IntrusionEnd { get; set; }
    public List<string> CompromisedHosts { get; } = [];
    public List<string> CompromisedAccounts { get; } = [];
    public List<string> CreatedAccounts { get; } = [];
    public string FootholdIp { get; set; } = "";
    public List<string> ExternalIps { get; } = [];
    /// <summary>Every event the intruder caused, with its ATT&amp;CK step.</summary>
    public List<LabelledEvent> IntrusionEvents { get; } = [];
    /// <summary>Benign automation and admin work that resembles attacker activity (hard negatives).</summary>
    public List<LabelledEvent> BenignLookalikes { get; } = [];
    public Dictionary<string, long> EventsPerFile { get; } = new(StringComparer.Ordinal);
}

public sealed class LabelledEvent
{
    public string File { get; set; } = "";
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
