using Vigil.Cli.Commands;

namespace Vigil.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var console = new CliConsole(Console.Out, Console.Error);
        if (Environment.GetEnvironmentVariable("VIGIL_ALLOCLOG") is { Length: > 0 }) AllocProbe.Instance = new AllocProbe();
        int rc = Run(args, console);
        AllocProbe.Instance?.Print();
        return rc;
    }

    /// <summary>Entry point shared by Main and the tests (which run commands in-process).</summary>
    public static int Run(string[] args, CliConsole console)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            console.Out.Write(Usage.Text);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Ok;
        }
        if (args[0] is "--version")
        {
            console.Out.WriteLine(typeof(Program).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            return ExitCodes.Ok;
        }
        string[] rest = args[1..];
        try
        {
            return args[0] switch
            {
                "hunt" => HuntCommand.Run(rest, console),
                "dump" => DumpCommand.Run(rest, console),
                "rules" => RulesCommand.Run(rest, console),
                "simulate" => SimulateCommand.Run(rest, console),
                "metrics" => MetricsCommand.Run(rest, console),
                "logons" => LogonsCommand.Run(rest, console),
                _ => Usage.Fail(console, $"unknown command '{args[0]}'"),
            };
        }
        catch (UsageException ex)
        {
            return Usage.Fail(console, ex.Message);
        }
        catch (Vigil.Outputs.OutputFileException ex)
        {
            // An output path that cannot be written (a file where a folder should be, no permission, disk full):
            // a usage problem, reported without a stack trace.
            console.Error.WriteLine($"vigil: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            // Temporary files (the detection spool's runs, the campaign build's row files and sorts) on a full disk: said
            // plainly, with where they go, instead of a stack trace.
            console.Error.WriteLine($"vigil: {ex.Message.Trim()}: the disk is full. Temporary files go to {Path.GetTempPath()}; " +
                "free space there or point TMPDIR at a folder with more room.");
            return ExitCodes.Usage;
        }
    }

    /// <summary>ENOSPC (28) on Unix, ERROR_DISK_FULL (112) / ERROR_HANDLE_DISK_FULL (39) on Windows.</summary>
    public static bool IsDiskFull(IOException ex) =>
        (ex.HResult & 0xFFFF) is 28 or 112 or 39 || ex.Message.Contains("No space left on device", StringComparison.Ordinal);
}

/// <summary>Exit codes of the contract: 0 done (detections are not errors), 1 usage error, 2 nothing could be read.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int NothingRead = 2;
}

public sealed record CliConsole(TextWriter Out, TextWriter Error)
{
    /// <summary>True when stderr is an interactive terminal (progress bars go there only then).</summary>
    public bool ErrorIsTerminal { get; init; } = !Console.IsErrorRedirected;
}

public sealed class UsageException(string message) : Exception(message);
