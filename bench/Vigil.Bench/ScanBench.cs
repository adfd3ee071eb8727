using Vigil.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Events;

namespace Vigil.Bench;

/// <summary>
/// <c>scan [DIR]...</c>: the needle automata alone on real values. The collection's needle sets per field (the
/// prefilter atoms the matcher merges, see <see cref="RuleFacts.Prefilter"/>) are built into automata, each
/// field's text values of the corpora are collected in reading order (every occurrence, not distinct values, so the
/// mix is the one a hunt scans), and every value is scanned with its field's automaton in two layouts of
/// <see cref="NeedleAutomaton"/>: the default, and without hub rows (<c>hubBudgetBytes: 0</c>: only the breadth-first
/// dense rows, then sparse records), alternating passes in one process and timed in thread CPU (best of the passes).
/// Prints ns per character overall and for the costliest fields, and the table bytes of each layout for the whole
/// collection. (The comparison with the layout before 2026-11-26 in bench/results/2026-11-26-scan3.md used a copy of
/// the old class, kept until commit 8a0f3df.)
/// Environment: VIGIL_SCAN_PASSES (default 5); VIGIL_SCAN_BUILD_ONLY=1 stops after timing construction.
/// </summary>
public static class ScanBench
{
    /// <summary>Values kept per field and corpus (in reading order), so that the few huge fields do not need GBs.</summary>
    private const int MaxCharsPerField = 40_000_000;

    private struct Count : NeedleAutomaton.IHitSink
    {
        public long Sum;
        public void Hit(int needle, int start, int textLength) => Sum += needle + start;
    }

    private static long ScanAll(NeedleAutomaton a, List<string> values)
    {
        var sink = new Count();
        foreach (string v in values) a.Scan(v, ref sink);
        return sink.Sum;
    }

    public static void Run(string[] dirs)
    {
        if (dirs.Length == 0) dirs = [Corpus.OtrfDir, "/tmp/vsim/logs"];
        int passes = int.TryParse(Environment.GetEnvironmentVariable("VIGIL_SCAN_PASSES"), out int p) ? p : 5;
        var rules = Corpus.Collection();
        var needles = RuleFacts.NeedleSetsByField(rules);
        needles.Remove(-1);   // keywords: per bucket in the matcher, not one set
        var alphabet = new Alphabet(needles.Values.SelectMany(s => s));

        // Both layouts for every field of the collection: table bytes (what BuildAllAutomata would hold).
        var noHubs = new Dictionary<int, NeedleAutomaton>();
        var current = new Dictionary<int, NeedleAutomaton>();
        double t0 = CpuProfile.ThreadCpu();
        foreach (var (key, list) in needles) noHubs[key] = new NeedleAutomaton(list, alphabet, hubBudgetBytes: 0);
        double tb = CpuProfile.ThreadCpu() - t0;
        t0 = CpuProfile.ThreadCpu();
        foreach (var (key, list) in needles) current[key] = new NeedleAutomaton(list, alphabet);
        double tc = CpuProfile.ThreadCpu() - t0;
        Console.WriteLine($"- {needles.Count} field needle sets, {needles.Values.Sum(l => l.Count)} needles; tables for all: " +
            $"without hubs {noHubs.Values.Sum(s => s.TableBytes) / 1048576.0:F1} MB (built in {tb:F2} s), " +
            $"default {current.Values.Sum(s => s.TableBytes) / 1048576.0:F1} MB (built in {tc:F2} s)");

        // Construction alone, best of 3 (one thread).
        double bb = double.MaxValue, bc = double.MaxValue;
        for (int rep = 0; rep < 3; rep++)
        {
            t0 = CpuProfile.ThreadCpu();
            foreach (var list in needles.Values) _ = new NeedleAutomaton(list, alphabet, hubBudgetBytes: 0);
            bb = Math.Min(bb, CpuProfile.ThreadCpu() - t0);
            t0 = CpuProfile.ThreadCpu();
            foreach (var list in needles.Values) _ = new NeedleAutomaton(list, alphabet);
            bc = Math.Min(bc, CpuProfile.ThreadCpu() - t0);
        }
        Console.WriteLine($"- building all: without hubs {bb:F3} s, default {bc:F3} s (thread CPU, best of 3)");
        if (Environment.GetEnvironmentVariable("VIGIL_SCAN_BUILD_ONLY") == "1") return;

        foreach (string dir in dirs)
        {
            var values = new Dictionary<int, List<string>>();
            var chars = new Dictionary<int, long>();
            var diag = new DiagnosticsCollector();
            var scratch = new Event();
            foreach (var f in Corpus.Files(dir))
                foreach (var part in f.Format.Partition(f.Path, diag))
                    part.Read(scratch, e =>
                    {
                        for (int i = 0; i < e.Count; i++)
                        {
                            ref readonly var v = ref e.ValueAt(i);
                            if (!v.IsText) continue;
                            int key = e.KeyAt(i);
                            if (!needles.ContainsKey(key)) continue;
                            chars.TryGetValue(key, out long c);
                            if (c >= MaxCharsPerField) continue;
                            if (!values.TryGetValue(key, out var l)) values[key] = l = [];
                            var text = v.TextSpan;
                            l.Add(text.ToString());
                            chars[key] = c + text.Length;
                        }
                    }, diag);
            long totalChars = chars.Values.Sum();
            Console.WriteLine($"- {dir}: {values.Count} fields with needles, {values.Values.Sum(l => l.Count)} values, {totalChars / 1e6:F1} M chars");

            // Warm up (JIT tiering) and check that both layouts report the same hits.
            var keys = values.Keys.OrderByDescending(k => chars[k]).ToArray();
            for (int w = 0; w < 3; w++)
                foreach (int k in keys)
                {
                    long a = ScanAll(noHubs[k], values[k]), b = ScanAll(current[k], values[k]);
                    if (a != b) throw new InvalidOperationException($"field {FieldNames.Name(k)}: hit checksums differ ({a} vs {b})");
                }
            var bestB = keys.ToDictionary(k => k, _ => double.MaxValue);
            var bestC = keys.ToDictionary(k => k, _ => double.MaxValue);
            double totalB = double.MaxValue, totalC = double.MaxValue;
            for (int pass = 0; pass < passes; pass++)
                foreach (var (scanners, best, isNoHubs) in pass % 2 == 0
                    ? new[] { (noHubs, bestB, true), (current, bestC, false) } : new[] { (current, bestC, false), (noHubs, bestB, true) })
                {
                    double sum = 0;
                    foreach (int k in keys)
                    {
                        double s0 = CpuProfile.ThreadCpu();
                        ScanAll(scanners[k], values[k]);
                        double t = CpuProfile.ThreadCpu() - s0;
                        sum += t;
                        best[k] = Math.Min(best[k], t);
                    }
                    if (isNoHubs) totalB = Math.Min(totalB, sum); else totalC = Math.Min(totalC, sum);
                }
            Console.WriteLine($"  - all fields: without hubs {totalB * 1e9 / totalChars:F2} ns/char ({totalB:F3} s), default {totalC * 1e9 / totalChars:F2} ns/char ({totalC:F3} s): {(totalB / totalC - 1) * 100:+0.0;-0.0} %");
            foreach (int k in keys.OrderByDescending(k => bestB[k]).Take(12))
                Console.WriteLine($"  - {FieldNames.Name(k)} ({needles[k].Count} needles, {chars[k] / 1e6:F1} M chars): without hubs {bestB[k] * 1e9 / chars[k]:F2}, default {bestC[k] * 1e9 / chars[k]:F2} ns/char; " +
                    $"tables {noHubs[k].TableBytes / 1024} KB → {current[k].TableBytes / 1024} KB");
        }
    }
}
