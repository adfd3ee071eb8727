using Vigil.Engine.Matching;

namespace Vigil.Tests.Matching;

public class AutomatonTests
{
    /// <summary>The fold table must agree with OrdinalIgnoreCase: two characters fold to the same code exactly
    /// when they are equal ignoring case. Checked for every BMP character against a spread of needle characters
    /// (ASCII, Latin-1, Latin Extended, Greek, Cyrillic, dashes, Turkish i forms, Kelvin/Angstrom signs).</summary>
    [Fact]
    public void FoldAgreesWithOrdinalIgnoreCase()
    {
        var probes = Enumerable.Range(0, 0x250).Concat(Enumerable.Range(0x370, 0x100)).Concat(Enumerable.Range(0x400, 0x100))
            .Concat([0x2013, 0x2014, 0x2015, 0x0130, 0x0131, 0x212A, 0x212B, 0x1E9E, 0xFF21, 0xFF41]).Select(c => (char)c).ToList();
        Span<char> t = stackalloc char[1];
        Span<char> a = stackalloc char[1];
        var bad = new List<string>();
        for (int c = 0; c < 65536; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            t[0] = (char)c;
            foreach (char n in probes)
            {
                a[0] = n;
                bool eq = MemoryExtensions.Equals(t, a, StringComparison.OrdinalIgnoreCase);
                bool folded = CaseFold.Canon[c] == CaseFold.Canon[n];
                if (eq != folded && bad.Count < 10) bad.Add($"U+{c:X4} vs U+{(int)n:X4}: OrdinalIgnoreCase {eq}, fold {folded}");
            }
        }
        Assert.Empty(bad);
    }

    /// <summary>Every occurrence of every needle is reported, compared with a naive search, on random text.
    /// Each automaton is built with only the root dense (every other state answers through its children and
    /// failure links), with a few dense rows (the boundary between dense and sparse states falls inside the
    /// trie) and with the default budget (small automata: every state dense).</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(40)]
    [InlineData(400)]
    [InlineData(null)]
    public void ReportsEveryOccurrenceLikeANaiveSearch(int? denseBudget)
    {
        var rng = new Random(7);
        const string alphabet = "abcAB\\.-éÉ\u212AkK\u0130i\u2013😀";
        string Rand(int len) => new(Enumerable.Range(0, len).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
        for (int round = 0; round < 200; round++)
        {
            var needles = Enumerable.Range(0, 1 + rng.Next(20)).Select(_ => Rand(1 + rng.Next(4)))
                .Select(n => CaseFold.FoldNeedle(n)).OfType<string>().Distinct().ToList();
            if (needles.Count == 0) continue;
            CheckAgainstNaive(needles, Rand(rng.Next(60)), denseBudget);
        }
    }

    /// <summary>Needles built to share prefixes and suffixes and to nest (every suffix of a needle is often a
    /// needle or a prefix of one), so failure chains are long and outputs are inherited through several links;
    /// texts are made of needle pieces so that hits overlap. Small and larger needle sets, several dense budgets.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    [InlineData(2048)]
    [InlineData(null)]
    public void FailureChainsAndSharedAffixesLikeANaiveSearch(int? denseBudget)
    {
        var rng = new Random(11);
        const string letters = "abAB/\\-.ÄäßΣσς\u0130ı😀";
        string Rand(int len) => new(Enumerable.Range(0, len).Select(_ => letters[rng.Next(letters.Length)]).ToArray());
        for (int round = 0; round < 120; round++)
        {
            var stems = Enumerable.Range(0, 1 + rng.Next(6)).Select(_ => Rand(1 + rng.Next(5))).ToList();
            var raw = new List<string>();
            int count = 1 + rng.Next(round % 3 == 0 ? 400 : 40);
            for (int i = 0; i < count; i++)
            {
                string n = stems[rng.Next(stems.Count)];
                for (int parts = rng.Next(4); parts > 0; parts--)
                    n = rng.Next(2) == 0 ? n + stems[rng.Next(stems.Count)] : stems[rng.Next(stems.Count)] + n;
                if (rng.Next(4) == 0) n = n[rng.Next(n.Length)..];            // a suffix of another needle
                if (rng.Next(4) == 0 && n.Length > 1) n = n[..(1 + rng.Next(n.Length - 1))];   // a prefix
                raw.Add(n);
            }
            var needles = raw.Select(CaseFold.FoldNeedle).OfType<string>().Where(n => n.Length > 0).Distinct().ToList();
            if (needles.Count == 0) continue;
            var text = new System.Text.StringBuilder();
            while (text.Length < 200)
                text.Append(rng.Next(5) == 0 ? Rand(1 + rng.Next(3)) : rng.Next(2) == 0 ? raw[rng.Next(raw.Count)] : stems[rng.Next(stems.Count)]);
            // Upper/lower case variants of the text, and a character outside every alphabet.
            string t = text.ToString();
            CheckAgainstNaive(needles, t, denseBudget);
            CheckAgainstNaive(needles, t.ToUpperInvariant(), denseBudget);
            CheckAgainstNaive(needles, t.Insert(rng.Next(t.Length), "#"), denseBudget);
        }
    }

    /// <summary>The layout's boundary cases: one needle, a needle of one character, a text that is exactly a
    /// needle, the dense prefix covering all states or only the root.</summary>
    [Fact]
    public void SmallCases()
    {
        static List<string> F(params string[] n) => n.Select(x => CaseFold.FoldNeedle(x)!).ToList();
        foreach (int? budget in new int?[] { 0, 4, null })
        {
            CheckAgainstNaive(F("a"), "aAaxa", budget);
            CheckAgainstNaive(F("abc"), "abc", budget);
            CheckAgainstNaive(F("abc", "bc", "c"), "abcbcabcc", budget);
            CheckAgainstNaive(F("aaaa", "aa"), "aaaaaaaaa", budget);
            CheckAgainstNaive(F("ab", "abab", "bab"), "abababab", budget);
            CheckAgainstNaive(F("x"), "", budget);
        }
    }

    /// <summary>Scans <paramref name="text"/> with the needles' automaton, with and without the
    /// <see cref="System.Buffers.SearchValues{T}"/> prefilter, and compares every (needle, start) with a naive
    /// OrdinalIgnoreCase search.</summary>
    private static void CheckAgainstNaive(List<string> needles, string text, int? denseBudget)
    {
        var expected = new List<(int, int)>();
        for (int id = 0; id < needles.Count; id++)
            for (int s = 0; s + needles[id].Length <= text.Length; s++)
                if (text.AsSpan(s, needles[id].Length).Equals(needles[id], StringComparison.OrdinalIgnoreCase)) expected.Add((id, s));
        // Plain scan, prefilter, and root skip (forced on whatever the number of characters leaving the root).
        // Hubs (dense rows beyond the breadth-first prefix): none (sparse states with several children), a few rows for
        // states with two or more children, and every state with a child while a budget lasts (dense and sparse
        // states interleaved along paths, sparse leaves skipped by failure shortcuts).
        foreach (var (hubBudget, hubMin) in new[] { (0, 0), (300, 2), (1000, 1) })
        foreach (var (prefilterMax, rootSkipMax) in new[] { (-1, 0), (int.MaxValue, 0), (-1, int.MaxValue) })
        {
            var automaton = new NeedleAutomaton(needles, new Alphabet(needles), denseBudget, prefilterMax, rootSkipMax, hubBudget, hubMin);
            Assert.Equal(prefilterMax > 0, automaton.HasPrefilter);
            Assert.Equal(rootSkipMax > 0, automaton.HasRootSkip);
            var sink = new Collect { Hits = [] };
            automaton.Scan(text, ref sink);
            Assert.Equal(expected.Order(), sink.Hits.Order());
        }
    }

    /// <summary>The construction's contract: folded, distinct, non-empty needles (the sorted-prefix trie relies on
    /// distinct characters having distinct classes and on no needle repeating).</summary>
    [Fact]
    public void RejectsNeedlesOutsideTheContract()
    {
        static void Build(params string[] n) => _ = new NeedleAutomaton(n, new Alphabet(n));
        Assert.Throws<ArgumentException>(() => Build("abc", "ABC"));     // 'a' is not folded (canon is upper case)
        Assert.Throws<ArgumentException>(() => Build("ABC", "ABC"));
        Assert.Throws<ArgumentException>(() => Build("AB", ""));
    }

    /// <summary>The prefilter (.NET's OrdinalIgnoreCase string search) must never skip a value the automaton
    /// (the fold table) finds a needle in, also for characters whose case mappings cross into ASCII or out of
    /// it (long s, Kelvin sign, dotted and dotless i, sharp s, final sigma) and for surrogates.</summary>
    [Fact]
    public void PrefilterAgreesWithTheFoldOnTrickyCharacters()
    {
        var rng = new Random(3);
        const string chars = "sSkKiI\u017F\u212A\u212B\u00E5\u00C5\u0130\u0131\u00DF\u1E9E\u03A3\u03C3\u03C2\u00B5\u039C\u03BCxX😀\uD800:";
        string Rand(int len) => new(Enumerable.Range(0, len).Select(_ => chars[rng.Next(chars.Length)]).ToArray());
        for (int round = 0; round < 400; round++)
        {
            var needles = Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => Rand(1 + rng.Next(3)))
                .Select(n => CaseFold.FoldNeedle(n)).OfType<string>().Distinct().ToList();
            if (needles.Count == 0) continue;
            CheckAgainstNaive(needles, Rand(rng.Next(40)), null);
        }
    }

    private struct Collect : NeedleAutomaton.IHitSink
    {
        public List<(int, int)> Hits;
        public readonly void Hit(int needle, int start, int textLength) => Hits.Add((needle, start));
    }
}
