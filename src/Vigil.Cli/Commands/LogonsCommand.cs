using Vigil.Engine.Metrics;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil logons INPUT... [--format table|csv|json] [--output FILE]</c>: successful (4624) and failed (4625)
/// logons by target account, logon type, source address and workstation and computer, with counts and first/last
/// times. Like Hayabusa's logon-summary.
/// </summary>
public static class LogonsCommand
{
    public static int Run(string[] args, CliConsole console) =>
        CountingCommand.Run(args, console, [], _ => (files, diagnostics, threads, progress) =>
        {
            var result = LogonSummary.Count(files, diagnostics, threads, progress);
            return new CountingCommand.Counted(result.Logons,
                Footer: $"{result.Successful:N0} successful and {result.Failed:N0} failed logons in {result.Logons.Rows.Count:N0} rows",
                result.Stats, Summary: $"{result.Successful:N0} successful and {result.Failed:N0} failed logons among");
        });
}
