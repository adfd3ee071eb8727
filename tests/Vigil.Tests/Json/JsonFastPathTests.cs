using System.Text;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Json;

namespace Vigil.Tests.Json;

/// <summary>
/// Differential tests of the JSON decoder's fast path (JsonFastDecoder.cs) against its Utf8JsonReader path, the
/// reference: on real lines from ../shared/data/json, on generated lines (escapes, \u escapes and surrogate pairs,
/// multi-byte text, numbers at the edges of long/ulong/double, nesting, whitespace) and on mutated lines (truncation,
/// flipped and inserted bytes, invalid UTF-8, control characters, bad escapes and numbers, trailing garbage, depth).
/// The rule: whenever the fast path accepts a value, the reference accepts it too and gives the same fields (ids,
/// kinds, values, raw container text, in order). When the fast path declines, Emit decodes with the reference, so
/// Emit is checked against the reference on every line as well (event delivered or the same error reported).
/// </summary>
public class JsonFastPathTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private sealed class Checker
    {
        private readonly JsonEventDecoder _fast = JsonEventDecoder.Rent(1024);
        private readonly JsonEventDecoder _reference = JsonEventDecoder.Rent(1024);
        private readonly JsonEventDecoder _emit = JsonEventDecoder.Rent(1024);
        private readonly Event _fe = new(), _re = new(), _ee = new();
        /// <summary>Values Emit decoded twice (fast path declined, then the reader path).</summary>
        public long EmitFallbacks => _emit.FallbackCount;
        public int Accepted, Declined, ReferenceRejected, Lines;

        /// <summary>Checks one value; returns whether the fast path accepted it.</summary>
        public bool Check(byte[] line, string what)
        {
            Lines++;
            string? refError = _reference.DecodeReferenceForTest(line, _re);
            string refText = refError is null ? Describe(_re) : "";
            if (refError is not null) ReferenceRejected++;
            bool fastOk = _fast.DecodeFastForTest(line, _fe);
            if (fastOk)
            {
                Accepted++;
                Assert.True(refError is null, $"fast path accepted what the reader rejects ({refError}): {what}: {Show(line)}");
                string fastText = Describe(_fe);
                if (fastText != refText)
                    Assert.Fail($"fast path differs from the reader on {what}: {Show(line)}\n--- reader:\n{refText}\n--- fast:\n{fastText}");
            }
            else Declined++;

            // Emit (fast path, falling back to the reader path) must give what the reader path gives.
            var diag = new DiagnosticsCollector();
            string? emitted = null;
            bool delivered = _emit.Emit(line, _ee, "test.json", 100, 7, ev => emitted = Describe(ev), diag);
            if (refError is null)
            {
                Assert.True(delivered, $"Emit rejected a value the reader accepts: {what}: {Show(line)}: {string.Join("; ", diag.Errors)}");
                Assert.Equal(refText, emitted);
                Assert.Empty(diag.Errors);
            }
            else
            {
                Assert.False(delivered, $"Emit delivered a value the reader rejects: {what}: {Show(line)}");
                var error = Assert.Single(diag.Errors);
                Assert.Equal("test.json", error.Source);
                Assert.Equal(7, error.Line);
                Assert.Equal(100, error.Offset);
                // The message is the reader path's own (its position trimmed to "at byte N of the value").
                string head = JsonEventDecoder.TrimReaderPosition(refError);
                int cut = head.IndexOf(" (at byte", StringComparison.Ordinal);
                Assert.Contains(cut < 0 ? head : head[..cut], error.Message);
            }
            return fastOk;
        }

        private static string Show(byte[] line) =>
            line.Length <= 400 ? Encoding.UTF8.GetString(line) : Encoding.UTF8.GetString(line, 0, 400) + "...";
    }

    /// <summary>Every field exactly: id, kind, numeric bits, and text (chars, not a lossy rendering).</summary>
    private static string Describe(Event e)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < e.Count; i++)
        {
            var v = e.ValueAt(i);
            sb.Append(e.IdAt(i)).Append('|').Append(v.Kind).Append('|');
            if (v.IsText) sb.Append(v.TextSpan);
            else sb.Append(v.Int64);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static IEnumerable<byte[]> RealLines()
    {
        var root = Path.Combine(TestPaths.Shared, "data", "json");
        foreach (var file in Directory.GetFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0 || bytes[0] != (byte)'{') continue;   // JSON lines files only (SOURCE notes etc.)
            int pos = 0;
            while (pos < bytes.Length)
            {
                int nl = Array.IndexOf(bytes, (byte)'\n', pos);
                int end = nl < 0 ? bytes.Length : nl;
                var line = bytes.AsSpan(pos, end - pos).TrimEnd("\r \t"u8);
                if (!line.IsEmpty) yield return line.ToArray();
                pos = end + 1;
            }
        }
    }

    [Fact]
    public void EveryRealLineIsDecodedByTheFastPathExactlyAsByTheReader()
    {
        var c = new Checker();
        foreach (var line in RealLines()) c.Check(line, "real line");
        Assert.True(c.Lines > 30000, $"only {c.Lines} real lines under {TestPaths.Shared}/data/json");
        // The fast path must carry real data itself, not hand it all back to the reader.
        Assert.Equal(0, c.Declined);
        Assert.Equal(0, c.EmitFallbacks);
        Assert.Equal(0, c.ReferenceRejected);
    }

    [Fact]
    public void MutatedRealLinesAgreeWithTheReaderOrAreDeclined()
    {
        var rng = new Random(20261126);
        var lines = RealLines().Where((_, i) => i % 23 == 0).ToList();
        var c = new Checker();
        foreach (var line in lines)
        {
            for (int m = 0; m < 6; m++)
            {
                var (mutated, what) = Mutate(line, rng);
                c.Check(mutated, what);
            }
        }
        // Both outcomes must occur, or the mutations test nothing.
        // Emit goes to the reader path for every invalid line, and at most as often as the fast path alone declines
        // (fewer: its key cache also holds keys its reader path accepted, e.g. names with invalid UTF-8).
        Assert.InRange(c.EmitFallbacks, c.ReferenceRejected, c.Declined);
        Assert.True(c.ReferenceRejected > c.Lines / 5, $"only {c.ReferenceRejected} of {c.Lines} mutated lines are invalid");
        Assert.True(c.Accepted > c.Lines / 5, $"only {c.Accepted} of {c.Lines} mutated lines were decoded by the fast path");
    }

    [Fact]
    public void GeneratedCleanLinesAreAllDecodedByTheFastPath()
    {
        var rng = new Random(7);
        var c = new Checker();
        for (int i = 0; i < 4000; i++)
        {
            var line = new Generator(rng, dirty: false).Line();
            Assert.True(c.Check(line, "generated clean line"), $"fast path declined a clean line: {Encoding.UTF8.GetString(line)}");
        }
    }

    [Fact]
    public void GeneratedDirtyLinesAgreeWithTheReaderOrAreDeclined()
    {
        var rng = new Random(11);
        var c = new Checker();
        for (int i = 0; i < 6000; i++)
        {
            var line = new Generator(rng, dirty: true).Line();
            c.Check(line, "generated dirty line");
            // And cut short, or with a byte changed, like a damaged file.
            if (i % 3 == 0) c.Check(line.AsSpan(0, rng.Next(line.Length)).ToArray(), "truncated generated line");
            if (i % 3 == 1) c.Check(Mutate(line, rng).Bytes, "mutated generated line");
        }
        Assert.True(c.ReferenceRejected > c.Lines / 10, $"only {c.ReferenceRejected} of {c.Lines} dirty lines are invalid");
        Assert.True(c.Accepted > c.Lines / 5, $"only {c.Accepted} of {c.Lines} dirty lines were decoded by the fast path");
    }

    [Fact]
    public void EdgeCasesAgreeWithTheReader()
    {
        string[] cases =
        [
            // numbers at the edges of the kinds
            """{"n":0}""", """{"n":-0}""", """{"n":123456789012345678}""", """{"n":-123456789012345678}""",
            """{"n":1234567890123456789}""", """{"n":9223372036854775807}""", """{"n":9223372036854775808}""",
            """{"n":-9223372036854775808}""", """{"n":-9223372036854775809}""", """{"n":18446744073709551615}""",
            """{"n":18446744073709551616}""", """{"n":1e400}""", """{"n":-1e400}""", """{"n":1.5}""", """{"n":-0.0}""",
            """{"n":1E+2}""", """{"n":1e-2}""", """{"n":0.1e1}""", """{"n":01}""", """{"n":1.}""", """{"n":.5}""",
            """{"n":-}""", """{"n":1e}""", """{"n":1e+}""", """{"n":+1}""", """{"n":0x10}""", """{"n":1_0}""", """{"n":NaN}""",
            """{"n":1.0}""", """{"n":10.50}""", """{"n":-0.5}""", """{"n":0.000000000000001}""", """{"n":123456789012345.6}""",
            """{"n":12345678901234.56}""", """{"n":1591367999.305988}""", """{"n":0.1}""", """{"n":0.3}""", """{"n":9007199254740.993}""",
            """{"n":999999999999999.9}""", """{"n":99999999999999.99}""", """{"n":0.0000000000000001}""",
            """{"n":000000000000000000000000001}""", """{"n":100000000000000000000000000000}""",
            // literals
            """{"t":true,"f":false,"z":null}""", """{"t":tru}""", """{"t":truee}""", """{"t":True}""", """{"z":nul}""",
            // structure
            "{}", "{ }", " { \"a\" : 1 , \"b\" : [ 1 , 2 ] } ", "{\"a\":1,}", "{\"a\":1,,\"b\":2}", "{\"a\" 1}", "{\"a\":}",
            "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[]}", "{\"a\":[[]]}", "{\"a\":{}}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{}",
            "{\"a\":1", "{\"a\"", "{\"a", "{", "[]", "[{\"a\":1}]", "42", "\"s\"", "null", "", "{'a':1}", "{a:1}",
            "{\"a\":1}\t\r\n ", "{\"a\":1}\u000b", "{\"a\":/*c*/1}", "{\"a\":1}//c", "{\"a\":\"x\"\"y\"}",
            // strings and escapes
            """{"s":""}""", """{"s":"\""}""", """{"s":"\\"}""", """{"s":"\/\b\f\n\r\t"}""", """{"s":"\u0000"}""",
            """{"s":"\u00e9\u00E9\u4e2d"}""", """{"s":"\ud83d\ude00"}""", """{"s":"\uD83D\uDE00x"}""", """{"s":"\ud83d"}""",
            """{"s":"\ude00"}""", """{"s":"\ud83dx"}""", """{"s":"\ud83d\u0041"}""", """{"s":"\ud83d\ud83d"}""",
            """{"s":"\u12"}""", """{"s":"\u12g4"}""", """{"s":"\x41"}""", """{"s":"\a"}""", """{"s":"\'"}""", """{"s":"\"}""",
            """{"s":"C:\\Windows\\System32\\cmd.exe"}""", """{"s":"\\\\server\\share\\"}""", """{"s":"a\\"}""",
            "{\"s\":\"tab\there\"}", "{\"s\":\"nl\nhere\"}", "{\"s\":\"del\u007fok\"}",
            // keys
            """{"a\u0062c":1}""", """{"k\"q":{"x":1}}""", """{"":1}""", """{"a":{"":{"b":2}}}""", """{"é中😀":"v"}""",
            """{"a":1,"a":2}""", """{"A":1,"a":2}""", """{"a":{"b":1},"a.b":2}""",
        ];
        var c = new Checker();
        foreach (var s in cases) c.Check(Encoding.UTF8.GetBytes(s), "edge case");
        // Raw bytes: invalid UTF-8 in keys, plain strings, escaped strings and containers.
        byte[][] raw =
        [
            [.. "{\"s\":\""u8, 0xFF, .. "\"}"u8],
            [.. "{\"s\":\"a"u8, 0xC3, .. "\"}"u8],
            [.. "{\"s\":\"\\n"u8, 0xC3, .. "\"}"u8],
            [.. "{\"s\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8],
            [.. "{\"s\":\""u8, 0xC0, 0xAF, .. "\\t\"}"u8],
            [.. "{\"s\":\""u8, 0xF4, 0x90, 0x80, 0x80, .. "\"}"u8],
            [.. "{\"k"u8, 0xFF, .. "\":1}"u8],
            [.. "{\"o\":{\"s\":\""u8, 0xFE, .. "\"}}"u8],
            [.. "{\"s\":\"a"u8, 0x01, .. "b\"}"u8],
            [.. "{\"k"u8, 0x1F, .. "\":1}"u8],
            [.. "{\"s\":\"a"u8, 0x00, .. "b\"}"u8],
        ];
        foreach (var r in raw) c.Check(r, "raw bytes");
        // Depth around the fast path's limit (64) and the reader's (256).
        foreach (int depth in new[] { 1, 2, 62, 63, 64, 65, 100, 255, 256, 257, 300 })
        {
            var sb = new StringBuilder();
            for (int i = 0; i < depth; i++) sb.Append(i % 2 == 0 ? "{\"a\":" : "[");
            sb.Append('1');
            for (int i = depth - 1; i >= 0; i--) sb.Append(i % 2 == 0 ? '}' : ']');
            c.Check(Encoding.UTF8.GetBytes(sb.ToString()), $"depth {depth}");
        }
        Assert.True(c.Accepted > 40 && c.ReferenceRejected > 40, $"accepted {c.Accepted}, rejected {c.ReferenceRejected}");
    }

    [Fact]
    public void KeyPredictionFollowsChangingKeyOrders()
    {
        // One decoder across events whose keys move around, shrink, grow and nest differently: the prediction by
        // position must never hand out the id of the key that was at that position before.
        var rng = new Random(3);
        string[] names = ["a", "b", "ab", "a.b", "axb", "aab", "Image", "image", "CommandLine", "x\u00e9", "long_name_of_a_field_0123456789"];
        var c = new Checker();
        for (int i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder("{");
            int n = rng.Next(0, 12);
            for (int k = 0; k < n; k++)
            {
                if (k > 0) sb.Append(',');
                sb.Append('"').Append(names[rng.Next(names.Length)]).Append("\":");
                if (rng.Next(4) == 0) sb.Append("{\"").Append(names[rng.Next(names.Length)]).Append("\":").Append(k).Append('}');
                else sb.Append(k);
            }
            sb.Append('}');
            Assert.True(c.Check(Encoding.UTF8.GetBytes(sb.ToString()), "shuffled keys"));
        }
    }

    /// <summary>
    /// Real files interleave kinds of events with their own key orders (process creations, network connections,
    /// registry and logon events in one OTRF recording), which the prediction by position misses on about a third of
    /// the keys. With the prediction by the previous key as well, almost every key is found without a hash lookup,
    /// and the fields are still exactly the reader's (checked on every line).
    /// </summary>
    [Fact]
    public void KeysOfInterleavedEventKindsAreFoundWithoutLookups()
    {
        var c = new Checker();
        var decoder = JsonEventDecoder.Rent(1024);
        var e = new Event();
        long fields = 0, lines = 0;
        foreach (var line in RealLines())
        {
            c.Check(line, "real line");
            Assert.True(decoder.DecodeFastForTest(line, e));
            fields += e.Count;
            lines++;
        }
        output.WriteLine($"{lines} lines, {fields} fields, {decoder.KeyLookups} keys looked up by hash");
        Assert.True(decoder.KeyLookups * 100 < fields * 2, $"{decoder.KeyLookups} of about {fields} keys were looked up by hash");
    }

    private static readonly string[] Replacements =
    [
        "\\n", "\\u00e9", "\\ud83d\\ude00", "\\ud83d", "\\udc00", "\\x", "\\u12", "\\uZZZZ", "\\/", "\\\"", "\\\\", "\\",
        "\u0001", "\t", "\u00e9", "\u4e2d", "\ud83d\ude00", "\"", "{", "}", "[", "]", ",", ":", " ", "0", "-", "1e5", ".", "e",
        "true", "null", "18446744073709551616", "1e400", "01",
    ];

    private static readonly byte[][] BadBytes = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0x80], [0xF0, 0x9F, 0x98]];

    /// <summary>One random damage or oddity applied to a line.</summary>
    private static (byte[] Bytes, string What) Mutate(byte[] line, Random rng)
    {
        if (line.Length == 0) return (line, "empty");
        int at = rng.Next(line.Length);
        switch (rng.Next(7))
        {
            case 0: return (line.AsSpan(0, at).ToArray(), "truncated");
            case 1:
            {
                var r = Encoding.UTF8.GetBytes(Replacements[rng.Next(Replacements.Length)]);
                return ([.. line.AsSpan(0, at), .. r, .. line.AsSpan(at + 1)], "byte replaced");
            }
            case 2:
            {
                var r = Encoding.UTF8.GetBytes(Replacements[rng.Next(Replacements.Length)]);
                return ([.. line.AsSpan(0, at), .. r, .. line.AsSpan(at)], "text inserted");
            }
            case 3: return ([.. line.AsSpan(0, at), .. BadBytes[rng.Next(BadBytes.Length)], .. line.AsSpan(at)], "invalid UTF-8 inserted");
            case 4:
            {
                // Inside a string value: an escape where a backslash already is, or a bad escape.
                int bs = line.AsSpan(at).IndexOf((byte)'\\');
                if (bs < 0) return (line, "unchanged");
                bs += at;
                var r = Encoding.UTF8.GetBytes(Replacements[rng.Next(12)]);
                return ([.. line.AsSpan(0, bs), .. r, .. line.AsSpan(bs)], "escape inserted");
            }
            case 5: return ([.. line, .. " x"u8], "trailing garbage");
            default:
            {
                var copy = (byte[])line.Clone();
                copy[at] = (byte)rng.Next(256);
                return (copy, "byte flipped");
            }
        }
    }

    /// <summary>Random JSON objects. Clean mode writes only what the fast path must handle itself; dirty mode adds
    /// escaped keys, lone surrogates, invalid UTF-8, control characters, bad escapes and deep nesting.</summary>
    private sealed class Generator(Random rng, bool dirty)
    {
        private static readonly string[] Keys =
            ["EventID", "Image", "CommandLine", "@timestamp", "winlog", "event_data", "User", "Hashes", "tags", "a", "b", "c", "d", "é", "名前"];
        private readonly List<byte> _b = new(512);

        public byte[] Line()
        {
            _b.Clear();
            Object(0);
            if (dirty && rng.Next(20) == 0) Text(rng.Next(2) == 0 ? " " : " 1");
            return [.. _b];
        }

        private void Text(string s) => _b.AddRange(Encoding.UTF8.GetBytes(s));

        private void Space()
        {
            if (rng.Next(6) == 0) Text(new[] { " ", "\t", "\r\n", "  " }[rng.Next(4)]);
        }

        private void Object(int depth)
        {
            _b.Add((byte)'{');
            Space();
            int n = rng.Next(depth == 0 ? 1 : 0, 7);
            for (int i = 0; i < n; i++)
            {
                if (i > 0) { _b.Add((byte)','); Space(); }
                Key();
                Space();
                _b.Add((byte)':');
                Space();
                Value(depth + 1);
                Space();
            }
            _b.Add((byte)'}');
        }

        private void Key()
        {
            _b.Add((byte)'"');
            if (dirty && rng.Next(15) == 0) Text("k\\u0065y");   // escaped key: declined by the fast path
            else if (rng.Next(5) == 0) Text("f" + rng.Next(40));
            else Text(Keys[rng.Next(Keys.Length)]);
            _b.Add((byte)'"');
        }

        private void Value(int depth)
        {
            int limit = dirty && rng.Next(50) == 0 ? 80 : 5;   // now and then deeper than the fast path goes
            int kind = rng.Next(depth < limit ? 10 : 7);
            switch (kind)
            {
                case 0: case 1: case 2: case 3: String(); break;
                case 4: Number(); break;
                case 5: Text(new[] { "true", "false", "null" }[rng.Next(3)]); break;
                case 6: String(); break;
                case 7: case 8: Object(depth); break;
                default:
                    _b.Add((byte)'[');
                    Space();
                    int n = rng.Next(0, 4);
                    for (int i = 0; i < n; i++)
                    {
                        if (i > 0) { _b.Add((byte)','); Space(); }
                        Value(depth + 1);
                    }
                    Space();
                    _b.Add((byte)']');
                    break;
            }
        }

        private void Number()
        {
            string[] edge =
            [
                "0", "-0", "7", "-12", "123456789012345678", "-123456789012345678", "1234567890123456789", "9223372036854775807",
                "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                "0.5", "-1.25e-3", "6.02E23", "1e308", "1e309", "4.9e-324", "1e-400", "0e0",
            ];
            if (rng.Next(3) == 0) Text(edge[rng.Next(edge.Length)]);
            else if (rng.Next(2) == 0)
            {
                // Decimals as Zeek writes them (epoch seconds, durations), 1 to 20 digits in all.
                int whole = rng.Next(0, 12), fraction = rng.Next(1, 9);
                var digits = new StringBuilder(rng.Next(2) == 0 ? "-" : "");
                digits.Append(whole == 0 ? "0" : (char)('1' + rng.Next(9)) + string.Concat(Enumerable.Range(1, whole - 1).Select(_ => (char)('0' + rng.Next(10)))));
                digits.Append('.').Append(string.Concat(Enumerable.Range(0, fraction).Select(_ => (char)('0' + rng.Next(10)))));
                Text(digits.ToString());
            }
            else Text(((long)(rng.NextDouble() * Math.Pow(10, rng.Next(1, 19))) * (rng.Next(2) == 0 ? 1 : -1)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        private void String()
        {
            _b.Add((byte)'"');
            int pieces = rng.Next(0, 10);
            for (int i = 0; i < pieces; i++)
            {
                // Dirty pieces (12..15) are rare, so that many dirty lines are still valid JSON.
                switch (dirty && rng.Next(40) == 0 ? rng.Next(12, 16) : rng.Next(12))
                {
                    case 0: case 1: Text(new string((char)('a' + rng.Next(26)), rng.Next(1, 40))); break;
                    case 2: Text("\\\\"); break;   // a path separator
                    case 3: Text(new[] { "\\\"", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t" }[rng.Next(7)]); break;
                    case 4:
                    {
                        // A \u escape of any BMP character that is not a surrogate, in either hex case.
                        int u;
                        do u = rng.Next(0x10000); while (u is >= 0xD800 and <= 0xDFFF);
                        string hex = u.ToString(rng.Next(2) == 0 ? "x4" : "X4", System.Globalization.CultureInfo.InvariantCulture);
                        Text("\\u" + hex);
                        break;
                    }
                    case 5:
                    {
                        // A surrogate pair as two \u escapes.
                        int cp = 0x10000 + rng.Next(0x100000);
                        string pair = char.ConvertFromUtf32(cp);
                        Text($"\\u{(int)pair[0]:x4}\\u{(int)pair[1]:X4}");
                        break;
                    }
                    case 6: Text(new[] { "é", "中文", "😀", "ß", "\u007f" }[rng.Next(5)]); break;
                    case 7: Text(@"C:\\Windows\\System32\\"); break;
                    case 8: Text(new string('x', rng.Next(16, 200))); break;
                    case 9: Text("\\u0000\\u001f"); break;
                    case 10: case 11: Text(" "); break;
                    case 12: Text(new[] { "\\ud83d", "\\udc00", "\\ud83d\\u0041", "\\ud83dx" }[rng.Next(4)]); break;
                    case 13: _b.AddRange(BadBytes[rng.Next(BadBytes.Length)]); break;
                    case 14: _b.Add((byte)rng.Next(0, 0x20)); break;
                    default: Text(new[] { "\\x", "\\u12", "\\uG000", "\\a", "\\" }[rng.Next(5)]); break;
                }
            }
            _b.Add((byte)'"');
        }
    }
}
