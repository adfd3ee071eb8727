using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Rules;
using Xunit;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// Which host an address belongs to (<see cref="AddressBook"/>): answers from sorted votes, kept in memory up to a cap and
/// past it in files, against the votes counted in dictionaries (what the build did before): the most votes win, ties go
/// to the first name in ordinal order, and each host lists its first four addresses in ordinal order.
/// </summary>
public sealed class AddressBookTests
{
    /// <summary>Random votes (repeated across "partitions", ties, votes naming no host) through books of every shape:
    /// all in memory; every answer and host name in files with sort runs of 3; a few in memory with host names' hashes
    /// colliding.</summary>
    [Theory]
    [InlineData(int.MaxValue, 1 << 15, 256, 64, -1L, false)]
    [InlineData(0, 3, 2, 1, 0L, false)]
    [InlineData(100, 5, 4, 2, -1L, false)]
    [InlineData(7, 5, 3, 2, 200L, true)]
    public void Answers_equal_votes_counted_in_memory(int memoryAddresses, int runRows, int pageRows, int cachePages, long hostChars, bool collide)
    {
        var rng = new Random(17);
        var votes = new List<(string Address, string Host, long Count)>();
        for (int a = 0; a < 1500; a++)
        {
            string address = a % 3 == 0 ? $"fd12:3456:789a:1::{a:x}" : $"10.{a / 65536}.{a / 256 % 256}.{a % 256}";
            // Most addresses have one host; some two or three, in several partitions; some are tied.
            int hosts = rng.Next(10) < 7 ? 1 : rng.Next(2, 4);
            for (int h = 0; h < hosts; h++)
            {
                string host = a % 97 == 0 && h == 0 ? "" : $"H{(a * 7 + h * 131) % 300}" + (a % 11 == 0 ? "-b" : "");
                int partitions = rng.Next(1, 4);
                for (int p = 0; p < partitions; p++) votes.Add((address, host, a % 13 == 0 ? 2 : rng.Next(1, 5)));
            }
        }
        // Tied addresses: the ordinal first name wins ("Ab" before "a", "B" before "b").
        votes.AddRange([("10.9.9.1", "b", 2), ("10.9.9.1", "B", 2), ("10.9.9.2", "a", 3), ("10.9.9.2", "Ab", 3), ("10.9.9.2", "Ab", 0)]);
        // Shuffled: the order votes come in does not matter.
        votes = votes.OrderBy(_ => rng.Next()).ToList();

        Func<string, UInt128>? hash = collide ? s => (UInt128)(s.Length % 4) : null;
        using var book = new AddressBook(memoryAddresses, runRows, pageRows, cachePages,
            hostChars < 0 ? Vigil.Campaigns.Entities.TextTable.DefaultMemoryChars / 4 : hostChars, hash);
        foreach (var (address, host, count) in votes) Assert.True(book.Add(address, host, count));
        Assert.Equal(votes.Count, book.Votes);
        // No address Vigil writes is longer than 56 characters or not ASCII; such a text is refused.
        Assert.False(book.Add(new string('1', AddressBook.MaxAddressLength + 1), "H1", 1));
        Assert.False(book.Add("10.0.0.é", "H1", 1));
        Assert.True(book.Add("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295", "LONG", 1));
        votes.Add(("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295", "LONG", 1));

        var expected = votes.GroupBy(v => v.Address).ToDictionary(g => g.Key,
            g => g.GroupBy(v => v.Host).Select(h => (Host: h.Key, Count: h.Sum(v => v.Count)))
                .OrderByDescending(h => h.Count).ThenBy(h => h.Host, StringComparer.Ordinal).First().Host, StringComparer.Ordinal);
        Assert.Equal(expected.Count, book.Count);
        Assert.Equal(Math.Max(0, expected.Count - memoryAddresses), book.FileAnswers);
        int hostCount = expected.Values.Distinct().Count();
        Assert.Equal(Math.Max(0, hostCount - memoryAddresses), book.FileHosts);
        Assert.Equal("B", book.HostOf("10.9.9.1"));
        Assert.Equal("Ab", book.HostOf("10.9.9.2"));
        Assert.True(expected.Values.Count(h => h == "") >= 10, "too few addresses whose winning vote names no host");
        foreach (var (address, host) in expected)
        {
            Assert.True(book.TryHostOf(address, out var found), address);
            Assert.Equal(host, found);
            Assert.Equal(host, book.HostOf(address));
            Assert.True(book.IsAt(address, host));
            Assert.False(book.IsAt(address, host + "x"));
        }
        foreach (var unknown in new[] { "10.8.0.1", "fd12:3456:789a:1::ffff", "", "10.0.0.10 ", "10.0.0.é", new string('1', 60), "10.0.0" })
        {
            Assert.False(book.TryHostOf(unknown, out var none));
            Assert.Equal("", none);
            Assert.False(book.IsAt(unknown, ""));
        }

        var byHost = expected.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.Select(kv => kv.Key).Order(StringComparer.Ordinal).Take(4).ToList());
        Assert.Contains(byHost.Values, l => l.Count == 4);
        foreach (var (host, first) in byHost) Assert.Equal(first, book.FirstAddresses(host));
        Assert.Empty(book.FirstAddresses("NO-SUCH-HOST"));
        Assert.Throws<InvalidOperationException>(() => book.Add("10.1.1.1", "H1", 1));
    }

    /// <summary>A domain controller's logons from 3,000 IPv6 addresses (each workstation's in turn, as privacy addresses
    /// change), hunted with addresses past the first 3 answered from the file: each address is its workstation's, nothing is
    /// dropped, and a workstation lists its four first addresses.</summary>
    [Fact]
    public void Logons_from_thousands_of_addresses_name_their_workstations()
    {
        var dir = Vigil.Tests.Cli.CliRunner.TempDir("address-book");
        var path = Path.Combine(dir, "dc.jsonl");
        var lines = new List<string>();
        for (int i = 0; i < 6000; i++)
        {
            int a = i * 7 % 3000, ws = a % 500;
            string ts = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i * 10).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
            lines.Add($$"""{"TimeCreated":"{{ts}}","EventID":4624,"EventRecordID":{{i + 1}},"Channel":"Security","Computer":"DC01.corp.example","TargetUserName":"{{(i % 2 == 0 ? $"WS{ws:D3}$" : $"user{ws}")}}","TargetDomainName":"CORP","TargetLogonId":"0x{{0x100000 + i:x}}","LogonType":"3","WorkstationName":"WS{{ws:D3}}","IpAddress":"fd12:3456:789a:1::{{a + 1:x}}","IpPort":"49152"}""");
        }
        File.WriteAllLines(path, lines);
        var set = RuleLoader.Load([], includeBuiltin: true);
        var collector = OtrfRecordings.Hunt(set, new CampaignCollector(pageRows: 3, cachePages: 2), [path]);
        var book = collector.Context.Addresses;
        Assert.Equal(0, collector.Context.Dropped);
        Assert.Equal(3000, book.Count);
        Assert.Equal(2997, book.FileAnswers);
        for (int a = 0; a < 3000; a++) Assert.Equal($"WS{a % 500:D3}", book.HostOf($"fd12:3456:789a:1::{a + 1:x}"));
        Assert.Equal(["fd12:3456:789a:1::1", "fd12:3456:789a:1::1f5", "fd12:3456:789a:1::3e9", "fd12:3456:789a:1::5dd"], book.FirstAddresses("WS000"));
    }
}

/// <summary>Lateral movements kept as rows (<see cref="Vigil.Campaigns.Linking.MovementStore"/>) read back equal to the
/// links added: every field and every key of both sides, in order, through 3-row pages with every text in the file.</summary>
public sealed class MovementStoreTests
{
    [Theory]
    [InlineData(3, 2, 0L)]
    [InlineData(256, 64, 1L << 20)]
    public void Movements_read_back_equal_to_the_links_added(int pageRows, int cachePages, long textChars)
    {
        var rng = new Random(3);
        var added = new List<Vigil.Campaigns.Linking.Lateral>();
        using var store = new Vigil.Campaigns.Linking.MovementStore(pageRows, cachePages, textChars);
        for (int i = 0; i < 500; i++)
        {
            var from = Enumerable.Range(0, rng.Next(4)).Select(k => k switch
            {
                0 => Vigil.Campaigns.Linking.UnionFind.Key.Tree(rng.Next(1000)),
                1 => Vigil.Campaigns.Linking.UnionFind.Key.Session("WS" + rng.Next(50), 0x3e7 + i),
                _ => Vigil.Campaigns.Linking.UnionFind.Key.Of(k == 2 ? "" : "svc|PSEXESVC|" + i),
            }).ToList();
            var to = Enumerable.Range(0, rng.Next(70)).Select(k => Vigil.Campaigns.Linking.UnionFind.Key.Tree(k * 7 + i)).ToList();
            var l = new Vigil.Campaigns.Linking.Lateral("WS" + rng.Next(50), "SRV" + rng.Next(5), i % 9 == 0 ? "" : "CORP\\u" + rng.Next(100),
                i % 3 == 0 ? "rdp" : "psexec", 638_000_000_000_000_000 + i, i % 4 == 0 ? "" : "fd00::" + i.ToString("x"), from, to);
            added.Add(l);
            store.Add(l);
        }
        Assert.Equal(added.Count, store.Count);
        static string Text(Vigil.Campaigns.Linking.Lateral l) =>
            $"{l.From}>{l.To} {l.Account} {l.Method} {l.Ticks} {l.SourceAddress} from [{string.Join(",", l.FromKeys.Select(K))}] to [{string.Join(",", l.ToKeys.Select(K))}]";
        static string K(Vigil.Campaigns.Linking.UnionFind.Key k) => $"{k.Kind}:{(k.Text is null ? "null" : "'" + k.Text + "'")}:{k.Number}";
        Assert.Equal(added.Select(Text), store.Select(Text));
        // Random access too, as the build asks for a campaign's links.
        foreach (int i in new[] { 499, 0, 250, 3, 498 }) Assert.Equal(Text(added[i]), Text(store[i]));
    }
}

/// <summary>The cloud-key linking's search for the latest key search within a day before a first use, by halving, gives
/// what <c>FindLastIndex</c> with that condition gave: random times with many equal ones, asked at every time, between
/// times and past both ends.</summary>
public sealed class LatestWithinTests
{
    [Fact]
    public void Halving_finds_what_find_last_index_found()
    {
        var rng = new Random(9);
        for (int round = 0; round < 50; round++)
        {
            var times = Enumerable.Range(0, rng.Next(0, 40)).Select(_ => (long)rng.Next(0, 30)).Order().ToList();
            long within = rng.Next(0, 6);
            for (long t = -2; t <= 33; t++)
            {
                int expected = times.FindLastIndex(x => x <= t && t - x <= within);
                Assert.Equal(expected, CampaignBuilder.LatestWithin(times, x => x, t, within));
            }
        }
    }
}
