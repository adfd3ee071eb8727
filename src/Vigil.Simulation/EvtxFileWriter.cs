using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Vigil.Simulation;

/// <summary>
/// Writes one .evtx file (format 3.1, as libyal documents it and Windows writes it), streaming:
/// <list type="bullet">
/// <item>a 4096-byte file header, written as zeros first and filled in by <see cref="Complete"/> (first/last
///   chunk number, next record id, chunk count, flags, CRC32 of its first 120 bytes);</item>
/// <item>64 KiB chunks, each assembled in one reusable buffer and written when the next record does not fit:
///   a 512-byte header (first/last record number and id, last record offset, free space offset, CRC32 of the
///   records, CRC32 of header bytes 0-120 and 128-512), the common string table (64 hash buckets of name
///   offsets, chained through each name's first 4 bytes) and the template pointer table (32 buckets of
///   template definition offsets, chained through each definition's first 4 bytes), then the records;</item>
/// <item>records: 0x2a2a, size, record id, FILETIME written, Binary XML, size copy. The Binary XML is a
///   fragment header and a template instance: the first record of a shape in a chunk carries the template
///   definition inline, later records of that shape point back to it; then the substitution array.</item>
/// </list>
/// Names (element/attribute names) are stored inline where a chunk first uses them and referenced by offset
/// afterwards, as Windows does. Unused chunk space is zero, so output is byte-for-byte deterministic.
/// </summary>
internal sealed class EvtxFileWriter : IDisposable
{
    public const int FileHeaderSize = 4096;
    public const int ChunkSize = 65536;
    public const int ChunkHeaderSize = 512;
    private const long FileTimeOfBase = 134175744000000000L; // 2026-03-10T00:00:00Z as FILETIME (checked in the constructor)
    private const string EventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event";

    public string Path { get; }
    public string Label { get; }
    public long Records { get; private set; }

    private readonly string _channel;
    private readonly string _computer;
    private readonly FileStream _stream;
    private readonly byte[] _chunk = new byte[ChunkSize];
    /// <summary>The buffer the Binary XML writers write to: the chunk, or a scratch buffer while measuring.</summary>
    private byte[] _out;
    private int _pos = ChunkHeaderSize;
    private int _lastRecordOffset;
    private long _chunkFirstId = -1, _chunkLastId;
    private long _fileFirstId = -1, _nextRecordId;
    private int _chunks;
    private bool _completed;

    // Per chunk: name -> offset of its stored name structure; template -> offset of its definition.
    private Dictionary<string, int> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<EvtxTemplate, int> _defined = new(ReferenceEqualityComparer.Instance);
    private int[] _stringBuckets = new int[64];
    private readonly int[] _templateBuckets = new int[32];

    // Per file: known shapes by event id, and the size of each definition when all its names are inline
    // (an upper bound for the space a definition takes in a chunk).
    private readonly Dictionary<int, List<EvtxTemplate>> _templates = new();
    private readonly Dictionary<EvtxTemplate, int> _inlineSize = new(ReferenceEqualityComparer.Instance);

    public EvtxFileWriter(string path, string label, string channel, string computer)
    {
        if (new DateTime(FileTimeOfBase + 504911232000000000L, DateTimeKind.Utc) != Simulator.BaseDate)
            throw new InvalidOperationException("simulate: FILETIME of the simulated day is out of date with Simulator.BaseDate");
        Path = path;
        Label = label;
        _channel = channel;
        _computer = computer;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        _out = _chunk;
        _stream.Write(new byte[FileHeaderSize]); // placeholder; the real header is written by Complete()
    }

    public void Write(SimEvent e, long recordId, in EvtxSystem sys)
    {
        if (_completed) throw new InvalidOperationException($"simulate: {Label} is already complete");
        if (_fileFirstId >= 0 && recordId != _nextRecordId)
            throw new InvalidOperationException($"simulate: {Label}: record id {recordId} follows {_nextRecordId - 1}; EVTX record ids must be consecutive");
        var t = Template(e, sys.Version);

        // Space this record needs at most: header, fragment and instance headers, the definition if the chunk
        // does not hold it yet (all names inline at worst), the substitution array, the size copy.
        int values = 1 + 1 + 2 + 2 + 1 + 8 + 8 + 8 + 4 + 4 + (sys.UserSid?.Length ?? 0) + 16;
        var data = CollectionsMarshal.AsSpan(e.Data);
        foreach (var kv in data) values += kv.Value.Length * 2;
        int count = EvtxTemplate.SystemSubstitutions + data.Length;
        int worst = 24 + 4 + 10 + 24 + _inlineSize[t] + 4 + 4 * count + values + 1 + 7 + 4;
        if (worst > ChunkSize - ChunkHeaderSize)
            throw new InvalidOperationException($"simulate: event {e.EventId} on {e.Host.Name} needs up to {worst} bytes, more than an EVTX chunk holds");
        foreach (var kv in data)
            if (kv.Value.Length * 2 > ushort.MaxValue)
                throw new InvalidOperationException($"simulate: {kv.Key} of event {e.EventId} on {e.Host.Name} is longer than an EVTX value can be ({kv.Value.Length} characters)");
        if (_pos + worst > ChunkSize) FlushChunk();

        long fileTime = FileTimeOfBase + e.Ms * TimeSpan.TicksPerMillisecond;
        int rec = _pos;
        W32(0x00002a2a);
        W32(0); // size, patched below
        W64((ulong)recordId);
        W64((ulong)fileTime);
        W8(0x0f); W8(0x01); W8(0x01); W8(0x00); // fragment header
        W8(0x0c); W8(0x01); W32(t.Id);
        if (_defined.TryGetValue(t, out int defOffset))
        {
            W32((uint)defOffset);
        }
        else
        {
            defOffset = _pos + 4;
            W32((uint)defOffset);
            int bucket = GuidHash(t.Guid) % 32;
            W32((uint)_templateBuckets[bucket]); // next definition in the same bucket
            _templateBuckets[bucket] = defOffset;
            t.Guid.TryWriteBytes(_chunk.AsSpan(_pos, 16));
            _pos += 16;
            int sizeAt = _pos;
            W32(0);
            WriteBody(t);
            Put32(sizeAt, (uint)(_pos - sizeAt - 4));
            _defined[t] = defOffset;
        }

        // Substitution array: descriptors (size, type), then values, in the template's index order.
        W32((uint)count);
        Desc(1, 0x04); Desc(1, 0x04); Desc(2, 0x06); Desc(2, 0x06); Desc(1, 0x04); Desc(8, 0x15); Desc(8, 0x11); Desc(8, 0x0a);
        Desc(4, 0x08); Desc(4, 0x08);
        if (sys.UserSid is null) Desc(0, 0x00); else Desc(sys.UserSid.Length, 0x13);
        Desc(16, 0x0f);
        foreach (var kv in data) Desc(kv.Value.Length * 2, 0x01);
        W8(sys.Level); W8(sys.Opcode); W16(sys.Task); W16((ushort)e.EventId); W8(sys.Version); W64(sys.Keywords);
        W64((ulong)fileTime); W64((ulong)recordId); W32(sys.ProcessId); W32(sys.ThreadId);
        if (sys.UserSid is not null) { sys.UserSid.CopyTo(_chunk, _pos); _pos += sys.UserSid.Length; }
        sys.ProviderGuid.TryWriteBytes(_chunk.AsSpan(_pos, 16));
        _pos += 16;
        foreach (var kv in data) Utf16(kv.Value);
        W8(0x00); // end of the record's document (libevtx requires it after the template instance)
        while (((_pos + 4 - rec) & 7) != 0) W8(0); // Windows keeps record sizes a multiple of 8

        W32(0);
        uint size = (uint)(_pos - rec);
        Put32(rec + 4, size);
        Put32(_pos - 4, size);
        _lastRecordOffset = rec;
        if (_chunkFirstId < 0) _chunkFirstId = recordId;
        _chunkLastId = recordId;
        if (_fileFirstId < 0) _fileFirstId = recordId;
        _nextRecordId = recordId + 1;
        Records++;
    }

    private EvtxTemplate Template(SimEvent e, byte version)
    {
        if (!_templates.TryGetValue(e.EventId, out var list)) _templates[e.EventId] = list = [];
        foreach (var t in list)
            if (t.Matches(e)) return t;
        var nt = EvtxTemplate.For(e, version, _channel, _computer);
        list.Add(nt);
        _inlineSize[nt] = MeasureInline(nt);
        return nt;
    }

    [ThreadStatic] private static byte[]? t_scratch;

    /// <summary>Size of the definition body with every name inline, measured by writing it once (per shape and
    /// file) into a scratch buffer with an empty name table; the chunk being assembled is not touched.</summary>
    private int MeasureInline(EvtxTemplate t)
    {
        var (chunk, names, buckets, pos) = (_out, _names, _stringBuckets, _pos);
        _out = t_scratch ??= new byte[ChunkSize];
        _names = new Dictionary<string, int>(StringComparer.Ordinal);
        _stringBuckets = new int[64];
        _pos = ChunkHeaderSize;
        try
        {
            WriteBody(t);
            return _pos - ChunkHeaderSize;
        }
        finally
        {
            (_out, _names, _stringBuckets, _pos) = (chunk, names, buckets, pos);
        }
    }

    /// <summary>
    /// The template body: fragment header, the Event element, end of fragment. Substitution indexes:
    /// 0 Level, 1 Opcode, 2 Task, 3 EventID, 4 Version, 5 Keywords, 6 TimeCreated, 7 EventRecordID,
    /// 8 ProcessID, 9 ThreadID, 10 UserID (optional: NULL gives &lt;Security/&gt;), 11 provider GUID, 12.. Data.
    /// Provider name, channel, computer and the Data names are static text, as in Windows' templates.
    /// </summary>
    private void WriteBody(EvtxTemplate t)
    {
        W8(0x0f); W8(0x01); W8(0x01); W8(0x00);
        int ev = Open("Event", attributes: true);
        int list = AttrList();
        Attr("xmlns", last: true); Text(EventNamespace);
        EndAttrList(list);
        W8(0x02);
        {
            int sys = Open("System", attributes: false);
            W8(0x02);
            int p = Open("Provider", attributes: true);
            int pl = AttrList();
            Attr("Name", last: false); Text(t.Provider);
            Attr("Guid", last: true); Subst(11, 0x0f, optional: true);
            EndAttrList(pl);
            CloseEmpty(p);
            SubstElement("EventID", 3, 0x06);
            SubstElement("Version", 4, 0x04);
            SubstElement("Level", 0, 0x04);
            SubstElement("Task", 2, 0x06);
            SubstElement("Opcode", 1, 0x04);
            SubstElement("Keywords", 5, 0x15);
            int tc = Open("TimeCreated", attributes: true);
            int tl = AttrList();
            Attr("SystemTime", last: true); Subst(6, 0x11, optional: false);
            EndAttrList(tl);
            CloseEmpty(tc);
            SubstElement("EventRecordID", 7, 0x0a);
            int corr = Open("Correlation", attributes: false);
            CloseEmpty(corr);
            int ex = Open("Execution", attributes: true);
            int xl = AttrList();
            Attr("ProcessID", last: false); Subst(8, 0x08, optional: false);
            Attr("ThreadID", last: true); Subst(9, 0x08, optional: false);
            EndAttrList(xl);
            CloseEmpty(ex);
            TextElement("Channel", _channel);
            TextElement("Computer", _computer);
            int sec = Open("Security", attributes: true);
            int sl = AttrList();
            Attr("UserID", last: true); Subst(10, 0x13, optional: true);
            EndAttrList(sl);
            CloseEmpty(sec);
            End(sys);
        }
        {
            int ed = Open("EventData", attributes: false);
            W8(0x02);
            for (int i = 0; i < t.DataNames.Length; i++)
            {
                int d = Open("Data", attributes: true);
                int dl = AttrList();
                Attr("Name", last: true); Text(t.DataNames[i]);
                EndAttrList(dl);
                W8(0x02);
                Subst(EvtxTemplate.SystemSubstitutions + i, 0x01, optional: false);
                End(d);
            }
            End(ed);
        }
        End(ev);
        W8(0x00); // end of fragment
    }

    // ---- Binary XML pieces ----

    /// <summary>Open start element: token, dependency id (none), data size (patched by End/CloseEmpty), name.
    /// Returns the offset of the data size field.</summary>
    private int Open(string name, bool attributes)
    {
        W8(attributes ? (byte)0x41 : (byte)0x01);
        W16(0xffff);
        int sizeAt = _pos;
        W32(0);
        Name(name);
        return sizeAt;
    }

    private int AttrList() { int at = _pos; W32(0); return at; }
    private void EndAttrList(int at) => Put32(at, (uint)(_pos - at - 4));
    private void Attr(string name, bool last) { W8(last ? (byte)0x06 : (byte)0x46); Name(name); }

    private void CloseEmpty(int sizeAt) { W8(0x03); Put32(sizeAt, (uint)(_pos - sizeAt - 4)); }
    private void End(int sizeAt) { W8(0x04); Put32(sizeAt, (uint)(_pos - sizeAt - 4)); }

    private void SubstElement(string name, int index, byte type)
    {
        int at = Open(name, attributes: false);
        W8(0x02);
        Subst(index, type, optional: false);
        End(at);
    }

    private void TextElement(string name, string text)
    {
        int at = Open(name, attributes: false);
        W8(0x02);
        Text(text);
        End(at);
    }

    private void Subst(int index, byte type, bool optional)
    {
        W8(optional ? (byte)0x0e : (byte)0x0d);
        W16((ushort)index);
        W8(type);
    }

    private void Text(string s)
    {
        W8(0x05); W8(0x01);
        W16((ushort)s.Length);
        Utf16(s);
    }

    /// <summary>A name reference: the offset of the name stored earlier in this chunk, or the name itself right
    /// here (offset pointing just past the offset field) when the chunk does not hold it yet.</summary>
    private void Name(string name)
    {
        if (_names.TryGetValue(name, out int off)) { W32((uint)off); return; }
        off = _pos + 4;
        W32((uint)off);
        ushort hash = NameHash(name);
        int bucket = hash % 64;
        W32((uint)_stringBuckets[bucket]); // next name in the same bucket
        _stringBuckets[bucket] = off;
        W16(hash);
        W16((ushort)name.Length);
        Utf16(name);
        W16(0);
        _names[name] = off;
    }

    /// <summary>Name hash as stored by Windows: the low 16 bits of h = h * 65599 + c over the UTF-16 units; the
    /// string table bucket is hash % 64 (both verified against every name in the Windows-written samples).</summary>
    private static ushort NameHash(string name)
    {
        uint h = 0;
        foreach (char c in name) h = h * 65599 + c;
        return (ushort)h;
    }

    /// <summary>The same hash over a template GUID's 16 bytes read as eight 16-bit units; Windows files the definition
    /// under bucket hash % 32 of the template pointer table (verified against the Windows-written samples).</summary>
    internal static int GuidHash(Guid g)
    {
        Span<byte> b = stackalloc byte[16];
        g.TryWriteBytes(b);
        uint h = 0;
        for (int i = 0; i < 16; i += 2) h = h * 65599 + BinaryPrimitives.ReadUInt16LittleEndian(b[i..]);
        return (int)(h & 0xffff);
    }

    private void Desc(int size, byte type) { W16((ushort)size); W8(type); W8(0); }

    private void Utf16(string s)
    {
        var bytes = MemoryMarshal.AsBytes(s.AsSpan());
        bytes.CopyTo(_out.AsSpan(_pos));
        _pos += bytes.Length;
    }

    private void W8(byte v) => _out[_pos++] = v;
    private void W16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(_out.AsSpan(_pos, 2), v); _pos += 2; }
    private void W32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(_out.AsSpan(_pos, 4), v); _pos += 4; }
    private void W64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(_out.AsSpan(_pos, 8), v); _pos += 8; }
    private void Put32(int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(_out.AsSpan(at, 4), v);

    // ---- chunks and file header ----

    private void FlushChunk()
    {
        if (_chunkFirstId < 0) return;
        if (_chunks == ushort.MaxValue)
            throw new InvalidOperationException($"simulate: {Label} would need more than {ushort.MaxValue} chunks (4 GiB); use fewer events");
        var c = _chunk.AsSpan();
        c[_pos..].Clear();
        c[..ChunkHeaderSize].Clear();
        "ElfChnk\0"u8.CopyTo(c);
        BinaryPrimitives.WriteUInt64LittleEndian(c[8..], (ulong)_chunkFirstId);   // first record number
        BinaryPrimitives.WriteUInt64LittleEndian(c[16..], (ulong)_chunkLastId);   // last record number
        BinaryPrimitives.WriteUInt64LittleEndian(c[24..], (ulong)_chunkFirstId);  // first record id
        BinaryPrimitives.WriteUInt64LittleEndian(c[32..], (ulong)_chunkLastId);   // last record id
        BinaryPrimitives.WriteUInt32LittleEndian(c[40..], 128);                   // header size
        BinaryPrimitives.WriteUInt32LittleEndian(c[44..], (uint)_lastRecordOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(c[48..], (uint)_pos);            // free space offset
        BinaryPrimitives.WriteUInt32LittleEndian(c[52..], Crc32.HashToUInt32(c[ChunkHeaderSize.._pos]));
        BinaryPrimitives.WriteUInt32LittleEndian(c[120..], 1);                    // chunk flags: 1 in every Windows-written chunk seen
        for (int i = 0; i < 64; i++) BinaryPrimitives.WriteUInt32LittleEndian(c[(128 + 4 * i)..], (uint)_stringBuckets[i]);
        for (int i = 0; i < 32; i++) BinaryPrimitives.WriteUInt32LittleEndian(c[(384 + 4 * i)..], (uint)_templateBuckets[i]);
        var crc = new Crc32();
        crc.Append(c[..120]);
        crc.Append(c[128..ChunkHeaderSize]);
        BinaryPrimitives.WriteUInt32LittleEndian(c[124..], crc.GetCurrentHashAsUInt32());
        _stream.Write(_chunk, 0, ChunkSize);
        _chunks++;

        _pos = ChunkHeaderSize;
        _chunkFirstId = -1;
        _lastRecordOffset = 0;
        _names.Clear();
        _defined.Clear();
        Array.Clear(_stringBuckets);
        Array.Clear(_templateBuckets);
    }

    /// <summary>Writes the last chunk and the file header; the file is then a clean (not dirty) log.</summary>
    public void Complete()
    {
        if (_completed) return;
        FlushChunk();
        var h = new byte[FileHeaderSize];
        var s = h.AsSpan();
        "ElfFile\0"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], 0);                                   // first chunk number
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], (ulong)Math.Max(0, _chunks - 1));    // last chunk number
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], (ulong)_nextRecordId);              // next record id
        BinaryPrimitives.WriteUInt32LittleEndian(s[32..], 128);                                // header size
        BinaryPrimitives.WriteUInt16LittleEndian(s[36..], 1);                                  // minor version
        BinaryPrimitives.WriteUInt16LittleEndian(s[38..], 3);                                  // major version
        BinaryPrimitives.WriteUInt16LittleEndian(s[40..], FileHeaderSize);                     // header block size
        BinaryPrimitives.WriteUInt16LittleEndian(s[42..], (ushort)_chunks);                    // number of chunks
        BinaryPrimitives.WriteUInt32LittleEndian(s[120..], 0);                                 // flags: clean, not full
        BinaryPrimitives.WriteUInt32LittleEndian(s[124..], Crc32.HashToUInt32(s[..120]));
        _stream.Flush();
        _stream.Position = 0;
        _stream.Write(h);
        _stream.Flush();
        _completed = true;
    }

    public void Dispose() => _stream.Dispose();
}
