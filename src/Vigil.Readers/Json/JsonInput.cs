using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Vigil.Diagnostics;

namespace Vigil.Readers.Json;

/// <summary>
/// The byte stream of one JSON input: the file itself, or its decompressed content when it is gzip.
/// Reads never throw: a read failure or a damaged/truncated gzip stream is reported once (naming the
/// offset in the decompressed stream) and then looks like the end of the data, so everything decoded
/// before it is kept. <see cref="Position"/> counts bytes handed out, i.e. offsets in the decompressed stream.
/// </summary>
internal sealed class JsonInput : IDisposable
{
    private readonly Stream _stream;
    private readonly FileStream _file;
    private readonly IDiagnostics _diagnostics;
    private readonly uint? _gzipTrailerSize;   // ISIZE of the gzip trailer (last 4 bytes), null for plain files
    private readonly long _fileLength;
    private byte[] _peek = [];
    private int _peekStart, _peekEnd;
    private bool _ended;

    public string Path { get; }
    public bool IsGzip { get; }
    /// <summary>Offset (in the decompressed stream) of the next byte <see cref="Read"/> returns.</summary>
    public long Position { get; private set; }
    /// <summary>True when the data ended because of an error (already reported).</summary>
    public bool Failed { get; private set; }

    private JsonInput(string path, FileStream file, Stream stream, bool gzip, uint? isize, long fileLength, IDiagnostics diagnostics)
    {
        Path = path; _file = file; _stream = stream; IsGzip = gzip; _gzipTrailerSize = isize; _fileLength = fileLength; _diagnostics = diagnostics;
    }

    /// <summary>Opens the file, sniffing gzip by its magic bytes. Reports and returns null when it cannot be opened.</summary>
    public static JsonInput? Open(string path, IDiagnostics diagnostics)
    {
        FileStream? fs = null;
        try
        {
            // Plain files are read in big blocks by the callers, so no FileStream buffer; gzip reads are small.
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            long length = fs.Length;
            Span<byte> magic = stackalloc byte[3];
            int m = RandomAccess.Read(fs.SafeFileHandle, magic, 0);
            if (m == 3 && magic[0] == 0x1f && magic[1] == 0x8b && magic[2] == 8)
            {
                // The gzip trailer's ISIZE (decompressed length mod 2^32) lets us notice a truncated file:
                // GZipStream itself returns end-of-stream quietly when the compressed data stops early.
                uint? isize = null;
                if (length >= 18)
                {
                    Span<byte> tail = stackalloc byte[4];
                    if (RandomAccess.Read(fs.SafeFileHandle, tail, length - 4) == 4) isize = BinaryPrimitives.ReadUInt32LittleEndian(tail);
                }
                var buffered = new BufferedStream(fs, 1 << 16);
                var gz = new GZipStream(buffered, CompressionMode.Decompress, leaveOpen: false);
                return new JsonInput(path, fs, gz, true, isize, length, diagnostics);
            }
            if (m >= 2 && Utf16Encoding(magic) is { } utf16)
            {
                // UTF-16 with a BOM (Windows PowerShell's Out-File writes it): transcode to UTF-8 on the fly.
                // Offsets then count bytes of the UTF-8 text, not of the file; line numbers are unaffected.
                fs.Position = 2;
                var transcoded = Encoding.CreateTranscodingStream(new BufferedStream(fs, 1 << 16), utf16, Encoding.UTF8, leaveOpen: false);
                return new JsonInput(path, fs, transcoded, false, null, length, diagnostics);
            }
            return new JsonInput(path, fs, fs, false, null, length, diagnostics);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            fs?.Dispose();
            diagnostics.Report(new ReadError(path, $"cannot open: {ex.Message}"));
            return null;
        }
    }

    /// <summary>The UTF-16 encoding named by a byte order mark at the start of <paramref name="head"/>, if any.</summary>
    public static Encoding? Utf16Encoding(ReadOnlySpan<byte> head) =>
        head.Length < 2 ? null
        : head[0] == 0xFF && head[1] == 0xFE ? Encoding.Unicode
        : head[0] == 0xFE && head[1] == 0xFF ? Encoding.BigEndianUnicode
        : null;

    /// <summary>Makes up to <paramref name="count"/> bytes available without consuming them.</summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        if (_peek.Length < count)
        {
            var grown = ArrayPool<byte>.Shared.Rent(count);
            _peek.AsSpan(_peekStart, _peekEnd - _peekStart).CopyTo(grown);
            if (_peek.Length > 0) ArrayPool<byte>.Shared.Return(_peek);
            _peekEnd -= _peekStart; _peekStart = 0; _peek = grown;
        }
        else if (_peekStart + count > _peek.Length)
        {
            _peek.AsSpan(_peekStart, _peekEnd - _peekStart).CopyTo(_peek);
            _peekEnd -= _peekStart; _peekStart = 0;
        }
        while (_peekEnd - _peekStart < count)
        {
            int n = ReadStream(_peek.AsSpan(_peekEnd, count - (_peekEnd - _peekStart)), Position + (_peekEnd - _peekStart));
            if (n == 0) break;
            _peekEnd += n;
        }
        return _peek.AsSpan(_peekStart, _peekEnd - _peekStart);
    }

    /// <summary>Consumes <paramref name="count"/> peeked bytes.</summary>
    public void Skip(int count)
    {
        if (count > _peekEnd - _peekStart) throw new ArgumentOutOfRangeException(nameof(count));
        _peekStart += count;
        Position += count;
    }

    /// <summary>Reads up to dest.Length bytes; 0 only at the end of the data (or after a reported error).</summary>
    public int Read(Span<byte> dest)
    {
        if (dest.IsEmpty) return 0;
        int buffered = _peekEnd - _peekStart;
        if (buffered > 0)
        {
            int n = Math.Min(buffered, dest.Length);
            _peek.AsSpan(_peekStart, n).CopyTo(dest);
            _peekStart += n;
            Position += n;
            return n;
        }
        int r = ReadStream(dest, Position);
        Position += r;
        return r;
    }

    /// <summary>Fills as much of <paramref name="dest"/> as the data allows; returns the count.</summary>
    public int ReadFull(Span<byte> dest)
    {
        int total = 0;
        while (total < dest.Length)
        {
            int n = Read(dest[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private int ReadStream(Span<byte> dest, long offset)
    {
        if (_ended) return 0;
        try
        {
            int n = _stream.Read(dest);
            if (n == 0)
            {
                _ended = true;
                if (IsGzip) CheckGzipEnd(offset);
            }
            return n;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            _ended = true;
            Failed = true;
            _diagnostics.Report(new ReadError(Path, IsGzip
                ? $"gzip data is damaged after {offset} decompressed bytes; events before it are kept: {ex.Message}"
                : $"read failed: {ex.Message}", Offset: offset));
            return 0;
        }
    }

    private void CheckGzipEnd(long decompressedLength)
    {
        // For a single-member gzip file ISIZE equals the decompressed length mod 2^32. A mismatch means the
        // compressed data stopped early (the usual case: a copy cut short). A multi-member file (cat a.gz b.gz)
        // also mismatches; it is reported the same way, although all its data was read.
        if (_gzipTrailerSize is uint isize && isize == unchecked((uint)decompressedLength)) return;
        Failed = true;
        _diagnostics.Report(new ReadError(Path,
            $"gzip stream is truncated: it ends after {decompressedLength} decompressed bytes " +
            $"({_fileLength} compressed bytes) without a matching trailer; events before that point are kept",
            Offset: decompressedLength));
    }

    /// <summary>Decompresses the start of a gzip file's head (for format sniffing). Returns the bytes obtained.</summary>
    public static int InflateHead(ReadOnlySpan<byte> gzipHead, Span<byte> dest)
    {
        var copy = ArrayPool<byte>.Shared.Rent(gzipHead.Length);
        int total = 0;
        try
        {
            gzipHead.CopyTo(copy);
            using var gz = new GZipStream(new MemoryStream(copy, 0, gzipHead.Length), CompressionMode.Decompress);
            while (total < dest.Length)
            {
                int n = gz.Read(dest[total..]);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // The head ends mid-stream, or is not deflate data: keep whatever came out before that.
            return total;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    public void Dispose()
    {
        if (_peek.Length > 0) ArrayPool<byte>.Shared.Return(_peek);
        _peek = [];
        _stream.Dispose();
        _file.Dispose();
    }
}
