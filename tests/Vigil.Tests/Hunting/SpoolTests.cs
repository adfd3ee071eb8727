using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Outputs;
using Vigil.Readers;
using Vigil.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Hunting;

/// <summary>Simulated telemetry (20,000 events) written once for the spool tests.</summary>
public sealed class SpoolFixture : IDisposable
{
    public string SimDir { get; } = Path.Combine(Path.GetTempPath(), "vigil-spool-sim-" + Guid.NewGuid().ToString("N"));

    public SpoolFixture()
    {
        Vigil.Simulation.Simulator.Run(new Vigil.Simulation.SimulationOptions { OutDir = SimDir, Events = 20000, Seed = 11 });
    }

    public void Dispose()
    {
        try { Directory.Delete(SimDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The detection spool (external sort of a hunt's detections): a tiny memory threshold, forcing many sorted runs on
/// disk (and merges of runs in tiers of <see cref="SpoolOptions.MergeFanIn"/>), must give byte-identical output to the hunt that
/// keeps everything in memory; temp files must be gone afterwards; every value kind must round-trip.
/// </summary>
public sealed class SpoolTests(SpoolFixture fx, ITestOutputHelper output) : IClassFixture<SpoolFixture>
{
    private static string Data => Path.Combine(TestPaths.Shared, "data");
    private static string Sigma => Path.Combine(Data, "sigma");

    private (byte[] Jsonl, byte[] Csv, long Count, int Spills) Hunt(string input, IReadOnlyList<CompiledRule> rules, SpoolOptions? spool, RuleSet? set = null)
    {
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([input], LogFormats.All, diag);
        byte[] Write(string format, out long count, out int spills, out string? tempDir)
        {
            using var result = Hunter.Run(files, rules, diag, degree: 2, correlate: set, spool: spool);
            var ms = new MemoryStream();
            DetectionWriters.Write(format, result.Detections, ms);
            count = result.Detections.Count;
            spills = result.Detections.Spills;
            tempDir = result.Detections.TempDirectory;
            if (tempDir != null) Assert.False(Directory.Exists(tempDir), $"spool folder {tempDir} left behind");
            return ms.ToArray();
        }
        var jsonl = Write("jsonl", out long n, out int spills, out _);
        var csv = Write("csv", out long n2, out _, out _);
        Assert.Equal(n, n2);
        return (jsonl, csv, n, spills);
    }

    private string AssertSame(string input, IReadOnlyList<CompiledRule> rules, RuleSet? set = null)
    {
        var memory = Hunt(input, rules, new SpoolOptions(MaxBufferBytes: long.MaxValue), set); // never spills
        var disk = Hunt(input, rules, new SpoolOptions(MaxBufferBytes: 10_000), set);
        output.WriteLine($"{input}: {memory.Count} detections; {disk.Spills} runs spilled with the tiny buffer");
        Assert.True(memory.Count > 50, $"too few detections ({memory.Count}) to test anything");
        Assert.Equal(0, memory.Spills);
        Assert.True(disk.Spills > 3, $"only {disk.Spills} runs were spilled");
        Assert.Equal(memory.Count, disk.Count);
        Assert.Equal(Lines(memory.Jsonl), Lines(disk.Jsonl));
        Assert.Equal(Lines(memory.Csv), Lines(disk.Csv));
        Assert.True(memory.Jsonl.AsSpan().SequenceEqual(disk.Jsonl));
        Assert.True(memory.Csv.AsSpan().SequenceEqual(disk.Csv));
        return System.Text.Encoding.UTF8.GetString(memory.Jsonl);
    }

    private static string[] Lines(byte[] b) => System.Text.Encoding.UTF8.GetString(b).Split('\n');

    [Fact]
    public void SimulatedDataWithBuiltinRulesIsIdenticalSpilledOrNot() =>
        AssertSame(fx.SimDir, RuleLoader.Load([], includeBuiltin: true).Rules);

    [Fact]
    public void SampleEvtxWithBuiltinRulesIsIdenticalSpilledOrNot() =>
        AssertSame(Path.Combine(Data, "evtx"), RuleLoader.Load([], includeBuiltin: true).Rules);

    [Fact]
    public void SigmaHqWindowsRulesOnSimulatedDataAndEvtxAreIdenticalSpilledOrNot()
    {
        var set = RuleLoader.Load([Path.Combine(Sigma, "rules", "windows")], includeBuiltin: false);
        Assert.True(set.Rules.Count > 1000);
        AssertSame(fx.SimDir, set.Rules, set);
        AssertSame(Path.Combine(Data, "evtx"), set.Rules, set);
    }

    /// <summary>Correlations: base detections of a correlated rule are held in memory, the correlation's output goes
    /// through the spool with everything else; still identical.</summary>
    [Fact]
    public void CorrelationsWithBuiltinRulesAreIdenticalSpilledOrNot()
    {
        string dir = Path.Combine(Path.GetTempPath(), "vigil-spool-corr-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "corr.yml"), """
                title: corr spool burst
                id: 10000000-0000-0000-0000-0000000000bb
                status: test
                level: high
                generate: true
                correlation:
                    type: event_count
                    rules:
                        - spoolproc
                    group-by:
                        - Computer
                    timespan: 10m
                    condition:
                        gte: 5
                ---
                title: base spool process
                name: spoolproc
                id: 30000000-0000-0000-0000-000000000001
                status: test
                level: low
                logsource:
                    product: windows
                    service: sysmon
                detection:
                    sel:
                        EventID: 1
                    condition: sel
                """);
            var set = RuleLoader.Load([Path.Combine(dir, "corr.yml")], includeBuiltin: true);
            Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
            // This one plus the built-in correlations (failed-logon burst, S3 reads, sweep).
            Assert.Single(set.Correlations, c => c.Meta.Title == "corr spool burst");
            string jsonl = AssertSame(fx.SimDir, set.Rules, set);
            Assert.Contains("\"rule_title\":\"corr spool burst\"", jsonl);
            Assert.Contains("\"rule_title\":\"base spool process\"", jsonl);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void InMemoryOrderIsTheDetectionOrder()
    {
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([fx.SimDir], LogFormats.All, diag);
        using var result = Hunter.Run(files, RuleLoader.Load([], includeBuiltin: true).Rules, diag, degree: 2,
            spool: new SpoolOptions(MaxBufferBytes: 100_000));
        var list = result.Detections.ToList();
        Assert.Equal(result.Detections.Count, list.Count);
        for (int i = 1; i < list.Count; i++) Assert.True(Detection.Compare(list[i - 1], list[i]) <= 0, $"detections {i - 1} and {i} out of order");
        Assert.Throws<InvalidOperationException>(() => result.Detections.ToList());
    }

    [Fact]
    public void TempFilesAreDeletedWhenTheStreamIsAbandonedOrDisposed()
    {
        string tmp = Path.Combine(Path.GetTempPath(), "vigil-spool-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            var diag = new DiagnosticsCollector();
            var files = InputFiles.Expand([fx.SimDir], LogFormats.All, diag);
            var rules = RuleLoader.Load([], includeBuiltin: true).Rules;
            var opts = new SpoolOptions(MaxBufferBytes: 100_000, TempDirectory: tmp);
            // Read a few, then stop: the enumerator's disposal deletes the runs.
            using (var r = Hunter.Run(files, rules, diag, degree: 2, spool: opts))
            {
                Assert.True(r.Detections.Spills > 1);
                Assert.NotEmpty(Directory.GetFiles(r.Detections.TempDirectory!));
                Assert.Equal(5, r.Detections.Take(5).Count());
                Assert.Empty(Directory.GetFileSystemEntries(tmp));
            }
            // Never read: disposing the result deletes them.
            var r2 = Hunter.Run(files, rules, diag, degree: 2, spool: opts);
            Assert.NotEmpty(Directory.GetFileSystemEntries(tmp));
            r2.Dispose();
            Assert.Empty(Directory.GetFileSystemEntries(tmp));
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }

    /// <summary>300 one-detection runs: 18 merges of 16 tier-0 runs into tier 1, one of 16 tier-1 runs into tier 2; 12 + 2 + 1
    /// runs are left for the drain, which gives a stable sort of everything added (equal keys in the order added).</summary>
    [Fact]
    public void RunsAreMergedInTiersAndTheOrderIsAStableSort()
    {
        var rules = new[] { new SigmaRule { Id = "a", Title = "a", Level = "low" }, new SigmaRule { Id = "b", Title = "b", Level = "low" } };
        var fields = Snapshot([new("X", FieldValue.FromString("x"))]);
        var rng = new Random(5);
        var input = new List<Detection>();
        for (int i = 0; i < 300; i++)
            input.Add(new Detection
            {
                Rule = rules[rng.Next(2)], TimestampTicks = 638_000_000_000_000_000 + rng.Next(40), Computer = "PC" + i, Channel = "Security",
                Origin = new EventOrigin("src", rng.Next(3) * 100, 0), Fields = fields,
            });
        using var spool = new DetectionSpool(new SpoolOptions(MaxBufferBytes: 1));
        foreach (var d in input) spool.Add(d);
        Assert.Equal(300 + 18 + 1, spool.Spills);
        Assert.Equal(12 + 2 + 1, spool.RunCount);
        var expected = input.Select((d, i) => (d, i)).OrderBy(x => x.d, Comparer<Detection>.Create(Detection.Compare)).ThenBy(x => x.i)
            .Select(x => x.d.Computer).ToList();
        Assert.Equal(expected, spool.Drain().Select(d => d.Computer).ToList());
    }

    /// <summary>The buffer sorts its detections by keys of numbers (source and rule by their number in the spool's tables,
    /// compared by text) before a run is written: the order is the stable sort by <see cref="Detection.Compare"/>, each
    /// detection with its own fields. Sources and rules first seen in the reverse of their text order, equal times,
    /// offsets, lines and rule ids, runs of many detections (a buffer of 20 KB) and none (everything in memory).</summary>
    [Theory]
    [InlineData(20_000L)]
    [InlineData(SpoolOptions.DefaultMaxBufferBytes)]
    public void BufferedDetectionsSortByTheirKeysLikeDetectionCompare(long bufferBytes)
    {
        var rng = new Random(12);
        string[] sources = ["z.jsonl", "m.evtx", "a.jsonl"];
        var rules = new[] { "rc", "rb", "ra", "rb" }.Select((id, k) => new SigmaRule { Id = id, Title = "t" + k, Level = "low" }).ToArray();
        var input = new List<Detection>();
        for (int ev = 0; ev < 1_500; ev++)
        {
            // An event: its fields shared by its detections, which come one after another.
            var fields = Snapshot([new("N", FieldValue.FromInt64(ev))]);
            long ticks = 638_000_000_000_000_000 + rng.Next(30);
            var origin = new EventOrigin(sources[rng.Next(sources.Length)], rng.Next(4) * 100, rng.Next(3));
            foreach (var rule in rules.Where(_ => rng.Next(3) == 0))
                input.Add(new Detection { Rule = rule, TimestampTicks = ticks, Computer = "PC" + ev, Channel = "Security", Origin = origin, Fields = fields });
        }
        using var spool = new DetectionSpool(new SpoolOptions(MaxBufferBytes: bufferBytes));
        foreach (var d in input) spool.Add(d);
        if (bufferBytes < SpoolOptions.DefaultMaxBufferBytes) Assert.InRange(spool.Spills, 3, input.Count / 20);
        else Assert.Equal(0, spool.Spills);
        var expected = input.Select((d, i) => (d, i)).OrderBy(x => x.d, Comparer<Detection>.Create(Detection.Compare)).ThenBy(x => x.i)
            .Select(x => $"{x.d.Computer} {x.d.Rule.Title} {x.d.Fields[0].Value}").ToList();
        Assert.Equal(expected, spool.Drain().Select(d => $"{d.Computer} {d.Rule.Title} {d.Fields[0].Value}").ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryValueKindRoundTrips(bool asSnapshot)
    {
        var rule = new SigmaRule { Id = "r1", Title = "t", Level = "high" };
        var other = new SigmaRule { Id = "r0", Title = "t0", Level = "weird" };
        byte[] guid = Guid.Parse("0c0f1b7e-1b5a-4f55-9b4f-3a9c1d2e4f60").ToByteArray();
        byte[] sid = [1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0];
        EventField[] fields =
        [
            new("S", FieldValue.FromString("héllo \"x\" \ud800 end")), new("Empty", FieldValue.FromString("")),
            new("I", FieldValue.FromInt64(-42)), new("H", FieldValue.FromInt64(0x1F4, hex: true)),
            new("U", FieldValue.FromUInt64(ulong.MaxValue)), new("UH", FieldValue.FromUInt64(0xDEAD, hex: true)),
            new("D", FieldValue.FromDouble(3.25)), new("NaN", FieldValue.FromDouble(double.NaN)),
            new("B", FieldValue.FromBoolean(true)), new("F", FieldValue.FromBoolean(false)),
            new("T", FieldValue.FromDateTime(new DateTime(2024, 2, 29, 13, 14, 15, 123, DateTimeKind.Utc).AddTicks(4567))),
            new("N", FieldValue.Null), new("J", FieldValue.FromRawJson("{\"a\":[1,2,{\"b\":null}]}")),
            new("G", FieldValue.FromGuidBytes(guid, 0)), new("Sid", FieldValue.FromSidBytes(sid, 0, sid.Length)),
            new("Bin", FieldValue.FromBinary([0, 1, 0xAB, 0xFF], 0, 4)),
        ];
        // The hunt's detections hold an EventSnapshot (one block, spool tag 2); correlation detections an array (tag 1).
        IReadOnlyList<EventField> held = asSnapshot ? Snapshot(fields) : fields;
        var spool = new DetectionSpool(new SpoolOptions(MaxBufferBytes: 1)); // every Add spills a run
        var input = new List<Detection>();
        for (int i = 0; i < 40; i++)
            foreach (var r in new[] { rule, other })
                input.Add(new Detection
                {
                    Rule = r, TimestampTicks = i % 3 == 0 ? 0 : 638_000_000_000_000_000 + (39 - i) / 2, Computer = "PC" + i, Channel = "Security",
                    EventId = i % 2 == 0 ? 4688 : null, RecordId = i % 4 == 0 ? null : i, Origin = new EventOrigin("src" + (i % 2), i * 100, i % 2),
                    Fields = held,
                });
        foreach (var d in input) spool.Add(d);
        // 80 runs, one per detection; every 16 of them merged into one of the next tier (5 merges), which leaves those 5.
        Assert.Equal(85, spool.Spills);
        Assert.Equal(5, spool.RunCount);
        var back = spool.Drain().ToList();
        Assert.False(Directory.Exists(spool.TempDirectory));
        var expected = input.Select((d, i) => (d, i)).OrderBy(x => x.d, Comparer<Detection>.Create(Detection.Compare)).ThenBy(x => x.i).Select(x => x.d).ToList();
        Assert.Equal(expected.Count, back.Count);
        for (int i = 0; i < back.Count; i++)
        {
            var (e, b) = (expected[i], back[i]);
            Assert.Same(e.Rule, b.Rule);
            Assert.Equal((e.TimestampTicks, e.Computer, e.Channel, e.EventId, e.RecordId, e.Origin), (b.TimestampTicks, b.Computer, b.Channel, b.EventId, b.RecordId, b.Origin));
            Assert.Equal(e.Fields.Count, b.Fields.Count);
            Assert.Equal(asSnapshot, b.Fields is EventSnapshot);
            for (int f = 0; f < e.Fields.Count; f++)
            {
                var (x, y) = (e.Fields[f].Value, b.Fields[f].Value);
                Assert.Equal(e.Fields[f].Name, b.Fields[f].Name);
                Assert.Equal(x.Kind, y.Kind);
                Assert.Equal(x.IsHex, y.IsHex);
                Assert.Equal(x.ToString(), y.ToString());
                Assert.True(x.RawBytes.SequenceEqual(y.RawBytes));
                Assert.Equal(Json(x), Json(y));
            }
        }
        // The same detections written either way give the same bytes.
        var a = new MemoryStream(); DetectionWriters.WriteJsonl(expected, a);
        var c = new MemoryStream(); DetectionWriters.WriteJsonl(back, c);
        Assert.Equal(a.ToArray(), c.ToArray());
    }

    private static EventSnapshot Snapshot(IReadOnlyList<EventField> fields)
    {
        var e = new Event();
        foreach (var f in fields) e.Add(FieldNames.Intern(f.Name), f.Value);
        return EventSnapshot.Capture(e);
    }

    private static string EventObject(IReadOnlyList<EventField> fields)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, EventJson.WriterOptions))
        {
            w.WriteStartObject();
            EventJson.WriteFields(fields, w);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void ASnapshotReadsBackAsItsEventAndWritesTheSameJson()
    {
        // Repeated names (array elements, unnamed EventData items), a raw container before its leaves, every kind.
        EventField[] fields =
        [
            new("Data", FieldValue.FromString("one")), new("Image", FieldValue.FromString("C:\\x.exe")), new("Data", FieldValue.FromInt64(2)),
            new("tags", FieldValue.FromRawJson("[\"a\",\"b\"]")), new("tags", FieldValue.FromString("a")), new("tags", FieldValue.FromString("b")),
            new("obj", FieldValue.FromRawJson("{\"k\":1}")), new("obj.k", FieldValue.FromInt64(1)), new("empty", FieldValue.FromRawJson("[]")),
            new("odd", FieldValue.FromBinary([1, 2, 3], 0, 3)), new("after", FieldValue.FromString("é\ud800")), new("b", FieldValue.FromBoolean(true)),
            new("n", FieldValue.Null), new("d", FieldValue.FromDouble(-0.5)), new("h", FieldValue.FromUInt64(0xBEEF, hex: true)),
        ];
        var s = Snapshot(fields);
        Assert.Equal(fields.Length, s.Count);
        for (int i = 0; i < fields.Length; i++)
        {
            Assert.Equal(fields[i].Name, s[i].Name);
            Assert.Equal(fields[i].Value.Kind, s[i].Value.Kind);
            Assert.Equal(fields[i].Value.IsHex, s[i].Value.IsHex);
            Assert.Equal(fields[i].Value.ToString(), s[i].Value.ToString());
            Assert.True(fields[i].Value.RawBytes.SequenceEqual(s[i].Value.RawBytes));
        }
        // The writer's in-place path (ids, no strings) and its list path give the same object, flattened containers
        // written through their leaves only.
        string json = EventObject(s);
        Assert.Equal(EventObject(fields), json);
        Assert.Equal(EventObject([.. s]), json);
        Assert.StartsWith("{\"Data\":[\"one\",2],\"Image\":\"C:\\\\x.exe\",\"tags\":[\"a\",\"b\"],\"obj.k\":1,\"empty\":[],", json);
    }

    [Fact]
    public void ADamagedSnapshotBlockIsReportedNotRead()
    {
        var s = Snapshot([new("A", FieldValue.FromString("abc")), new("B", FieldValue.FromInt64(7))]);
        var good = s.Data.ToArray();
        Assert.Equal(2, EventSnapshot.FromData(good, 2).Count);
        var longText = (byte[])good.Clone();
        longText[6] = 200;   // A's text length now runs past the block
        Assert.Contains("past the end", Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(longText, 2)).Message);
        var badKind = (byte[])good.Clone();
        badKind[4] = 99;
        Assert.Contains("unknown value kind 99", Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(badKind, 2)).Message);
        Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(good, 3));        // a field more than the block holds
        Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(good, 1));        // bytes left after the last field
        Assert.Throws<InvalidDataException>(() => EventSnapshot.FromData(good[..^2], 2));  // cut short
    }

    private static string Json(FieldValue v)
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) v.WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
