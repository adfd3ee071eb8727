using Vigil.Events;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Events;

/// <summary>Names keep the log's spelling in output; lookups and rules match them without case.</summary>
public class FieldNameTests
{
    [Fact]
    public void Spellings_that_differ_in_case_have_their_own_ids_and_share_a_key()
    {
        int lower = FieldNames.Intern("vigilTestField");
        int upper = FieldNames.Intern("VIGILTESTFIELD");
        Assert.NotEqual(lower, upper);
        Assert.Equal("vigilTestField", FieldNames.Name(lower));
        Assert.Equal("VIGILTESTFIELD", FieldNames.Name(upper));
        Assert.Equal(FieldNames.Key(lower), FieldNames.Key(upper));
        Assert.Equal(FieldNames.KeyOf("VigilTestField"), FieldNames.Key(lower));
    }

    [Fact]
    public void Lookup_is_case_insensitive_and_keeps_the_spelling()
    {
        var e = new Event();
        e.Add(FieldNames.Intern("eventID"), FieldValue.FromString("b3c1"));
        Assert.True(e.TryGet(FieldNames.Intern("EventID"), out var v));
        Assert.Equal("b3c1", v.ToString());
        Assert.Equal("eventID", e.NameAt(0));
        Assert.Equal(FieldNames.KeyOf("EVENTID"), e.KeyAt(0));
    }

    [Fact]
    public void Dump_writes_each_field_as_its_log_spelled_it()
    {
        var dir = CliRunner.TempDir("spelling");
        var path = Path.Combine(dir, "mixed.jsonl");
        File.WriteAllText(path, "{\"eventID\":\"guid-1\",\"EventID\":4624,\"eventName\":\"GetObject\"}\n");
        var r = CliRunner.Run("dump", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("{\"eventID\":\"guid-1\",\"EventID\":4624,\"eventName\":\"GetObject\"}", r.Out.Trim());
    }
}
