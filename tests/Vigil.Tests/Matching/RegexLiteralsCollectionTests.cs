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

    /// <summary>Every distinct text of the corpora's values as the evaluator gives it to a regex (Evaluator.TextOf): the
    /// value's own text or its formatted form.</summary>
    private string[] DistinctTexts()
    {
        var texts = new HashSet<string>(StringComparer.Ordinal);
        Span<char> buf = stackalloc char[256];
        foreach (var events in fx.Corpora.Values)
            foreach (var e in events)
                for (int i = 0; i < e.Count; i++)
                {
                    ref readonly var v = ref e.ValueAt(i);
                    if (v.IsText) texts.Add(v.TextSpan.ToString());
                    else if (v.TryFormat(buf, out int n)) texts.Add(buf[..n].ToString());
                    else texts.Add(v.ToString());
                }
        return texts.ToArray();
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
        var values = DistinctTexts();
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
    /// <see cref="LazyRegex"/> answers with the interpreter until its matches have cost what building the fast form
    /// (NonBacktracking, or compiled) would, then with the fast form: both must give the same answer for every regex of
    /// the collection on every distinct text value of the corpora, and on texts built from the patterns.
    /// </summary>
    [Fact]
    public void InterpreterAndFastFormGiveTheSameAnswers()
    {
        var regexes = CollectionRegexes();
        var values = DistinctTexts();
        Assert.True(regexes.Count > 100 && values.Length > 10000);
        var failures = new ConcurrentBag<string>();
        var timeouts = new ConcurrentBag<string>();
        long hits = 0;
        Parallel.ForEach(regexes, r =>
        {
            var fast = r.Value;
            long mine = 0;
            foreach (var text in values.Concat(Candidates(r.Pattern, RegexLiterals.Necessary(r.Pattern, r.Options) ?? [])))
            {
                bool expected = fast.IsMatch(text);
                if (expected) mine++;
                bool interpreted;
                // A match past the interpreter's timeout is answered by the fast form in LazyRegex.IsMatch: nothing to compare.
                try { interpreted = r.IsMatchInterpreted(text); }
                catch (RegexMatchTimeoutException) { timeouts.Add($"/{r.Pattern}/ on a text of {text.Length} chars"); continue; }
                if (interpreted != expected && failures.Count < 20)
                    failures.Add($"/{r.Pattern}/ {r.Options} on '{text}': fast form {expected}, interpreter {!expected}");
            }
            Interlocked.Add(ref hits, mine);
        });
        output.WriteLine($"{regexes.Count} regexes x {values.Length} values and texts from the patterns, {hits} matches, "
            + $"{timeouts.Count} interpreter timeouts (answered by the fast form)");
        foreach (var t in timeouts.Take(10)) output.WriteLine("  timeout: " + t);
        foreach (var f in failures) output.WriteLine(f);
        Assert.Empty(failures);
        Assert.True(hits > 1000, $"only {hits} matches: the comparison would prove little");
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

    /// <summary>
    /// Random texts generated from each collection pattern by <see cref="RegexSampler"/> (an independent walker of
    /// the pattern: random branches, repetition counts, class members, letters in random case and as KELVIN SIGN),
    /// kept only when the real regex matches them: then a literal must occur.
    /// </summary>
    [Fact]
    public void LiteralsAreNecessaryOnRandomTextsGeneratedFromThePatterns()
    {
        var failures = new List<string>();
        int generated = 0, matched = 0, patterns = 0;
        var rng = new Random(4);
        foreach (var r in CollectionRegexes())
        {
            var literals = RegexLiterals.Necessary(r.Pattern, r.Options);
            if (literals == null) continue;
            var re = new Regex(r.Pattern, r.Options);
            bool any = false;
            for (int i = 0; i < 40; i++)
            {
                var text = RegexSampler.Sample(r.Pattern, rng);
                if (text == null) break;   // a construct the sampler does not generate
                generated++;
                if (!re.IsMatch(text)) continue;
                matched++;
                any = true;
                var f = CaseFold.FoldNeedle(text) ?? FoldLoosely(text);
                if (!literals.Any(l => f.Contains(l, StringComparison.Ordinal)) && failures.Count < 20)
                    failures.Add($"/{r.Pattern}/ {r.Options} matches '{text}' but none of [{string.Join(", ", literals)}] occurs");
            }
            if (any) patterns++;
        }
        output.WriteLine($"{generated} texts generated, {matched} matched, by {patterns} patterns");
        Assert.Empty(failures);
        Assert.True(patterns >= 60, $"only {patterns} patterns produced a matching text");
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

/// <summary>
/// Generates random texts a .NET regex is likely to match, walking its syntax (literals, escapes, classes,
/// groups, alternation, quantifiers; lookarounds and anchors produce nothing). Independent of
/// <see cref="RegexLiterals"/> on purpose; the caller keeps only texts the real regex matches, so a misread here
/// costs coverage, never a false failure. Null for backreferences and conditionals.
/// </summary>
internal static class RegexSampler
{
    public static string? Sample(string pattern, Random rng)
    {
        var sb = new System.Text.StringBuilder();
        int pos = 0;
        try
        {
            if (!Alt(pattern, ref pos, rng, sb) || pos != pattern.Length) return null;
        }
        catch (IndexOutOfRangeException) { return null; }
        catch (ArgumentException) { return null; }
        return sb.ToString();
    }

    private static bool Alt(string p, ref int pos, Random rng, System.Text.StringBuilder sb)
    {
        // Pick one branch at random; the others are parsed into a throwaway buffer.
        var branches = new List<System.Text.StringBuilder>();
        while (true)
        {
            var b = new System.Text.StringBuilder();
            if (!Seq(p, ref pos, rng, b)) return false;
            branches.Add(b);
            if (pos < p.Length && p[pos] == '|') { pos++; continue; }
            break;
        }
        sb.Append(branches[rng.Next(branches.Count)]);
        return true;
    }

    private static bool Seq(string p, ref int pos, Random rng, System.Text.StringBuilder sb)
    {
        while (pos < p.Length && p[pos] != '|' && p[pos] != ')')
        {
            Func<System.Text.StringBuilder, bool>? unit = null;
            char c = p[pos];
            if (c == '(')
            {
                pos++;
                bool emit = true;
                if (p[pos] == '?')
                {
                    pos++;
                    if (p[pos] == '#') { pos = p.IndexOf(')', pos) + 1; continue; }
                    if (p[pos] is ':' or '>') pos++;
                    else if (p[pos] is '=' or '!') { pos++; emit = false; }
                    else if (p[pos] == '<' && p[pos + 1] is '=' or '!') { pos += 2; emit = false; }
                    else if (p[pos] is '<' or '\'') { char end = p[pos] == '<' ? '>' : '\''; pos = p.IndexOf(end, pos + 1) + 1; }
                    else if (p[pos] == '(') return false;
                    else
                    {
                        while (p[pos] is 'i' or 'm' or 's' or 'n' or '-') pos++;
                        if (p[pos] == ')') { pos++; continue; }
                        pos++;   // ':'
                    }
                }
                int bodyStart = pos;
                // Find the body's extent by parsing it once (discarding), then regenerate it per repetition.
                if (!Alt(p, ref pos, rng, new System.Text.StringBuilder()) || p[pos] != ')') return false;
                int bodyEnd = pos;
                pos++;
                string body = p[bodyStart..bodyEnd];
                unit = b =>
                {
                    if (!emit) return true;
                    int q = 0;
                    return Alt(body, ref q, rng, b);
                };
            }
            else if (c == '[')
            {
                int i = pos + 1;
                if (p[i] == '^') i++;
                if (p[i] == ']') i++;
                while (p[i] != ']') i += p[i] == '\\' ? 2 : 1;
                var cls = new Regex(p[pos..(i + 1)], RegexOptions.CultureInvariant);
                pos = i + 1;
                unit = b => { b.Append(Member(cls, rng)); return true; };
            }
            else if (c == '\\')
            {
                char e = p[pos + 1];
                if (e is >= '1' and <= '9' or 'k') return false;   // backreferences
                if (e is 'b' or 'B' or 'A' or 'z' or 'Z' or 'G') { pos += 2; continue; }
                int len = e switch { 'x' => 4, 'u' => 6, 'c' => 3, 'p' or 'P' => p.IndexOf('}', pos) + 1 - pos, _ => 2 };
                var one = new Regex(p.Substring(pos, len), RegexOptions.CultureInvariant);
                pos += len;
                unit = b => { b.Append(Member(one, rng)); return true; };
            }
            else if (c == '.') { pos++; unit = b => { b.Append((char)rng.Next('a', 'z' + 1)); return true; }; }
            else if (c is '^' or '$') { pos++; continue; }
            else
            {
                pos++;
                unit = b => { b.Append(Vary(c, rng)); return true; };
            }
            // Quantifier.
            int min = 1, max = 1;
            if (pos < p.Length)
            {
                var q = Regex.Match(p[pos..], @"^(?:\*|\+|\?|\{(\d+)(,(\d*))?\})\??");
                if (q.Success && q.Length > 0)
                {
                    char k = p[pos];
                    if (k == '*') { min = 0; max = 3; }
                    else if (k == '+') { min = 1; max = 4; }
                    else if (k == '?') { min = 0; max = 1; }
                    else
                    {
                        min = int.Parse(q.Groups[1].Value);
                        max = !q.Groups[2].Success ? min : q.Groups[3].Value.Length == 0 ? min + 3 : Math.Min(int.Parse(q.Groups[3].Value), min + 3);
                    }
                    pos += q.Length;
                }
            }
            int n = rng.Next(min, Math.Max(min, max) + 1);
            for (int k = 0; k < n; k++) if (!unit(sb)) return false;
        }
        return true;
    }

    /// <summary>A letter in random case, sometimes as a character only the regex engine's case equivalence admits.</summary>
    private static char Vary(char c, Random rng) => rng.Next(8) switch
    {
        0 => char.ToUpperInvariant(c),
        1 => char.ToLowerInvariant(c),
        2 when c is 'k' or 'K' => '\u212A',
        _ => c,
    };

    /// <summary>A random member (among the first 0x250 code units, or any) of a one-character regex.</summary>
    private static char Member(Regex one, Random rng)
    {
        var members = new List<char>();
        for (int c = 0; c < 0x250; c++) if (one.IsMatch(((char)c).ToString())) members.Add((char)c);
        if (members.Count == 0) throw new ArgumentException("no member");
        return members[rng.Next(members.Count)];
    }
}
