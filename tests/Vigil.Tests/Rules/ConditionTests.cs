using static Vigil.Tests.Rules.RuleTestHelper;

namespace Vigil.Tests.Rules;

/// <summary>Condition forms and precedence: not &gt; and &gt; or, "x of", parentheses, condition lists.</summary>
public class ConditionTests
{
    private const string Searches = "sel_a:\n    A: 1\nsel_b:\n    B: 1\nfilter_c:\n    C: 1\n_hidden:\n    H: 1\n";

    private static bool Eval(string condition, params string[] present)
    {
        var r = Rule(Searches + "condition: " + condition);
        return r.Matches(Ev(present.Select(p => (p, (object?)1L)).ToArray()));
    }

    [Fact]
    public void AndOrNot()
    {
        Assert.True(Eval("sel_a and sel_b", "A", "B"));
        Assert.False(Eval("sel_a and sel_b", "A"));
        Assert.True(Eval("sel_a or sel_b", "B"));
        Assert.False(Eval("sel_a or sel_b", "C"));
        Assert.True(Eval("sel_a and not filter_c", "A"));
        Assert.False(Eval("sel_a and not filter_c", "A", "C"));
        Assert.True(Eval("not not sel_a", "A"));
        Assert.True(Eval("sel_a AND NOT filter_c", "A"));   // keywords are case-insensitive
    }

    [Fact]
    public void Precedence()
    {
        // or binds loosest: a or (b and c)
        Assert.True(Eval("sel_a or sel_b and filter_c", "A"));
        Assert.False(Eval("sel_a or sel_b and filter_c", "B"));
        // parentheses override
        Assert.False(Eval("(sel_a or sel_b) and filter_c", "A"));
        Assert.True(Eval("(sel_a or sel_b) and filter_c", "A", "C"));
        // not binds tighter than and: (not a) and b
        Assert.True(Eval("not sel_a and sel_b", "B"));
        Assert.False(Eval("not sel_a and sel_b", "A", "B"));
        Assert.True(Eval("not (sel_a and sel_b)", "A"));
        Assert.True(Eval("((sel_a))", "A"));
    }

    [Fact]
    public void OfPatterns()
    {
        Assert.True(Eval("1 of sel_*", "B"));
        Assert.False(Eval("1 of sel_*", "C"));
        Assert.True(Eval("all of sel_*", "A", "B"));
        Assert.False(Eval("all of sel_*", "A"));
        Assert.True(Eval("1 of sel_* and not 1 of filter_*", "A"));
        Assert.False(Eval("1 of sel_* and not 1 of filter_*", "A", "C"));
        Assert.True(Eval("1 of sel*", "A"));
        Assert.True(Eval("1 of *_b", "B"));
    }

    [Fact]
    public void ThemExcludesUnderscoreIdentifiers()
    {
        Assert.True(Eval("1 of them", "C"));
        Assert.False(Eval("1 of them", "H"));               // _hidden is not part of "them"
        Assert.True(Eval("all of them", "A", "B", "C"));     // H not needed
        Assert.False(Eval("all of them", "A", "B"));
        Assert.True(Eval("_hidden", "H"));                  // still usable by name
    }

    [Fact]
    public void ConditionListIsOr()
    {
        var r = Rule(Searches + "condition:\n    - sel_a and sel_b\n    - filter_c");
        Assert.True(r.Matches(Ev(("C", 1L))));
        Assert.True(r.Matches(Ev(("A", 1L), ("B", 1L))));
        Assert.False(r.Matches(Ev(("A", 1L))));
    }
}
