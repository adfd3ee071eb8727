using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Vigil.Diagnostics;
using Vigil.Events;

namespace Vigil.Readers.Evtx;

/// <summary>
/// Decodes the records of one 64 KiB chunk held in a buffer. One instance per thread, reused across chunks:
/// substitution tables and the char buffer are reused per record, so decoding allocates nothing per record in
/// steady state. Templates are compiled once per thread (keyed by template GUID and size) for allocated records,
/// and once per chunk for recovered records (see <see cref="GetTemplate"/>).
///
/// Value semantics: strings are UTF-16 slices of the chunk buffer; concatenated text (several text nodes,
/// character/entity references) and ANSI strings go to a per-thread char buffer; numbers stay numbers
/// (unsigned types up to 32 bits as Int64, UInt64 as UInt64, HexInt32/64 and size_t as hex-formatted UInt64);
/// GUID/SID/binary are byte slices; FILETIME/SYSTEMTIME are DateTime. A NULL substitution is a Null value,
/// except an optional substitution outside EventData, whose attribute/element Windows omits (so do we).
///
/// Record recovery follows libevtx: records are walked from offset 512 up to the header's last-record offset;
/// after that (or after a broken record) the rest of the chunk is scanned at 4-byte steps for further records
/// that validate individually (signature, size within the chunk, size copy at the end, Binary XML fragment
/// start). Such recovered records in slack space are emitted too, except copies of a record id already read
/// from the same chunk or held live by another chunk of the file (<see cref="LiveRecordIndex"/>).
/// </summary>
internal sealed class EvtxChunkDecoder
{
    public const int ChunkSize = 65536;
    public const int ChunkHeaderSize = 512;
    private const int RecordHeaderSize = 24;
    private const uint RecordMagic = 0x00002a2a;
    private const int MaxNesting = 16;
    private const long FileTimeEpochTicks = 504911232000000000L; // 1601-01-01 in DateTime ticks

    [ThreadStatic] private static EvtxChunkDecoder? t_instance;

    /// <summary>The calling thread's decoder (a fresh one if it is already busy, e.g. re-entered from a callback).</summary>
    public static EvtxChunkDecoder Rent()
    {
        var d = t_instance;
        if (d is null || d._busy) { d = new EvtxChunkDecoder(); if (t_instance is null) t_instance = d; }
        d._busy = true;
        return d;
    }

    public void Return() => _busy = false;

    private bool _busy;
    private bool _recovering;
    private LiveRecordIndex _live = LiveRecordIndex.Empty;
    private readonly BinXmlCompiler _compiler = new();
    private readonly Dictionary<(int Offset, CompileContext Ctx), CompiledFragment> _templates = new();
    private readonly HashSet<ulong> _recordIds = new();
    private readonly SubstTable[] _substs = new SubstTable[MaxNesting + 2];
    private char[] _chars = new char[4096];
    private int _charPos;
    private int _dataCounter;

    // Per chunk state.
    private byte[] _chunk = [];
    private int _length;
    private long _base;
    private string _source = "";
    private int _chunkIndex;
    private Event _event = null!;

    private int _recoveredFailures;
    private string? _firstRecoveredFailure;

    /// <summary>Set (true) on records recovered from slack space or damaged areas rather than from the chunk's
    /// allocated record list, so outputs and rules can tell leftovers of earlier log contents apart.</summary>
    public static readonly int RecoveredField = FieldNames.Intern("Evtx_Recovered");

    private static int[] s_dataIndexIds = new int[16];

    private sealed class SubstTable
    {
        public int Count;
        public int[] Offset = new int[64];
        public int[] Size = new int[64];
        public byte[] Type = new byte[64];

        public void Ensure(int n)
        {
            if (Offset.Length >= n) return;
            int m = Math.Max(n, Offset.Length * 2);
            Offset = new int[m]; Size = new int[m]; Type = new byte[m];
        }
    }

    /// <summary>Decodes a chunk. <paramref name="length"/> is less than 64 KiB when the file ends inside the chunk.</summary>
    public void DecodeChunk(byte[] chunk, int length, string source, long fileOffset, int chunkIndex,
        Event scratch, Action<Event> onEvent, IDiagnostics diag, LiveRecordIndex? live = null)
    {
        _live = live ?? LiveRecordIndex.Empty;
        _chunk = chunk; _length = length; _base = fileOffset; _source = source; _chunkIndex = chunkIndex; _event = scratch;
        _templates.Clear();
        _compiler.ResetChunk();
        _recordIds.Clear();
        _recoveredFailures = 0;
        _firstRecoveredFailure = null;
        try
        {
            DecodeRecords(onEvent, diag);
            if (_recoveredFailures > 0)
                // A notice, not an error: remnants of overwritten records are normal in slack space and
                // no intact record is lost; `--verbose` shows them.
                diag.Report(new ReadError(_source, $"{_recoveredFailures} record remnant(s) in the chunk's slack space could not be decoded (their templates were overwritten); first: {_firstRecoveredFailure}",
                    _base, Chunk: _chunkIndex, Notice: true));
        }
        finally
        {
            _chunk = []; _event = null!;
            _templates.Clear();
        }
    }

    private void Report(IDiagnostics diag, string message, long offset) =>
        diag.Report(new ReadError(_source, message, offset, Chunk: _chunkIndex));

    private void DecodeRecords(Action<Event> onEvent, IDiagnostics diag)
    {
        var span = _chunk.AsSpan(0, _length);
        bool truncated = _length < ChunkSize;
        if (_length < ChunkHeaderSize)
        {
            Report(diag, $"file ends inside the chunk header: {_length} of {ChunkHeaderSize} bytes present; chunk skipped", _base + _length);
            return;
        }

        int scanFrom;
        int lastRecordOffset;
        if (!span.StartsWith("ElfChnk\0"u8))
        {
            if (span.IndexOfAnyExcept((byte)0) < 0) return; // never-used, zero-filled chunk: nothing to read, nothing wrong
            Report(diag, $"bad chunk signature {Convert.ToHexString(span[..8])} (expected ElfChnk\\0); scanning the chunk for records that validate individually", _base);
            scanFrom = ChunkHeaderSize; // the header area holds no records
            lastRecordOffset = -1;
        }
        else
        {
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(124, 4));
            uint calc = Crc32.Compute(span[..120], span.Slice(128, 384));
            if (stored != calc)
                Report(diag, $"chunk header checksum mismatch (stored 0x{stored:x8}, computed 0x{calc:x8}); reading records that validate individually", _base);

            lastRecordOffset = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(44, 4)), int.MaxValue);
            uint freeSpace = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(48, 4));
            if (freeSpace < ChunkHeaderSize || freeSpace > ChunkSize)
                Report(diag, $"chunk free-space offset 0x{freeSpace:x} out of range; reading records that validate individually", _base + 48);
            else if (freeSpace <= _length)
            {
                uint storedRecords = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(52, 4));
                uint calcRecords = Crc32.Compute(span[ChunkHeaderSize..(int)freeSpace]);
                if (storedRecords != calcRecords)
                    Report(diag, $"chunk event-records checksum mismatch (stored 0x{storedRecords:x8}, computed 0x{calcRecords:x8}); reading records that validate individually", _base + 52);
            }

            // Allocated records, in order.
            int off = ChunkHeaderSize;
            int read = 0;
            while (off <= lastRecordOffset)
            {
                if (truncated && (off + 8 > _length || off + (long)BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(off + 4, 4)) > _length))
                    break; // reported once below
                var problem = CheckRecord(span, off, out int size);
                if (problem is not null)
                {
                    Report(diag, problem, _base + off);
                    break;
                }
                EmitRecord(off, size, onEvent, diag, recovered: false);
                read++;
                off += size;
            }
            if (truncated)
                Report(diag, $"file ends inside the chunk: {_length} of {ChunkSize} bytes present (truncated file); {read} intact records read, records from offset 0x{_base + off:x} on are missing", _base + _length);
            scanFrom = off;
        }

        // Slack space / damaged area: look for records that validate on their own (as libevtx does).
        int pos = (scanFrom + 3) & ~3;
        ReadOnlySpan<byte> magic = [0x2a, 0x2a, 0x00, 0x00];
        while (pos + RecordHeaderSize + 4 <= _length)
        {
            int rel = span[pos..].IndexOf(magic);
            if (rel < 0) break;
            pos += rel;
            if ((pos & 3) != 0) { pos = (pos + 3) & ~3; continue; }
            if (CheckRecord(span, pos, out int size) is null && size > RecordHeaderSize + 4 + 4 && LooksLikeFragment(span, pos + RecordHeaderSize))
            {
                ulong id = BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(pos + 8, 8));
                if (!_recordIds.Contains(id) && !_live.IsLiveElsewhere(id, _chunkIndex)) EmitRecord(pos, size, onEvent, diag, recovered: true);
                pos += size;
            }
            else pos += 4;
        }
    }

    private static bool LooksLikeFragment(ReadOnlySpan<byte> span, int at) =>
        at + 4 <= span.Length && span[at] == 0x0f && span[at + 1] == 0x01 && span[at + 2] == 0x01 && span[at + 3] == 0x00;

    /// <summary>Null when a record header at <paramref name="off"/> is sound; otherwise what is wrong.</summary>
    private string? CheckRecord(ReadOnlySpan<byte> span, int off, out int size)
    {
        size = 0;
        if (off + 8 > span.Length)
            return $"record header at 0x{_base + off:x}: needs 8 bytes, {span.Length - off} available";
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(off, 4));
        if (magic != RecordMagic)
            return $"bad record signature 0x{magic:x8} at offset 0x{_base + off:x} (expected 0x00002a2a); rest of the chunk's allocated records skipped";
        uint sz = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(off + 4, 4));
        if (sz < RecordHeaderSize + 4)
            return $"record at 0x{_base + off:x} has impossible size {sz}; rest of the chunk's allocated records skipped";
        if (off + (long)sz > ChunkSize)
            return $"record at 0x{_base + off:x} of size {sz} overruns the chunk end at 0x{_base + ChunkSize:x}; rest of the chunk's allocated records skipped";
        if (off + (long)sz > span.Length)
            return $"record at 0x{_base + off:x} of size {sz} is cut off: file ends at 0x{_base + span.Length:x}";
        uint copy = BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(off + (int)sz - 4, 4));
        if (copy != sz)
            return $"record at 0x{_base + off:x}: size {sz} does not match the size copy {copy} at its end; rest of the chunk's allocated records skipped";
        size = (int)sz;
        return null;
    }

    private void EmitRecord(int off, int size, Action<Event> onEvent, IDiagnostics diag, bool recovered)
    {
        var e = _event;
        e.Clear();
        var span = _chunk.AsSpan(0, _length);
        ulong recordId = BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(off + 8, 8));
        long written = BinaryPrimitives.ReadInt64LittleEndian(span.Slice(off + 16, 8));
        e.Origin = new EventOrigin(_source, _base + off, 0);
        e.Format = "evtx";
        if (written > 0 && written < DateTime.MaxValue.Ticks - FileTimeEpochTicks) e.TimestampTicks = written + FileTimeEpochTicks;
        _charPos = 0;
        _dataCounter = 0;
        string? failure = null;
        long failureOffset = 0;
        _recovering = recovered;
        try
        {
            // Known-bad templates fail through a return value (no exception per record); new problems throw.
            if (!ProcessFragment(off + RecordHeaderSize, off + size - 4, CompileContext.Root, 0))
            {
                failure = _failMessage ?? "undecodable Binary XML";
                failureOffset = _failOffset;
            }
        }
        catch (EvtxFormatException ex)
        {
            failure = ex.Message;
            failureOffset = ex.Offset;
        }
        if (failure is not null)
        {
            if (recovered)
            {
                // Slack-space leftovers often refer to templates that were overwritten; summarised per chunk.
                if (_recoveredFailures++ == 0) _firstRecoveredFailure = $"record {recordId} at 0x{_base + off:x}: {failure}";
            }
            else Report(diag, $"record {recordId} at 0x{_base + off:x} skipped: {failure}", failureOffset);
            return;
        }
        if (recovered) e.Add(RecoveredField, FieldValue.FromBoolean(true));
        if (!e.Has(WellKnownFields.EventRecordID))
            e.Add(WellKnownFields.EventRecordID, FieldValue.FromUInt64(recordId));
        _recordIds.Add(recordId);
        if (e.Truncated)
            Report(diag, $"record {recordId} at 0x{_base + off:x}: more than {Event.MaxFields:N0} fields and values, the rest are not read", _base + off);
        onEvent(e);
    }

    // ---- Binary XML at run time ----

    private string? _failMessage;
    private long _failOffset;

    private bool Fail(CompiledFragment f)
    {
        _failMessage = f.Error;
        _failOffset = f.ErrorOffset;
        return false;
    }

    private bool ProcessFragment(int start, int end, CompileContext ctx, int depth)
    {
        if (depth > MaxNesting)
            throw new EvtxFormatException($"Binary XML nested more than {MaxNesting} levels deep at offset 0x{_base + start:x}", _base + start);
        var c = new EvtxCursor(_chunk.AsSpan(0, _length), start, end, _base);
        while (!c.AtEnd)
        {
            byte tok = c.PeekByte("fragment token");
            switch (tok & 0xbf)
            {
                case 0x0f:
                    c.Skip(4, "fragment header");
                    break;
                case 0x0c:
                    if (!TemplateInstance(ref c, ctx, depth)) return false;
                    break;
                case 0x01:
                {
                    var f = GetFragment(c.Position, end, ctx, raw: true);
                    if (!Run(f, null, depth, 0)) return false;
                    if (f.End <= c.Position) throw c.Error("element made no progress");
                    c.Position = f.End;
                    break;
                }
                case 0x00:
                    return true; // end of fragment
                default:
                    throw c.Error($"unexpected Binary XML token 0x{tok:x2}");
            }
        }
        return true;
    }

    /// <summary>
    /// A template definition is always stored inline right after the template instance header that first used it
    /// (token 0x0c, 1 byte, 4-byte id, 4-byte offset pointing to itself), and its body starts with a fragment header.
    /// Checking that costs a few byte compares and rejects the dangling offsets of stale slack-space records
    /// without compiling garbage (and without an exception per record).
    /// </summary>
    private CompiledFragment GetTemplate(int defOffset, CompileContext ctx)
    {
        if (_templates.TryGetValue((defOffset, ctx), out var f)) return f;
        var span = _chunk.AsSpan(0, _length);
        bool plausible = defOffset >= ChunkHeaderSize + 10 && defOffset + 28 <= span.Length
            && span[defOffset - 10] == 0x0c
            && BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(defOffset - 4, 4)) == (uint)defOffset
            && LooksLikeFragment(span, defOffset + 24);
        if (!plausible)
        {
            f = new CompiledFragment
            {
                Error = $"no template definition at chunk offset 0x{defOffset:x} (overwritten or damaged)",
                ErrorOffset = _base + defOffset,
            };
            _templates[(defOffset, ctx)] = f;
            return f;
        }
        // Same template already compiled in an earlier chunk (same GUID and size)? Reuse it. Only for allocated
        // records: a recovered record must decode from its own chunk's bytes, so that what is recovered does not
        // depend on which chunks this thread happened to decode before (partitions are decoded in parallel).
        if (_recovering) return GetFragment(defOffset, _length, ctx, raw: false);
        var key = new TemplateKey(
            BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(defOffset + 4, 8)),
            BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(defOffset + 12, 8)),
            BinaryPrimitives.ReadUInt32LittleEndian(span.Slice(defOffset + 20, 4)), ctx);
        if (!_compiled.TryGetValue(key, out f))
        {
            f = GetFragment(defOffset, _length, ctx, raw: false);
            if (f.Error is null)
            {
                if (_compiled.Count >= MaxCompiledTemplates) _compiled.Clear();
                _compiled[key] = f;
            }
        }
        _templates[(defOffset, ctx)] = f;
        return f;
    }

    private readonly record struct TemplateKey(ulong Guid0, ulong Guid1, uint Size, CompileContext Ctx);
    private const int MaxCompiledTemplates = 4096;
    // Compiled templates by identity, kept across chunks and files on this thread (bounded).
    private readonly Dictionary<TemplateKey, CompiledFragment> _compiled = new();

    private CompiledFragment GetFragment(int offset, int limit, CompileContext ctx, bool raw)
    {
        if (_templates.TryGetValue((offset, ctx), out var f)) return f;
        var span = _chunk.AsSpan(0, _length);
        f = raw ? _compiler.CompileElement(span, offset, limit, _base, ctx) : _compiler.CompileTemplate(span, offset, _base, ctx);
        _templates[(offset, ctx)] = f;
        return f;
    }

    private bool TemplateInstance(ref EvtxCursor c, CompileContext ctx, int depth)
    {
        c.Skip(2, "template instance token");
        c.ReadUInt32("template identifier");
        uint defOffset = c.ReadUInt32("template definition offset");
        if (defOffset == (uint)c.Position)
        {
            // The definition is stored here, inline; skip over it (it is compiled from its offset below).
            c.Skip(20, "template definition header");
            uint size = c.ReadUInt32("template definition data size");
            if (size > (uint)c.Remaining) throw c.Error($"template definition data size {size} exceeds the {c.Remaining} bytes left in the record");
            c.Skip((int)size, "template definition data");
        }
        else if (defOffset >= (uint)_length || defOffset < ChunkHeaderSize)
        {
            throw c.Error($"template definition offset 0x{defOffset:x} outside the chunk's record area");
        }
        var template = GetTemplate((int)defOffset, ctx);
        if (template.Error is not null) return Fail(template);

        var table = _substs[depth] ??= new SubstTable();
        uint count = c.ReadUInt32("substitution count");
        if (count > (uint)c.Remaining / 4)
            throw c.Error($"substitution count {count} needs {count * 4L} descriptor bytes, {c.Remaining} left in the record");
        table.Ensure((int)count);
        table.Count = (int)count;
        int valueAt = c.Position + (int)count * 4;
        for (int i = 0; i < (int)count; i++)
        {
            ushort size = c.ReadUInt16("substitution descriptor size");
            byte type = c.ReadByte("substitution descriptor type");
            c.Position++;
            table.Offset[i] = valueAt;
            table.Size[i] = size;
            table.Type[i] = type;
            valueAt += size;
        }
        if (valueAt > c.Limit)
            throw c.Error($"substitution values need {valueAt - c.Position} bytes, {c.Remaining} left in the record");
        c.Position = valueAt;
        return Run(template, table, depth, (int)defOffset + 24);
    }

    private bool Run(CompiledFragment f, SubstTable? s, int depth, int textBase)
    {
        if (f.Error is not null) return Fail(f);
        var ops = f.Ops;
        var parts = f.Parts;
        var e = _event;
        for (int i = 0; i < ops.Length; i++)
        {
            ref readonly Op op = ref ops[i];
            int id = op.FieldId;
            if (id < 0) id = e.DeclareName(FieldValue.FromString(f.UnlistedNames[-2 - id]), f.UnlistedKeys[-2 - id]);
            int dataIndexId = -1;
            switch (op.NameMode)
            {
                case NameMode.UnnamedData:
                    dataIndexId = DataIndexId(++_dataCounter);
                    break;
                case NameMode.Dynamic:
                    id = DynamicName(parts, op.NamePartsStart, op.NamePartsCount, s, textBase);
                    if (id == -1) { dataIndexId = DataIndexId(++_dataCounter); id = WellKnownFields.Data; }   // no name
                    break;
            }

            if (op.PartsCount == 0)
            {
                if ((op.Flags & OpFlags.EmitEmpty) != 0) Add(e, id, dataIndexId, FieldValue.FromString(""), op.Flags);
                continue;
            }
            if (op.PartsCount == 1)
            {
                ref readonly Part p = ref parts[op.PartsStart];
                switch (p.Kind)
                {
                    case PartKind.Text:
                        Add(e, id, dataIndexId, FieldValue.FromUtf16(_chunk, textBase + p.A, p.B), op.Flags);
                        continue;
                    case PartKind.Subst:
                        if (!Substitution(e, id, dataIndexId, in op, p.A, p.Optional, s, depth)) return false;
                        continue;
                }
            }
            // Several parts (or a lone char reference): concatenate into the char buffer.
            int start = _charPos;
            bool any = false;
            for (int k = 0; k < op.PartsCount; k++)
            {
                ref readonly Part p = ref parts[op.PartsStart + k];
                switch (p.Kind)
                {
                    case PartKind.Text:
                        AppendChars(MemoryMarshal.Cast<byte, char>(_chunk.AsSpan(textBase + p.A, p.B)));
                        any = true;
                        break;
                    case PartKind.Char:
                        AppendChar((char)p.A);
                        any = true;
                        break;
                    case PartKind.Subst:
                        if (s is not null && p.A < s.Count && s.Type[p.A] != 0) { AppendSubstText(s, p.A); any = true; }
                        else if (!p.Optional) any = true;
                        break;
                }
            }
            if (any || (op.Flags & OpFlags.EmitEmpty) != 0)
                Add(e, id, dataIndexId, FieldValue.FromChars(_chars, start, _charPos - start), op.Flags);
        }
        return true;
    }

    private static int DataIndexId(int n)
    {
        var ids = s_dataIndexIds;
        if (n < ids.Length && ids[n] != 0) return ids[n];
        int id = FieldNames.Intern($"Data[{n}]");
        if (n >= ids.Length)
        {
            var grown = new int[Math.Max(n + 1, ids.Length * 2)];
            Array.Copy(ids, grown, ids.Length);
            ids = grown;
            s_dataIndexIds = grown; // benign race: every writer stores the same interned ids
        }
        ids[n] = id;
        return id;
    }

    /// <summary>The field id for &lt;Data Name="%subst"&gt;; -1 when the name is empty/NULL (then treated as unnamed); the
    /// token of the name declared in the event when the table does not list it.</summary>
    private int DynamicName(Part[] parts, int start, int count, SubstTable? s, int textBase)
    {
        int from = _charPos;
        for (int k = 0; k < count; k++)
        {
            ref readonly Part p = ref parts[start + k];
            switch (p.Kind)
            {
                case PartKind.Text: AppendChars(MemoryMarshal.Cast<byte, char>(_chunk.AsSpan(textBase + p.A, p.B))); break;
                case PartKind.Char: AppendChar((char)p.A); break;
                case PartKind.Subst: if (s is not null && p.A < s.Count && s.Type[p.A] != 0) AppendSubstText(s, p.A); break;
            }
        }
        if (_charPos == from) return -1;
        var name = _chars.AsSpan(from, BinXmlCompiler.DataName(_chars.AsSpan(from, _charPos - from)));
        int id = FieldNames.Resolve(name, out int key);
        if (id >= 0)
        {
            _charPos = from; // the name is listed; its chars are not needed
            return id;
        }
        // The table is full: the event carries the name (its chars stay, as values' do).
        _charPos = from + name.Length;
        return _event.DeclareName(FieldValue.FromChars(_chars, from, name.Length), key);
    }

    private void Add(Event e, int id, int dataIndexId, in FieldValue v, OpFlags flags)
    {
        if (dataIndexId >= 0) e.Add(dataIndexId, v);
        e.Add(id, v);
        if ((flags & OpFlags.TimeCreated) != 0 && v.Kind == ValueKind.DateTime) e.TimestampTicks = v.DateTime.Ticks;
    }

    private bool Substitution(Event e, int id, int dataIndexId, in Op op, int index, bool optional, SubstTable? s, int depth)
    {
        byte type = s is not null && index < s.Count ? s.Type[index] : (byte)0;
        if (type == 0)
        {
            // Optional substitution with NULL: the attribute/element does not exist (as Windows renders it),
            // except EventData <Data> items, which keep their place (value Null).
            if (optional && (op.Flags & OpFlags.DataElement) == 0) return true;
            Add(e, id, dataIndexId, FieldValue.Null, op.Flags);
            return true;
        }
        int off = s!.Offset[index], size = s.Size[index];
        if (type == 0x21)
        {
            // Binary XML value: a nested fragment/template instance whose elements are children of this element.
            return ProcessFragment(off, off + size, op.Child, depth + 1);
        }
        if ((type & 0x80) != 0)
        {
            EmitArray(e, id, dataIndexId, (byte)(type & 0x7f), off, size, op.Flags);
            return true;
        }
        Add(e, id, dataIndexId, Scalar(type, off, size), op.Flags);
        return true;
    }

    /// <summary>Array values become repeated values of the field. For an unnamed &lt;Data&gt; item each element is a
    /// Data item of its own (Windows renders one &lt;Data&gt; per element), so each gets the next Data[n].</summary>
    private void EmitArray(Event e, int id, int dataIndexId, byte type, int off, int size, OpFlags flags)
    {
        bool first = true;
        void Emit(EvtxChunkDecoder d, in FieldValue v)
        {
            if (!first && dataIndexId >= 0) dataIndexId = DataIndexId(++d._dataCounter);
            first = false;
            d.Add(e, id, dataIndexId, v, flags);
        }

        if (size == 0) { Emit(this, FieldValue.FromString("")); return; }
        int end = off + size;
        switch (type)
        {
            case 0x01:
            {
                // UTF-16 strings, each with a terminating NUL.
                int p = off;
                while (p + 1 < end)
                {
                    int q = p;
                    while (q + 1 < end && (_chunk[q] | _chunk[q + 1]) != 0) q += 2;
                    Emit(this, FieldValue.FromUtf16(_chunk, p, q - p));
                    p = q + 2;
                }
                return;
            }
            case 0x02:
            {
                int p = off;
                while (p < end)
                {
                    int q = p;
                    while (q < end && _chunk[q] != 0) q++;
                    Emit(this, Ansi(p, q - p));
                    p = q + 1;
                }
                return;
            }
            case 0x13:
            {
                int p = off;
                while (p + 8 <= end)
                {
                    int len = 8 + 4 * _chunk[p + 1];
                    if (p + len > end) break;
                    Emit(this, FieldValue.FromSidBytes(_chunk, p, len));
                    p += len;
                }
                return;
            }
        }
        int w = type switch
        {
            0x03 or 0x04 => 1,
            0x05 or 0x06 => 2,
            0x07 or 0x08 or 0x0b or 0x0d or 0x14 => 4,
            0x09 or 0x0a or 0x0c or 0x11 or 0x15 => 8,
            0x0f or 0x12 => 16,
            0x10 => size % 8 == 0 ? 8 : 4,
            _ => 0,
        };
        if (w == 0) { Emit(this, FieldValue.FromBinary(_chunk, off, size)); return; }
        for (int p = off; p + w <= end; p += w) Emit(this, Scalar(type, p, w));
    }

    private FieldValue Scalar(byte type, int off, int size)
    {
        var b = _chunk.AsSpan(off, size);
        switch (type)
        {
            case 0x01:
            {
                int len = size & ~1;
                while (len >= 2 && b[len - 1] == 0 && b[len - 2] == 0) len -= 2; // drop trailing NULs
                return FieldValue.FromUtf16(_chunk, off, len);
            }
            case 0x02: { int len = size; while (len > 0 && b[len - 1] == 0) len--; return Ansi(off, len); }
            case 0x03 when size >= 1: return FieldValue.FromInt64((sbyte)b[0]);
            case 0x04 when size >= 1: return FieldValue.FromInt64(b[0]);
            case 0x05 when size >= 2: return FieldValue.FromInt64(BinaryPrimitives.ReadInt16LittleEndian(b));
            case 0x06 when size >= 2: return FieldValue.FromInt64(BinaryPrimitives.ReadUInt16LittleEndian(b));
            case 0x07 when size >= 4: return FieldValue.FromInt64(BinaryPrimitives.ReadInt32LittleEndian(b));
            case 0x08 when size >= 4: return FieldValue.FromInt64(BinaryPrimitives.ReadUInt32LittleEndian(b));
            case 0x09 when size >= 8: return FieldValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(b));
            case 0x0a when size >= 8: return FieldValue.FromUInt64(BinaryPrimitives.ReadUInt64LittleEndian(b));
            case 0x0b when size >= 4: return FieldValue.FromDouble(BinaryPrimitives.ReadSingleLittleEndian(b));
            case 0x0c when size >= 8: return FieldValue.FromDouble(BinaryPrimitives.ReadDoubleLittleEndian(b));
            case 0x0d when size >= 1:
            {
                bool v = false;
                foreach (byte x in b) v |= x != 0;
                return FieldValue.FromBoolean(v);
            }
            case 0x0f when size == 16: return FieldValue.FromGuidBytes(_chunk, off);
            case 0x10 when size == 4: return FieldValue.FromUInt64(BinaryPrimitives.ReadUInt32LittleEndian(b), hex: true);
            case 0x10 when size == 8: return FieldValue.FromUInt64(BinaryPrimitives.ReadUInt64LittleEndian(b), hex: true);
            case 0x11 when size >= 8:
            {
                long ft = BinaryPrimitives.ReadInt64LittleEndian(b);
                if (ft >= 0 && ft <= DateTime.MaxValue.Ticks - FileTimeEpochTicks)
                    return FieldValue.FromDateTime(new DateTime(ft + FileTimeEpochTicks, DateTimeKind.Utc));
                return FieldValue.FromUInt64((ulong)ft, hex: true);
            }
            case 0x12 when size >= 16:
            {
                int y = BinaryPrimitives.ReadUInt16LittleEndian(b), mo = BinaryPrimitives.ReadUInt16LittleEndian(b[2..]);
                int d = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), h = BinaryPrimitives.ReadUInt16LittleEndian(b[8..]);
                int mi = BinaryPrimitives.ReadUInt16LittleEndian(b[10..]), s = BinaryPrimitives.ReadUInt16LittleEndian(b[12..]);
                int ms = BinaryPrimitives.ReadUInt16LittleEndian(b[14..]);
                if (y is >= 1 and <= 9999 && mo is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, mo) && h < 24 && mi < 60 && s < 60 && ms < 1000)
                    return FieldValue.FromDateTime(new DateTime(y, mo, d, h, mi, s, ms, DateTimeKind.Utc));
                return FieldValue.FromBinary(_chunk, off, size);
            }
            case 0x13 when size >= 8: return FieldValue.FromSidBytes(_chunk, off, size);
            case 0x14 when size >= 4: return FieldValue.FromUInt64(BinaryPrimitives.ReadUInt32LittleEndian(b), hex: true);
            case 0x15 when size >= 8: return FieldValue.FromUInt64(BinaryPrimitives.ReadUInt64LittleEndian(b), hex: true);
            default:
                // Binary (0x0e), EvtHandle/EvtXml, and fixed-size types whose size does not fit: raw bytes.
                return FieldValue.FromBinary(_chunk, off, size);
        }
    }

    /// <summary>ANSI strings are decoded as Latin-1 (codepage tables are not available under invariant globalization).</summary>
    private FieldValue Ansi(int off, int len)
    {
        int start = _charPos;
        EnsureChars(len);
        for (int i = 0; i < len; i++) _chars[_charPos++] = (char)_chunk[off + i];
        return FieldValue.FromChars(_chars, start, len);
    }

    private void AppendSubstText(SubstTable s, int index)
    {
        byte type = s.Type[index];
        int off = s.Offset[index], size = s.Size[index];
        if (type == 0x21 || (type & 0x80) != 0)
        {
            // Nested XML or arrays inside mixed text: keep raw hex rather than guessing a rendering.
            AppendChars(Convert.ToHexString(_chunk, off, size));
            return;
        }
        var v = Scalar(type, off, size);
        if (v.IsText) { AppendChars(v.TextSpan); return; }
        EnsureChars(128);
        if (v.TryFormat(_chars.AsSpan(_charPos), out int n)) _charPos += n;
        else AppendChars(v.ToString());
    }

    private void EnsureChars(int n)
    {
        if (_charPos + n <= _chars.Length) return;
        // Values already handed out keep pointing into the old array, which stays valid (it is not reused).
        var grown = new char[Math.Max(_chars.Length * 2, _charPos + n)];
        _chars.AsSpan(0, _charPos).CopyTo(grown);
        _chars = grown;
    }

    private void AppendChars(ReadOnlySpan<char> s)
    {
        EnsureChars(s.Length);
        s.CopyTo(_chars.AsSpan(_charPos));
        _charPos += s.Length;
    }

    private void AppendChar(char ch)
    {
        EnsureChars(1);
        _chars[_charPos++] = ch;
    }
}
