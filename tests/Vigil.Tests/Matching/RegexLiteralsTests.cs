using System.Text.RegularExpressions;
using Vigil.Engine.Matching;

namespace Vigil.Tests.Matching;

/// <summary>
/// <see cref="RegexLiterals"/>: the necessary literals of a regex, on hand-written patterns with the expected
/// answer worked out by hand, and for each of them a check with the real regex engine that every literal set is
/// necessary on texts the pattern matches.
/// </summary>
public class RegexLiteralsTests
{
    private const RegexOptions Cs = RegexOptions.CultureInvariant;
    private const RegexOptions Ci = RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;
    private const string Kelvin = "\u212A";

    private static string F(string s) => CaseFold.FoldNeedle(s)!;

    private static string[] Sorted(IEnumerable<string> s) => s.Select(F).Distinct().OrderBy(x => x.Length).ThenBy(x => x, StringComparer.Ordinal).ToArray();

    /// <summary>Pattern, expected literal set (before the minimum-length rule); null: nothing usable (no set, or one
    /// with a member shorter than <see cref="RegexLiterals.MinLength"/>).</summary>
    public static TheoryData<string, string[]?> CaseSensitive => new()
    {
        { "abc", ["abc"] },
        { "abc|def", ["abc", "def"] },
        { "a(bc|de)f", ["abcf", "adef"] },
        { "foo\\.exe", ["foo.exe"] },
        { "\\\\temp\\\\", ["\\temp\\"] },
        { "c:\\\\windows\\\\temp", ["c:\\windows\\temp"] },
        { "x*abc", ["abc"] },
        { "(abc)*def", ["def"] },
        { "(abc)+x", ["abcx"] },
        { "(abc){2}", ["abcabc"] },
        { "(abc){2,}zz", ["abcabc"] },
        { "a{3}", ["aaa"] },
        { "ab?c", ["ac", "abc"] },
        { "[Ee]xec", ["exec"] },              // both members fold to one
        { "[ab]cd", ["acd", "bcd"] },
        { "[a-z]+\\.exe", [".exe"] },
        { "\\x41BC", ["abc"] },
        { "\\u0041BC", ["abc"] },
        { "\\t\\x2Dabc", ["\t-abc"] },
        { "(?=abc)xyz", ["xyz"] },
        { "(?!abc)xyz", ["xyz"] },
        { "(?<=foo)bar", ["bar"] },
        { "(?<!foo)bar", ["bar"] },
        { "(?<n>abc)\\k<n>", ["abc"] },
        { "(?'n'abc)x", ["abcx"] },
        { "(abc)\\1", ["abc"] },
        { "(?>abc)d", ["abcd"] },
        { "a(?#comment)*bcd", ["bcd"] },       // the comment is transparent: a* then bcd
        { "abc(?#x)def", ["abcdef"] },
        { "\\d+\\.\\d+", ["."] },
        { "^cmd\\.exe$", ["cmd.exe"] },
        { "\\Acmd\\z", ["cmd"] },
        { "\\bword\\b", ["word"] },
        { "x{,2}abc", ["x{,2}abc"] },          // not a quantifier in .NET: literal braces
        { "x{2, 3}", ["x{2, 3}"] },
        { "[]a]bc", ["]bc", "abc"] },
        { "\\p{L}abc", ["abc"] },
        { "(a|b)c{0}d", ["ad", "bd"] },
        { "(ab(cd)+)+ef", ["abcd"] },
        { "((abc|abd)x|y(q)*abz)w", ["abcxw", "abdxw", "abzw"] },
        { "(?:\\s-[^-\\s]{0,20}i|\\s--inode\\s)", null },   // the first branch has only one-character literals
        { "-(W|R)\\s?(\\s|\"|')([0-9a-fA-F]{2}\\s?){2,20}(\\s|\"|')", ["-r", "-w"] },
        { "(?i)\\s(-u|--user)\\s*:", null },  // best set {-u} ("--user" contains it): too short
        { "abc|", null },                     // an empty branch: nothing is necessary
        { "abc|.*", null },
        { ".*", null },
        { "", null },
        { "(?x)abc", null },                  // whitespace / comments syntax: not analysed
        { "(?(a)b|c)", null },                // conditional
        { "[a-[b]]xyz", null },               // class subtraction
        { "(?<a-b>x)", null },                // balancing group
        { "abc(?i)def", ["abcdef"] },
    };

    [Theory]
    [MemberData(nameof(CaseSensitive))]
    public void LiteralsOfCaseSensitivePatterns(string pattern, string[]? expected)
    {
        var actual = RegexLiterals.Analyse(pattern, Cs);
        if (expected == null) Assert.Null(RegexLiterals.Necessary(pattern, Cs));
        else Assert.Equal(Sorted(expected), actual);
        CheckNecessary(pattern, Cs);
    }

    [Fact]
    public void AnEmptyAlternativeOrTooShortLiteralsGiveNothing()
    {
        Assert.Null(RegexLiterals.Necessary("abc|", Cs));
        Assert.Null(RegexLiterals.Necessary("(abc)?", Cs));
        Assert.Null(RegexLiterals.Necessary("ab|cde", Cs));   // "ab" is below the minimum length
        Assert.Equal([F("abc"), F("cde")], RegexLiterals.Necessary("abc|cde", Cs)!);
        Assert.Equal([F("APT")], RegexLiterals.Necessary("APT\\d", Cs)!);
    }

    [Fact]
    public void ConstructsNotUnderstoodGiveNoSetAtAll()
    {
        foreach (var p in new[] { "(?x)abc", "(?ix:abc)", "(?(a)b|c)", "[a-[b]]xyz", "(?<a-b>x)", "abc\\'x'", "abc\\<x>" })
            Assert.Null(RegexLiterals.Analyse(p, Cs));
    }

    [Fact]
    public void CaseInsensitivePatternsIncludeTheRegexEnginesExtraEquivalents()
    {
        // .NET's case-insensitive regex matches KELVIN SIGN for k; OrdinalIgnoreCase (the atoms' folding) does not.
        Assert.Matches(new Regex("kernel", Ci), Kelvin + "ernel");
        Assert.False(string.Equals("k", Kelvin, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Sorted(["kernel", Kelvin + "ernel"]), RegexLiterals.Analyse("kernel", Ci));
        Assert.Equal(Sorted(["kernel", Kelvin + "ernel"]), RegexLiterals.Analyse("(?i)kernel", Cs));
        Assert.Equal(Sorted(["Kernel"]), RegexLiterals.Analyse("Kernel", Cs));   // case-sensitive: only itself
        // (?i) in force from where it appears on (and kept on to the end: more variants, never fewer).
        Assert.Equal(Sorted(["kk", "k" + Kelvin]), RegexLiterals.Analyse("k(?i)k", Cs));
        Assert.Equal(Sorted(["invoke-expression", "invo" + Kelvin + "e-expression"]), RegexLiterals.Analyse("(?i)Invoke-Expression", Cs));
        Assert.Equal(Sorted(["abc"]), RegexLiterals.Analyse("(?i:ABC)", Cs));
        Assert.Equal(Sorted(["xyz"]), RegexLiterals.Analyse("(?-i)xyz", Ci));
        foreach (var p in new[] { "kernel", "(?i)Invoke-Expression", "k(?i)k", "(?i:ABC)", "s[Ss]ss", "(?i)ßtraße", "(?i)\\u00C5ngstr[oö]m" })
        {
            CheckNecessary(p, Cs);
            CheckNecessary(p, Ci);
        }
    }

    [Fact]
    public void LargeClassesAndWildcardsBreakLiterals()
    {
        var either = RegexLiterals.Analyse("abc[0-9]def", Cs);
        Assert.True(either != null && (either.SequenceEqual([F("abc")]) || either.SequenceEqual([F("def")])), string.Join(", ", either ?? []));
        Assert.Equal(Sorted(["\\system32\\"]), RegexLiterals.Analyse("\\\\system32\\\\[a-z0-9]{8}\\.tmp", Cs)?.Take(1).ToArray());
        Assert.Null(RegexLiterals.Necessary("[a-z]{3,}\\d", Cs));
        Assert.Null(RegexLiterals.Necessary("\\w+\\s+\\w+", Cs));
    }

    /// <summary>
    /// Strings built to match (and to nearly match) the pattern, checked with the real regex engine: whenever the
    /// regex matches, some literal of <see cref="RegexLiterals.Analyse"/> must occur, folded. The candidates are the
    /// literals themselves with case variants, each literal with one character dropped, and fragments of the
    /// pattern's own text with its escapes removed, each wrapped in some context.
    /// </summary>
    private static void CheckNecessary(string pattern, RegexOptions options)
    {
        var set = RegexLiterals.Analyse(pattern, options);
        if (set == null || set.Contains("")) return;
        var re = new Regex(pattern, options);
        var candidates = new List<string>();
        foreach (var lit in set)
        {
            candidates.Add(lit);
            candidates.Add(lit.ToLowerInvariant());
            candidates.Add(lit.ToUpperInvariant());
            candidates.Add(lit.Replace('K', '\u212A').Replace('k', '\u212A'));
            for (int i = 0; i < lit.Length; i++) candidates.Add(lit.Remove(i, 1));
        }
        string plain = Regex.Replace(pattern, @"\\(.)", "$1");
        candidates.Add(plain);
        for (int i = 0; i < plain.Length; i++) candidates.Add(plain.Remove(i, 1));
        foreach (var c in candidates)
            foreach (var text in new[] { c, "x " + c + " y", c + c, "\t" + c + "\n" })
            {
                if (!re.IsMatch(text)) continue;
                var folded = F(text);
                Assert.True(set.Any(l => folded.Contains(l, StringComparison.Ordinal)),
                    $"/{pattern}/ matches '{text}' but none of [{string.Join(", ", set)}] occurs in it");
            }
    }
}
