using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The remote-administration connections of the context (an internal destination on SMB, RPC, WinRM, RDP or SSH),
/// compact: one fixed-size row per connection (time, port, texts as ids into a <see cref="TextTable"/>) in a temporary
/// file (<see cref="RowFile{T}"/>, a bounded page cache in memory); no object per connection. <c>store[i]</c> builds a
/// <see cref="ConnRec"/> equal to the one added; <see cref="Ticks"/>, <see cref="Host"/> and <see cref="SourceAddress"/>
/// read one field without building it.
/// <para>Memory: the rows are on disk; texts (each process's GUID among them) up to the table's budget in memory. A list
/// of <see cref="ConnRec"/> cost ~200 bytes a connection with its GUID text, and was capped at 500k: every workstation
/// talks SMB to its domain controllers and file servers all day.</para>
/// </summary>
public sealed class ConnStore : IReadOnlyList<ConnRec>
{
    internal struct Row
    {
        public long Ticks;
        public int Host, SourceAddress, ProcessGuid, Image, DestAddress, DestPort;
    }

    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private readonly RowFile<Row> _rows;
    private readonly TextTable _texts;

    /// <summary>128 rows of 32 bytes a page (4 KB), 128 pages cached.</summary>
    public ConnStore() : this(128, 128) { }

    /// <summary>A store with the given page size, cache and text budget (tests force tiny ones so that spilling and
    /// read-back happen).</summary>
    internal ConnStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 4)
    {
        _rows = new RowFile<Row>("connections", pageRows, cachePages);
        _texts = new TextTable("connections", textChars);
    }

    public int Count => _rows.Count;

    /// <summary>Rows written to the temporary file so far.</summary>
    internal int SpilledRows => _rows.Spilled;

    public void Add(ConnRec c) => _rows.Add(new Row
    {
        Ticks = c.Ticks, Host = Text(c.Host), SourceAddress = Text(c.SourceAddress), ProcessGuid = Text(c.ProcessGuid),
        Image = Text(c.Image), DestAddress = Text(c.DestAddress), DestPort = c.DestPort,
    });

    private int Text(string s) => s.Length == 0 ? 0 : _texts.Id(s);

    public long Ticks(int i) => _rows[i].Ticks;
    public string Host(int i) => _texts[_rows[i].Host];
    public string SourceAddress(int i) => _texts[_rows[i].SourceAddress];

    public ConnRec this[int index]
    {
        get
        {
            var r = _rows[index];
            return new ConnRec(r.Ticks, _texts[r.Host], _texts[r.SourceAddress], _texts[r.ProcessGuid], _texts[r.Image], _texts[r.DestAddress], r.DestPort);
        }
    }

    public IEnumerator<ConnRec> GetEnumerator()
    {
        for (int i = 0; i < _rows.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
