using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The lateral movements a build found, as rows: each movement's fields are a fixed-size row (texts as ids into a
/// <see cref="TextTable"/>) and its keys are rows of a second file, so <c>store[i]</c> builds a <see cref="Lateral"/>
/// equal to the one added, on demand. Every RDP logon a host answered is a movement (its session is the target side):
/// a terminal-server farm's month is millions of them, and as objects with their key lists they were ~300 bytes each in
/// memory (646,597 RDP logons: 197 MB of live heap, peak 384 MB against 181 MB for the same logons as share access).
/// <para>Memory: the two files' page caches and the text table's budget, whatever the number of movements. Not
/// thread-safe.</para>
/// </summary>
internal sealed class MovementStore : IReadOnlyList<Lateral>, IDisposable
{
    private struct Row
    {
        public long Ticks;
        public int From, To, Account, Method, Address;
        public int FromKeys, FromKeyCount, ToKeys, ToKeyCount;
    }

    private readonly RowFile<Row> _rows;
    private readonly RowFile<UnionFind.KeyRow> _keys;
    private readonly TextTable _texts;

    public MovementStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 4)
    {
        _rows = new RowFile<Row>("lateral-movements", pageRows, cachePages);
        _keys = new RowFile<UnionFind.KeyRow>("lateral-movement-keys", pageRows, cachePages);
        _texts = new TextTable("lateral-movements", textChars);
    }

    public int Count => _rows.Count;

    public void Add(Lateral l)
    {
        var row = new Row
        {
            Ticks = l.Ticks, From = _texts.Id(l.From), To = _texts.Id(l.To), Account = _texts.Id(l.Account),
            Method = _texts.Id(l.Method), Address = _texts.Id(l.SourceAddress),
            FromKeys = _keys.Count, FromKeyCount = l.FromKeys.Count,
        };
        foreach (var k in l.FromKeys) AddKey(k);
        row.ToKeys = _keys.Count;
        row.ToKeyCount = l.ToKeys.Count;
        foreach (var k in l.ToKeys) AddKey(k);
        _rows.Add(row);
    }

    private void AddKey(UnionFind.Key k) => _keys.Add(UnionFind.KeyRow.Of(k, _texts));

    public Lateral this[int index]
    {
        get
        {
            var r = _rows[index];
            return new Lateral(_texts[r.From], _texts[r.To], _texts[r.Account], _texts[r.Method], r.Ticks, _texts[r.Address],
                Keys(r.FromKeys, r.FromKeyCount), Keys(r.ToKeys, r.ToKeyCount));
        }
    }

    private List<UnionFind.Key> Keys(int at, int count)
    {
        var keys = new List<UnionFind.Key>(count);
        for (int k = at; k < at + count; k++) keys.Add(_keys[k].ToKey(_texts));
        return keys;
    }

    public IEnumerator<Lateral> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _rows.Dispose();
        _keys.Dispose();
        _texts.Dispose();
    }
}
