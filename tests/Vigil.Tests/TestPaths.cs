namespace Vigil.Tests;

/// <summary>Locates the repository root (the folder holding Vigil.slnx) and the shared data beside it,
/// so tests work from any clone, wherever the test assembly runs.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();
    public static string Shared { get; } = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vigil.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find Vigil.slnx above " + AppContext.BaseDirectory);
    }
}
