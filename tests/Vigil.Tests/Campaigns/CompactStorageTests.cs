using System.Text.RegularExpressions;
using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Output;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The compact storage of a campaign hunt (issue 4, second round): process GUIDs as 16 bytes (<see cref="GuidText"/>),
/// detection facts as rows (<see cref="FactStore"/>), and built campaigns in a temporary file (<see cref="CampaignStore"/>).
/// Each must give back exactly what was put in, and campaigns built through them must be the same, on real recordings
/// from ../shared (OTRF Security Datasets: Sysmon, Security, PowerShell events of real attacks).
/// </summary>
public sealed class CompactStorageTests
{
    /// <summary>Every Windows recording of the OTRF set (~60 MB, ~45 files).</summary>
    private static readonly string[] Recordings = Directory.GetFiles(Path.Combine(TestPaths.Shared, "data", "json", "otrf"), "windows__*.json")
        .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    private static string Otrf(string name) => Path.Combine(TestPaths.Shared, "data", "json", "otrf", name);

    [Fact]
    public void Guid_text_gives_back_each_text_and_compares_as_the_texts_ignoring_case()
    {
        // Real GUIDs as Sysmon wrote them, then the same in other spellings, and texts that are no braced GUID.
        var real = Recordings.Take(8).SelectMany(r => Regex.Matches(File.ReadAllText(Otrf(r)), "\"(?:Parent)?ProcessGuid\":\"([^\"]*)\"").Select(m => m.Groups[1].Value))
            .Distinct(StringComparer.Ordinal).Take(300).ToList();
        Assert.True(real.Count >= 50, $"only {real.Count} GUIDs in the recordings");
        Assert.All(real, g => Assert.True(new GuidText(g).IsPacked, g));
        var texts = new List<string>(real);
        foreach (var g in real.Take(20))
        {
            texts.Add(g.ToUpperInvariant());
            texts.Add(g[..10].ToUpperInvariant() + g[10..]); // mixed case: kept as text, still equal to the others ignoring case
            texts.Add(g[1..^1]); // no braces: kept as text
        }
        texts.AddRange(["", "{00000000-0000-0000-0000-000000000000}", "not-a-guid", "NOT-A-GUID", "{05bfece1-5f04-69af-000b-00000000010}",
            "{05BFECE1-5F04-69AF-000B-000000000100}", "{05bfece1-5f04-69af-000b-000000000100}", "{05bFECE1-5f04-69af-000b-000000000100}"]);

        foreach (var t in texts)
        {
            var g = new GuidText(t);
            Assert.Equal(t, g.ToString());
            Assert.Equal(t.Length == 0, g.IsEmpty);
        }
        foreach (var a in texts)
            foreach (var b in texts)
            {
                bool same = string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
                Assert.True(same == new GuidText(a).Equals(new GuidText(b)), $"'{a}' vs '{b}'");
                if (same) Assert.Equal(new GuidText(a).GetHashCode(), new GuidText(b).GetHashCode());
            }
        // The process record keeps the text it was given, through the packed form.
        var p = new ProcRec(1, "WS1", real[0], real[1].ToUpperInvariant(), 10, 4, "a.exe", "b.exe", "a.exe /x", "CORP\\a", 0x3e8, true);
        Assert.Equal(real[0], p.Guid);
        Assert.Equal(real[1].ToUpperInvariant(), p.ParentGuid);
        Assert.Equal(new GuidText(real[1]), p.ParentGuidKey);
    }

    /// <summary>The context's process rows read back as the records added (GUID spellings, texts, numbers, flags), the field
    /// accessors agree with them, removal keeps the others in order, and the process index over the store links the same
    /// parents as over the records.</summary>
    [Fact]
    public void Proc_store_reads_back_the_process_records()
    {
        var (collector, _) = Hunt();
        var store = collector.Context.Processes;
        Assert.True(store.Count >= 100, $"only {store.Count} process records");
        Assert.True(ProcStore.RowBytes <= 96, $"a process row is {ProcStore.RowBytes} bytes");
        // The same records again, with GUIDs respelled (upper, mixed case, not a GUID) and a 4688-style record without any.
        var records = store.ToList();
        var odd = new List<ProcRec>(records.Take(200));
        odd.Add(records[0] with { Guid = records[0].Guid.ToUpperInvariant(), ParentGuid = records[0].Guid[..10].ToUpperInvariant() + records[0].Guid[10..] });
        odd.Add(records[1] with { Guid = "not-a-guid", ParentGuid = "", Pid = long.MaxValue, LogonId = -1, FromSysmon = false, CommandLine = "x\ud800" });
        var copy = new ProcStore();
        foreach (var r in odd) copy.Add(r);
        Assert.Equal(odd.Count, copy.Count);
        for (int i = 0; i < odd.Count; i++)
        {
            Assert.Equal(odd[i], copy[i]);
            Assert.Equal((odd[i].Guid, odd[i].ParentGuid), (copy[i].Guid, copy[i].ParentGuid));
            Assert.Equal((odd[i].Ticks, odd[i].Host, odd[i].Pid, odd[i].ParentPid, odd[i].LogonId, odd[i].Image, odd[i].ParentImage, odd[i].CommandLine, odd[i].User, odd[i].FromSysmon),
                (copy.Ticks(i), copy.Host(i), copy.Pid(i), copy.ParentPid(i), copy.LogonId(i), copy.Image(i), copy.ParentImage(i), copy.CommandLine(i), copy.User(i), copy.FromSysmon(i)));
        }
        // Removal: every third row goes, the rest keep their order.
        int removed = copy.RemoveWhere(i => i % 3 == 0);
        Assert.Equal(odd.Count - odd.Where((_, i) => i % 3 != 0).Count(), removed);
        Assert.Equal(odd.Where((_, i) => i % 3 != 0), copy);
        copy.Add(odd[0]);
        Assert.Equal(odd[0], copy[^1]);

        // The index over the store and over a plain list of the same records: the same trees.
        var overStore = new Vigil.Campaigns.Linking.ProcessIndex(store);
        var overList = new Vigil.Campaigns.Linking.ProcessIndex(records);
        Assert.Equal(overList.Count, overStore.Count);
        for (int i = 0; i < overStore.Count; i++)
        {
            Assert.Equal(overList.Procs[i], overStore.Procs[i]);
            Assert.Equal(overList.Parent(i), overStore.Parent(i));
            Assert.Equal(overList.Root(i), overStore.Root(i));
        }
        Assert.Contains(Enumerable.Range(0, overStore.Count), i => overStore.Parent(i) >= 0);
    }

    /// <summary>Facts taken by the collector (compact rows) read back equal, field by field, to facts taken the former way
    /// (one object each, event key strings), and both build the same campaigns.</summary>
    [Fact]
    public void Fact_store_reads_back_the_facts_and_builds_the_same_campaigns_as_fact_objects()
    {
        var (collector, detections) = Hunt();
        // The former way: one object per detection with its event key string, the file named by the same "#n" tag.
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        var pool = new TextPool();
        var objects = detections.Select((d, i) =>
        {
            if (!tags.TryGetValue(d.Origin.Source, out var tag)) tags[d.Origin.Source] = tag = "#" + tags.Count;
            return DetectionFact.From(i + 1, d, pool, tag);
        }).ToList();
        var store = collector.Facts;
        Assert.Equal(objects.Count, store.Count);
        Assert.True(store.TextCount < store.Count, $"{store.TextCount} texts for {store.Count} facts: texts are not shared");
        for (int i = 0; i < objects.Count; i++)
        {
            CampaignMemoryTests.AssertSameFact(objects[i], store[i]);
        }
        // Detections of one event: the store's grouping by place is the grouping by key string.
        var first = store.FirstOfEvent();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < objects.Count; i++)
        {
            if (!byKey.TryGetValue(objects[i].EventKey, out int f)) byKey[objects[i].EventKey] = f = i;
            Assert.Equal(f, first[i]);
        }
        Assert.True(byKey.Count < objects.Count, "no event has two detections: the grouping is not exercised");

        // A store filled from fact objects (no places: their key texts) reads back the same too.
        var fromObjects = new FactStore();
        foreach (var f in objects) fromObjects.Add(f);
        Assert.Equal(objects.Select(f => f.EventKey), fromObjects.Select(f => f.EventKey));
        Assert.Equal(first, fromObjects.FirstOfEvent());
        // Ids that are not the positions 1, 2, ... (facts made elsewhere) are kept as given.
        var renumbered = new FactStore();
        renumbered.Add(objects[0]);
        var odd = DetectionFact.From(1000, detections[1], pool, "#0");
        renumbered.Add(odd);
        Assert.Equal([objects[0].Id, 1000L], renumbered.Select(f => f.Id));
        Assert.Equal(odd.EventKey, renumbered[1].EventKey);
        // The row holds its two process GUIDs (16 bytes each, a kind and a text id) instead of ids into a table of distinct
        // GUIDs that grew with the input (issue 4, fourth round): 168 bytes in the file, nothing per GUID in memory.
        Assert.True(FactStore.RowBytes <= 168, $"a fact row is {FactStore.RowBytes} bytes");

        var fromList = Json(CampaignBuilder.Build(objects, collector.Context));
        var fromStore = Json(CampaignBuilder.Build(store, collector.Context));
        Assert.Contains("\"links\"", fromStore);
        Assert.Equal(fromList, fromStore);
    }

    /// <summary>Campaigns go through the temporary file unchanged, come back ranked (score, first time, first detection id,
    /// then the order added) with ids by rank, and so does text that is not valid UTF-16 or needs escaping.</summary>
    [Fact]
    public void Campaign_store_reads_back_each_campaign_in_rank_order()
    {
        var (collector, _) = Hunt();
        var built = collector.Build();
        Assert.True(built.Count >= 3, $"only {built.Count} campaigns");
        var originals = built.ToList();
        Assert.Equal(originals.Select((_, i) => "C" + (i + 1)), originals.Select(c => c.Id));

        // Added in reverse with rank keys that reverse them again: ties on score and time fall to the first detection id.
        using var store = new CampaignStore();
        for (int i = originals.Count - 1; i >= 0; i--)
            store.Add(originals[i], score: i < 2 ? 50 : 10, first: 7, firstId: i);
        store.Rank();
        Assert.Equal(originals.Count, store.Count);
        Assert.True(store.FileLength > 0);
        for (int i = 0; i < originals.Count; i++)
        {
            var back = store[i];
            Assert.Equal("C" + (i + 1), back.Id);
            Assert.Equal(CampaignJson.ToJson(originals[i]), CampaignJson.ToJson(back));
        }
        Assert.Equal(originals.Select(CampaignJson.ToJson), store.Select(CampaignJson.ToJson));

        // Odd text and values: a lone surrogate, U+2028, a local time, an infinite measurement.
        var odd = originals[0];
        var strange = new Campaign
        {
            Id = "x", Score = double.NaN, Kind = "suspicious", Hosts = ["WS\ud800", "\u2028<script>"], Users = [], InternalAddresses = [],
            ExternalAddresses = ["203.0.113.9"], Tactics = odd.Tactics, Techniques = odd.Techniques,
            FirstSeen = new DateTime(2026, 3, 10, 8, 0, 0, DateTimeKind.Local), LastSeen = DateTime.MaxValue,
            DetectionIds = [long.MaxValue, 1], Levels = new Dictionary<string, long> { ["low"] = 2, ["high"] = 1 },
            Operator = new OperatorVerdict { Kind = "unknown", Confidence = 0.5, Evidence = new Dictionary<string, double> { ["b"] = double.PositiveInfinity, ["a"] = -0.0 }, Reasons = ["r\udc00"] },
            Summary = "", Steps = odd.Steps, Links = odd.Links, Theft = [new DataTheft(DateTime.MinValue, "H", "upload", "d\r\n", 5, "x", [3])],
        };
        using var one = new CampaignStore();
        one.Add(strange, 1, 1, 1);
        var s = one.Rank()[0];
        Assert.Equal("C1", s.Id);
        Assert.True(double.IsNaN(s.Score));
        Assert.Equal(strange.Hosts, s.Hosts);
        Assert.Equal(strange.FirstSeen, s.FirstSeen);
        Assert.Equal(DateTimeKind.Local, s.FirstSeen.Kind);
        Assert.Equal(strange.LastSeen, s.LastSeen);
        Assert.Equal(strange.DetectionIds, s.DetectionIds);
        Assert.Equal(strange.Levels.ToList(), s.Levels.ToList());
        Assert.Equal(strange.Operator.Evidence.ToList(), s.Operator.Evidence.ToList());
        Assert.Equal(strange.Operator.Reasons, s.Operator.Reasons);
        Assert.Equal(strange.Theft, s.Theft, (x, y) => x.Time == y.Time && x.Detail == y.Detail && x.DetectionIds.SequenceEqual(y.DetectionIds));
        Assert.Throws<ArgumentOutOfRangeException>(() => one[1]);
    }

    private static (CampaignCollector Collector, List<Detection> Detections) Hunt()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand(Recordings.Select(Otrf).ToList(), LogFormats.All, diag);
        var collector = new CampaignCollector();
        var detections = new List<Detection>();
        using (var result = Hunter.Run(files, set.Rules, diag, degree: 2, correlate: set, observer: collector.Context))
            detections.AddRange(collector.Tee(result.Detections));
        Assert.Empty(diag.Errors);
        Assert.True(detections.Count > 100, $"only {detections.Count} detections");
        return (collector, detections);
    }

    private static string Json(IReadOnlyList<Campaign> campaigns)
    {
        using var m = new MemoryStream();
        CampaignJson.Write(campaigns, m);
        return System.Text.Encoding.UTF8.GetString(m.ToArray());
    }
}
