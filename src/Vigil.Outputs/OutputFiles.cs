namespace Vigil.Outputs;

/// <summary>
/// A side output's file, written as <c>FILE.partial</c> beside the target and moved over the target only when the
/// hunt completes: a hunt that fails (a usage error found after the flags were read, an unreadable rule set, a full
/// disk) neither destroys the previous file of that name nor leaves a half-written one under it. Disposing without
/// <see cref="Commit"/> deletes the partial file.
/// </summary>
public sealed class PartialFile(string path) : IDisposable
{
    public string Path { get; } = path;
    public string PartialPath { get; } = path + ".partial";
    private bool _committed;

    /// <summary>Creates (or truncates) the partial file, making its folder if missing.</summary>
    public FileStream Create() => OutputFiles.Create(PartialPath, Path);

    /// <summary>Moves the finished partial file over the target (replacing it).</summary>
    public void Commit()
    {
        File.Move(PartialPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Moves <paramref name="finished"/> (a rewritten copy of the partial file) over the target instead,
    /// and deletes the partial file.</summary>
    public void CommitRewritten(string finished)
    {
        File.Move(finished, Path, overwrite: true);
        _committed = true;
        File.Delete(PartialPath);
    }

    public void Dispose()
    {
        if (_committed) return;
        try { File.Delete(PartialPath); }
        catch (IOException) { } // best effort: the hunt's own error is what gets reported
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Creating output files: the folder is made if missing, an existing file is replaced. Every output (--output
/// and each side output) opens its file here, so a path that cannot be written is one clear error naming it
/// (<see cref="OutputFileException"/>), not a crash.</summary>
public static class OutputFiles
{
    /// <summary>Creates <paramref name="path"/>; <paramref name="named"/> is the path the user gave, for the error
    /// (a side output writes FILE.partial first).</summary>
    public static FileStream Create(string path, string? named = null)
    {
        CreateFolderFor(path, named);
        return Guard(named ?? path, () => new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16));
    }

    /// <summary>Makes the folder <paramref name="path"/> goes in, if missing.</summary>
    public static void CreateFolderFor(string path, string? named = null)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null) Guard(named ?? path, () => Directory.CreateDirectory(dir));
    }

    private static T Guard<T>(string path, Func<T> open)
    {
        try { return open(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not OutputFileException)
        {
            throw new OutputFileException(path, ex);
        }
    }
}

/// <summary>An output file could not be created: the message names it and says why.</summary>
public sealed class OutputFileException(string path, Exception inner)
    : IOException($"cannot write {path}: {inner.Message}", inner)
{
    public string OutputPath { get; } = path;
}
