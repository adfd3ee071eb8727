using System.Diagnostics;
using BenchmarkDotNet.Running;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary>
/// <c>dotnet run -c Release -- profile</c>: one-shot timings of each stage (rule loading, matcher build,
/// reading, matching with each matcher stage on and off) over the sample corpora, printed as Markdown.
/// Anything else is passed to BenchmarkDotNet (<c>-- --filter '*'</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "profile") { Profile(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "cpu") { CpuProfile.Run(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "scan") { ScanBench.Run(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "read") { ReadProfile.Run(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "startup") { StartupProfile.Run(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "rules") { RuleCostProbe.Run(args.Skip(1).ToArray()); return 0; }
        if (args.Length > 0 && args[0] == "unrouted") { Probe.Unrouted(Corpus.Collection()); return 0; }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static void Profile(string[] dirs)
    {
        var clock = Stopwatch.StartNew();
        var set = RuleLoader.Load(Corpus.CollectionFolders, includeBuiltin: true);
        Console.WriteLine($"- rule loading: {set.Rules.Count} rules from {set.FilesRead} files ({set.Errors.Count} errors) in {clock.Elapsed.TotalSeconds:F2} s");
        var rules = set.Rules;

        clock.Restart();
        var matcher = new CollectionMatcher(rules);
        double firstBuild = clock.Elapsed.TotalSeconds;
        clock.Restart();
        matcher = new CollectionMatcher(rules);
        Console.WriteLine($"- matcher build: first {firstBuild:F2} s (with JIT and one-time tables), again {clock.Elapsed.TotalSeconds:F2} s ({matcher.BuildTimes})");
        clock.Restart();
        matcher.BuildAllAutomata();
        Console.WriteLine($"- all automata (built on first use in a hunt): {clock.Elapsed.TotalSeconds:F2} s");
        var (fields, needles, states) = matcher.AutomataStats();
        Console.WriteLine($"- matcher build: {clock.Elapsed.TotalSeconds:F2} s; {matcher.PrefilteredRules}/{rules.Count} rules prefiltered; {fields} field automata, {needles} needles, {states} DFA states, {matcher.AutomataBytes / 1048576.0:F0} MB of tables");

        var corpora = dirs.Length > 0 ? dirs.Select(d => (d, d)).ToArray() : new[] { ("EVTX samples", Corpus.EvtxDir), ("OTRF JSON", Corpus.OtrfDir) };
        foreach (var (name, dir) in corpora)
        {
            var files = Corpus.Files(dir);
            long bytes = files.Sum(f => f.Length);
            clock.Restart();
            long n = 0;
            var diag = new DiagnosticsCollector();
            var scratch = new Event();
            foreach (var f in files)
                foreach (var part in f.Format.Partition(f.Path, diag))
                    part.Read(scratch, _ => n++, diag);
            double readS = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"- {name}: read {n} events, {bytes / 1048576.0:F1} MB in {readS:F2} s on one thread = {n / readS:F0} events/s, {bytes / 1048576.0 / readS:F1} MB/s");

            var events = Corpus.LoadEvents(files);
            foreach (var (label, opts) in new[] { ("index + prefilter", MatcherOptions.Default), ("index only", new MatcherOptions(UsePrefilter: false)), ("prefilter only", new MatcherOptions(UseIndex: false)) })
            {
                var m = new CollectionMatcher(rules, opts);
                var s = m.CreateScratch();
                var hits = new List<int>();
                long total = 0;
                foreach (var e in events) { hits.Clear(); m.Match(e, s, hits); }   // warm: builds buckets, JITs
                clock.Restart();
                foreach (var e in events) { hits.Clear(); m.Match(e, s, hits); total += hits.Count; }
                double t = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"  - match, {label}: {events.Count / t:F0} events/s one thread ({total} rule hits, {t:F2} s)");
            }
            // The plain loop is slow: time it on a slice.
            var slice = events.Take(3000).ToList();
            clock.Restart();
            long plain = 0;
            foreach (var e in slice) foreach (var r in rules) if (r.Matches(e)) plain++;
            double pt = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"  - match, plain loop (first {slice.Count} events): {slice.Count / pt:F0} events/s one thread ({plain} rule hits)");
            if (Environment.GetEnvironmentVariable("VIGIL_PROFILE_RULES") == "1")
            {
                var cost = new long[rules.Count];
                var pm = new CollectionMatcher(rules);
                var ps = pm.CreateScratch();
                var ph = new List<int>();
                clock.Restart();
                foreach (var e in events) { ph.Clear(); pm.MatchProfiled(e, ps, ph, cost); }
                double all = clock.Elapsed.TotalSeconds;
                double evalS = cost.Sum() / (double)Stopwatch.Frequency;
                Console.WriteLine($"    - profiled: {all:F2} s total, {evalS:F2} s evaluating candidates, rest index + scan");
                foreach (int r in Enumerable.Range(0, rules.Count).OrderByDescending(r => cost[r]).Take(15))
                    Console.WriteLine($"    - {cost[r] * 1000.0 / Stopwatch.Frequency:F1} ms {rules[r].Rule.Title} [{rules[r].Rule.Logsource}] {rules[r].Rule.File}");
            }
            clock.Restart();
            using var result = Hunter.Run(files, rules, new DiagnosticsCollector());
            foreach (var _ in result.Detections) { } // the final sort (and merge of spilled runs) happens as they are read
            double ht = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"  - Hunter.Run (read + match + detections, {Environment.ProcessorCount} threads): {result.Stats.Events / ht:F0} events/s, {result.Detections.Count} detections, {ht:F2} s");
        }
    }
}
