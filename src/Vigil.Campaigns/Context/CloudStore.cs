using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The CloudTrail calls of the context, compact: one fixed-size row per call (numbers, texts as ids into a
/// <see cref="TextTable"/>) in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache in memory); no object per
/// call. <c>store[i]</c> builds a <see cref="CloudRec"/> equal to the one added; <see cref="Ticks"/>,
/// <see cref="Arn"/> and <see cref="SourceAddress"/> read one field without building it.
/// <para>Memory: the rows are on disk; texts up to the table's budget in memory. A list of <see cref="CloudRec"/> cost
/// 300-900 bytes a call with its own object key: a million S3 GetObject calls, the shape of bulk theft from a bucket,
/// held ~600 MB.</para>
/// </summary>
public sealed class CloudStore : IReadOnlyList<CloudRec>
{
    internal struct Row
    {
        public long Ticks, Bytes;
        public int Arn, SourceAddress, EventName, EventSource, Target;
        public bool Failed;
    }

    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private readonly RowFile<Row> _rows;
    private readonly TextTable _texts;

    /// <summary>128 rows of 40 bytes a page (5 KB), 128 pages cached.</summary>
    public CloudStore() : this(128, 128) { }

    /// <summary>A store with the given page size, cache and text budget (tests force tiny ones so that spilling and
    /// read-back happen).</summary>
    internal CloudStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 4)
    {
        _rows = new RowFile<Row>("cloud", pageRows, cachePages);
        _texts = new TextTable("cloud", textChars);
    }

    public int Count => _rows.Count;

    /// <summary>Rows written to the temporary file so far.</summary>
    internal int SpilledRows => _rows.Spilled;

    public void Add(CloudRec c) => _rows.Add(new Row
    {
        Ticks = c.Ticks, Bytes = c.Bytes, Arn = Text(c.Arn), SourceAddress = Text(c.SourceAddress), EventName = Text(c.EventName),
        EventSource = Text(c.EventSource), Target = Text(c.Target), Failed = c.Failed,
    });

    private int Text(string s) => s.Length == 0 ? 0 : _texts.Id(s);

    public long Ticks(int i) => _rows[i].Ticks;
    public string Arn(int i) => _texts[_rows[i].Arn];
    public string SourceAddress(int i) => _texts[_rows[i].SourceAddress];
    public string EventName(int i) => _texts[_rows[i].EventName];

    public CloudRec this[int index]
    {
        get
        {
            var r = _rows[index];
            return new CloudRec(r.Ticks, _texts[r.Arn], _texts[r.SourceAddress], _texts[r.EventName], _texts[r.EventSource], r.Failed, r.Bytes,
                _texts[r.Target]);
        }
    }

    public IEnumerator<CloudRec> GetEnumerator()
    {
        for (int i = 0; i < _rows.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
