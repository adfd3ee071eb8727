using System.Diagnostics;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Outputs;
using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil hunt INPUT... [--rules PATH]... [--no-builtin] [--format jsonl|csv|table] [--output FILE] [--report FILE.html]</c>:
/// runs Sigma rules over the inputs and writes one row per detection.
/// </summary>
public static class HuntCommand
{
    public static int Run(string[] args, CliConsole console)
    {
        var a = new ArgReader(args,
            ["--rules", "-r", "--format", "-f", "--output", "-o", "--campaigns", "--report", "--threads", "--min-level",
             "--status", "--include-id", "--exclude-id", "--include-tag", "--exclude-tag", "--mapping", "--placeholder",
             "--timeline", "--timesketch", "--sqlite", "--report-rows-per-rule", "--report-max-rows",
             "--report-max-campaigns"],
            ["--no-builtin", "--quiet", "-q", "--verbose", "-v", "--no-rule-cache"]);
        bool quiet = a.Flag("--quiet") || a.Flag("-q");
        string? outputPath = a.Value("--output") ?? a.Value("-o");
        bool toTerminal = outputPath is null && ReferenceEquals(console.Out, Console.Out) && !Console.IsOutputRedirected;
        string format = a.Choice(a.Value("-f") is null ? "--format" : "-f", toTerminal ? "table" : "jsonl", DetectionWriters.Formats);
        if (a.Value("--report") is { } reportPath && Directory.Exists(reportPath))
            throw new UsageException($"--report {reportPath}: is a folder; give the report's file name, e.g. report.html");
        // Outputs beside the main stream (campaigns, report, timelines): each a sink fed in output order, see HuntSinks.
        using var sinks = HuntSinks.Create(a, console);
        var selection = RulesCommand.Selection(a);

        // Rules first: a bad rule is reported with file and line, and the others still run.
        var rulePaths = a.All("--rules").Concat(a.All("-r")).ToList();
        foreach (var p in rulePaths)
            if (!File.Exists(p) && !Directory.Exists(p)) throw new UsageException($"--rules {p}: no such file or folder");
        bool builtin = !a.Flag("--no-builtin");
        bool verbose = a.Flag("--verbose") || a.Flag("-v");
        var phases = Stopwatch.StartNew();
        var loadOptions = RulesCommand.LoadOptions(a);
        var ruleSet = RuleLoader.Load(rulePaths, builtin, loadOptions);
        foreach (var err in ruleSet.Errors) console.Error.WriteLine($"vigil: rule error: {err}");
        if (!quiet) foreach (var w in ruleSet.Warnings) console.Error.WriteLine($"vigil: rule warning: {w}");
        // Rules a selected correlation needs run even when not selected themselves; they report only when selected.
        var rules = selection.RulesToRun(ruleSet);
        if (rules.Count == 0)
            throw new UsageException(ruleSet.Rules.Count > 0 ? "no rule is left after the rule selection flags"
                : builtin || rulePaths.Count > 0 ? "no rule could be loaded" : "--no-builtin given and no --rules: there is nothing to hunt with");

        var loadTime = phases.Elapsed;
        // What the summary needs of the rules, taken now: after the hunt nothing holds the compiled rules (their detection
        // trees, ~100 MB with the full collection), so the collections before the campaign build can free them.
        int ruleCount = rules.Count;
        string loadTimes = ruleSet.LoadTimes;
        string corr = ruleSet.Correlations.Count > 0 ? $" and {selection.SelectedCorrelations(ruleSet).Count} correlations" : "";
        using var files = Inputs.Open(a, console, out var diagnostics);
        if (files is null) return ExitCodes.NothingRead;

        // No forced collection after loading the rules: it used to keep the load's garbage out of the hunt's peak, but
        // with background collections the peak is the same without it (1.39M-event JSON day 250-269 vs 254 MB, with
        // campaigns 432 vs 432 MB, OTRF x20 277-286 vs 275-283 MB) and it cost 0.1-0.2 s of wall time on one core.
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(console, console.ErrorIsTerminal && !quiet);
        // Campaigns (see HuntCampaigns): context events are collected during the hunt, detection facts while writing.
        var campaignInput = HuntCampaigns.Wanted(a, format) ? new Vigil.Campaigns.CampaignCollector() : null;
        using var result = Hunter.Run(files, rules, diagnostics, (int?)a.Long("--threads"), progress.Update,
            correlate: ruleSet, emit: selection.IsEmpty ? null : selection.Selects, observer: campaignInput?.Context,
            matcherOptions: new MatcherOptions { CacheDirectory = loadOptions.CacheDirectory });
        rules = null!;     // no longer needed (see ruleCount above); nulled so that no stack slot keeps them alive
        ruleSet = null!;
        progress.Finish();
        var huntTime = clock.Elapsed;

        IReadOnlyList<Vigil.Campaigns.Campaign> campaigns = [];
        using (var output = Inputs.OpenOutput(outputPath, console))
        {
            int width = toTerminal ? SafeWindowWidth() : 160;
            if (campaignInput is null) DetectionWriters.Write(format, sinks.Tee(result.Detections), output, width);
            else campaigns = HuntCampaigns.WriteDetections(format, campaignInput, sinks.Tee(result.Detections), output, width);
        }
        var writeTime = clock.Elapsed - huntTime;
        sinks.Complete(new HuntSummary(files, result.Stats, diagnostics.Errors, ruleCount, result.Detections.Count,
            result.Detections.LevelCounts, campaigns, started, clock.Elapsed));
        // Where the time went (wall clock), for tuning and benchmarks: rules = load + compile, hunt = read + match +
        // correlations (all threads), output = sorting out of the spool and writing detections (and campaigns).
        if (verbose)
            console.Error.WriteLine($"vigil: timings: rules {loadTime.TotalSeconds:F2}s, hunt {huntTime.TotalSeconds:F2}s, "
                + $"output {writeTime.TotalSeconds:F2}s, side outputs {(clock.Elapsed - huntTime - writeTime).TotalSeconds:F2}s; "
                + $"cpu {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:F2}s, "
                + $"allocated {GC.GetTotalAllocatedBytes() / 1048576.0:F0} MB, gc {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} "
                + $"(gen0/1/2), paused {GC.GetTotalPauseDuration().TotalSeconds:F2}s, "
                + $"jit {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:F2}s ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods)");
        if (verbose) console.Error.WriteLine($"vigil: rule loading: {loadTimes}; matcher: {result.MatcherTimes}");

        if (!quiet)
        {
            var s = result.Stats;
            // Counted as the detections were produced; equal ranks (unknown levels) by name.
            var levels = result.Detections.LevelCounts
                .OrderByDescending(kv => DetectionWriters.LevelRank(kv.Key)).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => $"{kv.Value} {kv.Key}");
            string range = s.FirstEvent is { } f && s.LastEvent is { } l ? $", {f:yyyy-MM-dd HH:mm:ss} to {l:yyyy-MM-dd HH:mm:ss} UTC" : "";
            if (result.UntimedCorrelationMatches > 0)
                console.Error.WriteLine($"vigil: {result.UntimedCorrelationMatches} base-rule matches had no timestamp and took no part in correlations");
            console.Error.WriteLine($"vigil: {ruleCount} rules{corr} over {s.Events:N0} events from {s.FilesRead} of {files.Count} files{range} in {clock.Elapsed.TotalSeconds:F2}s");
            console.Error.WriteLine($"vigil: {result.Detections.Count} detections" + (result.Detections.Count > 0 ? $" ({string.Join(", ", levels)})" : "")
                + (diagnostics.Count > 0 ? $"; {diagnostics.Count} read errors" : "")
                + (diagnostics.Notices > 0 ? $"; {diagnostics.Notices} notes (--verbose shows them)" : ""));
            if (campaignInput is not null)
                console.Error.WriteLine($"vigil: {campaigns.Count} campaigns ({campaigns.Count(c => c.Kind == "intrusion")} intrusion) from {campaignInput.Context.Processes.Count:N0} process, "
                    + $"{campaignInput.Context.Logons.Count:N0} logon and {campaignInput.Context.Flows.Count:N0} flow records in {HuntCampaigns.BuildTime.TotalSeconds:F2}s"
                    + (campaignInput.InformationalOnlyGroups > 0 ? $"; {campaignInput.InformationalOnlyGroups:N0} groups of informational detections only are not campaigns" : "")
                    + (campaignInput.Context.Dropped > 0 ? $"; {campaignInput.Context.Dropped:N0} context records over the caps were not kept" : ""));
        }
        return result.Stats.Events == 0 && diagnostics.Count > 0 ? ExitCodes.NothingRead : ExitCodes.Ok;
    }

    private static int SafeWindowWidth()
    {
        try { return Math.Max(80, Console.WindowWidth); } catch (IOException) { return 160; }
    }
}
