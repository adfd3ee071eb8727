using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Text.Unicode;
using Vigil.Events;

namespace Vigil.Readers.Json;

/// <summary>
/// The fast path of <see cref="JsonEventDecoder"/>: a small strict JSON tokenizer for one object per call that
/// flattens exactly as the Utf8JsonReader path does (same fields, same order, same values, same raw container text),
/// in one pass over the bytes.
/// <list type="bullet">
/// <item>Strings: the closing quote is found with a vectorised search for quote, backslash or control character;
/// the runs between escapes are validated and transcoded from UTF-8 straight into the event's char buffer, and
/// escapes are decoded in place. Utf8JsonReader instead validates escaped strings byte by byte, then unescapes
/// them into a scratch buffer, then transcodes.</item>
/// <item>Keys: the events of one file repeat the same keys in the same order, so the decoder keeps the previous
/// event's dotted paths by position (<see cref="_predictedKeys"/>) and checks each key against its prediction with
/// one SequenceEqual before the hash lookup; when that misses (the file interleaves kinds of events with different
/// keys), against the key that followed the previous key last time (<see cref="_successorKeys"/>).</item>
/// <item>Numbers: plain integers of up to 18 digits are parsed here; any other number is handed to a
/// Utf8JsonReader over the number alone, so long/ulong/double/text choices stay the reader's.</item>
/// </list>
/// <para>
/// It never reports: whenever it meets something it does not handle (escaped keys, invalid UTF-8, lone surrogate
/// escapes, nesting deeper than <see cref="MaxFastDepth"/>) or anything invalid (syntax, control characters,
/// bad escapes or numbers, trailing bytes), it returns false and the caller decodes the value again with the
/// Utf8JsonReader path, which then delivers the event or reports the error exactly as before. So errors keep
/// their messages, and rare shapes keep their exact results, at the price of decoding such a line twice.
/// </para>
/// </summary>
internal sealed partial class JsonEventDecoder
{
    /// <summary>Deeper nesting is left to the reader path (which enforces MaxDepth 256): bounds recursion here.</summary>
    private const int MaxFastDepth = 64;

    /// <summary>Key positions remembered per event for prediction; keys after this many are looked up by hash.</summary>
    private const int MaxPredictedKeys = 1024;

    /// <summary>Bytes that end a run of plain string text: the closing quote, an escape, or a control character
    /// (JSON forbids raw control characters in strings).</summary>
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
         (byte)'"', (byte)'\\']);

    /// <summary>The char of each one-letter escape (<c>\" \\ \/ \b \f \n \r \t</c>) by its letter; 0 for the rest.</summary>
    private static readonly byte[] SingleEscapes = MakeSingleEscapes();

    private static byte[] MakeSingleEscapes()
    {
        var t = new byte[256];
        t['"'] = (byte)'"';
        t['\\'] = (byte)'\\';
        t['/'] = (byte)'/';
        t['b'] = (byte)'\b';
        t['f'] = (byte)'\f';
        t['n'] = (byte)'\n';
        t['r'] = (byte)'\r';
        t['t'] = (byte)'\t';
        return t;
    }

    /// <summary>Lines decoded again by the reader path since this decoder was created (a tuning and test aid).</summary>
    internal long FallbackCount;

    private byte[]?[] _predictedKeys = new byte[]?[64];   // by key position in the event: the dotted path seen last time
    private int[] _predictedIds = new int[64];
    private int _keyOrdinal;                               // position of the next key in the current event
    // By the previous key's field id + 1, SuccessorWays slots each: the dotted paths that followed it lately, most recent first.
    private byte[]?[] _successorKeys = new byte[]?[256 * SuccessorWays];
    private int[] _successorIds = new int[256 * SuccessorWays];
    private int _lastKeyId = -1;                           // field id of the current event's previous key (-1: none yet)
    private const int NoKey = -2;                          // _lastKeyId after an unlisted name: nothing follows it

    /// <summary>Decodes one JSON object into <paramref name="e"/>; false when the reader path must do it instead
    /// (the event and buffers may then hold partial results, which the caller clears).</summary>
    private bool TryDecodeFast(ReadOnlySpan<byte> src, Event e)
    {
        int p = 0;
        SkipSpace(src, ref p);
        if (p >= src.Length || src[p] != (byte)'{') return false;
        _keyOrdinal = 0;
        _lastKeyId = -1;
        if (!FastObject(src, ref p, e, 0, 1)) return false;
        SkipSpace(src, ref p);
        return p == src.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipSpace(ReadOnlySpan<byte> s, ref int p)
    {
        while ((uint)p < (uint)s.Length && s[p] <= (byte)' ')
        {
            byte b = s[p];
            if (b != (byte)' ' && b != (byte)'\n' && b != (byte)'\r' && b != (byte)'\t') return;
            p++;
        }
    }

    /// <summary><paramref name="p"/> is on the object's '{'; on success it is just past its '}'.</summary>
    private bool FastObject(ReadOnlySpan<byte> s, ref int p, Event e, int prefixLength, int depth)
    {
        p++;
        SkipSpace(s, ref p);
        if ((uint)p >= (uint)s.Length) return false;
        if (s[p] == (byte)'}') { p++; return true; }
        while (true)
        {
            if (s[p] != (byte)'"') return false;
            p++;
            int q = KeyEnd(s, p) - p;
            if (q < 0) return false;   // unterminated, or an escaped key (rare): reader path
            var name = s.Slice(p, q);
            p += q + 1;
            int length = prefixLength == 0 ? q : prefixLength + 1 + q;
            // The key predicted for this position is checked in place (prefix and name), so a hit copies nothing;
            // the path is built in _path only for a miss, or when the value is a container (its members need it).
            int k = _keyOrdinal++;
            var predicted = _predictedKeys;
            int id;
            bool built = false;
            // After the key at the same position in the previous event, the key that followed the previous key last
            // time: events of several kinds interleave in a file (process creations, network connections, logons...),
            // each kind with its own key order, which the position alone does not follow.
            int after = _lastKeyId + 1;
            int way;
            if (k < predicted.Length && KeyIs(predicted[k], name, length, prefixLength))
            {
                id = _predictedIds[k];
            }
            else if ((way = SuccessorWay(after, name, length, prefixLength)) >= 0)
            {
                id = TakeSuccessor(after, way, out var key);
                if (k < predicted.Length)
                {
                    predicted[k] = key;
                    _predictedIds[k] = id;
                }
            }
            else
            {
                BuildPath(prefixLength, name);
                built = true;
                id = PathIdMiss(k, length, e, out var stored);
                if (id == -1) return false;
                if (stored != null && (uint)after < (uint)MaxSuccessorKeys) LearnSuccessor(after, stored, id);
            }
            _lastKeyId = id >= 0 ? id : NoKey;   // after an unlisted name's token: no successor prediction
            SkipSpace(s, ref p);
            if ((uint)p >= (uint)s.Length || s[p] != (byte)':') return false;
            p++;
            SkipSpace(s, ref p);
            if ((uint)p >= (uint)s.Length) return false;
            if (!built && s[p] is (byte)'{' or (byte)'[') BuildPath(prefixLength, name);
            if (!FastValue(s, ref p, e, id, length, depth)) return false;
            SkipSpace(s, ref p);
            if ((uint)p >= (uint)s.Length) return false;
            byte c = s[p++];
            if (c == (byte)'}') return true;
            if (c != (byte)',') return false;
            SkipSpace(s, ref p);
            if ((uint)p >= (uint)s.Length) return false;
        }
    }

    /// <summary>Whether <paramref name="key"/> (a dotted path) is this key: <paramref name="name"/> after the prefix of
    /// <paramref name="prefixLength"/> bytes in <see cref="_path"/> (checked in place, nothing copied).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool KeyIs(byte[]? key, ReadOnlySpan<byte> name, int length, int prefixLength) =>
        key != null && key.Length == length && name.SequenceEqual(key.AsSpan(length - name.Length))
        && (prefixLength == 0 || (key[prefixLength] == (byte)'.' && key.AsSpan(0, prefixLength).SequenceEqual(_path.AsSpan(0, prefixLength))));

    /// <summary>Field ids that get a successor prediction (<see cref="_successorKeys"/>); keys after rarer ids are
    /// predicted by position only.</summary>
    private const int MaxSuccessorKeys = 1 << 16;

    /// <summary>Keys neither prediction knew, looked up by hash (tests check the predictions carry real files).</summary>
    internal long KeyLookups { get; private set; }

    /// <summary>Successors remembered per key (most recent first): two kinds of events that share their first keys part
    /// ways after the same key, and a recording interleaves several kinds. Decoding the OTRF recordings in file order,
    /// keys neither prediction knows: one successor 14.7 %, two 5.3 %, four 1.4 %, eight 0.6 % (position alone: ~35 %).</summary>
    private const int SuccessorWays = 4;

    /// <summary>Which of the successors of the key before (id + 1 = <paramref name="after"/>) is this key, or -1.</summary>
    private int SuccessorWay(int after, ReadOnlySpan<byte> name, int length, int prefixLength)
    {
        if (after < 0) return -1;
        int at = after * SuccessorWays;
        var keys = _successorKeys;
        if ((uint)(at + SuccessorWays) > (uint)keys.Length) return -1;
        for (int w = 0; w < SuccessorWays; w++)
            if (KeyIs(keys[at + w], name, length, prefixLength)) return w;
        return -1;
    }

    /// <summary>The id (and path) of successor <paramref name="way"/>, moved to the front of its key's successors.</summary>
    private int TakeSuccessor(int after, int way, out byte[] key)
    {
        int at = after * SuccessorWays;
        key = _successorKeys[at + way]!;
        int id = _successorIds[at + way];
        PutFirst(at, way, key, id);
        return id;
    }

    /// <summary>Remembers the dotted path <paramref name="stored"/> (field <paramref name="id"/>) as the most recent
    /// successor of the key whose id + 1 is <paramref name="after"/> (0: the event's first key); the oldest is dropped.</summary>
    private void LearnSuccessor(int after, byte[] stored, int id)
    {
        int at = after * SuccessorWays;
        if (at + SuccessorWays > _successorKeys.Length)
        {
            int n = Math.Min(MaxSuccessorKeys, Math.Max(after + 1, _successorKeys.Length / SuccessorWays * 2)) * SuccessorWays;
            Array.Resize(ref _successorKeys, n);
            Array.Resize(ref _successorIds, n);
        }
        PutFirst(at, SuccessorWays - 1, stored, id);
    }

    /// <summary>Puts (key, id) in the first slot at <paramref name="at"/>, moving the slots before <paramref name="from"/>
    /// one down (the one at <paramref name="from"/> is overwritten: the taken or the oldest successor).</summary>
    private void PutFirst(int at, int from, byte[] key, int id)
    {
        for (int w = from; w > 0; w--)
        {
            _successorKeys[at + w] = _successorKeys[at + w - 1];
            _successorIds[at + w] = _successorIds[at + w - 1];
        }
        _successorKeys[at] = key;
        _successorIds[at] = id;
    }

    /// <summary>Writes ".name" (or "name" at the top) after the prefix in <see cref="_path"/>.</summary>
    private void BuildPath(int prefixLength, ReadOnlySpan<byte> name)
    {
        int length = prefixLength;
        EnsurePath(length + 1 + name.Length);
        if (length > 0) _path[length++] = (byte)'.';
        name.CopyTo(_path.AsSpan(length));
    }

    /// <summary>Where the key starting at <paramref name="p"/> ends: the index of its closing quote, or -1 when a
    /// backslash comes first (an escaped key) or there is no quote.</summary>
    private static int KeyEnd(ReadOnlySpan<byte> s, int p)
    {
        if (Vector128.IsHardwareAccelerated)
        {
            while (p + 16 <= s.Length)
            {
                var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)p);
                uint mask = (Vector128.Equals(v, Vector128.Create((byte)'"')) | Vector128.Equals(v, Vector128.Create((byte)'\\')))
                    .ExtractMostSignificantBits();
                if (mask != 0)
                {
                    p += BitOperations.TrailingZeroCount(mask);
                    return s[p] == (byte)'"' ? p : -1;
                }
                p += 16;
            }
        }
        for (; (uint)p < (uint)s.Length; p++)
        {
            byte b = s[p];
            if (b == (byte)'"') return p;
            if (b == (byte)'\\') return -1;
        }
        return -1;
    }

    /// <summary>Field id of the dotted path in <c>_path[..length]</c> when the prediction for key position
    /// <paramref name="k"/> missed: the hash lookup, which then becomes the prediction. -1 for a new key that is not
    /// valid text (reader path); the token of its spelling declared in <paramref name="e"/> (at most -2) when the name
    /// table does not list it. <paramref name="stored"/>: the path's bytes as the lookup keeps them (null when it keeps
    /// none).</summary>
    private int PathIdMiss(int k, int length, Event e, out byte[]? stored)
    {
        KeyLookups++;
        var path = _path.AsSpan(0, length);
        if (!_pathLookup.TryGetValue(path, out stored, out int id))
        {
            // A new key: the reader rejects control characters in names, and invalid UTF-8 is left to it too, so
            // only validated names are added here (names the reader path added were accepted by it).
            if (path.IndexOfAnyInRange((byte)0, (byte)0x1F) >= 0 || !Utf8.IsValid(path)) return -1;
            int resolved = PathId(path, e);
            if (!_pathLookup.TryGetValue(path, out stored, out id)) return resolved;   // an unlisted name's token: not predicted
        }
        var predicted = _predictedKeys;
        if (k >= predicted.Length)
        {
            if (k >= MaxPredictedKeys) return id;
            Array.Resize(ref _predictedKeys, Math.Min(MaxPredictedKeys, Math.Max(k + 1, predicted.Length * 2)));
            Array.Resize(ref _predictedIds, _predictedKeys.Length);
        }
        _predictedKeys[k] = stored;
        _predictedIds[k] = id;
        return id;
    }

    /// <summary><paramref name="p"/> is on the value's first byte; on success it is just past the value.</summary>
    private bool FastValue(ReadOnlySpan<byte> s, ref int p, Event e, int id, int pathLength, int depth)
    {
        if ((uint)p >= (uint)s.Length) return false;
        switch (s[p])
        {
            case (byte)'"':
            {
                if (!FastString(s, ref p, out int start, out int n)) return false;
                e.Add(id, FieldValue.FromChars(_chars, start, n));
                return true;
            }
            case (byte)'{':
            {
                if (depth >= MaxFastDepth) return false;
                int index = e.Count, begin = p;
                e.Add(id, FieldValue.Null);   // placeholder: the container comes before its children
                if (!FastObject(s, ref p, e, pathLength, depth + 1)) return false;
                var (buffer, start, length) = Transcode(s[begin..p]);
                if (index < e.Count) e.SetValueAt(index, FieldValue.FromRawJson(buffer, start, length));   // unless dropped (MaxFields)
                return true;
            }
            case (byte)'[':
            {
                if (depth >= MaxFastDepth) return false;
                int index = e.Count, begin = p;
                e.Add(id, FieldValue.Null);
                p++;
                SkipSpace(s, ref p);
                if ((uint)p >= (uint)s.Length) return false;
                if (s[p] == (byte)']') p++;
                else
                {
                    while (true)
                    {
                        if (!FastValue(s, ref p, e, id, pathLength, depth + 1)) return false;
                        SkipSpace(s, ref p);
                        if ((uint)p >= (uint)s.Length) return false;
                        byte c = s[p++];
                        if (c == (byte)']') break;
                        if (c != (byte)',') return false;
                        SkipSpace(s, ref p);
                    }
                }
                var (buffer, start, length) = Transcode(s[begin..p]);
                if (index < e.Count) e.SetValueAt(index, FieldValue.FromRawJson(buffer, start, length));   // unless dropped (MaxFields)
                return true;
            }
            case (byte)'t':
                if (!s[p..].StartsWith("true"u8)) return false;
                p += 4;
                e.Add(id, FieldValue.FromBoolean(true));
                return true;
            case (byte)'f':
                if (!s[p..].StartsWith("false"u8)) return false;
                p += 5;
                e.Add(id, FieldValue.FromBoolean(false));
                return true;
            case (byte)'n':
                if (!s[p..].StartsWith("null"u8)) return false;
                p += 4;
                e.Add(id, FieldValue.Null);
                return true;
            default:
                return FastNumber(s, ref p, e, id);
        }
    }

    /// <summary>A JSON number (strict grammar). Plain integers of up to 18 digits are exact longs, and plain decimals of
    /// up to 15 digits (Zeek's <c>1591367999.305988</c>) exact doubles; the rest go through the reader's own
    /// conversions, so the chosen kind and value are always the reader path's.</summary>
    private bool FastNumber(ReadOnlySpan<byte> s, ref int p, Event e, int id)
    {
        int begin = p;
        bool negative = s[p] == (byte)'-';
        if (negative) p++;
        if ((uint)p >= (uint)s.Length) return false;
        long value = 0;   // all digits, integer and fraction, as one integer (wraps beyond 18 digits; then unused)
        int digitsStart = p;
        if (s[p] == (byte)'0') p++;
        else if (IsDigit(s[p]))
        {
            while ((uint)p < (uint)s.Length && IsDigit(s[p]))
            {
                value = value * 10 + (s[p] - '0');
                p++;
            }
        }
        else return false;
        int fractionDigits = 0;
        if ((uint)p < (uint)s.Length && s[p] == (byte)'.')
        {
            p++;
            int fractionStart = p;
            while ((uint)p < (uint)s.Length && IsDigit(s[p]))
            {
                value = value * 10 + (s[p] - '0');
                p++;
            }
            fractionDigits = p - fractionStart;
            if (fractionDigits == 0) return false;
        }
        bool exponent = false;
        if ((uint)p < (uint)s.Length && (s[p] | 0x20) == (byte)'e')
        {
            exponent = true;
            p++;
            if ((uint)p < (uint)s.Length && s[p] is (byte)'+' or (byte)'-') p++;
            if (!SkipDigits(s, ref p)) return false;
        }
        // What follows the number is checked by the caller (a delimiter or the end), as the reader would.
        int digits = p - digitsStart - (fractionDigits > 0 ? 1 : 0);
        if (!exponent && fractionDigits == 0 && digits <= 18)
        {
            e.Add(id, FieldValue.FromInt64(negative ? -value : value));
            return true;
        }
        if (!exponent && fractionDigits > 0 && digits <= 15)
        {
            // Both the digits (below 10^15 < 2^53) and 10^fraction (at most 10^15) are exact doubles, so one IEEE
            // division is the correctly rounded value, as the reader's parser gives.
            double d = value / Pow10[fractionDigits];
            e.Add(id, FieldValue.FromDouble(negative ? -d : d));
            return true;
        }
        var r = new Utf8JsonReader(s[begin..p], ReaderOptions);
        if (!r.Read() || r.TokenType != JsonTokenType.Number) return false;
        AddNumber(ref r, e, id);
        return true;
    }

    private static readonly double[] Pow10 =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    private static bool SkipDigits(ReadOnlySpan<byte> s, ref int p)
    {
        int start = p;
        while ((uint)p < (uint)s.Length && IsDigit(s[p])) p++;
        return p > start;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>A string value: <paramref name="p"/> is on its opening quote, and ends just past the closing one; the
    /// unescaped text is at <c>_chars[start..start+length]</c>.</summary>
    private bool FastString(ReadOnlySpan<byte> s, ref int p, out int start, out int length)
    {
        p++;
        // Unescaping and UTF-8 -> UTF-16 never lengthen the text, so the rest of the value bounds the string.
        EnsureChars(s.Length - p);
        start = _charPos;
        length = 0;
        var dst = _chars.AsSpan(start, s.Length - p);
        int j = 0;
        while (true)
        {
            // Plain ASCII runs: 16 bytes at a time are widened to chars and stored while looking for the first byte
            // that is not plain ASCII text (quote, backslash, control character, or a UTF-8 lead/continuation byte).
            // The chars stored past that byte are scratch: later text overwrites them, and dst holds them because
            // it is as long as the bytes left (16 bytes read here means room for 16 chars).
            if (Vector128.IsHardwareAccelerated)
            {
                while (p + 16 <= s.Length)
                {
                    var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)p);
                    // As signed bytes, below 0x20 covers both controls (0..0x1F) and non-ASCII (0x80..0xFF).
                    var stops = Vector128.LessThan(v.AsSByte(), Vector128.Create((sbyte)0x20)).AsByte()
                        | Vector128.Equals(v, Vector128.Create((byte)'"'))
                        | Vector128.Equals(v, Vector128.Create((byte)'\\'));
                    if ((uint)(j + 16) > (uint)dst.Length) return false;   // cannot happen (see above); keeps stores in bounds
                    var lo = Vector128.WidenLower(v);
                    var hi = Vector128.WidenUpper(v);
                    ref char d = ref MemoryMarshal.GetReference(dst);
                    lo.StoreUnsafe(ref Unsafe.As<char, ushort>(ref d), (nuint)j);
                    hi.StoreUnsafe(ref Unsafe.As<char, ushort>(ref d), (nuint)(j + 8));
                    uint mask = stops.ExtractMostSignificantBits();
                    if (mask == 0)
                    {
                        p += 16;
                        j += 16;
                        continue;
                    }
                    int n = BitOperations.TrailingZeroCount(mask);
                    p += n;
                    j += n;
                    goto Stop;
                }
            }
            // The last bytes of the value (or no vector support): one at a time.
            while (true)
            {
                if ((uint)p >= (uint)s.Length) return false;   // no closing quote
                byte c = s[p];
                if (c < 0x20 || c >= 0x80 || c == (byte)'"' || c == (byte)'\\') break;
                if ((uint)j >= (uint)dst.Length) return false;
                dst[j++] = (char)c;
                p++;
            }
        Stop:
            byte b = s[p];
            if (b == (byte)'"')
            {
                p++;
                break;
            }
            if (b == (byte)'\\')
            {
                // The one-letter escapes (a Windows path's \\, a message's \r\n\t) here, several in a row without going
                // back to the vector loop (a message's line ends are "\r\n" pairs); \u and errors in Unescape.
                bool any = false;
                while ((uint)(p + 1) < (uint)s.Length && (uint)j < (uint)dst.Length && s[p] == (byte)'\\')
                {
                    char single = (char)SingleEscapes[s[p + 1]];
                    if (single == 0) break;
                    dst[j++] = single;
                    p += 2;
                    any = true;
                }
                if (any) continue;
                if (!Unescape(s, ref p, dst, ref j)) return false;
                continue;
            }
            if (b < 0x20) return false;   // a raw control character
            // Non-ASCII text: transcode (and validate) up to the next quote, backslash or control character.
            var rest = s[p..];
            int k = rest.IndexOfAny(StringStops);
            if (k < 0) return false;   // no closing quote
            if (!CopyRun(rest[..k], dst[j..], out int written)) return false;
            j += written;
            p += k;
        }
        _charPos += j;
        length = j;
        return true;
    }

    /// <summary>Plain string text (no quote, backslash or control character) transcoded from UTF-8; false on
    /// invalid UTF-8, which the reader path handles (it replaces it in unescaped strings and rejects it in escaped ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CopyRun(ReadOnlySpan<byte> run, Span<char> dst, out int written)
    {
        if (run.Length <= 16)
        {
            // Short runs (between the backslashes of a Windows path) are cheaper widened here than through the
            // transcoder's call and setup.
            if (run.Length > dst.Length) { written = 0; return false; }
            int i = 0;
            for (; i < run.Length; i++)
            {
                byte b = run[i];
                if (b >= 0x80) break;
                dst[i] = (char)b;
            }
            if (i == run.Length)
            {
                written = i;
                return true;
            }
        }
        var status = Utf8.ToUtf16(run, dst, out _, out written, replaceInvalidSequences: false, isFinalBlock: true);
        return status == OperationStatus.Done;
    }

    /// <summary><paramref name="p"/> is on a backslash: decodes one escape (a surrogate pair as one) into
    /// <paramref name="dst"/>. False for invalid escapes and lone surrogates (left to the reader path).</summary>
    private static bool Unescape(ReadOnlySpan<byte> s, ref int p, Span<char> dst, ref int j)
    {
        if ((uint)(p + 1) >= (uint)s.Length) return false;
        char c;
        switch (s[p + 1])
        {
            case (byte)'"': c = '"'; break;
            case (byte)'\\': c = '\\'; break;
            case (byte)'/': c = '/'; break;
            case (byte)'b': c = '\b'; break;
            case (byte)'f': c = '\f'; break;
            case (byte)'n': c = '\n'; break;
            case (byte)'r': c = '\r'; break;
            case (byte)'t': c = '\t'; break;
            case (byte)'u':
            {
                int u = Hex4(s, p + 2);
                if (u < 0) return false;
                if (char.IsSurrogate((char)u))
                {
                    // Only a high surrogate followed by an escaped low surrogate is text.
                    if (!char.IsHighSurrogate((char)u) || (uint)(p + 11) >= (uint)s.Length
                        || s[p + 6] != (byte)'\\' || s[p + 7] != (byte)'u') return false;
                    int low = Hex4(s, p + 8);
                    if (low < 0 || !char.IsLowSurrogate((char)low)) return false;
                    if ((uint)(j + 1) >= (uint)dst.Length) return false;
                    dst[j++] = (char)u;
                    dst[j++] = (char)low;
                    p += 12;
                    return true;
                }
                if ((uint)j >= (uint)dst.Length) return false;
                dst[j++] = (char)u;
                p += 6;
                return true;
            }
            default: return false;
        }
        if ((uint)j >= (uint)dst.Length) return false;
        dst[j++] = c;
        p += 2;
        return true;
    }

    /// <summary>The four hex digits at <paramref name="at"/> as a number, or -1.</summary>
    private static int Hex4(ReadOnlySpan<byte> s, int at)
    {
        if ((uint)(at + 3) >= (uint)s.Length) return -1;
        int v = 0;
        for (int i = 0; i < 4; i++)
        {
            int d = HexDigit(s[at + i]);
            if (d < 0) return -1;
            v = (v << 4) | d;
        }
        return v;
    }

    private static int HexDigit(byte b)
    {
        if ((uint)(b - '0') <= 9) return b - '0';
        int l = b | 0x20;
        if ((uint)(l - 'a') <= 5) return l - 'a' + 10;
        return -1;
    }

    // Test hooks: decode one value by one path only, with fresh per-event state.

    /// <summary>The fast path alone: false when it declines (the reader path would then decide).</summary>
    internal bool DecodeFastForTest(ReadOnlySpan<byte> json, Event e)
    {
        Reset(e);
        return TryDecodeFast(json, e);
    }

    /// <summary>The Utf8JsonReader path alone: null when the value is accepted, else the error it raises.</summary>
    internal string? DecodeReferenceForTest(ReadOnlySpan<byte> json, Event e)
    {
        Reset(e);
        try
        {
            Decode(json, e);
            return null;
        }
        catch (Exception ex) when (ex is JsonException or NotAnObjectException or InvalidOperationException)
        {
            return ex.Message;
        }
    }
}
