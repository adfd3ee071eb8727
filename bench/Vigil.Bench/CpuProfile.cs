using System.Diagnostics;
using System.Runtime.InteropServices;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary>
/// <c>cpu [DIR]...</c>: the profile's stages timed in CPU time instead of wall-clock time, so that runs on a
/// machine shared with other jobs can be compared (a loaded machine stretches wall time, much less the CPU time
/// a thread spends). Rule loading and matcher build are timed in process CPU time (they use every core); the
/// match loop in the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), best of three passes after a warm-up, each
/// pass with a fresh scratch (so the value memo starts empty, as in a hunt). VIGIL_MEMO=0 builds the matcher without
/// the value memo.
/// </summary>
public static class CpuProfile
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGettime(int clock, out Timespec ts);

    /// <summary>CPU seconds used by the calling thread.</summary>
    public static double ThreadCpu()
    {
        if (ClockGettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var ts) != 0) throw new InvalidOperationException("clock_gettime failed");
        return ts.Sec + ts.Nsec / 1e9;
    }

    private static double ProcessCpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    public static void Run(string[] dirs)
    {
        double c0 = ProcessCpu();
        var wall = Stopwatch.StartNew();
        var set = RuleLoader.Load(Corpus.CollectionFolders, includeBuiltin: true);
        Console.WriteLine($"- rule loading: {set.Rules.Count} rules, {ProcessCpu() - c0:F2} s CPU, {wall.Elapsed.TotalSeconds:F2} s wall");
        var rules = set.Rules;
        c0 = ProcessCpu(); wall.Restart();
        // VIGIL_MEMO=0: without the value memo (to compare).
        var options = new MatcherOptions(UseValueMemo: Environment.GetEnvironmentVariable("VIGIL_MEMO") != "0");
        var matcher = new CollectionMatcher(rules, options);
        Console.WriteLine($"- matcher build (first): {ProcessCpu() - c0:F2} s CPU, {wall.Elapsed.TotalSeconds:F2} s wall ({matcher.BuildTimes})");
        c0 = ProcessCpu(); wall.Restart();
        matcher = new CollectionMatcher(rules, options);
        Console.WriteLine($"- matcher build (again): {ProcessCpu() - c0:F2} s CPU, {wall.Elapsed.TotalSeconds:F2} s wall; {matcher.AutomataBytes / 1048576.0:F0} MB of tables");
        c0 = ProcessCpu(); wall.Restart();
        new CollectionMatcher(rules).BuildAllAutomata();
        Console.WriteLine($"- building every automaton (a hunt builds only those of fields its events have): {ProcessCpu() - c0:F2} s CPU, {wall.Elapsed.TotalSeconds:F2} s wall");
        GC.Collect();
        Console.WriteLine($"- managed heap after load + build: {GC.GetTotalMemory(true) / 1048576.0:F0} MB");

        var corpora = dirs.Length > 0 ? dirs : new[] { Corpus.EvtxDir, Corpus.OtrfDir };
        foreach (var dir in corpora)
        {
            var files = Corpus.Files(dir);
            long n = 0;
            var diag = new DiagnosticsCollector();
            var scratch = new Event();
            double best = double.MaxValue;
            for (int pass = 0; pass < 3; pass++)
            {
                double t0 = ThreadCpu();
                n = 0;
                foreach (var f in files)
                    foreach (var part in f.Format.Partition(f.Path, diag))
                        part.Read(scratch, _ => n++, diag);
                best = Math.Min(best, ThreadCpu() - t0);
            }
            Console.WriteLine($"- {dir}: read {n} events in {best:F3} s thread CPU = {n / best:F0} events/s per core");

            var events = Corpus.LoadEvents(files);
            var s = matcher.CreateScratch();
            var hits = new List<int>();
            long total = 0;
            foreach (var e in events) { hits.Clear(); matcher.Match(e, s, hits); }
            best = double.MaxValue;
            // VIGIL_PASSES: more match passes (e.g. under perf, so the match loop dominates the profile).
            int passes = int.TryParse(Environment.GetEnvironmentVariable("VIGIL_PASSES"), out int np) && np > 0 ? np : 3;
            for (int pass = 0; pass < passes; pass++)
            {
                total = 0;
                // A fresh scratch per pass: its value memos start empty, as in a hunt, instead of remembering the
                // values of the passes before.
                s = matcher.CreateScratch();
                double t0 = ThreadCpu();
                foreach (var e in events) { hits.Clear(); matcher.Match(e, s, hits); total += hits.Count; }
                best = Math.Min(best, ThreadCpu() - t0);
            }
            Console.WriteLine($"  - match: {events.Count / best:F0} events/s per core ({total} rule hits, {best:F3} s thread CPU)");
            if (Environment.GetEnvironmentVariable("VIGIL_BUCKETS") == "1")
                foreach (var b in matcher.BucketStats())
                    Console.WriteLine($"    - bucket: {b.Rules} rules, {b.Unfiltered} unfiltered, {b.ScannedFields} fields scanned, {b.KeywordNeedles} keyword needles");
            var (fields, needles, states) = matcher.AutomataStats();
            Console.WriteLine($"  - automata built so far: {states} states, {matcher.AutomataBytes / 1048576.0:F0} MB (of {fields} fields, {needles} needles)");
        }
    }
}
