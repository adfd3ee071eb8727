using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Vigil.Rules.Caching;

/// <summary>What the caches in the rule cache folder share (the parse cache here, the matcher cache in Vigil.Engine): the
/// stamp of the code that wrote an entry, and the atomic write of a cache file.</summary>
internal static class CacheFiles
{
    /// <summary>SHA-256 of a layout version and the module version ids of <paramref name="code"/>: any rebuild of one of
    /// those assemblies, or another .NET runtime, gives another stamp.</summary>
    public static byte[] Stamp(string layout, params Assembly[] code)
    {
        var text = new StringBuilder("layout ").Append(layout);
        foreach (var asm in code)
            text.Append(' ').Append(asm.GetName().Name).Append(' ').Append(asm.ManifestModule.ModuleVersionId.ToString("N"));
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Writes <paramref name="path"/> atomically: <paramref name="write"/> fills a new temporary file in the same
    /// folder (created if missing), which then replaces the file; concurrent writers may overwrite each other's file, never
    /// corrupt it. The temporary file is removed if anything fails; the failure itself is the caller's to handle.</summary>
    public static void WriteAtomic(string path, Action<FileStream> write)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None)) write(fs);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            try { if (File.Exists(tmp)) File.Delete(tmp); } catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
        }
    }
}
