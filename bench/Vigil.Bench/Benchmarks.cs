using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary>Short runs only (3 warmups, 3 iterations, one launch): the machine is small and shared.</summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.ShortRun.WithWarmupCount(2).WithIterationCount(3).WithLaunchCount(1));
        AddColumn(BenchmarkDotNet.Columns.StatisticColumn.Mean);
        WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>Decoding only: every event of the corpus is read and dropped, on one thread (bytes/s = corpus size / mean).</summary>
[Config(typeof(ShortConfig))]
public class ReaderBench
{
    private List<InputFile> _evtx = [], _json = [];
    private readonly Event _scratch = new();

    [GlobalSetup]
    public void Setup()
    {
        _evtx = Corpus.Files(Corpus.EvtxDir);
        _json = Corpus.Files(Corpus.OtrfDir);
        Console.WriteLine($"// EVTX corpus {_evtx.Sum(f => f.Length)} bytes in {_evtx.Count} files; OTRF JSON {_json.Sum(f => f.Length)} bytes in {_json.Count} files");
    }

    private long ReadAll(List<InputFile> files)
    {
        long n = 0;
        var diag = new DiagnosticsCollector();
        foreach (var f in files)
            foreach (var part in f.Format.Partition(f.Path, diag))
                part.Read(_scratch, _ => n++, diag);
        return n;
    }

    [Benchmark(Description = "EVTX parser, sample corpus (28 MB, 16.5k events)")]
    public long Evtx() => ReadAll(_evtx);

    [Benchmark(Description = "JSON reader, OTRF corpus (58 MB, 31k events)")]
    public long Json() => ReadAll(_json);
}

/// <summary>The matcher alone over a fixed in-memory event set with the full collection (events/s = events / mean).</summary>
[Config(typeof(ShortConfig))]
public class MatcherBench
{
    private IReadOnlyList<CompiledRule> _rules = [];
    private List<Event> _events = [];
    private CollectionMatcher _matcher = null!;
    private MatcherScratch _scratch = null!;
    private readonly List<int> _hits = [];

    [Params("evtx", "otrf")]
    public string Corpus_ { get; set; } = "evtx";

    [GlobalSetup]
    public void Setup()
    {
        _rules = Corpus.Collection();
        _events = Corpus.LoadEvents(Corpus.Files(Corpus_ == "evtx" ? Corpus.EvtxDir : Corpus.OtrfDir));
        _matcher = new CollectionMatcher(_rules);
        _scratch = _matcher.CreateScratch();
        Console.WriteLine($"// {_rules.Count} rules, {_events.Count} events");
        Match(); // build the index buckets outside the measurement
    }

    [Benchmark(Description = "CollectionMatcher, full collection, all events")]
    public long Match()
    {
        long n = 0;
        foreach (var e in _events) { _hits.Clear(); _matcher.Match(e, _scratch, _hits); n += _hits.Count; }
        return n;
    }
}

/// <summary>Rule loading and the whole hunt (read + match + detections, all cores) as the CLI runs it.</summary>
[Config(typeof(ShortConfig))]
public class EngineBench
{
    private IReadOnlyList<CompiledRule> _rules = [];
    private List<InputFile> _evtx = [], _json = [];

    [GlobalSetup]
    public void Setup()
    {
        _rules = Corpus.Collection();
        _evtx = Corpus.Files(Corpus.EvtxDir);
        _json = Corpus.Files(Corpus.OtrfDir);
    }

    [Benchmark(Description = "load full collection (~3,800 files)")]
    public int LoadRules() => RuleLoader.Load(Corpus.CollectionFolders, includeBuiltin: true).Rules.Count;

    [Benchmark(Description = "hunt EVTX samples, full collection")]
    public long HuntEvtx() => Drain(Hunter.Run(_evtx, _rules, new DiagnosticsCollector()));

    [Benchmark(Description = "hunt OTRF JSON, full collection")]
    public long HuntJson() => Drain(Hunter.Run(_json, _rules, new DiagnosticsCollector()));

    /// <summary>Reads the detections out (the final sort and any spilled runs' merge happen here) and deletes temp files.</summary>
    private static long Drain(HuntResult result)
    {
        using (result)
        {
            long n = 0;
            foreach (var _ in result.Detections) n++;
            return n;
        }
    }
}
