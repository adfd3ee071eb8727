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
        var a = new ArgReader(args, ["--format", "--mapping", "--placeholder"], ["--no-rule-cache"]);
        string format = a.Choice("--format", "json", "json", "text");
        if (a.Positional.Count == 0) throw new UsageException("rules check needs at least one PATH (a rule file or folder)");
        var missing = a.Positional.Where(p => !File.Exists(p) && !Directory.Exists(p)).ToList();
        foreach (var m in missing) console.Error.WriteLine($"vigil: {m}: no such file or folder");
        if (missing.Count == a.Positional.Count) return ExitCodes.NothingRead;

        var set = RuleLoader.Load(a.Positional.Except(missing), includeBuiltin: false, LoadOptions(a));
        int failed = set.Failed;
        if (format == "json")
        {
            using var w = new Utf8JsonWriter(new TextWriterStream(console.Out),
                new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartObject();
            w.WriteNumber("loaded", set.Rules.Count);
            w.WriteNumber("failed", failed);
            w.WriteNumber("files", set.FilesRead);
            w.WriteNumber("correlations", set.Correlations.Count);
            w.WriteNumber("filters", set.Filters.Count);
            w.WriteNumber("warnings", set.Warnings.Count);
            WriteProblems(w, "errors", set.Errors);
            WriteProblems(w, "warning_list", set.Warnings);
            w.WriteEndObject();
            w.Flush();
            console.Out.WriteLine();
        }
        else
        {
            foreach (var e in set.Errors) console.Out.WriteLine(e.ToString());
            foreach (var e in set.Warnings) console.Out.WriteLine("warning: " + e);
            console.Out.WriteLine($"{set.Rules.Count} rules loaded, {failed} failed, from {set.FilesRead} files"
                + $"; {set.Correlations.Count} correlations, {set.Filters.Count} filters, {set.Warnings.Count} warnings");
        }
        return failed > 0 || missing.Count > 0 ? ExitCodes.Usage : ExitCodes.Ok;
    }

    private static void WriteProblems(Utf8JsonWriter w, string name, IReadOnlyList<RuleError> list)
    {
        w.WriteStartArray(name);
        foreach (var e in list)
        {
            w.WriteStartObject();
            w.WriteString("file", e.File);
            w.WriteNumber("line", e.Line);
            w.WriteNumber("column", e.Column);
            w.WriteString("message", e.Message);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Options shared by hunt, rules check and rules list.</summary>
    public static RuleLoadOptions LoadOptions(ArgReader a)
    {
        string? mapping = a.Value("--mapping");
        if (mapping != null && !File.Exists(mapping)) throw new UsageException($"--mapping {mapping}: no such file");
        // --placeholder NAME=VALUE (repeatable; several values for one name are OR-ed, as Sigma's expand says).
        var placeholders = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var p in a.All("--placeholder"))
        {
            int eq = p.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--placeholder needs NAME=VALUE, got '{p}'");
            string name = p[..eq].Trim('%');
            if (!placeholders.TryGetValue(name, out var values)) placeholders[name] = values = [];
            values.Add(p[(eq + 1)..]);
        }
        return new RuleLoadOptions
        {
            FieldMappingFile = mapping,
            Placeholders = placeholders.Count == 0 ? null : placeholders.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.Ordinal),
            // Parse cache (see Vigil.Rules/Caching/RuleCache.cs): exact by content and build; --no-rule-cache or
            // VIGIL_NO_RULE_CACHE=1 turns it off, VIGIL_CACHE_DIR moves it.
            CacheDirectory = a.Flag("--no-rule-cache") ? null : RuleLoadOptions.DefaultCacheDirectory(),
        };
    }

    /// <summary>The rule selection flags (hunt and rules list).</summary>
    public static RuleSelection Selection(ArgReader a)
    {
        string? minLevel = a.Value("--min-level");
        if (minLevel is not null && RuleSelection.LevelRank(minLevel) == 0)
            throw new UsageException($"--min-level must be one of informational, low, medium, high, critical; got '{minLevel}'");
        return new RuleSelection
        {
            MinLevel = minLevel,
            Statuses = a.All("--status"),
            IncludeIds = a.All("--include-id"),
            ExcludeIds = a.All("--exclude-id"),
            IncludeTags = a.All("--include-tag"),
            ExcludeTags = a.All("--exclude-tag"),
        };
    }

    private static int List(string[] args, CliConsole console)
    {
        var a = new ArgReader(args, ["--rules", "-r", "--min-level", "--status", "--include-id", "--exclude-id", "--include-tag", "--exclude-tag", "--mapping", "--placeholder"],
            ["--no-builtin", "--no-rule-cache"]);
        var selection = Selection(a);
        var set = RuleLoader.Load(a.All("--rules").Concat(a.All("-r")), includeBuiltin: !a.Flag("--no-builtin"), LoadOptions(a));
        foreach (var e in set.Errors) console.Error.WriteLine($"vigil: rule error: {e}");
        var shown = set.Rules.Select(r => (Rule: r.Rule, Kind: set.Generates(r.Rule) ? "" : " (feeds a correlation)"))
            .Concat(set.Correlations.Select(c => (Rule: c.Meta, Kind: $" (correlation: {Vigil.Engine.Correlation.CorrelationEngine.TypeName(c.Correlation.Type)})")))
            .Where(x => selection.Selects(x.Rule))
            .OrderByDescending(x => RuleSelection.LevelRank(x.Rule.Level)).ThenBy(x => x.Rule.Title, StringComparer.Ordinal)
            .ToList();
        foreach (var (r, kind) in shown)
            console.Out.WriteLine($"{r.Id}  {r.Level,-13}  {r.Title}{kind}  [{string.Join(" ", r.Tags)}]");
        console.Error.WriteLine($"vigil: {shown.Count} of {set.Rules.Count + set.Correlations.Count} rules");
        return ExitCodes.Ok;
    }
}
