using System.Diagnostics;
using Vigil.Engine.Metrics;
using Vigil.Outputs;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil metrics INPUT... [--by eventid|computer|channel] [--format table|csv|json] [--output FILE]</c>:
/// how many events of each EventID (with channel and provider), per computer or per channel, with percentages and
/// first/last times, sorted by count. Like Hayabusa's eid-metrics and computer-metrics.
/// </summary>
public static class MetricsCommand
{
    public static readonly string[] Groupings = ["eventid", "computer", "channel"];

    public static int Run(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--by", "--format", "-f", "--output", "-o", "--threads"], ["--quiet", "-q", "--verbose", "-v"]);
        string by = a.Choice("--by", "eventid", Groupings);
        string format = a.Choice(a.Value("-f") is null ? "--format" : "-f", "table", CountTableWriter.Formats);
        bool quiet = a.Flag("--quiet") || a.Flag("-q");
        var files = Inputs.Open(a, console, out var diagnostics);
        if (files is null) return ExitCodes.NothingRead;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(console, console.ErrorIsTerminal && !quiet);
        var result = EventMetrics.Count(files, diagnostics, (int?)a.Long("--threads"), progress.Update);
        progress.Finish();
        var table = by switch { "computer" => result.ByComputer, "channel" => result.ByChannel, _ => result.ByEventId };
        using (var output = Inputs.OpenOutput(a.Value("--output") ?? a.Value("-o"), console))
            CountTableWriter.Write(format, table, output);
        var s = result.Stats;
        if (!quiet)
            console.Error.WriteLine($"vigil: counted {s.Events:N0} events from {s.FilesRead} of {files.Count} files in {clock.Elapsed.TotalSeconds:F2}s; {diagnostics.Count} read errors"
                + (diagnostics.Notices > 0 ? $", {diagnostics.Notices} notes (--verbose shows them)" : ""));
        return s.Events == 0 && diagnostics.Count > 0 ? ExitCodes.NothingRead : ExitCodes.Ok;
    }
}
