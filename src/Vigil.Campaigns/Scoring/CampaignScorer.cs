using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Scoring;

/// <summary>
/// Kind and score of a campaign.
/// <para>Kind: "intrusion" when the actor escalates (credential access, lateral movement, privilege escalation,
/// collection, exfiltration, impact, or data theft) and the evidence is strong (a high or critical detection, two
/// stages of the chain, or theft); "automation" when it does not escalate and runs from a service account or a
/// batch/service logon repeating a fixed sequence; "admin" when it does not escalate and stays at medium or below
/// at a pace that is not a machine's; "suspicious" otherwise.</para>
/// <para>Score 0–100: progression along the chain (discovery → credential access → lateral movement → collection →
/// exfiltration: 7 each, other tactics 1.5 each up to 6, 5 more when the stages came in chain order), severity (the
/// highest level: critical 20, high 15, medium 8, low 4, else 1; plus up to 6 for many high/critical detections),
/// spread (4 per extra host up to 12, 2 per extra account up to 4, 3 per movement link up to 6) and theft (8, 12 past
/// 100 MB); then weighted by kind (automation 0.35, admin 0.5, suspicious 0.85), so benign work ranks low even when large.</para>
/// </summary>
internal static class CampaignScorer
{
    public static void Classify(Draft d, CampaignBuilder.BuildEnv env)
    {
        int maxLevel = d.Facts.Count == 0 ? 0 : d.Facts.Max(f => Tactics.LevelRank(f.Level));
        int serious = d.Facts.Count(f => Tactics.LevelRank(f.Level) >= 3);
        // Tactics count as evidence from detections of level low and up (SigmaHQ tags informational events such as a
        // logoff with "impact"); escalation needs medium and up.
        var evidenced = d.Facts.Where(f => Tactics.LevelRank(f.Level) >= 1).SelectMany(f => f.Tactics).ToHashSet();
        var escalation = d.Facts.Where(f => Tactics.LevelRank(f.Level) >= 2).SelectMany(f => f.Tactics).Where(Tactics.Escalation.Contains).ToHashSet();
        bool theft = d.Theft.Count > 0;
        bool escalated = escalation.Count > 0 || theft;
        // A detection is one step: a rule tagged with several chain tactics (an admin-share copy tagged lateral movement,
        // collection and exfiltration) counts as its earliest stage only.
        int stages = d.Facts.Where(f => Tactics.LevelRank(f.Level) >= 1)
            .Select(f => Tactics.Chain.FirstOrDefault(f.Tactics.Contains)).Where(t => t is not null).Distinct().Count();
        // Strong escalation: what scheduled jobs do not do: credential access, exfiltration or impact at high level or
        // above, data theft, new accounts. (Rules tag remote administration broadly, e.g. WinRM sessions as lateral
        // movement or privilege escalation, so those tags alone do not count here.)
        bool strong = theft || d.Facts.Any(f => Tactics.LevelRank(f.Level) >= 3 && f.Tactics.Any(t => t is "credential-access" or "exfiltration" or "impact"))
            || d.Facts.Any(f => Tactics.LevelRank(f.Level) >= 2 && f.Techniques.Any(t => t.StartsWith("T1136", StringComparison.Ordinal)));
        // Walked, not copied: a campaign can list millions of accounts (a password spray).
        var users = d.Users.Where(u => !u.StartsWith("aws:", StringComparison.Ordinal));
        bool serviceActor = users.Any() && users.All(Names.IsServiceAccount);
        // Scheduled: every process tree of the campaign was started by the task scheduler (or a service host).
        bool batch = RootsScheduled(d, env.Limits);
        double repeat = d.Operator.Evidence.GetValueOrDefault("sequence_repeat_ratio");

        // A service account or scheduled job repeating itself is automation even when rules tag its remote steps as
        // lateral movement (an inventory over WinRM, a backup copying to a share), unless it escalates strongly.
        if (!strong && (serviceActor || batch) && (repeat >= 0.3 || serviceActor)) d.Kind = "automation";
        else if (escalated && (maxLevel >= 3 || stages >= 2 || theft)) d.Kind = "intrusion";
        // Admin work: an administrative account (adm/admin in the name, or special privileges at logon), or discovery
        // only, at a pace that is not a machine's, without escalation. An ordinary user's odd detections stay "suspicious".
        else if (!escalated && maxLevel <= 2 && d.Operator.Kind != "machine"
                 && (users.Any(u => env.IsAdministrative(u)) || (evidenced.Count > 0 && evidenced.All(t => t is "discovery" or "execution"))))
            d.Kind = "admin";
        else d.Kind = "suspicious";

        double progression = 7 * stages + Math.Min(6, 1.5 * evidenced.Count(t => !Tactics.Chain.Contains(t)));
        if (stages >= 2)
        {
            var firsts = Tactics.Chain.Where(t => d.Facts.Any(f => f.Tactics.Contains(t)))
                .Select(t => d.Facts.Where(f => f.Tactics.Contains(t)).Min(f => f.Ticks)).ToList();
            bool ordered = true;
            for (int i = 1; i < firsts.Count; i++) ordered &= firsts[i] >= firsts[i - 1];
            if (ordered) progression += 5;
        }
        double severity = maxLevel switch { 4 => 20, 3 => 15, 2 => 8, 1 => 4, _ => 1 } + Math.Min(6, 2 * Math.Log2(1 + serious));
        int links = d.Links.Count(l => l.FromHost != l.ToHost);
        double spread = Math.Min(12, 4 * Math.Max(0, d.Hosts.Count - 1)) + Math.Min(4, 2 * Math.Max(0, d.Users.Count - 1)) + Math.Min(6, 3 * links);
        long bytes = d.Theft.Sum(t => t.Bytes);
        double stolen = theft ? (bytes >= 100L * 1024 * 1024 ? 12 : 8) : 0;
        double weight = d.Kind switch { "automation" => 0.35, "admin" => 0.5, "suspicious" => 0.85, _ => 1.0 };
        d.Score = Math.Clamp((progression + severity + spread + stolen) * weight, 0, 100);
    }

    /// <summary>A process GUID as a sortable key: a braced GUID by its value (tag 1), any other text by the 128-bit hash of
    /// its upper-case form (tag 2): the equality of <see cref="GuidText"/> (values; texts ignoring case).</summary>
    private readonly record struct GuidRow(ulong A, ulong B, int Tag, int Parent, int Index)
    {
        public static GuidRow Of(GuidText g, int parent, int index)
        {
            if (g.IsGuid)
            {
                Span<byte> bytes = stackalloc byte[16];
                g.Value.TryWriteBytes(bytes);
                return new(BitConverter.ToUInt64(bytes), BitConverter.ToUInt64(bytes[8..]), 1, parent, index);
            }
            var h = TextHash.Of(g.ToString().ToUpperInvariant());
            return new((ulong)h, (ulong)(h >> 64), 2, parent, index);
        }

        public static int Compare(GuidRow x, GuidRow y)
        {
            int c = x.A.CompareTo(y.A);
            if (c == 0) c = x.B.CompareTo(y.B);
            if (c == 0) c = x.Tag.CompareTo(y.Tag);
            if (c == 0) c = x.Parent.CompareTo(y.Parent);
            return c != 0 ? c : x.Index.CompareTo(y.Index);
        }

        public bool SameKey(GuidRow o) => A == o.A && B == o.B && Tag == o.Tag;
    }

    /// <summary>Whether the campaign has process trees and every one was started by the task scheduler (or a service host):
    /// its roots are its processes whose parent is not among them. The processes' own and parent GUIDs are sorted together
    /// (in runs on disk for a campaign of millions of processes) instead of held in a set. The first root not scheduled
    /// decides; the roots found by GUID are read in the processes' order, not the GUIDs' (4M processes read in GUID order,
    /// each a block of records from the process store's files, took over 8 minutes).</summary>
    private static bool RootsScheduled(Draft d, BuildLimits limits)
    {
        bool roots = false;
        using var sorter = new ExternalSorter<GuidRow>("campaign-guids", GuidRow.Compare, limits.RunRows);
        for (int k = 0; k < d.Procs.Count; k++)
        {
            var p = d.Procs[k];
            if (!p.GuidKey.IsEmpty) sorter.Add(GuidRow.Of(p.GuidKey, 0, k));
            if (p.ParentGuidKey.IsEmpty)
            {
                if (!IsScheduled(p.ParentImage, p.Image)) return false;
                roots = true;
            }
            else sorter.Add(GuidRow.Of(p.ParentGuidKey, 1, k));
        }
        // In each key, the processes with that GUID come first: a parent row with none before it is a root's.
        using var byGuid = new ExternalSorter<int>("campaign-guid-roots", (a, b) => a.CompareTo(b), limits.RunRows);
        GuidRow current = default;
        bool have = false, present = false;
        foreach (var row in sorter.Sorted())
        {
            if (!have || !row.SameKey(current)) { current = row; have = true; present = false; }
            if (row.Parent == 0) present = true;
            else if (!present) byGuid.Add(row.Index);
        }
        foreach (int k in byGuid.Sorted())
        {
            var p = d.Procs[k];
            if (!IsScheduled(p.ParentImage, p.Image)) return false;
            roots = true;
        }
        return roots;
    }

    /// <summary>Started by the task scheduler or a service host for a scheduled job.</summary>
    private static bool IsScheduled(string parentImage, string image)
    {
        var p = Names.ImageName(parentImage);
        return p is "taskeng.exe" or "taskhostw.exe" or "svchost.exe" or "cron" or "crond" or "atd" || Names.ImageName(image) is "taskeng.exe";
    }
}
