using System.Collections.Concurrent;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;
using Vigil.Tests.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Matching;

/// <summary>The full SigmaHQ collection (all folders, placeholders filled) and the shared event data, loaded once.</summary>
public sealed class CollectionFixture : IDisposable
{
    private readonly string _simDir = Path.Combine(Path.GetTempPath(), "vigil-match-sim-" + Guid.NewGuid().ToString("N"));

    public IReadOnlyList<CompiledRule> Rules { get; }
    /// <summary>Corpus name → events copied out of the readers (so they can be matched many times).</summary>
    public IReadOnlyDictionary<string, List<Event>> Corpora { get; }

    public CollectionFixture()
    {
        var folders = CollectionTests.Folders.Append("rules-placeholder")
            .Select(f => Path.Combine(CollectionTests.SigmaDir, f)).Where(Directory.Exists).ToList();
        Rules = RuleLoader.Load(folders, includeBuiltin: true, CollectionTests.PlaceholderOptions).Rules;
        string data = Path.Combine(TestPaths.Shared, "data");
        string regression = Path.Combine(CollectionTests.SigmaDir, "regression_data");
        Corpora = new Dictionary<string, List<Event>>
        {
            // The regression data twice: as SigmaHQ's JSON form (numbers stay numbers) and through the EVTX reader.
            ["regression-json"] = Directory.EnumerateFiles(regression, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                .SelectMany(EvtxJson.ReadFile).ToList(),
            ["regression-evtx"] = Read(regression),
            ["sample-evtx"] = Read(Path.Combine(data, "evtx")),
            ["otrf-json"] = Read(Path.Combine(data, "json", "otrf")),
            // Simulated Windows telemetry (process creation heavy, long command lines), 20,000 events.
            ["simulated-json"] = Simulate(),
        };
        ((Dictionary<string, List<Event>>)Corpora)["winlogbeat-shape"] = WinlogbeatShape(Corpora["simulated-json"]);
    }

    /// <summary>
    /// The simulated events with their fields under the other names of fieldmaps.yml (winlog.channel,
    /// winlog.event_id, winlog.event_data.X), so that rule tests read them through their alternative names.
    /// Every third event also keeps some fields under their own names with other text (own name first or
    /// last), and every fifth keeps its own names only for half of the fields: "the first present name" must
    /// then pick the right one. Proves the matcher's answers for tests with alternative names.
    /// </summary>
    private static List<Event> WinlogbeatShape(List<Event> events)
    {
        var result = new List<Event>(events.Count);
        int n = 0;
        foreach (var e in events)
        {
            n++;
            var c = new Event { Origin = e.Origin, TimestampTicks = e.TimestampTicks, Format = e.Format };
            for (int i = 0; i < e.Count; i++)
            {
                string name = e.NameAt(i);
                string alt = name switch
                {
                    "Channel" => "winlog.channel",
                    "EventID" => "winlog.event_id",
                    "Computer" => "winlog.computer_name",
                    "Provider_Name" => "winlog.provider_name",
                    _ => "winlog.event_data." + name,
                };
                bool keepOwn = n % 5 == 0 && i % 2 == 0;
                if (n % 3 == 0 && i % 3 == 0) c.Add(FieldNames.Intern(name), FieldValue.FromString("decoy " + i));
                c.Add(FieldNames.Intern(keepOwn ? name : alt), e.ValueAt(i));
                if (n % 3 == 0 && i % 3 == 1) c.Add(FieldNames.Intern(name), FieldValue.FromString("-enc decoy"));
            }
            result.Add(c);
        }
        return result;
    }

    private List<Event> Simulate()
    {
        Vigil.Simulation.Simulator.Run(new Vigil.Simulation.SimulationOptions { OutDir = _simDir, Events = 20000, Seed = 7 });
        return Read(_simDir);
    }

    public void Dispose()
    {
        try { Directory.Delete(_simDir, recursive: true); } catch (IOException) { }
    }

    public static IReadOnlyList<InputFile> Files(string dir) => InputFiles.Expand([dir], LogFormats.All, new DiagnosticsCollector());

    /// <summary>Every event of the files under <paramref name="dir"/>, copied out of the readers.</summary>
    internal static List<Event> Read(string dir)
    {
        var list = new List<Event>();
        var diag = new DiagnosticsCollector();
        var scratch = new Event();
        foreach (var f in Files(dir))
        {
            if (f.Format.Name == "json" && dir.EndsWith("regression_data", StringComparison.Ordinal)) continue;  // read by EvtxJson
            foreach (var part in f.Format.Partition(f.Path, diag))
                part.Read(scratch, e =>
                {
                    var c = new Event { Origin = e.Origin, TimestampTicks = e.TimestampTicks, Format = e.Format };
                    for (int i = 0; i < e.Count; i++) c.Add(e.IdAt(i), e.ValueAt(i).Detach());
                    list.Add(c);
                }, diag);
        }
        return list;
    }
}

/// <summary>
/// Each stage of <see cref="CollectionMatcher"/> (candidate index, needle prefilter, tests answered from
/// needle hits) and all of them together must give, event by event, exactly the rules the plain loop
/// (every rule's <see cref="CompiledRule.Matches"/>) gives, in the same order: over the SigmaHQ regression
/// data (JSON and EVTX), the sample EVTX files, the OTRF JSON and 20,000 simulated events, with the full collection.
/// </summary>
public class MatcherEquivalenceTests(CollectionFixture fx, ITestOutputHelper output) : IClassFixture<CollectionFixture>
{
    public static TheoryData<string> CorpusNames => ["regression-json", "regression-evtx", "sample-evtx", "otrf-json", "simulated-json", "winlogbeat-shape"];

    private static readonly MatcherOptions[] Variants =
    [
        new(UseIndex: true, UsePrefilter: false, UseAtomTests: false),
        new(UseIndex: false, UsePrefilter: true, UseAtomTests: false),
        new(UseIndex: false, UsePrefilter: true, UseAtomTests: true),
        new(UseIndex: true, UsePrefilter: true, UseAtomTests: true),
        new(UseIndex: true, UsePrefilter: true, UseAtomTests: true, UseValueMemo: false),
    ];

    private static readonly ConcurrentDictionary<string, int[][]> PlainResults = new();

    private int[][] Plain(string corpus) => PlainResults.GetOrAdd(corpus, c =>
    {
        var events = fx.Corpora[c];
        var rules = fx.Rules;
        var result = new int[events.Count][];
        Parallel.For(0, events.Count, i =>
        {
            var hits = new List<int>();
            for (int r = 0; r < rules.Count; r++) if (rules[r].Matches(events[i])) hits.Add(r);
            result[i] = hits.ToArray();
        });
        return result;
    });

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void EveryStageGivesThePlainLoopsDetections(string corpus)
    {
        var events = fx.Corpora[corpus];
        Assert.True(events.Count > 100, $"{corpus}: too few events ({events.Count})");
        var plain = Plain(corpus);
        long total = plain.Sum(p => p.Length);
        output.WriteLine($"{corpus}: {events.Count} events, {fx.Rules.Count} rules, {total} rule hits by the plain loop");
        Assert.True(total > 0, "the plain loop found nothing: the comparison would prove nothing");
        foreach (var options in Variants)
        {
            var m = new CollectionMatcher(fx.Rules, options);
            var scratch = m.CreateScratch();
            var hits = new List<int>();
            var diffs = new List<string>();
            for (int i = 0; i < events.Count; i++)
            {
                hits.Clear();
                m.Match(events[i], scratch, hits);
                if (!hits.SequenceEqual(plain[i]) && diffs.Count < 20)
                    diffs.Add($"{events[i].Origin}: plain [{Titles(plain[i])}] vs {options} [{Titles(hits)}]");
            }
            foreach (var d in diffs) output.WriteLine(d);
            Assert.Empty(diffs);
        }
    }

    private string Titles(IEnumerable<int> rules) => string.Join("; ", rules.Select(r => fx.Rules[r].Rule.Title));

    /// <summary>The hunt as the CLI runs it: same detections in the same order with the matcher on and off.</summary>
    [Fact]
    public void HuntGivesTheSameDetectionsWithAndWithoutTheMatcherStages()
    {
        var files = CollectionFixture.Files(Path.Combine(CollectionTests.SigmaDir, "regression_data"))
            .Where(f => f.Format.Name == "evtx").ToList();
        using var plain = Hunter.Run(files, fx.Rules, new DiagnosticsCollector(), matcherOptions: new MatcherOptions(false, false, false));
        using var fast = Hunter.Run(files, fx.Rules, new DiagnosticsCollector());
        output.WriteLine($"{files.Count} files, {plain.Stats.Events} events, {plain.Detections.Count} detections");
        Assert.True(plain.Detections.Count > 100);
        Assert.Equal(plain.Detections.Select(Key), fast.Detections.Select(Key));
    }

    private static string Key(Detection d) => $"{d.Origin} {d.Rule.Id} {d.Rule.File}:{d.Rule.Line}";

    /// <summary>The matcher builds rule programs in parallel with rule-local atom ids and numbers them afterwards. The
    /// atom table and the constraint count must be exactly those of a serial build, which numbers atoms in order of
    /// first use: the prefilter atoms rule by rule, then each rule's program atoms as the program builder meets them.</summary>
    [Fact]
    public void ParallelBuildNumbersAtomsAndConstraintsAsASerialBuild()
    {
        var atoms = new List<Atom>();
        var ids = new Dictionary<Atom, int>(AtomComparer.Instance);
        int AtomId(Atom a)
        {
            if (!ids.TryGetValue(a, out int id)) { ids[a] = id = atoms.Count; atoms.Add(a); }
            return id;
        }
        var constraints = new Dictionary<Vigil.Rules.Logsources.RouteConstraint, int>(RuleProgram.ConstraintComparer.Instance);
        foreach (var rule in fx.Rules)
            foreach (var a in RuleFacts.Prefilter(rule) ?? []) AtomId(a);
        foreach (var rule in fx.Rules)
            RuleProgram.Build(rule, AtomId, [], c => constraints.TryGetValue(c, out int id) ? id : constraints[c] = constraints.Count);

        for (int round = 0; round < 3; round++)
        {
            var m = new CollectionMatcher(fx.Rules);
            Assert.Equal(atoms.Count, m.AtomTable.Count);
            for (int i = 0; i < atoms.Count; i++) Assert.True(AtomComparer.Instance.Equals(atoms[i], m.AtomTable[i]), $"atom {i}: {atoms[i]} vs {m.AtomTable[i]}");
            Assert.Equal(constraints.Count, m.ConstraintCount);
        }
        output.WriteLine($"{atoms.Count} atoms, {constraints.Count} route constraints");
    }
}
