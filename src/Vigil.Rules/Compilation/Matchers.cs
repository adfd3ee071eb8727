using System.Text.RegularExpressions;
using Vigil.Events;

namespace Vigil.Rules.Compilation;

/// <summary>The closed set of node kinds of a compiled detection; evaluated by a switch, not virtual calls.</summary>
internal enum NodeKind : byte { And, Or, Not, Field, Keyword, True, False }

/// <summary>
/// A compiled detection tree node. And/Or children are ordered cheapest first (this never changes the
/// result: the operators are pure and commutative). Immutable after compilation.
/// </summary>
internal sealed class Node
{
    public NodeKind Kind;
    public Node[] Children = [];
    public FieldTest? Test;
    /// <summary>Rough relative cost of evaluating this node, used to order siblings.</summary>
    public int Cost;

    public static Node Const(bool value) => new() { Kind = value ? NodeKind.True : NodeKind.False, Cost = 0 };
}

/// <summary>What a field test checks for.</summary>
internal enum TestKind : byte
{
    /// <summary>Compare the field's value(s) against needles.</summary>
    Values,
    /// <summary><c>|exists: true/false</c>: presence only, whatever the value (even null).</summary>
    Exists,
}

/// <summary>A date part extracted by the time modifiers before comparing numerically.</summary>
internal enum TimePart : byte { None, Minute, Hour, Day, Week, Month, Year }

/// <summary>
/// One <c>Field|modifiers: values</c> entry (or a keyword search when <see cref="FieldId"/> is -1).
/// <see cref="Groups"/> holds one group per rule value; a group holds that value's expansions
/// (windash permutations, base64offset alignments, placeholder values), which are always OR-ed.
/// Groups are OR-ed, or AND-ed with the <c>all</c> modifier.
/// </summary>
internal sealed class FieldTest
{
    public TestKind Kind;
    public int FieldId = -1;
    /// <summary>Other names of the field in other log shapes (fieldmaps.yml): when <see cref="FieldId"/> is absent,
    /// the first of these present in the event is tested instead. Null when there are none.</summary>
    public int[]? AltFieldIds;
    public bool All;
    /// <summary><c>neq</c>: the field must be present and match none of the values.</summary>
    public bool Negate;
    public bool ExistsExpected;
    public TimePart Part;
    /// <summary>With a time part: use the event's own timestamp when the field is absent (timestamp-like names only).</summary>
    public bool TimestampFallback;
    /// <summary>True when some needle is <see cref="NeedleKind.Null"/>: then an absent field matches.</summary>
    public bool AbsentMatches;
    public Needle[][] Groups = [];
    /// <summary>Optimisation of many case-insensitive exact text needles (OR only): one hash lookup instead of
    /// a scan. The needles moved here are removed from <see cref="Groups"/>. Numeric event values skip the set:
    /// the needles kept for them in <see cref="Groups"/> are those with a numeric meaning.</summary>
    public HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? ExactSet;
    public string FieldName = "";
}

internal enum NeedleKind : byte
{
    /// <summary>Sigma <c>null</c>: the value is null or empty text (an absent field is handled by <see cref="FieldTest.AbsentMatches"/>).</summary>
    Null,
    Equals, StartsWith, EndsWith, Contains, Wildcard, Regex,
    Lt, Lte, Gt, Gte,
    Cidr,
    RefEquals, RefStartsWith, RefEndsWith, RefContains,
}

/// <summary>One prepared value to compare with: text unescaped once, wildcard patterns split once,
/// regexes and CIDR networks built once.</summary>
internal sealed class Needle
{
    public NeedleKind Kind;
    public string Text = "";
    public StringComparison Comparison = StringComparison.OrdinalIgnoreCase;
    /// <summary>When the rule value is a number (4688, 0x17), compare numerically against numeric event values.</summary>
    public bool HasNumber;
    public double Number;
    public LazyRegex? Regex;
    public WildcardSegment[]? Pattern;
    public byte[]? Network;
    public int PrefixLength;
    public int RefFieldId = -1;

    public override string ToString() => $"{Kind} {Text}";
}

internal enum SegmentKind : byte { Literal, Star, Question }

internal readonly record struct WildcardSegment(SegmentKind Kind, string Text);

/// <summary>
/// A regex validated at load time that answers with the interpreter first and turns into its fast form once it has cost
/// as much as building that would. Building a NonBacktracking (or Compiled) regex costs about 2 ms (up to tens of
/// milliseconds for patterns with large Unicode classes): the 35-60 regexes a hunt over the sample EVTX or OTRF data
/// reaches took 0.13-0.28 s of start-up that way, while most of them then run on a few events only. So the interpreted
/// regex the load builds anyway (to validate the pattern) answers until its matches have taken <see cref="UpgradeSeconds"/>
/// in all; then the fast form is built and answers from there on. The interpreter runs with a short timeout: a match that
/// backtracks too long (hostile input) is answered by the fast form instead, which is built at that moment. NonBacktracking
/// is preferred (linear time, no catastrophic backtracking); patterns it cannot run (lookarounds, backreferences) use the
/// compiled backtracking engine. Both engines and the interpreter find a match exactly when one exists (only whether a
/// match exists is asked), so the answer does not depend on which of them gives it. Thread-safe: racing first users may
/// each build the fast form; one wins.
/// </summary>
internal sealed class LazyRegex
{
    /// <summary>Interpreter time (all matches of this regex) after which the fast form is built.</summary>
    internal const double UpgradeSeconds = 0.002;
    /// <summary>A single interpreted match taking longer than this is abandoned and answered by the fast form.</summary>
    internal static readonly TimeSpan InterpreterTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly long UpgradeTicks = (long)(UpgradeSeconds * System.Diagnostics.Stopwatch.Frequency);

    private readonly string _pattern;
    private readonly RegexOptions _options;
    private readonly Regex _interpreted;
    private Regex? _fast;
    private long _interpretedTicks;

    public LazyRegex(string pattern, RegexOptions options)
    {
        _pattern = pattern;
        _options = options;
        // Throws RegexParseException (an ArgumentException) for a bad pattern.
        _interpreted = new Regex(pattern, options, InterpreterTimeout);
    }

    /// <summary>The fast form (built now if not yet).</summary>
    public Regex Value => Volatile.Read(ref _fast) ?? Build();

    /// <summary>True once the fast form answers (tests and diagnostics).</summary>
    internal bool IsFast => Volatile.Read(ref _fast) != null;

    /// <summary>The pattern and options as compiled (for analyses such as the matcher's literal extraction).</summary>
    public string Pattern => _pattern;
    public RegexOptions Options => _options;

    public bool IsMatch(ReadOnlySpan<char> text)
    {
        if (Volatile.Read(ref _fast) is { } fast) return fast.IsMatch(text);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        bool hit;
        try { hit = _interpreted.IsMatch(text); }
        catch (RegexMatchTimeoutException) { return Build().IsMatch(text); }
        if (Interlocked.Add(ref _interpretedTicks, System.Diagnostics.Stopwatch.GetTimestamp() - t0) > UpgradeTicks) Build();
        return hit;
    }

    /// <summary>The answer of the interpreter alone (tests compare it with the fast form's).</summary>
    internal bool IsMatchInterpreted(ReadOnlySpan<char> text) => _interpreted.IsMatch(text);

    private Regex Build()
    {
        Regex r;
        try { r = new Regex(_pattern, _options | RegexOptions.NonBacktracking); }
        catch (NotSupportedException) { r = new Regex(_pattern, _options | RegexOptions.Compiled, TimeSpan.FromSeconds(1)); }
        Interlocked.CompareExchange(ref _fast, r, null);
        return _fast!;
    }

    public override string ToString() => _pattern;
}
