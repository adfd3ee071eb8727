namespace Vigil.IO;

/// <summary>
/// Temporary files (the campaign build's row files, sort runs and campaign store; correlation windows' spilled members):
/// created new in the temporary folder under a unique name, and anonymous from the start, so nothing is left behind
/// whatever happens to the process. On Unix the name is unlinked at once and the open handle keeps the data; on Windows
/// the file is deleted when it is closed.
/// </summary>
public static class TempFile
{
    /// <summary>A unique name in the temporary folder: <paramref name="prefix"/>, a new id, ".bin".</summary>
    public static string NewPath(string prefix) => Path.Combine(Path.GetTempPath(), $"{prefix}{Guid.NewGuid():N}.bin");

    /// <summary>Creates the file at <paramref name="path"/> (from <see cref="NewPath"/>; it must not exist), opened for
    /// reading and writing, and makes it anonymous (on Unix the name no longer exists afterwards: it is for messages).</summary>
    public static FileStream Create(string path, int bufferSize)
    {
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, bufferSize, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows()) try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return file;
    }
}
