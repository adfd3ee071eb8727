namespace Vigil.Simulation;

/// <summary>
/// One generated event waiting in the time-ordered queue. Its EventRecordID is assigned only when it is
/// written, so record numbers rise with time per host and channel like a real log.
/// </summary>
public sealed class SimEvent
{
    public long Ms;
    public long Seq;
    public LogFile File;
    public required Host Host;
    public int EventId;
    public required string Provider;
    /// <summary>Event data fields in output order; values are strings as in OTRF exports.</summary>
    public readonly List<KeyValuePair<string, string>> Data = new(24);
    public Label? Label;

    public SimEvent Add(string name, string value) { Data.Add(new(name, value)); return this; }
}

/// <summary>Ground-truth label; never written into the event itself, only into truth.json.</summary>
public sealed record Label(string Kind, string? Technique, string? Tactic, string Step);
