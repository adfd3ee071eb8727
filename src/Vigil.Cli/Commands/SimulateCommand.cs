namespace Vigil.Cli.Commands;

public static class SimulateCommand
{
    public static int Run(string[] args, CliConsole console) => throw new UsageException("not built yet");
}
