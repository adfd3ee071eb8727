using System.Text.Json;
using Vigil.Outputs;
using Vigil.Rules;

namespace Vigil.Cli.Commands;

/// <summary>
/// <c>vigil rules check PATH... [--format json|text]</c>: loads and compiles rules, reports every problem
/// with file and line, exits non-zero when any rule failed.
/// <c>vigil rules list [--rules PATH]... [--no-builtin]</c>: the rules a hunt would run.
/// </summary>
public static class RulesCommand
{
    public static int Run(string[] args, CliConsole console)
    {
        if (args.Length == 0) throw new UsageException("rules needs a subcommand: check or list");
        return args[0] switch
        {
            "check" => Check(args[1..], console),
            "list" => List(args[1..], console),
            _ => throw new UsageException($"unknown rules subcommand '{args[0]}' (check, list)"),
        };
    }

    private static int Check(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--format"], []);
        string format = a.Choice("--format", "json", "json", "text");
        if (a.Positional.Count == 0) throw new UsageException("rules check needs at least one PATH (a rule file or folder)");
        var missing = a.Positional.Where(p => !File.Exists(p) && !Directory.Exists(p)).ToList();
        foreach (var m in missing) console.Error.WriteLine($"vigil: {m}: no such file or folder");
        if (missing.Count == a.Positional.Count) return ExitCodes.NothingRead;

        var set = RuleLoader.Load(a.Positional.Except(missing), includeBuiltin: false);
        int failed = set.Failed;
        if (format == "json")
        {
            using var w = new Utf8JsonWriter(new TextWriterStream(console.Out),
                new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartObject();
            w.WriteNumber("loaded", set.Rules.Count);
            w.WriteNumber("failed", failed);
            w.WriteNumber("files", set.FilesRead);
            w.WriteStartArray("errors");
            foreach (var e in set.Errors)
            {
                w.WriteStartObject();
                w.WriteString("file", e.File);
                w.WriteNumber("line", e.Line);
                w.WriteNumber("column", e.Column);
                w.WriteString("message", e.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
            console.Out.WriteLine();
        }
        else
        {
            foreach (var e in set.Errors) console.Out.WriteLine(e.ToString());
            console.Out.WriteLine($"{set.Rules.Count} rules loaded, {failed} failed, from {set.FilesRead} files");
        }
        return failed > 0 || missing.Count > 0 ? ExitCodes.Usage : ExitCodes.Ok;
    }

    private static int List(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--rules", "-r"], ["--no-builtin"]);
        var set = RuleLoader.Load(a.All("--rules").Concat(a.All("-r")), includeBuiltin: !a.Flag("--no-builtin"));
        foreach (var e in set.Errors) console.Error.WriteLine($"vigil: rule error: {e}");
        foreach (var r in set.Rules.OrderByDescending(r => DetectionWriters.LevelRank(r.Rule.Level)).ThenBy(r => r.Rule.Title, StringComparer.Ordinal))
            console.Out.WriteLine($"{r.Rule.Id}  {r.Rule.Level,-13}  {r.Rule.Title}  [{string.Join(" ", r.Rule.Tags)}]");
        console.Error.WriteLine($"vigil: {set.Rules.Count} rules");
        return ExitCodes.Ok;
    }
}
