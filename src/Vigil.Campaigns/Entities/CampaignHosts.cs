using System.Collections;
using Vigil.IO;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// A campaign's hosts, distinct, in the order added until <see cref="Reorder"/> puts them in the order first touched.
/// <para>
/// The first <see cref="MemoryHosts"/> are a list and a dictionary. Past them every host is in an exact
/// <see cref="TextTable"/> (one id each; past its budget in a file, found by hash), and the reorder is two external sorts:
/// an actor moving to 1M hosts made one campaign whose host list, set and first-touch dictionary held ~150 bytes a host.
/// </para>
/// <para>
/// The table is shared (<see cref="Texts"/>): a big campaign's links number their texts in it too (see
/// <see cref="Linking.LinkTable"/>), so each host name is in one table, not two (a hash slot of 16-32 bytes a host less).
/// Its texts are then not all hosts (a link's account, method and address are there too), so each host's place is
/// kept by text id (4 bytes a text, in memory: looked up in hash order) and each place's text id in a list.
/// </para>
/// <para>Not thread-safe.</para>
/// </summary>
internal sealed class CampaignHosts : IReadOnlyList<string>, IDisposable
{
    private readonly BuildLimits _limits;
    private List<string>? _list = [];
    private Dictionary<string, int>? _index = new(StringComparer.Ordinal);
    /// <summary>Past <see cref="MemoryHosts"/>: the hosts' names, and any text a big campaign's links put there.</summary>
    private TextTable? _texts;
    /// <summary>Past <see cref="MemoryHosts"/>: each host's text id, in the order added.</summary>
    private SpillList<int>? _textOf;
    /// <summary>Past <see cref="MemoryHosts"/>: by text id, the host's place in the order added plus one (0: not a host).</summary>
    private int[] _placeOf = [];
    /// <summary>Past <see cref="MemoryHosts"/>, once reordered: the hosts' places in the order added, in the new order.</summary>
    private SpillList<int>? _order;
    private bool _reordered;

    public CampaignHosts(BuildLimits limits)
    {
        _limits = limits;
        MemoryHosts = limits.ListTexts;
    }

    /// <summary>Hosts kept as a list and a dictionary; past them, in a text table.</summary>
    public int MemoryHosts { get; }

    public int Count => _list?.Count ?? _textOf!.Count;

    /// <summary>Whether the hosts went to a text table.</summary>
    public bool Spilled => _texts is not null;

    /// <summary>The exact text table the hosts went to (null while they are in memory). Others may number their texts in it
    /// (ids are never reused); those texts are not hosts unless added here.</summary>
    public TextTable? Texts => _texts;

    public string this[int index]
    {
        get
        {
            if (_list is not null) return _list[index];
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return _texts![_textOf![_order is null ? index : _order[index]]];
        }
    }

    /// <summary>Adds <paramref name="host"/> unless it is "" or already listed.</summary>
    public void Add(string host)
    {
        if (host.Length == 0) return;
        if (_reordered) throw new InvalidOperationException("campaign hosts: reordered, no more can be added");
        if (_list is not null)
        {
            if (_index!.ContainsKey(host)) return;
            if (_list.Count < MemoryHosts)
            {
                _index[host] = _list.Count;
                _list.Add(host);
                return;
            }
            _texts = _limits.KeyTexts("campaign-hosts", _limits.KeyTextChars / 4, exact: true);
            _textOf = _limits.List<int>("campaign host texts");
            var list = _list;
            (_list, _index) = (null, null);
            foreach (var h in list) AddSpilled(h);
        }
        AddSpilled(host);
    }

    private void AddSpilled(string host)
    {
        int id = _texts!.Id(host);
        if (id < _placeOf.Length && _placeOf[id] != 0) return;
        if (id >= _placeOf.Length) Array.Resize(ref _placeOf, Math.Max(id + 1, Math.Max(1024, _placeOf.Length + _placeOf.Length / 2)));
        _placeOf[id] = _textOf!.Count + 1;
        _textOf.Add(id);
    }

    /// <summary>The host's place (before <see cref="Reorder"/> when the hosts are in a text table), or -1.</summary>
    public int IndexOf(string host)
    {
        if (host.Length == 0) return -1;
        if (_index is not null) return _index.TryGetValue(host, out int i) ? i : -1;
        int id = _texts!.Find(host);
        return id > 0 && id < _placeOf.Length ? _placeOf[id] - 1 : -1;
    }

    /// <summary>Orders the hosts by the first time <paramref name="touches"/> gives each (hosts not touched last), ties in
    /// the order added: what a stable sort by the earliest touch gives.</summary>
    public void Reorder(IEnumerable<(string Host, long Ticks)> touches)
    {
        if (_reordered) throw new InvalidOperationException("campaign hosts: already reordered");
        _reordered = true;
        if (_list is not null)
        {
            var first = new long[_list.Count];
            Array.Fill(first, long.MaxValue);
            foreach (var (h, t) in touches)
                if (IndexOf(h) is int i and >= 0 && t < first[i]) first[i] = t;
            var order = Enumerable.Range(0, _list.Count).OrderBy(i => first[i]).Select(i => _list[i]).ToList();
            _list = order;
            _index = new Dictionary<string, int>(order.Count, StringComparer.Ordinal);
            for (int i = 0; i < order.Count; i++) _index[order[i]] = i;
            return;
        }
        _order = _limits.List<int>("campaign host order", Count);
        using var byHost = new ExternalSorter<(int Host, long Ticks)>("campaign-host-touches", (a, b) => a.CompareTo(b), _limits.RunRows);
        using var byTime = new ExternalSorter<(long Ticks, int Host)>("campaign-host-order", (a, b) => a.CompareTo(b), _limits.RunRows);
        foreach (var (h, t) in touches)
            if (IndexOf(h) is int i and >= 0) byHost.Add((i, t));
        int next = 0;
        foreach (var (host, ticks) in byHost.Sorted())
        {
            if (host < next) continue; // a later touch of a host already placed
            for (; next < host; next++) byTime.Add((long.MaxValue, next));
            byTime.Add((ticks, host));
            next = host + 1;
        }
        for (; next < Count; next++) byTime.Add((long.MaxValue, next));
        foreach (var (_, host) in byTime.Sorted()) _order.Add(host);
    }

    public IEnumerator<string> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _order?.Dispose();
        _textOf?.Dispose();
        _texts?.Dispose();
    }
}
