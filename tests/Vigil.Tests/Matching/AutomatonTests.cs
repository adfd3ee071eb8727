using Vigil.Engine.Matching;

namespace Vigil.Tests.Matching;

public class AutomatonTests
{
    /// <summary>The fold table must agree with OrdinalIgnoreCase for every BMP character against every ASCII
    /// character (the needle alphabet): otherwise the prefilter could miss a match the evaluator finds.</summary>
    [Fact]
    public void FoldAgreesWithOrdinalIgnoreCaseForAsciiNeedles()
    {
        Span<char> t = stackalloc char[1];
        Span<char> a = stackalloc char[1];
        var bad = new List<string>();
        for (int c = 0; c < 65536; c++)
        {
            if (char.IsSurrogate((char)c)) continue;
            t[0] = (char)c;
            for (int n = 0; n < 128; n++)
            {
                a[0] = (char)n;
                bool eq = MemoryExtensions.Equals(t, a, StringComparison.OrdinalIgnoreCase);
                bool folded = AsciiFold.Table[c] == AsciiFold.Table[n];
                if (eq != folded && bad.Count < 10) bad.Add($"U+{c:X4} vs '{(char)n}': OrdinalIgnoreCase {eq}, fold {folded}");
            }
        }
        Assert.Empty(bad);
    }

    /// <summary>Every occurrence of every needle is reported, compared with a naive search, on random text.</summary>
    [Fact]
    public void ReportsEveryOccurrenceLikeANaiveSearch()
    {
        var rng = new Random(7);
        const string alphabet = "abcAB\\.-é K";
        string Rand(int len) => new(Enumerable.Range(0, len).Select(_ => alphabet[rng.Next(alphabet.Length)]).ToArray());
        for (int round = 0; round < 50; round++)
        {
            var needles = Enumerable.Range(0, 1 + rng.Next(20)).Select(_ => Rand(1 + rng.Next(4)))
                .Select(n => AsciiFold.FoldNeedle(n)).OfType<string>().Distinct().ToList();
            if (needles.Count == 0) continue;
            var automaton = new NeedleAutomaton(needles);
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
