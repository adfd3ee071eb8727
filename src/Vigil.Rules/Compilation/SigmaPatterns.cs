using System.Text;

namespace Vigil.Rules.Compilation;

/// <summary>
/// Sigma string values: wildcards <c>*</c> and <c>?</c>, escaped with a backslash (<c>\*</c>, <c>\?</c>, <c>\\</c>).
/// A backslash before any other character is a plain backslash (Sigma spec, "Escape Character").
/// Also the value transformations that work on those strings (windash, base64, base64offset, utf16).
/// </summary>
internal static class SigmaPatterns
{
    /// <summary>Splits a Sigma string into literal runs and wildcards.</summary>
    public static List<WildcardSegment> Parse(string value)
    {
        // Most values have no wildcard and no backslash: one literal, the value itself (start-up compiles some 100,000
        // values of the full collection, and the general path's builder and closure showed as about a fifth of compilation
        // in a profile of it).
        int special = value.AsSpan().IndexOfAny('*', '?', '\\');
        if (special < 0) return value.Length == 0 ? [] : [new(SegmentKind.Literal, value)];
        var segs = new List<WildcardSegment>();
        var lit = new StringBuilder(value.Length);
        lit.Append(value, 0, special);
        for (int i = special; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is '*' or '?' or '\\')
            {
                lit.Append(value[i + 1]);
                i++;
            }
            else if (c == '*')
            {
                Flush(segs, lit);
                // Consecutive stars mean the same as one.
                if (segs.Count == 0 || segs[^1].Kind != SegmentKind.Star) segs.Add(new(SegmentKind.Star, ""));
            }
            else if (c == '?') { Flush(segs, lit); segs.Add(new(SegmentKind.Question, "")); }
            else lit.Append(c);
        }
        Flush(segs, lit);
        return segs;

        static void Flush(List<WildcardSegment> segs, StringBuilder lit)
        {
            if (lit.Length == 0) return;
            segs.Add(new(SegmentKind.Literal, lit.ToString()));
            lit.Clear();
        }
    }

    /// <summary>The plain text of a Sigma string that has no wildcards; null when it has some.</summary>
    public static string? PlainOrNull(string value)
    {
        var segs = Parse(value);
        if (segs.Count == 0) return "";
        if (segs.Count == 1 && segs[0].Kind == SegmentKind.Literal) return segs[0].Text;
        return null;
    }

    /// <summary>Escapes plain text so <see cref="Parse"/> reads it back literally.</summary>
    public static string Escape(string plain)
    {
        if (plain.AsSpan().IndexOfAny('*', '?', '\\') < 0) return plain;
        var sb = new StringBuilder(plain.Length + 4);
        foreach (char c in plain)
        {
            if (c is '*' or '?' or '\\') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>The characters a Windows command-line flag may start with (windash modifier).</summary>
    public static readonly char[] Dashes = ['-', '/', '\u2013', '\u2014', '\u2015'];

    /// <summary>
    /// windash: every '-' or '/' that starts a flag (preceded by a non-word character or the start, followed
    /// by a word character; pySigma's <c>\B[-/]\b</c>) is replaced by each of - / – — ―, in all combinations.
    /// </summary>
    public static List<string> Windash(string value, int limit)
    {
        var positions = new List<int>();
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] is not ('-' or '/')) continue;
            bool prevWord = i > 0 && IsWord(value[i - 1]);
            bool nextWord = i + 1 < value.Length && IsWord(value[i + 1]);
            if (!prevWord && nextWord) positions.Add(i);
        }
        var results = new List<string> { value };
        if (positions.Count == 0) return results;
        double total = Math.Pow(Dashes.Length, positions.Count);
        if (total > limit) throw new InvalidOperationException($"windash would expand '{value}' into {total} values (limit {limit})");
        foreach (int pos in positions)
        {
            var next = new List<string>(results.Count * Dashes.Length);
            foreach (var r in results)
                foreach (char d in Dashes)
                {
                    var chars = r.ToCharArray();
                    chars[pos] = d;
                    next.Add(new string(chars));
                }
            results = next;
        }
        return results;
    }

    private static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    public static string Base64(byte[] bytes) => Convert.ToBase64String(bytes);

    /// <summary>
    /// base64offset: the value may sit at any byte offset of a larger base64-encoded string, so encode it
    /// shifted by 0, 1 and 2 bytes and keep only the characters that do not depend on the neighbours
    /// (same slicing as pySigma: start [0,2,3][i], end [none,-3,-2][(len+i)%3]).
    /// </summary>
    public static string[] Base64Offsets(byte[] value)
    {
        var result = new string[3];
        int[] starts = [0, 2, 3];
        int[] ends = [0, -3, -2];
        for (int i = 0; i < 3; i++)
        {
            var shifted = new byte[i + value.Length];
            Array.Fill(shifted, (byte)' ', 0, i);
            value.CopyTo(shifted, i);
            string enc = Convert.ToBase64String(shifted);
            int end = ends[(value.Length + i) % 3];
            int stop = end == 0 ? enc.Length : enc.Length + end;
            result[i] = stop > starts[i] ? enc[starts[i]..stop] : "";
        }
        return result;
    }

    public static byte[] Utf16Le(string s) => Encoding.Unicode.GetBytes(s);
    public static byte[] Utf16Be(string s) => Encoding.BigEndianUnicode.GetBytes(s);
    public static byte[] Utf16Bom(string s) => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(s)];
}
