using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Outputs;

namespace Vigil.Cli.Commands;

/// <summary><c>vigil dump INPUT... [--format jsonl] [--output FILE]</c>: every event as one JSON object per line.</summary>
public static class DumpCommand
{
    private sealed class Worker
    {
        public Utf8JsonWriter? Writer;
    }

    public static int Run(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--format", "--output", "-o", "--threads"], ["--quiet", "-q", "--verbose", "-v"]);
        a.Choice("--format", "jsonl", "jsonl");
        using var files = Inputs.Open(a, console, out var diagnostics);
        if (files is null) return ExitCodes.NothingRead;
        var clock = Stopwatch.StartNew();
        var progress = new ProgressBar(console, console.ErrorIsTerminal && !a.Flag("--quiet") && !a.Flag("-q"));
        ReadStats stats = new();
        using (var output = Inputs.OpenOutput(a.Value("--output") ?? a.Value("-o"), console))
        {
            PartitionPipeline.Run<Worker, ArrayBufferWriter<byte>>(
                files, stats,
                createWorker: () => new Worker(),
                process: (worker, part, scratch) =>
                {
                    var buffer = new ArrayBufferWriter<byte>(1 << 16);
                    long n = 0, lo = long.MaxValue, hi = long.MinValue;
                    part.Read(scratch, e =>
                    {
                        n++;
                        if (e.TimestampTicks != 0) { lo = Math.Min(lo, e.TimestampTicks); hi = Math.Max(hi, e.TimestampTicks); }
                        EventJson.WriteLine(e, buffer, ref worker.Writer);
                    }, diagnostics);
                    stats.Account(n, lo, hi);
                    return buffer;
                },
                consumeInOrder: buffer => output.Write(buffer.WrittenSpan),
                diagnostics,
                degree: (int?)a.Long("--threads"),
                onProgress: progress.Update);
        }
        progress.Finish();
        if (!a.Flag("--quiet") && !a.Flag("-q"))
            console.Error.WriteLine($"vigil: dumped {stats.Events:N0} events from {stats.FilesRead} of {files.Count} files in {clock.Elapsed.TotalSeconds:F2}s; {diagnostics.Count} read errors"
                + (diagnostics.Notices > 0 ? $", {diagnostics.Notices} notes (--verbose shows them)" : ""));
        return stats.Events == 0 && diagnostics.Count > 0 ? ExitCodes.NothingRead : ExitCodes.Ok;
    }
}
