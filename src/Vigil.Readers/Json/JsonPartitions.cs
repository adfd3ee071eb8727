using System.Buffers;
using Vigil.Diagnostics;
using Vigil.Events;

namespace Vigil.Readers.Json;

/// <summary>
/// A block of whole JSON lines cut from the (decompressed) stream. It owns its pooled byte array from
/// the moment the block is cut until its <see cref="Read"/> finishes; Read may run once.
/// </summary>
internal sealed class JsonLinesPartition(string source, long ordinal, byte[] buffer, int start, int length, long firstOffset, long firstLine)
    : IEventPartition
{
    private byte[]? _buffer = buffer;

    public string Source { get; } = source;
    public long Ordinal { get; } = ordinal;
    /// <summary>Offset in the (decompressed) stream of the block's first byte.</summary>
    public long FirstOffset => firstOffset;
    /// <summary>1-based line number of the block's first line.</summary>
    public long FirstLine => firstLine;
    public int Length => length;
    public long ByteLength => length;

    public void Read(Event scratch, Action<Event> onEvent, IDiagnostics diagnostics)
    {
        var buffer = Interlocked.Exchange(ref _buffer, null)
            ?? throw new InvalidOperationException("a JSON partition can be read only once");
        var decoder = JsonEventDecoder.Rent(Math.Min(length, 1 << 16));
        try
        {
            var data = buffer.AsSpan(start, length);
            long line = firstLine;
            int pos = 0;
            while (pos < data.Length)
            {
                int nl = data[pos..].IndexOf((byte)'\n');
                int end = nl < 0 ? data.Length : pos + nl;
                var text = data[pos..end];
                // Leading/trailing JSON whitespace, including the CR of CRLF endings.
                int lead = 0;
                while (lead < text.Length && IsSpace(text[lead])) lead++;
                int trail = text.Length;
                while (trail > lead && IsSpace(text[trail - 1])) trail--;
                if (trail > lead)   // empty lines are skipped silently
                    decoder.Emit(text[lead..trail], scratch, Source, firstOffset + pos + lead, line, onEvent, diagnostics);
                pos = end + 1;
                line++;
            }
        }
        finally
        {
            scratch.Clear();   // its values point into buffers that go back to the pool now
            JsonEventDecoder.Return(decoder);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
}

/// <summary>
/// A run of complete top-level JSON values (elements of a top-level array, or concatenated objects)
/// copied out of the stream, each with its offset and starting line. Owns its pooled array; read once.
/// </summary>
internal sealed class JsonElementsPartition : IEventPartition
{
    private byte[]? _bytes;
    private int _length;
    private int[] _starts = new int[64];
    private long[] _offsets = new long[64];
    private long[] _lines = new long[64];
    private int _count;

    public JsonElementsPartition(string source, long ordinal, int capacity)
    {
        Source = source;
        Ordinal = ordinal;
        _bytes = ArrayPool<byte>.Shared.Rent(capacity);
    }

    public string Source { get; }
    public long Ordinal { get; }
    public int Count => _count;
    // long, as the interface's: an int property of the same name did not implement it, so the pipeline took these
    // partitions (2 MB each) for 0 bytes and read 256 ahead: ~900 MB reading one 800 MB CloudTrail records file.
    public long ByteLength => _length;

    public void Add(ReadOnlySpan<byte> element, long offset, long line)
    {
        var bytes = _bytes ?? throw new InvalidOperationException("partition already read");
        if (_length + element.Length > bytes.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + element.Length, bytes.Length * 2));
            bytes.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(bytes);
            _bytes = bytes = grown;
        }
        if (_count == _starts.Length)
        {
            Array.Resize(ref _starts, _count * 2);
            Array.Resize(ref _offsets, _count * 2);
            Array.Resize(ref _lines, _count * 2);
        }
        element.CopyTo(bytes.AsSpan(_length));
        _starts[_count] = _length;
        _offsets[_count] = offset;
        _lines[_count] = line;
        _count++;
        _length += element.Length;
    }

    /// <summary>Moves a short partition (a small file, or a file's end) to an array of its size, as the line cutter does
    /// (see <see cref="JsonLineCutter.Shrink"/>).</summary>
    public void Trim()
    {
        if (_bytes is { } b && _length <= b.Length / 4) _bytes = JsonLineCutter.Shrink(b, _length);
    }

    public void Read(Event scratch, Action<Event> onEvent, IDiagnostics diagnostics)
    {
        var bytes = Interlocked.Exchange(ref _bytes, null)
            ?? throw new InvalidOperationException("a JSON partition can be read only once");
        var decoder = JsonEventDecoder.Rent(Math.Min(_length, 1 << 16));
        try
        {
            for (int i = 0; i < _count; i++)
            {
                int end = i + 1 < _count ? _starts[i + 1] : _length;
                decoder.Emit(bytes.AsSpan(_starts[i], end - _starts[i]), scratch, Source, _offsets[i], _lines[i], onEvent, diagnostics);
            }
        }
        finally
        {
            scratch.Clear();   // its values point into buffers that go back to the pool now
            JsonEventDecoder.Return(decoder);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Gives the pooled array back when the partition is dropped unread (empty, or the consumer stopped).</summary>
    public void Discard()
    {
        if (Interlocked.Exchange(ref _bytes, null) is { } b) ArrayPool<byte>.Shared.Return(b);
    }
}
