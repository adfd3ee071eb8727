using System.Collections;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// A big campaign's links (more movements than <see cref="BuildLimits.BigGroup"/>) as rows: folded, with their evidence,
/// by external sorts instead of dictionaries and objects. What <see cref="CampaignBuilder.FoldLinks"/> and
/// <see cref="LinkEvidence.Find"/> give, link for link and id for id.
/// <para>
/// An actor moving to 1M hosts is one campaign of 1M links. Folded in a dictionary, indexed by target and by source and
/// target, and held as <see cref="HostLink"/> objects with their evidence lists, they took ~1 GB of the assembly. Here:
/// </para>
/// <list type="number">
/// <item>Fold: each movement is a row (its texts as ids in an exact <see cref="TextTable"/>), sorted by (source, target,
/// account, time, input order). Each key's first row gives the link's time and place; its first row with a specific method
/// (<see cref="CampaignBuilder.GenericMethods"/>), if any, gives its method and address. Links are then sorted by (time,
/// input order of that first row).</item>
/// <item>Evidence on the target: movement detections by (their host, time) joined to links by (target, time), within
/// <see cref="LinkEvidence.Window"/> either way.</item>
/// <item>Evidence on the source: detections by (their host, hash of a host they may be about, ignoring case) joined to
/// links by (source, hash of the target) in the same window. A detection may be about its 4648 target server, the host at
/// its destination address and every text of its detail that starts and ends at a word boundary and has the length of
/// some target's name. Each pair is then confirmed by <see cref="CampaignBuilder.Targets"/>, the detections read once in
/// order: a hash shared by two names costs a check, never wrong evidence.</item>
/// <item>The pairs are sorted by (link, detection id): the evidence lists, one list of ids with each link's range.</item>
/// </list>
/// <para>Memory: the sorts' runs, the lists' budgets (<see cref="BuildLimits.List{T}"/>), the text table's budget and the
/// distinct lengths of the targets' names. Not thread-safe.</para>
/// </summary>
internal sealed class LinkTable : IReadOnlyList<HostLink>, IDisposable
{
    private struct Row
    {
        public long Ticks;
        public int From, To, Account, Method, Address;
        public int EvidenceAt, EvidenceCount;
    }

    /// <summary>A movement (or a folded link) with its texts as ids; <see cref="Seq"/> its place in the input.</summary>
    private struct Movement
    {
        public long Ticks, Seq;
        public int From, To, Account, Method, Address;
        public bool Specific;
    }

    /// <summary>A side of a window join: a link (<see cref="Index"/> its number; on the source side <see cref="Id"/> is its
    /// target's text id) or a detection (its place in the detections' time order, and its id).</summary>
    private readonly record struct JoinRow(long KeyA, long KeyB, long Ticks, int Index, long Id)
    {
        public static int Compare(JoinRow a, JoinRow b) =>
            a.KeyA != b.KeyA ? a.KeyA.CompareTo(b.KeyA) : a.KeyB != b.KeyB ? a.KeyB.CompareTo(b.KeyB)
            : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Index.CompareTo(b.Index);
    }

    /// <summary>A detection that is evidence of a link.</summary>
    private readonly record struct Pair(int Link, long Id, int Fact)
    {
        public static int ByLink(Pair a, Pair b) =>
            a.Link != b.Link ? a.Link.CompareTo(b.Link) : a.Id != b.Id ? a.Id.CompareTo(b.Id) : a.Fact.CompareTo(b.Fact);
    }

    /// <summary>A source-side pair to confirm, with the link's target (its text id), so that confirming reads the detections
    /// in order and never the links.</summary>
    private readonly record struct Candidate(int Link, long Id, int Fact, int To)
    {
        public static int ByFact(Candidate a, Candidate b) =>
            a.Fact != b.Fact ? a.Fact.CompareTo(b.Fact) : a.Link.CompareTo(b.Link);
    }

    private readonly TextTable _texts;
    /// <summary>Whether <see cref="_texts"/> is this table's own (else the campaign's hosts', see <see cref="Build"/>).</summary>
    private readonly bool _ownsTexts;
    private readonly SpillList<Row> _rows;
    private readonly SpillList<long> _evidence;

    private LinkTable(BuildLimits limits, TextTable? texts)
    {
        _ownsTexts = texts is null;
        _texts = texts ?? limits.KeyTexts("campaign-links", limits.KeyTextChars / 4, exact: true);
        // Read in order only (by the writers, the summary, the command links): a few pages cached.
        _rows = limits.List<Row>("campaign links", walked: true);
        _evidence = limits.List<long>("campaign link evidence", walked: true);
    }

    public int Count => _rows.Count;

    public HostLink this[int index]
    {
        get
        {
            var r = _rows[index];
            var ids = new long[r.EvidenceCount];
            for (int k = 0; k < ids.Length; k++) ids[k] = _evidence[r.EvidenceAt + k];
            var from = _texts[r.From];
            var address = _texts[r.Address];
            return new HostLink(from.Length > 0 ? from : address, _texts[r.To], _texts[r.Account], _texts[r.Method],
                CampaignBuilder.Time(r.Ticks), address, ids);
        }
    }

    /// <summary>Appends a link with its evidence (ids ascending).</summary>
    public void Add(HostLink l)
    {
        var row = new Row
        {
            Ticks = l.Time.Ticks, From = _texts.Id(l.FromHost), To = _texts.Id(l.ToHost), Account = _texts.Id(l.Account),
            Method = _texts.Id(l.Method), Address = _texts.Id(l.SourceAddress), EvidenceAt = _evidence.Count, EvidenceCount = l.DetectionIds.Count,
        };
        foreach (long id in l.DetectionIds) _evidence.Add(id);
        _rows.Add(row);
    }

    /// <summary>The link's source as <see cref="HostLink.FromHost"/> gives it and its target, as exact text ids (equal ids:
    /// equal texts).</summary>
    public (int From, int To) HostIds(int index)
    {
        var r = _rows[index];
        return (r.From != 0 ? r.From : r.Address, r.To);
    }

    /// <summary>The exact id of a text (numbering it if new).</summary>
    public int TextId(string text) => _texts.Id(text);

    /// <summary>The link's source, target, account and source address as the movement had them (the source may be "").</summary>
    public (string From, string To, string Account, string Address) Texts(int index)
    {
        var r = _rows[index];
        return (_texts[r.From], _texts[r.To], _texts[r.Account], _texts[r.Address]);
    }

    /// <summary>A command candidate: a detection (its place in time order) naming a target, in the order found.</summary>
    private readonly record struct Command(int From, int To, long Seq, int Fact)
    {
        public static int ByPair(Command a, Command b) =>
            a.From != b.From ? a.From.CompareTo(b.From) : a.To != b.To ? a.To.CompareTo(b.To) : a.Seq.CompareTo(b.Seq);
    }

    /// <summary>
    /// Movement shown only by a command line (<see cref="CampaignBuilder.CommandTargets"/> of each detection that
    /// <paramref name="qualifies"/>, in time order): a link from the detection's host to each target it names, unless that
    /// pair (source, target) already has a link or an earlier command named it. What a set of pairs did, by sorts: the
    /// candidates by pair against the links' pairs, the first of each new pair kept, then added in the order found
    /// (<paramref name="addHost"/> given each target as it is added).
    /// </summary>
    public void AddCommandLinks(IReadOnlyList<DetectionFact> sorted, Func<DetectionFact, bool> qualifies, Action<string> addHost, BuildLimits limits)
    {
        using var kept = new ExternalSorter<Command>("campaign-command-order", (a, b) => a.Seq.CompareTo(b.Seq), limits.RunRows);
        using (var linked = new ExternalSorter<(int From, int To)>("campaign-link-pairs", (a, b) => a.CompareTo(b), limits.RunRows))
        using (var commands = new ExternalSorter<Command>("campaign-commands", Command.ByPair, limits.RunRows))
        {
            for (int k = 0; k < Count; k++) linked.Add(HostIds(k));
            long seq = 0;
            for (int i = 0; i < sorted.Count; i++)
            {
                var f = sorted[i];
                if (!qualifies(f)) continue;
                foreach (var target in CampaignBuilder.CommandTargets(f.Detail))
                    if (target != f.Host) commands.Add(new Command(_texts.Id(f.Host), _texts.Id(target), seq++, i));
            }
            using var pairs = linked.Sorted().GetEnumerator();
            bool morePairs = pairs.MoveNext();
            Command last = new(-1, -1, -1, -1);
            foreach (var c in commands.Sorted())
            {
                if (c.From == last.From && c.To == last.To) continue; // a later command naming the pair
                last = c;
                while (morePairs && pairs.Current.CompareTo((c.From, c.To)) < 0) morePairs = pairs.MoveNext();
                if (!morePairs || pairs.Current != (c.From, c.To)) kept.Add(c);
            }
        }
        foreach (var c in kept.Sorted())
        {
            var f = sorted[c.Fact];
            var target = _texts[c.To];
            addHost(target);
            Add(new HostLink(f.Host, target, f.Account, LateralLinker.MethodOfCommand(f.Detail) ?? "remote-execution", f.Time, "", [f.Id]));
        }
    }

    public IEnumerator<HostLink> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _rows.Dispose();
        _evidence.Dispose();
        if (_ownsTexts) _texts.Dispose();
    }

    /// <summary>The folded links of <paramref name="laterals"/> with their evidence among <paramref name="sorted"/> (the
    /// campaign's movement detections in time order).</summary>
    /// <param name="texts">An exact table to number the links' texts in (the campaign's hosts', <see cref="CampaignHosts.Texts"/>:
    /// the hosts' names once for both; it must outlive this table), or null for a table of its own.</param>
    /// <param name="checkpoint">Called between the stages (the fold, each side's evidence) with the stage just done: each
    /// leaves garbage (the movements' texts, the sorts' runs), and the caller may compact the heap there.</param>
    public static LinkTable Build(IEnumerable<Lateral> laterals, IReadOnlyList<DetectionFact> sorted, AddressBook hosts, BuildLimits limits,
        TextTable? texts = null, Action<string>? checkpoint = null)
    {
        var table = new LinkTable(limits, texts);
        try
        {
            table.Fill(laterals, sorted, hosts, limits, checkpoint);
            return table;
        }
        catch
        {
            table.Dispose();
            throw;
        }
    }

    private void Fill(IEnumerable<Lateral> laterals, IReadOnlyList<DetectionFact> sorted, AddressBook hosts, BuildLimits limits,
        Action<string>? checkpoint)
    {
        // 1. Fold.
        var lengths = new SortedSet<int>();
        using var folded = limits.List<Movement>("campaign folded links", walked: true);
        using (var byKey = new ExternalSorter<Movement>("campaign-link-keys", ByKey, limits.RunRows))
        using (var byFirst = new ExternalSorter<Movement>("campaign-link-order", ByFirst, limits.RunRows))
        {
            long seq = 0;
            foreach (var l in laterals)
            {
                byKey.Add(new Movement
                {
                    Ticks = l.Ticks, Seq = seq++, From = _texts.Id(l.From), To = _texts.Id(l.To), Account = _texts.Id(l.Account),
                    Method = _texts.Id(l.Method), Address = _texts.Id(l.SourceAddress), Specific = !CampaignBuilder.GenericMethods.Contains(l.Method),
                });
                if (l.To.Length > 0) lengths.Add(l.To.Length);
            }
            Movement first = default, specific = default;
            bool any = false, haveSpecific = false;
            foreach (var m in byKey.Sorted())
            {
                if (!any || m.From != first.From || m.To != first.To || m.Account != first.Account)
                {
                    if (any) byFirst.Add(Chosen(first, specific, haveSpecific));
                    (first, any, haveSpecific) = (m, true, false);
                }
                if (m.Specific && !haveSpecific) (specific, haveSpecific) = (m, true);
            }
            if (any) byFirst.Add(Chosen(first, specific, haveSpecific));
            foreach (var m in byFirst.Sorted()) folded.Add(m);
        }

        // 2-3. Evidence pairs (link, detection id, detection place), then each link's ids ascending.
        using var pairs = new ExternalSorter<Pair>("campaign-link-evidence", Pair.ByLink, limits.RunRows);
        checkpoint?.Invoke("links folded");
        TargetSide(folded, sorted, pairs, limits);
        checkpoint?.Invoke("links: target-side evidence");
        SourceSide(folded, sorted, hosts, [.. lengths], pairs, limits);
        checkpoint?.Invoke("links: source-side evidence");
        int next = 0;
        int evidenceCount = 0;
        Pair last = new(-1, 0, -1);
        void Flush(int upTo)
        {
            for (; next < upTo; next++)
            {
                var m = folded[next];
                _rows.Add(new Row
                {
                    Ticks = m.Ticks, From = m.From, To = m.To, Account = m.Account, Method = m.Method, Address = m.Address,
                    EvidenceAt = _evidence.Count - evidenceCount, EvidenceCount = evidenceCount,
                });
                evidenceCount = 0;
            }
        }
        // Each (link, detection) comes once: a detection has one row per distinct name hash and one target-side row, a link
        // one source-side row (one name hash), and the two sides never share a pair (the source side skips links to their
        // own source).
        foreach (var p in pairs.Sorted())
        {
            if (p.Link != last.Link) Flush(p.Link);
            _evidence.Add(p.Id);
            evidenceCount++;
            last = p;
        }
        if (last.Link >= 0) Flush(last.Link + 1);
        Flush(folded.Count);
    }

    private static int ByKey(Movement a, Movement b) =>
        a.From != b.From ? a.From.CompareTo(b.From) : a.To != b.To ? a.To.CompareTo(b.To) : a.Account != b.Account ? a.Account.CompareTo(b.Account)
        : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Seq.CompareTo(b.Seq);

    private static int ByFirst(Movement a, Movement b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Seq.CompareTo(b.Seq);

    /// <summary>A key's link: at its first movement's time and place in the input, with the method and address of its first
    /// specific movement if it has one.</summary>
    private static Movement Chosen(Movement first, Movement specific, bool haveSpecific) =>
        haveSpecific ? specific with { Ticks = first.Ticks, Seq = first.Seq } : first;

    /// <summary>Detections on a link's target within the window: (target, time) against (host, time).</summary>
    private void TargetSide(SpillList<Movement> folded, IReadOnlyList<DetectionFact> sorted, ExternalSorter<Pair> pairs, BuildLimits limits)
    {
        using var links = new ExternalSorter<JoinRow>("campaign-link-targets", JoinRow.Compare, limits.RunRows);
        using var facts = new ExternalSorter<JoinRow>("campaign-link-target-facts", JoinRow.Compare, limits.RunRows);
        for (int k = 0; k < folded.Count; k++) links.Add(new JoinRow(folded[k].To, 0, folded[k].Ticks, k, 0));
        for (int i = 0; i < sorted.Count; i++)
        {
            var f = sorted[i];
            int host = _texts.Find(f.Host);
            if (host >= 0) facts.Add(new JoinRow(host, 0, f.Ticks, i, f.Id));
        }
        WindowJoin(links.Sorted(), facts.Sorted(), (link, fact) => pairs.Add(new Pair(link.Index, fact.Id, fact.Index)));
    }

    /// <summary>Detections on a link's source about its target within the window: (source, hash of target) against (host,
    /// hash of a name the detection may be about), each pair confirmed.</summary>
    private void SourceSide(SpillList<Movement> folded, IReadOnlyList<DetectionFact> sorted, AddressBook hosts, int[] lengths,
        ExternalSorter<Pair> pairs, BuildLimits limits)
    {
        using var found = new ExternalSorter<Candidate>("campaign-link-source-pairs", Candidate.ByFact, limits.RunRows);
        using (var links = new ExternalSorter<JoinRow>("campaign-link-sources", JoinRow.Compare, limits.RunRows))
        using (var facts = new ExternalSorter<JoinRow>("campaign-link-source-facts", JoinRow.Compare, limits.RunRows))
        {
            for (int k = 0; k < folded.Count; k++)
            {
                var m = folded[k];
                // A detection on the target is the target side's (and a link to its own source has no other side).
                if (m.From != m.To) links.Add(new JoinRow(m.From, NameHash(_texts[m.To]), m.Ticks, k, m.To));
            }
            var names = new HashSet<int>();
            for (int i = 0; i < sorted.Count; i++)
            {
                var f = sorted[i];
                int host = _texts.Find(f.Host);
                if (host < 0) continue;
                names.Clear();
                names.Add(NameHash(f.TargetServer));
                if (f.DestAddress.Length > 0 && hosts.TryHostOf(f.DestAddress, out var at)) names.Add(NameHash(at));
                NamedHashes(f.Detail, lengths, names);
                foreach (int h in names) facts.Add(new JoinRow(host, h, f.Ticks, i, f.Id));
            }
            WindowJoin(links.Sorted(), facts.Sorted(), (link, fact) => found.Add(new Candidate(link.Index, fact.Id, fact.Index, (int)link.Id)));
        }
        // Confirmed with the detection itself, the detections read in order.
        int read = -1;
        DetectionFact? current = null;
        foreach (var c in found.Sorted())
        {
            if (c.Fact != read) (current, read) = (sorted[c.Fact], c.Fact);
            if (CampaignBuilder.Targets(current!, _texts[c.To], hosts)) pairs.Add(new Pair(c.Link, c.Id, c.Fact));
        }
    }

    /// <summary>A hash of a host name equal for names equal ignoring case (<see cref="CampaignBuilder.NamesHost"/> compares
    /// so; <see cref="CampaignBuilder.Targets"/> confirms).</summary>
    private static int NameHash(ReadOnlySpan<char> name) => string.GetHashCode(name, StringComparison.OrdinalIgnoreCase);

    /// <summary>The hashes of the texts of <paramref name="detail"/> that may name a target (<see cref="LinkEvidence.NameSpans"/>).</summary>
    private static void NamedHashes(string detail, int[] lengths, HashSet<int> into)
    {
        foreach (var (start, length) in LinkEvidence.NameSpans(detail, lengths)) into.Add(NameHash(detail.AsSpan(start, length)));
    }

    /// <summary>Every (link, detection) of equal keys with the detection's time within <see cref="LinkEvidence.Window"/> of
    /// the link's, both inclusive. Both sides come sorted by (keys, time); a key's detections are held only while they are
    /// in the window of its links.</summary>
    private static void WindowJoin(IEnumerable<JoinRow> links, IEnumerable<JoinRow> facts, Action<JoinRow, JoinRow> onPair)
    {
        using var f = facts.GetEnumerator();
        bool moreFacts = f.MoveNext();
        var window = new List<JoinRow>();
        int head = 0;
        long keyA = long.MinValue, keyB = long.MinValue;
        bool started = false;
        foreach (var l in links)
        {
            if (!started || l.KeyA != keyA || l.KeyB != keyB)
            {
                (keyA, keyB, started) = (l.KeyA, l.KeyB, true);
                window.Clear();
                head = 0;
                // Detections of smaller keys have no link.
                while (moreFacts && (f.Current.KeyA < keyA || (f.Current.KeyA == keyA && f.Current.KeyB < keyB))) moreFacts = f.MoveNext();
            }
            while (moreFacts && f.Current.KeyA == keyA && f.Current.KeyB == keyB && f.Current.Ticks <= l.Ticks + LinkEvidence.Window)
            {
                window.Add(f.Current);
                moreFacts = f.MoveNext();
            }
            while (head < window.Count && window[head].Ticks < l.Ticks - LinkEvidence.Window) head++;
            if (head > 1024 && head > window.Count / 2)
            {
                window.RemoveRange(0, head);
                head = 0;
            }
            for (int k = head; k < window.Count; k++) onPair(l, window[k]);
        }
    }
}
