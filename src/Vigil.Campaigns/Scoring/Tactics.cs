namespace Vigil.Campaigns.Scoring;

/// <summary>ATT&amp;CK enterprise tactics in kill-chain (matrix) order, and what each weighs in a campaign's score.</summary>
public static class Tactics
{
    public static readonly string[] Ordered =
    [
        "reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation",
        "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection", "command-and-control",
        "exfiltration", "impact",
    ];

    public static readonly IReadOnlyDictionary<string, int> Order = Ordered.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i);

    /// <summary>The stages threats.md names as the chain of an intrusion, in order: reaching each is progress.</summary>
    public static readonly string[] Chain = ["discovery", "credential-access", "lateral-movement", "collection", "exfiltration"];

    /// <summary>Tactics that mean the actor went beyond looking around: an admin or a scheduled job does not do these.</summary>
    public static readonly HashSet<string> Escalation =
        ["credential-access", "lateral-movement", "exfiltration", "privilege-escalation", "impact", "collection"];

    public static int LevelRank(string level) => level switch
    {
        "critical" => 4, "high" => 3, "medium" => 2, "low" => 1, _ => 0,
    };
}
