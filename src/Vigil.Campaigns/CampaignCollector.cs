using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Engine.Hunting;

namespace Vigil.Campaigns;

/// <summary>
/// Everything a hunt hands the campaign builder: the context (pass <see cref="Context"/> to the hunter as its observer)
/// and a compact fact per detection, taken while the detection stream is read (<see cref="Tee"/> numbers detections
/// 1, 2, ... in output order, the same ids as JSON lines and every hunt sink).
/// </summary>
public sealed class CampaignCollector
{
    public ContextCollector Context { get; }
    /// <summary>The facts taken by <see cref="Tee"/>, compact (see <see cref="FactStore"/>); emptied by <see cref="Build"/>.</summary>
    public FactStore Facts { get; }

    public CampaignCollector()
    {
        Context = new ContextCollector();
        Facts = new FactStore();
    }

    /// <summary>Tests: fact and process rows in temporary-file pages of <paramref name="pageRows"/> rows with
    /// <paramref name="cachePages"/> pages in memory (tiny ones make every part of the spilled storage run); with
    /// <paramref name="textChars"/>, every store's texts and the shared pool get that memory budget (0: every text goes to
    /// the stores' files, none is pooled) and the process hosts' exact table keeps its slots in a file. Flows and addresses are looked up in memory up to <paramref name="pageRows"/>
    /// of them, the rest through their files.</summary>
    internal CampaignCollector(int pageRows, int cachePages, long? textChars = null)
    {
        // Flows: as many pairs looked up in memory as a page holds, the rest merged by a sort in runs of 5.
        var flows = textChars is { } ft ? new FlowStore(pageRows, cachePages, ft, pageRows, 5) : new FlowStore(pageRows, cachePages, indexedPairs: pageRows, sortRunRows: 5);
        // Addresses: as many answers in memory as a page holds, the rest looked up in the file; votes sorted in runs of 5.
        var addresses = new AddressBook(pageRows, 5, pageRows, cachePages, textChars ?? TextTable.DefaultMemoryChars / 4);
        Context = textChars is { } t
            ? new ContextCollector(new ProcStore(pageRows, cachePages, t, hostChars: t, hostSlots: 1), new LogonStore(pageRows, cachePages, t), new TextPool(maxChars: t), flows, addresses)
            : new ContextCollector(new ProcStore(pageRows, cachePages), new LogonStore(pageRows, cachePages), flows: flows, addresses: addresses);
        Facts = textChars is { } f ? new FactStore(pageRows, cachePages, f) : new FactStore(pageRows, cachePages);
    }

    /// <summary>Source file → "#n": event keys name the file by this tag, not by its path (one key string per event with detections).</summary>
    private readonly Dictionary<string, string> _sourceTags = new(StringComparer.Ordinal);

    public IEnumerable<Detection> Tee(IEnumerable<Detection> detections)
    {
        long id = 0;
        foreach (var d in detections)
        {
            id++;
            // The context's pool: a detection's host, account, image and command line are mostly already there.
            if (!_sourceTags.TryGetValue(d.Origin.Source, out var tag))
                _sourceTags[d.Origin.Source] = tag = "#" + _sourceTags.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Facts.Add(DetectionFact.From(id, d, Context.Pool, tag, keyString: false));
            yield return d;
        }
    }

    /// <summary>Groups of informational detections only that <see cref="Build"/> left out (see CampaignBuilder.Build).</summary>
    public int InformationalOnlyGroups { get; private set; }

    /// <param name="onPhase">See <see cref="CampaignBuilder.Build(IReadOnlyList{DetectionFact}, ContextCollector?, out int, Action{BuildPhase, string}?)"/>.</param>
    public IReadOnlyList<Campaign> Build(Action<BuildPhase, string>? onPhase = null)
    {
        // Everything is read: the pool's index is no longer needed (the pooled strings stay where they are used).
        Context.Pool.Clear();
        Facts.Seal();
        var campaigns = CampaignBuilder.Build(Facts, Context, out int left, onPhase);
        InformationalOnlyGroups = left;
        // The campaigns hold what they need; the facts (hundreds of thousands on a long day) would otherwise stay alive while
        // the outputs are written. The context's records stay: the hunt's summary line counts them.
        Facts.Clear();
        return campaigns;
    }
}
