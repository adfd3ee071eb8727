using Vigil.IO;
using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Linking;
using Vigil.Campaigns.Output;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The campaign build's structures sorted in runs of a fixed size and looked up in temporary files (issue 4, fourth round):
/// <see cref="ExternalSorter{T}"/>, <see cref="SortedRows{T}"/> and the process index's lookups over them. Tiny runs and
/// pages (a few rows) force every sort through merged runs and every lookup through page reads; the results on real
/// recordings (OTRF Security Datasets in ../shared) must equal those of the same structures held in memory.
/// </summary>
public sealed class ExternalBuildTests
{
    private static readonly string[] Recordings = OtrfRecordings.Windows;

    /// <summary>Tiny: every sort of more than 5 rows is merged from runs, every lookup page holds 3 rows and 2 are cached,
    /// every campaign is assembled as a big one (facts and processes read on demand, steps folded as they are written).
    /// Every table with an entry per detection or process past 7 entries is in a file of 3-value pages, 2 cached. Every entity
    /// key text is kept in a file and keyed by hash, every host table's slots are in a file; a campaign lists its first 2 accounts and addresses from memory, the rest
    /// from files; the account runs of 2 (host, account) keys are joined in memory, the rest after a sort.</summary>
    internal static readonly BuildLimits Tiny = new(RunRows: 5, PageRows: 3, CachePages: 2, BigGroup: 0, MemoryItems: 7)
        { SpillPageRows = 3, SpillCachePages = 2, KeyTextChars = 0, ListTexts = 2, AccountKeys = 2, KeySlots = 1 };
    /// <summary>Larger than any test input: nothing sorted in runs, nothing read back, every campaign's facts held.</summary>
    internal static readonly BuildLimits InMemory = new(RunRows: 10_000_000, PageRows: 10_000_000, CachePages: 1, BigGroup: int.MaxValue,
        MemoryItems: int.MaxValue);

    private readonly record struct Item(int Key, int Index);

    private static int Compare(Item a, Item b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Index.CompareTo(b.Index);

    [Fact]
    public void External_sort_in_tiny_runs_equals_a_sort_in_memory()
    {
        var random = new Random(11);
        // Many equal keys (the index breaks ties), a run size that does not divide the count, blocks smaller than a run.
        var items = Enumerable.Range(0, 1003).Select(i => new Item(random.Next(50), i)).ToArray();
        var expected = items.ToArray();
        Array.Sort(expected, Compare);

        using var external = new ExternalSorter<Item>("test", Compare, runRows: 7, blockRows: 3);
        foreach (var x in items) external.Add(x);
        var merged = external.Sorted().ToList();
        Assert.Equal(144, external.Runs); // 1003 rows in runs of 7: 143 full runs and one of 2
        Assert.Equal(expected, merged);

        using var inMemory = new ExternalSorter<Item>("test", Compare);
        foreach (var x in items) inMemory.Add(x);
        Assert.Equal(expected, inMemory.Sorted().ToList());
        Assert.Equal(0, inMemory.Runs);

        // Equal rows (the same row added twice) are both kept.
        using var twice = new ExternalSorter<Item>("test", Compare, runRows: 3, blockRows: 2);
        foreach (var x in items.Take(10).Concat(items.Take(10))) twice.Add(x);
        Assert.Equal(items.Take(10).Concat(items.Take(10)).Order(Comparer<Item>.Create(Compare)).ToList(), twice.Sorted().ToList());

        using var empty = new ExternalSorter<Item>("test", Compare, runRows: 2);
        Assert.Empty(empty.Sorted());
    }

    /// <summary>More runs than are merged at once: merge passes fold the first runs into longer ones (appended to the same
    /// file) until few enough are left, so the merge holds at most that many blocks however many rows came. Any width gives
    /// the sort in memory; without the passes (or with a pass that loses or repeats rows) the counts or the order differ.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(64)]
    public void Merge_passes_bound_the_runs_merged_at_once(int width)
    {
        var random = new Random(width);
        var items = Enumerable.Range(0, 1003).Select(i => new Item(random.Next(40), i)).ToArray();
        var expected = items.ToArray();
        Array.Sort(expected, Compare);
        using var sorter = new ExternalSorter<Item>("test", Compare, runRows: 7, blockRows: 3, mergeWidth: width);
        foreach (var x in items) sorter.Add(x);
        Assert.Equal(expected, sorter.Sorted().ToList());
        Assert.Equal(144, sorter.Runs);
        // Each pass turns `width` runs into one: (144 - width) / (width - 1) passes, rounded up, leave at most `width`.
        Assert.Equal((144 - width + width - 2) / (width - 1), sorter.MergedRuns);
    }

    [Fact]
    public void Short_read_of_a_sort_run_is_an_error_naming_the_file_and_offset()
    {
        using var sorter = new ExternalSorter<Item>("test", Compare, runRows: 4, blockRows: 2);
        for (int i = 0; i < 20; i++) sorter.Add(new Item(20 - i, i));
        sorter.Add(new Item(0, 99)); // a sixth run, still in memory: written when the sort begins
        var rowBytes = ExternalSorter<Item>.RowBytes;
        using var merged = sorter.Sorted().GetEnumerator();
        Assert.True(merged.MoveNext()); // every run written, the first block of each read
        Assert.Equal(new Item(0, 99), merged.Current);
        // Keys descend as added: run 4 (rows 16-19, the smallest keys) needs its second block (rows 18-19) first; the file
        // now ends after row 18, in the middle of that block.
        sorter.TruncateFileForTest(rowBytes * 19);
        var error = Assert.Throws<InvalidDataException>(() => { while (merged.MoveNext()) { } });
        Assert.True(error.Message.Contains("vigil-sort-test-"), error.Message);
        Assert.True(error.Message.Contains($"short read at offset {rowBytes * 19}: {rowBytes} of {2 * rowBytes} bytes"), error.Message);
        Assert.Contains("run 4 (rows 18..19)", error.Message);
    }

    [Fact]
    public void Sorted_rows_find_the_first_row_not_below_a_key_through_tiny_pages()
    {
        var random = new Random(3);
        var keys = Enumerable.Range(0, 500).Select(_ => random.Next(300)).Order().ToArray();
        using var rows = new SortedRows<Item>("test", pageRows: 3, cachePages: 2);
        for (int i = 0; i < keys.Length; i++) rows.Add(new Item(keys[i], i));
        Assert.True(rows.Spilled >= 498);
        // Keys in random order: the 2 cached pages rarely hold the next one.
        foreach (int key in Enumerable.Range(-1, 303).OrderBy(_ => random.Next()))
        {
            int expected = Array.FindIndex(keys, k => k >= key);
            if (expected < 0) expected = keys.Length;
            Assert.Equal(expected, rows.LowerBound(key, static (e, k) => e.Key < k));
        }
        Assert.True(rows.PageReads > 200, $"only {rows.PageReads} page reads");
    }

    /// <summary>The process index over the OTRF Windows recordings with its lookups sorted in 5-row runs and read through
    /// 3-row pages (2 cached), against the same index with everything in memory: the same trees, and the same answer to
    /// every lookup the build makes (each detection's GUID and pid, each process's parent, host windows around each process);
    /// then the whole build both ways: the same campaigns.</summary>
    [Fact]
    public void Process_lookups_from_sorted_files_equal_lookups_in_memory_on_real_recordings()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var collector = Hunt(set, new CampaignCollector());
        var procs = collector.Context.Processes;
        Assert.True(procs.Count > 100, $"only {procs.Count} processes");

        var tiny = new ProcessIndex(procs, Tiny);
        var memory = new ProcessIndex(procs, InMemory);
        Assert.True(tiny.LookupRowsSpilled > 3 * procs.Count / 2, $"only {tiny.LookupRowsSpilled} lookup rows in the files");
        Assert.Equal(0, memory.LookupRowsSpilled);
        Assert.True(tiny.LookupPageReads > 10, $"only {tiny.LookupPageReads} lookup pages read back while the trees were made");
        Assert.Equal(memory.Count, tiny.Count);
        int withParent = 0;
        for (int i = 0; i < tiny.Count; i++)
        {
            Assert.Equal(memory.Procs[i], tiny.Procs[i]);
            Assert.Equal(memory.Parent(i), tiny.Parent(i));
            Assert.Equal(memory.Root(i), tiny.Root(i));
            if (tiny.Parent(i) >= 0) withParent++;
            Assert.Equal(memory.ByGuid(tiny.GuidKey(i)), tiny.ByGuid(tiny.GuidKey(i)));
            var host = tiny.Host(i);
            long t = tiny.Ticks(i);
            Assert.Equal(memory.Window(host, t - TimeSpan.TicksPerMinute, t + TimeSpan.TicksPerSecond * 30),
                tiny.Window(host, t - TimeSpan.TicksPerMinute, t + TimeSpan.TicksPerSecond * 30));
            long pid = tiny.Procs[i].Pid;
            Assert.Equal(memory.ByPid(host, pid, t), tiny.ByPid(host, pid, t));
        }
        Assert.True(withParent > tiny.Count / 3, $"only {withParent} of {tiny.Count} processes have a parent");
        int found = 0;
        foreach (var f in collector.Facts)
        {
            int g = tiny.ByGuid(f.ProcessGuidKey);
            Assert.Equal(memory.ByGuid(f.ProcessGuidKey), g);
            if (g >= 0) found++;
            Assert.Equal(memory.ByPid(f.Host, f.ProcessId, f.Ticks), tiny.ByPid(f.Host, f.ProcessId, f.Ticks));
        }
        Assert.True(found > 100, $"only {found} detections found their process by GUID");
        Assert.True(tiny.LookupPageReads > procs.Count, $"only {tiny.LookupPageReads} lookup pages read back");
        Assert.Equal(-1, tiny.ByGuid("{00000000-0000-0000-0000-000000000001}"));
        tiny.ReleaseLookups();
        Assert.Throws<InvalidOperationException>(() => tiny.ByGuid("{00000000-0000-0000-0000-000000000001}"));

        var a = Json(CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, Tiny));
        var b = Json(CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, InMemory));
        Assert.Contains("\"links\"", a);
        Assert.Equal(b, a);
    }

    /// <summary>Process keys that are not braced GUIDs (ids without braces, other products' ids) are looked up through rows
    /// sorted by a hash of the text in upper case, confirmed by the process's own key: against a dictionary of keys ignoring
    /// case filled in start order (what the index held before), with real hashes and with every key's hash one of three, in
    /// tiny pages and in memory. Keys repeat (a process logged twice) and differ only in case.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Text_process_keys_from_sorted_rows_equal_a_dictionary_ignoring_case(bool collide)
    {
        var rng = new Random(5);
        var procs = new List<ProcRec>();
        long t0 = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc).Ticks;
        for (int i = 0; i < 600; i++)
        {
            int k = rng.Next(400);
            string key = (k % 4) switch { 0 => $"p{k}", 1 => $"P{k}", 2 => $"5a1b{k:x4}-0000-0000-0000-00000000{k:x4}", _ => $"{{5A1B{k:X4}-0000-0000-0000-00000000{k:X4}" };
            if (i % 7 == 0) key = key.ToUpperInvariant();
            string parent = i % 3 == 0 ? $"p{rng.Next(400)}" : $"P{rng.Next(400)}";
            procs.Add(new ProcRec(t0 + rng.Next(86_400) * TimeSpan.TicksPerSecond, "H" + (k % 5), key, parent, 1000 + i, 4, @"C:\w\a.exe",
                @"C:\w\b.exe", "a.exe " + i, "CORP\\u", 0x3e7, true));
        }
        Func<string, UInt128>? hash = collide ? text => (UInt128)(text.ToUpperInvariant().Length % 3) : null;
        using var tiny = new ProcessIndex(procs, Tiny, hash);
        using var memory = new ProcessIndex(procs, InMemory, hash);
        var reference = new Dictionary<GuidText, int>();
        for (int i = 0; i < tiny.Count; i++) reference.TryAdd(tiny.GuidKey(i), i);
        Assert.Contains(reference.Keys, g => !g.IsGuid);
        Assert.True(reference.Count < tiny.Count - 100, "too few repeated keys");
        foreach (var index in new[] { tiny, memory })
        {
            for (int i = 0; i < index.Count; i++)
            {
                Assert.Equal(reference[index.GuidKey(i)], index.ByGuid(index.GuidKey(i)));
                Assert.Equal(reference[index.GuidKey(i)], index.ByGuid(index.GuidKey(i).ToString().ToLowerInvariant()));
                var parent = new GuidText(index.Procs[i].ParentGuid);
                Assert.Equal(reference.TryGetValue(parent, out int p) && p != i ? p : -1, index.Parent(i));
            }
            Assert.Equal(-1, index.ByGuid("p400"));
            Assert.Equal(-1, index.ByGuid("q1"));
        }
        Assert.True(tiny.LookupRowsSpilled > 0);
    }

    /// <summary>A simulated intrusion day (movement, services, cloud theft) built with every campaign assembled as a big
    /// one (its facts and processes read on demand through blocks, its steps folded as the store writes them) and in tiny
    /// runs and pages, against everything in memory: the same campaigns, JSON for JSON. Big campaigns of real days have
    /// more than 16,384 detections; a block of the on-demand lists is 512, so one campaign here spans several.</summary>
    [Fact]
    public void Campaigns_assembled_from_facts_read_on_demand_equal_campaigns_from_facts_in_memory()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var dir = Vigil.Tests.Cli.CliRunner.TempDir("camp-big-groups");
        Assert.Equal(0, Vigil.Tests.Cli.CliRunner.Run("simulate", "--out", dir, "--scenario", "machine", "--events", "20000", "--seed", "1").ExitCode);
        var collector = Hunt(set, new CampaignCollector(), [Path.Combine(dir, "logs")]);
        var lazy = CampaignBuilder.Build(collector.Facts, collector.Context, out int leftLazy, null, Tiny);
        var memory = CampaignBuilder.Build(collector.Facts, collector.Context, out int leftMemory, null, InMemory);
        Assert.Equal(leftMemory, leftLazy);
        var a = Json(lazy);
        Assert.Contains("\"theft\"", a);
        Assert.True(lazy.Max(c => c.DetectionIds.Count) > BlockCachedList<DetectionFact>.BlockSize, $"the biggest campaign has {lazy.Max(c => c.DetectionIds.Count)} detections");
        Assert.Contains(lazy, c => c.Steps.Count > 1 && c.Links.Count > 0);
        Assert.Equal(Json(memory), a);
    }

    /// <summary>The on-demand list: items made a block at a time, the last blocks kept, every index read back in any
    /// order equal to the item made for it.</summary>
    [Fact]
    public void Block_cached_list_makes_each_item_from_its_index_and_keeps_only_a_few_blocks()
    {
        int made = 0;
        int count = BlockCachedList<string>.BlockSize * (BlockCachedList<string>.CachedBlocks + 3) + 7;
        var list = new BlockCachedList<string>(count, i => { made++; return "item " + i; });
        Assert.Equal(count, list.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => "item " + i), list);
        Assert.Equal(count, made);
        var random = new Random(2);
        for (int k = 0; k < 5_000; k++) { int i = random.Next(count); Assert.Equal("item " + i, list[i]); }
        Assert.True(list.BlocksMade > BlockCachedList<string>.CachedBlocks + 3, "blocks were never dropped and made again");
        Assert.Throws<ArgumentOutOfRangeException>(() => list[count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1]);
        var steps = new EnumeratedList<int>(() => Enumerable.Range(10, 5));
        Assert.Equal(5, steps.Count);
        Assert.Equal(12, steps[2]);
        Assert.Equal([10, 11, 12, 13, 14], steps);
    }

    /// <summary>The lateral linker with its candidates, sessions and targets in 5-row runs and 3-row pages (2 cached) against
    /// the same with everything in memory: the same links, keys and all. The OTRF recordings have one movement; a simulated
    /// day (PsExec, WMI and RDP movement, services, many network logons) has dozens.</summary>
    [Theory]
    [InlineData("otrf")]
    [InlineData("simulated")]
    public void Lateral_links_from_sorted_files_equal_links_in_memory(string input)
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        string[] inputs = Recordings;
        if (input == "simulated")
        {
            var dir = Vigil.Tests.Cli.CliRunner.TempDir("camp-external-sim");
            Assert.Equal(0, Vigil.Tests.Cli.CliRunner.Run("simulate", "--out", dir, "--events", "8000", "--seed", "5").ExitCode);
            inputs = [Path.Combine(dir, "logs")];
        }
        var ctx = Hunt(set, new CampaignCollector(), inputs).Context;
        var hosts = ctx.Addresses;
        string? probe = null;
        using var tinyLinks = LateralLinker.Find(ctx, new ProcessIndex(ctx.Processes, Tiny), hosts, line => probe = line, Tiny);
        using var memoryLinks = LateralLinker.Find(ctx, new ProcessIndex(ctx.Processes, InMemory), hosts, null, InMemory);
        var tiny = tinyLinks.All().ToList();
        var memory = memoryLinks.All().ToList();
        static string Text(Lateral l) => $"{l.From}>{l.To} {l.Account} {l.Method} {l.Ticks} {l.SourceAddress} from [{string.Join(",", l.FromKeys)}] to [{string.Join(",", l.ToKeys)}]";
        Assert.True(memory.Count >= (input == "otrf" ? 1 : 10), $"only {memory.Count} links");
        if (input == "simulated") Assert.Contains(memory, l => l.FromKeys.Count > 0 && l.ToKeys.Count > 1 && l.Method == "psexec");
        Assert.Equal(memory.Select(Text), tiny.Select(Text));
        // More candidates than a page, and sessions with processes: the files were used.
        Assert.NotNull(probe);
        var candidates = int.Parse(probe.Split(' ')[0], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        var sessions = int.Parse(probe.Split(", ")[1].Split(' ')[0], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(candidates > 2 * Tiny.PageRows && sessions > Tiny.PageRows, probe);
    }

    /// <summary>Entity keys joined by sorting (key, node) rows in runs (<see cref="KeyJoin"/>) against the dictionary of key
    /// nodes it replaced (<see cref="UnionFind.Node(UnionFind.Key)"/>): the same sets, and the same answers to questions about
    /// keys (a key's set, -1 for a key with no member; a session's only if it is marked a network logon's), with 7-row runs
    /// (many runs merged) and in memory.</summary>
    [Fact]
    public void Keys_joined_by_sorting_give_the_sets_of_a_dictionary_of_key_nodes()
    {
        var random = new Random(17);
        const int nodes = 3000;
        string[] hosts = ["WS01", "WS02", "SRV", "DC01", ""];
        UnionFind.Key RandomKey() => random.Next(3) switch
        {
            0 => UnionFind.Key.Of("X|203.0.113." + random.Next(400)),
            1 => UnionFind.Key.Tree(random.Next(2000)),
            _ => UnionFind.Key.Session(hosts[random.Next(hosts.Length)], random.Next(300) * 0x1000L),
        };
        var members = Enumerable.Range(0, 2500).Select(_ => (Key: RandomKey(), Node: random.Next(nodes))).ToList();
        var network = Enumerable.Range(0, 200).Select(_ => UnionFind.Key.Session(hosts[random.Next(hosts.Length)], random.Next(300) * 0x1000L)).ToList();
        var questions = Enumerable.Range(0, 1500).Select(i => (Key: RandomKey(), Type: (KeyJoin.RowType)(2 + random.Next(3)), Id: i)).ToList();
        // Node-node unions too (events and account runs are joined directly).
        var direct = Enumerable.Range(0, 300).Select(_ => (random.Next(nodes), random.Next(nodes))).ToList();

        // Expected: a node per key, as the builder did before.
        var reference = new UnionFind(nodes);
        for (int i = 0; i < nodes; i++) reference.Add();
        foreach (var (a, b) in direct) reference.Union(a, b);
        foreach (var (key, node) in members) reference.Union(node, reference.Node(key));
        var networkSet = network.ToHashSet();
        int Label(UnionFind uf, int root)
        {
            // A set by its smallest detection node (roots differ between the two ways; sets do not).
            for (int i = 0; i < nodes; i++) if (uf.Find(i) == root) return i;
            return -1;
        }
        var expectedAnswers = questions.Select(q =>
        {
            if (q.Type == KeyJoin.RowType.SessionQuery && !networkSet.Contains(q.Key)) return -1;
            int root = reference.FindKey(q.Key);
            return root < 0 ? -1 : Label(reference, root);
        }).ToList();
        var expectedSets = Enumerable.Range(0, nodes).Select(i => Label(reference, reference.Find(i))).ToList();

        // Text keys numbered in memory, or all kept in a file and keyed by hash (real hashes, and hashes that collide for
        // every text of one length: the rows of different texts with one hash must stay different keys).
        var hashedKeys = new BuildLimits(RunRows: 7, PageRows: 3, CachePages: 2) { KeyTextChars = 0 };
        Func<string, UInt128> colliding = t => (UInt128)(t.Length % 3);
        // Two recent texts remembered: a text seen again later gets a second id, and is still the same key.
        foreach (var (limits, hash, recent) in new (BuildLimits, Func<string, UInt128>?, int)[]
                 {
                     (new BuildLimits(RunRows: 7, PageRows: 3, CachePages: 2), null, TextTable.RecentSpilled), (InMemory, null, TextTable.RecentSpilled),
                     (hashedKeys, null, TextTable.RecentSpilled), (hashedKeys, null, 2), (hashedKeys, colliding, 2),
                     (InMemory with { KeyTextChars = 0 }, colliding, TextTable.RecentSpilled),
                 })
        {
            // The tiny limits' union-find keeps its nodes in files of 3-node pages.
            using var uf = limits.RunRows == 7 ? new UnionFind(nodes, memoryNodes: 7, pageRows: 3, cachePages: 2) : new UnionFind(nodes);
            for (int i = 0; i < nodes; i++) uf.Add();
            Assert.Equal(limits.RunRows == 7, uf.Spilled);
            foreach (var (a, b) in direct) uf.Union(a, b);
            using var keys = new KeyJoin(limits, hash, recent);
            foreach (var (key, node) in members) keys.Member(key, node);
            foreach (var key in network) keys.NetworkSession(key.Text!, key.Number);
            foreach (var q in questions) keys.Query(q.Key, q.Type, q.Id);
            var answers = new int[questions.Count];
            Array.Fill(answers, -2);
            bool unionsDone = false;
            keys.Resolve(uf, () => unionsDone = true, (type, id, root) =>
            {
                Assert.True(unionsDone, "a question was answered before every union was done");
                Assert.Equal(questions[id].Type, type);
                answers[id] = root < 0 ? -1 : Label(uf, root);
            });
            if (limits.RunRows == 7) Assert.True(keys.Runs > 100, $"only {keys.Runs} runs");
            else Assert.Equal(0, keys.Runs);
            Assert.Equal(limits.KeyTextChars == 0, keys.HashedTexts >= 300);
            // Only 400 distinct texts: with two remembered, texts were spilled again under new ids.
            if (recent == 2) Assert.True(keys.HashedTexts > 500, $"{keys.HashedTexts} spilled texts");
            Assert.Equal(expectedSets, Enumerable.Range(0, nodes).Select(i => Label(uf, uf.Find(i))).ToList());
            Assert.Equal(expectedAnswers, answers.ToList());
        }
        Assert.Contains(expectedAnswers, a => a >= 0);
        Assert.Contains(expectedAnswers, a => a < 0);
    }

    /// <summary>Detections of one event joined from (hash, index) pairs sorted in 5-row runs, against the in-memory
    /// <see cref="FactStore.FirstOfEvent"/> of the same OTRF hunt (facts through 3-row pages): the same first of each
    /// detection's event.</summary>
    [Fact]
    public void Events_joined_from_sorted_runs_equal_the_first_of_each_event_in_memory()
    {
        var set = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules")], includeBuiltin: true);
        var facts = Hunt(set, new CampaignCollector(pageRows: 3, cachePages: 2)).Facts;
        var expected = facts.FirstOfEvent();
        foreach (int runRows in new[] { 5, 10_000_000 })
        {
            var joined = Enumerable.Range(0, facts.Count).ToArray();
            facts.JoinEvents((i, first) =>
            {
                Assert.Equal(i, joined[i]); // each detection joined at most once
                Assert.True(first < i);
                joined[i] = first;
            }, runRows);
            Assert.Equal(expected, joined);
        }
        Assert.True(expected.Where((first, i) => first != i).Count() > 10, "too few events with several detections");
    }

    /// <summary>Process GUIDs are in the fact rows now (16 bytes, a kind and a text id), not in a table of distinct GUIDs:
    /// every spelling comes back exactly (lower, upper and mixed case braced GUIDs, other texts, none), through 3-row pages.</summary>
    [Fact]
    public void Fact_rows_give_back_every_spelling_of_a_process_guid()
    {
        string[] spellings = ["{0b8e1f4c-5a6d-4e7f-8a9b-0c1d2e3f4a5b}", "{0B8E1F4C-5A6D-4E7F-8A9B-0C1D2E3F4A5B}", "{0b8e1f4c-5A6D-4e7f-8a9b-0C1D2E3F4A5B}",
            "not-a-guid", "0b8e1f4c-5a6d-4e7f-8a9b-0c1d2e3f4a5b", ""];
        var store = new FactStore(pageRows: 3, cachePages: 2);
        var added = new List<DetectionFact>();
        for (int i = 0; i < 40; i++)
        {
            var f = new DetectionFact
            {
                Id = i + 1, Ticks = i, RuleId = "r", RuleTitle = "t", Level = "low", Tactics = [], Techniques = [], Host = "H",
                ProcessGuid = spellings[i % spellings.Length], ParentProcessGuid = spellings[(i / 2) % spellings.Length],
            };
            added.Add(f);
            store.Add(f);
        }
        Assert.True(store.SpilledRows >= 39);
        for (int i = added.Count - 1; i >= 0; i--)
        {
            Assert.Equal(added[i].ProcessGuid, store[i].ProcessGuid);
            Assert.Equal(added[i].ParentProcessGuid, store[i].ParentProcessGuid);
            Assert.True(GuidText.Exact.Equals(added[i].ProcessGuidKey, store[i].ProcessGuidKey), $"fact {i}: {store[i].ProcessGuid}");
            Assert.Equal(added[i].ProcessGuidKey.IsGuid, store[i].ProcessGuidKey.IsGuid);
        }
    }

    private static CampaignCollector Hunt(RuleSet set, CampaignCollector collector, string[]? inputs = null) => OtrfRecordings.Hunt(set, collector, inputs);

    private static string Json(IReadOnlyList<Campaign> campaigns) => OtrfRecordings.Json(campaigns);
}

/// <summary>The lateral linker's remembered answers (<see cref="LateralLinker.MentionMemo"/>) equal asking
/// <see cref="LateralLinker.Mentions(string, string)"/> each time, through a memo that fills and is cleared again and again.</summary>
public sealed class MentionMemoTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1 << 18)]
    public void Remembered_answers_equal_the_text_search(int capacity)
    {
        string[] commands = ["net use \\\\fs01\\c$", "psexec \\\\FS01 cmd", "wmic /node:db02 process call create x", "ping fs01x", "notepad.exe",
            "Invoke-Command -ComputerName db02 {x}", "copy a \\\\web3\\share", "schtasks /s web3 /create"];
        var random = new Random(5);
        var procs = Enumerable.Range(0, 400).Select(i => new Vigil.Campaigns.Context.ProcRec(1000 + i, "ws" + i % 3, "", "", i, 0, "cmd.exe", "",
            commands[random.Next(commands.Length)], "u", 0, false)).ToList();
        var px = new ProcessIndex(procs);
        var memo = new LateralLinker.MentionMemo(capacity);
        string[] hosts = ["fs01", "db02", "web3", "x"];
        int hits = 0;
        for (int round = 0; round < 3; round++)
            foreach (var host in hosts)
                foreach (var (proc, text) in px.WindowCommands("ws1", 0, long.MaxValue))
                {
                    bool expected = LateralLinker.Mentions(px.CommandLine(proc), host);
                    Assert.Equal(expected, memo.Mentions(px, text, host));
                    if (expected) hits++;
                }
        Assert.True(hits > 50, $"{hits} mentions");
    }
}

/// <summary>The mention index (<see cref="MentionIndex"/>) against scanning: for command lines built from remote-target
/// markers, separators and host names of every shape, every host <see cref="LateralLinker.Mentions(string, string)"/>
/// finds is among the line's keys, and a window through the index, confirmed by <c>Mentions</c>, gives the same processes
/// in the same order as the scan, on several hosts, with tiny runs and pages.</summary>
public sealed class MentionIndexTests
{
    private static readonly string[] Markers = ["\\\\", "/node:", "/node:\"", "-ComputerName ", "-computername  ", "/s ", "/S ", "-cn ", "/v ",
        "-r:", "@", " ", "=", ":", "'", "\"", "x", "/", "\\"];
    private static readonly string[] Names = ["EP01", "ep01", "EP01.corp.example", "ep01.CORP", "db2", "a", "ıp01", "IP01", "K1", "\u212A1",
        "web-3", "fs01x", "ws 9", "ws,9"];
    private static readonly string[] Tails = ["", " ", ".", "\\c$", "\"", ",", ":445", "'", "x", ".corp.example", " /user:x", "$"];

    private static string Line(Random random)
    {
        var parts = new List<string>();
        int n = random.Next(1, 5);
        for (int k = 0; k < n; k++)
            parts.Add(Markers[random.Next(Markers.Length)] + Names[random.Next(Names.Length)] + Tails[random.Next(Tails.Length)]);
        return "cmd.exe /c " + string.Join(random.Next(2) == 0 ? " " : "", parts);
    }

    [Fact]
    public void Every_mentioned_host_is_among_a_lines_keys()
    {
        var random = new Random(17);
        var keys = new HashSet<ulong>();
        int mentioned = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var line = Line(random);
            keys.Clear();
            MentionIndex.Keys(line, keys);
            foreach (var host in Names)
            {
                if (!MentionIndex.Indexable(host) || !LateralLinker.Mentions(line, host)) continue;
                mentioned++;
                Assert.Contains(System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(host.ToUpperInvariant().AsSpan())), keys);
            }
        }
        Assert.True(mentioned > 5_000, $"only {mentioned} mentions");
        Assert.False(MentionIndex.Indexable("ws 9"));
        Assert.False(MentionIndex.Indexable("ıp01"));
        Assert.False(MentionIndex.Indexable("a"));
        Assert.True(MentionIndex.Indexable("EP01.corp.example"));
    }

    [Fact]
    public void Windows_through_the_index_equal_the_scan()
    {
        var random = new Random(3);
        var procs = Enumerable.Range(0, 3_000).Select(i => new ProcRec(1_000 + i / 2 * 7, "WS" + i % 3, "", "", i, 0, "cmd.exe", "",
            Line(random), "u", 0, false)).ToList();
        var limits = new BuildLimits(5, 3, 2);
        using var px = new ProcessIndex(procs, limits);
        using var index = new MentionIndex(px, limits);
        Assert.True(index.Count > 1_000, $"only {index.Count} rows");
        int found = 0;
        foreach (var source in new[] { "WS0", "WS1", "WS2", "WS9" })
            foreach (var target in Names.Where(MentionIndex.Indexable))
                for (long from = 900; from < 12_000; from += 1_700)
                {
                    long to = from + random.Next(0, 3_000);
                    var scanned = px.WindowCommands(source, from, to).Where(w => LateralLinker.Mentions(px.Text(w.CommandLine), target)).ToList();
                    var indexed = index.Window(px.FindHost(source), target, from, to).Where(w => LateralLinker.Mentions(px.Text(w.CommandLine), target)).ToList();
                    Assert.Equal(scanned, indexed);
                    found += scanned.Count;
                }
        Assert.True(found > 1_000, $"only {found} mentions found");
    }

    /// <summary>An index that keeps only the rows of the names it will be asked for (<see cref="MentionFilter"/>: every host
    /// that answered a logon) gives those names the windows of the index that keeps every row, with far fewer rows; a tiny
    /// filter (many false positives) too. The filter never loses a name added.</summary>
    [Theory]
    [InlineData(1 << 23)]
    [InlineData(64)]
    public void An_index_of_the_wanted_names_answers_them_as_the_whole_index(int bits)
    {
        var random = new Random(5);
        var procs = Enumerable.Range(0, 3_000).Select(i => new ProcRec(1_000 + i / 2 * 7, "WS" + i % 3, "", "", i, 0, "cmd.exe", "",
            Line(random), "u", 0, false)).ToList();
        var limits = new BuildLimits(5, 3, 2);
        using var px = new ProcessIndex(procs, limits);
        string[] wanted = ["EP01", "db2", "web-3", "K1"];
        var filter = new MentionFilter(bits);
        foreach (var name in wanted) filter.Add(name);
        filter.Add("ws 9"); // not indexable: not added
        foreach (var name in wanted) Assert.True(filter.MayContain(MentionIndex.KeyOf(name.ToUpperInvariant())));
        using var whole = new MentionIndex(px, limits);
        using var some = new MentionIndex(px, limits, filter);
        if (bits > 64)
        {
            Assert.True(some.Count < whole.Count / 2, $"{some.Count} of {whole.Count} rows kept");
            Assert.False(filter.MayContain(MentionIndex.KeyOf("FS01X")));
        }
        int found = 0;
        foreach (var source in new[] { "WS0", "WS1", "WS2" })
            foreach (var target in wanted)
                for (long from = 900; from < 12_000; from += 1_700)
                {
                    long to = from + random.Next(0, 3_000);
                    var all = whole.Window(px.FindHost(source), target, from, to).ToList();
                    Assert.Equal(all, some.Window(px.FindHost(source), target, from, to).ToList());
                    found += all.Count;
                }
        Assert.True(found > 500, $"only {found} rows found");
    }
}

/// <summary>A link's evidence on its source host is what is about its target (<see cref="CampaignBuilder.Targets"/>): a
/// command naming it as a word, explicit credentials for it, a connection to its address; not a command run against
/// another host in the same minutes (on the simulated machine-speed day, `wmic /node:WS04` was listed as evidence of the
/// move to WS10).</summary>
public sealed class LinkEvidenceTests
{
    /// <summary>One link's evidence the way it was found before (the reference for <see cref="LinkEvidence.Find"/>): the facts (sorted by
    /// time) within <see cref="LinkEvidence.Window"/> of the link on its target, or on its source and about the target, ids ascending.</summary>
    internal static List<long> ByScan(IReadOnlyList<DetectionFact> sorted, Lateral l, AddressBook hosts)
    {
        long from = l.Ticks - LinkEvidence.Window, to = l.Ticks + LinkEvidence.Window;
        int lo = 0, hi = sorted.Count;
        while (lo < hi) { int mid = (lo + hi) / 2; if (sorted[mid].Ticks < from) lo = mid + 1; else hi = mid; }
        var ids = new List<long>();
        for (int k = lo; k < sorted.Count && sorted[k].Ticks <= to; k++)
        {
            var f = sorted[k];
            if (f.Host == l.To || (f.Host == l.From && CampaignBuilder.Targets(f, l.To, hosts))) ids.Add(f.Id);
        }
        ids.Sort();
        return ids;
    }

    [Fact]
    public void Source_detections_are_a_links_evidence_only_when_about_its_target()
    {
        using var hosts = new AddressBook();
        hosts.Add("10.10.10.20", "FS01", 5);
        DetectionFact Fact(string detail, string targetServer = "", string dest = "") =>
            new() { Id = 1, Ticks = 1, RuleId = "r", RuleTitle = "t", Level = "high", Tactics = [], Techniques = [], Host = "WEB01", Detail = detail, TargetServer = targetServer, DestAddress = dest };
        Assert.True(CampaignBuilder.Targets(Fact("wmic /node:FS01 process call create x"), "FS01", hosts));
        Assert.True(CampaignBuilder.Targets(Fact("psexec \\\\fs01.corp.example cmd"), "FS01", hosts));
        Assert.True(CampaignBuilder.Targets(Fact("Enter-PSSession FS01"), "FS01", hosts));
        Assert.True(CampaignBuilder.Targets(Fact("", targetServer: "FS01"), "FS01", hosts));
        Assert.True(CampaignBuilder.Targets(Fact("10.0.0.5 -> 10.10.10.20:5985", dest: "10.10.10.20"), "FS01", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("wmic /node:WS04 process call create x"), "WS10", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("wmic /node:FS010 process call create x"), "FS01", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("copy x \\\\XFS01\\c$"), "FS01", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("net use \\\\FS01_old\\c$"), "FS01", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("10.0.0.5 -> 10.10.10.10:5985", dest: "10.10.10.10"), "FS01", hosts));
        Assert.False(CampaignBuilder.Targets(Fact("", targetServer: "FS02"), "FS01", hosts));
        Assert.False(CampaignBuilder.NamesHost("anything", ""));
        Assert.True(CampaignBuilder.NamesHost("FS01FS01 then fs01", "FS01"));
    }

    /// <summary>Every link's evidence found in one pass (<see cref="LinkEvidence.Find"/>) equals the scan of its window
    /// (<see cref="ByScan"/>) on generated movement: names that differ only in case, that contain others
    /// (FS01, FS010, XFS01), with '.', '-' and '$', an empty source and an empty target; details naming hosts by \\, /node:,
    /// as FQDNs and in prose; 4648 target servers; connections to addresses; detections exactly five minutes away and at the
    /// same tick as others.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Evidence_found_in_one_pass_equals_each_links_scan(int seed)
    {
        var rng = new Random(seed);
        string[] names = ["FS01", "fs01", "FS010", "XFS01", "WS-7", "WS-7$", "DB.CORP", "DB", "10.1.1.9", "SQL_2", "ADM01", "Web01", ""];
        using var hosts = new AddressBook();
        hosts.Add("10.10.10.20", "FS01", 5);
        hosts.Add("10.10.10.21", "DB.CORP", 5);
        hosts.Add("10.10.10.22", "WS-7", 5);
        string[] addresses = ["10.10.10.20", "10.10.10.21", "10.10.10.22", "10.10.10.99", ""];
        long minute = TimeSpan.TicksPerMinute, t0 = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc).Ticks;
        string Name() => names[rng.Next(names.Length)];
        long Time() => t0 + rng.Next(60) * minute / 2 + (rng.Next(4) == 0 ? 0 : rng.Next(1000));
        var links = Enumerable.Range(0, 400).Select(_ => new Lateral(Name(), Name(), "CORP\\u", "wmi", Time(), "", [], []))
            .OrderBy(l => l.Ticks).ToList();
        string Detail() => rng.Next(7) switch
        {
            0 => $"wmic /node:{Name()} process call create x",
            1 => $"psexec \\\\{Name()}.corp.example cmd & copy y \\\\{Name()}\\c$",
            2 => $"Enter-PSSession {Name()}{Name()} -> {Name()}",
            3 => $"{Name()}",
            4 => $"net use \\\\{Name()}_old\\c$ ({Name()})",
            5 => "",
            _ => $"x{Name()}y {Name()}-z {Name()}",
        };
        var facts = new List<DetectionFact>();
        for (int i = 0; i < 3000; i++)
        {
            // Some detections exactly five minutes from a link, either way.
            long ticks = rng.Next(5) == 0 ? links[rng.Next(links.Count)].Ticks + (rng.Next(2) == 0 ? 5 : -5) * minute : Time();
            facts.Add(new DetectionFact
            {
                Id = rng.Next(100_000), Ticks = ticks, RuleId = "r", RuleTitle = "t", Level = "high", Tactics = [], Techniques = [],
                Host = Name(), Detail = Detail(), TargetServer = rng.Next(4) == 0 ? Name() : "", DestAddress = addresses[rng.Next(addresses.Length)],
            });
        }
        var sorted = facts.OrderBy(f => f.Ticks).ThenBy(f => f.Id).ToList();
        var found = LinkEvidence.Find(links, sorted, hosts);
        int nonEmpty = 0, fromSource = 0;
        for (int i = 0; i < links.Count; i++)
        {
            var expected = ByScan(sorted, links[i], hosts);
            Assert.Equal(expected, found[i]);
            if (expected.Count > 0) nonEmpty++;
            fromSource += sorted.Count(f => expected.Contains(f.Id) && f.Host != links[i].To && f.Host == links[i].From);
        }
        Assert.True(nonEmpty > links.Count / 2, $"only {nonEmpty} links with evidence");
        Assert.True(fromSource > 100, $"only {fromSource} source-side detections found");
        Assert.All(LinkEvidence.Find(links, [], hosts), Assert.Empty);
    }

    /// <summary>A big campaign's links folded and their evidence found by sorts in tiny runs and pages (<see cref="LinkTable"/>)
    /// equal the fold in memory (<see cref="CampaignBuilder.FoldLinks"/>) with each link's scan (<see cref="ByScan"/>),
    /// and the links shown only by command lines equal those a set of (source, target) pairs gave, added in the same order:
    /// movements repeated with generic and specific methods at equal times, unknown sources (an address only), names equal
    /// ignoring case, commands naming linked and unlinked hosts twice. Shared: the texts numbered in a campaign's hosts'
    /// table that already holds some hosts (as the assembly of a campaign past its hosts' memory does).</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public void Links_folded_in_files_equal_links_folded_in_memory(int seed, bool shared)
    {
        var rng = new Random(seed);
        string[] names = ["FS01", "fs01", "FS010", "WS-7", "DB.CORP", "DB", "SQL_2", "ADM01", "Web01"];
        string[] methods = ["network-logon", "smb", "wmi", "psexec", "rdp", "explicit-credentials", "winrm"];
        using var hosts = new AddressBook();
        hosts.Add("10.10.10.20", "FS01", 5);
        hosts.Add("10.10.10.21", "DB.CORP", 5);
        long minute = TimeSpan.TicksPerMinute, t0 = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc).Ticks;
        string Name() => names[rng.Next(names.Length)];
        long Time() => t0 + rng.Next(40) * minute / 2 + (rng.Next(3) == 0 ? 0 : rng.Next(100));
        var laterals = Enumerable.Range(0, 600).Select(_ => rng.Next(9) == 0
                ? new Lateral("", Name(), "CORP\\u" + rng.Next(2), methods[rng.Next(methods.Length)], Time(), "10.9.9." + rng.Next(3), [], [])
                : new Lateral(Name(), Name(), "CORP\\u" + rng.Next(2), methods[rng.Next(methods.Length)], Time(), rng.Next(2) == 0 ? "" : "10.0.0.5", [], []))
            .ToList();
        var facts = new List<DetectionFact>();
        for (int i = 0; i < 2000; i++)
        {
            string detail = rng.Next(4) switch
            {
                0 => $"wmic /node:{Name()} process call create x",
                1 => $"psexec \\\\{Name()} cmd & psexec \\\\{Name()} -s y",
                2 => $"Invoke-Command -ComputerName {Name()} {{ {Name()} }}",
                _ => $"{Name()} and {Name()}.corp.example",
            };
            facts.Add(new DetectionFact
            {
                Id = 1_000 + i, Ticks = Time(), RuleId = "r" + rng.Next(3), RuleTitle = "t", Level = rng.Next(3) == 0 ? "medium" : "high",
                Tactics = rng.Next(4) == 0 ? ["execution"] : ["lateral-movement"], Techniques = [], Host = Name(), Account = "CORP\\u0",
                Detail = detail, TargetServer = rng.Next(5) == 0 ? Name() : "", DestAddress = rng.Next(5) == 0 ? "10.10.10.2" + rng.Next(2) : "",
            });
        }
        var sorted = facts.OrderBy(f => f.Ticks).ThenBy(f => f.Id).ToList();
        static bool Qualifies(DetectionFact f) => f.Tactics.Contains("lateral-movement") && f.Host.Length > 0 && f.Level == "high";

        // In memory, as the assembly of a small campaign does.
        var folded = CampaignBuilder.FoldLinks(laterals);
        var expected = folded.Select(l => new HostLink(l.From.Length > 0 ? l.From : l.SourceAddress, l.To, l.Account, l.Method,
            CampaignBuilder.Time(l.Ticks), l.SourceAddress, ByScan(sorted, l, hosts))).ToList();
        var expectedHosts = new List<string>();
        var linked = new HashSet<(string, string)>(expected.Select(x => (x.FromHost, x.ToHost)));
        foreach (var f in sorted.Where(Qualifies))
            foreach (var target in CampaignBuilder.CommandTargets(f.Detail))
            {
                if (target == f.Host || !linked.Add((f.Host, target))) continue;
                expectedHosts.Add(target);
                expected.Add(new HostLink(f.Host, target, f.Account, LateralLinker.MethodOfCommand(f.Detail) ?? "remote-execution", f.Time, "", [f.Id]));
            }

        using var campaignHosts = new CampaignHosts(ExternalBuildTests.Tiny);
        if (shared) foreach (var h in new[] { "ADM01", "OTHER", "db", "Web01", "WS-7" }) campaignHosts.Add(h);
        Assert.Equal(shared, campaignHosts.Texts is not null);
        var stages = new List<string>();
        using var table = LinkTable.Build(laterals, sorted, hosts, ExternalBuildTests.Tiny, campaignHosts.Texts, stages.Add);
        Assert.Equal(["links folded", "links: target-side evidence", "links: source-side evidence"], stages);
        Assert.Equal(folded.Count, table.Count);
        for (int i = 0; i < folded.Count; i++)
            Assert.Equal((folded[i].From, folded[i].To, folded[i].Account, folded[i].SourceAddress), table.Texts(i));
        var addedHosts = new List<string>();
        table.AddCommandLinks(sorted, Qualifies, addedHosts.Add, ExternalBuildTests.Tiny);
        Assert.Equal(expectedHosts, addedHosts);
        Assert.Equal(expected.Count, table.Count);
        int withEvidence = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            var got = table[i];
            Assert.Equal(expected[i] with { DetectionIds = [] }, got with { DetectionIds = [] });
            Assert.Equal(expected[i].DetectionIds, got.DetectionIds);
            if (i < folded.Count && got.DetectionIds.Count > 0) withEvidence++;
        }
        Assert.True(withEvidence > folded.Count / 2, $"only {withEvidence} of {folded.Count} links with evidence");
        Assert.True(expected.Count > folded.Count + 5, $"only {expected.Count - folded.Count} command links");
        Assert.Contains(folded, l => l.Method != laterals.First(m => (m.From, m.To, m.Account) == (l.From, l.To, l.Account)).Method);
    }
}

/// <summary>A campaign's hosts past the memory limit (an actor moving to 1M hosts) in an exact text table, reordered by
/// external sorts: the same list as the list, set and first-touch dictionary the assembly held (a stable sort by the
/// earliest touch, hosts never touched last), with tiny runs, every text spilled and hosts touched many times or never.</summary>
public sealed class CampaignHostsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Hosts_in_a_table_reorder_as_a_list_and_dictionary_did(int seed)
    {
        var rng = new Random(seed);
        var names = Enumerable.Range(0, 300).Select(i => i % 7 == 0 ? $"ws{i}" : $"WS{i}").ToList();
        var adds = Enumerable.Range(0, 900).Select(_ => rng.Next(5) == 0 ? "" : names[rng.Next(names.Count)]).ToList();
        var touches = Enumerable.Range(0, 2_000).Select(_ => (Host: rng.Next(10) == 0 ? "OTHER" + rng.Next(5) : names[rng.Next(names.Count)],
            Ticks: (long)rng.Next(50))).ToList();

        // What the assembly did before.
        var list = new List<string>();
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var h in adds) if (h.Length > 0 && set.Add(h)) list.Add(h);
        var touched = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (h, t) in touches) if (h.Length > 0 && (!touched.TryGetValue(h, out var have) || t < have)) touched[h] = t;
        var expected = list.OrderBy(h => touched.GetValueOrDefault(h, long.MaxValue)).ToList();
        Assert.Contains(list, h => !touched.ContainsKey(h));

        foreach (var (limits, shared) in new[] { (ExternalBuildTests.Tiny, false), (ExternalBuildTests.Tiny, true), (ExternalBuildTests.InMemory, false) })
        {
            using var hosts = new CampaignHosts(limits);
            int n = 0;
            foreach (var h in adds)
            {
                hosts.Add(h);
                // A big campaign's links number their texts in the hosts' table: accounts, and names that are not hosts (yet).
                if (shared && hosts.Texts is { } texts)
                {
                    texts.Id("CORP\\u" + n++ % 3);
                    texts.Id("OTHER" + n % 5);
                    texts.Id(names[rng.Next(names.Count)]);
                }
            }
            Assert.Equal(limits == ExternalBuildTests.Tiny, hosts.Spilled);
            Assert.True(!shared || hosts.Texts!.Count > list.Count + 5);
            Assert.Equal(list, hosts);
            for (int i = 0; i < list.Count; i++) Assert.Equal(i, hosts.IndexOf(list[i]));
            Assert.Equal(-1, hosts.IndexOf("OTHER1"));
            Assert.Equal(-1, hosts.IndexOf(""));
            hosts.Reorder(touches);
            Assert.Equal(expected, hosts);
            Assert.Equal(expected[^1], hosts[expected.Count - 1]);
            Assert.Throws<InvalidOperationException>(() => hosts.Add("NEW"));
        }
    }
}
