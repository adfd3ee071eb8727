using System.Buffers;
using Vigil.Diagnostics;

namespace Vigil.Readers.Json;

/// <summary>
/// Cuts a JSON-lines stream into blocks of about <c>blockSize</c> bytes, each ending at a newline (the
/// last one may end at the end of the data). Memory stays bounded by the block size and the longest
/// line: a line longer than a block makes that block grow until the line's newline is found. A line of
/// <c>maxLineBytes</c> or more is reported and skipped: read through to its newline, never held.
/// </summary>
internal sealed class JsonLineCutter(JsonInput input, int blockSize, IDiagnostics diagnostics, int maxLineBytes) : IDisposable
{
    private byte[]? _carry;        // start of the next block: the bytes after the last cut
    private int _carryLength;
    private long _offset = input.Position;   // stream offset of the next block's first byte
    private long _line = 1;                  // line number of the next block's first line
    private long _ordinal;
    private bool _ended;

    public JsonLinesPartition? Next()
    {
        while (true)
        {
            if (_ended && _carryLength == 0) return null;
            var buffer = _carry ?? ArrayPool<byte>.Shared.Rent(blockSize);
            int length = _carryLength;
            _carry = null;
            _carryLength = 0;
            int searchFrom = 0;   // bytes before this hold no newline (already searched)
            int cut = -1;
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
                // No newline in the whole buffer: one long line (the buffer starts where it does).
                if (length >= maxLineBytes) break;
                searchFrom = length;
                var grown = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxLineBytes));
                buffer.AsSpan(0, length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = grown;
            }
            if (cut < 0)
            {
                SkipLongLine(buffer, length);
                continue;
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
            // A short block (a small file, or a file's end) moves to an array of its size: the pipeline bounds its read-ahead
            // by the bytes partitions hold, and 256 small files' blocks each in a 2 MB array were 512 MB.
            if (cut <= buffer.Length / 4) buffer = Shrink(buffer, cut);
            var part = new JsonLinesPartition(input.Path, _ordinal++, buffer, 0, cut, _offset, _line);
            _offset += cut;
            _line += buffer.AsSpan(0, cut).Count((byte)'\n');
            return part;
        }
    }

    internal static byte[] Shrink(byte[] buffer, int length)
    {
        var small = ArrayPool<byte>.Shared.Rent(Math.Max(length, 16));
        buffer.AsSpan(0, length).CopyTo(small);
        ArrayPool<byte>.Shared.Return(buffer);
        return small;
    }

    /// <summary><paramref name="buffer"/> holds the first <paramref name="length"/> bytes of a line at least
    /// maxLineBytes long: reads on through its newline in the same buffer, reports it, and keeps what follows the newline
    /// as the next block's start.</summary>
    private void SkipLongLine(byte[] buffer, int length)
    {
        long skipped = length;
        bool newline = false;
        while (!_ended)
        {
            int n = input.ReadFull(buffer);
            if (n < buffer.Length) _ended = true;
            int nl = buffer.AsSpan(0, n).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                skipped += nl + 1;
                newline = true;
                int rest = n - nl - 1;
                if (rest > 0)
                {
                    _carry = ArrayPool<byte>.Shared.Rent(Math.Max(blockSize, rest));
                    buffer.AsSpan(nl + 1, rest).CopyTo(_carry);
                    _carryLength = rest;
                }
                break;
            }
            skipped += n;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        diagnostics.Report(new ReadError(input.Path,
            $"a line of {skipped:N0} bytes{(newline ? "" : " (to the end of the data)")}, over the {JsonFormat.Size(maxLineBytes)} an event may take: "
            + "skipped (a damaged or zero-filled region?)", Offset: _offset, Line: _line));
        _offset += skipped;
        if (newline) _line++;
    }

    public void Dispose()
    {
        if (_carry is { } c) ArrayPool<byte>.Shared.Return(c);
        _carry = null;
        _carryLength = 0;
    }
}
