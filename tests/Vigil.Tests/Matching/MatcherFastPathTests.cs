using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;
using Xunit;

namespace Vigil.Tests.Matching;

/// <summary>
/// The matcher's shortcuts, each on events built to take it, answer as the plain rule loop does (and as written here):
/// presence atoms (a test that cannot hold without its field makes the rule a candidate only when one of the field's
/// names is present), tests with fieldmaps.yml names decided from the marks of the first present name, value tests on
/// absent fields answered without the evaluator, and integer values skipped by automata whose needles cannot occur in
/// an integer's text (field and keyword automata). Small rule set, so a divergence names its rule and event.
/// The collection-wide proofs are in <see cref="MatcherEquivalenceTests"/>.
/// </summary>
public class MatcherFastPathTests
{
    private static CompiledRule Rule(string title, string detection) => Assert.Single(RuleLoader.LoadText(
        $"title: {title}\nlogsource:\n    product: windows\n    service: security\ndetection:\n{detection}", title + ".yml").Rules);

    private static readonly CompiledRule[] Rules =
    [
        // Number needle: no text atom; LogonType (or a Winlogbeat name of it) must be present.
        Rule("logon type", "    sel:\n        LogonType: 3\n    condition: sel\n"),
        // Text atoms on CommandLine and its other names; the filter is decided from the same marks.
        Rule("alt names", "    sel:\n        CommandLine|contains: 'mimikatz'\n    filter:\n        CommandLine|contains: 'benign'\n    condition: sel and not filter\n"),
        // Integer values: the needle is made of digits, so integers must be scanned for it.
        Rule("pid suffix", "    sel:\n        ProcessId|endswith: '234'\n    condition: sel\n"),
        // Hex display: "0x3e7" contains "x3e7".
        Rule("hex logon id", "    sel:\n        SubjectLogonId|contains: 'x3e7'\n    condition: sel\n"),
        // A needle no integer text holds: integers are skipped for it (and must not match).
        Rule("pid text", "    sel:\n        ProcessId|contains: '12z'\n    condition: sel\n"),
        // Keyword searched in every field, an integer among them.
        Rule("hex keyword", "    keywords:\n        - 'x1f'\n    condition: keywords\n"),
        // exists: true, and CIDR: presence atoms.
        Rule("exists", "    sel:\n        TargetUserName|exists: true\n        EventID: 4720\n    condition: sel\n"),
        Rule("cidr", "    sel:\n        IpAddress|cidr: '10.0.0.0/8'\n    condition: sel\n"),
        // null: an absent field matches, so no presence atom may be derived from it.
        Rule("null", "    sel:\n        EventID: 4625\n        WorkstationName: null\n    condition: sel\n"),
    ];

    private static Event Ev(params (string Name, FieldValue Value)[] fields)
    {
        var e = new Event();
        e.Add("Channel", FieldValue.FromString("Security"));
        foreach (var (n, v) in fields) e.Add(n, v);
        return e;
    }

    private static FieldValue S(string s) => FieldValue.FromString(s);

    public static TheoryData<string, Event, string[]> Cases() => new()
    {
        { "logon type number", Ev(("EventID", FieldValue.FromInt64(4624)), ("LogonType", FieldValue.FromInt64(3))), ["logon type"] },
        { "logon type text", Ev(("LogonType", S("3"))), ["logon type"] },
        { "logon type other", Ev(("LogonType", FieldValue.FromInt64(2))), [] },
        { "logon type absent", Ev(("EventID", FieldValue.FromInt64(4624))), [] },
        { "logon type winlogbeat", Ev(("winlog.event_data.LogonType", FieldValue.FromInt64(3))), ["logon type"] },
        { "own name", Ev(("CommandLine", S("x MIMIKATZ y"))), ["alt names"] },
        { "own name filtered", Ev(("CommandLine", S("mimikatz benign"))), [] },
        { "alt name", Ev(("winlog.event_data.CommandLine", S("run mimikatz"))), ["alt names"] },
        { "alt name filtered", Ev(("winlog.event_data.CommandLine", S("mimikatz BENIGN"))), [] },
        // The own name wins over the other names wherever it stands in the event.
        { "own decoy first", Ev(("CommandLine", S("decoy")), ("winlog.event_data.CommandLine", S("mimikatz"))), [] },
        { "own decoy last", Ev(("winlog.event_data.CommandLine", S("mimikatz")), ("CommandLine", S("decoy"))), [] },
        { "own hit, alt decoy", Ev(("winlog.event_data.CommandLine", S("benign")), ("CommandLine", S("mimikatz"))), ["alt names"] },
        { "second alt", Ev(("winlog.user_data.CommandLine", S("mimikatz"))), ["alt names"] },
        { "first alt wins", Ev(("winlog.user_data.CommandLine", S("mimikatz")), ("winlog.event_data.CommandLine", S("other"))), [] },
        { "repeated own name", Ev(("CommandLine", S("a")), ("CommandLine", S("mimikatz"))), ["alt names"] },
        { "pid integer", Ev(("ProcessId", FieldValue.FromInt64(1234))), ["pid suffix"] },
        { "pid unsigned", Ev(("ProcessId", FieldValue.FromUInt64(99234))), ["pid suffix"] },
        { "pid text", Ev(("ProcessId", S("1234"))), ["pid suffix"] },
        { "pid other", Ev(("ProcessId", FieldValue.FromInt64(1235))), [] },
        { "pid text z", Ev(("ProcessId", S("a12z"))), ["pid text"] },
        { "hex id", Ev(("SubjectLogonId", FieldValue.FromUInt64(0x3e7, hex: true))), ["hex logon id"] },
        { "decimal id", Ev(("SubjectLogonId", FieldValue.FromUInt64(0x3e7))), [] },
        { "hex keyword", Ev(("Anything", FieldValue.FromInt64(0x1f, hex: true))), ["hex keyword"] },
        { "keyword in text", Ev(("Anything", S("0X1F"))), ["hex keyword"] },
        { "keyword decimal", Ev(("Anything", FieldValue.FromInt64(31))), [] },
        { "exists", Ev(("EventID", FieldValue.FromInt64(4720)), ("TargetUserName", S(""))), ["exists"] },
        { "exists absent", Ev(("EventID", FieldValue.FromInt64(4720))), [] },
        { "cidr", Ev(("IpAddress", S("10.1.2.3"))), ["cidr"] },
        { "cidr outside", Ev(("IpAddress", S("11.1.2.3"))), [] },
        { "null absent", Ev(("EventID", FieldValue.FromInt64(4625))), ["null"] },
        { "null empty", Ev(("EventID", FieldValue.FromInt64(4625)), ("WorkstationName", S(""))), ["null"] },
        { "null set", Ev(("EventID", FieldValue.FromInt64(4625)), ("WorkstationName", S("PC"))), [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_matcher_answers_as_the_plain_loop(string name, Event e, string[] expected)
    {
        var plain = Rules.Where(r => r.Matches(e)).Select(r => r.Rule.Title).Order().ToArray();
        Assert.Equal(expected.Order(), plain);   // the cases say what the rules mean
        foreach (var options in new[] { MatcherOptions.Default, new MatcherOptions(UseAtomTests: false), new MatcherOptions(UseIndex: false) })
        {
            var m = new CollectionMatcher(Rules, options);
            var scratch = m.CreateScratch();
            // Twice with the same scratch, another event in between: stamps, field table and caches must not leak.
            for (int pass = 0; pass < 2; pass++)
            {
                var hits = new List<int>();
                m.Match(e, scratch, hits);
                Assert.True(plain.SequenceEqual(hits.Select(r => Rules[r].Rule.Title).Order()),
                    $"{name} ({options}): matcher [{string.Join(", ", hits.Select(r => Rules[r].Rule.Title))}], plain loop [{string.Join(", ", plain)}]");
                m.Match(Ev(("CommandLine", S("mimikatz")), ("LogonType", FieldValue.FromInt64(3))), scratch, []);
            }
        }
    }

    [Fact]
    public void Presence_atoms_prefilter_rules_without_text_atoms_only_where_the_field_must_be_present()
    {
        var m = new CollectionMatcher(Rules);
        string[] prefiltered = [.. Enumerable.Range(0, Rules.Length).Where(m.HasPrefilter).Select(r => Rules[r].Rule.Title)];
        Assert.Contains("logon type", prefiltered);
        Assert.Contains("exists", prefiltered);
        Assert.Contains("cidr", prefiltered);
        // 'WorkstationName: null' is satisfied by an absent field; only its EventID (a number) gives presence.
        Assert.Contains("null", prefiltered);
    }

    [Fact]
    public void Integer_text_is_digits_minus_and_hex()
    {
        // The automata hold folded needles.
        static bool Integer(string needle) => CollectionMatcher.IntegerText(CaseFold.FoldNeedle(needle)!);
        Assert.True(Integer("0x3e7"));
        Assert.True(Integer("0X3E7"));
        Assert.True(Integer("-12"));
        Assert.True(Integer("ABCDEF"));
        Assert.False(Integer("12z"));
        Assert.False(Integer("1.5"));
        Assert.False(Integer("g"));
        Assert.False(Integer("\u212A"));   // KELVIN SIGN: not a hex digit under OrdinalIgnoreCase
    }
}
