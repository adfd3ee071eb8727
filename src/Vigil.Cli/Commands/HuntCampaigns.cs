using Vigil.Campaigns;
using Vigil.Campaigns.Output;
using Vigil.Engine.Hunting;
using Vigil.Engine.Pipeline;
using Vigil.Outputs;

namespace Vigil.Cli.Commands;

/// <summary>
/// The hunt's campaign step: writes the detections while collecting what campaigns need, then builds them. For the
/// terminal table the campaigns come first, ranked, so the detections are written to a temporary file meanwhile and
/// copied after the campaign list (memory stays bounded however many detections there are).
/// </summary>
public static class HuntCampaigns
{
    /// <summary>Campaigns are built when something shows them: --campaigns, --report, or the table.</summary>
    public static bool Wanted(ArgReader a, string format) =>
        a.Value("--campaigns") is not null || a.Value("--report") is not null || format == "table";

    /// <summary>Time the last <see cref="WriteDetections"/> spent building campaigns (reported on stderr by the hunt).</summary>
    public static TimeSpan BuildTime { get; private set; }

    private static IReadOnlyList<Campaign> Build(CampaignCollector collector)
    {
        MemoryLog("before build");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // One full, compacting collection at each end of the build: the detection writing before it and the build itself
        // leave hundreds of MB of garbage (3M events: ~100 MB, then ~200 MB) that a background collection frees only after
        // the heap has grown further; collected here, the build and then the outputs reuse that memory instead. Aggressive:
        // the freed memory is also given back, so the next phase starts from the live data, not from the last phase's peak
        // (3M events: 662 -> 411 MB with the other changes, see bench/results/2026-11-26-campaign-memory-2.md). Each costs
        // ~0.1-0.2 s. The same again before the entity pass (ProcessIndex: building the index leaves ~50 bytes per process of
        // sort tables), before the lateral links are looked for (Entities: the entity pass's garbage is not needed), before
        // the campaigns are grouped (Laterals: the process lookups were just released, ~40 bytes per process, and the
        // linking's garbage is not needed) and before they are assembled (Environment: the indexes are built). A 6M-event day
        // peaked in the linking and the grouping without the middle two (340 -> 301 MB with them).
        // Inside a big campaign's assembly (Working), the heap is compacted when it has grown, as during the hunt.
        Collect();
        var governor = new HeapGovernor();
        var campaigns = collector.Build((phase, detail) =>
        {
            if (phase == BuildPhase.Working)
            {
                // Before the governor may compact: what the stage just done left (with =2, garbage included).
                MemoryLog($"working: {detail}");
                governor.Check();
                return;
            }
            if (phase is not (BuildPhase.Assembled or BuildPhase.Linking or BuildPhase.Grouping or BuildPhase.Biggest)) Collect();
            MemoryLog(detail);
        });
        Collect();
        BuildTime = clock.Elapsed;
        MemoryLog("after build");
        return campaigns;
    }

    private static void Collect() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>VIGIL_MEMLOG=1: live managed heap (after a full collection), working set and the process's peak so far, on
    /// stderr, at each campaign phase and each stage of a big campaign's assembly; VIGIL_MEMLOG=2: the same without forcing
    /// a collection (the heap figure then includes garbage, but peaks are as in a normal run). A diagnostic for issue 4
    /// (peak memory); =1 changes timing and peaks.</summary>
    private static void MemoryLog(string phase)
    {
        if (Environment.GetEnvironmentVariable("VIGIL_MEMLOG") is not { Length: > 0 }) return;
        long live = GC.GetTotalMemory(forceFullCollection: Environment.GetEnvironmentVariable("VIGIL_MEMLOG") != "2");
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var gc = GC.GetGCMemoryInfo();
        Console.Error.WriteLine($"vigil-mem: {phase}: live heap {live / (1024 * 1024)} MB, GC committed {gc.TotalCommittedBytes / (1024 * 1024)} MB, working set {self.WorkingSet64 / (1024 * 1024)} MB, peak {self.PeakWorkingSet64 / (1024 * 1024)} MB, user CPU {self.UserProcessorTime.TotalSeconds:F2} s, system CPU {self.PrivilegedProcessorTime.TotalSeconds:F2} s");
    }

    public static IReadOnlyList<Campaign> WriteDetections(string format, CampaignCollector collector, IEnumerable<Detection> detections,
        Stream output, int width)
    {
        MemoryLog("hunt done");
        // The hunt's garbage (and its working set) goes before the detections are written and the facts taken.
        Collect();
        if (format != "table")
        {
            DetectionWriters.Write(format, collector.Tee(detections), output, width);
            return Build(collector);
        }
        var temp = Path.Combine(Path.GetTempPath(), "vigil-table-" + Guid.NewGuid().ToString("N") + ".txt");
        using var table = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        DetectionWriters.Write(format, collector.Tee(detections), table, width);
        var campaigns = Build(collector);
        using (var w = new StreamWriter(output, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true))
            CampaignText.Write(campaigns, w, width);
        table.Position = 0;
        table.CopyTo(output);
        return campaigns;
    }
}
