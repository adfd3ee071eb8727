using System.Diagnostics;
using Vigil.Diagnostics;
using Vigil.Engine.Metrics;
using Vigil.Engine.Pipeline;
using Vigil.Outputs;
using Vigil.Readers;

namespace Vigil.Cli.Commands;

/// <summary>The frame the counting commands (<c>metrics</c>, <c>logons</c>) share: their arguments, one counting pass
/// over the inputs with a progress bar, a count table to the output, a summary line on stderr and the exit code.</summary>
internal static class CountingCommand
{
    /// <summary>What one counting pass produced.</summary>
    /// <param name="Summary">Start of the stderr line, before "among/from N events …".</param>
    public sealed record Counted(CountTable Table, string? Footer, ReadStats Stats, string Summary);

    /// <summary>One counting pass: (files, diagnostics, threads, progress) → what was counted.</summary>
    public delegate Counted Pass(IReadOnlyList<InputFile> files, IDiagnostics diagnostics, int? threads, Action<ReadStats> progress);

    /// <param name="extraValues">Options with a value besides the shared ones (e.g. <c>--by</c>).</param>
    /// <param name="prepare">Reads the command's own options (before the inputs are opened, so a usage error comes
    /// first) and returns the counting pass.</param>
    public static int Run(string[] args, CliConsole console, string[] extraValues, Func<ArgReader, Pass> prepare)
    {
        var a = new ArgReader(args, [.. extraValues, "--format", "-f", "--output", "-o", "--threads"], ["--quiet", "-q", "--verbose", "-v"]);
        var count = prepare(a);
        string format = a.Choice(a.Value("-f") is null ? "--format" : "-f", "table", CountTableWriter.Formats);
        bool quiet = a.Flag("--quiet") || a.Flag("-q");
        using var files = Inputs.Open(a, console, out var diagnostics);
        if (files is null) return ExitCodes.NothingRead;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(console, console.ErrorIsTerminal && !quiet);
        var result = count(files, diagnostics, (int?)a.Long("--threads"), progress.Update);
        progress.Finish();
        using (var output = Inputs.OpenOutput(a.Value("--output") ?? a.Value("-o"), console))
            CountTableWriter.Write(format, result.Table, output, result.Footer);
        var s = result.Stats;
        if (!quiet)
            console.Error.WriteLine($"vigil: {result.Summary} {s.Events:N0} events from {s.FilesRead} of {files.Count} files in {clock.Elapsed.TotalSeconds:F2}s; {diagnostics.Count} read errors"
                + (diagnostics.Notices > 0 ? $", {diagnostics.Notices} notes (--verbose shows them)" : ""));
        return s.Events == 0 && diagnostics.Count > 0 ? ExitCodes.NothingRead : ExitCodes.Ok;
    }
}
