using System.Runtime.InteropServices;

namespace Vigil.Engine.Hunting;

/// <summary>
/// A growable byte buffer outside the GC heap, written as a stream (for a <see cref="BinaryWriter"/>) and read back by
/// place. The detection spool's records live here between spills: up to 16 MB that stays live for the whole hunt. In
/// the GC heap (a <see cref="MemoryStream"/>) it sat in large-object-heap arrays that counted as committed heap, and the
/// hunt's heap governor compacted the heap for it in vain (0.12-0.15 s blocking on a 3 s OTRF hunt, with extra gen2
/// collections; `bench/results/2026-11-28-e2e.md`). Not thread-safe.
/// </summary>
internal sealed unsafe class NativeBufferStream : Stream
{
    private byte* _data;
    private long _capacity, _length, _position;

    public override bool CanRead => false;
    public override bool CanSeek => true;
    public override bool CanWrite => true;
    public override long Length => _length;

    /// <summary>Bytes allocated now (tests).</summary>
    public long Capacity => _capacity;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    /// <summary>The bytes at <paramref name="at"/>: valid until the next write that grows the buffer.</summary>
    public ReadOnlySpan<byte> Span(long at, int length)
    {
        if (at < 0 || length < 0 || at + length > _length)
            throw new ArgumentOutOfRangeException(nameof(at), $"{length} bytes at {at} of {_length}");
        return new ReadOnlySpan<byte>(_data + at, length);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> source)
    {
        long end = _position + source.Length;
        Ensure(end);
        source.CopyTo(new Span<byte>(_data + _position, source.Length));
        _position = end;
        if (end > _length) _length = end;
    }

    public override void WriteByte(byte value)
    {
        Ensure(_position + 1);
        _data[_position++] = value;
        if (_position > _length) _length = _position;
    }

    /// <summary>Grows to hold <paramref name="bytes"/>, doubling (no copy in the GC heap; realloc may move the block).</summary>
    private void Ensure(long bytes)
    {
        if (bytes <= _capacity) return;
        if (bytes > Array.MaxLength) throw new IOException($"the spool buffer cannot hold {bytes} bytes");
        long capacity = Math.Min(Array.MaxLength, Math.Max(bytes, Math.Max(1 << 16, 2 * _capacity)));
        _data = (byte*)NativeMemory.Realloc(_data, (nuint)capacity);
        _capacity = capacity;
    }

    /// <summary>Sets the length; a shorter one keeps the allocation (the next records reuse it).</summary>
    public override void SetLength(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        Ensure(value);
        _length = value;
        if (_position > value) _position = value;
    }

    /// <summary>Gives the allocation back (the buffer is empty and may grow again).</summary>
    public void Release()
    {
        NativeMemory.Free(_data);
        _data = null;
        _capacity = _length = _position = 0;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void Flush() { }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a write-only buffer");

    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    ~NativeBufferStream() => Release();
}
