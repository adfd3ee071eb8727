using Vigil.Cli;

namespace Vigil.Tests.Cli;

/// <summary>Runs the real `vigil` entry point in-process and captures what it prints.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Result Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = Program.Run(args, new CliConsole(o, e) { ErrorIsTerminal = false });
        return new Result(code, o.ToString(), e.ToString());
    }

    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
