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
        var sources = new List<(string File, Func<string> Read)>();
        if (includeBuiltin) sources.AddRange(BuiltinSources());
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
        foreach (var f in found) sources.Add((f, () => File.ReadAllText(f)));
        return LoadSources(compiler, sources, errors);
    }

    /// <summary>
    /// Two passes over the files, each parallel over files with results gathered in file order (deterministic):
    /// parse every document first, because filters and correlations refer to rules in other files; then compile
    /// each rule with the filters that target it; then resolve correlation references across the whole set.
    /// </summary>
    private static RuleSet LoadSources(RuleCompiler compiler, List<(string File, Func<string> Read)> sources, List<RuleError> errors)
    {
        var parsed = new (ParsedFile? Docs, List<RuleError> Errors)[sources.Count];
        Parallel.For(0, sources.Count, i =>
        {
            var fileErrors = new List<RuleError>();
            ParsedFile? docs = null;
            try { docs = SigmaParser.ParseDocuments(sources[i].Read(), sources[i].File, fileErrors); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fileErrors.Add(new RuleError(sources[i].File, 0, 0, "cannot read: " + ex.Message));
            }
            parsed[i] = (docs, fileErrors);
        });
        int files = parsed.Count(p => p.Docs != null);

        // A filter that does not compile is reported once, against its own file, and applied to nothing.
        var filters = new List<SigmaFilter>();
        foreach (var f in parsed.Where(p => p.Docs != null).SelectMany(p => p.Docs!.Filters))
        {
            try { compiler.Validate(f); filters.Add(f); }
            catch (RuleParseException ex) { errors.Add(new RuleError(f.Detection.File, ex.Line, ex.Column, $"filter '{f.Title}': {ex.Message}")); }
        }
        var allRules = parsed.Where(p => p.Docs != null).SelectMany(p => p.Docs!.Rules).ToList();
        var warnings = new List<RuleError>();
        var filtersFor = FilterTargets(filters, allRules, warnings);

        var compiled = new (List<CompiledRule> Rules, List<RuleError> Errors, List<RuleError> Warnings)[sources.Count];
        Parallel.For(0, sources.Count, i =>
        {
            var fileRules = new List<CompiledRule>();
            var fileErrors = parsed[i].Errors;
            var fileWarnings = new List<RuleError>();
            if (parsed[i].Docs is { } docs)
                foreach (var rule in docs.Rules)
                {
                    try
                    {
                        fileRules.Add(compiler.Compile(rule, filtersFor.TryGetValue(rule, out var fl) ? fl : [], fileWarnings));
                    }
                    catch (RuleParseException ex)
                    {
                        fileErrors.Add(new RuleError(rule.File, ex.Line, ex.Column, ex.Message));
                    }
                }
            compiled[i] = (fileRules, fileErrors, fileWarnings);
        });
        var rules = new List<CompiledRule>();
        foreach (var (fileRules, fileErrors, fileWarnings) in compiled)
        {
            rules.AddRange(fileRules);
            errors.AddRange(fileErrors);
            warnings.AddRange(fileWarnings);
        }
        var correlations = CorrelationResolver.Resolve(
            parsed.Where(p => p.Docs != null).SelectMany(p => p.Docs!.Correlations).ToList(), rules, errors, compiler.FieldMap);
        return new RuleSet(rules, errors, files, correlations, warnings, filters);
    }

    /// <summary>
    /// Which filters apply to which rule. A filter applies to each rule it names (by id or name) whose logsource
    /// agrees with the filter's: every part the filter's logsource sets (product, category, service) must be the
    /// rule's too. A named rule with another logsource, or a name no loaded rule has, is a warning: filters are
    /// often shared across collections, so a missing target is not an error, but it is never silent.
    /// </summary>
    private static Dictionary<SigmaRule, List<SigmaFilter>> FilterTargets(List<SigmaFilter> filters, List<SigmaRule> rules, List<RuleError> warnings)
    {
        var result = new Dictionary<SigmaRule, List<SigmaFilter>>(ReferenceEqualityComparer.Instance);
        if (filters.Count == 0) return result;
        var byRef = new Dictionary<string, List<SigmaRule>>(StringComparer.Ordinal);
        foreach (var r in rules)
        {
            if (r.Id.Length > 0) Add(byRef, r.Id, r);
            if (r.Name is { } n && n != r.Id) Add(byRef, n, r);
        }
        foreach (var f in filters)
        {
            foreach (var reference in f.RuleRefs)
            {
                if (!byRef.TryGetValue(reference, out var targets))
                {
                    warnings.Add(new RuleError(f.Detection.File, f.RulesLine, f.RulesColumn, $"filter '{f.Title}': no loaded rule has id or name '{reference}'"));
                    continue;
                }
                foreach (var rule in targets)
                {
                    if (!LogsourceCovers(f.Detection.Logsource, rule.Logsource))
                    {
                        warnings.Add(new RuleError(f.Detection.File, f.RulesLine, f.RulesColumn,
                            $"filter '{f.Title}' names rule '{reference}' ({rule.File}) but their logsources differ; the filter is not applied to it"));
                        continue;
                    }
                    if (!result.TryGetValue(rule, out var list)) result[rule] = list = [];
                    if (!list.Contains(f)) list.Add(f);
                }
            }
        }
        return result;

        static void Add(Dictionary<string, List<SigmaRule>> d, string key, SigmaRule r)
        {
            if (!d.TryGetValue(key, out var l)) d[key] = l = [];
            l.Add(r);
        }
    }

    private static bool LogsourceCovers(Logsource filter, Logsource rule) =>
        Same(filter.Product, rule.Product) && Same(filter.Category, rule.Category) && Same(filter.Service, rule.Service);

    private static bool Same(string? filterPart, string? rulePart) =>
        filterPart == null || string.Equals(filterPart, rulePart, StringComparison.OrdinalIgnoreCase);

    /// <summary>The rules embedded in this assembly (resources named <c>Vigil.Builtin.*.yml</c>).</summary>
    public static RuleSet LoadBuiltin()
    {
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(new RuleLoadOptions(), errors);
        return LoadSources(compiler, BuiltinSources(), errors);
    }

    public static RuleSet LoadText(string yaml, string fileName) => LoadText(yaml, fileName, new RuleLoadOptions());

    public static RuleSet LoadText(string yaml, string fileName, RuleLoadOptions options)
    {
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(options, errors);
        return LoadSources(compiler, [(fileName, () => yaml)], errors);
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
        var fields = FieldMap.Builtin;
        if (options.FieldMappingFile is { } fieldFile)
        {
            try { fields = FieldMap.WithOverrides(File.ReadAllText(fieldFile), fieldFile, errors); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(new RuleError(fieldFile, 0, 0, "cannot read field mapping: " + ex.Message));
            }
        }
        return new RuleCompiler(map, options.Placeholders, fieldMap: fields);
    }

    private static List<(string File, Func<string> Read)> BuiltinSources()
    {
        var asm = typeof(RuleLoader).Assembly;
        var list = new List<(string, Func<string>)>();
        foreach (var name in asm.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!name.StartsWith(BuiltinPrefix, StringComparison.Ordinal) || !name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) continue;
            list.Add(("builtin:" + name[BuiltinPrefix.Length..], () =>
            {
                using var stream = asm.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream);
                return reader.ReadToEnd();
            }));
        }
        return list;
    }
}
