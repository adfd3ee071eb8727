using System.Text;
using System.Text.Json;
using Vigil.Diagnostics;

namespace Vigil.Readers.Json;

/// <summary>
/// JSON logs: one object per line (JSON lines / NDJSON), a top-level array of objects, or objects
/// written one after another over several lines; any of them optionally gzip-compressed.
/// JSON lines are cut into blocks at newlines, so blocks decode in parallel and a broken line costs
/// only that line. Arrays and multi-line objects are streamed with Utf8JsonReader.
/// </summary>
public sealed class JsonFormat : ILogFormat
{
    public const int DefaultBlockSize = 2 << 20;
    /// <summary>The longest event read (a line, or an element of an array or of CloudTrail's Records): a longer one is
    /// reported and skipped, without being held. No log writes such events (CloudTrail's are at most 256 KB); a run of
    /// zero bytes left by a crash, hundreds of MB without a newline, would otherwise be held whole (1.7 GB for 600 MB).</summary>
    public const int DefaultMaxEventBytes = 16 << 20;
    private const int SniffLength = 64 << 10;

    private readonly int _blockSize;
    private readonly int _maxEventBytes;

    public JsonFormat() : this(DefaultBlockSize) { }

    /// <summary>A reader cutting blocks of about <paramref name="blockSize"/> bytes (tests use tiny blocks
    /// to check that block boundaries do not change the result), skipping events longer than
    /// <paramref name="maxEventBytes"/> (at least the block size).</summary>
    public JsonFormat(int blockSize, int maxEventBytes = DefaultMaxEventBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEventBytes, blockSize);
        _blockSize = blockSize;
        _maxEventBytes = maxEventBytes;
    }

    public string Name => "json";

    /// <summary>A byte count as an error message names it.</summary>
    internal static string Size(long bytes) => bytes % (1 << 20) == 0 ? $"{bytes >> 20} MB" : $"{bytes:N0} bytes";

    public bool Recognize(ReadOnlySpan<byte> head, string path)
    {
        if (head.Length >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8)
        {
            Span<byte> inflated = new byte[Math.Max(head.Length, 4096)];
            int n = JsonInput.InflateHead(head, inflated);
            bool decided = false;
            if (n > 0 && LooksLikeJsonLines(inflated[..n], out decided)) return true;
            // Content decides when it could be seen (a gzipped EVTX is not ours, whatever its name);
            // the name only when nothing usable came out of the head.
            return !decided && path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
        }
        if (JsonInput.Utf16Encoding(head) is { } utf16)
        {
            // Judge the text after the BOM, transcoded; an odd trailing byte of the head is ignored.
            var text = head[2..(head.Length & ~1)];
            return LooksLikeJsonLines(Encoding.UTF8.GetBytes(utf16.GetString(text)), out _);
        }
        if (LooksLikeJsonLines(head, out bool known)) return true;
        // Only whitespace seen: the name decides. An empty file is nobody's (InputFiles says "file is empty").
        return !known && head.Length > 0 && HasJsonExtension(path);
    }

    private static bool HasJsonExtension(string path) =>
        path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    /// <summary>The most lines at the start of a JSON-lines file that may be damaged (see <see cref="LooksLikeJsonLines"/>).</summary>
    internal const int DamagedFirstLines = 3;

    /// <summary>
    /// <see cref="LooksLikeJson"/>, or JSON lines whose first lines are damaged: a log cut at its start (a rotated or
    /// carved file begins in the middle of an event) or an export that put a header line first. Such a head is ours
    /// when, after at most <see cref="DamagedFirstLines"/> lines (blank ones aside), every line it holds is a JSON object:
    /// the complete ones parse whole, the last may be cut by the head's end. The reader then reports the damaged lines by
    /// number and reads the rest, as it does for a damaged line further down.
    /// </summary>
    internal static bool LooksLikeJsonLines(ReadOnlySpan<byte> head, out bool decided)
    {
        if (LooksLikeJson(head, out decided)) return true;
        if (!decided) return false;
        var rest = head;
        int skipped = 0;
        while (true)
        {
            int nl = rest.IndexOf((byte)'\n');
            if (nl < 0) return false;
            bool blank = rest[..nl].IndexOfAnyExcept(" \t\r"u8) < 0;
            if (!blank && ++skipped > DamagedFirstLines) return false;
            rest = rest[(nl + 1)..];
            if (AllLinesAreObjects(rest)) return true;
        }
    }

    /// <summary>True when <paramref name="text"/> holds at least one line and each is a JSON object (blank lines aside):
    /// a complete line must parse whole; the last line, if the text ends inside it, only needs a good start.</summary>
    private static bool AllLinesAreObjects(ReadOnlySpan<byte> text)
    {
        bool any = false;
        while (!text.IsEmpty)
        {
            int nl = text.IndexOf((byte)'\n');
            var line = nl < 0 ? text : text[..nl];
            text = nl < 0 ? [] : text[(nl + 1)..];
            int i = 0;
            while (i < line.Length && JsonLinesPartition.IsSpace(line[i])) i++;
            if (i == line.Length) continue;
            if (line[i] != '{') return false;
            if (nl < 0) return LooksLikeJson(line[i..], out _);
            if (!IsWholeObject(line[i..])) return false;
            any = true;
        }
        return any;
    }

    private static bool IsWholeObject(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            reader.Skip();
            while (reader.Read()) { }   // trailing whitespace only; anything else throws
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when the bytes start (after a UTF-8 BOM and whitespace) with '{' or '[' and the first tokens
    /// are valid JSON. <paramref name="decided"/> is false when the head held only whitespace, so the
    /// content could not tell.
    /// </summary>
    internal static bool LooksLikeJson(ReadOnlySpan<byte> head, out bool decided)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) head = head[3..];
        int i = 0;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        decided = i < head.Length;
        if (!decided || (head[i] != '{' && head[i] != '[')) return false;
        // Random bytes may start with '{'; ask the JSON reader to accept the first tokens as well.
        // A later broken line must not make a whole file unrecognised, so a few good tokens suffice.
        var reader = new Utf8JsonReader(head[i..], isFinalBlock: false,
            new JsonReaderState(new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 256 }));
        int tokens = 0;
        try
        {
            while (reader.Read())
                if (++tokens >= 8) return true;
            return true;   // the head ended (or the value ended) without an error
        }
        catch (JsonException)
        {
            return tokens >= 3 && reader.BytesConsumed > 2;
        }
    }

    public IEnumerable<IEventPartition> Partition(string path, IDiagnostics diagnostics)
    {
        var input = JsonInput.Open(path, diagnostics);
        if (input is null) yield break;
        JsonLineCutter? cutter = null;
        JsonValueScanner? scanner = null;
        try
        {
            var head = input.Peek(SniffLength);
            if (head.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) { input.Skip(3); head = head[3..]; }
            if (UsesValueStream(head))
            {
                scanner = new JsonValueScanner(input, _blockSize, diagnostics, IsRecordsWrapper(head), _maxEventBytes);
                while (scanner.Next() is { } p) yield return p;
            }
            else
            {
                cutter = new JsonLineCutter(input, _blockSize, diagnostics, _maxEventBytes);
                while (cutter.Next() is { } p) yield return p;
            }
        }
        finally
        {
            cutter?.Dispose();
            scanner?.Dispose();
            input.Dispose();
        }
    }

    /// <summary>
    /// AWS CloudTrail delivers its logs as <c>{"Records":[{...},{...}]}</c> (one line, usually gzipped), and Azure's
    /// exports to storage (activity, sign-in and resource logs) as <c>{"records":[...]}</c>: the records are the events,
    /// not the wrapper. True when the data opens with that property (either spelling).
    /// </summary>
    internal static bool IsRecordsWrapper(ReadOnlySpan<byte> head)
    {
        int i = 0;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        if (i == head.Length || head[i] != '{') return false;
        i++;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        if (!head[i..].StartsWith("\"Records\""u8) && !head[i..].StartsWith("\"records\""u8)) return false;
        i += "\"Records\""u8.Length;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        if (i == head.Length || head[i] != ':') return false;
        i++;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        return i < head.Length && head[i] == '[';
    }

    /// <summary>
    /// JSON lines unless the data starts with '[' (an array) or its first line is a lone '{' (pretty-printed
    /// objects). A JSON-lines file with a damaged first line still goes line by line, so only that line is lost.
    /// </summary>
    internal static bool UsesValueStream(ReadOnlySpan<byte> head)
    {
        int i = 0;
        while (i < head.Length && JsonLinesPartition.IsSpace(head[i])) i++;
        if (i == head.Length) return false;
        if (head[i] == '[') return true;
        if (head[i] != '{') return false;
        if (IsRecordsWrapper(head)) return true;
        int j = i + 1;
        while (j < head.Length && head[j] is (byte)' ' or (byte)'\t' or (byte)'\r') j++;
        return j < head.Length && head[j] == '\n';
    }
}
