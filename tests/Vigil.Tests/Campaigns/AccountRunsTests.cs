using Vigil.Campaigns;
using Vigil.Campaigns.Linking;
using Xunit;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// <see cref="AccountRuns"/> against the dictionary of each (host, account)'s last detection it replaced: the same sets of
/// detections, for facts in time order and not, with every key in memory, 3 keys, or none (every key through the sort in
/// runs of 5 rows), and with hashes that collide for every key of one length (two keys of one hash stay apart).
/// </summary>
public sealed class AccountRunsTests
{
    private readonly record struct Fact(string Host, string Account, long Ticks);

    private static List<Fact> Facts(int seed, int n, bool ordered)
    {
        var random = new Random(seed);
        string[] hosts = ["WS01", "WS02", "SRV1"];
        long t = 0;
        var facts = new List<Fact>();
        for (int i = 0; i < n; i++)
        {
            // Ties, short steps, now and then a step of exactly the 30-minute limit or past it, and (unordered) some facts
            // an hour or two early.
            t += random.Next(40) switch
            {
                0 => TimeSpan.TicksPerMinute * 31,
                1 => TimeSpan.TicksPerMinute * 30,
                < 20 => 0,
                _ => TimeSpan.TicksPerSecond * random.Next(120),
            };
            long ticks = ordered || random.Next(5) > 0 ? t : t - TimeSpan.TicksPerHour * random.Next(3);
            facts.Add(new Fact(hosts[random.Next(hosts.Length)], "CORP\\U" + random.Next(4), ticks));
        }
        return facts;
    }

    /// <summary>Each set by its smallest fact.</summary>
    private static int[] Sets(int n, Action<UnionFind> join)
    {
        var uf = new UnionFind(n);
        for (int i = 0; i < n; i++) uf.Add();
        join(uf);
        var smallest = new Dictionary<int, int>();
        var label = new int[n];
        for (int i = 0; i < n; i++)
        {
            int root = uf.Find(i);
            if (!smallest.TryGetValue(root, out int s)) smallest[root] = s = i;
            label[i] = s;
        }
        return label;
    }

    /// <summary>What the builder did before: facts by time then position per key, consecutive ones within the gap joined.</summary>
    private static void Reference(List<Fact> facts, UnionFind uf)
    {
        foreach (var g in Enumerable.Range(0, facts.Count).GroupBy(i => (facts[i].Host, facts[i].Account)))
        {
            var run = g.OrderBy(i => facts[i].Ticks).ThenBy(i => i).ToList();
            for (int k = 1; k < run.Count; k++)
                if (facts[run[k]].Ticks - facts[run[k - 1]].Ticks <= CampaignBuilder.AccountGap.Ticks) uf.Union(run[k - 1], run[k]);
        }
    }

    [Theory]
    [InlineData(true, int.MaxValue, false)]
    [InlineData(true, 3, false)]
    [InlineData(true, 0, false)]
    [InlineData(true, 3, true)]
    [InlineData(false, int.MaxValue, false)]
    [InlineData(false, int.MaxValue, true)]
    public void Joins_the_runs_a_dictionary_of_last_detections_joined(bool ordered, int memoryKeys, bool colliding)
    {
        var limits = new BuildLimits(RunRows: 5, PageRows: 3, CachePages: 2) { AccountKeys = memoryKeys };
        Func<string, UInt128>? hash = colliding ? t => (UInt128)(t.Length % 2) : null;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var facts = Facts(seed, 1500, ordered);
            var expected = Sets(facts.Count, uf => Reference(facts, uf));
            long sorted = -1;
            var actual = Sets(facts.Count, uf =>
            {
                using var runs = new AccountRuns(ordered, CampaignBuilder.AccountGap, uf.Union, limits, hash);
                for (int i = 0; i < facts.Count; i++) runs.Add(facts[i].Host, facts[i].Account, facts[i].Ticks, i);
                sorted = runs.SortedRows;
                runs.Finish();
            });
            Assert.Equal(expected, actual);
            // Keys past the memory ones (every key, out of order) went through the sort.
            Assert.Equal(ordered && memoryKeys == int.MaxValue, sorted == 0);
            Assert.True(expected.Distinct().Count() > 20, "too few sets to tell");
            Assert.True(expected.Distinct().Count() < facts.Count / 2, "too few joins to tell");
        }
    }
}
