namespace Vigil.Tests;

/// <summary>Locates the repository (the folder holding Vigil.slnx) and the shared data folder beside it.</summary>
public static class TestPaths
{
    private static readonly Lazy<string> Root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"Vigil.slnx not found above {AppContext.BaseDirectory}");
    });

    public static string RepoRoot => Root.Value;
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
}
