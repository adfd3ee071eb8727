using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;
using Vigil.Rules.Logsources;
using Vigil.Tests.Rules;
using Xunit;

namespace Vigil.Tests.Matching;

/// <summary>
/// The matcher numbers route constraints with <see cref="RuleProgram.ConstraintComparer"/> (no key strings). It must be
/// exactly the relation "equal <see cref="ConstraintKeyTests.Key"/>": a comparer that called two different constraints
/// equal would reuse a wrong routing answer, one that split equal constraints would only cost time (and would show that
/// the two disagree). Checked on each member changed alone and on every route of the full collection.
/// </summary>
public class ConstraintComparerTests
{
    private static RouteConstraint Base() => ConstraintKeyTests.Base();

    private static readonly RuleProgram.ConstraintComparer Cmp = RuleProgram.ConstraintComparer.Instance;

    [Fact]
    public void Every_member_is_compared()
    {
        Assert.True(Cmp.Equals(Base(), Base()));
        Assert.Equal(Cmp.GetHashCode(Base()), Cmp.GetHashCode(Base()));
        var variants = new List<Action<RouteConstraint>>
        {
            c => c.Channels = ["System"],
            c => c.Channels = ["security"],   // texts exactly, as the key does
            c => c.Channels = [],
            c => c.EventIds = [4689],
            c => c.EventIds = [4688, 1],
            c => c.Fields = [],
            c => c.Fields = [(FieldNames.Intern("Provider_Name"), "Other")],
            c => c.Fields = [(FieldNames.Intern("Provider_Guid"), "Microsoft-Windows-Security-Auditing")],
            c => c.Present = [],
            c => c.Present = [FieldNames.Intern("CommandLine")],
            c => c.Excluded = [],
            c => c.Excluded = [([(FieldNames.Intern("_path"), "dns")], [FieldNames.Intern("id.orig_h")])],
            c => c.Excluded = [([(FieldNames.Intern("_path"), "conn")], [])],
            c => c.ChannelFields = [WellKnownFields.Channel],
            c => c.EventIdFields = [WellKnownFields.EventID, FieldNames.Intern("winlog.event_id")],
            c => c.ChannelAbsentOrIn = [],
            c => c.ChannelAbsentOrIn = ["Security"],
        };
        foreach (var change in variants)
        {
            var c = Base();
            change(c);
            Assert.NotEqual(ConstraintKeyTests.Key(Base()), ConstraintKeyTests.Key(c));
            Assert.False(Cmp.Equals(Base(), c), $"a changed constraint compared equal: {ConstraintKeyTests.Key(c)}");
            Assert.False(Cmp.Equals(c, Base()));
        }
    }

    [Fact]
    public void The_collections_routes_are_grouped_as_by_key()
    {
        var folders = CollectionTests.Folders.Select(f => Path.Combine(CollectionTests.SigmaDir, f)).Where(Directory.Exists).ToList();
        var rules = RuleLoader.Load(folders, includeBuiltin: true, CollectionTests.PlaceholderOptions).Rules;
        var constraints = rules.SelectMany(r => r.Routes).Select(r => r.Constraint).ToList();
        Assert.True(constraints.Count > 1000, $"only {constraints.Count} routes");
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var byComparer = new Dictionary<RouteConstraint, int>(Cmp);
        foreach (var c in constraints)
        {
            string key = ConstraintKeyTests.Key(c);
            if (!byKey.TryGetValue(key, out int k)) byKey[key] = k = byKey.Count;
            if (!byComparer.TryGetValue(c, out int m)) byComparer[c] = m = byComparer.Count;
            // Both number groups in order of first appearance: equal partitions give equal numbers.
            Assert.Equal(k, m);
        }
        Assert.True(byKey.Count > 10 && byKey.Count < constraints.Count, $"{byKey.Count} distinct of {constraints.Count}: the check proves little");
    }
}
