using Vigil.Diagnostics;
using Vigil.Readers;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Pipeline;

/// <summary>
/// Finding the input files: the walk gives the order a sort of every path gave (without holding the paths), the list
/// keeps files past its first ones in a temporary file and gives them back the same, links to folders are not followed,
/// and a file given twice is read once.
/// </summary>
[Collection(Vigil.Tests.Metrics.SpillThresholdCollection.Name)]   // one test lowers a limit every walk reads
public sealed class InputFileTests
{
    private static readonly string[] Names =
    [
        "b.json", "b/c.json", "b/a/z.json", "B.json", "a-b.json", "a_b/x.json", "a.b/y.json", "a/b/c/d.json", "a/b.json",
        "a/b/e.json", "ab.json", "a.json", "z/readme.txt", "z/empty.json", "b/.hidden.json", "c d/e f.json",
    ];

    private static string Tree(string name)
    {
        var dir = CliRunner.TempDir(name);
        int i = 0;
        foreach (var n in Names)
        {
            var path = Path.Combine(dir, n);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, n.EndsWith(".txt", StringComparison.Ordinal) ? "not a log" : n.Contains("empty") ? ""
                : $"{{\"EventID\":{i++},\"name\":\"{n}\"}}\n");
        }
        return dir;
    }

    [Fact]
    public void The_walk_orders_files_as_a_sort_of_their_paths_did()
    {
        var dir = Tree("walk");
        // The definition before the walk: every path listed, then sorted.
        var sorted = Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.None })
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        Assert.Equal(sorted, InputFiles.Walk(dir, new DiagnosticsCollector()).ToList());
        Assert.Equal(sorted, InputFiles.Walk(dir + Path.DirectorySeparatorChar, new DiagnosticsCollector()).Select(p => p.Replace(dir + "//", dir + "/")).ToList());
        // Of them, the logs: not the text file, not the empty one (noted).
        var diag = new DiagnosticsCollector();
        using var files = InputFiles.Expand([dir], Vigil.Readers.LogFormats.All, diag);
        Assert.Equal(sorted.Where(p => !p.EndsWith(".txt", StringComparison.Ordinal) && !p.Contains("empty", StringComparison.Ordinal)), files.Select(f => f.Path));
        Assert.Contains(diag.Errors, e => e.Notice && e.Source.EndsWith("empty.json", StringComparison.Ordinal));
    }

    /// <summary>A folder's names past the in-memory limit are sorted in runs on disk and merged: the same order.</summary>
    [Fact]
    public void A_folder_listed_in_runs_walks_in_the_same_order()
    {
        var dir = Tree("names");
        var flat = Path.Combine(dir, "flat");
        Directory.CreateDirectory(flat);
        var rng = new Random(3);
        for (int i = 0; i < 500; i++) File.WriteAllText(Path.Combine(flat, $"{rng.Next(1_000_000):D6}-{i}.json"), "{}\n");
        for (int i = 0; i < 20; i++) Directory.CreateDirectory(Path.Combine(flat, $"{rng.Next(1_000_000):D6}"));
        var expected = InputFiles.Walk(dir, new DiagnosticsCollector()).ToList();
        int limit = InputFiles.NamesInMemory;
        InputFiles.NamesInMemory = 7;
        List<string> runs;
        try { runs = InputFiles.Walk(dir, new DiagnosticsCollector()).ToList(); }
        finally { InputFiles.NamesInMemory = limit; }
        Assert.Equal(expected, runs);
        Assert.True(expected.Count > 500);
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "vigil-names-*"));   // runs are anonymous, never left behind
    }

    [Fact]
    public void Files_past_the_first_ones_come_back_from_the_temporary_file_the_same()
    {
        var dir = Tree("spill");
        var diag = new DiagnosticsCollector();
        using var all = InputFiles.Expand([dir], Vigil.Readers.LogFormats.All, diag);
        using var spilled = InputFiles.Expand([dir], Vigil.Readers.LogFormats.All, new DiagnosticsCollector(), inMemory: 3);
        Assert.Equal(0, all.Spilled);
        Assert.Equal(all.Count - 3, spilled.Spilled);
        Assert.Equal(all.ToList(), spilled.ToList());
        Assert.Equal(all.TotalBytes, spilled.TotalBytes);
        // Out of order, back and forth, across blocks.
        for (int i = all.Count - 1; i >= 0; i -= 2) Assert.Equal(all[i], spilled[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => spilled[all.Count]);

        // Many blocks: 2,600 files, 5 in memory.
        var many = new InputFileList(Vigil.Readers.LogFormats.All, inMemory: 5);
        var json = Vigil.Readers.LogFormats.All.Single(f => f.Name == "json");
        var expected = Enumerable.Range(0, 2600).Select(i => new InputFile($"/evidence/AWSLogs/{i:D6}_CloudTrail_é.json.gz", json, i * 7L)).ToList();
        foreach (var f in expected) many.Add(f);
        many.Seal();
        Assert.Equal(expected, many.ToList());
        var rng = new Random(5);
        for (int k = 0; k < 500; k++) { int i = rng.Next(expected.Count); Assert.Equal(expected[i], many[i]); }
        Assert.Equal(expected.Sum(f => f.Length), many.TotalBytes);
        many.Dispose();
        Assert.Throws<ObjectDisposedException>(() => many[2000]);

        // The CLI over the same tree, spilled or not, reads the same events (dump goes through the pipeline).
        var dump = CliRunner.Run("dump", dir);
        Assert.Equal(0, dump.ExitCode);
        Assert.Equal(Names.Length - 2, dump.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void Links_to_folders_are_not_followed_and_a_file_given_twice_is_read_once()
    {
        if (OperatingSystem.IsWindows()) return;   // symbolic links need privileges there
        var dir = Tree("links");
        var outside = CliRunner.TempDir("outside");
        File.WriteAllText(Path.Combine(outside, "host.json"), "{\"EventID\":99}\n");
        Directory.CreateSymbolicLink(Path.Combine(dir, "b", "up"), dir);                 // a loop
        Directory.CreateSymbolicLink(Path.Combine(dir, "elsewhere"), outside);           // the examiner's machine
        var diag = new DiagnosticsCollector();
        var sub = Path.Combine(dir, "a");
        using var files = InputFiles.Expand([dir, sub, Path.Combine(sub, "b.json"), Path.Combine(outside, "host.json")], Vigil.Readers.LogFormats.All, diag);
        var paths = files.Select(f => f.Path).ToList();
        Assert.Equal(paths.Count, paths.Distinct().Count());
        Assert.Equal(Names.Length - 2 + 1, paths.Count);   // the tree's logs once, and the outside file named directly
        Assert.DoesNotContain(paths, p => p.Contains("/up/", StringComparison.Ordinal) || p.Contains("elsewhere", StringComparison.Ordinal));
        Assert.Equal(2, diag.Errors.Count(e => e.Notice && e.Message.StartsWith("skipped: a link to a folder", StringComparison.Ordinal)));
        Assert.DoesNotContain(diag.Errors, e => !e.Notice);
    }
}
