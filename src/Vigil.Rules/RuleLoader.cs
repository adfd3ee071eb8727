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
        var found = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                found.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path)) found.Add(path);
            else errors.Add(new RuleError(path, 0, 0, "no such file or directory"));
        }

        // Files are independent: read, parse and compile them in parallel (YAML parsing dominates load time),
        // then gather results in file order so rule order and error order are deterministic.
        var perFile = new (List<CompiledRule> Rules, List<RuleError> Errors, bool Read)[found.Count];
        Parallel.For(0, found.Count, i =>
        {
            var fileRules = new List<CompiledRule>();
            var fileErrors = new List<RuleError>();
            bool read = false;
            try
            {
                string text = File.ReadAllText(found[i]);
                read = true;
                LoadInto(compiler, text, found[i], fileRules, fileErrors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fileErrors.Add(new RuleError(found[i], 0, 0, "cannot read: " + ex.Message));
            }
            perFile[i] = (fileRules, fileErrors, read);
        });
        foreach (var (fileRules, fileErrors, read) in perFile)
        {
            rules.AddRange(fileRules);
            errors.AddRange(fileErrors);
            if (read) files++;
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
