using System.IO.Hashing;
using System.Runtime.InteropServices;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The logons of one event id (4624 or 4625) by source address, for the brute-force analysis: which logons came from an
/// address in a time window, and whether an account ever logged on from an address.
/// <para>
/// Rows, not lists: (address hash, time, position, account id) sorted in runs into a temporary file
/// (<see cref="SortedRows{T}"/>), and (address-and-account hash, position) the same way; nothing per logon stays in
/// memory but the first row of each 256-row page. The lists of (time, account) per address this replaces cost 16 bytes a
/// logon plus an entry per distinct (address, account) pair, and were why the context stopped keeping logons at 1M (a
/// domain controller's Security log has millions a day).
/// </para>
/// <para>
/// A query hashes the address (64-bit XxHash3), finds its rows by binary search and confirms each row's address (and
/// account) against the store: two addresses sharing a hash cost a read, never a wrong answer. Within an address, logons
/// come by time, then in the store's order (a stable order; the lists were sorted by an unstable sort, so logons of one
/// address at the same instant came in an order the sort chose).
/// </para>
/// </summary>
internal sealed class LogonAddressIndex : IDisposable
{
    private struct Row
    {
        public ulong Hash;
        public long Ticks;
        public int Position, Account;
    }

    private struct PairRow
    {
        public ulong Hash;
        public int Position;
    }

    private const int PageRows = 256;
    private readonly LogonStore _store;
    private readonly SortedRows<Row> _rows;
    private readonly SortedRows<PairRow>? _pairs;

    /// <param name="withAccounts">Also index (address, account) pairs for <see cref="AnyFrom"/>.</param>
    public LogonAddressIndex(LogonStore store, int eventId, bool withAccounts, BuildLimits limits)
    {
        _store = store;
        int pageRows = Math.Min(PageRows, limits.PageRows), cachePages = Math.Min(limits.CachePages, 64);
        _rows = new SortedRows<Row>($"logons-{eventId}-by-address", pageRows, cachePages);
        using var sorter = new ExternalSorter<Row>($"logons-{eventId}-by-address",
            (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position),
            limits.RunRows);
        using var pairSorter = withAccounts
            ? new ExternalSorter<PairRow>($"logons-{eventId}-by-account", (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Position.CompareTo(b.Position), limits.RunRows)
            : null;
        for (int i = 0; i < store.Count; i++)
        {
            if (store.EventId(i) != eventId) continue;
            var address = store.Address(i);
            if (address.Length == 0) continue;
            ulong h = Hash(address);
            int account = store.AccountId(i);
            sorter.Add(new Row { Hash = h, Ticks = store.Ticks(i), Position = i, Account = account });
            pairSorter?.Add(new PairRow { Hash = PairHash(h, Names.AccountKey(store.TextOf(account))), Position = i });
        }
        foreach (var r in sorter.Sorted()) _rows.Add(r);
        if (pairSorter is null) return;
        _pairs = new SortedRows<PairRow>($"logons-{eventId}-by-account", pageRows, cachePages);
        foreach (var r in pairSorter.Sorted()) _pairs.Add(r);
    }

    /// <summary>Logons indexed.</summary>
    public int Count => _rows.Count;

    private static ulong Hash(string text) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()));
    private static ulong PairHash(ulong address, string accountKey) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(accountKey.AsSpan()), unchecked((long)address));

    /// <summary>The logons from <paramref name="address"/> within [from, to], in time order: their time and account.</summary>
    public IEnumerable<(long Ticks, string Account)> In(string address, long from, long to)
    {
        ulong h = Hash(address);
        for (int k = _rows.LowerBound((h, from), static (r, key) => r.Hash < key.h || (r.Hash == key.h && r.Ticks < key.from)); k < _rows.Count; k++)
        {
            var r = _rows[k];
            if (r.Hash != h || r.Ticks > to) yield break;
            if (_store.Address(r.Position) != address) continue;
            yield return (r.Ticks, _store.TextOf(r.Account));
        }
    }

    /// <summary>Whether an account whose key is <paramref name="accountKey"/> logged on from <paramref name="address"/>.</summary>
    public bool AnyFrom(string address, string accountKey)
    {
        if (_pairs is null) throw new InvalidOperationException("this logon index was built without accounts");
        ulong h = PairHash(Hash(address), accountKey);
        for (int k = _pairs.LowerBound(h, static (r, key) => r.Hash < key); k < _pairs.Count; k++)
        {
            var r = _pairs[k];
            if (r.Hash != h) return false;
            if (_store.Address(r.Position) == address && Names.AccountKey(_store.TextOf(_store.AccountId(r.Position))) == accountKey) return true;
        }
        return false;
    }

    public void Dispose()
    {
        _rows.Dispose();
        _pairs?.Dispose();
    }
}
