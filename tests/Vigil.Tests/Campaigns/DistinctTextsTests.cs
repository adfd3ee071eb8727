using Vigil.Campaigns.Entities;
using Xunit;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// <see cref="DistinctTexts"/>, a campaign's accounts and addresses in the order first seen, against a set and a list of
/// the same adds: all in memory, past a memory limit of 0, 3 and 100 texts (the rest through files in runs of 5 rows and
/// pages of 3), with hashes that collide for every key of one length, and with a table that remembers 2 texts (a text
/// added again later gets a second id and must still be one entry).
/// </summary>
public sealed class DistinctTextsTests
{
    private static List<string> Expected(IEnumerable<string> adds, Func<string, string>? keyOf)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>();
        foreach (var t in adds)
            if (t.Length > 0 && keys.Add(keyOf is null ? t : keyOf(t))) list.Add(t);
        return list;
    }

    private static List<string> Adds(int seed, int n)
    {
        var random = new Random(seed);
        // Addresses and accounts with repeats near and far, case variants (one account key), a long text, odd characters.
        string[] shapes = ["203.0.113.{0}", "2001:db8::{0:x}", "CORP\\user{0}", "corp\\USER{0}", "user{0}@corp.example", "{0}"];
        var adds = new List<string>();
        for (int i = 0; i < n; i++)
        {
            int r = random.Next(100);
            adds.Add(r switch
            {
                < 5 => "",
                < 8 => new string('x', 40 + random.Next(80)) + random.Next(5),
                < 10 => "\u00e9l\u00e8ve\ud800" + random.Next(3),
                _ => string.Format(System.Globalization.CultureInfo.InvariantCulture, shapes[random.Next(shapes.Length)], random.Next(n / 3 + 1)),
            });
        }
        return adds;
    }

    public static TheoryData<int, bool, bool, int> Shapes() => new()
    {
        { int.MaxValue, false, false, 1 << 12 },
        { 0, false, false, 1 << 12 },
        { 3, false, false, 1 << 12 },
        { 100, false, false, 2 },
        { 3, true, false, 2 },
        { 3, true, true, 2 },
        { 0, true, true, 1 << 12 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Lists_the_first_text_of_each_key_in_the_order_added(int memoryItems, bool colliding, bool accounts, int recent)
    {
        Func<string, string>? keyOf = accounts ? Names.AccountKey : null;
        Func<string, UInt128>? hash = colliding ? k => (UInt128)(k.Length % 4) : null;
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var adds = Adds(seed, 2000);
            var expected = Expected(adds, keyOf);
            using var list = new DistinctTexts("test", keyOf, memoryItems, runRows: 5, pageRows: 3, cachePages: 2, hash, recent);
            foreach (var t in adds) list.Add(t);
            // Before sealing: every key's first text, in order, once a repeat of a key already walked is skipped.
            Assert.Equal(expected, Expected(list.Added(), keyOf));
            Assert.Throws<InvalidOperationException>(() => list.Count);
            list.Seal();
            Assert.Equal(memoryItems < expected.Count, list.Spilled);
            Assert.Equal(expected.Count, list.Count);
            Assert.Equal(expected, list.ToList());
            // By index, backwards: the same texts.
            for (int i = list.Count - 1; i >= 0; i -= 7) Assert.Equal(expected[i], list[i]);
            Assert.Throws<InvalidOperationException>(() => list.Add("203.0.113.1"));
            Assert.Throws<InvalidOperationException>(() => list.Added().ToList());
        }
    }

    [Fact]
    public void A_subset_reads_the_places_it_is_given()
    {
        string[] all = ["a", "b", "c", "d"];
        var subset = new ListSubset<string>(all, [3, 0, 2]);
        Assert.Equal(["d", "a", "c"], subset.ToList());
        Assert.Equal(3, subset.Count);
        Assert.Equal("a", subset[1]);
    }
}
