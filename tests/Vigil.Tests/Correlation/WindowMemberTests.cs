using Vigil.Engine.Correlation;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Tests.Correlation;

/// <summary>
/// A correlation window's members as rows that spill to a file of blocks (<see cref="MemberQueue"/>,
/// <see cref="MemberStore"/>): the same members in the same order as a plain queue, at most two blocks of each window in
/// memory, and blocks reused once read back; and a flood of matches in one window that never fires costs two blocks of
/// memory, not a row per match, and finds what the in-memory evaluation finds when it finally fires.
/// </summary>
public sealed class WindowMemberTests
{
    private static WindowMember Member(long n) => new() { Ticks = n, Offset = n * 3, Line = n + 1, Number = n / 2.0, Input = (int)(n % 3), Source = (int)(n % 5), Value = (int)(n % 7) };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(5, 4)]
    [InlineData(32, 5)]
    public void Queues_sharing_a_store_keep_their_members_in_order_like_plain_queues(int blockRows, int seed)
    {
        var random = new Random(seed);
        using var store = new MemberStore(blockRows);
        var queues = Enumerable.Range(0, 4).Select(_ => new MemberQueue(store)).ToArray();
        var expected = queues.Select(_ => new Queue<WindowMember>()).ToArray();
        long next = 0, maxWaiting = 0;
        for (int step = 0; step < 20_000; step++)
        {
            int q = random.Next(queues.Length);
            int op = random.Next(100);
            if (op < 55)
            {
                var m = Member(next++);
                queues[q].Add(m);
                expected[q].Enqueue(m);
            }
            else if (op < 97)
            {
                if (expected[q].Count == 0) continue;
                Assert.Equal(expected[q].Peek(), queues[q].First);
                Assert.Equal(expected[q].Dequeue(), queues[q].RemoveFirst());
            }
            else if (op < 98)
            {
                queues[q].Clear();
                expected[q].Clear();
            }
            else Assert.Equal(expected[q], queues[q].All());
            Assert.Equal(expected[q].Count, queues[q].Count);
            Assert.True(queues[q].InMemory <= 2 * blockRows, $"{queues[q].InMemory} members in memory");
            Assert.Equal(queues.Sum(x => (long)x.InMemory), store.RowsInMemory);
            maxWaiting = Math.Max(maxWaiting, expected.Sum(x => (long)x.Count));
        }
        for (int q = 0; q < queues.Length; q++) Assert.Equal(expected[q], queues[q].All());
        Assert.True(store.BlocksWritten >= 20, $"{store.BlocksWritten} blocks written");
        // Read-back and cleared blocks are reused: the file never holds more blocks than members were waiting.
        Assert.True(store.FileBlocks * blockRows <= maxWaiting, $"{store.FileBlocks} blocks for at most {maxWaiting} members");
        Assert.Throws<InvalidOperationException>(() => new MemberQueue(store).RemoveFirst());
    }

    /// <summary>The rules of <paramref name="yaml"/>, which must load without errors.</summary>
    private static RuleSet Load(string yaml, string file)
    {
        var set = RuleLoader.LoadText(yaml, file);
        Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
        return set;
    }

    /// <summary>A block file cut short (disk trouble under the temporary folder) is an error naming the file and the
    /// offset, not members made of zeros.</summary>
    [Fact]
    public void A_cut_block_file_is_an_error_naming_the_place()
    {
        using var store = new MemberStore(2);
        var queue = new MemberQueue(store);
        for (int i = 0; i < 10; i++) queue.Add(Member(i));
        Assert.True(store.BlocksWritten >= 3);
        store.TruncateFileForTest(MemberStore.RowBytes * 3);
        // Members 0-1 in memory, 2-3 from the intact first block; taking 3 reads the cut second block.
        for (int i = 0; i < 3; i++) Assert.Equal(Member(i), queue.RemoveFirst());
        var e = Assert.Throws<InvalidDataException>(() => { while (queue.Count > 0) queue.RemoveFirst(); });
        Assert.Contains("short read at offset", e.Message);
        Assert.Contains("vigil-window-", e.Message);
    }

    /// <summary>The built-in port sweep's shape: distinct destinations per source, 25 within five minutes, over base
    /// rule "refused".</summary>
    private static readonly string SweepYaml = string.Join("\n---\n", """
        title: sweep
        id: 10000000-0000-0000-0000-000000000901
        status: test
        level: high
        correlation:
            type: value_count
            rules:
                - refused
            group-by:
                - Source
            timespan: 5m
            condition:
                gte: 25
                field: Destination
        """, CorrelationSupport.BaseRule("refused", "refused", "20000000-0000-0000-0000-000000000901"));

    /// <summary>One host refused 60,000 times by 20 addresses within five minutes (the port sweep's window never fires),
    /// then by 5 more: held in two blocks (of 32) of memory throughout, the file reused as members leave, and the one found
    /// detection is the in-memory evaluation's, its first 50 events included.</summary>
    [Fact]
    public void A_flood_in_one_window_is_held_in_two_blocks_and_finds_what_memory_finds()
    {
        var set = Load(SweepYaml, "sweep.yml");
        var rule = set.Rules.Single(r => r.Rule.Name == "refused").Rule;
        long t0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var list = new List<Detection>();
        for (int i = 0; i < 60_025; i++)
        {
            // Ten minutes of refusals, so members leave the window throughout; the last 25 reach 25 distinct addresses.
            string destination = i < 60_000 ? "10.2.0." + (i % 20) : "10.3.0." + (i - 60_000);
            long ticks = t0 + TimeSpan.TicksPerMillisecond * (i < 60_000 ? i * 10L : 600_000 + i - 60_000);
            list.Add(new Detection
            {
                Rule = rule, TimestampTicks = ticks, Computer = "", Channel = "",
                Origin = new EventOrigin(i % 2 == 0 ? "a.jsonl" : "b.jsonl", i * 100L, i + 1),
                Fields = [new("Source", FieldValue.FromString("10.1.0.66")), new("Destination", FieldValue.FromString(destination))],
            });
        }
        var found = new List<Detection>();
        using var store = new MemberStore(32);
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 65_536);

        Assert.True(store.MaxRowsInMemory <= 2 * 32, $"{store.MaxRowsInMemory} members in memory at once");
        Assert.True(store.BlocksWritten > 1_000, $"{store.BlocksWritten} blocks written");
        // Five minutes of refusals (30,000) wait at most, in blocks reused as the oldest leave.
        Assert.True(store.FileBlocks * 32 <= 30_100, $"{store.FileBlocks} blocks in the file");
        var expected = CorrelationEngine.Apply(list, set.Correlations, set.Generates, null, blockRows: 1 << 20).Detections
            .Where(d => d.Rule.Title == "sweep").ToList();
        string Text(Detection d) => $"{d.TimestampTicks}|{d.Origin}|" + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()));
        Assert.Equal(expected.Select(Text), found.Select(Text));
        var sweep = Assert.Single(found);
        // It fires at the 25th address (600.004 s), over the refusals of the five minutes before (from 300.010 s).
        Assert.Equal("25", CorrelationSupport.Field(sweep, "value_count"));
        Assert.Equal("30004", CorrelationSupport.Field(sweep, "event_count"));
        var events = CorrelationSupport.Field(sweep, "events").Split('\n');
        Assert.Equal(51, events.Length);
        Assert.Equal("2024-05-01T00:05:00.010Z refused b.jsonl:30002", events[0]);
        Assert.Equal("… 29954 more", events[^1]);
    }

    /// <summary>A window whose second rule first matches after the 50 events its detection lists: both rules are named,
    /// in the order they first appear, whether the members are read from memory or back from blocks.</summary>
    [Theory]
    [InlineData(2)]
    [InlineData(1 << 20)]
    public void Rules_first_seen_past_the_listed_events_are_named(int blockRows)
    {
        string yaml = string.Join("\n---\n", """
            title: many
            id: 10000000-0000-0000-0000-000000000902
            status: test
            level: high
            correlation:
                type: event_count
                rules:
                    - a
                    - b
                group-by:
                    - User
                timespan: 5m
                condition:
                    gte: 60
            """, CorrelationSupport.BaseRule("a", "a", "20000000-0000-0000-0000-000000000911"),
            CorrelationSupport.BaseRule("b", "b", "20000000-0000-0000-0000-000000000912"));
        var set = Load(yaml, "many.yml");
        var a = set.Rules.Single(r => r.Rule.Name == "a").Rule;
        var b = set.Rules.Single(r => r.Rule.Name == "b").Rule;
        long t0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var list = Enumerable.Range(0, 60).Select(i => new Detection
        {
            Rule = i < 55 ? a : b, TimestampTicks = t0 + TimeSpan.TicksPerSecond * i, Computer = "", Channel = "",
            Origin = new EventOrigin("x.jsonl", 0, i + 1), Fields = [new("User", FieldValue.FromString("bob"))],
        }).ToList();
        var found = new List<Detection>();
        using var store = new MemberStore(blockRows);
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 65_536);
        var many = Assert.Single(found);
        Assert.Equal("a, b", CorrelationSupport.Field(many, "rules"));
        Assert.Equal("… 10 more", CorrelationSupport.Field(many, "events").Split('\n')[^1]);
    }

    [Fact]
    public void Group_keys_keep_tuples_apart_and_give_them_back()
    {
        string[][] tuples = [["a", "bc"], ["ab", "c"], ["1:a", ""], ["", "1:a"], ["x\u001fy", "z"], ["x", "y\u001fz"], ["12", "3:4"], ["", ""]];
        var keys = tuples.Select(GroupKeys.Encode).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        for (int i = 0; i < tuples.Length; i++) Assert.Equal(tuples[i], GroupKeys.Decode(keys[i], 2));
        Assert.Equal("a:b", GroupKeys.Encode(["a:b"]));
        Assert.Equal(["a:b"], GroupKeys.Decode("a:b", 1));
        Assert.Equal("", GroupKeys.Encode([]));
        Assert.Empty(GroupKeys.Decode("", 0));
    }

    /// <summary>A SYN flood from 20,000 spoofed addresses, three attempts each within the window: judged one group at a
    /// time, so two blocks of members at most are in memory (a window per open group held 60,000), with the same found
    /// detections as the evaluation in memory, for a correlation grouped by two fields whose values hold ':' and digits.</summary>
    [Fact]
    public void Many_groups_are_judged_one_at_a_time()
    {
        string yaml = SweepYaml + "\n---\n" + """
            title: pairs
            id: 10000000-0000-0000-0000-000000000904
            status: test
            level: high
            correlation:
                type: event_count
                rules:
                    - refused
                group-by:
                    - Source
                    - Port
                timespan: 5m
                condition:
                    gte: 3
            """;
        var set = Load(yaml, "syn.yml");
        var rule = set.Rules.Single(r => r.Rule.Name == "refused").Rule;
        long t0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var list = new List<Detection>();
        for (int i = 0; i < 60_000; i++)
        {
            int source = (int)((i * 7919L) % 20_000);
            list.Add(new Detection
            {
                Rule = rule, TimestampTicks = t0 + TimeSpan.TicksPerMillisecond * i, Computer = "zeek", Channel = "conn",
                Origin = new EventOrigin("conn.log", i * 100L, i + 1),
                Fields = [new("Source", FieldValue.FromString("2001:db8::" + source)), new("Port", FieldValue.FromString(source % 3 + ":1" + i % 2)),
                    new("Destination", FieldValue.FromString("10.2.0.80"))],
            });
        }
        var found = new List<Detection>();
        using var store = new MemberStore(32);
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 4_096);
        Assert.True(store.MaxRowsInMemory <= 2 * 32, $"{store.MaxRowsInMemory} members in memory at once");
        string Text(Detection d) => $"{d.Rule.Title}|{d.TimestampTicks}|{d.Origin}|{d.Computer}|{d.Channel}|" + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()));
        var expected = CorrelationEngine.Apply(list, set.Correlations, set.Generates, null, blockRows: 1 << 20).Detections
            .Where(d => d.Rule.Title == "pairs").Select(Text).Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count > 1_000, $"{expected.Count} pairs found");
        Assert.Equal(expected, found.Select(Text).Order(StringComparer.Ordinal).ToList());
        Assert.Contains(found, d => CorrelationSupport.Field(d, "Source") == "2001:db8::7919" && CorrelationSupport.Field(d, "Port") == "2:11");
    }

    /// <summary>Group keys and values longer than the text reader's 64 KB buffer (40,000 characters) are read back whole,
    /// beside short ones.</summary>
    [Fact]
    public void Texts_longer_than_the_read_buffer_are_read_whole()
    {
        var set = Load(SweepYaml.Replace("gte: 25", "gte: 3", StringComparison.Ordinal), "sweep.yml");
        var rule = set.Rules.Single(r => r.Rule.Name == "refused").Rule;
        long t0 = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        string[] sources = [new string('s', 40_000), "short", new string('t', 40_000) + "x"];
        string[] destinations = [new string('d', 40_000), "a", "b", new string('e', 33_000)];
        var list = new List<Detection>();
        for (int i = 0; i < 60; i++)
            list.Add(new Detection
            {
                Rule = rule, TimestampTicks = t0 + TimeSpan.TicksPerSecond * i, Computer = "", Channel = "",
                Origin = new EventOrigin("a.jsonl", 0, i + 1),
                Fields = [new("Source", FieldValue.FromString(sources[i % 3])), new("Destination", FieldValue.FromString(destinations[i / 3 % 4]))],
            });
        var found = new List<Detection>();
        using var store = new MemberStore();
        CorrelationEngine.ApplySorted(list, set.Correlations, set.Generates, null, found.Add, store, 7);
        string Text(Detection d) => $"{d.TimestampTicks}|{d.Origin}|" + string.Join(";", d.Fields.Select(f => f.Name + "=" + f.Value.ToString()));
        var expected = CorrelationEngine.Apply(list, set.Correlations, set.Generates, null, blockRows: 1 << 20).Detections
            .Where(d => d.Rule.Title == "sweep").Select(Text).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(18, expected.Count);
        Assert.Contains(found, d => CorrelationSupport.Field(d, "Source") == sources[2]);
        Assert.Equal(expected, found.Select(Text).Order(StringComparer.Ordinal).ToList());
    }
}
