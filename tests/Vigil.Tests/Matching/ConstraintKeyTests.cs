using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules.Logsources;
using Xunit;

namespace Vigil.Tests.Matching;

/// <summary>The matcher answers each distinct route constraint once per event and reuses the answer for every
/// candidate rule with an equal <see cref="RuleProgram.ConstraintKey"/>: a key that ignored a member the constraint
/// reads would reuse a wrong answer. Each member changed alone must change the key.</summary>
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

    [Fact]
    public void Equal_constraints_share_a_key()
    {
        Assert.Equal(RuleProgram.ConstraintKey(Base()), RuleProgram.ConstraintKey(Base()));
    }

    [Fact]
    public void Every_member_is_part_of_the_key()
    {
        string key = RuleProgram.ConstraintKey(Base());
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
            Assert.True(keys.Add(RuleProgram.ConstraintKey(c)), $"a changed constraint kept an earlier key: {RuleProgram.ConstraintKey(c)}");
        }
    }

    [Fact]
    public void Texts_cannot_run_into_each_other()
    {
        var a = Base(); a.Channels = ["ab", "c"];
        var b = Base(); b.Channels = ["a", "bc"];
        Assert.NotEqual(RuleProgram.ConstraintKey(a), RuleProgram.ConstraintKey(b));
    }
}
