using System.Security.Cryptography;
using System.Text;
using Vigil.Rules.Caching;
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var errors = new List<RuleError>();
        var compiler = CreateCompiler(options, errors);
        double mappings = clock.Elapsed.TotalSeconds;
        var sources = new List<RuleSource>();
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
        foreach (var f in found) sources.Add(new RuleSource(f, () => File.ReadAllBytes(f), null));
        double listed = clock.Elapsed.TotalSeconds;
        var set = LoadSources(compiler, sources, errors, options.CacheDirectory, options.CacheDirectory != null ? OptionsDigest(options) : null);
        set.LoadTimes = $"mappings {mappings:F2} s, listing {listed - mappings:F2} s, {set.LoadTimes}";
        return set;
    }

    /// <summary>
    /// Where a rule file's text comes from: its bytes (files, embedded rules: decoded like File.ReadAllText, UTF-8
    /// unless a byte order mark says otherwise; these can be cached by content) or a string (LoadText: never cached).
    /// </summary>
    private sealed record RuleSource(string File, Func<byte[]>? Bytes, Func<string>? Text);

    /// <summary>
    /// Two passes over the files, each parallel over files with results gathered in file order (deterministic):
    /// parse every document first, because filters and correlations refer to rules in other files; then compile
    /// each rule with the filters that target it; then resolve correlation references across the whole set.
    /// With a cache folder, the parse of a file whose exact bytes were parsed before (by this build) is read from
    /// the cache instead (see <see cref="RuleCache"/>); everything after the parse stage is always recomputed.
    /// </summary>
    private static RuleSet LoadSources(RuleCompiler compiler, List<RuleSource> sources, List<RuleError> errors, string? cacheDir = null,
        byte[]? optionsDigest = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cache = cacheDir != null ? RuleCache.Open(cacheDir) : null;
        var keys = cache != null ? new (ContentKey Key, byte[]? NewEntry)[sources.Count] : null;
        var cacheable = cache != null ? new bool[sources.Count] : null;
        var parsed = new (ParsedFile? Docs, List<RuleError> Errors)[sources.Count];
        Parallel.For(0, sources.Count, i =>
        {
            var src = sources[i];
            var fileErrors = new List<RuleError>();
            ParsedFile? docs = null;
            try
            {
                string text;
                if (src.Bytes is { } readBytes)
                {
                    byte[] bytes = readBytes();
                    if (cache != null)
                    {
                        var key = ContentKey.Of(bytes);
                        keys![i] = (key, null);
                        cacheable![i] = true;
                        docs = cache.TryGet(key, src.File);
                    }
                    text = docs == null ? Decode(bytes) : "";
                }
                else text = src.Text!();
                if (docs == null)
                {
                    docs = SigmaParser.ParseDocuments(text, src.File, fileErrors);
                    // Only clean parses are stored: a file with errors is parsed (and its errors reported) every time.
                    if (cache != null && cacheable![i] && fileErrors.Count == 0) keys![i].NewEntry = ParsedFileCodec.Write(docs);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                fileErrors.Add(new RuleError(src.File, 0, 0, "cannot read: " + ex.Message));
            }
            parsed[i] = (docs, fileErrors);
        });
        RuleCacheStats? cacheStats = null;
        if (cache != null)
        {
            var used = new List<(ContentKey, byte[]?)>();
            for (int i = 0; i < sources.Count; i++) if (cacheable![i]) used.Add(keys![i]);
            cacheStats = cache.Save(used);
        }
        double read = clock.Elapsed.TotalSeconds;
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

        double filtered = clock.Elapsed.TotalSeconds;
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
        double compiledAt = clock.Elapsed.TotalSeconds;
        byte[]? fingerprint = optionsDigest != null && keys != null && sources.All(s => s.Bytes != null) && cacheable!.All(c => c)
            ? Fingerprint(optionsDigest, sources, keys) : null;
        if (fingerprint != null)
            for (int i = 0; i < rules.Count; i++) rules[i].Origin = (fingerprint, i);
        var correlations = CorrelationResolver.Resolve(
            parsed.Where(p => p.Docs != null).SelectMany(p => p.Docs!.Correlations).ToList(), rules, errors, compiler.FieldMap);
        return new RuleSet(rules, errors, files, correlations, warnings, filters)
        {
            Cache = cacheStats,
            Fingerprint = fingerprint,
            LoadTimes = $"read and parse {read:F2} s ({(cache != null ? "parse cache" : "no cache")}), filters {filtered - read:F2} s, "
                + $"compile {compiledAt - filtered:F2} s, correlations {clock.Elapsed.TotalSeconds - compiledAt:F2} s",
        };
    }

    /// <summary>See <see cref="RuleSet.Fingerprint"/>: the code stamp, the options' digest, then each file's path and
    /// content key in load order.</summary>
    private static byte[] Fingerprint(byte[] optionsDigest, List<RuleSource> sources, (ContentKey Key, byte[]? NewEntry)[] keys)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData("VIGIL-RULESET-1"u8);
        h.AppendData(RuleCache.Stamp);
        h.AppendData(optionsDigest);
        Span<byte> key = stackalloc byte[ContentKey.Size + 4];
        for (int i = 0; i < sources.Count; i++)
        {
            // Full paths: the same files named from another working folder are the same rule set.
            string file = sources[i].File.StartsWith("builtin:", StringComparison.Ordinal) ? sources[i].File : Path.GetFullPath(sources[i].File);
            var path = Encoding.UTF8.GetBytes(file);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(key[ContentKey.Size..], path.Length);
            keys[i].Key.WriteTo(key);
            h.AppendData(key);
            h.AppendData(path);
        }
        return h.GetHashAndReset();
    }

    /// <summary>What of the load options changes compilation: placeholder values (by name, case-insensitively as
    /// they are looked up) and the contents of the mapping files (unreadable: their error text, which the load reports).</summary>
    private static byte[] OptionsDigest(RuleLoadOptions options)
    {
        var text = new StringBuilder();
        if (options.Placeholders is { } ph)
            foreach (var (name, values) in ph.OrderBy(kv => kv.Key.ToUpperInvariant(), StringComparer.Ordinal).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            {
                text.Append("placeholder ").Append(name.Length).Append(':').Append(name).Append(' ').Append(values.Count);
                foreach (var v in values) text.Append(' ').Append(v.Length).Append(':').Append(v);
                text.Append('\n');
            }
        foreach (var (what, file) in new[] { ("logsources", options.LogsourceMappingFile), ("fields", options.FieldMappingFile) })
        {
            if (file == null) continue;
            string content;
            try { content = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file))); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { content = "unreadable " + ex.Message; }
            text.Append(what).Append(' ').Append(file.Length).Append(':').Append(file).Append(' ').Append(content).Append('\n');
        }
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Bytes → text exactly as File.ReadAllText does (UTF-8, or the encoding a byte order mark names).</summary>
    private static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes, writable: false), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
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
        return LoadSources(compiler, [new RuleSource(fileName, null, () => yaml)], errors);
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

    private static List<RuleSource> BuiltinSources()
    {
        var asm = typeof(RuleLoader).Assembly;
        var list = new List<RuleSource>();
        foreach (var name in asm.GetManifestResourceNames().Order(StringComparer.Ordinal))
        {
            if (!name.StartsWith(BuiltinPrefix, StringComparison.Ordinal) || !name.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)) continue;
            list.Add(new RuleSource("builtin:" + name[BuiltinPrefix.Length..], () =>
            {
                using var stream = asm.GetManifestResourceStream(name)!;
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                return copy.ToArray();
            }, null));
        }
        return list;
    }
}
