using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Vigil.Rules;
using Vigil.Rules.Caching;
using Vigil.Rules.Parsing;
using Vigil.Tests.Cli;
using Xunit;

namespace Vigil.Tests.Rules;

/// <summary>
/// Keeps every in-process CLI run of the test suite off the user's own rule cache: VIGIL_CACHE_DIR points at a
/// per-process temporary folder before any test runs (the CLI enables the cache by default).
/// </summary>
internal static class TestRuleCacheDir
{
    public static string Path { get; private set; } = "";

    [ModuleInitializer]
    internal static void Init()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vigil-tests", $"rule-cache-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", Path);
        Environment.SetEnvironmentVariable("VIGIL_NO_RULE_CACHE", null);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }
}

/// <summary>CLI tests of the cache change VIGIL_CACHE_DIR, so they run alone (no other test loads rules meanwhile).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RuleCacheCliCollection { public const string Name = "rule-cache-cli"; }

/// <summary>
/// The rule parse cache (src/Vigil.Rules/Caching): a load from the cache gives exactly what parsing gives, for the
/// whole SigmaHQ collection; an edited file is re-parsed; a damaged cache is ignored.
/// </summary>
public sealed class RuleCacheTests
{
    private static string Sigma => Path.Combine(TestPaths.Shared, "data", "sigma");
    private static readonly string[] Folders = ["rules", "rules-emerging-threats", "rules-threat-hunting"];
    private static IReadOnlyList<string> Collection => Folders.Select(f => Path.Combine(Sigma, f)).ToList();

    private static RuleSet Load(IEnumerable<string> paths, string? cacheDir, bool builtin = true) =>
        RuleLoader.Load(paths, builtin, new RuleLoadOptions { CacheDirectory = cacheDir });

    private static int RuleFiles(IEnumerable<string> paths) =>
        paths.Sum(p => Directory.EnumerateFiles(p, "*.yml", SearchOption.AllDirectories).Count());

    private static int BuiltinFiles => typeof(RuleLoader).Assembly.GetManifestResourceNames().Count(n => n.StartsWith("Vigil.Builtin.", StringComparison.Ordinal));

    [Fact]
    public void FullCollection_ColdWarmAndEdited_LoadExactlyWhatParsingLoads()
    {
        var cacheDir = CliRunner.TempDir("rulecache-full");
        try
        {
            int files = RuleFiles(Collection) + BuiltinFiles;
            Assert.True(files > 3700, $"only {files} rule files: is ../shared/data/sigma complete?");
            var reference = Load(Collection, null);
            Assert.Null(reference.Cache);
            string expected = Dump(reference);

            var cold = Load(Collection, cacheDir);
            Assert.Equal(new RuleCacheStats(Path.Combine(cacheDir, RuleCache.FileName), 0, files, true), cold.Cache);
            Assert.Equal(expected, Dump(cold));

            var warm = Load(Collection, cacheDir);
            Assert.Equal(new RuleCacheStats(Path.Combine(cacheDir, RuleCache.FileName), files, 0, false), warm.Cache);
            Assert.Equal(expected, Dump(warm));

            // A copy of the collection elsewhere, one rule edited: the unchanged files come from the cache (keyed by
            // content, so under their new paths), the edited one is parsed again and shows its change.
            var copy = CliRunner.TempDir("rulecache-copy");
            try
            {
                var copies = Folders.Select(f => Path.Combine(copy, f)).ToList();
                foreach (var f in Folders) CopyTree(Path.Combine(Sigma, f), Path.Combine(copy, f));
                string edited = Path.Combine(copy, "rules", "windows", "process_creation", "proc_creation_win_whoami_all_execution.yml");
                string text = File.ReadAllText(edited);
                Assert.Contains("title: Enumerate All Information With Whoami.EXE", text);
                Assert.Contains("level: medium", text);
                Assert.Contains("- Image|endswith: '\\whoami.exe'", text);
                File.WriteAllText(edited, text.Replace("title: Enumerate All Information With Whoami.EXE", "title: Whoami Edited In A Copy")
                    .Replace("level: medium", "level: critical").Replace("- Image|endswith: '\\whoami.exe'", "- Image|endswith: '\\whoami-edited.exe'"));

                var copyWarm = Load(copies, cacheDir);
                Assert.Equal(1, copyWarm.Cache!.Misses);
                Assert.Equal(files - 1, copyWarm.Cache.Hits);
                Assert.True(copyWarm.Cache.Written);
                var copyReference = Load(copies, null);
                Assert.Equal(Dump(copyReference), Dump(copyWarm));
                var rule = Assert.Single(copyWarm.Rules, r => r.Rule.File == edited);
                Assert.Equal("Whoami Edited In A Copy", rule.Rule.Title);
                Assert.Equal("critical", rule.Rule.Level);
                Assert.Contains("whoami-edited.exe", rule.Describe());
                Assert.DoesNotContain(copyWarm.Rules, r => r.Rule.File.StartsWith(Sigma, StringComparison.Ordinal));
                // The original collection's entries are still in the cache beside the edited one.
                var again = Load(Collection, cacheDir);
                Assert.Equal(files, again.Cache!.Hits);
                Assert.Equal(expected, Dump(again));
            }
            finally { Directory.Delete(copy, recursive: true); }
        }
        finally { Directory.Delete(cacheDir, recursive: true); }
    }

    /// <summary>Every file of the collection (and every built-in rule) through the codec: the decoded ParsedFile equals
    /// the parsed one in every member, public or internal, found by reflection, so a member added to the parse model
    /// and forgotten in the codec fails here.</summary>
    [Fact]
    public void Codec_RoundTripsEveryMemberOfEveryParsedFile()
    {
        var files = Collection.SelectMany(d => Directory.EnumerateFiles(d, "*.yml", SearchOption.AllDirectories)).ToList();
        files.AddRange(Directory.EnumerateFiles(Path.Combine(TestPaths.RepoRoot, "src", "Vigil.Rules", "Builtin"), "*.yml", SearchOption.AllDirectories));
        int searches = 0;
        foreach (var f in files)
        {
            var errors = new List<RuleError>();
            var parsed = SigmaParser.ParseDocuments(File.ReadAllText(f), f, errors);
            Assert.Empty(errors);
            byte[] bytes = ParsedFileCodec.Write(parsed);
            var decoded = ParsedFileCodec.Read(bytes, 0, bytes.Length, f);
            Assert.Equal(DeepDump(parsed), DeepDump(decoded));
            searches += parsed.Rules.Sum(r => r.Searches.Count);
        }
        Assert.True(files.Count > 3700 && searches > 5000, $"{files.Count} files, {searches} searches");
        // Correlation and filter documents (SigmaHQ's folders here have none) are covered by the next test.
    }

    /// <summary>Correlations (all members incl. aliases and bounds), filters, collections with action: global/repeat,
    /// errors with lines: the same through the cache as without it.</summary>
    [Fact]
    public void CorrelationsFiltersAndErrors_AreTheSameFromTheCache()
    {
        var dir = CliRunner.TempDir("rulecache-kinds");
        var cacheDir = CliRunner.TempDir("rulecache-kinds-cache");
        try
        {
            File.WriteAllText(Path.Combine(dir, "base.yml"), """
                title: Failed logon
                id: 11111111-1111-1111-1111-111111111111
                name: failed_logon
                status: test
                level: low
                tags: [attack.t1110]
                logsource: {product: windows, service: security}
                detection:
                  selection:
                    EventID: 4625
                    TargetUserName|contains|all: ['adm', 'in']
                  keywords: ['%known_cdcs%', 'x']
                  condition: selection and not 1 of keyw* or all of them
                ---
                title: Success logon
                id: 22222222-2222-2222-2222-222222222222
                name: ok_logon
                logsource: {product: windows, service: security}
                detection:
                  selection: {EventID: 4624, LogonType: [3, '10', null, true, 1.5]}
                  condition: selection
                """);
            File.WriteAllText(Path.Combine(dir, "corr.yml"), """
                title: Brute force
                id: 33333333-3333-3333-3333-333333333333
                level: high
                correlation:
                  type: value_count
                  rules: [failed_logon, ok_logon]
                  group-by: [ip]
                  timespan: 10m
                  aliases:
                    ip:
                      failed_logon: IpAddress
                      ok_logon: SourceIp
                  condition: {gte: 3, lt: 100.5, field: TargetUserName}
                generate: true
                """);
            File.WriteAllText(Path.Combine(dir, "filter.yml"), """
                title: Not the scanner
                id: 44444444-4444-4444-4444-444444444444
                logsource: {product: windows, service: security}
                filter:
                  rules: [failed_logon, no_such_rule]
                  selection: {IpAddress: 10.0.0.5}
                  condition: selection
                """);
            File.WriteAllText(Path.Combine(dir, "collection.yml"), """
                action: global
                title: Collection
                logsource: {product: windows, category: process_creation}
                detection:
                  condition: sel
                ---
                id: 55555555-5555-5555-5555-555555555555
                detection: {sel: {Image|endswith: '\a.exe'}}
                ---
                action: repeat
                id: 66666666-6666-6666-6666-666666666666
                detection: {sel: {Image|endswith: '\b.exe'}}
                """);
            File.WriteAllText(Path.Combine(dir, "compile-error.yml"), """
                title: Bad modifier
                logsource: {product: windows}
                detection:
                  sel:
                    Image|nosuchmodifier: x
                  condition: sel
                """);
            File.WriteAllText(Path.Combine(dir, "yaml-error.yml"), "title: Broken\ndetection: [unterminated\n");
            File.WriteAllText(Path.Combine(dir, "parse-error.yml"), "title: No condition\nlogsource: {product: windows}\ndetection:\n  sel: {a: 1}\n");

            var options = new RuleLoadOptions { CacheDirectory = cacheDir };
            var reference = RuleLoader.Load([dir], includeBuiltin: false);
            var cold = RuleLoader.Load([dir], includeBuiltin: false, options);
            var warm = RuleLoader.Load([dir], includeBuiltin: false, options);
            Assert.Single(reference.Correlations);
            Assert.Single(reference.Filters);
            Assert.Equal(3, reference.Errors.Select(e => e.File).Distinct().Count());
            Assert.Contains(reference.Errors, e => e.File.EndsWith("compile-error.yml") && e.Line == 5);
            Assert.NotEmpty(reference.Warnings);
            // The two files whose parse failed are never cached (parsed, and their errors reported, every time).
            Assert.Equal((0, 7), (cold.Cache!.Hits, cold.Cache.Misses));
            Assert.Equal((5, 2), (warm.Cache!.Hits, warm.Cache.Misses));
            Assert.False(warm.Cache.Written);
            string expected = Dump(reference);
            Assert.Equal(expected, Dump(cold));
            Assert.Equal(expected, Dump(warm));
            Assert.Equal(DeepDump(reference.Correlations.Single().Correlation), DeepDump(warm.Correlations.Single().Correlation));
            Assert.Equal(DeepDump(reference.Filters.Single()), DeepDump(warm.Filters.Single()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(cacheDir, recursive: true);
        }
    }

    /// <summary>Files are decoded as File.ReadAllText does (byte order marks honoured) with or without the cache.</summary>
    [Fact]
    public void ByteOrderMarks_DecodeAsBefore()
    {
        var dir = CliRunner.TempDir("rulecache-bom");
        var cacheDir = CliRunner.TempDir("rulecache-bom-cache");
        try
        {
            const string yaml = "title: Bom ü\nlogsource: {product: windows}\ndetection:\n  sel: {Image|endswith: '\\ä.exe'}\n  condition: sel\n";
            File.WriteAllText(Path.Combine(dir, "utf8bom.yml"), yaml, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            File.WriteAllText(Path.Combine(dir, "utf16.yml"), yaml.Replace("Bom", "Wide"), Encoding.Unicode);
            var options = new RuleLoadOptions { CacheDirectory = cacheDir };
            var reference = RuleLoader.Load([dir], includeBuiltin: false);
            var cold = RuleLoader.Load([dir], includeBuiltin: false, options);
            var warm = RuleLoader.Load([dir], includeBuiltin: false, options);
            Assert.Equal(["Wide ü", "Bom ü"], reference.Rules.Select(r => r.Rule.Title));
            Assert.Equal(2, warm.Cache!.Hits);
            Assert.Equal(Dump(reference), Dump(cold));
            Assert.Equal(Dump(reference), Dump(warm));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(cacheDir, recursive: true);
        }
    }

    public static TheoryData<string> Damages => new() { "truncated", "garbage", "flipped-byte", "wrong-version", "empty", "header-only", "huge-count" };

    [Theory]
    [MemberData(nameof(Damages))]
    public void DamagedCache_IsIgnoredAndRewritten(string damage)
    {
        var rules = Path.Combine(Sigma, "rules", "windows", "process_creation");
        var cacheDir = CliRunner.TempDir("rulecache-" + damage);
        try
        {
            int files = RuleFiles([rules]);
            string expected = Dump(Load([rules], null, builtin: false));
            var cold = Load([rules], cacheDir, builtin: false);
            Assert.True(cold.Cache!.Written);
            string file = Path.Combine(cacheDir, RuleCache.FileName);
            byte[] good = File.ReadAllBytes(file);
            byte[] bad = damage switch
            {
                "truncated" => good[..(good.Length / 2)],
                "garbage" => RandomBytes(good.Length, 1),
                "flipped-byte" => Flip(good, good.Length * 3 / 4),
                // Another build's file: only the stamp differs, and the checksum is valid for it.
                "wrong-version" => Resum(Flip(good, 20)),
                "empty" => [],
                "header-only" => good[..44],
                // A directory count far beyond the file, with a valid checksum.
                "huge-count" => Resum(SetInt(good, 40, int.MaxValue / 2)),
                _ => throw new ArgumentException(damage),
            };
            File.WriteAllBytes(file, bad);

            var after = Load([rules], cacheDir, builtin: false);
            Assert.Equal(0, after.Cache!.Hits);
            Assert.Equal(files, after.Cache.Misses);
            Assert.True(after.Cache.Written);
            Assert.Equal(expected, Dump(after));
            var warm = Load([rules], cacheDir, builtin: false);
            Assert.Equal(files, warm.Cache!.Hits);
            Assert.Equal(expected, Dump(warm));
        }
        finally { Directory.Delete(cacheDir, recursive: true); }
    }

    [Fact]
    public void UnusableCacheFolder_MeansNoCacheNotAnError()
    {
        var rules = Path.Combine(Sigma, "rules", "windows", "process_creation");
        var tmp = CliRunner.TempDir("rulecache-unusable");
        try
        {
            string expected = Dump(Load([rules], null, builtin: false));
            // A file where the folder should be: the folder cannot be created.
            string notADir = Path.Combine(tmp, "file");
            File.WriteAllText(notADir, "x");
            var a = Load([rules], notADir, builtin: false);
            Assert.False(a.Cache!.Written);
            Assert.Equal(expected, Dump(a));
            // A folder where the cache file should be: it can be neither read nor replaced.
            string blocked = Path.Combine(tmp, "blocked");
            Directory.CreateDirectory(Path.Combine(blocked, RuleCache.FileName));
            var b = Load([rules], blocked, builtin: false);
            Assert.False(b.Cache!.Written);
            Assert.Equal(expected, Dump(b));
            Assert.Empty(Directory.EnumerateFiles(blocked));   // no temporary file left behind
        }
        finally { Directory.Delete(tmp, recursive: true); }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static byte[] Flip(byte[] data, int at)
    {
        var copy = (byte[])data.Clone();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static byte[] SetInt(byte[] data, int at, int value)
    {
        var copy = (byte[])data.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    /// <summary>Recomputes the trailing SHA-256, so only the intended damage remains.</summary>
    private static byte[] Resum(byte[] data)
    {
        var copy = (byte[])data.Clone();
        System.Security.Cryptography.SHA256.HashData(copy.AsSpan(0, copy.Length - 32), copy.AsSpan(copy.Length - 32));
        return copy;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    /// <summary>A full structural dump of a loaded rule set: every rule's parsed form (every member, by reflection:
    /// title, id, level, tags, logsource, file, line, searches with values and positions, conditions) and its
    /// compiled form (routes, detection tree, needles, field ids by name), correlations with their resolved inputs,
    /// filters, errors and warnings in order.</summary>
    internal static string Dump(RuleSet set)
    {
        var sb = new StringBuilder();
        sb.Append("files ").Append(set.FilesRead).Append('\n');
        foreach (var r in set.Rules)
        {
            sb.Append(DeepDump(r.Rule)).Append('\n').Append(r.Describe());
            sb.Append("generates ").Append(set.Generates(r.Rule)).Append('\n');
            foreach (var ri in r.Routing) sb.Append(DeepDump(ri)).Append('\n');
        }
        foreach (var c in set.Correlations)
        {
            sb.Append(DeepDump(c.Correlation)).Append(" order ").Append(c.Order).Append('\n');
            foreach (var i in c.Inputs) sb.Append("  input ").Append(i.Reference).Append(" -> ").Append(i.Source).Append('\n');
        }
        foreach (var f in set.Filters) sb.Append(DeepDump(f)).Append('\n');
        foreach (var e in set.Errors) sb.Append("error ").Append(e).Append('\n');
        foreach (var w in set.Warnings) sb.Append("warning ").Append(w).Append('\n');
        return sb.ToString();
    }

    /// <summary>Every instance property and field (public or not) of an object graph, recursively, in declaration
    /// order; sequences element by element. Types are not part of the dump (a list and an array with the same
    /// items are the same), values are.</summary>
    internal static string DeepDump(object? o)
    {
        var sb = new StringBuilder();
        Walk(o, sb, 0);
        return sb.ToString();
    }

    private static void Walk(object? o, StringBuilder sb, int depth)
    {
        if (depth > 200) throw new InvalidOperationException("object graph too deep (a cycle?)");
        switch (o)
        {
            case null: sb.Append("null"); return;
            case string s: sb.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"'); return;
            case double d: sb.Append(d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)); return;
            case IFormattable f when o.GetType().IsPrimitive || o is Enum or TimeSpan or decimal:
                sb.Append(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case IEnumerable e:
                sb.Append('[');
                foreach (var item in e) { Walk(item, sb, depth + 1); sb.Append(", "); }
                sb.Append(']');
                return;
        }
        var t = o.GetType();
        sb.Append('{');
        const BindingFlags all = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        foreach (var p in t.GetProperties(all))
        {
            if (p.GetIndexParameters().Length > 0 || p.Name == "EqualityContract") continue;
            sb.Append(p.Name).Append('=');
            Walk(p.GetValue(o), sb, depth + 1);
            sb.Append("; ");
        }
        foreach (var f in t.GetFields(all))
        {
            if (f.Name.Contains("k__BackingField", StringComparison.Ordinal)) continue;
            sb.Append(f.Name).Append('=');
            Walk(f.GetValue(o), sb, depth + 1);
            sb.Append("; ");
        }
        sb.Append('}');
    }
}

/// <summary>The CLI with and without the cache: <c>rules check --format json</c> and a hunt over ../shared/data/evtx
/// with the full collection give the same bytes, cold (empty cache folder) and warm.</summary>
[Collection(RuleCacheCliCollection.Name)]
public sealed class RuleCacheCliTests
{
    private static string Sigma => Path.Combine(TestPaths.Shared, "data", "sigma");
    private static string[] Collection => new[] { "rules", "rules-emerging-threats", "rules-threat-hunting" }.Select(f => Path.Combine(Sigma, f)).ToArray();

    private static string WithoutTime(string stderr) => System.Text.RegularExpressions.Regex.Replace(stderr, @" in [0-9.,]+ ?m?s\b", " in <time>");

    private static CliRunner.Result WithCacheDir(string dir, params string[] args)
    {
        string? before = Environment.GetEnvironmentVariable("VIGIL_CACHE_DIR");
        Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", dir);
        try { return CliRunner.Run(args); }
        finally { Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", before); }
    }

    [Fact]
    public void CacheFolder_ComesFromTheEnvironment()
    {
        string?[] saved = [.. new[] { "VIGIL_CACHE_DIR", "XDG_CACHE_HOME", "VIGIL_NO_RULE_CACHE" }.Select(Environment.GetEnvironmentVariable)];
        try
        {
            Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", "/tmp/vigil-x");
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg");
            Assert.Equal("/tmp/vigil-x", RuleLoadOptions.DefaultCacheDirectory());
            Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", null);
            Assert.Equal("/tmp/xdg/vigil", RuleLoadOptions.DefaultCacheDirectory());
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "vigil"), RuleLoadOptions.DefaultCacheDirectory());
            Environment.SetEnvironmentVariable("VIGIL_NO_RULE_CACHE", "0");
            Assert.NotNull(RuleLoadOptions.DefaultCacheDirectory());
            Environment.SetEnvironmentVariable("VIGIL_NO_RULE_CACHE", "1");
            Assert.Null(RuleLoadOptions.DefaultCacheDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("VIGIL_CACHE_DIR", saved[0]);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved[1]);
            Environment.SetEnvironmentVariable("VIGIL_NO_RULE_CACHE", saved[2]);
        }
    }

    [Fact]
    public void RulesCheckJson_IsIdenticalWithoutColdAndWarmCache()
    {
        var dir = CliRunner.TempDir("rulecache-cli-check");
        try
        {
            string[] args = ["rules", "check", .. Collection, "--format", "json"];
            var none = WithCacheDir(dir, [.. args, "--no-rule-cache"]);
            Assert.False(File.Exists(Path.Combine(dir, RuleCache.FileName)));
            var cold = WithCacheDir(dir, args);
            long size = new FileInfo(Path.Combine(dir, RuleCache.FileName)).Length;
            Assert.True(size > 1_000_000, $"cache file of {size} bytes");
            var warm = WithCacheDir(dir, args);
            Assert.Equal(0, none.ExitCode);
            Assert.Contains("\"loaded\": 37", none.Out);
            Assert.Equal(none, cold);
            Assert.Equal(none, warm);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HuntOverEvtx_DetectionsAreIdenticalWithoutColdAndWarmCache()
    {
        var dir = CliRunner.TempDir("rulecache-cli-hunt");
        try
        {
            string evtx = Path.Combine(TestPaths.Shared, "data", "evtx");
            string[] args = ["hunt", evtx, .. Collection.SelectMany(c => new[] { "--rules", c }), "--format", "jsonl"];
            var none = WithCacheDir(dir, [.. args, "--no-rule-cache"]);
            var cold = WithCacheDir(dir, args);
            Assert.True(File.Exists(Path.Combine(dir, RuleCache.FileName)));
            var warm = WithCacheDir(dir, args);
            Assert.Equal(0, none.ExitCode);
            int detections = none.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.True(detections > 1000, $"{detections} detections");
            Assert.Equal(none.Out, cold.Out);
            Assert.Equal(none.Out, warm.Out);
            // stderr: rule warnings with file:line:column, the summary; only the elapsed time may differ.
            Assert.Contains("rule warning: ", none.Error);
            Assert.Matches(@":\d+:\d+: placeholder", none.Error);
            Assert.Equal(WithoutTime(none.Error), WithoutTime(cold.Error));
            Assert.Equal(WithoutTime(none.Error), WithoutTime(warm.Error));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
