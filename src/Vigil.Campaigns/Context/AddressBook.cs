using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Context;

/// <summary>
/// Which host an internal address belongs to, as the logs show it: the votes of a host's own Sysmon 3 source address, a
/// 4624's IpAddress with its WorkstationName or machine account, and Sysmon's resolved DestinationHostname; an address
/// belongs to the host most votes name (ties: the first name in ordinal order).
/// <para>
/// An address is kept as its text inline in fixed-size rows (<see cref="MaxAddressLength"/> ASCII characters: every
/// address <see cref="Names.Address"/> writes fits), so rows sort by address in ordinal order and compare without a text
/// lookup. While the hunt runs, each partition's votes, counted per (address, host), are rows of an external sort
/// (<see cref="ExternalSorter{T}"/>: one run in memory); host names are in a <see cref="TextTable"/> (in memory up to its
/// budget). The first read (<see cref="Seal"/>) counts each address's votes from the sorted rows and keeps the answer: in a
/// dictionary for the first <see cref="MemoryAddresses"/> addresses, past that as rows in address order in a file
/// (<see cref="SortedRows{T}"/>), searched by halving. Each host's first <see cref="Listed"/> addresses (ordinal order, the
/// ones a campaign lists) are kept the same way, found from the answers sorted by host.
/// </para>
/// <para>
/// Memory whatever the number of addresses: a sort run, the host names' budget and the two dictionaries' caps (~30 MB at
/// most). This was a dictionary of dictionaries (~250 bytes an address) capped at 1M addresses: IPv6 privacy addresses
/// change daily, and a domain controller's 3M logons from 2M of them took 839 MB and dropped 950K records. Not
/// thread-safe.
/// </para>
/// </summary>
public sealed class AddressBook : IDisposable
{
    /// <summary>Addresses (and hosts) whose answers stay in memory by default.</summary>
    public const int DefaultMemoryAddresses = 1 << 17;
    /// <summary>Addresses listed per host (<see cref="FirstAddresses"/>).</summary>
    public const int Listed = 4;
    /// <summary>The longest address kept: <see cref="Names.Address"/> writes at most 50 characters (IPv6 with a scope id).</summary>
    public const int MaxAddressLength = 56;

    [InlineArray(MaxAddressLength)]
    private struct Chars
    {
        private byte _first;
    }

    /// <summary>An address's ASCII text inline; ordered as strings are by ordinal comparison.</summary>
    private struct Key
    {
        public Chars Text;
        public int Length;

        public static bool TryMake(string address, out Key key)
        {
            key = default;
            if (address.Length > MaxAddressLength) return false;
            Span<byte> text = key.Text;
            for (int i = 0; i < address.Length; i++)
            {
                if (address[i] > 127) return false;
                text[i] = (byte)address[i];
            }
            key.Length = address.Length;
            return true;
        }

        public static int Compare(in Key a, in Key b)
        {
            ReadOnlySpan<byte> x = a.Text, y = b.Text;
            return x[..a.Length].SequenceCompareTo(y[..b.Length]);
        }

        public override readonly string ToString()
        {
            ReadOnlySpan<byte> text = Text;
            return System.Text.Encoding.ASCII.GetString(text[..Length]);
        }
    }

    /// <summary>A partition's votes for (address, host).</summary>
    private struct Vote
    {
        public Key Address;
        public int Host;
        public long Count;

        public static int Compare(Vote a, Vote b)
        {
            int c = Key.Compare(a.Address, b.Address);
            return c != 0 ? c : a.Host.CompareTo(b.Host);
        }
    }

    /// <summary>An address's host, for the lookup past the dictionary (in address order).</summary>
    private struct Answer
    {
        public Key Address;
        public int Host;
    }

    /// <summary>An address of a host, sorted by the host's hash and then the address, to find each host's first ones.</summary>
    private struct HostAddress
    {
        public UInt128 Hash;
        public int Host;
        public Key Address;

        public static int Compare(HostAddress a, HostAddress b)
        {
            if (a.Hash != b.Hash) return a.Hash.CompareTo(b.Hash);
            int c = Key.Compare(a.Address, b.Address);
            return c != 0 ? c : a.Host.CompareTo(b.Host);
        }
    }

    /// <summary>A host's first addresses (<see cref="Count"/> of them), for the lookup past the dictionary.</summary>
    private struct HostFirst
    {
        public UInt128 Hash;
        public int Host, Count;
        public Keys4 Addresses;
    }

    [InlineArray(Listed)]
    private struct Keys4
    {
        private Key _first;
    }

    private readonly TextTable _hostNames;
    private readonly Func<string, UInt128> _hash;
    private readonly int _runRows, _pageRows, _cachePages;
    private ExternalSorter<Vote>? _votes;
    private bool _sealed;
    private readonly Dictionary<string, string> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string[]> _first = new(StringComparer.Ordinal);
    private SortedRows<Answer>? _answers;
    private SortedRows<HostFirst>? _firstRows;
    private int _count;

    /// <summary>Addresses whose answers stay in memory (and hosts whose first addresses do); the rest are looked up in files.</summary>
    public int MemoryAddresses { get; }

    public AddressBook() : this(DefaultMemoryAddresses) { }

    /// <param name="memoryAddresses">Answers kept in dictionaries (tests: 0, every lookup through the files).</param>
    /// <param name="hostChars">The host names' memory budget (see <see cref="TextTable"/>).</param>
    /// <param name="hash">Tests: a host name hash with collisions, to show that hosts sharing one stay apart.</param>
    internal AddressBook(int memoryAddresses, int runRows = 1 << 15, int pageRows = 32, int cachePages = 1024,
        long hostChars = TextTable.DefaultMemoryChars / 4, Func<string, UInt128>? hash = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryAddresses);
        MemoryAddresses = memoryAddresses;
        _runRows = runRows;
        _pageRows = pageRows;
        _cachePages = cachePages;
        _hostNames = new TextTable("address-hosts", hostChars);
        _hash = hash ?? (s => TextHash.Of(s));
    }

    /// <summary>Votes added so far (rows: one per partition and (address, host)).</summary>
    public long Votes => _votes?.Count ?? 0;

    /// <summary>Adds <paramref name="count"/> votes for <paramref name="host"/> at <paramref name="address"/>; false (nothing
    /// added) for an address longer than <see cref="MaxAddressLength"/> or not ASCII, which no address Vigil writes is.</summary>
    public bool Add(string address, string host, long count)
    {
        if (_sealed) throw new InvalidOperationException("addresses: votes added after the book was read");
        if (!Key.TryMake(address, out var key)) return false;
        _votes ??= new ExternalSorter<Vote>("address-votes", Vote.Compare, _runRows);
        _votes.Add(new Vote { Address = key, Host = _hostNames.Id(host), Count = count });
        return true;
    }

    /// <summary>Addresses with a host. Reading it seals the book.</summary>
    public int Count { get { Seal(); return _count; } }

    /// <summary>Answers looked up in the file (tests: the lookups really went through it).</summary>
    internal int FileAnswers { get { Seal(); return _answers?.Count ?? 0; } }

    /// <summary>Hosts whose first addresses are looked up in the file.</summary>
    internal int FileHosts { get { Seal(); return _firstRows?.Count ?? 0; } }

    /// <summary>The host <paramref name="address"/> belongs to, or "" when no event put one there.</summary>
    public string HostOf(string address) => TryHostOf(address, out var host) ? host : "";

    /// <summary>Whether <paramref name="address"/> belongs to <paramref name="host"/>.</summary>
    public bool IsAt(string address, string host) => TryHostOf(address, out var h) && h == host;

    /// <summary>The host at <paramref name="address"/>, if the events put one there ("" counts: a vote may name no host).</summary>
    public bool TryHostOf(string address, out string host)
    {
        Seal();
        if (_hosts.TryGetValue(address, out host!)) return true;
        host = "";
        if (_answers is not { Count: > 0 } answers || !Key.TryMake(address, out var key)) return false;
        int at = answers.LowerBound(key, static (r, k) => Key.Compare(r.Address, k) < 0);
        if (at == answers.Count || Key.Compare(answers[at].Address, key) != 0) return false;
        host = _hostNames[answers[at].Host];
        return true;
    }

    /// <summary>The first <see cref="Listed"/> addresses of <paramref name="host"/> in ordinal order (fewer if it has fewer).</summary>
    public IReadOnlyList<string> FirstAddresses(string host)
    {
        Seal();
        if (_first.TryGetValue(host, out var listed)) return listed;
        if (_firstRows is not { Count: > 0 } rows) return [];
        var hash = _hash(host);
        for (int k = rows.LowerBound(hash, static (r, h) => r.Hash < h); k < rows.Count && rows[k].Hash == hash; k++)
        {
            var row = rows[k];
            if (_hostNames[row.Host] != host) continue;
            var found = new string[row.Count];
            for (int j = 0; j < row.Count; j++) found[j] = row.Addresses[j].ToString();
            return found;
        }
        return [];
    }

    /// <summary>Ends the voting: each address's votes, adjacent in the sorted rows, are counted per host name and its answer
    /// kept; then each host's first addresses are found from its answers sorted by host. Done once, on the first read;
    /// adding after it throws.</summary>
    public void Seal()
    {
        if (_sealed) return;
        _sealed = true;
        if (_votes is null) return;
        using var votes = _votes;
        _votes = null;
        using var byHost = new ExternalSorter<HostAddress>("address-hosts", HostAddress.Compare, _runRows);
        // One address's votes, summed per host id as they come in that order.
        var run = new List<Vote>();
        foreach (var v in votes.Sorted())
        {
            if (run.Count > 0 && Key.Compare(run[^1].Address, v.Address) != 0) { Decide(run, byHost); run.Clear(); }
            if (run.Count > 0 && run[^1].Host == v.Host)
            {
                var last = run[^1];
                last.Count += v.Count;
                run[^1] = last;
            }
            else run.Add(v);
        }
        if (run.Count > 0) Decide(run, byHost);
        ListFirst(byHost);
    }

    /// <summary>One address's answer from its votes: most votes, ties to the ordinal first name (a name's votes may be under
    /// more than one id: a name first seen after the table's budget was spent).</summary>
    private void Decide(List<Vote> run, ExternalSorter<HostAddress> byHost)
    {
        string best = _hostNames[run[0].Host];
        int bestId = run[0].Host;
        if (run.Count > 1)
        {
            var tally = new Dictionary<string, (long Count, int Id)>(StringComparer.Ordinal);
            foreach (var v in run)
            {
                var name = _hostNames[v.Host];
                tally[name] = tally.TryGetValue(name, out var t) ? (t.Count + v.Count, t.Id) : (v.Count, v.Host);
            }
            long top = -1;
            foreach (var (name, t) in tally)
                if (t.Count > top || (t.Count == top && string.CompareOrdinal(name, best) < 0)) (best, bestId, top) = (name, t.Id, t.Count);
        }
        var address = run[0].Address;
        if (_count < MemoryAddresses) _hosts[address.ToString()] = best;
        else (_answers ??= new SortedRows<Answer>("address-answers", _pageRows, _cachePages)).Add(new Answer { Address = address, Host = bestId });
        _count++;
        byHost.Add(new HostAddress { Hash = _hash(best), Host = bestId, Address = address });
    }

    /// <summary>Each host's first addresses, from its answers sorted by host hash and then address: a host's rows come in
    /// ordinal order of their addresses, so its first <see cref="Listed"/> are kept and the rest passed over (hosts sharing
    /// a hash, or a name under two ids, told apart by their names).</summary>
    private void ListFirst(ExternalSorter<HostAddress> byHost)
    {
        int hosts = 0;
        // One hash's hosts (usually one), each with its first addresses so far.
        var run = new Dictionary<string, (UInt128 Hash, int Id, List<Key> First)>(StringComparer.Ordinal);
        UInt128 hash = default;
        int lastId = -1;
        List<Key>? lastFirst = null;
        void Flush()
        {
            foreach (var (host, (h, id, first)) in run)
            {
                if (hosts++ < MemoryAddresses) { _first[host] = first.Select(f => f.ToString()).ToArray(); continue; }
                var row = new HostFirst { Hash = h, Host = id, Count = first.Count };
                for (int k = 0; k < first.Count; k++) row.Addresses[k] = first[k];
                (_firstRows ??= new SortedRows<HostFirst>("address-first", _pageRows, _cachePages)).Add(row);
            }
            run.Clear();
            lastId = -1;
        }
        foreach (var a in byHost.Sorted())
        {
            if (run.Count > 0 && a.Hash != hash) Flush();
            hash = a.Hash;
            if (a.Host != lastId)
            {
                var host = _hostNames[a.Host];
                if (!run.TryGetValue(host, out var entry)) run[host] = entry = (a.Hash, a.Host, new List<Key>(Listed));
                (lastId, lastFirst) = (a.Host, entry.First);
            }
            if (lastFirst!.Count < Listed) lastFirst.Add(a.Address);
        }
        Flush();
    }

    public void Dispose()
    {
        _votes?.Dispose();
        _answers?.Dispose();
        _firstRows?.Dispose();
        _hostNames.Dispose();
    }
}
