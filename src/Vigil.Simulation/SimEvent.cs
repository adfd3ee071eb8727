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
public sealed record Label(string Kind, string? Technique, string? Tactic, string Step)
{
    /// <summary>For benign look-alikes: the one run of the activity this event belongs to (truth.json's
    /// <c>benignActivities</c> entry, whose hosts and time span the simulator fills from the events).</summary>
    public BenignActivity? Activity { get; init; }
}

/// <summary>One run of benign work that resembles an intrusion (a backup job, the inventory sweep, an admin's
/// session): what a campaign builder must not call an intrusion.</summary>
public sealed class BenignActivity
{
    public required string Kind { get; init; }
    public required string Name { get; init; }
    /// <summary>Accounts the activity runs as (DOMAIN\name).</summary>
    public List<string> Accounts { get; } = [];
    /// <summary>Hosts with events of the activity (FQDN), in first-seen order.</summary>
    public List<string> Hosts { get; } = [];
    /// <summary>Network addresses the activity's connections involve (from the sensor's records).</summary>
    public List<string> Addresses { get; } = [];
    public long StartMs { get; set; } = long.MaxValue;
    public long EndMs { get; set; } = long.MinValue;

    internal void Saw(long ms, string? host)
    {
        if (ms < StartMs) StartMs = ms;
        if (ms > EndMs) EndMs = ms;
        if (host is not null && !Hosts.Contains(host)) Hosts.Add(host);
    }

    internal void SawAddress(string ip)
    {
        if (!Addresses.Contains(ip)) Addresses.Add(ip);
    }
}
