using System.Diagnostics;
using System.Text.RegularExpressions;
using Vigil.Rules.Compilation;

namespace Vigil.Tests.Rules;

/// <summary>The interpreter-first regex: it moves to the fast form after enough interpreter time, and a match that
/// backtracks past the interpreter's timeout is answered (correctly) by the fast form instead of failing.</summary>
public class LazyRegexTests
{
    [Fact]
    public void MovesToTheFastFormAfterEnoughInterpreterTime()
    {
        var r = new LazyRegex(@"cmd.{0,5}(?:/c|/r).+powershell.+(?:\$?\{?input\}?|noexit).+""", RegexOptions.CultureInvariant);
        string hit = "cmd.exe /c \"set x=1 && powershell -noexit \"";
        string miss = "cmd.exe /c " + new string('x', 20_000) + " powershell";
        Assert.False(r.IsFast);
        Assert.True(r.IsMatch(hit));
        var clock = Stopwatch.StartNew();
        while (!r.IsFast && clock.Elapsed < TimeSpan.FromSeconds(30)) Assert.False(r.IsMatch(miss));
        Assert.True(r.IsFast, "still interpreting after 30 s");
        Assert.True(r.IsMatch(hit));
        Assert.False(r.IsMatch(miss));
    }

    [Fact]
    public void CatastrophicBacktrackingIsAnsweredByTheFastForm()
    {
        // Exponential for a backtracking engine on a run of 'a' that does not end the text; linear for NonBacktracking.
        var r = new LazyRegex("^(a+)+$", RegexOptions.CultureInvariant);
        string text = new string('a', 40) + "!";
        Assert.Throws<RegexMatchTimeoutException>(() => r.IsMatchInterpreted(text));
        Assert.False(r.IsMatch(text));
        Assert.True(r.IsFast);
        Assert.True(r.IsMatch(new string('a', 40)));
    }

    [Fact]
    public void BadPatternFailsAtLoad() =>
        Assert.ThrowsAny<ArgumentException>(() => new LazyRegex("(unclosed", RegexOptions.CultureInvariant));
}
