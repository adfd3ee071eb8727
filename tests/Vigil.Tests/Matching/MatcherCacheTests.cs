using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Rules;
using Vigil.Tests.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Matching;

/// <summary>The full collection loaded with a cache folder (so its rules carry a fingerprint), and real events.</summary>
public sealed class CachedCollectionFixture : IDisposable
{
    public string CacheDir { get; } = Path.Combine(Path.GetTempPath(), "vigil-matcher-cache-" + Guid.NewGuid().ToString("N"));
    public RuleSet Set { get; }
    /// <summary>The OTRF JSON recordings and the sample EVTX files, copied out of the readers.</summary>
    public List<Event> Events { get; } = [];

    public CachedCollectionFixture()
    {
        var folders = CollectionTests.Folders.Append("rules-placeholder")
            .Select(f => Path.Combine(CollectionTests.SigmaDir, f)).Where(Directory.Exists).ToList();
        Set = RuleLoader.Load(folders, includeBuiltin: true,
            new RuleLoadOptions { Placeholders = CollectionTests.PlaceholderOptions.Placeholders, CacheDirectory = CacheDir });
        Events.AddRange(CollectionFixture.Read(Path.Combine(TestPaths.Shared, "data", "json", "otrf")));
        Events.AddRange(CollectionFixture.Read(Path.Combine(TestPaths.Shared, "data", "evtx")));
    }

    public void Dispose()
    {
        try { Directory.Delete(CacheDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// The matcher cache (<c>matcher-*.bin</c>): a matcher whose tables were read from it must be the matcher built from
/// the rules (every table, described with field names), give the same rules on every event of the OTRF recordings
/// and the sample EVTX files, and a damaged, foreign or inconsistent file must be ignored, never used.
/// </summary>
public class MatcherCacheTests(CachedCollectionFixture fx, ITestOutputHelper output) : IClassFixture<CachedCollectionFixture>
{
    private string NewDir()
    {
        string dir = Path.Combine(fx.CacheDir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static CollectionMatcher Build(IReadOnlyList<CompiledRule> rules, string? dir) =>
        new(rules, new MatcherOptions { CacheDirectory = dir });

    private int[][] MatchAll(CollectionMatcher m)
    {
        var scratch = m.CreateScratch();
        var hits = new List<int>();
        var result = new int[fx.Events.Count][];
        for (int i = 0; i < fx.Events.Count; i++)
        {
            hits.Clear();
            m.Match(fx.Events[i], scratch, hits);
            result[i] = hits.ToArray();
        }
        return result;
    }

    [Fact]
    public void MatcherReadFromTheCacheIsTheMatcherBuilt()
    {
        Assert.NotNull(fx.Set.Fingerprint);
        Assert.Empty(fx.Set.Errors);
        string dir = NewDir();
        var built = Build(fx.Set.Rules, null);
        var first = Build(fx.Set.Rules, dir);      // a miss: builds and stores
        var files = Directory.GetFiles(dir, "matcher-*.bin");
        Assert.Single(files);
        Assert.False(first.CacheHit);
        var cached = Build(fx.Set.Rules, dir);     // a hit
        Assert.True(cached.CacheHit);
        output.WriteLine($"{fx.Set.Rules.Count} rules, cache file {new FileInfo(files[0]).Length / 1024} KB; built: {first.BuildTimes}; cached: {cached.BuildTimes}");

        string expected = built.DescribeTables();
        Assert.True(expected.Length > 1_000_000, "the description is too small to prove anything");
        Assert.Equal(expected, first.DescribeTables());
        Assert.Equal(expected, cached.DescribeTables());
        Assert.Equal(built.PrefilteredRules, cached.PrefilteredRules);

        var plain = MatchAll(built);
        long total = plain.Sum(h => h.Length);
        output.WriteLine($"{fx.Events.Count} events, {total} rule hits");
        Assert.True(fx.Events.Count > 30_000 && total > 1_000, "too few events or hits to prove anything");
        var fromCache = MatchAll(cached);
        for (int i = 0; i < plain.Length; i++)
            Assert.True(plain[i].SequenceEqual(fromCache[i]), $"{fx.Events[i].Origin}: [{string.Join(",", plain[i])}] vs [{string.Join(",", fromCache[i])}]");
    }

    [Fact]
    public void HuntWithTheCacheGivesTheSameDetections()
    {
        string dir = NewDir();
        var files = CollectionFixture.Files(Path.Combine(TestPaths.Shared, "data", "evtx"));
        static string Key(Detection d) => $"{d.Origin} {d.Rule.Id} {d.Rule.File}:{d.Rule.Line}";
        using var plain = Hunter.Run(files, fx.Set.Rules, new DiagnosticsCollector());
        using var miss = Hunter.Run(files, fx.Set.Rules, new DiagnosticsCollector(), matcherOptions: new MatcherOptions { CacheDirectory = dir });
        using var hit = Hunter.Run(files, fx.Set.Rules, new DiagnosticsCollector(), matcherOptions: new MatcherOptions { CacheDirectory = dir });
        Assert.Contains("loaded from the cache", hit.MatcherTimes);
        Assert.DoesNotContain("loaded from the cache", miss.MatcherTimes);
        var expected = plain.Detections.Select(Key).ToList();
        Assert.True(expected.Count > 1_000);
        Assert.Equal(expected, miss.Detections.Select(Key));
        Assert.Equal(expected, hit.Detections.Select(Key));
    }

    /// <summary>Flipped bytes, a truncated file and an empty file are each ignored: the matcher is built again, equal
    /// to the one built, and the file rewritten so that the next run hits.</summary>
    [Theory]
    [InlineData("flip-payload")]
    [InlineData("flip-checksum")]
    [InlineData("truncate")]
    [InlineData("empty")]
    public void DamagedFileIsIgnoredAndRewritten(string damage)
    {
        string dir = NewDir();
        var rules = fx.Set.Rules.Take(400).ToList();
        string expected = Build(rules, null).DescribeTables();
        Build(rules, dir);
        string file = Directory.GetFiles(dir, "matcher-*.bin").Single();
        var bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "flip-payload": bytes[bytes.Length / 2] ^= 0x5A; break;
            case "flip-checksum": bytes[^1] ^= 0x01; break;
            case "truncate": bytes = bytes[..(bytes.Length - 100)]; break;
            case "empty": bytes = []; break;
        }
        File.WriteAllBytes(file, bytes);
        var again = Build(rules, dir);
        Assert.False(again.CacheHit);
        Assert.Equal(expected, again.DescribeTables());
        var next = Build(rules, dir);
        Assert.True(next.CacheHit);
        Assert.Equal(expected, next.DescribeTables());
    }

    /// <summary>A file with a valid checksum whose contents were made for other rules (here: another selection's file
    /// put under this selection's key) fails the read's checks against the compiled rules and is ignored.</summary>
    [Fact]
    public void ConsistentFileForOtherRulesIsIgnored()
    {
        string dir = NewDir();
        var some = fx.Set.Rules.Take(300).ToList();
        var others = fx.Set.Rules.Skip(300).Take(300).ToList();
        Build(some, dir);
        string someFile = Directory.GetFiles(dir, "matcher-*.bin").Single();
        var key = CollectionMatcher.MatcherCache.KeyFor(others.ToArray(), new MatcherOptions { CacheDirectory = dir })!;
        Assert.NotNull(key);
        // The other selection's file under this key: header key replaced, checksum still right (it covers the payload).
        var bytes = File.ReadAllBytes(someFile);
        key.CopyTo(bytes, 8);
        File.WriteAllBytes(CollectionMatcher.MatcherCache.PathFor(dir, key), bytes);
        var m = Build(others, dir);
        Assert.False(m.CacheHit);
        Assert.Equal(Build(others, null).DescribeTables(), m.DescribeTables());
    }

    /// <summary>Two rules whose detection trees have the same shape (routes, node kinds, children) but other fields or
    /// values: one's file under the other's key passes every structural check, and only the per-node signature (field
    /// name, needles, cost) stops the read. The matcher must then be built, not read.</summary>
    [Fact]
    public void FileForAnotherRuleOfTheSameShapeIsIgnored()
    {
        static string Shape(CompiledRule rule)
        {
            var text = new System.Text.StringBuilder().Append(rule.Routes.Length).Append(':');
            var seen = new HashSet<Vigil.Rules.Compilation.Node>(ReferenceEqualityComparer.Instance);
            void Visit(Vigil.Rules.Compilation.Node n)
            {
                if (!seen.Add(n)) return;
                text.Append(n.Kind).Append(n.Children.Length).Append(',');
                foreach (var c in n.Children) Visit(c);
            }
            foreach (var r in rule.Routes) Visit(r.Detection);
            Visit(rule.Unrouted);
            return text.ToString();
        }
        var pair = fx.Set.Rules.Take(1500).GroupBy(Shape).Where(g => g.Count() >= 2).Select(g => g.Take(2).ToArray())
            .First(p => Build([p[0]], null).DescribeTables() != Build([p[1]], null).DescribeTables());
        output.WriteLine($"{pair[0].Rule.Title} / {pair[1].Rule.Title}");
        string dir = NewDir();
        Build([pair[0]], dir);
        string file = Directory.GetFiles(dir, "matcher-*.bin").Single();
        var key = CollectionMatcher.MatcherCache.KeyFor([pair[1]], new MatcherOptions { CacheDirectory = dir })!;
        var bytes = File.ReadAllBytes(file);
        key.CopyTo(bytes, 8);
        File.WriteAllBytes(CollectionMatcher.MatcherCache.PathFor(dir, key), bytes);
        var m = Build([pair[1]], dir);
        Assert.False(m.CacheHit);
        Assert.Equal(Build([pair[1]], null).DescribeTables(), m.DescribeTables());
    }

    [Fact]
    public void KeyDependsOnTheRuleSelectionAndNeedsAFingerprint()
    {
        var options = new MatcherOptions { CacheDirectory = fx.CacheDir };
        var all = fx.Set.Rules.ToArray();
        var k1 = CollectionMatcher.MatcherCache.KeyFor(all, options)!;
        Assert.Equal(k1, CollectionMatcher.MatcherCache.KeyFor(all, options));
        Assert.NotEqual(k1, CollectionMatcher.MatcherCache.KeyFor(all[1..], options));
        Assert.NotEqual(k1, CollectionMatcher.MatcherCache.KeyFor(all, options with { UseIndex = false }));
        Assert.Null(CollectionMatcher.MatcherCache.KeyFor(all, new MatcherOptions()));
        // Rules from text have no fingerprint: nothing is cached for them.
        var text = RuleLoader.LoadText("""
            title: t
            logsource: { product: windows, service: security }
            detection: { sel: { EventID: 4624 }, condition: sel }
            """, "t.yml");
        Assert.Null(text.Fingerprint);
        Assert.Null(CollectionMatcher.MatcherCache.KeyFor(text.Rules.ToArray(), options));
        // Another placeholder value is another compilation: another fingerprint.
        var folder = Path.Combine(CollectionTests.SigmaDir, "rules-placeholder");
        if (Directory.Exists(folder))
        {
            var a = RuleLoader.Load([folder], false, new RuleLoadOptions { Placeholders = CollectionTests.PlaceholderOptions.Placeholders, CacheDirectory = NewDir() });
            var changed = CollectionTests.PlaceholderOptions.Placeholders!.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value, "x"]);
            var b = RuleLoader.Load([folder], false, new RuleLoadOptions { Placeholders = changed, CacheDirectory = NewDir() });
            Assert.False(a.Fingerprint!.AsSpan().SequenceEqual(b.Fingerprint));
        }
    }

    [Fact]
    public void AtMostMaxFilesAreKept()
    {
        string dir = NewDir();
        for (int i = 0; i < CollectionMatcher.MatcherCache.MaxFiles + 3; i++)
        {
            Build(fx.Set.Rules.Skip(i * 10).Take(10).ToList(), dir);
            Thread.Sleep(20);   // distinct write times
        }
        Assert.Equal(CollectionMatcher.MatcherCache.MaxFiles, Directory.GetFiles(dir, "matcher-*.bin").Length);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }
}
