using System.Buffers;

namespace Vigil.Outputs;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> of bytes over arrays rented from <see cref="ArrayPool{T}.Shared"/>: formatting a
/// batch of detections needs a buffer of a megabyte or more, and a fresh array of that size each batch lands on the
/// large-object heap, where every few megabytes of such allocations trigger a full (gen2) collection of the whole heap.
/// <see cref="Dispose"/> returns the array; <see cref="WrittenMemory"/> is valid until then.
/// </summary>
internal sealed class PooledBufferWriter(int initialCapacity) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    private int _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > _buffer.Length - _written) throw new InvalidOperationException("advanced past the end of the buffer");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) { Ensure(sizeHint); return _buffer.AsMemory(_written); }

    public Span<byte> GetSpan(int sizeHint = 0) { Ensure(sizeHint); return _buffer.AsSpan(_written); }

    private void Ensure(int sizeHint)
    {
        int need = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= need) return;
        long size = Math.Max((long)_buffer.Length * 2, (long)_written + need);
        if (size > Array.MaxLength) size = Math.Max((long)_written + need, Array.MaxLength);
        var grown = ArrayPool<byte>.Shared.Rent((int)size);
        _buffer.AsSpan(0, _written).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }

    public void Dispose()
    {
        var b = Interlocked.Exchange(ref _buffer, []);
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
        _written = 0;
    }
}
