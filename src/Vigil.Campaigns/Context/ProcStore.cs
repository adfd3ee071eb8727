using System.Collections;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The process creations of the context, compact: one fixed-size row per process (numbers, the GUIDs as 16 bytes and a
/// kind, texts as ids into one table of distinct texts) in chunks of <see cref="ChunkSize"/> rows; no object per process.
/// <c>store[i]</c> builds a <see cref="ProcRec"/> equal to the one added; the field accessors (<see cref="Ticks"/>,
/// <see cref="Host"/>, ...) read one field without building it, for the builder's passes over every process.
/// <para>Memory: <see cref="RowBytes"/> bytes per process plus each distinct text once, where a <see cref="ProcRec"/>
/// object and the list's reference to it cost ~150 bytes. A 3M-event day keeps ~526,000 process records.</para>
/// </summary>
public sealed class ProcStore : IReadOnlyList<ProcRec>
{
    public const int ChunkSize = 4096;

    private struct Row
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

    private readonly List<Row[]> _chunks = [];
    private int _count;
    private readonly List<string> _texts = [""];
    private readonly Dictionary<string, int> _textIds = new(StringComparer.Ordinal) { [""] = 0 };

    public int Count => _count;

    public void Add(ProcRec p)
    {
        var g = p.GuidKey;
        var pg = p.ParentGuidKey;
        var row = new Row
        {
            Ticks = p.Ticks, Pid = p.Pid, ParentPid = p.ParentPid, LogonId = p.LogonId,
            Guid = g.Kind is >= 1 and <= 3 ? g.Value : default, GuidKind = g.Kind, GuidText = Text(g.TextPart ?? ""),
            ParentGuid = pg.Kind is >= 1 and <= 3 ? pg.Value : default, ParentGuidKind = pg.Kind, ParentGuidText = Text(pg.TextPart ?? ""),
            Host = Text(p.Host), Image = Text(p.Image), ParentImage = Text(p.ParentImage), CommandLine = Text(p.CommandLine), User = Text(p.User),
            FromSysmon = p.FromSysmon,
        };
        if ((_count & (ChunkSize - 1)) == 0 && _count / ChunkSize == _chunks.Count) _chunks.Add(new Row[ChunkSize]);
        _chunks[_count / ChunkSize][_count & (ChunkSize - 1)] = row;
        _count++;
    }

    private int Text(string s)
    {
        if (s.Length == 0) return 0;
        if (_textIds.TryGetValue(s, out int id)) return id;
        id = _texts.Count;
        _texts.Add(s);
        _textIds[s] = id;
        return id;
    }

    /// <summary>Removes the rows <paramref name="remove"/> selects (by position), keeping the others in order.</summary>
    public int RemoveWhere(Func<int, bool> remove)
    {
        int kept = 0;
        for (int i = 0; i < _count; i++)
        {
            if (remove(i)) continue;
            if (kept != i) At(kept) = At(i);
            kept++;
        }
        int removed = _count - kept;
        _count = kept;
        // Drop the chunks no longer used (the last one used may be partly filled).
        int chunks = (kept + ChunkSize - 1) / ChunkSize;
        if (_chunks.Count > chunks) _chunks.RemoveRange(chunks, _chunks.Count - chunks);
        return removed;
    }

    private ref Row At(int i) => ref _chunks[i / ChunkSize][i & (ChunkSize - 1)];

    private ref Row Checked(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, _count);
        return ref At(i);
    }

    public long Ticks(int i) => Checked(i).Ticks;
    public string Host(int i) => _texts[Checked(i).Host];
    public long Pid(int i) => Checked(i).Pid;
    public long ParentPid(int i) => Checked(i).ParentPid;
    public long LogonId(int i) => Checked(i).LogonId;
    public string Image(int i) => _texts[Checked(i).Image];
    public string ParentImage(int i) => _texts[Checked(i).ParentImage];
    public string CommandLine(int i) => _texts[Checked(i).CommandLine];
    public string User(int i) => _texts[Checked(i).User];
    public bool FromSysmon(int i) => Checked(i).FromSysmon;

    public GuidText GuidKey(int i)
    {
        ref var r = ref Checked(i);
        return GuidText.FromParts(r.GuidKind, r.Guid, r.GuidText == 0 ? null : _texts[r.GuidText]);
    }

    public GuidText ParentGuidKey(int i)
    {
        ref var r = ref Checked(i);
        return GuidText.FromParts(r.ParentGuidKind, r.ParentGuid, r.ParentGuidText == 0 ? null : _texts[r.ParentGuidText]);
    }

    public ProcRec this[int index]
    {
        get
        {
            ref var r = ref Checked(index);
            return new ProcRec(r.Ticks, _texts[r.Host], GuidKey(index), ParentGuidKey(index), r.Pid, r.ParentPid, _texts[r.Image],
                _texts[r.ParentImage], _texts[r.CommandLine], _texts[r.User], r.LogonId, r.FromSysmon);
        }
    }

    public IEnumerator<ProcRec> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
