using System.Text;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Events;

/// <summary>These tests lower the process-wide name table's limits, so they run alone (no other test reads meanwhile).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FieldNameLimitCollection { public const string Name = "field-name-limit"; }

/// <summary>
/// The name table is bounded (<see cref="FieldNames.MaxNames"/>): names a reader meets after it fills are carried by
/// the event (<see cref="FieldNames.Unlisted"/>). Outputs, matching (case-insensitive, through the name's listed
/// class) and correlations must be what they are when every name is listed.
/// </summary>
[Collection(FieldNameLimitCollection.Name)]
public sealed class UnlistedNameTests
{
    /// <summary>Runs <paramref name="body"/> with the table full: no name a reader meets is added.</summary>
    private static T WithTableFull<T>(Func<T> body)
    {
        int names = FieldNames.MaxNames;
        long chars = FieldNames.MaxChars;
        FieldNames.MaxNames = FieldNames.Count;
        try { return body(); }
        finally { FieldNames.MaxNames = names; FieldNames.MaxChars = chars; }
    }

    [Fact]
    public void A_full_table_resolves_new_names_to_unlisted_with_their_class_key()
    {
        string g = Guid.NewGuid().ToString("N");
        int listed = FieldNames.Intern("VigilClass" + g);
        WithTableFull(() =>
        {
            int before = FieldNames.Count;
            Assert.Equal(-1, FieldNames.Resolve("fresh" + g, out int key));
            Assert.Equal(FieldNames.Unlisted, key);
            // A spelling of a listed class matches as that class.
            Assert.Equal(-1, FieldNames.Resolve("vigilclass" + g, out key));
            Assert.Equal(FieldNames.Key(listed), key);
            // Listed spellings resolve as ever.
            Assert.Equal(listed, FieldNames.Resolve("VigilClass" + g, out key));
            Assert.Equal(FieldNames.Key(listed), key);
            Assert.Equal(before, FieldNames.Count);
            // Rules' names (Intern) are added whatever the limit.
            int rule = FieldNames.Intern("VigilRule" + g);
            Assert.Equal(before, rule);
            Assert.Equal(before + 1, FieldNames.Count);
            // The unlisted id is reachable by no name.
            Assert.False(FieldNames.TryGet(FieldNames.Name(FieldNames.Unlisted), out int found) && found == FieldNames.Unlisted);
            return 0;
        });
        // The character budget fills the table too.
        long chars = FieldNames.MaxChars;
        FieldNames.MaxChars = 0;
        try { Assert.Equal(-1, FieldNames.Resolve("charsFull" + g, out _)); }
        finally { FieldNames.MaxChars = chars; }
        Assert.True(FieldNames.Resolve("roomAgain" + g, out _) >= 0);
    }

    [Fact]
    public void An_event_carries_unlisted_spellings_and_a_snapshot_keeps_them()
    {
        var e = new Event();
        int image = FieldNames.Intern("Image");
        var nameBuffer = "labels.pod-1labels.POD-2".ToCharArray();
        e.Add(image, FieldValue.FromString("a.exe"));
        int t1 = e.DeclareName(FieldValue.FromChars(nameBuffer, 0, 12), FieldNames.Unlisted);
        int t2 = e.DeclareName(FieldValue.FromChars(nameBuffer, 12, 12), FieldNames.Key(image));
        Assert.True(t1 <= -2 && t2 <= -2 && t1 != t2);
        e.Add(t1, FieldValue.FromString("x"));
        e.Add(t2, FieldValue.FromInt64(7));
        e.Add(t1, FieldValue.FromString("y"));
        Assert.Equal(["Image", "labels.pod-1", "labels.POD-2", "labels.pod-1"], Enumerable.Range(0, e.Count).Select(e.NameAt));
        Assert.Equal(FieldNames.Unlisted, e.IdAt(1));
        Assert.Equal(FieldNames.Key(image), e.KeyAt(2));
        // Matching by key: the second declared name matches as Image's class (after Image itself).
        Assert.Equal(["a.exe", "7"], [.. ValuesOf(e, image)]);
        Assert.Throws<ArgumentOutOfRangeException>(() => e.Add(-2 - 5, FieldValue.Null));

        var snapshot = EventSnapshot.FromData(EventSnapshot.Capture(e).Data.ToArray(), e.Count);
        Assert.Equal(["Image", "labels.pod-1", "labels.POD-2", "labels.pod-1"], snapshot.Select(f => f.Name));
        Assert.Equal(["a.exe", "x", "7", "y"], snapshot.Select(f => f.Value.ToString()));

        // A damaged name length is named with its byte, not read past.
        var data = EventSnapshot.Capture(e).Data.ToArray();
        int second = FirstUnlistedField(data);
        BitConverter.TryWriteBytes(data.AsSpan(second + 6), 1_000_000);
        var ex = Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(data, e.Count));
        Assert.Contains($"byte {second + 6 + 4}", ex.Message);
        BitConverter.TryWriteBytes(data.AsSpan(second + 6), 3);
        ex = Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(data, e.Count));
        Assert.Contains("name length 3 is invalid", ex.Message);

        e.Clear();
        Assert.Equal(0, e.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => e.Add(t1, FieldValue.Null));   // tokens die with the event
    }

    private static List<string> ValuesOf(Event e, int id)
    {
        var list = new List<string>();
        foreach (ref readonly var v in e.GetAll(id)) list.Add(v.ToString());
        return list;
    }

    private static int FirstUnlistedField(byte[] data)
    {
        // Image's field: header (6) + length (4) + "a.exe" (10) = 20 bytes, even.
        Assert.Equal(FieldNames.Unlisted, BitConverter.ToInt32(data, 20));
        return 20;
    }

    /// <summary>One day's JSON lines whose every unique name contains <paramref name="g"/>: new keys on each line (a
    /// label map keyed by pod), an array and nested objects under new keys, an escaped new key (the reader path), a
    /// field a rule uses spelled in another case, and a keyword only found under new keys.</summary>
    private static string Lines(string g)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 30; i++)
        {
            sb.Append("{\"EventID\":1,\"Channel\":\"Microsoft-Windows-Sysmon/Operational\",\"Computer\":\"ws")
              .Append(i % 3).Append("\",\"UtcTime\":\"2026-11-01 10:00:").Append((i % 60).ToString("00")).Append(".000\"")
              .Append(",\"labels\":{\"pod-").Append(g).Append('-').Append(i).Append("\":\"kw").Append(i % 5 == 0 ? "mark" + g : "plain").Append("\"}")
              .Append(",\"arr").Append(g).Append("\":[\"x\",{\"deep").Append(g).Append("\":").Append(i).Append("},[1,2]]")
              .Append(",\"vigilprobe").Append(g).Append("\":\"").Append(i % 2 == 0 ? "has marker" : "none").Append('"');
            if (i % 4 == 0) sb.Append(",\"esc\\u0041").Append(g).Append("\":true");
            if (i % 7 == 0) sb.Append(",\"VIGILPROBE").Append(g).Append("\":\"second spelling\"");
            sb.Append("}\n");
        }
        return sb.ToString();
    }

    private static string Rules(string g) => $$"""
        title: unlisted probe
        id: 5a000000-0000-0000-0000-000000000001
        name: unlistedprobe
        status: test
        level: high
        logsource:
            product: windows
            service: sysmon
        detection:
            sel:
                EventID: 1
                VigilProbe{{g}}|contains: marker
            condition: sel
        ---
        title: unlisted keyword
        id: 5a000000-0000-0000-0000-000000000002
        status: test
        level: medium
        logsource:
            product: windows
        detection:
            keywords:
                - 'kwmark{{g}}'
            condition: keywords
        ---
        title: unlisted probe burst
        id: 5a000000-0000-0000-0000-000000000003
        status: test
        level: high
        generate: true
        correlation:
            type: event_count
            rules:
                - unlistedprobe
            group-by:
                - Computer
                - VigilProbe{{g}}
            timespan: 10m
            condition:
                gte: 5
        ---
        title: unlisted probe, only correlated
        id: 5a000000-0000-0000-0000-000000000004
        name: unlistedprobe2
        status: test
        level: high
        logsource:
            product: windows
            service: sysmon
        detection:
            sel:
                EventID: 1
                VigilProbe{{g}}|contains: marker
            condition: sel
        ---
        title: unlisted probe burst, base not reported
        id: 5a000000-0000-0000-0000-000000000005
        status: test
        level: high
        correlation:
            type: event_count
            rules:
                - unlistedprobe2
            group-by:
                - Computer
                - VigilProbe{{g}}
            timespan: 10m
            condition:
                gte: 5
        """;

    /// <summary>dump and hunt (detections with their events, a correlation reading an unlisted spelling) over the same
    /// lines, once with the table full and once with room, the names made fresh each time: the outputs are the same.</summary>
    [Fact]
    public void Dump_and_hunt_give_the_same_output_whether_names_are_listed_or_not()
    {
        (string Dump, string Hunt) Run(string g, bool full)
        {
            var dir = CliRunner.TempDir("unlisted");
            var log = Path.Combine(dir, "day.jsonl");
            var rules = Path.Combine(dir, "rules.yml");
            File.WriteAllText(log, Lines(g));
            File.WriteAllText(rules, Rules(g));
            var hunt = Path.Combine(dir, "hunt.jsonl");
            (CliRunner.Result D, CliRunner.Result H) Both() =>
                (CliRunner.Run("dump", log), CliRunner.Run("hunt", log, "--no-builtin", "--rules", rules, "--output", hunt));
            var (d, h) = full ? WithTableFull(Both) : Both();
            Assert.True(d.ExitCode == 0, d.Error);
            Assert.True(h.ExitCode == 0, h.Error);
            return (d.Out.Replace(g, "G"), File.ReadAllText(hunt).Replace(dir, "DIR").Replace(g, "G"));
        }

        string g1 = Guid.NewGuid().ToString("N"), g2 = Guid.NewGuid().ToString("N");
        var (fullDump, fullHunt) = Run(g1, full: true);
        // The rules' names were added; the logs' were not.
        Assert.True(FieldNames.TryGet("VigilProbe" + g1, out _));
        Assert.False(FieldNames.TryGet("labels.pod-" + g1 + "-0", out _));
        Assert.False(FieldNames.TryGet("arr" + g1 + ".deep" + g1, out _));
        var (dump, hunt) = Run(g2, full: false);
        Assert.True(FieldNames.TryGet("labels.pod-" + g2 + "-0", out _), "with room, the logs' names are listed");

        Assert.Equal(dump, fullDump);
        Assert.Equal(hunt, fullHunt);
        // The outputs hold what the test is about.
        Assert.Contains("\"labels.pod-G-29\":\"kwplain\"", dump);
        Assert.Contains("\"arrG\":[\"x\",1,2],\"arrG.deepG\":0", dump);
        Assert.Contains("\"escAG\":true", dump);
        Assert.Contains("\"vigilprobeG\":\"has marker\"", dump);
        var lines = hunt.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(15, lines.Count(l => l.Contains("\"rule_title\":\"unlisted probe\"")));
        Assert.Equal(6, lines.Count(l => l.Contains("\"rule_title\":\"unlisted keyword\"")));
        Assert.Equal(3, lines.Count(l => l.Contains("\"rule_title\":\"unlisted probe burst\"")));
        // Detections that only feed a correlation keep the fields it reads (the worker's copy, not the snapshot's).
        Assert.Equal(0, lines.Count(l => l.Contains("\"rule_title\":\"unlisted probe, only correlated\"")));
        Assert.Equal(3, lines.Count(l => l.Contains("\"rule_title\":\"unlisted probe burst, base not reported\"")
            && l.Contains("\"VigilProbeG\":\"has marker\",\"event_count\":5")));
        Assert.Contains("\"VIGILPROBEG\":\"second spelling\"", hunt);
        Assert.Contains("\"VigilProbeG\":\"has marker\",\"event_count\":5", hunt);   // the group's value, read from the unlisted spelling
    }

    /// <summary>
    /// Every name the readers meet carried by its event, none by the table: dump, detections (SigmaHQ's Windows rules
    /// and the built-in ones) and campaigns over the real recordings (312 EVTX files, the OTRF JSON), a hand-built EVTX
    /// file with a substituted Data Name, and a simulated EVTX day with its intrusion, equal the normal run's.
    /// </summary>
    [Fact]
    public void Outputs_on_real_recordings_are_the_same_when_every_name_is_carried_by_its_event()
    {
        var dir = CliRunner.TempDir("unlist-every");
        var synthetic = Path.Combine(dir, "synthetic");
        Directory.CreateDirectory(synthetic);
        File.WriteAllBytes(Path.Combine(synthetic, "synthetic.evtx"), Vigil.Tests.Evtx.EvtxSyntheticTests.BuildFile());
        var day = Path.Combine(dir, "day");
        var sim = CliRunner.Run("simulate", "--out", day, "--format", "evtx", "--events", "20000", "--seed", "7");
        Assert.True(sim.ExitCode == 0, sim.Error);
        string windows = Path.Combine(TestPaths.Shared, "data", "sigma", "rules", "windows");
        string[][] inputs =
        [
            [Path.Combine(TestPaths.Shared, "data", "evtx"), synthetic],
            [Path.Combine(TestPaths.Shared, "data", "json", "otrf")],
            [day],
        ];
        for (int k = 0; k < inputs.Length; k++)
        {
            string Run(bool unlistEvery)
            {
                string tag = $"{k}-{unlistEvery}";
                var hunt = Path.Combine(dir, $"hunt-{tag}.jsonl");
                var campaigns = Path.Combine(dir, $"campaigns-{tag}.json");
                FieldNames.UnlistEvery = unlistEvery;
                try
                {
                    var d = CliRunner.Run(["dump", .. inputs[k]]);
                    Assert.True(d.ExitCode == 0, d.Error);
                    var h = CliRunner.Run(["hunt", .. inputs[k], "--rules", windows, "--output", hunt, "--campaigns", campaigns]);
                    Assert.True(h.ExitCode == 0, h.Error);
                    return d.Out + "\n" + File.ReadAllText(hunt) + "\n" + File.ReadAllText(campaigns);
                }
                finally { FieldNames.UnlistEvery = false; }
            }
            string normal = Run(false);
            int names = FieldNames.Count;
            string carried = Run(true);
            Assert.Equal(names, FieldNames.Count);   // nothing listed from the logs meanwhile
            Assert.True(normal == carried, $"input set {k}: outputs differ (first at {FirstDifference(normal, carried)})");
            Assert.Contains("\"rule_id\"", normal);
        }
    }

    private static string FirstDifference(string a, string b)
    {
        int i = 0;
        while (i < a.Length && i < b.Length && a[i] == b[i]) i++;
        int from = Math.Max(0, i - 80);
        return $"char {i}: '{a[from..Math.Min(a.Length, i + 80)]}' / '{b[from..Math.Min(b.Length, i + 80)]}'";
    }
}
