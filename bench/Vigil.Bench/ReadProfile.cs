using Vigil.Diagnostics;
using Vigil.Events;

namespace Vigil.Bench;

/// <summary><c>read [--passes N] DIR...</c>: decoding only, on one thread, N passes (default 5), thread CPU time per pass;
/// a target for <c>perf record</c> when tuning the readers.</summary>
public static class ReadProfile
{
    public static void Run(string[] args)
    {
        int passes = 5;
        var dirs = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--passes") passes = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            else dirs.Add(args[i]);
        }
        foreach (var dir in dirs)
        {
            var files = Corpus.Files(dir);
            long bytes = files.Sum(f => f.Length);
            var diag = new DiagnosticsCollector();
            var scratch = new Event();
            double best = double.MaxValue;
            long n = 0, fields = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                n = 0; fields = 0;
                double t0 = CpuProfile.ThreadCpu();
                foreach (var f in files)
                    foreach (var part in f.Format.Partition(f.Path, diag))
                        part.Read(scratch, e => { n++; fields += e.Count; }, diag);
                best = Math.Min(best, CpuProfile.ThreadCpu() - t0);
            }
            Console.WriteLine($"- {dir}: {n} events, {fields} fields, {bytes / 1048576.0:F1} MB; best of {passes}: {best:F3} s thread CPU = "
                + $"{n / best:F0} events/s, {bytes / 1048576.0 / best:F0} MB/s, {best * 1e9 / fields:F0} ns per field");
        }
    }
}
