using System.Runtime.InteropServices;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>How much of a hunt's detections may be held in memory before they are spilled to disk.</summary>
/// <param name="MaxBufferBytes">Bytes of buffered detections (serialized, with their fields, and their sort keys) at which
/// the buffer is sorted and written to a temp file as one sorted run.</param>
/// <param name="TempDirectory">Where the run files go (a fresh sub-folder is made); default: the system temp folder.</param>
public sealed record SpoolOptions(long MaxBufferBytes = SpoolOptions.DefaultMaxBufferBytes, string? TempDirectory = null)
{
    public const long DefaultMaxBufferBytes = 16L << 20;
    /// <summary>Runs are merged in tiers: when this many runs of one tier (spilled runs are tier 0) exist, they are merged into
    /// one run of the next tier. Each detection is rewritten once per tier (log16 of the runs: 2 for 5M detections), and the
    /// final merge opens at most 15 runs per tier. (Folding every run so far into one at 64 runs rewrote everything spilled
    /// so far at each fold: a hunt of 5M detections folded 5 times, the last ~5 GB at the end of its hunt.)</summary>
    public const int MergeFanIn = 16;
}

/// <summary>
/// External sort of detections with bounded memory. Detections are added in input order, each serialized at once (in
/// the run format, <see cref="SpoolRunFormat"/>) into one reused byte buffer, with a fixed-size sort key in an array of
/// structs: the buffer holds no object per detection, and lives outside the GC heap (<see cref="NativeBufferStream"/>). (It held the detections themselves: a CloudTrail hunt's millions of
/// detections lived long enough to be promoted to the oldest generation before their run was written, and 5M S3 reads
/// spent 12 s of 46 in collections.) When the buffer passes <see cref="SpoolOptions.MaxBufferBytes"/> its keys are sorted
/// and the records copied to a temp file in that order as a sorted run. <see cref="Drain"/> k-way merges the runs and the
/// sorted in-memory tail lazily. Order: <see cref="Detection.Compare"/>, ties (equal keys, e.g. two loaded rules with the same id) broken by
/// the order of <see cref="Add"/>, so the result equals a stable sort of everything added, however many runs there are.
/// Temp files are deleted when the drain finishes or is abandoned, and by <see cref="Dispose"/>.
/// </summary>
public sealed class DetectionSpool : IDisposable
{
    private readonly SpoolOptions _options;
    /// <summary>The buffered detections' records (headers and fields, see <see cref="Entry"/>), reused from run to run.</summary>
    private readonly NativeBufferStream _bytes = new();
    private readonly BinaryWriter _bytesWriter;
    private Entry[] _entries = new Entry[256];
    private int _count;
    /// <summary>The fields object last serialized into <see cref="_bytes"/> and where (detections of one event come one after
    /// another and share their fields: they are written once).</summary>
    private object? _lastFields;
    private int _lastFieldsAt, _lastFieldsLength;
    private long _seq;
    /// <summary>Run files and their tiers, in the order written.</summary>
    private readonly List<(string Path, int Tier)> _runs = [];
    private string? _dir;
    private bool _drained, _disposed;
    private PosixSignalRegistration[] _signals = [];
    // Rules are few and shared by all runs of this spool. Sources are written out with each record: an input of millions
    // of small files (a CloudTrail bucket) had every path that gave a detection in a table here (~200 bytes a file).
    private readonly List<SigmaRule> _rules = [];
    private readonly Dictionary<SigmaRule, int> _ruleIndex = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, long> _levels = new(StringComparer.Ordinal);

    public DetectionSpool(SpoolOptions? options = null)
    {
        _options = options ?? new SpoolOptions();
        _bytesWriter = new BinaryWriter(_bytes);
    }

    /// <summary>A buffered detection: its sort key (<see cref="Detection.Compare"/>, then the order added) and where its
    /// record's header and fields are in the buffer.</summary>
    private struct Entry
    {
        public long Ticks, Offset, Line, Seq;
        public string Source;   // the detection's own string (one per input file)
        public int Rule, Header, HeaderLength, Fields, FieldsLength;
    }

    /// <summary>Detections added so far.</summary>
    public long Count => _seq;
    /// <summary>Sorted runs on disk now (after merging, see <see cref="SpoolOptions.MergeFanIn"/>).</summary>
    public int RunCount => _runs.Count;
    /// <summary>Run files spilled in total, merged ones included (for tests and diagnostics).</summary>
    public int Spills { get; private set; }
    /// <summary>The folder holding the run files, once the first run is written (deleted with them).</summary>
    public string? TempDirectory => _dir;
    /// <summary>Detections per rule level (level text as written in the rules), counted as they are added.</summary>
    public IReadOnlyDictionary<string, long> LevelCounts => _levels;

    public void Add(Detection d)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_drained) throw new InvalidOperationException("the detection spool was already drained");
        _levels[d.Rule.Level] = _levels.GetValueOrDefault(d.Rule.Level) + 1;
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        ref var e = ref _entries[_count++];
        e.Ticks = d.TimestampTicks;
        e.Source = d.Origin.Source;
        e.Offset = d.Origin.Offset;
        e.Line = d.Origin.Line;
        e.Rule = RuleId(d.Rule);
        e.Seq = _seq++;
        e.Header = (int)_bytes.Position;
        SpoolRunFormat.WriteHeader(_bytesWriter, d, e.Seq, e.Rule);
        _bytesWriter.Flush();
        e.HeaderLength = (int)_bytes.Position - e.Header;
        if (!ReferenceEquals(d.Fields, _lastFields))
        {
            _lastFields = d.Fields;
            _lastFieldsAt = (int)_bytes.Position;
            SpoolRunFormat.WriteFields(_bytesWriter, d.Fields);
            _bytesWriter.Flush();
            _lastFieldsLength = (int)_bytes.Position - _lastFieldsAt;
        }
        e.Fields = _lastFieldsAt;
        e.FieldsLength = _lastFieldsLength;
        if (_bytes.Position + (long)_count * System.Runtime.CompilerServices.Unsafe.SizeOf<Entry>() >= _options.MaxBufferBytes) Spill();
    }

    private int CompareEntries(Entry a, Entry b)
    {
        int c = a.Ticks.CompareTo(b.Ticks);
        if (c != 0) return c;
        if (!ReferenceEquals(a.Source, b.Source) && (c = string.CompareOrdinal(a.Source, b.Source)) != 0) return c;
        c = a.Offset.CompareTo(b.Offset);
        if (c != 0) return c;
        c = a.Line.CompareTo(b.Line);
        if (c != 0) return c;
        if (a.Rule != b.Rule && (c = string.CompareOrdinal(_rules[a.Rule].Id, _rules[b.Rule].Id)) != 0) return c;
        return a.Seq.CompareTo(b.Seq);
    }

    private static int CompareSeq(Sequenced a, Sequenced b)
    {
        int c = Detection.Compare(a.Detection, b.Detection);
        return c != 0 ? c : a.Seq.CompareTo(b.Seq);
    }

    /// <summary>Sorts the buffered keys and writes their records in that order to <paramref name="o"/>: each record's
    /// header, then its fields, or the tag 0 when they are the fields of the record before (the same bytes of the
    /// buffer). Empties the buffer.</summary>
    private void WriteBuffered(Stream o)
    {
        Array.Sort(_entries, 0, _count, Comparer<Entry>.Create(CompareEntries));
        int lastFields = -1;
        for (int k = 0; k < _count; k++)
        {
            ref readonly var e = ref _entries[k];
            o.Write(_bytes.Span(e.Header, e.HeaderLength));
            if (e.Fields == lastFields) o.WriteByte(0);
            else o.Write(_bytes.Span(e.Fields, e.FieldsLength));
            lastFields = e.Fields;
        }
        Array.Clear(_entries, 0, _count);   // let go of the sources
        _count = 0;
        _bytes.SetLength(0);   // keep the allocation for the next run
        _lastFields = null;
    }

    private void Spill()
    {
        if (_count == 0) return;
        using (var fs = NewRun(0)) WriteBuffered(fs);
        // A tier with MergeFanIn runs becomes one run of the next tier (sequential reads and one write). The order of the
        // result does not depend on which runs are merged together: ties are broken by the sequence every record carries.
        for (int tier = 0; ; tier++)
        {
            var full = _runs.Where(r => r.Tier == tier).Select(r => r.Path).ToList();
            if (full.Count < SpoolOptions.MergeFanIn) break;
            _runs.RemoveAll(r => r.Tier == tier);
            using (var merged = Merge(full, null).GetEnumerator())
                WriteRun(Enumerate(merged), tier + 1);
            foreach (var f in full) File.Delete(f);
        }
    }

    private static IEnumerable<Sequenced> Enumerate(IEnumerator<Sequenced> e) { while (e.MoveNext()) yield return e.Current; }

    private void WriteRun(IEnumerable<Sequenced> sorted, int tier)
    {
        using var fs = NewRun(tier);
        var w = new SpoolRunFormat.Writer(fs, RuleId);
        foreach (var s in sorted) w.Write(s);
    }

    /// <summary>A new run file of the given tier (the spool's folder made on the first).</summary>
    private FileStream NewRun(int tier)
    {
        if (_dir == null)
        {
            _dir = Directory.CreateDirectory(Path.Combine(_options.TempDirectory ?? Path.GetTempPath(),
                "vigil-spool-" + Guid.NewGuid().ToString("N"))).FullName;
            // A hunt stopped by Ctrl+C or SIGTERM still removes its runs: the handlers delete the folder and let the
            // signal's default action (termination) go on; ProcessExit covers Environment.Exit.
            AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
            _signals = [PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => OnProcessExit(null, EventArgs.Empty)),
                        PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => OnProcessExit(null, EventArgs.Empty))];
        }
        string path = Path.Combine(_dir, $"run{Spills:D5}.bin");
        Spills++;
        _runs.Add((path, tier));
        return new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    private int RuleId(SigmaRule r)
    {
        if (!_ruleIndex.TryGetValue(r, out int i)) { i = _rules.Count; _rules.Add(r); _ruleIndex[r] = i; }
        return i;
    }

    /// <summary>All detections added, in order, read once. Temp files are deleted when the enumeration ends (or is
    /// disposed early); a second drain throws.</summary>
    public IEnumerable<Detection> Drain()
    {
        if (_drained) throw new InvalidOperationException("the detections of a hunt can be read only once");
        ObjectDisposedException.ThrowIf(_disposed, this);
        _drained = true;
        // The tail: the buffered records sorted into a run in memory, read like the files.
        var tail = new MemoryStream();
        WriteBuffered(tail);
        tail.Position = 0;
        _bytes.Release();   // the buffer is copied into the tail: let it go while the drain runs
        _entries = [];
        return DrainCore(tail);
    }

    private IEnumerable<Detection> DrainCore(MemoryStream tail)
    {
        try
        {
            foreach (var s in Merge(_runs.Select(r => r.Path).ToList(), tail)) yield return s.Detection;
        }
        finally { Dispose(); }
    }

    /// <summary>k-way merge of run files and a sorted run in memory, by (Compare, sequence).</summary>
    private IEnumerable<Sequenced> Merge(IReadOnlyList<string> runs, MemoryStream? tail)
    {
        var readers = new List<SpoolRunFormat.Reader>();
        try
        {
            foreach (var r in runs) readers.Add(new SpoolRunFormat.Reader(r, _rules));
            if (tail is { Length: > 0 }) readers.Add(new SpoolRunFormat.Reader(tail, "(in memory)", _rules));
            var queue = new PriorityQueue<int, Sequenced>(readers.Count, Comparer<Sequenced>.Create(CompareSeq));
            var heads = new Sequenced[readers.Count];
            bool Next(int src) => readers[src].TryRead(out heads[src]);
            for (int i = 0; i < readers.Count; i++)
                if (Next(i)) queue.Enqueue(i, heads[i]);
            while (queue.TryDequeue(out int src, out var item))
            {
                yield return item;
                if (Next(src)) queue.Enqueue(src, heads[src]);
            }
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
    }

    /// <summary>Deletes the temp files (idempotent).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _entries = [];
        _bytesWriter.Dispose();
        if (_dir == null) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var r in _signals) r.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private void OnProcessExit(object? sender, EventArgs e)
    {
        try { if (_dir != null && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); }
        catch (IOException) { } // best effort while the process is going down
        catch (UnauthorizedAccessException) { }
    }

    internal readonly record struct Sequenced(Detection Detection, long Seq);
}

/// <summary>
/// The binary layout of one sorted run: a sequence of records, each
/// <c>seq:i64, rule:i32, ticks:i64, computer:str, channel:str, eventId:opt-i64, recordId:opt-i64, source:str, offset:i64,
/// line:i64, fieldsTag:u8</c>, then, when fieldsTag is 1, <c>count:i32</c> and per field <c>name:str, kind:u8, hex:u8,
/// payload</c>; when fieldsTag is 2 (the fields are an <see cref="EventSnapshot"/>, as every detection of an event is),
/// <c>count:i32, byteLength:i32</c> and the snapshot's bytes as they are; tag 0: the same fields as the previous record
/// (detections of one event sort next to each other and keep sharing one snapshot). Strings are <c>length:i32</c> and raw UTF-16 code units, so any text, lone
/// surrogates included, comes back unchanged. Payloads: String/RawJson a string, Int64/UInt64/Double/DateTime 8 bytes,
/// Boolean 1 byte, Guid/Sid/Binary <c>length:i32</c> and the bytes, Null nothing. The rule is an index into the spool's
/// table of rules; the source (the input file's path) is written out.
/// </summary>
internal static class SpoolRunFormat
{
    private const int MaxString = 1 << 28;

    internal sealed class Writer(Stream stream, Func<SigmaRule, int> ruleId)
    {
        private readonly BinaryWriter _w = new(stream);
        private object? _lastFields;

        public void Write(DetectionSpool.Sequenced s)
        {
            var d = s.Detection;
            WriteHeader(_w, d, s.Seq, ruleId(d.Rule));
            if (ReferenceEquals(d.Fields, _lastFields)) { _w.Write((byte)0); return; }
            _lastFields = d.Fields;
            WriteFields(_w, d.Fields);
        }
    }

    /// <summary>A record up to its fields tag.</summary>
    internal static void WriteHeader(BinaryWriter w, Detection d, long seq, int rule)
    {
        w.Write(seq);
        w.Write(rule);
        w.Write(d.TimestampTicks);
        Str(w, d.Computer);
        Str(w, d.Channel);
        Opt(w, d.EventId);
        Opt(w, d.RecordId);
        Str(w, d.Origin.Source);
        w.Write(d.Origin.Offset);
        w.Write(d.Origin.Line);
    }

    /// <summary>A record's fields: tag 2 and a snapshot's bytes, or tag 1 and each field.</summary>
    internal static void WriteFields(BinaryWriter w, IReadOnlyList<EventField> fields)
    {
        if (fields is EventSnapshot snapshot)
        {
            w.Write((byte)2);
            w.Write(snapshot.Count);
            w.Write(snapshot.Data.Length);
            w.Write(snapshot.Data);
            return;
        }
        w.Write((byte)1);
        w.Write(fields.Count);
        foreach (var f in fields)
        {
            Str(w, f.Name);
            var v = f.Value;
            w.Write((byte)v.Kind);
            w.Write(v.IsHex ? (byte)1 : (byte)0);
            switch (v.Kind)
            {
                case ValueKind.Null: break;
                case ValueKind.String: case ValueKind.RawJson: Str(w, v.TextSpan); break;
                case ValueKind.Int64: w.Write(v.Int64); break;
                case ValueKind.UInt64: w.Write(v.UInt64); break;
                case ValueKind.Double: w.Write(v.Double); break;
                case ValueKind.Boolean: w.Write(v.Boolean); break;
                case ValueKind.DateTime: w.Write(v.DateTime.Ticks); break;
                case ValueKind.Guid: case ValueKind.Sid: case ValueKind.Binary:
                    w.Write(v.RawBytes.Length);
                    w.Write(v.RawBytes);
                    break;
                default: throw new InvalidOperationException($"spool: value kind {v.Kind} has no encoding");
            }
        }
    }

    private static void Opt(BinaryWriter w, long? v)
    {
        w.Write(v.HasValue);
        if (v.HasValue) w.Write(v.Value);
    }

    private static void Str(BinaryWriter w, ReadOnlySpan<char> s)
    {
        w.Write(s.Length);
        w.Write(MemoryMarshal.AsBytes(s));
    }

    internal sealed class Reader : IDisposable
    {
        private readonly string _path;
        private readonly Stream _fs;
        private readonly BinaryReader _r;
        private readonly IReadOnlyList<SigmaRule> _rules;
        private IReadOnlyList<EventField>? _lastFields;
        // A run file is complete and unchanged while it is read: its length is read once (FileStream.Length is an
        // fstat system call each time, and the bounds checks below ask for it per record and per string).
        private readonly long _length;
        // Computer and channel names repeat from record to record; share one string per distinct text.
        private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
        // Field names repeat in every record; share one string per name within the run.
        private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);

        public Reader(string path, IReadOnlyList<SigmaRule> rules)
            : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path, rules) { }

        /// <summary>A run in a stream (the drain's tail, sorted in memory); <paramref name="name"/> names it in errors.</summary>
        public Reader(Stream stream, string name, IReadOnlyList<SigmaRule> rules)
        {
            _path = name; _rules = rules;
            _fs = stream;
            _r = new BinaryReader(_fs);
            _length = _fs.Length;
        }

        public bool TryRead(out DetectionSpool.Sequenced item)
        {
            item = default;
            if (_fs.Position >= _length) return false;
            long at = _fs.Position;
            try
            {
                long seq = _r.ReadInt64();
                var rule = _rules[Index(_r.ReadInt32(), _rules.Count, "rule")];
                long ticks = _r.ReadInt64();
                string computer = Shared(Str()), channel = Shared(Str());
                long? eventId = Opt(), recordId = Opt();
                string source = LastSource(Str());
                long offset = _r.ReadInt64(), line = _r.ReadInt64();
                byte tag = _r.ReadByte();
                IReadOnlyList<EventField> fields;
                if (tag == 0) fields = _lastFields ?? throw Bad("a record reuses the fields of a record that does not exist");
                else if (tag == 1) fields = _lastFields = ReadFields();
                else if (tag == 2) fields = _lastFields = ReadSnapshot();
                else throw Bad($"unknown fields tag {tag}");
                item = new DetectionSpool.Sequenced(new Detection
                {
                    Rule = rule, TimestampTicks = ticks, Computer = computer, Channel = channel,
                    EventId = eventId, RecordId = recordId, Origin = new EventOrigin(source, offset, line), Fields = fields,
                }, seq);
                return true;
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"spool run {_path}: record at byte {at} is truncated");
            }
        }

        private EventField[] ReadFields()
        {
            int count = _r.ReadInt32();
            if (count < 0 || count > _length - _fs.Position) throw Bad($"field count {count} is out of range");
            var fields = new EventField[count];
            for (int i = 0; i < count; i++)
            {
                string name = Str();
                if (_names.TryGetValue(name, out var shared)) name = shared; else _names[name] = name;
                var kind = (ValueKind)_r.ReadByte();
                bool hex = _r.ReadByte() != 0;
                FieldValue v = kind switch
                {
                    ValueKind.Null => FieldValue.Null,
                    ValueKind.String => FieldValue.FromString(Str()),
                    ValueKind.RawJson => FieldValue.FromRawJson(Str()),
                    ValueKind.Int64 => FieldValue.FromInt64(_r.ReadInt64(), hex),
                    ValueKind.UInt64 => FieldValue.FromUInt64(_r.ReadUInt64(), hex),
                    ValueKind.Double => FieldValue.FromDouble(_r.ReadDouble()),
                    ValueKind.Boolean => FieldValue.FromBoolean(_r.ReadBoolean()),
                    ValueKind.DateTime => FieldValue.FromDateTime(new DateTime(_r.ReadInt64(), DateTimeKind.Utc)),
                    ValueKind.Guid => FieldValue.FromGuidBytes(Bytes(16, exact: true), 0),
                    ValueKind.Sid => SidOrBinary(kind),
                    ValueKind.Binary => SidOrBinary(kind),
                    _ => throw Bad($"unknown value kind {(byte)kind}"),
                };
                fields[i] = new EventField(name, v);
            }
            return fields;
        }

        private EventSnapshot ReadSnapshot()
        {
            int count = _r.ReadInt32();
            if (count < 0 || count > _length - _fs.Position) throw Bad($"field count {count} is out of range");
            var data = Bytes(-1, exact: false);
            try { return EventSnapshot.FromData(data, count); }
            catch (InvalidDataException e) { throw Bad(e.Message); }
        }

        private FieldValue SidOrBinary(ValueKind kind)
        {
            var b = Bytes(-1, exact: false);
            return kind == ValueKind.Sid ? FieldValue.FromSidBytes(b, 0, b.Length) : FieldValue.FromBinary(b, 0, b.Length);
        }

        private byte[] Bytes(int expected, bool exact)
        {
            int n = _r.ReadInt32();
            if (n < 0 || n > _length - _fs.Position || (exact && n != expected)) throw Bad($"byte length {n} is out of range");
            var b = new byte[n];
            _fs.ReadExactly(b);
            return b;
        }

        private long? Opt() => _r.ReadBoolean() ? _r.ReadInt64() : null;

        private string Str()
        {
            int n = _r.ReadInt32();
            if (n < 0 || n > MaxString || 2L * n > _length - _fs.Position) throw Bad($"string length {n} is out of range");
            if (n == 0) return "";
            return string.Create(n, _fs, static (span, fs) => fs.ReadExactly(MemoryMarshal.AsBytes(span)));
        }

        private string _lastSource = "";

        /// <summary>Records of one file come in runs: they share one source string (the table of all sources is gone).</summary>
        private string LastSource(string s) => string.Equals(s, _lastSource, StringComparison.Ordinal) ? _lastSource : _lastSource = s;

        private string Shared(string s)
        {
            if (_texts.TryGetValue(s, out var shared)) return shared;
            if (_texts.Count < 4096) _texts[s] = s;   // bounded: a pathological run cannot grow the table without limit
            return s;
        }

        private int Index(int i, int count, string what) => (uint)i < (uint)count ? i : throw Bad($"{what} index {i} is out of range");

        private InvalidDataException Bad(string msg) => new($"spool run {_path}, byte {_fs.Position}: {msg}");

        public void Dispose() { _r.Dispose(); _fs.Dispose(); }
    }
}
