using System.Buffers;

namespace Vigil.Readers.Json;

/// <summary>
/// Cuts a JSON-lines stream into blocks of about <c>blockSize</c> bytes, each ending at a newline (the
/// last one may end at the end of the data). Memory stays bounded by the block size and the longest
/// line: a line longer than a block makes that block grow until the line's newline is found.
/// </summary>
internal sealed class JsonLineCutter(JsonInput input, int blockSize) : IDisposable
{
    private byte[]? _carry;        // start of the next block: the bytes after the last cut
    private int _carryLength;
    private long _offset = input.Position;   // stream offset of the next block's first byte
    private long _line = 1;                  // line number of the next block's first line
    private long _ordinal;
    private bool _ended;

    public JsonLinesPartition? Next()
    {
        if (_ended && _carryLength == 0) return null;
        var buffer = _carry ?? ArrayPool<byte>.Shared.Rent(blockSize);
        int length = _carryLength;
        _carry = null;
        _carryLength = 0;
        int searchFrom = 0;   // bytes before this hold no newline (already searched)
        int cut;
        while (true)
        {
            if (!_ended && length < buffer.Length)
            {
                int n = input.ReadFull(buffer.AsSpan(length));
                if (length + n < buffer.Length) _ended = true;   // ReadFull stops short only at the end
                length += n;
            }
            int last = buffer.AsSpan(searchFrom, length - searchFrom).LastIndexOf((byte)'\n');
            if (last >= 0) { cut = searchFrom + last + 1; break; }
            if (_ended) { cut = length; break; }
            // No newline in the whole buffer: one long line. Grow and keep reading.
            searchFrom = length;
            var grown = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
            buffer.AsSpan(0, length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = grown;
        }
        if (length == 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
        int rest = length - cut;
        if (rest > 0)
        {
            _carry = ArrayPool<byte>.Shared.Rent(Math.Max(blockSize, rest * 2));
            buffer.AsSpan(cut, rest).CopyTo(_carry);
            _carryLength = rest;
        }
        var part = new JsonLinesPartition(input.Path, _ordinal++, buffer, 0, cut, _offset, _line);
        _offset += cut;
        _line += buffer.AsSpan(0, cut).Count((byte)'\n');
        return part;
    }

    public void Dispose()
    {
        if (_carry is { } c) ArrayPool<byte>.Shared.Return(c);
        _carry = null;
        _carryLength = 0;
    }
}
