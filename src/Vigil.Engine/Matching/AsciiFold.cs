namespace Vigil.Engine.Matching;

/// <summary>
/// Case folding for the needle automata. Needles are restricted to ASCII (others are not prefiltered), so
/// the only thing that matters about a text character is which ASCII character it equals under
/// <see cref="StringComparison.OrdinalIgnoreCase"/>. The table is built from that comparison itself
/// (not from ToUpperInvariant), so the prefilter agrees with the evaluator by construction: every BMP
/// character maps to the upper-case ASCII character it equals ignoring case, or to <see cref="None"/>.
/// </summary>
internal static class AsciiFold
{
    /// <summary>Code for "equals no ASCII character"; never part of a needle.</summary>
    public const byte None = 128;

    public static readonly byte[] Table = Build();

    private static byte[] Build()
    {
        var t = new byte[65536];
        Span<char> a = stackalloc char[1];
        Span<char> b = stackalloc char[1];
        for (int c = 0; c < 65536; c++)
        {
            if (c < 128) { t[c] = (byte)(c is >= 'a' and <= 'z' ? c - 32 : c); continue; }
            t[c] = None;
            if (char.IsSurrogate((char)c)) continue;
            a[0] = (char)c;
            // Only letters can have ASCII case partners (e.g. U+212A KELVIN SIGN vs 'k', if the runtime says so).
            for (int l = 'A'; l <= 'Z'; l++)
            {
                b[0] = (char)l;
                if (MemoryExtensions.Equals(a, b, StringComparison.OrdinalIgnoreCase)) { t[c] = (byte)l; break; }
            }
        }
        return t;
    }

    /// <summary>The folded form of an ASCII needle, or null when it has a non-ASCII character.</summary>
    public static string? FoldNeedle(string needle)
    {
        var chars = new char[needle.Length];
        for (int i = 0; i < needle.Length; i++)
        {
            char c = needle[i];
            if (c >= 128) return null;
            chars[i] = (char)Table[c];
        }
        return new string(chars);
    }
}
