using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Vigil.Readers.Evtx;

/// <summary>A structural problem in EVTX data. Thrown by <see cref="EvtxCursor"/> and the Binary XML
/// decoder, caught per record (or per chunk) and turned into a <see cref="Vigil.Diagnostics.ReadError"/>.
/// <see cref="Offset"/> is the absolute file offset of the failed read.</summary>
internal sealed class EvtxFormatException(string message, long offset) : Exception(message)
{
    public long Offset { get; } = offset;
}

/// <summary>
/// The single bounds-checked reader through which every binary read of a chunk goes.
/// Positions are relative to the start of the chunk (that is how EVTX offsets are expressed);
/// <see cref="Limit"/> is the end of the current record (or chunk), and <see cref="Base"/> the file
/// offset of the chunk so that errors can name absolute file offsets.
/// Every read names what it reads, so an error says e.g.
/// "substitution descriptor at offset 0x1a2c0: needs 4 bytes, 2 available before end of record at 0x1a2c2".
/// </summary>
internal ref struct EvtxCursor
{
    private readonly ReadOnlySpan<byte> _data;
    public int Position;
    public readonly int Limit;
    public readonly long Base;

    public EvtxCursor(ReadOnlySpan<byte> chunk, int position, int limit, long fileBase)
    {
        _data = chunk;
        Position = position;
        Limit = Math.Min(limit, chunk.Length);
        Base = fileBase;
    }

    public readonly int Remaining => Limit - Position;
    public readonly bool AtEnd => Position >= Limit;
    public readonly ReadOnlySpan<byte> Data => _data;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly EvtxFormatException Short(string what, int needed) =>
        new($"{what} at offset 0x{Base + Position:x}: needs {needed} bytes, {Math.Max(0, Limit - Position)} available before 0x{Base + Limit:x}",
            Base + Position);

    public readonly EvtxFormatException Error(string message) => new($"{message} at offset 0x{Base + Position:x}", Base + Position);
    public readonly EvtxFormatException ErrorAt(string message, int position) => new($"{message} at offset 0x{Base + position:x}", Base + position);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Need(int n, string what)
    {
        if ((uint)n > (uint)(Limit - Position)) throw Short(what, n);
    }

    public byte PeekByte(string what)
    {
        Need(1, what);
        return _data[Position];
    }

    public byte ReadByte(string what)
    {
        Need(1, what);
        return _data[Position++];
    }

    public ushort ReadUInt16(string what)
    {
        Need(2, what);
        var v = BinaryPrimitives.ReadUInt16LittleEndian(_data.Slice(Position, 2));
        Position += 2;
        return v;
    }

    public uint ReadUInt32(string what)
    {
        Need(4, what);
        var v = BinaryPrimitives.ReadUInt32LittleEndian(_data.Slice(Position, 4));
        Position += 4;
        return v;
    }

    public ulong ReadUInt64(string what)
    {
        Need(8, what);
        var v = BinaryPrimitives.ReadUInt64LittleEndian(_data.Slice(Position, 8));
        Position += 8;
        return v;
    }

    public void Skip(int n, string what)
    {
        if (n < 0) throw Error($"negative length {n} for {what}");
        Need(n, what);
        Position += n;
    }

    /// <summary>Bounds-checked random access (name and template lookups point elsewhere in the chunk).
    /// Checks against the whole chunk, not <see cref="Limit"/>: names and templates may live in earlier records.</summary>
    public readonly ReadOnlySpan<byte> SliceAt(int position, int length, string what)
    {
        if (position < 0 || length < 0 || (long)position + length > _data.Length)
            throw new EvtxFormatException(
                $"{what} at chunk offset 0x{position:x} (file offset 0x{Base + position:x}): needs {length} bytes, chunk has {_data.Length}",
                Base + Math.Max(0, position));
        return _data.Slice(position, length);
    }
}
