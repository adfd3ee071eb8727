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

    /// <summary>A fresh folder for one test's files, under this test run's own folder
    /// (<c>$TMPDIR/vigil-tests/run-PID</c>), which is deleted when the test process exits.</summary>
    public static string TempDir(string name)
    {
        var dir = Path.Combine(RunRoot.Value, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static readonly Lazy<string> RunRoot = new(() =>
    {
        string parent = Path.Combine(Path.GetTempPath(), "vigil-tests");
        Directory.CreateDirectory(parent);
        SweepStale(parent);
        string root = Path.Combine(parent, $"run-{Environment.ProcessId}");
        Directory.CreateDirectory(root);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(root);
        return root;
    });

    /// <summary>Removes what earlier test runs left behind (a run killed before its exit handler ran, or test files from
    /// before runs had their own folder: they used to pile up to many GB): run folders whose process is gone, and any
    /// other entry untouched for an hour (another test run may be using a younger one right now).</summary>
    private static void SweepStale(string parent)
    {
        foreach (var entry in new DirectoryInfo(parent).EnumerateFileSystemInfos())
        {
            bool stale = entry.Name.StartsWith("run-", StringComparison.Ordinal) && int.TryParse(entry.Name.AsSpan(4), out int pid)
                ? !ProcessAlive(pid)
                : entry.LastWriteTimeUtc < DateTime.UtcNow.AddHours(-1);
            if (stale) TryDelete(entry.FullName);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try { using var p = System.Diagnostics.Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
