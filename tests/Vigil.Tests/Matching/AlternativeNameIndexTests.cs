using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;
using Xunit;

namespace Vigil.Tests.Matching;

/// <summary>
/// An EventID (or Channel) test also reads the names fieldmaps.yml gives it (winlog.event_id, event.code), first present
/// wins, exactly as the candidate index reads the event's id. Such a test must narrow the index (a Winlogbeat event with
/// winlog.event_id 4624 is no candidate for a 4688 rule) when its names are the index's keys in the same order, and must
/// not when they differ. The matcher equivalence tests prove the answers stay those of the plain loop.
/// </summary>
public class AlternativeNameIndexTests
{
    private static CompiledRule Rule(string title, int eventId) => Assert.Single(RuleLoader.LoadText(
        $"title: {title}\nlogsource:\n    product: windows\n    service: security\ndetection:\n    sel:\n        EventID: {eventId}\n        TargetUserName: alice\n    condition: sel\n",
        title + ".yml").Rules);

    private static int[] Keys(IEnumerable<int> ids) => ids.Select(FieldNames.Key).ToArray();

    [Fact]
    public void The_id_test_constrains_the_index_when_its_names_are_the_index_keys()
    {
        var rule = Rule("logon", 4624);
        var route = Assert.Single(rule.Routes).Constraint;
        Assert.True(route.EventIds.Length == 0, "the route itself must not name the id, or this proves nothing");
        var reqs = RuleFacts.Requirements(rule, Keys(route.ChannelFields), Keys(route.EventIdFields));
        Assert.All(reqs, r => Assert.Equal([4624L], r.EventIds!.Order()));

        // The index reading the id under other names, or in another order, learns nothing from the test.
        var reversed = Keys(route.EventIdFields).Reverse().ToArray();
        Assert.All(RuleFacts.Requirements(rule, Keys(route.ChannelFields), reversed), r => Assert.Null(r.EventIds));
        Assert.All(RuleFacts.Requirements(rule, Keys(route.ChannelFields), [FieldNames.KeyOf("winlog.event_id")]), r => Assert.Null(r.EventIds));
    }

    [Fact]
    public void A_winlogbeat_event_is_a_candidate_only_for_its_ids_rules()
    {
        var rules = new[] { Rule("logon", 4624), Rule("process", 4688) };
        var m = new CollectionMatcher(rules);
        var e = new Event();
        e.Add("winlog.channel", FieldValue.FromString("Security"));
        e.Add("winlog.event_id", FieldValue.FromInt64(4624));
        e.Add("winlog.event_data.TargetUserName", FieldValue.FromString("alice"));
        var hits = new List<int>();
        m.Match(e, m.CreateScratch(), hits);
        Assert.Equal([0], hits);
        var bucket = Assert.Single(m.BucketStats());
        Assert.Equal(1, bucket.Rules);
    }
}
