using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Linking;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The logons-by-address index of the brute-force analysis as sorted rows in files (issue 4: the lists it replaced held
/// 16 bytes a logon, and the context stopped keeping logons at 1M). Over random logons with many at the same instant, and
/// every row and text going through tiny pages, it must give what lists per address give: each address's logons in a
/// window by time then store order, and whether an account (by its key) ever logged on from an address.
/// </summary>
public sealed class LogonAddressIndexTests
{
    [Theory]
    [InlineData(5, 3, 2)]
    [InlineData(1_000_000, 64, 1024)]
    public void Rows_in_files_answer_as_lists_per_address_do(int runRows, int pageRows, int cachePages)
    {
        var random = new Random(7);
        string[] addresses = ["10.0.0.5", "10.0.0.6", "", "198.51.100.7", "203.0.113.9", "fe80::1"];
        string[] accounts = ["CORP\\alice", "corp\\ALICE", "bob", "svc-sql$", "", "CORP\\Administrator"];
        var store = new LogonStore(pageRows: 3, cachePages: 2, textChars: 0);
        var logons = new List<LogonRec>();
        for (int i = 0; i < 3_000; i++)
        {
            var l = new LogonRec(TimeSpan.TicksPerSecond * random.Next(200), "DC1", random.Next(3) switch { 0 => 4624, 1 => 4625, _ => 4672 },
                3, addresses[random.Next(addresses.Length)], accounts[random.Next(accounts.Length)], random.Next(1000), "", "", "", 0, 0, "");
            logons.Add(l);
            store.Add(l);
        }
        var limits = new Vigil.Campaigns.BuildLimits(runRows, pageRows, cachePages);
        using var failures = new LogonAddressIndex(store, 4625, withAccounts: false, limits);
        using var successes = new LogonAddressIndex(store, 4624, withAccounts: true, limits);
        Assert.Equal(logons.Count(l => l.EventId == 4625 && l.Address.Length > 0), failures.Count);

        foreach (var (index, eventId) in new[] { (failures, 4625), (successes, 4624) })
            foreach (var address in addresses.Append("192.0.2.1"))
                for (int w = 0; w < 20; w++)
                {
                    long from = TimeSpan.TicksPerSecond * random.Next(-10, 200), to = from + TimeSpan.TicksPerSecond * random.Next(0, 60);
                    var expected = logons.Select((l, i) => (l, i))
                        .Where(x => x.l.EventId == eventId && x.l.Address.Length > 0 && x.l.Address == address && x.l.Ticks >= from && x.l.Ticks <= to)
                        .OrderBy(x => x.l.Ticks).ThenBy(x => x.i).Select(x => (x.l.Ticks, x.l.Account)).ToList();
                    Assert.Equal(expected, index.In(address, from, to).ToList());
                }

        var pairs = logons.Where(l => l.EventId == 4624 && l.Address.Length > 0).Select(l => (l.Address, Names.AccountKey(l.Account))).ToHashSet();
        foreach (var address in addresses.Append("192.0.2.1"))
            foreach (var account in accounts.Append("mallory"))
                Assert.Equal(pairs.Contains((address, Names.AccountKey(account))), successes.AnyFrom(address, Names.AccountKey(account)));
        Assert.Throws<InvalidOperationException>(() => failures.AnyFrom("10.0.0.5", "bob"));
    }
}
