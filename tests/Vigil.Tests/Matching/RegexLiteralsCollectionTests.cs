using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Vigil.Engine.Matching;
using Vigil.Rules;
using Vigil.Rules.Compilation;
using Xunit.Abstractions;

namespace Vigil.Tests.Matching;

/// <summary>
/// <see cref="RegexLiterals"/> over every <c>|re</c> needle of the SigmaHQ collection (all folders, as
/// <see cref="CollectionFixture"/> loads them): the extracted literals must be necessary on real data (every
/// text value of the SigmaHQ regression data, the sample EVTX files, the OTRF JSON and the simulated events that
/// a regex matches contains one of its literals, folded) and on texts built from the patterns themselves.
/// </summary>
public class RegexLiteralsCollectionTests(CollectionFixture fx, ITestOutputHelper output) : IClassFixture<CollectionFixture>
{
    private static IEnumerable<LazyRegex> Regexes(CompiledRule rule)
    {
        var stack = new Stack<Node>(rule.Routes.Select(r => r.Detection).Append(rule.Unrouted));
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            foreach (var c in n.Children) stack.Push(c);
            if (n.Test is { } t)
                foreach (var g in t.Groups)
                    foreach (var nd in g)
                        if (nd.Kind == NeedleKind.Regex) yield return nd.Regex!;
        }
    }

    private List<LazyRegex> CollectionRegexes()
    {
        var seen = new HashSet<(string, RegexOptions)>();
        return fx.Rules.SelectMany(Regexes).Where(r => seen.Add((r.Pattern, r.Options))).ToList();
    }

    [Fact]
    public void MostCollectionRegexesGetLiterals()
    {
        var all = CollectionRegexes();
        var with = all.Where(r => RegexLiterals.Necessary(r.Pattern, r.Options) != null).ToList();
        output.WriteLine($"{all.Count} distinct regexes, {with.Count} with necessary literals");
        foreach (var r in all.Where(r => RegexLiterals.Necessary(r.Pattern, r.Options) == null))
            output.WriteLine($"  none: /{r.Pattern}/ {r.Options}; analysis: [{string.Join(", ", RegexLiterals.Analyse(r.Pattern, r.Options) ?? ["(not understood)"])}]");
        Assert.True(all.Count > 100, "the collection should have well over 100 regexes");
        Assert.True(with.Count * 10 >= all.Count * 6, $"only {with.Count} of {all.Count} regexes got literals");
    }

    [Fact]
    public void LiteralsAreNecessaryOnEveryTextValueOfTheCorpora()
    {
        var texts = new HashSet<string>(StringComparer.Ordinal);
        Span<char> buf = stackalloc char[256];
        foreach (var events in fx.Corpora.Values)
            foreach (var e in events)
                for (int i = 0; i < e.Count; i++)
                {
                    ref readonly var v = ref e.ValueAt(i);
                    // The text the evaluator gives the regex (Evaluator.TextOf): the value's own text or its formatted form.
                    if (v.IsText) texts.Add(v.TextSpan.ToString());
                    else if (v.TryFormat(buf, out int n)) texts.Add(buf[..n].ToString());
                    else texts.Add(v.ToString());
                }
        var values = texts.ToArray();
        var folded = values.Select(t => CaseFold.FoldNeedle(t) ?? FoldLoosely(t)).ToArray();
        var regexes = CollectionRegexes().Select(r => (Regex: r, Literals: RegexLiterals.Necessary(r.Pattern, r.Options)))
            .Where(x => x.Literals != null).ToList();
        output.WriteLine($"{values.Length} distinct text values, {regexes.Count} regexes with literals");
        Assert.True(values.Length > 10000);

        var failures = new ConcurrentBag<string>();
        long matches = 0, matchedRegexes = 0;
        Parallel.ForEach(regexes, x =>
        {
            var re = x.Regex.Value;
            long mine = 0;
            for (int i = 0; i < values.Length; i++)
            {
                if (!re.IsMatch(values[i])) continue;
                mine++;
                if (!x.Literals!.Any(l => folded[i].Contains(l, StringComparison.Ordinal)))
                    failures.Add($"/{x.Regex.Pattern}/ {x.Regex.Options} matches '{values[i]}' but none of [{string.Join(", ", x.Literals!)}] occurs");
            }
            Interlocked.Add(ref matches, mine);
            if (mine > 0) Interlocked.Increment(ref matchedRegexes);
        });
        output.WriteLine($"{matches} (regex, value) matches by {matchedRegexes} regexes");
        foreach (var f in failures.Take(20)) output.WriteLine(f);
        Assert.Empty(failures);
        // The check must have something to check.
        Assert.True(matchedRegexes >= 20, $"only {matchedRegexes} regexes matched any value");
    }

    /// <summary>
    /// Texts built from each collection pattern (its literals with case variants and a character dropped, the
    /// pattern's text with escapes removed and each character dropped in turn, and these in context): whenever
    /// the real regex matches one, a literal must occur in it.
    /// </summary>
    [Fact]
    public void LiteralsAreNecessaryOnTextsBuiltFromThePatterns()
    {
        var failures = new List<string>();
        int tried = 0, matched = 0;
        foreach (var r in CollectionRegexes())
        {
            var literals = RegexLiterals.Necessary(r.Pattern, r.Options);
            if (literals == null) continue;
            var re = new Regex(r.Pattern, r.Options);
            foreach (var text in Candidates(r.Pattern, literals))
            {
                tried++;
                if (!re.IsMatch(text)) continue;
                matched++;
                var f = CaseFold.FoldNeedle(text) ?? FoldLoosely(text);
                if (!literals.Any(l => f.Contains(l, StringComparison.Ordinal)) && failures.Count < 20)
                    failures.Add($"/{r.Pattern}/ {r.Options} matches '{text}' but none of [{string.Join(", ", literals)}] occurs");
            }
        }
        output.WriteLine($"{tried} texts tried, {matched} matched");
        Assert.Empty(failures);
        Assert.True(matched > 200, $"only {matched} built texts matched");
    }

    private static IEnumerable<string> Candidates(string pattern, string[] literals)
    {
        var c = new List<string>();
        foreach (var lit in literals)
        {
            c.Add(lit);
            c.Add(lit.ToLowerInvariant());
            c.Add(lit.Replace('K', '\u212A'));
            for (int i = 0; i < lit.Length; i++) c.Add(lit.Remove(i, 1));
        }
        // The pattern read as text: escapes resolved to their character, quantifier and group syntax kept or dropped.
        string plain = Regex.Replace(pattern, @"\\(.)", "$1");
        string bare = Regex.Replace(plain, @"[()?*+^$|\[\]{}]", "");
        foreach (var s in new[] { plain, bare })
        {
            c.Add(s);
            for (int i = 0; i < s.Length; i++) c.Add(s.Remove(i, 1));
        }
        foreach (var s in c)
        {
            yield return s;
            yield return " " + s + " ";
            yield return "C:\\Windows\\" + s + ".exe";
        }
    }

    /// <summary>Per-character fold for texts FoldNeedle refuses (lone surrogates in data): surrogates kept as they are.</summary>
    private static string FoldLoosely(string s) => string.Create(s.Length, s, static (d, src) =>
    {
        for (int i = 0; i < src.Length; i++) d[i] = CaseFold.Canon[src[i]];
    });
}
