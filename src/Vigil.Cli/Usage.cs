namespace Vigil.Cli;

public static class Usage
{
    public const string Text = """
        vigil: hunt for intrusions in security logs with Sigma rules

        usage:
          vigil hunt INPUT... [--rules PATH]... [--no-builtin] [--format jsonl|csv|table]
                              [--output FILE] [--campaigns FILE] [--report FILE] [--min-level L] [--threads N] [--quiet] [--verbose]
          vigil dump INPUT... [--format jsonl] [--output FILE] [--threads N] [--quiet] [--verbose]
          vigil rules check PATH... [--format json|text]
          vigil rules list [--no-builtin] [--rules PATH]...
          vigil simulate --out DIR [--format jsonl] [--events N] [--seed S]

        INPUT is a file or a folder (searched recursively). Formats are told apart by content:
        Windows .evtx, JSON lines / JSON arrays (optionally .gz).

        exit codes: 0 done (detections are not errors), 1 usage error, 2 nothing could be read

        """;

    public static int Fail(CliConsole console, string message)
    {
        console.Error.WriteLine($"vigil: {message}");
        console.Error.WriteLine("run 'vigil --help' for usage");
        return ExitCodes.Usage;
    }
}
