using Vigil.Engine.Metrics;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil metrics INPUT... [--by eventid|computer|channel] [--format table|csv|json] [--output FILE]</c>:
/// how many events of each EventID (with channel and provider), per computer or per channel, with percentages and
/// first/last times, sorted by count. Like Hayabusa's eid-metrics and computer-metrics.
/// </summary>
public static class MetricsCommand
{
    public static readonly string[] Groupings = ["eventid", "computer", "channel"];

    public static int Run(string[] args, CliConsole console) =>
        CountingCommand.Run(args, console, ["--by"], a =>
        {
            string by = a.Choice("--by", "eventid", Groupings);
            return (files, diagnostics, threads, progress) =>
            {
                var result = EventMetrics.Count(files, diagnostics, threads, progress);
                var table = by switch { "computer" => result.ByComputer, "channel" => result.ByChannel, _ => result.ByEventId };
                return new CountingCommand.Counted(table, Footer: null, result.Stats, Summary: "counted");
            };
        });
}
