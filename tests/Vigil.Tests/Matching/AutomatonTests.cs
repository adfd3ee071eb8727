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

    /// <summary>Every occurrence of every needle is reported, compared with a naive search, on random text.</summary>
    [Fact]
    public void ReportsEveryOccurrenceLikeANaiveSearch()
    {
        var rng = new Random(7);
        const string alphabet = "abcAB\\.-éÉ\u212AkK\u0130i\u2013😀";
        string Rand(int len) => new(Enumerable.Range(0, len).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
        for (int round = 0; round < 50; round++)
        {
            var needles = Enumerable.Range(0, 1 + rng.Next(20)).Select(_ => Rand(1 + rng.Next(4)))
                .Select(n => CaseFold.FoldNeedle(n)).OfType<string>().Distinct().ToList();
            if (needles.Count == 0) continue;
            var automaton = new NeedleAutomaton(needles, new Alphabet(needles));
            string text = Rand(rng.Next(60));
            var sink = new Collect { Hits = [] };
            automaton.Scan(text, ref sink);
            var expected = new List<(int, int)>();
            for (int id = 0; id < needles.Count; id++)
                for (int s = 0; s + needles[id].Length <= text.Length; s++)
                    if (text.AsSpan(s, needles[id].Length).Equals(needles[id], StringComparison.OrdinalIgnoreCase)) expected.Add((id, s));
            Assert.Equal(expected.Order(), sink.Hits.Order());
        }
    }

    private struct Collect : NeedleAutomaton.IHitSink
    {
        public List<(int, int)> Hits;
        public readonly void Hit(int needle, int start, int textLength) => Hits.Add((needle, start));
    }
}
