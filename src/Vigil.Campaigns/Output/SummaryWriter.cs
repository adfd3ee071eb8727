using System.Globalization;
using System.Text;
using Vigil.Campaigns.Scoring;

namespace Vigil.Campaigns;

/// <summary>The campaign in one plain paragraph: what it is, where it started, where it went, what it took, who drives it.</summary>
internal static class SummaryWriter
{
    public static string Write(Draft d)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        string what = d.Kind switch
        {
            "intrusion" => "Intrusion",
            "automation" => "Scheduled automation",
            "admin" => "Administrative activity",
            _ => "Suspicious activity",
        };
        string when = d.First == 0 ? "" : d.Last - d.First < TimeSpan.TicksPerMinute
            ? $" at {Fmt(d.First)}"
            : $" from {Fmt(d.First)} to {Fmt(d.Last)}";
        sb.Append(what).Append(" on ").Append(d.Hosts.Count == 1 ? "host " : d.Hosts.Count + " hosts ").Append(Join(d.Hosts, 6)).Append(when)
            .Append(" (").Append(d.DetectionIds.Count.ToString(inv)).Append(d.DetectionIds.Count == 1 ? " detection)." : " detections).");
        if (d.Facts.Count > 0)
        {
            var first = d.Facts[0];
            sb.Append(" It started on ").Append(d.FactHosts[0].Length > 0 ? d.FactHosts[0] : "an unnamed host");
            if (first.Account.Length > 0) sb.Append(" as ").Append(first.Account);
            sb.Append(" with \"").Append(first.RuleTitle).Append("\".");
        }
        var moves = Earliest(d.Links.Where(l => l.FromHost != l.ToHost), 6);
        if (moves.Count > 0)
            sb.Append(" It moved ").Append(string.Join(", ", moves.Select(l =>
                $"{(l.FromHost.Length > 0 ? l.FromHost : "?")} → {l.ToHost} by {l.Method}{(l.Account.Length > 0 ? " as " + l.Account : "")} at {l.Time:HH:mm}")))
              .Append(d.Links.Count > moves.Count ? $" and {d.Links.Count - moves.Count} more" : "").Append('.');
        var tactics = d.OrderedTactics.ToList();
        if (tactics.Count > 0) sb.Append(" Tactics: ").Append(string.Join(", ", tactics)).Append('.');
        if (d.Theft.Count > 0)
            sb.Append(" Data theft: ").Append(string.Join("; ", d.Theft.Take(4).Select(t =>
                $"{t.Kind} on {t.Host}" + (t.Destination.Length > 0 ? $" to {t.Destination}" : "") + (t.Bytes > 0 ? $" ({TheftFinder.Mb(t.Bytes)})" : ""))))
              .Append(d.Theft.Count > 4 ? $"; {d.Theft.Count - 4} more" : "").Append('.');
        sb.Append(' ').Append(d.Operator.Kind switch
        {
            "machine" => "Driven at machine speed",
            "human" => "Driven by a person",
            _ => "Operator unclear",
        });
        if (d.Operator.Reasons.Count > 0) sb.Append(" (").Append(string.Join("; ", d.Operator.Reasons.Take(3))).Append(')');
        sb.Append('.');
        return sb.ToString();
    }

    private static string Fmt(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
    private static string Join(IReadOnlyList<string> xs, int max) => string.Join(", ", xs.Take(max)) + (xs.Count > max ? $" and {xs.Count - max} more" : "");

    /// <summary>The first <paramref name="n"/> links by time, ties in list order (what a stable sort's first n are), without
    /// holding the others: a big campaign's links are read from a file (1M for an actor moving to 1M hosts).</summary>
    internal static List<HostLink> Earliest(IEnumerable<HostLink> links, int n)
    {
        var best = new List<HostLink>(n + 1);
        foreach (var l in links)
        {
            if (best.Count == n && l.Time >= best[^1].Time) continue;
            int at = best.Count;
            while (at > 0 && best[at - 1].Time > l.Time) at--;
            best.Insert(at, l);
            if (best.Count > n) best.RemoveAt(n);
        }
        return best;
    }
}
