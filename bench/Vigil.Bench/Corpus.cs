using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Bench;

/// <summary>The shared sample data (../shared from the folder holding Vigil.slnx) and helpers to load it.</summary>
public static class Corpus
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
    public static string EvtxDir => Path.Combine(Shared, "data", "evtx");
    public static string OtrfDir => Path.Combine(Shared, "data", "json", "otrf");
    public static string SigmaDir => Path.Combine(Shared, "data", "sigma");

    /// <summary>The full collection: rules, rules-emerging-threats, rules-threat-hunting.</summary>
    public static IReadOnlyList<string> CollectionFolders =>
        new[] { "rules", "rules-emerging-threats", "rules-threat-hunting" }.Select(f => Path.Combine(SigmaDir, f)).ToList();

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx"))) dir = dir.Parent;
        // BenchmarkDotNet runs from a generated folder under bin/; fall back to the working directory's ancestors.
        if (dir == null)
        {
            dir = new DirectoryInfo(Environment.CurrentDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx"))) dir = dir.Parent;
        }
        return dir?.FullName ?? throw new InvalidOperationException("Vigil.slnx not found above " + AppContext.BaseDirectory);
    }

    public static List<InputFile> Files(string dir)
    {
        using var files = InputFiles.Expand([dir], LogFormats.All, new DiagnosticsCollector());
        return [.. files];
    }

    public static IReadOnlyList<CompiledRule> Collection()
    {
        var set = RuleLoader.Load(CollectionFolders, includeBuiltin: true);
        return set.Rules;
    }

    /// <summary>Every event of the files, copied out of the readers' buffers.</summary>
    public static List<Event> LoadEvents(IEnumerable<InputFile> files)
    {
        var list = new List<Event>();
        var diag = new DiagnosticsCollector();
        var scratch = new Event();
        foreach (var f in files)
            foreach (var part in f.Format.Partition(f.Path, diag))
                part.Read(scratch, e => list.Add(Copy(e)), diag);
        return list;
    }

    public static Event Copy(Event e)
    {
        var c = new Event { Origin = e.Origin, TimestampTicks = e.TimestampTicks, Format = e.Format };
        for (int i = 0; i < e.Count; i++) c.Add(e.IdAt(i), e.ValueAt(i).Detach());
        return c;
    }
}
