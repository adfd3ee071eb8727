namespace Vigil.Cli.Commands;

public static class RulesCommand
{
    public static int Run(string[] args, CliConsole console) => throw new UsageException("not built yet");
}
