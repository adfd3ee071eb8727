using Vigil.Rules.Compilation;
using Vigil.Rules.Logsources;
using Vigil.Rules.Parsing;

namespace Vigil.Rules;

/// <summary>
/// Loads Sigma rules: read files → parse (YAML → <see cref="SigmaRule"/>) → compile (→ <see cref="CompiledRule"/>).
/// A bad file or rule yields <see cref="RuleError"/>s naming the file and line; every other rule still loads.
/// </summary>
public static class RuleLoader
{
    private const string BuiltinPrefix = "Vigil.Builtin.";

    public static RuleSet Load(IEnumerable<string> paths, bool includeBuiltin) => Load(paths, includeBuiltin, new RuleLoadOptions());

    public static RuleSet Load(IEnumerable<string> paths, bool includeBuiltin, RuleLoadOptions options)
    {
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(options, errors);
        var rules = new List<CompiledRule>();
        int files = 0;
        if (includeBuiltin) files += LoadBuiltinInto(compiler, rules, errors);
        foreach (var path in paths)
        {
            IEnumerable<string> found;
            if (Directory.Exists(path))
            {
                found = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
            }
            else if (File.Exists(path)) found = [path];
            else
            {
                errors.Add(new RuleError(path, 0, 0, "no such file or directory"));
                continue;
            }
            foreach (var file in found)
            {
                string text;
                try { text = File.ReadAllText(file); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new RuleError(file, 0, 0, "cannot read: " + ex.Message));
                    continue;
                }
                files++;
                LoadInto(compiler, text, file, rules, errors);
            }
        }
        return new RuleSet(rules, errors, files);
    }

    /// <summary>The rules embedded in this assembly (resources named <c>Vigil.Builtin.*.yml</c>).</summary>
    public static RuleSet LoadBuiltin()
    {
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(new RuleLoadOptions(), errors);
        var rules = new List<CompiledRule>();
        int files = LoadBuiltinInto(compiler, rules, errors);
        return new RuleSet(rules, errors, files);
    }

    public static RuleSet LoadText(string yaml, string fileName) => LoadText(yaml, fileName, new RuleLoadOptions());

    public static RuleSet LoadText(string yaml, string fileName, RuleLoadOptions options)
    {
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(options, errors);
        var rules = new List<CompiledRule>();
        LoadInto(compiler, yaml, fileName, rules, errors);
        return new RuleSet(rules, errors, 1);
    }

    /// <summary>Parses without compiling (for tooling and tests of the parse stage).</summary>
    public static IReadOnlyList<SigmaRule> Parse(string yaml, string fileName, List<RuleError> errors) => SigmaParser.Parse(yaml, fileName, errors);

    private static RuleCompiler CreateCompiler(RuleLoadOptions options, List<RuleError> errors)
    {
        var map = LogsourceMap.Builtin;
        if (options.LogsourceMappingFile is { } mapFile)
        {
            try { map = LogsourceMap.WithOverrides(File.ReadAllText(mapFile), mapFile, errors); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(new RuleError(mapFile, 0, 0, "cannot read logsource mapping: " + ex.Message));
            }
        }
        return new RuleCompiler(map, options.Placeholders);
    }

    private static int LoadBuiltinInto(RuleCompiler compiler, List<CompiledRule> rules, List<RuleError> errors)
    {
        var asm = typeof(RuleLoader).Assembly;
        int files = 0;
        foreach (var name in asm.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!name.StartsWith(BuiltinPrefix, StringComparison.Ordinal) || !name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) continue;
            using var stream = asm.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            files++;
            LoadInto(compiler, reader.ReadToEnd(), "builtin:" + name[BuiltinPrefix.Length..], rules, errors);
        }
        return files;
    }

    private static void LoadInto(RuleCompiler compiler, string text, string file, List<CompiledRule> rules, List<RuleError> errors)
    {
        foreach (var rule in SigmaParser.Parse(text, file, errors))
        {
            try
            {
                rules.Add(compiler.Compile(rule));
            }
            catch (RuleParseException ex)
            {
                errors.Add(new RuleError(file, ex.Line, ex.Column, ex.Message));
            }
        }
    }
}
