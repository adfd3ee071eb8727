using System.Diagnostics;
using Vigil.Engine.Metrics;
using Vigil.Outputs;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil logons INPUT... [--format table|csv|json] [--output FILE]</c>: successful (4624) and failed (4625)
/// logons by target account, logon type, source address and workstation and computer, with counts and first/last
/// times. Like Hayabusa's logon-summary.
/// </summary>
public static class LogonsCommand
{
    public static int Run(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--format", "-f", "--output", "-o", "--threads"], ["--quiet", "-q", "--verbose", "-v"]);
        string format = a.Choice(a.Value("-f") is null ? "--format" : "-f", "table", CountTableWriter.Formats);
        bool quiet = a.Flag("--quiet") || a.Flag("-q");
        var files = Inputs.Open(a, console, out var diagnostics);
        if (files is null) return ExitCodes.NothingRead;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(console, console.ErrorIsTerminal && !quiet);
        var result = LogonSummary.Count(files, diagnostics, (int?)a.Long("--threads"), progress.Update);
        progress.Finish();
        using (var output = Inputs.OpenOutput(a.Value("--output") ?? a.Value("-o"), console))
            CountTableWriter.Write(format, result.Logons, output,
                footer: $"{result.Successful:N0} successful and {result.Failed:N0} failed logons in {result.Logons.Rows.Count:N0} rows");
        var s = result.Stats;
        if (!quiet)
            console.Error.WriteLine($"vigil: {result.Successful:N0} successful and {result.Failed:N0} failed logons among {s.Events:N0} events from {s.FilesRead} of {files.Count} files in {clock.Elapsed.TotalSeconds:F2}s; {diagnostics.Count} read errors"
                + (diagnostics.Notices > 0 ? $", {diagnostics.Notices} notes (--verbose shows them)" : ""));
        return s.Events == 0 && diagnostics.Count > 0 ? ExitCodes.NothingRead : ExitCodes.Ok;
    }
}
