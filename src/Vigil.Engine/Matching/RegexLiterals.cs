using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Vigil.Engine.Matching;

/// <summary>
/// Necessary literals of a .NET regex: a set of folded strings (see <see cref="CaseFold"/>) one of which occurs,
/// folded, in every text the regex matches (<c>IsMatch</c>: a match anywhere). Used as contains atoms of
/// <c>|re</c> needles, so that regex rules get a prefilter and their regex runs only when a literal hit.
/// <para>
/// The analysis parses the pattern itself (.NET syntax) and computes, per sub-expression, the classic
/// literal facts (as in RE2 / Hyperscan / ripgrep): <c>Exact</c>, the finite set of texts it matches (when small);
/// <c>Pre</c> / <c>Suf</c>, sets one of which every match starts / ends with; <c>Inner</c>, a set one of which every
/// match contains. Concatenation multiplies exact sets and joins a left suffix with a right prefix; alternation
/// unites; <c>?</c>, <c>*</c>, <c>{0,n}</c> require nothing; <c>+</c>, <c>{n,m}</c> with n ≥ 1 keep their operand's
/// requirement; anchors, <c>\b</c> and lookarounds match the empty text; backreferences, <c>.</c> and large
/// classes match "anything". Any construct not understood (conditionals, balancing groups, class subtraction,
/// <c>(?x)</c>, odd escapes) makes the whole answer "none known": the analysis must never claim a literal
/// that a matching text lacks.
/// </para>
/// <para>
/// Characters are not interpreted by hand: every single-character element (a literal, an escape such as
/// <c>\x41</c> or <c>\.</c>, a class such as <c>[Ee]</c>) is compiled on its own with the options in force and run
/// over all 65,536 UTF-16 code units, so its member set is exactly the regex engine's. That matters for
/// case-insensitive patterns: .NET's regex case equivalences are wider than <see cref="StringComparison.OrdinalIgnoreCase"/>
/// (<c>k</c> ~ KELVIN SIGN U+212A, <c>å</c> ~ ANGSTROM SIGN, <c>ω</c> ~ OHM SIGN, <c>ß</c> ~ U+1E9E, ...), so such a
/// character gives two folded variants, not one. An element with more than <see cref="MaxClassSize"/> folded
/// members (or any surrogate member) counts as "anything".
/// </para>
/// </summary>
internal static class RegexLiterals
{
    /// <summary>Literal sets whose shortest member is shorter than this are dropped ("none known"): a one- or
    /// two-character needle hits nearly every value, so it filters nothing and only slows the scan.</summary>
    public const int MinLength = 3;
    /// <summary>Largest folded member set of a one-character element that is expanded (<c>[Ee]</c> is one, <c>[0-9]</c> is not).</summary>
    public const int MaxClassSize = 4;
    /// <summary>Largest literal set kept; larger sets are shortened (prefixes / suffixes) or dropped.</summary>
    public const int MaxSet = 128;
    private const int MaxRepeatUnroll = 4;

    private static readonly ConcurrentDictionary<(string Pattern, RegexOptions Options), string[]?> Cache = new();
    private static readonly ConcurrentDictionary<(string Element, bool IgnoreCase), string[]?> Members = new();
    private static readonly Lazy<string> AllChars = new(() =>
    {
        var chars = new char[65536];
        for (int i = 0; i < chars.Length; i++) chars[i] = (char)i;
        return new string(chars);
    });

    /// <summary>Folded strings one of which occurs (folded) in every text the regex matches, shortest first; null
    /// when none is known or the best set has a member shorter than <see cref="MinLength"/>.</summary>
    public static string[]? Necessary(string pattern, RegexOptions options) =>
        Cache.GetOrAdd((pattern, options), static k => Compute(k.Pattern, k.Options));

    /// <summary>The analysis without the minimum-length rule (tests): the best inner set, or null when none is known.</summary>
    internal static string[]? Analyse(string pattern, RegexOptions options)
    {
        const RegexOptions understood = RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.Singleline
            | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture | RegexOptions.Compiled | RegexOptions.NonBacktracking;
        // Without CultureInvariant, case-insensitive matching follows the current culture (Turkish i): not analysed.
        if ((options & ~understood) != 0) return null;
        if ((options & RegexOptions.IgnoreCase) != 0 && (options & RegexOptions.CultureInvariant) == 0) return null;
        var parser = new Parser(pattern, (options & RegexOptions.IgnoreCase) != 0);
        var info = parser.Run();
        if (info == null) return null;
        return Minimise(info.Inner).OrderBy(s => s.Length).ThenBy(s => s, StringComparer.Ordinal).ToArray();
    }

    private static string[]? Compute(string pattern, RegexOptions options)
    {
        var set = Analyse(pattern, options);
        if (set == null || set.Length == 0 || set[0].Length < MinLength) return null;
        return set;
    }

    /// <summary>Drops members that contain another member: "one of the set occurs" is unchanged.</summary>
    private static IEnumerable<string> Minimise(IReadOnlyCollection<string> set)
    {
        var sorted = set.Distinct().OrderBy(s => s.Length).ToList();
        var kept = new List<string>();
        foreach (var s in sorted)
            if (!kept.Any(k => s.Contains(k, StringComparison.Ordinal))) kept.Add(s);
        return kept;
    }

    // ---- literal facts -------------------------------------------------------------------------

    private static readonly HashSet<string> EmptyOnly = [""];

    /// <summary>Literal facts of a sub-expression (all strings folded). A set holding "" says nothing.</summary>
    private sealed class Info(HashSet<string>? exact, HashSet<string> pre, HashSet<string> suf, HashSet<string> inner)
    {
        /// <summary>Every text the sub-expression matches, when finite and small; null otherwise.</summary>
        public readonly HashSet<string>? Exact = exact;
        public readonly HashSet<string> Pre = pre, Suf = suf, Inner = inner;

        /// <summary>Matches anything (nothing known).</summary>
        public static readonly Info Top = new(null, EmptyOnly, EmptyOnly, EmptyOnly);
        /// <summary>Matches only the empty text (anchors, lookarounds, comments).</summary>
        public static readonly Info Empty = new(EmptyOnly, EmptyOnly, EmptyOnly, EmptyOnly);

        public static Info Of(HashSet<string> exact) => new(exact, exact, exact, exact);
    }

    private static HashSet<string>? Product(HashSet<string> a, HashSet<string> b)
    {
        if ((long)a.Count * b.Count > MaxSet) return null;
        var r = new HashSet<string>(StringComparer.Ordinal);
        foreach (var x in a) foreach (var y in b) r.Add(x + y);
        return r;
    }

    private static HashSet<string>? Union(HashSet<string> a, HashSet<string> b)
    {
        var r = new HashSet<string>(a, StringComparer.Ordinal);
        r.UnionWith(b);
        return r.Count > MaxSet ? null : r;
    }

    /// <summary>A set too large is cut to prefixes (fromEnd: suffixes) of decreasing length until it fits; each
    /// prefix of a member still begins (occurs in) the same texts. "" when nothing fits.</summary>
    private static HashSet<string> Shorten(HashSet<string> set, bool fromEnd)
    {
        if (set.Count <= MaxSet) return set;
        foreach (int len in (int[])[16, 8, 5, 3])
        {
            var r = new HashSet<string>(set.Select(s => s.Length <= len ? s : fromEnd ? s[^len..] : s[..len]), StringComparer.Ordinal);
            if (r.Count <= MaxSet) return r;
        }
        return EmptyOnly;
    }

    private static HashSet<string> UnionOrShorten(HashSet<string> a, HashSet<string> b, bool fromEnd)
    {
        var r = new HashSet<string>(a, StringComparer.Ordinal);
        r.UnionWith(b);
        return Shorten(r, fromEnd);
    }

    /// <summary>The more selective of two necessary sets: the one whose shortest member is longer, then the smaller.</summary>
    private static HashSet<string> Best(HashSet<string> a, HashSet<string> b)
    {
        int ma = a.Count == 0 ? int.MaxValue : a.Min(s => s.Length);
        int mb = b.Count == 0 ? int.MaxValue : b.Min(s => s.Length);
        if (ma != mb) return ma > mb ? a : b;
        return b.Count < a.Count ? b : a;
    }

    private static Info Concat(Info a, Info b)
    {
        var exact = a.Exact != null && b.Exact != null ? Product(a.Exact, b.Exact) : null;
        // Every match is x·y with x a match of a and y one of b.
        var pre = a.Exact != null ? Product(a.Exact, b.Pre) ?? Shorten(a.Exact, false) : a.Pre;
        var suf = b.Exact != null ? Product(a.Suf, b.Exact) ?? Shorten(b.Exact, true) : b.Suf;
        var inner = Best(a.Inner, b.Inner);
        if (Product(a.Suf, b.Pre) is { } join) inner = Best(inner, join);
        inner = Best(Best(inner, pre), suf);
        if (exact != null) inner = Best(inner, exact);
        return new Info(exact, pre, suf, inner);
    }

    private static Info Alternate(Info a, Info b) => new(
        a.Exact != null && b.Exact != null ? Union(a.Exact, b.Exact) : null,
        UnionOrShorten(a.Pre, b.Pre, false),
        UnionOrShorten(a.Suf, b.Suf, true),
        UnionOrShorten(a.Inner, b.Inner, false));

    /// <summary>x{min,max} (max -1: unbounded).</summary>
    private static Info Repeat(Info a, int min, int max)
    {
        if (max == 0) return Info.Empty;
        if (min == 0)
        {
            // Zero repetitions are allowed: only x? keeps a (finite) exact set.
            if (max == 1 && a.Exact != null && Union(a.Exact, EmptyOnly) is { } opt) return Info.Of(opt);
            return Info.Top;
        }
        if (min == max && min <= MaxRepeatUnroll)
        {
            var r = a;
            for (int i = 1; i < min; i++) r = Concat(r, a);
            return r;
        }
        // At least min copies: the first min (up to a few) copies, then anything; and every match ends with a copy.
        var head = a;
        for (int i = 1; i < Math.Min(min, MaxRepeatUnroll); i++) head = Concat(head, a);
        var open = Concat(head, Info.Top);
        return new Info(null, open.Pre, a.Suf, Best(Best(open.Inner, a.Suf), a.Inner));
    }

    // ---- one-character elements ----------------------------------------------------------------

    /// <summary>The folded members of a one-character element (a literal, an escape, a class) as the regex engine
    /// sees it, or null when there are more than <see cref="MaxClassSize"/> or a surrogate is among them.</summary>
    private static string[]? MembersOf(string element, bool ignoreCase) =>
        Members.GetOrAdd((element, ignoreCase), static k =>
        {
            var opts = RegexOptions.CultureInvariant | (k.IgnoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            Regex r;
            try { r = new Regex(k.Element, opts); }
            catch (ArgumentException) { return null; }
            var folded = new HashSet<char>();
            foreach (var m in r.EnumerateMatches(AllChars.Value))
            {
                // An element that can match other than exactly one code unit is not a one-character element.
                if (m.Length != 1) return null;
                char c = AllChars.Value[m.Index];
                if (char.IsSurrogate(c)) return null;
                folded.Add(CaseFold.Canon[c]);
                if (folded.Count > MaxClassSize) return null;
            }
            return folded.Count == 0 ? null : folded.Select(c => c.ToString()).ToArray();
        });

    private static Info Element(string element, bool ignoreCase)
    {
        var members = MembersOf(element, ignoreCase);
        return members == null ? Info.Top : Info.Of(new HashSet<string>(members, StringComparer.Ordinal));
    }

    // ---- parser --------------------------------------------------------------------------------

    /// <summary>
    /// Recursive descent over .NET regex syntax without IgnorePatternWhitespace. <see cref="Run"/> returns null on
    /// anything not understood. Case-insensitivity, once switched on by an inline <c>(?i)</c>, is kept on to the end
    /// of the pattern (even past its group or a later <c>(?-i)</c>): case-insensitive members are a superset of
    /// case-sensitive ones, so this only ever adds variants, never loses a real match.
    /// </summary>
    private sealed class Parser(string p, bool ignoreCase)
    {
        private int _pos;
        private bool _ic = ignoreCase;
        private bool _failed;

        public Info? Run()
        {
            var info = Alternation();
            if (_failed || _pos != p.Length) return null;
            return info;
        }

        private Info Fail() { _failed = true; return Info.Top; }

        private Info Alternation()
        {
            var acc = Sequence();
            while (!_failed && _pos < p.Length && p[_pos] == '|')
            {
                _pos++;
                acc = Alternate(acc, Sequence());
            }
            return acc;
        }

        private Info Sequence()
        {
            var acc = Info.Empty;
            Info? last = null;   // the element a following quantifier applies to
            while (!_failed && _pos < p.Length && p[_pos] != '|' && p[_pos] != ')')
            {
                char c = p[_pos];
                if (c == '(' && string.CompareOrdinal(p, _pos, "(?#", 0, 3) == 0)
                {
                    // A comment is transparent: a quantifier after it applies to the element before it (a(?#x)* is a*).
                    int close = p.IndexOf(')', _pos);
                    if (close < 0) return Fail();
                    _pos = close + 1;
                    continue;
                }
                if (c is '*' or '+' or '?' || (c == '{' && IsQuantifier(_pos, out _, out _, out _)))
                {
                    if (last == null) return Fail();
                    last = Quantifier(last);
                    // A quantifier directly after a quantifier (other than the lazy '?') is a .NET error.
                    if (_pos < p.Length && (p[_pos] is '*' or '+' or '?' || (p[_pos] == '{' && IsQuantifier(_pos, out _, out _, out _))))
                        return Fail();
                    continue;
                }
                if (last != null) acc = Concat(acc, last);
                last = Atom();
            }
            if (last != null) acc = Concat(acc, last);
            return acc;
        }

        private Info Quantifier(Info operand)
        {
            int min, max;
            char c = p[_pos];
            if (c == '*') { min = 0; max = -1; _pos++; }
            else if (c == '+') { min = 1; max = -1; _pos++; }
            else if (c == '?') { min = 0; max = 1; _pos++; }
            else
            {
                if (!IsQuantifier(_pos, out min, out max, out int end)) return Fail();
                _pos = end;
            }
            if (_pos < p.Length && p[_pos] == '?') _pos++;   // lazy: same texts
            return Repeat(operand, min, max);
        }

        /// <summary>.NET's rule: '{' is a quantifier only as {n}, {n,} or {n,m}; otherwise a literal brace.</summary>
        private bool IsQuantifier(int at, out int min, out int max, out int end)
        {
            min = max = end = 0;
            int i = at + 1, s = i;
            while (i < p.Length && char.IsAsciiDigit(p[i])) i++;
            if (i == s || i >= p.Length) return false;
            if (!int.TryParse(p.AsSpan(s, i - s), NumberStyles.None, CultureInfo.InvariantCulture, out min)) { _failed = true; return false; }
            if (p[i] == '}') { max = min; end = i + 1; return true; }
            if (p[i] != ',') return false;
            i++;
            int s2 = i;
            while (i < p.Length && char.IsAsciiDigit(p[i])) i++;
            if (i >= p.Length || p[i] != '}') return false;
            if (i == s2) max = -1;
            else if (!int.TryParse(p.AsSpan(s2, i - s2), NumberStyles.None, CultureInfo.InvariantCulture, out max)) { _failed = true; return false; }
            if (max != -1 && max < min) { _failed = true; return false; }
            end = i + 1;
            return true;
        }

        private Info Atom()
        {
            char c = p[_pos];
            switch (c)
            {
                case '(': return Group();
                case '[': return Class();
                case '\\': return Escape();
                case '.': _pos++; return Info.Top;
                case '^' or '$': _pos++; return Info.Empty;
                default:
                    // Surrogate halves make the element "anything" (MembersOf rejects them).
                    _pos++;
                    return Element(Regex.Escape(c.ToString()), _ic);
            }
        }

        private Info Group()
        {
            _pos++;   // '('
            if (_pos < p.Length && p[_pos] == '?')
            {
                _pos++;
                if (_pos >= p.Length) return Fail();
                char k = p[_pos];
                switch (k)
                {
                    case ':': _pos++; return GroupBody();
                    case '>': _pos++; return GroupBody();                      // atomic: a match of its body
                    case '=' or '!': _pos++; GroupBody(); return Info.Empty;   // lookahead: consumes nothing
                    case '<' when _pos + 1 < p.Length && p[_pos + 1] is '=' or '!':
                        _pos += 2; GroupBody(); return Info.Empty;             // lookbehind
                    case '<' or '\'':
                        char endName = k == '<' ? '>' : '\'';
                        int s = ++_pos;
                        while (_pos < p.Length && (char.IsLetterOrDigit(p[_pos]) || p[_pos] == '_')) _pos++;
                        // Balancing groups (?<a-b>...) and anything odd: not analysed.
                        if (_pos == s || _pos >= p.Length || p[_pos] != endName) return Fail();
                        _pos++;
                        return GroupBody();
                    case '(': return Fail();   // conditional
                    default:
                        // Options: (?imnsx-imnsx) or (?imnsx-imnsx:body).
                        bool on = true;
                        while (_pos < p.Length && p[_pos] is 'i' or 'm' or 'n' or 's' or 'x' or 'I' or 'M' or 'N' or 'S' or 'X' or '-')
                        {
                            char o = char.ToLowerInvariant(p[_pos]);
                            if (o == '-') on = false;
                            else if (o == 'x' && on) return Fail();      // whitespace and # comments become syntax
                            else if (o == 'i' && on) _ic = true;
                            _pos++;
                        }
                        if (_pos >= p.Length) return Fail();
                        if (p[_pos] == ')') { _pos++; return Info.Empty; }
                        if (p[_pos] == ':') { _pos++; return GroupBody(); }
                        return Fail();
                }
            }
            return GroupBody();
        }

        private Info GroupBody()
        {
            var inner = Alternation();
            if (_failed || _pos >= p.Length || p[_pos] != ')') return Fail();
            _pos++;
            return inner;
        }

        /// <summary>A character class: its extent is found here, its members by the regex engine.</summary>
        private Info Class()
        {
            int i = _pos + 1;
            if (i < p.Length && p[i] == '^') i++;
            if (i < p.Length && p[i] == ']') i++;   // a ']' first is a literal
            while (i < p.Length && p[i] != ']')
            {
                if (p[i] == '[') return Fail();   // subtraction -[...] and other nesting: not analysed
                if (p[i] == '\\')
                {
                    if (i + 1 >= p.Length) return Fail();
                    if (p[i + 1] is 'p' or 'P')
                    {
                        int close = p.IndexOf('}', i);
                        if (close < 0) return Fail();
                        i = close + 1;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                i++;
            }
            if (i >= p.Length) return Fail();
            string element = p[_pos..(i + 1)];
            _pos = i + 1;
            return Element(element, _ic);
        }

        private Info Escape()
        {
            if (_pos + 1 >= p.Length) return Fail();
            char e = p[_pos + 1];
            switch (e)
            {
                case 'b' or 'B' or 'A' or 'z' or 'Z' or 'G':
                    _pos += 2;
                    return Info.Empty;
                case >= '1' and <= '9':
                    // Backreference (or, without such a group, an octal escape): some text; digits only, so
                    // swallowing them all never hides syntax.
                    _pos += 2;
                    while (_pos < p.Length && char.IsAsciiDigit(p[_pos])) _pos++;
                    return Info.Top;
                case '0':
                    _pos += 2;
                    for (int n = 0; n < 2 && _pos < p.Length && p[_pos] is >= '0' and <= '7'; n++) _pos++;
                    return Info.Top;
                case 'k':
                    // \k<name> / \k'name': a backreference.
                    if (_pos + 2 >= p.Length || p[_pos + 2] is not ('<' or '\'')) return Fail();
                    int close = p.IndexOf(p[_pos + 2] == '<' ? '>' : '\'', _pos + 3);
                    if (close < 0) return Fail();
                    _pos = close + 1;
                    return Info.Top;
                case 'p' or 'P':
                    int brace = p.IndexOf('}', _pos);
                    if (_pos + 2 >= p.Length || p[_pos + 2] != '{' || brace < 0) return Fail();
                    _pos = brace + 1;
                    return Info.Top;
                case 'd' or 'D' or 'w' or 'W' or 's' or 'S':
                    _pos += 2;
                    return Info.Top;
                case 'x':
                    return Fixed(4, hex: true);
                case 'u':
                    return Fixed(6, hex: true);
                case 'c':
                    return Fixed(3, hex: false);
                case 't' or 'n' or 'r' or 'f' or 'v' or 'e' or 'a':
                    return Fixed(2, hex: false);
                case '<' or '\'':
                    return Fail();   // named backreference forms \<name> / \'name'
                default:
                    if (char.IsLetterOrDigit(e) || char.IsSurrogate(e)) return Fail();   // unknown escape
                    _pos += 2;
                    return Element(Regex.Escape(e.ToString()), _ic);
            }
        }

        /// <summary>An escape of a fixed length (\xHH, \uHHHH, \cX, \t, ...), its members found by the regex engine.</summary>
        private Info Fixed(int length, bool hex)
        {
            if (_pos + length > p.Length) return Fail();
            if (hex)
                for (int i = _pos + 2; i < _pos + length; i++)
                    if (!char.IsAsciiHexDigit(p[i])) return Fail();
            string element = p.Substring(_pos, length);
            _pos += length;
            return Element(element, _ic);
        }
    }
}
