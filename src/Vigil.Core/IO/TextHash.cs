using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Vigil.IO;

/// <summary>The 128-bit hashes (XxHash128) that the campaign build's sorted indexes and the correlation groups key texts by: a wrong answer from a lookup
/// would need two keys with the same hash. One place, so that every index hashes a text the same way. Also the 64-bit
/// hash (XxHash3) of tables that confirm every hit by comparing texts (value memos, spilled text tables, mention keys).</summary>
public static class TextHash
{
    /// <summary>The 64-bit hash of a text's UTF-16 code units, for lookups that confirm a hit by its text.</summary>
    public static ulong Of64(ReadOnlySpan<char> text) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text));

    /// <summary>The hash of a text's UTF-16 code units.</summary>
    public static UInt128 Of(ReadOnlySpan<char> text) => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(text));

    /// <summary>The hash of a pair of texts: the first's length, then both texts' code units (no separator character is
    /// assumed absent from either).</summary>
    public static UInt128 Of(string first, string second)
    {
        var h = new XxHash128();
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, first.Length);
        h.Append(length);
        h.Append(MemoryMarshal.AsBytes(first.AsSpan()));
        h.Append(MemoryMarshal.AsBytes(second.AsSpan()));
        return h.GetCurrentHashAsUInt128();
    }

    /// <summary>The hash of a tuple of texts: each text's length, then its code units, so no two tuples share their input.</summary>
    public static UInt128 Of(params ReadOnlySpan<string> parts)
    {
        var h = new XxHash128();
        Span<byte> length = stackalloc byte[4];
        foreach (var part in parts)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, part.Length);
            h.Append(length);
            h.Append(MemoryMarshal.AsBytes(part.AsSpan()));
        }
        return h.GetCurrentHashAsUInt128();
    }
}
