using System.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary>
/// <c>startup [ROUNDS]</c>: what a hunt does before its first event, stage by stage, repeated in one process: rule
/// loading through the parse cache (a fresh temporary cache folder, filled by a first uncounted load) and the matcher
/// build. Round 1 includes the JIT (run the bench as the CLI is built: Release, ReadyToRun makes no difference to a
/// <c>dotnet run</c> build, so the first round is an upper bound); later rounds show the work itself. Allocated bytes
/// and collection counts are exact, unlike times on a shared machine, so they are the figures to compare.
/// </summary>
public static class StartupProfile
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], out int r) ? r : 5;
        string cache = Path.Combine(Path.GetTempPath(), "vigil-startup-bench-" + Environment.ProcessId);
        try
        {
            var options = new RuleLoadOptions { CacheDirectory = cache };
            RuleLoader.Load(Corpus.CollectionFolders, includeBuiltin: true, options);   // fills the cache
            Console.WriteLine("| round | load CPU s | load wall s | load MB | matcher CPU s | matcher wall s | matcher MB | gc 0/1/2 | live MB after load / build | matcher stages |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
            for (int i = 1; i <= rounds; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
                var (set, loadCpu, loadWall, loadBytes) = Measure(() => RuleLoader.Load(Corpus.CollectionFolders, includeBuiltin: true, options));
                if (set.Cache is not { Misses: 0 }) throw new InvalidOperationException($"the parse cache missed: {set.Cache}");
                long live0 = GC.GetTotalMemory(forceFullCollection: true);
                var (matcher, mCpu, mWall, mBytes) = Measure(() => new CollectionMatcher(set.Rules));
                long live1 = GC.GetTotalMemory(forceFullCollection: true);
                GC.KeepAlive(matcher);
                GC.KeepAlive(set);
                Console.WriteLine($"| {i} | {loadCpu:F3} | {loadWall:F3} | {loadBytes / 1048576.0:F0} | {mCpu:F3} | {mWall:F3} | {mBytes / 1048576.0:F0} | "
                    + $"{GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} | {live0 / 1048576.0:F0} / {live1 / 1048576.0:F0} | {matcher.BuildTimes} |");
            }
        }
        finally
        {
            try { Directory.Delete(cache, recursive: true); } catch (IOException) { }
        }
    }

    private static (T Value, double Cpu, double Wall, long Bytes) Measure<T>(Func<T> f)
    {
        double c0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        long b0 = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        var value = f();
        double w = wall.Elapsed.TotalSeconds;
        return (value, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - c0, w, GC.GetTotalAllocatedBytes(precise: true) - b0);
    }
}
