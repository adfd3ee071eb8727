using Vigil.IO;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// External addresses that more than a given number of internal hosts have flows to: infrastructure (a CDN, a mail
/// relay, an update server), not an actor's. Flows are one per (source, destination), so an address's flows from internal
/// sources are its distinct internal hosts.
/// <para>Memory: the addresses' 128-bit hashes (XxHash128 of the text) go through an external sort and only those of the
/// common addresses are kept, as sorted rows in a file (<see cref="SortedRows{T}"/>) searched by halving. A dictionary of
/// every external address with its count held ~100 bytes per address: a Zeek day with a million external addresses kept
/// 100 MB through the whole build. A wrong answer would need two addresses with the same 128-bit hash.</para>
/// </summary>
internal sealed class CommonAddresses : IDisposable
{
    private readonly SortedRows<UInt128> _common;

    public CommonAddresses(FlowStore flows, int moreThan, BuildLimits limits)
    {
        _common = new SortedRows<UInt128>("common-addresses", Math.Min(256, limits.PageRows), Math.Min(64, limits.CachePages));
        using var sorter = new ExternalSorter<UInt128>("external-hosts", (a, b) => a.CompareTo(b), limits.RunRows);
        for (int i = 0; i < flows.Count; i++)
            if (flows.Dest(i) is var dest && !Names.IsInternal(dest) && Names.IsInternal(flows.Source(i)))
                sorter.Add(TextHash.Of(dest));
        UInt128 current = default;
        long users = 0;
        foreach (var h in sorter.Sorted())
        {
            if (users > 0 && h != current)
            {
                if (users > moreThan) _common.Add(current);
                users = 0;
            }
            current = h;
            users++;
        }
        if (users > moreThan) _common.Add(current);
    }

    /// <summary>Common addresses found.</summary>
    public int Count => _common.Count;

    /// <summary>Whether more internal hosts than the threshold have flows to <paramref name="address"/>.</summary>
    public bool Contains(string address)
    {
        if (_common.Count == 0) return false;
        var h = TextHash.Of(address);
        int at = _common.LowerBound(h, static (r, q) => r < q);
        return at < _common.Count && _common[at] == h;
    }

    public void Dispose() => _common.Dispose();
}
