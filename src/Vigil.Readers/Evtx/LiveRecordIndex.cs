using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Vigil.IO;

namespace Vigil.Readers.Evtx;

/// <summary>
/// The record-id ranges that each chunk of a file holds as live records, read from the chunk headers
/// (first/last event record identifier at offsets 24 and 32) of chunks whose header checksum is sound.
/// Slack space of one chunk often holds stale copies of records that live on in another chunk; a
/// recovered record whose id lies in another chunk's live range is such a copy and is not emitted twice.
/// Chunks with a damaged header claim nothing, so records recovered for them are kept.
/// </summary>
internal sealed class LiveRecordIndex
{
    private readonly (ulong First, ulong Last, int Chunk)[] _ranges;

    private LiveRecordIndex((ulong, ulong, int)[] ranges) => _ranges = ranges;

    public static readonly LiveRecordIndex Empty = new([]);

    /// <summary>Reads the headers of all chunks (512 bytes each) once, when the file is partitioned.</summary>
    public static LiveRecordIndex Read(SafeFileHandle handle, long length)
    {
        var ranges = new List<(ulong, ulong, int)>();
        Span<byte> header = stackalloc byte[EvtxChunkDecoder.ChunkHeaderSize];
        int index = 0;
        for (long offset = EvtxFormat.FileHeaderSize; offset + header.Length <= length; offset += EvtxFormat.ChunkSize, index++)
        {
            if (FileReads.ReadFully(handle, header, offset) < header.Length) break;
            if (!header[..8].SequenceEqual("ElfChnk\0"u8)) continue;
            ulong first = BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(24, 8));
            ulong last = BinaryPrimitives.ReadUInt64LittleEndian(header.Slice(32, 8));
            if (first == 0 || last < first) continue;
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(124, 4));
            if (stored != Crc32.Compute(header[..120], header.Slice(128, 384))) continue;
            ranges.Add((first, last, index));
        }
        return ranges.Count == 0 ? Empty : new LiveRecordIndex(ranges.ToArray());
    }

    /// <summary>True when a chunk other than <paramref name="chunk"/> holds record <paramref name="id"/> as live.</summary>
    public bool IsLiveElsewhere(ulong id, int chunk)
    {
        foreach (var (first, last, c) in _ranges)
            if (c != chunk && id >= first && id <= last) return true;
        return false;
    }
}
