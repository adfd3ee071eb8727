using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The detections that show each link of a campaign: the movement detections within five minutes of it (either way) on its
/// target host, and those on its source host that are about its target (<see cref="CampaignBuilder.Targets"/>).
/// <para>
/// Each link scanned its window of movement detections and tested each for the target. An actor
/// reaching a new target every 50 ms has ~12,000 movement detections on its source in any ten minutes: 100,000 links were
/// 1.2e9 name searches, and the build did not finish in 15 minutes. Now the detections are read once, in time order. Each
/// looks up the links it can support by their keys: links to its own host, and links from its host to a host it is about.
/// A detection is about the hosts it names (every text of the detail that starts and ends at a word boundary and has the
/// length of some target's name, looked up ignoring case among the targets), its 4648 target server and the host at its
/// destination address: what <see cref="CampaignBuilder.Targets"/> accepts.
/// </para>
/// </summary>
internal static class LinkEvidence
{
    /// <summary>How far from a link (either way) a detection may be and still show it.</summary>
    public const long Window = TimeSpan.TicksPerMinute * 5;

    /// <summary>Every link's evidence, in one pass over <paramref name="sorted"/> (the movement detections in time order):
    /// the detections within <see cref="Window"/> of the link on its target, or on its source and about the target
    /// (<see cref="CampaignBuilder.Targets"/>), ids ascending. The tests check it against each link's scan.</summary>
    internal static List<long>[] Find(IReadOnlyList<Lateral> links, IReadOnlyList<DetectionFact> sorted, AddressBook hosts)
    {
        var evidence = new List<long>[links.Count];
        for (int i = 0; i < evidence.Length; i++) evidence[i] = [];
        if (links.Count == 0 || sorted.Count == 0) return evidence;

        // Links by target and by (source, target), each in time order; the sources; the targets' names ignoring case.
        var byTo = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var byFromTo = new Dictionary<(string From, string To), List<int>>();
        var sources = new HashSet<string>(StringComparer.Ordinal);
        var names = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        var lengths = new SortedSet<int>();
        for (int i = 0; i < links.Count; i++)
        {
            var l = links[i];
            Add(byTo, l.To, i);
            Add(byFromTo, (l.From, l.To), i);
            sources.Add(l.From);
            if (l.To.Length == 0) continue; // names no host (NamesHost)
            if (!names.TryGetValue(l.To, out var same)) names[l.To] = same = [];
            if (!same.Contains(l.To)) same.Add(l.To);
            lengths.Add(l.To.Length);
        }
        Comparison<int> byTime = (a, b) => a == b ? 0 : links[a].Ticks != links[b].Ticks ? links[a].Ticks.CompareTo(links[b].Ticks) : a.CompareTo(b);
        foreach (var list in byTo.Values) list.Sort(byTime);
        foreach (var list in byFromTo.Values) list.Sort(byTime);
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        int[] nameLengths = [.. lengths];

        var targets = new List<string>();
        foreach (var f in sorted)
        {
            if (byTo.TryGetValue(f.Host, out var toHere)) AddInWindow(toHere, f, links, evidence);
            if (!sources.Contains(f.Host)) continue;
            targets.Clear();
            AddTarget(targets, f.TargetServer);
            if (f.DestAddress.Length > 0 && hosts.TryHostOf(f.DestAddress, out var at)) AddTarget(targets, at);
            NamedTargets(f.Detail, lookup, nameLengths, targets);
            foreach (var t in targets)
                if (t != f.Host && byFromTo.TryGetValue((f.Host, t), out var fromHere)) AddInWindow(fromHere, f, links, evidence);
        }
        foreach (var ids in evidence) ids.Sort();
        return evidence;
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> index, TKey key, int link) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(link);
    }

    private static void AddTarget(List<string> targets, string host)
    {
        if (!targets.Contains(host)) targets.Add(host);
    }

    /// <summary>Adds the fact's id to the links (in time order) within <see cref="Window"/> of it.</summary>
    private static void AddInWindow(List<int> linksInTime, DetectionFact f, IReadOnlyList<Lateral> links, List<long>[] evidence)
    {
        long from = f.Ticks - Window, to = f.Ticks + Window;
        int lo = 0, hi = linksInTime.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (links[linksInTime[mid]].Ticks < from) lo = mid + 1; else hi = mid; }
        for (int k = lo; k < linksInTime.Count && links[linksInTime[k]].Ticks <= to; k++) evidence[linksInTime[k]].Add(f.Id);
    }

    /// <summary>The targets <paramref name="detail"/> names as a word (<see cref="CampaignBuilder.NamesHost"/>), looked up
    /// ignoring case among the texts <see cref="NameSpans"/> gives.</summary>
    private static void NamedTargets(string detail, Dictionary<string, List<string>>.AlternateLookup<ReadOnlySpan<char>> lookup,
        int[] lengths, List<string> targets)
    {
        foreach (var (start, length) in NameSpans(detail, lengths))
            if (lookup.TryGetValue(detail.AsSpan(start, length), out var same))
                foreach (var t in same) AddTarget(targets, t);
    }

    /// <summary>Every text of <paramref name="detail"/> that starts where a host name may start, ends where one may end and
    /// has one of <paramref name="lengths"/> (ascending): each place <see cref="CampaignBuilder.NamesHost"/> could find a
    /// host of that length.</summary>
    internal static IEnumerable<(int Start, int Length)> NameSpans(string detail, int[] lengths)
    {
        for (int start = 0; start < detail.Length; start++)
        {
            if (start > 0 && CampaignBuilder.NamePart(detail[start - 1])) continue;
            foreach (int length in lengths)
            {
                int end = start + length;
                if (end > detail.Length) break;
                if (end < detail.Length && CampaignBuilder.NamePart(detail[end])) continue;
                yield return (start, length);
            }
        }
    }
}
