using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// Account runs: detections of the same account on the same host, consecutive by time (then position) and no further
/// apart than a gap, are joined. Facts in time order are joined as they come for the first <see cref="MemoryKeys"/>
/// (host, account) keys, keeping only each key's last detection. Every other key's detections (all of them when the facts
/// are not in time order) are rows (hash of the key, time, position) of an external sort, with the key's text in a file
/// (<see cref="TextTable"/>); <see cref="Finish"/> walks each key's rows in order and joins the consecutive ones. A password
/// spray at 3M accounts on one gateway held a dictionary entry, a key string and a last detection per account: ~200 MB
/// live for a moment of the build (peak 397 -> 599 MB).
/// </summary>
internal sealed class AccountRuns : IDisposable
{
    /// <summary>(host, account) keys joined in memory by default.</summary>
    public const int DefaultMemoryKeys = 1 << 17;

    private struct Row
    {
        public ulong High, Low;
        public long Ticks;
        public int Fact, Text;
    }

    private static int Compare(Row a, Row b) =>
        a.High != b.High ? a.High.CompareTo(b.High) : a.Low != b.Low ? a.Low.CompareTo(b.Low)
        : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Fact.CompareTo(b.Fact);

    private readonly long _gap;
    private readonly Action<int, int> _union;
    private readonly Func<string, UInt128> _hash;
    private readonly BuildLimits _limits;
    private Dictionary<(string Host, string Account), int>? _ids = [];
    private List<(long Ticks, int Fact)>? _last = [];
    private TextTable? _texts;
    private ExternalSorter<Row>? _rows;

    /// <param name="timeOrdered">Whether facts come in time order (then position): only then are keys joined as they come.</param>
    /// <param name="union">Joins two detections.</param>
    /// <param name="hash">The hash of a key's text (tests force collisions).</param>
    public AccountRuns(bool timeOrdered, TimeSpan gap, Action<int, int> union, BuildLimits limits, Func<string, UInt128>? hash = null)
    {
        _gap = gap.Ticks;
        _union = union;
        _limits = limits;
        _hash = hash ?? (t => TextHash.Of(t));
        MemoryKeys = timeOrdered ? limits.AccountKeys : 0;
    }

    /// <summary>Keys joined as they come (0 when the facts are not in time order).</summary>
    public int MemoryKeys { get; }

    /// <summary>Detections whose key went to the sort.</summary>
    public long SortedRows => _rows?.Count ?? 0;

    /// <summary>Detection <paramref name="fact"/> at <paramref name="ticks"/> of <paramref name="account"/> (an
    /// <see cref="Names.AccountKey"/>) on <paramref name="host"/>.</summary>
    public void Add(string host, string account, long ticks, int fact)
    {
        if (_ids is null) throw new InvalidOperationException("account runs: added after Finish");
        var key = (host, account);
        if (_ids.TryGetValue(key, out int id))
        {
            var (lastTicks, last) = _last![id];
            if (ticks - lastTicks <= _gap) _union(last, fact);
            _last[id] = (ticks, fact);
            return;
        }
        if (_ids.Count < MemoryKeys)
        {
            _ids[key] = _last!.Count;
            _last.Add((ticks, fact));
            return;
        }
        // Length-prefixed, so no (host, account) pair reads as another.
        string text = string.Concat(host.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), ":", host, account);
        _texts ??= _limits.KeyTexts("account-runs", 0);
        _rows ??= new ExternalSorter<Row>("account-runs", Compare, _limits.RunRows);
        var h = _hash(text);
        _rows.Add(new Row { High = (ulong)(h >> 64), Low = (ulong)h, Ticks = ticks, Fact = fact, Text = _texts.Id(text) });
    }

    /// <summary>Joins the runs of the sorted keys; the memory is released.</summary>
    public void Finish()
    {
        _ids = null;
        _last = null;
        if (_rows is null) return;
        var keys = new HashRunKeys(_texts!);
        // Per key of the hash run: its last detection.
        var last = new List<(long Ticks, int Fact)>();
        foreach (var r in _rows.Sorted())
        {
            if (keys.Hash(r.High, r.Low)) last.Clear();
            int k = keys.KeyOf(r.Text, out bool isNew);
            if (isNew) last.Add((r.Ticks, r.Fact));
            else
            {
                if (r.Ticks - last[k].Ticks <= _gap) _union(last[k].Fact, r.Fact);
                last[k] = (r.Ticks, r.Fact);
            }
        }
        Dispose();
    }

    public void Dispose()
    {
        _rows?.Dispose();
        _rows = null;
        _texts?.Dispose();
        _texts = null;
    }
}
