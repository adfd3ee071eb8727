using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The logons of one event id (4624 or 4625) by source address, for the brute-force analysis: which logons came from an
/// address in a time window, and whether an account ever logged on from an address.
/// <para>
/// Rows, not lists: (address hash, time, position, account id) in a <see cref="StoreTimeIndex{T}"/> (sorted in runs into a
/// temporary file), and each distinct (address, account key) pair's hash sorted the same way; nothing per logon stays in
/// memory but the first row of each 256-row page. The lists of (time, account) per address this replaces cost 16 bytes a
/// logon plus an entry per distinct (address, account) pair, and were why the context stopped keeping logons at 1M (a
/// domain controller's Security log has millions a day).
/// </para>
/// <para>
/// A query hashes the address (128-bit XxHash128) and finds its rows by binary search; nothing is read from the store but
/// the account's text (a wrong answer would need two addresses with the same 128-bit hash: with 100M distinct addresses,
/// a chance of about 10^-23; confirming each row against the store's row cost a random page read per logon and made the
/// 12.2M-event day's build 3x slower). Within an address, logons
/// come by time, then in the store's order (a stable order; the lists were sorted by an unstable sort, so logons of one
/// address at the same instant came in an order the sort chose).
/// </para>
/// </summary>
internal sealed class LogonAddressIndex : IDisposable
{
    private readonly LogonStore _store;
    /// <summary>Logons by address, each with its account id (the index's number).</summary>
    private readonly StoreTimeIndex<int> _byAddress;
    /// <summary>Hashes of (address, account key) pairs, each once.</summary>
    private readonly SortedRows<UInt128>? _pairs;

    /// <param name="withAccounts">Also index (address, account) pairs for <see cref="AnyFrom"/>.</param>
    public LogonAddressIndex(LogonStore store, int eventId, bool withAccounts, BuildLimits limits)
    {
        _store = store;
        _byAddress = new StoreTimeIndex<int>($"logons-{eventId}-by-address", position => position, limits);
        using var pairSorter = withAccounts ? new ExternalSorter<UInt128>($"logons-{eventId}-by-account", (a, b) => a.CompareTo(b), limits.RunRows) : null;
        for (int i = 0; i < store.Count; i++)
        {
            if (store.EventId(i) != eventId) continue;
            var address = store.Address(i);
            if (address.Length == 0) continue;
            int account = store.AccountId(i);
            _byAddress.Add(address, store.Ticks(i), i, account);
            pairSorter?.Add(PairHash(address, Names.AccountKey(store.TextOf(account))));
        }
        _byAddress.Complete();
        if (pairSorter is null) return;
        _pairs = new SortedRows<UInt128>($"logons-{eventId}-by-account", Math.Min(256, limits.PageRows), Math.Min(64, limits.CachePages));
        bool any = false;
        UInt128 last = default;
        foreach (var h in pairSorter.Sorted())
        {
            if (any && h == last) continue;
            _pairs.Add(h);
            (any, last) = (true, h);
        }
    }

    /// <summary>Logons indexed.</summary>
    public int Count => _byAddress.Count;

    private static UInt128 PairHash(string address, string accountKey) => TextHash.Of(address, accountKey);

    /// <summary>The logons from <paramref name="address"/> within [from, to], in time order: their time and account.</summary>
    public IEnumerable<(long Ticks, string Account)> In(string address, long from, long to) =>
        _byAddress.Entries(address, from, to).Select(e => (e.Ticks, _store.TextOf(e.Value)));

    /// <summary>Whether an account whose key is <paramref name="accountKey"/> logged on from <paramref name="address"/>.</summary>
    public bool AnyFrom(string address, string accountKey)
    {
        if (_pairs is null) throw new InvalidOperationException("this logon index was built without accounts");
        var h = PairHash(address, accountKey);
        int k = _pairs.LowerBound(h, static (r, key) => r < key);
        return k < _pairs.Count && _pairs[k] == h;
    }

    public void Dispose()
    {
        _byAddress.Dispose();
        _pairs?.Dispose();
    }
}
