using Vigil.Simulation;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil simulate --out DIR [--scenario human|machine|cloud|benign] [--format jsonl|evtx] [--events N] [--seed S]</c>:
/// writes a labelled synthetic day of a small company's Windows, Zeek and CloudTrail logs with an intrusion in it
/// (none for benign), and its truth.json.
/// </summary>
public static class SimulateCommand
{
    public static int Run(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--out", "--format", "--events", "--seed", "--scenario"], ["--quiet", "-q"]);
        if (a.Positional.Count > 0) throw new UsageException($"simulate takes no positional arguments (got '{a.Positional[0]}')");
        string outDir = a.Value("--out") ?? throw new UsageException("simulate needs --out DIR");
        string format = a.Choice("--format", "jsonl", "jsonl", "evtx");
        string scenario = a.Choice("--scenario", "human", [.. Simulator.Scenarios]);
        long events = a.Long("--events") ?? 20000;
        if (events < 0) throw new UsageException("--events must be zero or more");
        long seed = a.Long("--seed") ?? 1;
        if (seed is < int.MinValue or > int.MaxValue) throw new UsageException("--seed must fit in 32 bits");
        SimulationResult result;
        try
        {
            result = Simulator.Run(new SimulationOptions { OutDir = outDir, Events = events, Seed = (int)seed, Format = format, Scenario = scenario });
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException)
        {
            // The simulator's own limits (e.g. an EVTX file past 65,535 chunks at tens of millions of events).
            throw new UsageException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The output folder cannot be made or written: the same clear error as every other output.
            throw new Vigil.Outputs.OutputFileException(outDir, ex);
        }
        if (!a.Flag("--quiet") && !a.Flag("-q"))
        {
            // EVTX output is one file per host and channel (about a hundred files): name them only when few.
            string logDir = Path.Combine(outDir, Simulator.LogFolder);
            var all = result.Files.Concat(result.SideFiles).ToList();
            string files = all.Count <= 10
                ? string.Join(", ", all.Select(f => Path.GetRelativePath(logDir, f)))
                : $"{result.Files.Count} files, one per host and channel; {string.Join(", ", result.SideFiles.Select(f => Path.GetRelativePath(logDir, f)))}";
            console.Error.WriteLine($"vigil: {scenario}: wrote {result.EventCount:N0} Windows events and {result.SideRecordCount:N0} network/cloud records to {logDir} ({files}) and the labels to {result.TruthPath}");
        }
        return ExitCodes.Ok;
    }
}
