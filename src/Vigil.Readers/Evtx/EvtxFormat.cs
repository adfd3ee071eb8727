using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.IO;

namespace Vigil.Readers.Evtx;

/// <summary>
/// Windows XML Event Log (.evtx). A 4096-byte file header followed by independent 64 KiB chunks; each chunk
/// is one partition. Chunks are enumerated by file size, not by the header's chunk count, which can be stale
/// (a log copied while in use) or damaged; a final partial chunk (truncated file) is still read.
/// Nothing holds a whole file: each partition reads its chunk into a pooled 64 KiB buffer when decoded.
/// </summary>
public sealed class EvtxFormat : ILogFormat
{
    public const int FileHeaderSize = 4096;
    public const int ChunkSize = EvtxChunkDecoder.ChunkSize;
    private static ReadOnlySpan<byte> FileMagic => "ElfFile\0"u8;

    public string Name => "evtx";

    public bool Recognize(ReadOnlySpan<byte> head, string path) => head.StartsWith(FileMagic);

    public IEnumerable<IEventPartition> Partition(string path, IDiagnostics diagnostics)
    {
        long length;
        byte[] header = new byte[128];
        int n;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = RandomAccess.GetLength(handle);
            n = FileReads.ReadFully(handle, header, 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Report(new ReadError(path, $"cannot open: {ex.Message}"));
            yield break;
        }

        if (length == 0)
        {
            diagnostics.Report(new ReadError(path, "file is empty", 0));
            yield break;
        }
        if (n < 8 || !header.AsSpan(0, 8).SequenceEqual(FileMagic))
        {
            diagnostics.Report(new ReadError(path, $"not an EVTX file: signature {Convert.ToHexString(header, 0, Math.Min(n, 8))} is not ElfFile\\0", 0));
            yield break;
        }
        if (n < 128)
        {
            diagnostics.Report(new ReadError(path, $"EVTX file header cut off: {length} bytes, the header alone needs {FileHeaderSize}", n));
            yield break;
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(124, 4));
        uint calc = Crc32.Compute(header.AsSpan(0, 120));
        if (stored != calc)
            diagnostics.Report(new ReadError(path, $"file header checksum mismatch (stored 0x{stored:x8}, computed 0x{calc:x8}); reading chunks anyway", 124));
        int declaredChunks = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(42, 2));

        if (length <= FileHeaderSize)
        {
            diagnostics.Report(new ReadError(path, length < FileHeaderSize
                ? $"EVTX file cut off inside its {FileHeaderSize}-byte header ({length} bytes); no chunks"
                : "EVTX file has a header but no chunks", length));
            yield break;
        }
        long body = length - FileHeaderSize;
        long chunks = (body + ChunkSize - 1) / ChunkSize;
        if (declaredChunks > chunks)
            diagnostics.Report(new ReadError(path, $"file header declares {declaredChunks} chunks but the file holds only {chunks} (truncated copy?)", length));
        if (chunks > int.MaxValue) yield break;

        LiveRecordIndex live;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            live = LiveRecordIndex.Read(handle, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Report(new ReadError(path, $"cannot read chunk headers: {ex.Message}", FileHeaderSize));
            yield break;
        }

        var file = new SharedFileHandle(path, (int)chunks);
        for (long i = 0; i < chunks; i++)
        {
            long offset = FileHeaderSize + i * ChunkSize;
            int len = (int)Math.Min(ChunkSize, length - offset);
            yield return new EvtxChunkPartition(file, (int)i, offset, len, live);
        }
    }
}

/// <summary>
/// One open handle shared by the partitions of a file (opening the file per 64 KiB chunk cost ~10% of decode time).
/// Opened on first use, closed when no partition is reading and every partition has been read once; a later read
/// (e.g. a second pass) reopens it. Positional reads (RandomAccess) make concurrent use from several threads safe.
/// If a consumer abandons the file half-read, the handle is released by its finalizer.
/// </summary>
internal sealed class SharedFileHandle(string path, int partitions)
{
    private readonly Lock _gate = new();
    private SafeFileHandle? _handle;
    private int _users;
    private int _reads;

    public string Path => path;

    public SafeFileHandle Acquire()
    {
        lock (_gate)
        {
            _handle ??= File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            _users++;
            return _handle;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            _users--;
            _reads++;
            if (_users == 0 && _reads >= partitions)
            {
                _handle?.Dispose();
                _handle = null;
                _reads = 0;
            }
        }
    }
}

/// <summary>One 64 KiB chunk of an EVTX file (the last one may be shorter when the file is truncated).</summary>
internal sealed class EvtxChunkPartition(SharedFileHandle file, int index, long offset, int length, LiveRecordIndex live) : IEventPartition
{
    public string Source => file.Path;
    public long Ordinal => index;
    public long FileOffset => offset;
    public int Length => length;
    public long ByteLength => length;

    public void Read(Event scratch, Action<Event> onEvent, IDiagnostics diagnostics)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(EvtxChunkDecoder.ChunkSize);
        try
        {
            int n;
            SafeFileHandle handle;
            try
            {
                handle = file.Acquire();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics.Report(new ReadError(Source, $"cannot open: {ex.Message}", offset, Chunk: index));
                return;
            }
            try
            {
                n = FileReads.ReadFully(handle, buffer.AsSpan(0, length), offset);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                diagnostics.Report(new ReadError(Source, $"cannot read chunk: {ex.Message}", offset, Chunk: index));
                return;
            }
            finally
            {
                file.Release();
            }
            // A short read (truncated file) is reported by the decoder, which knows which records are missing.
            var decoder = EvtxChunkDecoder.Rent();
            try
            {
                decoder.DecodeChunk(buffer, n, Source, offset, index, scratch, onEvent, diagnostics, live);
            }
            finally
            {
                decoder.Return();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
