namespace Vigil.Readers.Evtx;

/// <summary>CRC-32 as in RFC 1952 (initial value 0), which EVTX stores for the file header, the chunk header and
/// the chunk's record area. Delegates to System.IO.Hashing, whose vectorised implementation is ~10x faster than a
/// table-driven loop; checksumming every chunk would otherwise cost a third of the parse budget.</summary>
internal static class Crc32
{
    public static uint Compute(ReadOnlySpan<byte> data) => System.IO.Hashing.Crc32.HashToUInt32(data);

    /// <summary>CRC of two ranges as if concatenated (chunk header: bytes 0..120 and 128..512).</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        Span<byte> joined = stackalloc byte[first.Length + second.Length <= 1024 ? first.Length + second.Length : 0];
        if (joined.Length == 0)
        {
            var crc = new System.IO.Hashing.Crc32();
            crc.Append(first);
            crc.Append(second);
            return crc.GetCurrentHashAsUInt32();
        }
        first.CopyTo(joined);
        second.CopyTo(joined[first.Length..]);
        return System.IO.Hashing.Crc32.HashToUInt32(joined);
    }
}
