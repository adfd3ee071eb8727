using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Linking;
using Xunit;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// <see cref="SpillList{T}"/> holds the same values in an array and in its file, and the union-find built on it gives the
/// same sets and the same roots whether its nodes are in memory or in files of tiny pages (the path halving rewrites
/// parents through the page cache, evictions included).
/// </summary>
public class SpillListTests
{
    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(7, 3, 2)]
    [InlineData(1000, 5, 3)]
    [InlineData(int.MaxValue, 4096, 256)]
    public void Values_read_back_as_written_whether_in_memory_or_in_the_file(int memoryItems, int pageRows, int cachePages)
    {
        var random = new Random(11);
        var reference = new List<long>();
        using var list = new SpillList<long>("test-values", memoryItems, capacity: 10, pageRows, cachePages);
        for (int step = 0; step < 20_000; step++)
        {
            int op = random.Next(10);
            if (op < 4 || reference.Count == 0)
            {
                long v = random.NextInt64();
                reference.Add(v);
                list.Add(v);
            }
            else if (op < 7)
            {
                int i = random.Next(reference.Count);
                long v = random.NextInt64();
                reference[i] = v;
                list[i] = v;
            }
            else
            {
                int i = random.Next(reference.Count);
                Assert.Equal(reference[i], list[i]);
            }
        }
        Assert.Equal(reference.Count, list.Count);
        Assert.Equal(reference.Count > memoryItems, list.Spilled);
        for (int i = 0; i < reference.Count; i++) Assert.Equal(reference[i], list[i]);
        if (list.Spilled) Assert.True(list.PageReads > 0 || pageRows * cachePages >= reference.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[reference.Count]);
        Assert.Throws<ArgumentOutOfRangeException>(() => list[-1] = 0);
    }

    [Fact]
    public void A_filled_table_holds_its_value_everywhere()
    {
        using var memory = SpillList<int>.Filled("test-filled", 100, -2);
        using var spilled = SpillList<int>.Filled("test-filled", 100, -2, memoryItems: 7, pageRows: 3, cachePages: 2);
        Assert.False(memory.Spilled);
        Assert.True(spilled.Spilled);
        for (int i = 0; i < 100; i++) { Assert.Equal(-2, memory[i]); Assert.Equal(-2, spilled[i]); }
        Assert.True(spilled.TryGetSpan(out _) == false && memory.TryGetSpan(out var span) && span.Length == 100);
    }

    [Fact]
    public void A_union_find_in_files_gives_the_same_roots_as_one_in_memory()
    {
        const int nodes = 5000;
        var random = new Random(5);
        using var memory = new UnionFind(nodes);
        using var files = new UnionFind(nodes, memoryNodes: 7, pageRows: 3, cachePages: 2);
        for (int i = 0; i < nodes; i++) Assert.Equal(memory.Add(), files.Add());
        Assert.False(memory.Spilled);
        Assert.True(files.Spilled);
        for (int step = 0; step < 4000; step++)
        {
            // Mostly nearby nodes (as detections of one actor are), some far apart; keyed nodes too.
            int a = random.Next(nodes), b = random.Next(4) == 0 ? random.Next(nodes) : Math.Min(nodes - 1, a + random.Next(20));
            memory.Union(a, b);
            files.Union(a, b);
            if (step % 100 == 0)
            {
                string key = "X|" + random.Next(50);
                memory.Union(a, memory.Node(key));
                files.Union(a, files.Node(key));
            }
            if (step % 500 == 0)
                for (int i = 0; i < nodes; i += 37) Assert.Equal(memory.Find(i), files.Find(i));
        }
        Assert.Equal(memory.Count, files.Count);
        for (int i = 0; i < memory.Count; i++) Assert.Equal(memory.Find(i), files.Find(i));
        for (int k = 0; k < 50; k++) Assert.Equal(memory.FindKey("X|" + k), files.FindKey("X|" + k));
        Assert.True(files.PageReads > 0);
    }
}
