using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules.Logsources;
using Xunit;

namespace Vigil.Tests.Matching;

/// <summary>The matcher answers each distinct route constraint once per event and reuses the answer for every
/// candidate rule with an equal constraint. <see cref="Key"/> is the reference relation its comparer is checked against
/// (<see cref="ConstraintComparerTests"/>): a key that ignored a member the constraint reads would let a wrong answer be
/// reused. Each member changed alone must change the key.</summary>
public class ConstraintKeyTests
{
    /// <summary>A constraint with every member set (shared with <see cref="ConstraintComparerTests"/>).</summary>
    internal static RouteConstraint Base() => new()
    {
        Channels = ["Security"],
        EventIds = [4688],
        Fields = [(FieldNames.Intern("Provider_Name"), "Microsoft-Windows-Security-Auditing")],
        Present = [FieldNames.Intern("NewProcessName")],
        Excluded = [([(FieldNames.Intern("_path"), "conn")], [FieldNames.Intern("id.orig_h")])],
        ChannelFields = [WellKnownFields.Channel, FieldNames.Intern("winlog.channel")],
        EventIdFields = [WellKnownFields.EventID],
        ChannelAbsentOrIn = null,
    };

    /// <summary>The reference relation for <see cref="RuleProgram.ConstraintComparer"/>: a text holding every member that
    /// <see cref="RouteConstraint.Matches"/> reads (the matcher numbered constraints by this key before the comparer).</summary>
    internal static string Key(RouteConstraint c)
    {
        var b = new System.Text.StringBuilder();
        void Texts(IEnumerable<string> xs) { foreach (var x in xs) b.Append(x.Length).Append(':').Append(x); b.Append('|'); }
        void Ints(IEnumerable<long> xs) { foreach (var x in xs) b.Append(x).Append(','); b.Append('|'); }
        void Pairs((int FieldId, string Value)[] xs) { foreach (var (f, v) in xs) b.Append(f).Append('=').Append(v.Length).Append(':').Append(v); b.Append('|'); }
        Texts(c.Channels);
        Ints(c.EventIds);
        Pairs(c.Fields);
        Ints(c.Present.Select(x => (long)x));
        foreach (var (eq, present) in c.Excluded) { Pairs(eq); Ints(present.Select(x => (long)x)); b.Append(';'); }
        b.Append('|');
        Ints(c.ChannelFields.Select(x => (long)x));
        Ints(c.EventIdFields.Select(x => (long)x));
        if (c.ChannelAbsentOrIn is { } guard) Texts(guard); else b.Append("null|");
        return b.ToString();
    }

    [Fact]
    public void Equal_constraints_share_a_key()
    {
        Assert.Equal(Key(Base()), Key(Base()));
    }

    [Fact]
    public void Every_member_is_part_of_the_key()
    {
        string key = Key(Base());
        var variants = new List<Action<RouteConstraint>>
        {
            c => c.Channels = ["System"],
            c => c.Channels = [],
            c => c.EventIds = [4689],
            c => c.EventIds = [4688, 1],
            c => c.Fields = [],
            c => c.Fields = [(FieldNames.Intern("Provider_Name"), "Other")],
            c => c.Present = [],
            c => c.Excluded = [],
            c => c.Excluded = [([(FieldNames.Intern("_path"), "dns")], [FieldNames.Intern("id.orig_h")])],
            c => c.ChannelFields = [WellKnownFields.Channel],
            c => c.EventIdFields = [WellKnownFields.EventID, FieldNames.Intern("winlog.event_id")],
            c => c.ChannelAbsentOrIn = [],
            c => c.ChannelAbsentOrIn = ["Security"],
        };
        var keys = new HashSet<string> { key };
        foreach (var change in variants)
        {
            var c = Base();
            change(c);
            Assert.True(keys.Add(Key(c)), $"a changed constraint kept an earlier key: {Key(c)}");
        }
    }

    [Fact]
    public void Texts_cannot_run_into_each_other()
    {
        var a = Base(); a.Channels = ["ab", "c"];
        var b = Base(); b.Channels = ["a", "bc"];
        Assert.NotEqual(Key(a), Key(b));
    }
}
