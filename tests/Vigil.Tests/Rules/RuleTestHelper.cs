using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Tests.Rules;

/// <summary>Builds one-rule sets from a detection snippet and events from (name, value) pairs.</summary>
internal static class RuleTestHelper
{
    /// <summary>A rule with no routing constraint (unknown logsource), so only the detection decides.</summary>
    public static CompiledRule Rule(string detection, RuleLoadOptions? options = null, string logsource = "    product: test\n    category: unit")
    {
        var yaml = "title: unit test rule\nid: 00000000-0000-0000-0000-000000000001\nstatus: test\nlogsource:\n" + logsource
                   + "\ndetection:\n" + Indent(detection) + "\nlevel: low\n";
        var set = RuleLoader.LoadText(yaml, "unit.yml", options ?? new RuleLoadOptions());
        Assert.True(set.Errors.Count == 0, "rule errors: " + string.Join("; ", set.Errors) + "\n" + yaml);
        return Assert.Single(set.Rules);
    }

    public static RuleSet Load(string yaml, string file = "bad.yml") => RuleLoader.LoadText(yaml, file);

    public static string Indent(string s) => string.Join("\n", s.Replace("\r", "").Split('\n').Select(l => l.Length == 0 ? l : "    " + l));

    public static Event Ev(params (string Name, object? Value)[] fields)
    {
        var e = new Event { Format = "test" };
        foreach (var (name, value) in fields) e.Add(name, ToValue(value));
        return e;
    }

    public static FieldValue ToValue(object? v) => v switch
    {
        null => FieldValue.Null,
        string s => FieldValue.FromString(s),
        int i => FieldValue.FromInt64(i),
        long l => FieldValue.FromInt64(l),
        ulong u => FieldValue.FromUInt64(u),
        double d => FieldValue.FromDouble(d),
        bool b => FieldValue.FromBoolean(b),
        DateTime t => FieldValue.FromDateTime(t),
        FieldValue f => f,
        _ => throw new ArgumentException("unsupported test value " + v.GetType()),
    };

    /// <summary>Text stored as UTF-16LE bytes, the way the EVTX reader hands strings over.</summary>
    public static FieldValue Utf16(string s)
    {
        var bytes = new byte[s.Length * 2 + 6];
        System.Text.Encoding.Unicode.GetBytes(s, 0, s.Length, bytes, 4);
        return FieldValue.FromUtf16(bytes, 4, s.Length * 2);
    }
}
