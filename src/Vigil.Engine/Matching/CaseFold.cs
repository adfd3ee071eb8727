namespace Vigil.Engine.Matching;

/// <summary>
/// Case folding for the needle automata, exact with respect to <see cref="StringComparison.OrdinalIgnoreCase"/>:
/// <see cref="Canon"/> maps every UTF-16 code unit to one representative of its class of characters that are
/// equal ignoring case. The classes are computed from that comparison itself (single characters grouped by
/// their OrdinalIgnoreCase hash, then compared pairwise), not from ToUpperInvariant, so the automata agree
/// with the evaluator by construction. Surrogates map to themselves; needles may contain surrogate pairs
/// only for code points without case mappings (emoji, symbols), which no other code point equals ignoring case.
/// </summary>
internal static class CaseFold
{
    public static readonly char[] Canon = Build();

    private static char[] Build()
    {
        var canon = new char[65536];
        var byHash = new Dictionary<int, List<char>>();
        for (int c = 0; c < 65536; c++)
        {
            canon[c] = (char)c;
            if (char.IsSurrogate((char)c)) continue;
            char ch = (char)c;
            int h = string.GetHashCode(new ReadOnlySpan<char>(in ch), StringComparison.OrdinalIgnoreCase);
            if (!byHash.TryGetValue(h, out var list)) byHash[h] = list = [];
            list.Add((char)c);
        }
        foreach (var list in byHash.Values)
        {
            if (list.Count < 2) continue;
            // Representative: the lowest character equal (ignoring case) to it; chars ascend within a list.
            for (int i = 0; i < list.Count; i++)
                for (int j = 0; j < i; j++)
                    if (EqualsIgnoreCase(list[i], list[j])) { canon[list[i]] = canon[list[j]]; break; }
        }
        return canon;
    }

    private static bool EqualsIgnoreCase(char a, char b) =>
        MemoryExtensions.Equals(new ReadOnlySpan<char>(in a), new ReadOnlySpan<char>(in b), StringComparison.OrdinalIgnoreCase);

    /// <summary>The folded form of a needle, or null when it holds a lone surrogate or a non-BMP code point with case mappings.
    /// Results are kept (one string per distinct needle text): the matcher folds each needle for the prefilter and again for
    /// the rule programs, and the collection repeats needles across rules (some 100,000 foldings of far fewer texts), so
    /// equal needles also share one folded string.</summary>
    public static string? FoldNeedle(string needle)
    {
        if (Folded.TryGetValue(needle, out var known)) return known;   // null: known to be unfoldable
        var folded = Fold(needle);
        // Bounded: past the limit (far beyond any rule collection's distinct needles) texts are folded without keeping them.
        // Counted here: ConcurrentDictionary.Count takes every lock of the table, and the matcher folds on several threads.
        if (Volatile.Read(ref _kept) < MaxKept && Folded.TryAdd(needle, folded)) Interlocked.Increment(ref _kept);
        return folded;
    }

    /// <summary>Drops the kept foldings (the matcher calls it once built: the folded strings live on in its atoms, the
    /// table would only keep some MB of entries for the rest of the process). Safe while other threads fold.</summary>
    public static void ForgetFoldings()
    {
        Folded.Clear();
        Volatile.Write(ref _kept, 0);
    }

    private const int MaxKept = 1 << 20;
    private static int _kept;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string?> Folded = new(StringComparer.Ordinal);

    private static string? Fold(string needle)
    {
        for (int i = 0; i < needle.Length; i++)
        {
            char c = needle[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= needle.Length || !char.IsLowSurrogate(needle[i + 1])) return null;
                // Only code points without any case mapping (emoji, symbols, hieroglyphs): no other code point
                // upper-cases to them, so OrdinalIgnoreCase equality is plain equality for them.
                string one = needle.Substring(i, 2);
                if (one.ToUpperInvariant() != one || one.ToLowerInvariant() != one) return null;
                i++;
                continue;
            }
            if (char.IsLowSurrogate(c)) return null;
        }
        // Every code unit becomes its representative (surrogates, valid pairs by now, are their own).
        return string.Create(needle.Length, needle, static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = Canon[src[i]];
        });
    }
}

/// <summary>
/// The characters the needles of one matcher use: <see cref="Code"/> maps every UTF-16 code unit to 1 + the
/// index of its folded form among them, or 0 when no needle uses it (so automata only need small alphabets).
/// </summary>
internal sealed class Alphabet
{
    public readonly ushort[] Code = new ushort[65536];
    public readonly int Size;

    public Alphabet(IEnumerable<string> foldedNeedles)
    {
        // First pass: number the distinct needle characters in order of first use (a table, not a dictionary:
        // the collection's needles have about a million characters).
        var ids = new ushort[65536];
        int count = 0;
        foreach (var n in foldedNeedles)
            foreach (char c in n)
                if (ids[c] == 0)
                {
                    if (count == ushort.MaxValue - 1) throw new InvalidOperationException("needle alphabet too large");
                    ids[c] = (ushort)++count;
                }
        Size = count + 1;
        // Every code unit gets the id of its folded form (surrogates: their own).
        var canon = CaseFold.Canon;
        for (int c = 0; c < 65536; c++)
            Code[c] = ids[char.IsSurrogate((char)c) ? c : canon[c]];
    }
}
