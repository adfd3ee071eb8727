using System.Buffers;
using System.Text;
using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Events;

namespace Vigil.Readers.Json;

/// <summary>
/// Turns one JSON object (a line, or an array element) into an <see cref="Event"/>:
/// nested objects are flattened into dotted names (<c>winlog.event_data.CommandLine</c>), and every
/// container is also added under its own path as raw JSON text, before its children, so
/// <c>winlog.event_data</c> stays reachable as nested JSON. Array elements repeat the array's name
/// (scalars as further values, objects flattened under the same prefix).
/// <para>
/// One decoder serves one thread at a time (rented per partition). String values are unescaped into
/// a pooled char buffer that the event's values point into, so no string is allocated per value;
/// field names are resolved through a cache keyed by the UTF-8 bytes of the dotted path, so a known
/// key costs one hash of its bytes.
/// </para>
/// <para>
/// Values are first decoded by a strict one-pass tokenizer of its own (JsonFastDecoder.cs: vectorised string
/// scanning, keys predicted from the previous event); what it declines (invalid JSON, rare shapes) is decoded again
/// below with Utf8JsonReader, which alone reports errors.
/// </para>
/// </summary>
internal sealed partial class JsonEventDecoder
{
    private const string FormatName = "json";
    private const int MaxCachedPaths = 8192;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 256 };

    [ThreadStatic] private static JsonEventDecoder? t_spare;

    private readonly Dictionary<byte[], int> _pathIds = new(ByteKeyComparer.Instance);
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _pathLookup;

    private byte[] _path = new byte[256];        // UTF-8 dotted path of the member being read
    private char[] _chars = [];                  // unescaped text of the current event (pooled)
    private int _charPos;
    private readonly List<char[]> _retired = []; // buffers outgrown during an event, returned after it

    private JsonEventDecoder()
    {
        _pathLookup = _pathIds.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>A decoder for this thread (reused across partitions, so the name cache stays warm).</summary>
    public static JsonEventDecoder Rent(int initialChars)
    {
        var d = t_spare ?? new JsonEventDecoder();
        t_spare = null;
        d._chars = ArrayPool<char>.Shared.Rent(Math.Max(initialChars, 1024));
        d._charPos = 0;
        return d;
    }

    public static void Return(JsonEventDecoder d)
    {
        d.ReleaseRetired();
        ArrayPool<char>.Shared.Return(d._chars);
        d._chars = [];
        t_spare = d;
    }

    /// <summary>
    /// Decodes <paramref name="json"/> (one complete JSON value) into <paramref name="e"/> and hands it to
    /// <paramref name="onEvent"/>. A value that is not valid JSON, or not an object, is reported with
    /// its place and skipped. Returns whether an event was delivered.
    /// </summary>
    public bool Emit(ReadOnlySpan<byte> json, Event e, string source, long offset, long line,
        Action<Event> onEvent, IDiagnostics diagnostics)
    {
        e.Clear();
        _charPos = 0;
        bool ok = false;
        try
        {
            // The fast path decodes clean, common JSON; anything it does not handle, or finds invalid, is decoded
            // again from the start by the Utf8JsonReader path, which alone produces results and error messages
            // for such lines (JsonFastDecoder.cs).
            if (!TryDecodeFast(json, e))
            {
                Reset(e);
                FallbackCount++;
                Decode(json, e);
            }
            ok = true;
        }
        catch (JsonException ex)
        {
            Report(diagnostics, source, offset, line, "invalid JSON: " + TrimReaderPosition(ex.Message));
        }
        catch (NotAnObjectException ex)
        {
            Report(diagnostics, source, offset, line, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader reports invalid UTF-8 inside strings this way when a string is copied.
            Report(diagnostics, source, offset, line, "invalid text in JSON: " + ex.Message);
        }
        if (!ok)
        {
            Reset(e);
            return false;
        }
        if (e.Truncated)
            Report(diagnostics, source, offset, line, $"an event of more than {Event.MaxFields:N0} fields and values: the rest are not read");
        e.Origin = new EventOrigin(source, offset, line);
        e.Format = FormatName;
        e.TimestampTicks = JsonTimestamps.Find(e);
        try
        {
            onEvent(e);
        }
        finally
        {
            // The event's values point into _chars (and retired buffers); they are dead after the callback.
            ReleaseRetired();
            _charPos = 0;
        }
        return true;
    }

    private static void Report(IDiagnostics d, string source, long offset, long line, string message) =>
        d.Report(new ReadError(source, message, Offset: offset, Line: line > 0 ? line : null));

    /// <summary>The reader's own "LineNumber: 0 | BytePositionInLine: 12." is relative to the line or
    /// element, not the file; we name the place ourselves, so keep the position only as "at byte N".</summary>
    internal static string TrimReaderPosition(string message)
    {
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (i < 0) return message;
        int b = message.IndexOf("BytePositionInLine:", i, StringComparison.Ordinal);
        string head = message[..i].TrimEnd();
        if (b < 0) return head;
        var pos = message.AsSpan(b + "BytePositionInLine:".Length).Trim().TrimEnd('.');
        return $"{head} (at byte {pos} of the value)";
    }

    private void Decode(ReadOnlySpan<byte> json, Event e)
    {
        var r = new Utf8JsonReader(json, ReaderOptions);
        if (!r.Read()) throw new NotAnObjectException("empty JSON value");
        if (r.TokenType != JsonTokenType.StartObject)
            throw new NotAnObjectException($"JSON value is {Describe(r.TokenType)}, not an object; an event must be a JSON object");
        ReadObject(ref r, json, e, 0);
        // Anything after the object's closing brace (a second value on the same line) is an error;
        // the reader throws on it because multiple values are not allowed.
        if (r.Read()) throw new NotAnObjectException($"unexpected {Describe(r.TokenType)} after the JSON object");
    }

    private void ReadObject(ref Utf8JsonReader r, ReadOnlySpan<byte> src, Event e, int prefixLength)
    {
        while (r.Read())
        {
            if (r.TokenType == JsonTokenType.EndObject) return;
            // Property name: append ".name" (or "name" at top level) to the path prefix.
            int length = prefixLength;
            var raw = r.ValueSpan;
            EnsurePath(length + 1 + raw.Length);
            if (length > 0) _path[length++] = (byte)'.';
            length += r.ValueIsEscaped ? r.CopyString(_path.AsSpan(length)) : CopyTo(raw, _path, length);
            int id = PathId(_path.AsSpan(0, length), e);
            r.Read();
            ReadValue(ref r, src, e, id, length);
        }
    }

    private static int CopyTo(ReadOnlySpan<byte> src, byte[] dest, int at)
    {
        src.CopyTo(dest.AsSpan(at));
        return src.Length;
    }

    private void ReadValue(ref Utf8JsonReader r, ReadOnlySpan<byte> src, Event e, int id, int pathLength)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.StartObject:
            {
                var at = BeginRawContainer(ref r, e, id);
                ReadObject(ref r, src, e, pathLength);
                EndRawContainer(ref r, src, e, at);
                break;
            }
            case JsonTokenType.StartArray:
            {
                var at = BeginRawContainer(ref r, e, id);
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    ReadValue(ref r, src, e, id, pathLength);
                EndRawContainer(ref r, src, e, at);
                break;
            }
            case JsonTokenType.String:
            {
                var raw = r.ValueSpan;
                EnsureChars(raw.Length);   // unescaping and UTF-8 -> UTF-16 never lengthen the text
                int n = r.ValueIsEscaped
                    ? r.CopyString(_chars.AsSpan(_charPos))
                    : Encoding.UTF8.GetChars(raw, _chars.AsSpan(_charPos));
                e.Add(id, FieldValue.FromChars(_chars, _charPos, n));
                _charPos += n;
                break;
            }
            case JsonTokenType.Number:
                AddNumber(ref r, e, id);
                break;
            case JsonTokenType.True: e.Add(id, FieldValue.FromBoolean(true)); break;
            case JsonTokenType.False: e.Add(id, FieldValue.FromBoolean(false)); break;
            case JsonTokenType.Null: e.Add(id, FieldValue.Null); break;
            default:
                throw new NotAnObjectException($"unexpected JSON token {r.TokenType}");
        }
    }

    /// <summary>The reader is on a number: the narrowest of long, ulong, double that holds it, else its text.</summary>
    private void AddNumber(ref Utf8JsonReader r, Event e, int id)
    {
        if (r.TryGetInt64(out long l)) e.Add(id, FieldValue.FromInt64(l));
        else if (r.TryGetUInt64(out ulong u)) e.Add(id, FieldValue.FromUInt64(u));
        // TryGetDouble succeeds with ±Infinity for a number beyond double range (1e400): keep such a number's text.
        else if (r.TryGetDouble(out double d) && double.IsFinite(d)) e.Add(id, FieldValue.FromDouble(d));
        else   // out of double range: keep its text
        {
            var (buffer, start, length) = Transcode(r.ValueSpan);
            e.Add(id, FieldValue.FromChars(buffer, start, length));
        }
    }

    /// <summary>Keeps the place of the container starting at the reader's current token (a placeholder value, so the
    /// container comes before its children as documented); <see cref="EndRawContainer"/> fills in its raw JSON text
    /// once the reader has passed its end. One pass over the event: no look-ahead to find where containers end.</summary>
    private static (int Index, int Start) BeginRawContainer(ref Utf8JsonReader r, Event e, int id)
    {
        int index = e.Count;
        e.Add(id, FieldValue.Null);
        return (index, (int)r.TokenStartIndex);
    }

    /// <summary>The reader is on the container's closing token: its text is <c>src[start..BytesConsumed]</c>.</summary>
    private void EndRawContainer(ref Utf8JsonReader r, ReadOnlySpan<byte> src, Event e, (int Index, int Start) at)
    {
        var (buffer, start, length) = Transcode(src[at.Start..(int)r.BytesConsumed]);
        if (at.Index < e.Count) e.SetValueAt(at.Index, FieldValue.FromRawJson(buffer, start, length));   // unless dropped (MaxFields)
    }

    /// <summary>Transcodes <paramref name="utf8"/> into the event's char buffer: where the copy is.</summary>
    private (char[] Buffer, int Start, int Length) Transcode(ReadOnlySpan<byte> utf8)
    {
        EnsureChars(utf8.Length);
        int start = _charPos;
        int n = Encoding.UTF8.GetChars(utf8, _chars.AsSpan(start));
        _charPos += n;
        return (_chars, start, n);
    }

    /// <summary>The field id of a dotted path, or, when the name table is full and does not list it, the token of its
    /// spelling declared in <paramref name="e"/> (<see cref="Event.DeclareName"/>; never cached: a token is the event's).</summary>
    private int PathId(ReadOnlySpan<byte> path, Event e)
    {
        if (_pathLookup.TryGetValue(path, out int id)) return id;
        char[]? rented = null;
        Span<char> chars = path.Length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(path.Length));
        int n = Encoding.UTF8.GetChars(path, chars);
        id = FieldNames.Resolve(chars[..n], out int key);
        if (rented != null) ArrayPool<char>.Shared.Return(rented);
        if (id < 0)
        {
            var (buffer, start, length) = Transcode(path);
            return e.DeclareName(FieldValue.FromChars(buffer, start, length), key);
        }
        // A file with ever-new keys (ids, hashes as keys) must not grow the cache without bound.
        if (_pathIds.Count >= MaxCachedPaths) _pathIds.Clear();
        _pathIds[path.ToArray()] = id;
        return id;
    }

    private void EnsurePath(int length)
    {
        if (length > _path.Length) Array.Resize(ref _path, Math.Max(length, _path.Length * 2));
    }

    private void EnsureChars(int count)
    {
        if (_charPos + count <= _chars.Length) return;
        // Values already added point into the current buffer: retire it (returned after the event)
        // instead of copying, and continue in a fresh one.
        _retired.Add(_chars);
        _chars = ArrayPool<char>.Shared.Rent(Math.Max(count, _chars.Length * 2));
        _charPos = 0;
    }

    /// <summary>Drops what a partly decoded value left: the event's fields and the char buffers they pointed into.</summary>
    private void Reset(Event e)
    {
        e.Clear();
        ReleaseRetired();
        _charPos = 0;
    }

    private void ReleaseRetired()
    {
        foreach (var b in _retired) ArrayPool<char>.Shared.Return(b);
        _retired.Clear();
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        _ => t.ToString(),
    };

    private sealed class NotAnObjectException(string message) : Exception(message);

    /// <summary>Byte-array keys compared by content, with span lookups (no allocation on a hit).</summary>
    private sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] key) => Hash(key);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);
        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);
        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> s)
        {
            var h = new HashCode();
            h.AddBytes(s);
            return h.ToHashCode();
        }
    }
}
