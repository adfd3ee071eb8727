using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Vigil.Rules.Parsing;

namespace Vigil.Rules.Caching;

/// <summary>What the rule cache did during one load (for tests, benchmarks and <c>--verbose</c>-style reporting).</summary>
public sealed record RuleCacheStats(string Path, int Hits, int Misses, bool Written);

/// <summary>The SHA-256 of a rule file's bytes: the cache key. Exact: an edited file never matches its old entry.</summary>
internal readonly record struct ContentKey(ulong A, ulong B, ulong C, ulong D)
{
    public const int Size = 32;

    public static ContentKey Of(ReadOnlySpan<byte> content)
    {
        Span<byte> h = stackalloc byte[Size];
        SHA256.HashData(content, h);
        return From(h);
    }

    public static ContentKey From(ReadOnlySpan<byte> h) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(h[16..]), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]));

    public void WriteTo(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, A); BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], B);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], C); BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], D);
    }
}

/// <summary>
/// Cache of the parse stage (YAML → <see cref="ParsedFile"/>), which is most of the cost of loading a large
/// collection (YamlDotNet's scanner). One file, <c>rules.bin</c> in the cache folder, maps the SHA-256 of a rule
/// file's bytes to its encoded ParsedFile (<see cref="ParsedFileCodec"/>).
///
/// Invalidation is exact: the key is the whole content; the file carries a stamp of the code that parsed
/// (layout version + module version ids of Vigil.Rules, Vigil.Core and YamlDotNet, which change with every build
/// that changes them), and a file written by another build is ignored as a whole. Compilation is not cached: it
/// depends on mappings, placeholders and filters, and is redone on every load.
///
/// Layout: magic "VIGILRC1", stamp (32), entry count (int32), then per entry key (32) + length (int32), then the
/// entries' bytes in that order, then SHA-256 of everything before it (32). A file that is truncated, altered,
/// from another build or unreadable is ignored (everything is parsed and the file rewritten); a folder that cannot
/// be written just means no cache. Files whose parse reported errors are never stored, so their errors are always
/// produced by the parser itself.
///
/// The cache is trusted like the rule files themselves (the checksum detects damage, not tampering): keep it in a
/// folder only its user can write, as the default locations are.
///
/// Writes are atomic (temporary file in the same folder, then rename); concurrent loads may overwrite each other's
/// file, never corrupt it. The file keeps this load's entries first, then entries of earlier loads (other rule
/// folders) up to <see cref="MaxEntries"/>.
/// </summary>
internal sealed class RuleCache
{
    public const string FileName = "rules.bin";
    public const int MaxEntries = 20_000;
    private const long MaxFileBytes = 256L << 20;
    private static readonly byte[] Magic = "VIGILRC1"u8.ToArray();
    private const int HeaderSize = 8 + 32 + 4;
    private const int DirEntrySize = ContentKey.Size + 4;

    private static readonly byte[] CodeStamp = ComputeStamp();

    /// <summary>The stamp of the code that parses (see the class summary): part of <see cref="RuleSet.Fingerprint"/>.</summary>
    internal static ReadOnlySpan<byte> Stamp => CodeStamp;

    private readonly string _dir;
    private readonly byte[]? _data;
    private readonly Dictionary<ContentKey, (int Offset, int Length)> _entries = new();
    private readonly List<ContentKey> _order = [];   // entries in file order, for carrying them over on rewrite
    private int _hits, _misses, _failed;

    private RuleCache(string dir, byte[]? data) { _dir = dir; _data = data; }

    public string FilePath => System.IO.Path.Combine(_dir, FileName);

    /// <summary>Opens the cache in <paramref name="dir"/>. Never throws: an unusable file gives an empty cache.</summary>
    public static RuleCache Open(string dir)
    {
        byte[]? data = null;
        try
        {
            // Far beyond any real collection (the full SigmaHQ set is ~4 MB): not ours, or not worth reading.
            var info = new FileInfo(System.IO.Path.Combine(dir, FileName));
            if (info.Exists && info.Length <= MaxFileBytes) data = File.ReadAllBytes(info.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException) { }
        var cache = new RuleCache(dir, data);
        if (data != null && !cache.Index(data))
        {
            cache._entries.Clear();
            cache._order.Clear();
        }
        return cache;
    }

    /// <summary>Checks magic, stamp, checksum and directory; fills the index. False: ignore the file.</summary>
    private bool Index(byte[] data)
    {
        if (data.Length < HeaderSize + 32) return false;
        var span = data.AsSpan();
        if (!span[..8].SequenceEqual(Magic) || !span.Slice(8, 32).SequenceEqual(CodeStamp)) return false;
        Span<byte> sum = stackalloc byte[32];
        SHA256.HashData(span[..^32], sum);
        if (!sum.SequenceEqual(span[^32..])) return false;
        int count = BinaryPrimitives.ReadInt32LittleEndian(span[40..]);
        long dirEnd = HeaderSize + (long)count * DirEntrySize;
        if (count < 0 || dirEnd > data.Length - 32) return false;
        long offset = dirEnd;
        for (int i = 0; i < count; i++)
        {
            var e = span.Slice(HeaderSize + i * DirEntrySize, DirEntrySize);
            var key = ContentKey.From(e);
            int length = BinaryPrimitives.ReadInt32LittleEndian(e[ContentKey.Size..]);
            if (length < 0 || offset + length > data.Length - 32) return false;
            if (_entries.TryAdd(key, ((int)offset, length))) _order.Add(key);
            offset += length;
        }
        return offset == data.Length - 32;
    }

    /// <summary>The cached parse of the file with this content, or null (a miss: parse it). Thread-safe.</summary>
    public ParsedFile? TryGet(ContentKey key, string path)
    {
        if (_data == null || !_entries.TryGetValue(key, out var at)) { Interlocked.Increment(ref _misses); return null; }
        try
        {
            var parsed = ParsedFileCodec.Read(_data, at.Offset, at.Length, path);
            Interlocked.Increment(ref _hits);
            return parsed;
        }
        catch (Exception ex) when (ex is EndOfStreamException or CacheFormatException or IOException or FormatException
                                      or ArgumentException or OverflowException or InvalidOperationException)
        {
            // The checksum matched, so this would be a codec bug; still never a wrong rule: parse the file.
            Interlocked.Increment(ref _failed);
            Interlocked.Increment(ref _misses);
            return null;
        }
    }

    /// <summary>
    /// Writes the cache for this load when it learnt something (a miss, or an entry that failed to decode):
    /// <paramref name="used"/> are this load's files in order, each with its key and, for a newly parsed file, its
    /// encoded entry (null for a hit or a file not to cache). Returns whether the file was written; failures are ignored.
    /// </summary>
    public RuleCacheStats Save(IReadOnlyList<(ContentKey Key, byte[]? NewEntry)> used)
    {
        bool written = false;
        if (used.Any(u => u.NewEntry != null) || _failed > 0)
        {
            try { written = Write(used); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException) { }
        }
        return new RuleCacheStats(FilePath, _hits, _misses, written);
    }

    private bool Write(IReadOnlyList<(ContentKey Key, byte[]? NewEntry)> used)
    {
        // This load's entries first (new ones, and hits copied as they are), then older entries for other files.
        var keys = new List<ContentKey>();
        var payload = new List<ArraySegment<byte>>();
        var seen = new HashSet<ContentKey>();
        foreach (var (key, entry) in used)
        {
            if (!seen.Add(key)) continue;
            if (entry != null) { keys.Add(key); payload.Add(entry); }
            else if (_entries.TryGetValue(key, out var at)) { keys.Add(key); payload.Add(new ArraySegment<byte>(_data!, at.Offset, at.Length)); }
        }
        foreach (var key in _order)
        {
            if (keys.Count >= MaxEntries) break;
            if (!seen.Add(key)) continue;
            var at = _entries[key];
            keys.Add(key); payload.Add(new ArraySegment<byte>(_data!, at.Offset, at.Length));
        }
        if (keys.Count == 0) return false;

        CacheFiles.WriteAtomic(FilePath, fs =>
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Put(ReadOnlySpan<byte> b) { fs.Write(b); sha.AppendData(b); }
            var header = new byte[HeaderSize];
            Magic.CopyTo(header, 0);
            CodeStamp.CopyTo(header, 8);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(40), keys.Count);
            Put(header);
            var dir = new byte[keys.Count * DirEntrySize];
            for (int i = 0; i < keys.Count; i++)
            {
                var e = dir.AsSpan(i * DirEntrySize, DirEntrySize);
                keys[i].WriteTo(e);
                BinaryPrimitives.WriteInt32LittleEndian(e[ContentKey.Size..], payload[i].Count);
            }
            Put(dir);
            foreach (var p in payload) Put(p);
            fs.Write(sha.GetHashAndReset());
        });
        return true;
    }

    /// <summary>
    /// The folder the CLI uses: <c>$VIGIL_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/vigil</c>, else <c>~/.cache/vigil</c>;
    /// null (no cache) when <c>VIGIL_NO_RULE_CACHE</c> is set to anything but empty or 0, or no home folder is known.
    /// </summary>
    public static string? DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("VIGIL_NO_RULE_CACHE") is { Length: > 0 } off && off != "0") return null;
        if (Environment.GetEnvironmentVariable("VIGIL_CACHE_DIR") is { Length: > 0 } dir) return dir;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg))
            return System.IO.Path.Combine(xdg, "vigil");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 0 ? System.IO.Path.Combine(home, ".cache", "vigil") : null;
    }

    /// <summary>Layout version and the module version ids of the code that parses: any rebuild of the parser, the
    /// condition parser, the core types or YamlDotNet gives another stamp, so its entries are never reused; so does
    /// another .NET runtime (number parsing, casing and regexes come from it).</summary>
    private static byte[] ComputeStamp() => CacheFiles.Stamp(ParsedFileCodec.LayoutVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
        typeof(RuleCache).Assembly, typeof(Vigil.Diagnostics.ReadError).Assembly, typeof(YamlDotNet.Core.Parser).Assembly,
        typeof(object).Assembly, typeof(System.Text.RegularExpressions.Regex).Assembly);
}
