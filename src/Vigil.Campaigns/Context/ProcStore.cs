using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The process creations of the context, compact: one fixed-size row per process (numbers, the GUIDs as 16 bytes and a
/// kind, texts as ids into a <see cref="TextTable"/>) in a temporary file (<see cref="RowFile{T}"/>, a bounded page cache
/// in memory); no object per process.
/// <c>store[i]</c> builds a <see cref="ProcRec"/> equal to the one added; the field accessors (<see cref="Ticks"/>,
/// <see cref="Host"/>, ...) read one field without building it, for the builder's passes over every process.
/// <para>Memory: the rows are on disk, ~1.5 MB of cached pages in memory, plus the texts up to the text table's budget
/// (the rest in its file), where a <see cref="ProcRec"/> object and the list's reference to it cost ~150 bytes. A 3M-event
/// day keeps ~526,000 process records.</para>
/// </summary>
public sealed class ProcStore : IReadOnlyList<ProcRec>
{
    internal struct Row
    {
        public long Ticks, Pid, ParentPid, LogonId;
        public Guid Guid, ParentGuid;
        /// <summary>Text ids of GUID texts kept as text (kinds 3 and 4 of <see cref="GuidText"/>), else 0.</summary>
        public int GuidText, ParentGuidText;
        public int Host, Image, ParentImage, CommandLine, User;
        public byte GuidKind, ParentGuidKind;
        public bool FromSysmon;
    }

    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private readonly RowFile<Row> _rows;

    /// <summary>64 rows of 96 bytes a page (6 KB), 256 pages cached.</summary>
    public ProcStore() : this(64, 256) { }

    /// <summary>A store with the given page size and cache (tests force tiny ones so that spilling and read-back happen).</summary>
    internal ProcStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars, long hostChars = DefaultHostChars,
        Func<string, ulong>? hostHash = null, int hostSlots = TextTable.DefaultMemorySlots)
    {
        _rows = new RowFile<Row>("processes", pageRows, cachePages);
        _texts = new TextTable("processes", textChars);
        _hosts = new TextTable("process-hosts", hostChars, exact: true, hash: hostHash, memorySlots: hostSlots);
    }

    /// <summary>Characters of host names kept in memory (1M: ~16,000 hosts); the rest are in the host table's file.</summary>
    public const long DefaultHostChars = 1L << 20;

    /// <summary>Host names, one exact id each (<see cref="Row.Host"/>): the process index and the context's Sysmon
    /// bookkeeping number hosts by these ids instead of keeping dictionaries of host names (a million-endpoint fleet has a
    /// million names, ~100 bytes each per dictionary).</summary>
    private readonly TextTable _hosts;

    internal int SpilledRows => _rows.Spilled;
    /// <summary>Pages read back from the temporary file (a diagnostic).</summary>
    public long PageReads => _rows.PageReads;
    internal RowFile<Row> RowsForTest => _rows;
    private readonly TextTable _texts;

    public int Count => _rows.Count;

    /// <summary>Texts held (images, command lines, users; hosts apart): each distinct one once while they fit the memory
    /// budget.</summary>
    public int TextCount => _texts.Count;
    /// <summary>Texts kept in the temporary file, past the memory budget (see <see cref="TextTable"/>).</summary>
    public int SpilledTexts => _texts.SpilledCount;

    public void Add(ProcRec p) => Add(p, HostId(p.Host));

    /// <summary>The host's id, numbering it if new (0 for "").</summary>
    public int HostId(string host) => _hosts.Id(host);

    /// <summary>The host's id, or -1 if no process of it was added.</summary>
    public int FindHost(string host) => _hosts.Find(host);

    /// <summary>Host ids given so far ("" included): every id is below this.</summary>
    public int HostCount => _hosts.Count;

    /// <summary>A host's name by its id.</summary>
    public string HostName(int id) => _hosts[id];

    /// <summary>Adds a process whose host has id <paramref name="hostId"/> (<see cref="HostId"/>).</summary>
    public void Add(ProcRec p, int hostId)
    {
        var g = p.GuidKey;
        var pg = p.ParentGuidKey;
        var row = new Row
        {
            Ticks = p.Ticks, Pid = p.Pid, ParentPid = p.ParentPid, LogonId = p.LogonId,
            Guid = g.Kind is >= 1 and <= 3 ? g.Value : default, GuidKind = g.Kind, GuidText = Text(g.TextPart ?? ""),
            ParentGuid = pg.Kind is >= 1 and <= 3 ? pg.Value : default, ParentGuidKind = pg.Kind, ParentGuidText = Text(pg.TextPart ?? ""),
            Host = hostId, Image = Text(p.Image), ParentImage = Text(p.ParentImage), CommandLine = Text(p.CommandLine), User = Text(p.User),
            FromSysmon = p.FromSysmon,
        };
        _rows.Add(row);
    }

    private int Text(string s) => s.Length == 0 ? 0 : _texts.Id(s);

    /// <summary>Removes the rows <paramref name="remove"/> selects (by position), keeping the others in order.</summary>
    public int RemoveWhere(Func<int, bool> remove)
    {
        int kept = 0, count = _rows.Count;
        for (int i = 0; i < count; i++)
        {
            if (remove(i)) continue;
            if (kept != i) _rows.Set(kept, _rows[i]);
            kept++;
        }
        _rows.Truncate(kept);
        return count - kept;
    }

    public long Ticks(int i) => _rows[i].Ticks;
    public string Host(int i) => _hosts[_rows[i].Host];
    public int HostIdAt(int i) => _rows[i].Host;
    public long Pid(int i) => _rows[i].Pid;
    public long ParentPid(int i) => _rows[i].ParentPid;
    public long LogonId(int i) => _rows[i].LogonId;
    public string Image(int i) => _texts[_rows[i].Image];
    public string ParentImage(int i) => _texts[_rows[i].ParentImage];
    public string CommandLine(int i) => _texts[_rows[i].CommandLine];
    public string User(int i) => _texts[_rows[i].User];
    public bool FromSysmon(int i) => _rows[i].FromSysmon;

    public GuidText GuidKey(int i) => GuidKeyOf(_rows[i]);

    public GuidText ParentGuidKey(int i) => ParentGuidKeyOf(_rows[i]);

    public ProcRec this[int index] => RecordOf(_rows[index]);

    // A row as it is stored, and its parts: the process index keeps its own copy of the rows in start order (see
    // ProcessIndex) and reads them through these, with this store's texts.
    internal Row RawRow(int i) => _rows[i];
    internal string TextOf(int id) => _texts[id];
    internal GuidText GuidKeyOf(in Row r) => GuidText.FromParts(r.GuidKind, r.Guid, r.GuidText == 0 ? null : _texts[r.GuidText]);
    internal GuidText ParentGuidKeyOf(in Row r) => GuidText.FromParts(r.ParentGuidKind, r.ParentGuid, r.ParentGuidText == 0 ? null : _texts[r.ParentGuidText]);
    internal ProcRec RecordOf(in Row r) => new(r.Ticks, _hosts[r.Host], GuidKeyOf(r), ParentGuidKeyOf(r), r.Pid, r.ParentPid, _texts[r.Image],
        _texts[r.ParentImage], _texts[r.CommandLine], _texts[r.User], r.LogonId, r.FromSysmon);

    public IEnumerator<ProcRec> GetEnumerator()
    {
        for (int i = 0; i < _rows.Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
