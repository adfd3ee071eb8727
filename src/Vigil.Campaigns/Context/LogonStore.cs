using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The logon records of the context (4624, 4625, 4648, 4672), compact: one fixed-size row per logon (numbers, texts as ids
/// into a <see cref="TextTable"/>) in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache in memory); no
/// object per logon. <c>store[i]</c> builds a <see cref="LogonRec"/> equal to the one added; <see cref="Ticks"/>,
/// <see cref="EventId"/> and <see cref="Address"/> read one field without building it.
/// <para>Memory: the rows are on disk, ~1 MB of cached pages in memory, plus the texts up to the text table's budget, where a
/// <see cref="LogonRec"/> object and the list's reference to it cost ~130 bytes. A 3M-event day keeps ~116,000 logons.</para>
/// </summary>
public sealed class LogonStore : IReadOnlyList<LogonRec>
{
    internal struct Row
    {
        public long Ticks, LogonId, SubjectLogonId, ProcessId;
        public int EventId, LogonType, Host, Address, Account, Workstation, TargetServer, SubjectAccount, ProcessName;
    }

    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private readonly RowFile<Row> _rows;
    private readonly TextTable _texts;

    /// <summary>64 rows of 72 bytes a page (4.5 KB), 256 pages cached.</summary>
    public LogonStore() : this(64, 256) { }

    /// <summary>A store with the given page size and cache (tests force tiny ones so that spilling and read-back happen).</summary>
    internal LogonStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 4)
    {
        _rows = new RowFile<Row>("logons", pageRows, cachePages);
        _texts = new TextTable("logons", textChars);
    }

    internal int SpilledRows => _rows.Spilled;
    /// <summary>Pages read back from the temporary file (a diagnostic).</summary>
    public long PageReads => _rows.PageReads;

    public int Count => _rows.Count;

    public void Add(LogonRec l)
    {
        _rows.Add(new Row
        {
            Ticks = l.Ticks, LogonId = l.LogonId, SubjectLogonId = l.SubjectLogonId, ProcessId = l.ProcessId, EventId = l.EventId,
            LogonType = l.LogonType, Host = Text(l.Host), Address = Text(l.Address), Account = Text(l.Account), Workstation = Text(l.Workstation),
            TargetServer = Text(l.TargetServer), SubjectAccount = Text(l.SubjectAccount), ProcessName = Text(l.ProcessName),
        });
    }

    private int Text(string s) => s.Length == 0 ? 0 : _texts.Id(s);

    public long Ticks(int i) => _rows[i].Ticks;
    public int EventId(int i) => _rows[i].EventId;
    public string Host(int i) => _texts[_rows[i].Host];
    public long SubjectLogonId(int i) => _rows[i].SubjectLogonId;
    public long ProcessId(int i) => _rows[i].ProcessId;
    public string Account(int i) => _texts[_rows[i].Account];
    /// <summary>Whether the logon names a target server (a 4648's).</summary>
    public bool HasTargetServer(int i) => _rows[i].TargetServer != 0;
    public string Address(int i) => _texts[_rows[i].Address];
    /// <summary>The id of the logon's account text (<see cref="TextOf"/> gives it back): an index can keep 4 bytes, not a reference.</summary>
    internal int AccountId(int i) => _rows[i].Account;
    internal string TextOf(int id) => _texts[id];

    public LogonRec this[int index]
    {
        get
        {
            var r = _rows[index];
            return new LogonRec(r.Ticks, _texts[r.Host], r.EventId, r.LogonType, _texts[r.Address], _texts[r.Account], r.LogonId,
                _texts[r.Workstation], _texts[r.TargetServer], _texts[r.SubjectAccount], r.SubjectLogonId, r.ProcessId, _texts[r.ProcessName]);
        }
    }

    public IEnumerator<LogonRec> GetEnumerator()
    {
        for (int i = 0; i < _rows.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
