using System.Buffers;
using System.Text.Json;
using Vigil.Diagnostics;

namespace Vigil.Readers.Json;

/// <summary>
/// Streams through JSON that is not one object per line: a top-level array of objects
/// (<c>[ {...}, {...} ]</c>, possibly pretty-printed and large), or objects written one after another
/// over many lines (the output of <c>jq .</c>). Each top-level object, and each object element of a
/// top-level array, becomes one element; elements are collected into partitions of about
/// <c>blockSize</c> bytes. Utf8JsonReader runs over a buffer that is refilled as it is consumed; a token
/// cut by the end of the buffer is completed after the refill (JsonReaderState / isFinalBlock). The bytes of the
/// element being read are kept in the buffer, which grows when one element is larger than it.
/// <para>
/// In records mode (AWS CloudTrail's <c>{"Records":[...]}</c> files, Azure's <c>{"records":[...]}</c>) the events are the object elements of the
/// top-level object's <c>Records</c> array (depth 2); the wrapper's other properties are skipped.
/// </para>
/// <para>
/// An element of <c>maxElementBytes</c> or more is reported and skipped: its bytes are dropped as the reader passes
/// them (as are those of elements skipped for not being objects), so it is never held. One token that alone fills that
/// many bytes (a string of hundreds of MB) ends the file, reported.
/// </para>
/// <para>
/// Invalid JSON here cannot be skipped reliably (there is no line to resynchronise on), so it is
/// reported with its offset and line and ends the file; the elements before it are kept.
/// </para>
/// </summary>
internal sealed class JsonValueScanner : IDisposable
{
    private static readonly JsonReaderOptions Options = new() { AllowMultipleValues = true, MaxDepth = 256 };

    private readonly JsonInput _input;
    private readonly IDiagnostics _diagnostics;
    private readonly int _blockSize;
    private byte[] _buf;
    private int _len;            // valid bytes in _buf
    private int _readPos;        // where the next reader starts in _buf
    private long _bufBase;       // stream offset of _buf[0]
    private JsonReaderState _state = new(Options);
    private bool _final;
    private bool _done;
    private long _ordinal;
    private readonly bool _records;
    private bool _inRecords;      // records mode: inside the Records array

    // Element being collected: its start in _buf and the depth of its opening token.
    private int _elementStart = -1;
    private int _elementDepth;
    private bool _elementRejected;   // a non-object element being skipped (already reported)

    // Line tracking: the line number at _buf[_lineScanPos]; advanced monotonically.
    private int _lineScanPos;
    private long _lineAtScanPos = 1;

    private readonly int _maxElementBytes;

    public JsonValueScanner(JsonInput input, int blockSize, IDiagnostics diagnostics, bool records = false,
        int maxElementBytes = JsonFormat.DefaultMaxEventBytes)
    {
        _records = records;
        _maxElementBytes = maxElementBytes;
        _input = input;
        _diagnostics = diagnostics;
        _blockSize = blockSize;
        _buf = ArrayPool<byte>.Shared.Rent(Math.Max(blockSize, 4096));
        _bufBase = input.Position;
    }

    public JsonElementsPartition? Next()
    {
        if (_done) return null;
        var part = new JsonElementsPartition(_input.Path, _ordinal, _blockSize);
        while (!_done && part.ByteLength < _blockSize)
        {
            if (!ScanBuffer(part)) Refill();
        }
        if (part.Count == 0)
        {
            part.Discard();
            return null;
        }
        _ordinal++;
        part.Trim();
        return part;
    }

    /// <summary>Reads tokens from the current buffer. Returns true when it stopped because the partition
    /// is full (state saved), false when the buffer is exhausted (or the data ended / failed).</summary>
    private bool ScanBuffer(JsonElementsPartition part)
    {
        var reader = new Utf8JsonReader(_buf.AsSpan(_readPos, _len - _readPos), _final, _state);
        try
        {
            while (reader.Read())
            {
                var token = reader.TokenType;
                int depth = reader.CurrentDepth;
                if (_elementStart >= 0)
                {
                    // Inside an element: wait for the token that closes it.
                    if (depth == _elementDepth && token is JsonTokenType.EndObject or JsonTokenType.EndArray)
                    {
                        int end = _readPos + (int)reader.BytesConsumed;
                        if (!_elementRejected)
                            part.Add(_buf.AsSpan(_elementStart, end - _elementStart), _bufBase + _elementStart, LineAt(_elementStart));
                        _elementStart = -1;
                        _elementRejected = false;
                        if (part.ByteLength >= _blockSize)
                        {
                            Save(ref reader);
                            return true;
                        }
                    }
                    continue;
                }
                int start = _readPos + (int)reader.TokenStartIndex;
                if (_records)
                {
                    ScanRecordsToken(ref reader, token, depth, start);
                    continue;
                }
                switch (token)
                {
                    case JsonTokenType.StartObject when depth <= 1:
                        // depth 0: a top-level object; depth 1: an element of a top-level array.
                        _elementStart = start;
                        _elementDepth = depth;
                        break;
                    case JsonTokenType.StartArray when depth == 0:
                    case JsonTokenType.EndArray when depth == 0:
                        break;   // the top-level array itself: its elements are the events
                    case JsonTokenType.StartArray:
                        Reject(start, "an array");
                        _elementStart = start;
                        _elementDepth = depth;
                        _elementRejected = true;
                        break;
                    default:
                        Reject(start, Describe(token));
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            int at = _readPos + (int)reader.BytesConsumed;
            _done = true;
            // When the data broke off (truncated gzip, already reported) the reader's complaint about the
            // unfinished array is only an echo of that.
            if (_final && _input.Failed) return false;
            _diagnostics.Report(new ReadError(_input.Path,
                $"invalid JSON; the rest of the file is skipped: {JsonEventDecoder.TrimReaderPosition(ex.Message)}",
                Offset: _bufBase + at, Line: LineAt(Math.Max(at, _lineScanPos))));
            _done = true;
            return false;
        }
        Save(ref reader);
        if (_final) _done = true;
        return false;
    }

    /// <summary>Records mode, outside an element: the wrapper object, its Records array, and other properties.</summary>
    private void ScanRecordsToken(ref Utf8JsonReader reader, JsonTokenType token, int depth, int start)
    {
        if (_inRecords)
        {
            if (token == JsonTokenType.EndArray && depth == 1) { _inRecords = false; return; }
            if (token == JsonTokenType.StartObject)
            {
                _elementStart = start;
                _elementDepth = depth;
                return;
            }
            if (token == JsonTokenType.StartArray)
            {
                Reject(start, "an array");
                _elementStart = start;
                _elementDepth = depth;
                _elementRejected = true;
                return;
            }
            Reject(start, Describe(token));
            return;
        }
        if (depth == 1 && token == JsonTokenType.PropertyName)
        {
            _pendingRecords = reader.ValueTextEquals("Records"u8) || reader.ValueTextEquals("records"u8);
            return;
        }
        if (depth == 1 && token == JsonTokenType.StartArray && _pendingRecords)
        {
            _inRecords = true;
            _pendingRecords = false;
            return;
        }
        if (depth == 1 && token is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            // Another property of the wrapper with a structured value: skip it without a complaint.
            _elementStart = start;
            _elementDepth = depth;
            _elementRejected = true;
        }
        _pendingRecords = false;
    }

    private bool _pendingRecords;

    private void Reject(int start, string what) =>
        _diagnostics.Report(new ReadError(_input.Path, $"JSON value is {what}, not an object; an event must be a JSON object",
            Offset: _bufBase + start, Line: LineAt(start)));

    private void Save(ref Utf8JsonReader reader)
    {
        _state = reader.CurrentState;
        _readPos += (int)reader.BytesConsumed;
    }

    /// <summary>Moves the unconsumed bytes (and the element being collected) to the front and reads more.</summary>
    private void Refill()
    {
        if (_done) return;
        // The element being collected has reached the limit: skipped from here on (reported below, unless one token of
        // it alone fills the buffer, which ends the file).
        ReadError? dropped = null;
        if (_elementStart >= 0 && !_elementRejected && _len - _elementStart >= _maxElementBytes)
        {
            dropped = new ReadError(_input.Path,
                $"a JSON element of over {JsonFormat.Size(_maxElementBytes)}, more than an event may take: skipped",
                Offset: _bufBase + _elementStart, Line: LineAt(_elementStart));
            _elementRejected = true;
        }
        // The bytes of an element being skipped are not kept (its start stays at 0 while the reader passes it).
        int keep = _elementStart >= 0 && !_elementRejected ? _elementStart : _readPos;
        LineAt(keep);   // count the newlines of the bytes about to be dropped
        int remaining = _len - keep;
        if (keep == 0 && remaining == _buf.Length)
        {
            if (_buf.Length >= _maxElementBytes)
            {
                // One token alone fills the buffer: its end cannot be found without holding it.
                _diagnostics.Report(new ReadError(_input.Path,
                    $"a JSON value of over {JsonFormat.Size(_maxElementBytes)} in one token; the rest of the file is skipped",
                    Offset: _bufBase + keep, Line: LineAt(keep)));
                _done = true;
                return;
            }
            // One element fills the whole buffer: grow it (it is below the limit, or it would have been dropped).
            var grown = ArrayPool<byte>.Shared.Rent(Math.Min(_buf.Length * 2, _maxElementBytes));
            _buf.AsSpan(0, _len).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = grown;
        }
        else if (keep > 0)
        {
            _buf.AsSpan(keep, remaining).CopyTo(_buf);
            _bufBase += keep;
            _readPos -= keep;
            _lineScanPos -= keep;
            if (_elementStart >= 0) _elementStart = Math.Max(0, _elementStart - keep);
            _len = remaining;
        }
        if (dropped is not null) _diagnostics.Report(dropped);
        int n = _input.ReadFull(_buf.AsSpan(_len));
        _len += n;
        if (_len < _buf.Length) _final = true;   // ReadFull stops short only at the end of the data
        if (_input.Failed && _final && _elementStart >= 0)
        {
            // The data broke off inside an element (truncated gzip): that element is lost; it was reported.
            _done = true;
        }
    }

    private long LineAt(int pos)
    {
        if (pos > _lineScanPos)
        {
            _lineAtScanPos += _buf.AsSpan(_lineScanPos, pos - _lineScanPos).Count((byte)'\n');
            _lineScanPos = pos;
        }
        return _lineAtScanPos;
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => t.ToString(),
    };

    public void Dispose()
    {
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
    }
}
