using System.Globalization;

namespace Vigil.Campaigns.Output;

/// <summary>The ranked campaign list the terminal table shows before the detections: one line per campaign, then its
/// movement and the operator verdict, indented. Text from the logs is shown as text (control characters removed).</summary>
public static class CampaignText
{
    public static void Write(IReadOnlyList<Campaign> campaigns, TextWriter w, int width = 160, int max = 20)
    {
        if (campaigns.Count == 0) { w.WriteLine("Campaigns: none"); w.WriteLine(); return; }
        w.WriteLine($"Campaigns ({campaigns.Count}, ranked by score):");
        foreach (var c in campaigns.Take(max))
        {
            var inv = CultureInfo.InvariantCulture;
            string hosts = string.Join(",", c.Hosts.Take(6)) + (c.Hosts.Count > 6 ? $",+{c.Hosts.Count - 6}" : "");
            string line = $"  {c.Id,-4} {c.Score.ToString("0", inv),3}  {c.Kind,-10} {c.Operator.Kind,-7} {c.FirstSeen:yyyy-MM-dd HH:mm}-{c.LastSeen:HH:mm}  "
                + $"{c.DetectionIds.Count,5} det  hosts {hosts}  users {string.Join(",", c.Users.Take(3))}{(c.Users.Count > 3 ? ",…" : "")}";
            w.WriteLine(Cut(line, width));
            if (c.Tactics.Count > 0) w.WriteLine(Cut("        tactics: " + string.Join(" > ", c.Tactics), width));
            foreach (var l in c.Links.Where(l => l.FromHost != l.ToHost).Take(4))
                w.WriteLine(Cut($"        {l.Time:HH:mm:ss} {l.FromHost} -> {l.ToHost} by {l.Method}{(l.Account.Length > 0 ? " as " + l.Account : "")}", width));
            foreach (var t in c.Theft.Take(3))
                w.WriteLine(Cut($"        theft: {t.Kind} on {t.Host}{(t.Destination.Length > 0 ? " to " + t.Destination : "")}: {t.Detail}", width));
            if (c.Operator.Reasons.Count > 0)
                w.WriteLine(Cut($"        operator {c.Operator.Kind} ({c.Operator.Confidence:0.00}): {string.Join("; ", c.Operator.Reasons.Take(3))}", width));
        }
        if (campaigns.Count > max) w.WriteLine($"  ... {campaigns.Count - max} more (--campaigns FILE writes them all)");
        w.WriteLine();
    }

    private static string Cut(string s, int width)
    {
        var clean = new string(s.Select(ch => char.IsControl(ch) ? ' ' : ch).ToArray());
        return clean.Length <= width ? clean : clean[..Math.Max(1, width - 1)] + "…";
    }
}
