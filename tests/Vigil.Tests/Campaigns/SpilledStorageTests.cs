using Vigil.Campaigns;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Output;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The campaign input on disk (issue 4, third round): detection fact and process rows in temporary files read back through
/// a bounded page cache (<see cref="RowFile{T}"/>), and big campaigns' steps read from the campaign store as they are walked.
/// Tiny pages (3 rows, 2 cached) make every detection and process go through the file, evictions and rewrites included;
/// campaigns built that way from real recordings (OTRF Security Datasets in ../shared) must equal those built with
/// everything in memory, and a file that comes up short must be an error naming the file and the offset.
/// </summary>
public sealed class SpilledStorageTests
{
    private static readonly string[] Recordings = OtrfRecordings.Windows;

    private struct TestRow
    {
        public long A;
        public int B;
        public Guid C;
    }

    private static TestRow Row(int i) => new() { A = i * 7919L - 3, B = ~i, C = new Guid(i, (short)i, (short)(i >> 16), 1, 2, 3, 4, 5, 6, 7, 8) };

    [Fact]
    public void Row_file_gives_back_rows_in_any_order_after_rewrites_and_truncation()
    {
        using var file = new RowFile<TestRow>("test", pageRows: 5, cachePages: 3);
        var expected = new List<TestRow>();
        for (int i = 0; i < 503; i++) { file.Add(Row(i)); expected.Add(Row(i)); }
        Assert.Equal(500, file.Spilled); // whole pages only; the last 3 rows are the page being filled
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], file[i]);
        // Scattered reads: far more pages than the cache holds, so slots are reused all the time.
        var random = new Random(5);
        long before = file.PageReads;
        for (int k = 0; k < 2000; k++)
        {
            int i = random.Next(expected.Count);
            Assert.Equal(expected[i], file[i]);
        }
        Assert.True(file.PageReads - before > 500, $"only {file.PageReads - before} page reads: the cache is not bounded");
        // Rewrites of cached and evicted pages survive eviction (dirty pages are written back).
        for (int i = 0; i < expected.Count; i += 7)
        {
            var r = Row(100_000 + i);
            file.Set(i, r);
            expected[i] = r;
        }
        for (int i = expected.Count - 1; i >= 0; i--) Assert.Equal(expected[i], file[i]);
        // Truncation inside a spilled page brings that page back to be filled again.
        file.Truncate(212);
        expected.RemoveRange(212, expected.Count - 212);
        Assert.Equal(210, file.Spilled);
        for (int i = 0; i < 40; i++) { file.Add(Row(-i)); expected.Add(Row(-i)); }
        Assert.Equal(expected.Count, file.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], file[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => file[expected.Count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => file[-1]);
    }

    [Fact]
    public void Short_read_of_the_row_file_is_an_error_naming_the_file_and_offset()
    {
        using var file = new RowFile<TestRow>("test", pageRows: 4, cachePages: 1);
        for (int i = 0; i < 40; i++) file.Add(Row(i));
        int rowBytes = RowFile<TestRow>.RowBytes;
        // The file loses the end of page 6 (rows 24..27): reading row 25 gets fewer bytes than the page needs.
        long cut = 6L * 4 * rowBytes + rowBytes + 5;
        file.TruncateFileForTest(cut);
        Assert.Equal(Row(3), file[3]);
        var e = Assert.Throws<InvalidDataException>(() => file[25]);
        Assert.Contains(file.FilePath, e.Message);
        Assert.Contains($"offset {cut}", e.Message);
        Assert.Contains("short read", e.Message);
        // A page wholly past the end is reported too, at its first byte.
        var past = Assert.Throws<InvalidDataException>(() => file[33]);
        Assert.Contains($"offset {8L * 4 * rowBytes}", past.Message);
    }

    /// <summary>The whole hunt's facts and processes through 3-row pages with 2 cached, and every text through the stores'
    /// text files (a text budget of 0, nothing pooled), against the same hunt kept in memory (pages larger than the input:
    /// nothing written): the same campaigns, JSON for JSON.</summary>
    [Fact]
    public void Campaigns_from_spilled_rows_equal_campaigns_from_rows_in_memory()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var spilled = Hunt(set, new CampaignCollector(pageRows: 3, cachePages: 2, textChars: 0));
        var inMemory = Hunt(set, new CampaignCollector(pageRows: 100_000, cachePages: 1));

        Assert.True(spilled.Facts.Count > 100, $"only {spilled.Facts.Count} detections");
        Assert.True(spilled.Context.Processes.Count > 100, $"only {spilled.Context.Processes.Count} processes");
        Assert.True(spilled.Facts.SpilledRows >= spilled.Facts.Count - 2, "the facts were not written to the file");
        Assert.True(spilled.Context.Processes.SpilledRows >= spilled.Context.Processes.Count - 2, "the processes were not written to the file");
        Assert.Equal(0, inMemory.Facts.SpilledRows);
        Assert.Equal(0, inMemory.Context.Processes.SpilledRows);
        Assert.Equal(spilled.Context.Processes.TextCount - 1, spilled.Context.Processes.SpilledTexts);
        Assert.Equal(0, inMemory.Context.Processes.SpilledTexts);
        Assert.True(spilled.Facts.SpilledTexts > 100, $"only {spilled.Facts.SpilledTexts} fact texts in the file");
        Assert.Equal(0, spilled.Context.Pool.Count);
        Assert.True(spilled.Facts.TicksAscending, "a hunt's facts come in time order");
        // The rows read back equal.
        Assert.Equal(inMemory.Facts.Count, spilled.Facts.Count);
        for (int i = 0; i < spilled.Facts.Count; i++) CampaignMemoryTests.AssertSameFact(inMemory.Facts[i], spilled.Facts[i]);
        Assert.Equal(inMemory.Context.Processes, spilled.Context.Processes);
        Assert.True(spilled.Context.Logons.Count >= 10, $"only {spilled.Context.Logons.Count} logons");
        Assert.True(spilled.Context.Logons.SpilledRows >= spilled.Context.Logons.Count - 2, "the logons were not written to the file");
        Assert.Equal(0, inMemory.Context.Logons.SpilledRows);
        Assert.Equal(inMemory.Context.Logons, spilled.Context.Logons);
        Assert.Equal(inMemory.Facts.FirstOfEvent(), spilled.Facts.FirstOfEvent());

        // Flows past the first 3 pairs waited as parts for the seal; merged, they equal the flows looked up in memory.
        Assert.True(spilled.Context.Flows.PendingParts > 10, $"only {spilled.Context.Flows.PendingParts} flow parts");
        Assert.Equal(0, inMemory.Context.Flows.PendingParts);
        Assert.Equal(inMemory.Context.Flows.Values.Select(f => (f.Source, f.Dest, f.First, f.Last, f.Count, string.Join(",", f.Ports))),
            spilled.Context.Flows.Values.Select(f => (f.Source, f.Dest, f.First, f.Last, f.Count, string.Join(",", f.Ports))));

        // Addresses past the first 3 were answered from the file; every address has the same host either way.
        Assert.True(spilled.Context.Addresses.FileAnswers >= 5, $"only {spilled.Context.Addresses.FileAnswers} addresses in the file");
        Assert.Equal(0, inMemory.Context.Addresses.FileAnswers);
        Assert.Equal(inMemory.Context.Addresses.Count, spilled.Context.Addresses.Count);

        long procReads = spilled.Context.Processes.PageReads;
        var a = Json(spilled.Build());
        var b = Json(inMemory.Build());
        Assert.True(spilled.Facts.Count == 0, "Build empties the facts");
        Assert.Contains("\"links\"", a);
        Assert.Contains("\"steps\"", a);
        Assert.Equal(b, a);
        Assert.True(spilled.Context.Processes.PageReads > procReads, "the build read no process page back from the file");

        // The same facts out of time order (the builder then joins account runs by sorting): the same campaigns as the
        // in-memory list of the same facts in that order.
        var collector = new CampaignCollector(pageRows: 3, cachePages: 2);
        var facts = Hunt(set, collector).Facts;
        var objects = facts.ToList();
        var shuffled = new FactStore(pageRows: 3, cachePages: 2);
        foreach (var f in objects.AsEnumerable().Reverse()) shuffled.Add(f);
        Assert.False(shuffled.TicksAscending);
        var reversedList = objects.AsEnumerable().Reverse().ToList();
        Assert.Equal(Json(CampaignBuilder.Build(reversedList, collector.Context)), Json(CampaignBuilder.Build(shuffled, collector.Context)));
    }

    /// <summary>Steps of a big campaign are read from the store as they are walked: equal to the campaign put in, by
    /// enumeration (twice), by index in order and out of order; the campaign's JSON is unchanged.</summary>
    [Fact]
    public void Big_campaign_steps_are_read_back_from_the_file_as_walked()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var big = built.OrderByDescending(c => c.Steps.Count).First();
        Assert.True(big.Steps.Count >= 10, $"the biggest campaign has {big.Steps.Count} steps");
        // Many steps, some with long details, so the steps span several 64 KB windows and one step is longer than a window.
        var steps = Enumerable.Range(0, 40).SelectMany(k => big.Steps.Select(s => s with { DetectionId = s.DetectionId + k * 1_000_000, Detail = s.Detail + new string('x', k * 97) })).ToList();
        steps[steps.Count / 2] = steps[steps.Count / 2] with { Detail = new string('\u2028', 70_000) + "\ud800" };
        var many = Copy(big, steps, big.Id);

        using var store = new CampaignStore { LazyStepsAbove = 5 };
        store.Add(many, 10, 1, 1);
        store.Add(built[^1], 5, 1, 2); // a small one stays a plain list
        store.Rank();
        var back = store[0];
        Assert.IsNotType<List<CampaignStep>>(back.Steps);
        Assert.IsType<List<CampaignStep>>(store[1].Steps);
        Assert.Equal(steps.Count, back.Steps.Count);
        Assert.Equal(steps, back.Steps);
        Assert.Equal(steps, back.Steps); // walked again: read again
        Assert.Equal(steps[^1], back.Steps[^1]);
        Assert.Equal(steps[3], back.Steps[3]);
        for (int i = 0; i < steps.Count; i += 13) Assert.Equal(steps[i], back.Steps[i]);
        Assert.Equal(CampaignJson.ToJson(Copy(many, steps, "C1")), CampaignJson.ToJson(back));
        Assert.Equal(CampaignJson.ToJson(Copy(built[^1], built[^1].Steps.ToList(), "C2")), CampaignJson.ToJson(store[1]));
    }

    /// <summary>A big campaign's detection ids are read from the store through a window as they are walked: equal to the
    /// ids put in, by enumeration and by index in and out of order, across several windows; the JSON is unchanged.</summary>
    [Fact]
    public void Big_campaign_detection_ids_are_read_back_from_the_file_as_walked()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var big = built.OrderByDescending(c => c.DetectionIds.Count).First();
        // 20,003 ids: two full windows of 8,192 and part of a third.
        var ids = Enumerable.Range(0, 20_003).Select(i => 3L * i + 7 + (i % 5 == 0 ? 1 : 0)).ToList();
        var many = Copy(big, big.Steps.ToList(), big.Id, ids);

        using var store = new CampaignStore { LazyIdsAbove = 5 };
        store.Add(many, 10, 1, 1);
        store.Add(built[^1], 5, 1, 2); // a small one stays a plain list
        store.Rank();
        var back = store[0];
        Assert.IsNotType<List<long>>(back.DetectionIds);
        Assert.IsType<List<long>>(store[1].DetectionIds);
        Assert.Equal(ids, back.DetectionIds);
        Assert.Equal(ids[^1], back.DetectionIds[^1]);
        Assert.Equal(ids[0], back.DetectionIds[0]);
        Assert.Equal(ids[8_192], back.DetectionIds[8_192]);
        Assert.Equal(ids[8_191], back.DetectionIds[8_191]);
        for (int i = ids.Count - 1; i >= 0; i -= 997) Assert.Equal(ids[i], back.DetectionIds[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => back.DetectionIds[ids.Count]);
        Assert.Equal(CampaignJson.ToJson(Copy(many, many.Steps.ToList(), "C1", ids)), CampaignJson.ToJson(back));
        Assert.Equal(CampaignJson.ToJson(Copy(built[^1], built[^1].Steps.ToList(), "C2")), CampaignJson.ToJson(store[1]));
    }

    /// <summary>A campaign's accounts and addresses past the limit are read from the store as they are walked: equal to the
    /// lists put in (across several 64 KB windows, a text longer than a window, lone surrogates), by enumeration and by
    /// index in and out of order; a list under the limit stays a plain list; the JSON is unchanged.</summary>
    [Fact]
    public void Big_campaign_accounts_and_addresses_are_read_back_from_the_file_as_walked()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var big = built[0];
        var users = Enumerable.Range(0, 9_000).Select(i => $"CORP\\user{i}").ToList();
        users[4_000] = new string('\u00e9', 40_000) + "\ud800";
        var intern = Enumerable.Range(0, 30_000).Select(i => $"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}").ToList();
        var ext = new List<string> { "198.51.100.7", "2001:db8::1" };
        var many = Copy(big, big.Steps.ToList(), big.Id, lists: (users, intern, ext));

        using var store = new CampaignStore { LazyTextsAbove = 5 };
        store.Add(many, 10, 1, 1);
        store.Add(built[^1], 5, 1, 2);
        store.Rank();
        var back = store[0];
        Assert.IsNotType<List<string>>(back.Users);
        Assert.IsNotType<List<string>>(back.InternalAddresses);
        Assert.IsType<List<string>>(back.ExternalAddresses);
        Assert.Equal(users, back.Users);
        Assert.Equal(intern, back.InternalAddresses);
        Assert.Equal(ext, back.ExternalAddresses);
        Assert.Equal(intern.Concat(ext), back.Addresses);
        Assert.Equal(users[4_000], back.Users[4_000]);
        Assert.Equal(users[3], back.Users[3]);
        for (int i = intern.Count - 1; i >= 0; i -= 997) Assert.Equal(intern[i], back.InternalAddresses[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => back.Users[users.Count]);
        Assert.Equal(CampaignJson.ToJson(Copy(many, many.Steps.ToList(), "C1")), CampaignJson.ToJson(back));
        Assert.Equal(CampaignJson.ToJson(Copy(built[^1], built[^1].Steps.ToList(), "C2")), CampaignJson.ToJson(store[1]));
    }

    /// <summary>A campaign's hosts and links past the limits are read from the store as they are walked (an actor moving to
    /// 1M hosts): equal to the lists put in (across several 64 KB windows, a link with more ids than a window holds), by
    /// enumeration and by index in and out of order; short lists stay plain lists; the JSON is unchanged.</summary>
    [Fact]
    public void Big_campaign_hosts_and_links_are_read_back_from_the_file_as_walked()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var big = built.OrderByDescending(c => c.Links.Count).First();
        Assert.True(big.Links.Count > 0, "no campaign with links");
        var hosts = Enumerable.Range(0, 12_000).Select(i => $"EP{i:D7}").ToList();
        hosts[7] = new string('\u00e9', 40_000) + "\ud800";
        var t0 = big.FirstSeen;
        var links = Enumerable.Range(0, 9_000).Select(i => new HostLink("ADM01", hosts[i], "CORP\\svc", i % 3 == 0 ? "wmi" : "smb", t0.AddMilliseconds(50 * i),
            i % 2 == 0 ? "10.0.0.5" : "", Enumerable.Range(0, i % 4).Select(k => 10L * i + k).ToList())).ToList();
        links[4_500] = links[4_500] with { DetectionIds = Enumerable.Range(0, 20_000).Select(k => (long)k).ToList() };
        var many = Copy(big, big.Steps.ToList(), big.Id, hosts: hosts, links: links);

        using var store = new CampaignStore { LazyTextsAbove = 5, LazyStepsAbove = 5 };
        store.Add(many, 10, 1, 1);
        store.Add(built[^1], 5, 1, 2);
        store.Rank();
        var back = store[0];
        Assert.IsNotType<List<string>>(back.Hosts);
        Assert.IsNotType<List<HostLink>>(back.Links);
        Assert.Equal(hosts, back.Hosts);
        Assert.Equal(links.Count, back.Links.Count);
        for (int i = 0; i < links.Count; i++) AssertLink(links[i], back.Links[i]);
        int n = 0;
        foreach (var l in back.Links) AssertLink(links[n++], l); // walked again: read again
        for (int i = links.Count - 1; i >= 0; i -= 997) AssertLink(links[i], back.Links[i]);
        Assert.Equal(hosts[7], back.Hosts[7]);
        Assert.Throws<ArgumentOutOfRangeException>(() => back.Hosts[hosts.Count]);
        Assert.Equal(CampaignJson.ToJson(Copy(many, many.Steps.ToList(), "C1", hosts: hosts, links: links)), CampaignJson.ToJson(back));
        if (built[^1].Hosts.Count <= 5) Assert.IsType<List<string>>(store[1].Hosts);
        Assert.Equal(CampaignJson.ToJson(Copy(built[^1], built[^1].Steps.ToList(), "C2")), CampaignJson.ToJson(store[1]));

        static void AssertLink(HostLink expected, HostLink actual)
        {
            Assert.Equal(expected with { DetectionIds = [] }, actual with { DetectionIds = [] });
            Assert.Equal(expected.DetectionIds, actual.DetectionIds);
        }
    }

    /// <summary>A campaign's theft steps past the limit are read from the store as they are walked (an upload to 100,000s of
    /// endpoints), and id lists past their limit, of a theft step (an upload in millions of pieces) or of a link, are written
    /// after their section and read from the file as walked: equal to what was put in, by enumeration and by index in and
    /// out of order; the JSON is unchanged; a campaign under the limits keeps plain lists.</summary>
    [Fact]
    public void Big_campaign_theft_steps_and_long_id_lists_are_read_back_from_the_file_as_walked()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var big = built.OrderByDescending(c => c.Links.Count).First();
        Assert.True(big.Links.Count > 0, "no campaign with links");
        var t0 = big.FirstSeen;
        var theft = Enumerable.Range(0, 3_000).Select(i => new DataTheft(t0.AddSeconds(i), i % 5 == 0 ? "cloud" : $"SQL{i % 3}", i % 4 == 0 ? "archive" : "upload",
            $"{i} connections to 198.51.{i >> 8}.{i & 255}" + (i == 9 ? new string('\u2028', 70_000) + "\ud800" : ""), 1_000L * i,
            i % 2 == 0 ? "" : $"198.51.{i >> 8}.{i & 255}", Enumerable.Range(0, i % 4).Select(k => 10L * i + k).ToList())).ToList();
        var longIds = Enumerable.Range(0, 20_003).Select(k => 3L * k + 1).ToList();
        theft[1_500] = theft[1_500] with { DetectionIds = longIds };
        theft[2_999] = theft[2_999] with { DetectionIds = Enumerable.Range(0, 1_001).Select(k => 7L * k + 2).ToList() };
        var links = big.Links.Select((l, i) => i == 0 ? l with { DetectionIds = longIds.Skip(7).ToList() } : l).ToList();
        var many = Copy(big, big.Steps.ToList(), big.Id, links: links, theft: theft);

        using var store = new CampaignStore { LazyStepsAbove = 5, LazyIdsAbove = 1_000 };
        store.Add(many, 10, 1, 1);
        store.Add(built[^1], 5, 1, 2);
        store.Rank();
        var back = store[0];
        Assert.IsNotType<List<DataTheft>>(back.Theft);
        Assert.Equal(theft.Count, back.Theft.Count);
        for (int i = 0; i < theft.Count; i++) AssertTheft(theft[i], back.Theft[i]);
        int n = 0;
        foreach (var t in back.Theft) AssertTheft(theft[n++], t); // walked again: read again
        for (int i = theft.Count - 1; i >= 0; i -= 97) AssertTheft(theft[i], back.Theft[i]);
        // The long lists are read from the file as walked; the short ones are in their records.
        Assert.IsNotType<List<long>>(back.Theft[1_500].DetectionIds);
        Assert.IsNotType<List<long>>(back.Theft[2_999].DetectionIds);
        Assert.IsType<List<long>>(back.Theft[3].DetectionIds);
        Assert.Equal(longIds[^1], back.Theft[1_500].DetectionIds[^1]);
        Assert.Equal(longIds[8_192], back.Theft[1_500].DetectionIds[8_192]);
        Assert.IsNotType<List<long>>(back.Links[0].DetectionIds);
        Assert.Equal(links[0].DetectionIds, back.Links[0].DetectionIds);
        Assert.Equal(CampaignJson.ToJson(Copy(many, many.Steps.ToList(), "C1", links: links, theft: theft)), CampaignJson.ToJson(back));
        if (built[^1].Theft.Count <= 5) Assert.IsType<List<DataTheft>>(store[1].Theft);
        Assert.Equal(CampaignJson.ToJson(Copy(built[^1], built[^1].Steps.ToList(), "C2")), CampaignJson.ToJson(store[1]));

        static void AssertTheft(DataTheft expected, DataTheft actual)
        {
            Assert.Equal(expected with { DetectionIds = [] }, actual with { DetectionIds = [] });
            Assert.Equal(expected.DetectionIds, actual.DetectionIds);
        }
    }

    /// <summary>Campaigns past the store's entries in memory are ranked by an external sort and their entries read back from
    /// a file: the same campaigns in the same order as a store holding every entry in memory, and as the rank keys say
    /// (score, first time, first detection id, order added), with ties on every key.</summary>
    [Fact]
    public void Campaigns_past_the_entries_in_memory_rank_as_in_memory()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var built = Hunt(set, new CampaignCollector()).Build().ToList();
        var rng = new Random(7);
        var added = Enumerable.Range(0, 300).Select(i => (Campaign: built[i % built.Count], Score: (double)rng.Next(4), First: (long)rng.Next(3),
            FirstId: (long)rng.Next(3), Seq: i)).ToList();
        added[17] = added[17] with { Score = double.NaN };
        using var small = new CampaignStore { MemoryEntries = 3, RankRunRows = 7 };
        using var memory = new CampaignStore();
        foreach (var a in added)
        {
            small.Add(a.Campaign, a.Score, a.First, a.FirstId);
            memory.Add(a.Campaign, a.Score, a.First, a.FirstId);
        }
        small.Rank();
        memory.Rank();
        var expected = added.OrderByDescending(a => a.Score).ThenBy(a => a.First).ThenBy(a => a.FirstId).ThenBy(a => a.Seq)
            .Select((a, rank) => CampaignJson.ToJson(Copy(a.Campaign, a.Campaign.Steps.ToList(), "C" + (rank + 1)))).ToList();
        Assert.Equal(expected, memory.Select(CampaignJson.ToJson));
        Assert.Equal(expected, small.Select(CampaignJson.ToJson));
        Assert.Equal(expected[250], CampaignJson.ToJson(small[250]));
        Assert.Equal(expected[2], CampaignJson.ToJson(small[2]));
    }

    private static Campaign Copy(Campaign c, List<CampaignStep> steps, string id, IReadOnlyList<long>? ids = null,
        (List<string> Users, List<string> Internal, List<string> External)? lists = null, IReadOnlyList<string>? hosts = null,
        IReadOnlyList<HostLink>? links = null, IReadOnlyList<DataTheft>? theft = null) => new()
    {
        Id = id, Score = c.Score, Kind = c.Kind, Hosts = hosts ?? c.Hosts, Users = lists?.Users ?? c.Users, InternalAddresses = lists?.Internal ?? c.InternalAddresses,
        ExternalAddresses = lists?.External ?? c.ExternalAddresses, Tactics = c.Tactics, Techniques = c.Techniques, FirstSeen = c.FirstSeen, LastSeen = c.LastSeen,
        DetectionIds = ids ?? c.DetectionIds, Levels = c.Levels, Operator = c.Operator, Summary = c.Summary, Steps = steps, Links = links ?? c.Links, Theft = theft ?? c.Theft,
    };

    private static CampaignCollector Hunt(RuleSet set, CampaignCollector collector) => OtrfRecordings.Hunt(set, collector);

    private static string Json(IReadOnlyList<Campaign> campaigns) => OtrfRecordings.Json(campaigns);
}
