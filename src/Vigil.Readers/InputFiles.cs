using Vigil.Diagnostics;

namespace Vigil.Readers;

/// <summary>An input file and the format its content was recognised as.</summary>
public sealed record InputFile(string Path, ILogFormat Format, long Length);

/// <summary>
/// Turns the user's INPUT arguments (files and folders, folders searched recursively) into the list of
/// files Vigil can read, telling formats apart by content. A file named explicitly that no format
/// recognises is reported as an error; unrecognised files found inside a folder are skipped (folders of
/// evidence hold READMEs, hashes and screenshots), with a notice (shown with --verbose, counted in the summary)
/// when the name says it should be a log (<see cref="LogExtensions"/>): an empty or damaged .evtx or .json
/// in a folder of evidence is something an examiner wants to know was not read.
/// </summary>
public static class InputFiles
{
    public const int HeadLength = 4096;

    /// <summary>
    /// The files to read, in the order of the inputs and, inside a folder, of their full paths (ordinal): a folder is
    /// walked one directory at a time, its entries sorted by name (a folder's as name + '/', which orders them as their
    /// full paths do), so no list of all paths is held; the list itself keeps past its first files in a temporary file
    /// (<see cref="InputFileList"/>). A CloudTrail bucket copied to disk is millions of small files. Links to folders
    /// found inside a folder are not followed (a link back up made the walk loop, each file read 40 times; a link in
    /// collected evidence points into the examiner's own machine). A file given twice (directly, or under two inputs)
    /// is read once.
    /// </summary>
    public static InputFileList Expand(IEnumerable<string> inputs, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics) =>
        Expand(inputs, formats, diagnostics, InputFileList.InMemoryFiles);

    /// <summary><see cref="Expand(IEnumerable{string}, IReadOnlyList{ILogFormat}, IDiagnostics)"/> keeping
    /// <paramref name="inMemory"/> files as objects (tests make the list spill early).</summary>
    internal static InputFileList Expand(IEnumerable<string> inputs, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics, int inMemory)
    {
        var result = new InputFileList(formats, inMemory);
        var earlier = new List<(string FullPath, bool Folder)>();
        var head = new byte[HeadLength];
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                foreach (var f in Walk(input, diagnostics))
                    if (!SeenIn(earlier, f) && Classify(f, formats, diagnostics, quiet: true, head) is { } file)
                        result.Add(file);
                earlier.Add((Path.GetFullPath(input), true));
            }
            else if (File.Exists(input))
            {
                if (!SeenIn(earlier, input) && Classify(input, formats, diagnostics, quiet: false, head) is { } file)
                    result.Add(file);
                earlier.Add((Path.GetFullPath(input), false));
            }
            else
            {
                diagnostics.Report(new ReadError(input, "no such file or folder"));
            }
        }
        result.Seal();
        return result;
    }

    /// <summary>Whether an earlier input was this file, or a folder holding it.</summary>
    private static bool SeenIn(List<(string FullPath, bool Folder)> earlier, string path)
    {
        if (earlier.Count == 0) return false;
        var full = Path.GetFullPath(path);
        foreach (var (e, folder) in earlier)
        {
            if (string.Equals(full, e, StringComparison.Ordinal)) return true;
            if (folder && full.Length > e.Length && full.StartsWith(e, StringComparison.Ordinal)
                && (e.EndsWith(Path.DirectorySeparatorChar) || full[e.Length] == Path.DirectorySeparatorChar)) return true;
        }
        return false;
    }

    private static readonly EnumerationOptions OneLevel = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = FileAttributes.None,
    };

    /// <summary>The files under <paramref name="root"/> in ordinal order of their paths, one directory listed at a time.</summary>
    internal static IEnumerable<string> Walk(string root, IDiagnostics diagnostics)
    {
        // The directories being walked, deepest last: each one's path and its entries' keys (see List), in order.
        var stack = new Stack<(string Dir, IEnumerator<string> Keys)>();
        try
        {
            var top = List(root, diagnostics, isRoot: true);
            if (top is null) yield break;
            stack.Push((root, top.GetEnumerator()));
            while (stack.Count > 0)
            {
                var (dir, keys) = stack.Peek();
                if (!keys.MoveNext())
                {
                    stack.Pop().Keys.Dispose();
                    continue;
                }
                string key = keys.Current;
                bool folder = key.EndsWith(Path.DirectorySeparatorChar);
                string path = Path.Combine(dir, folder ? key[..^1] : key);
                if (!folder) { yield return path; continue; }
                if (List(path, diagnostics, isRoot: false) is { } inner) stack.Push((path, inner.GetEnumerator()));
            }
        }
        finally
        {
            while (stack.Count > 0) stack.Pop().Keys.Dispose();
        }
    }

    /// <summary>Entry names a directory's listing holds in memory; past that they are sorted in runs on disk and merged
    /// (tests lower it).</summary>
    internal static int NamesInMemory = 131_072;

    /// <summary>A directory's entries as sort keys: a file's name, a folder's name + '/' (so they sort as the full paths
    /// do: "b.json" before "b/c.json"), in ordinal order. At most <see cref="NamesInMemory"/> names are held: a larger
    /// folder's names are sorted in runs in temporary files and merged as they are walked (a folder of 400k files held
    /// ~70 MB of names; listed as objects with their paths, ~240 MB).</summary>
    private static IEnumerable<string>? List(string dir, IDiagnostics diagnostics, bool isRoot)
    {
        var keys = new List<string>();
        var runs = new List<FileStream>();
        try
        {
            var entries = new System.IO.Enumeration.FileSystemEnumerable<(string Name, bool Folder, bool Link)>(dir,
                (ref System.IO.Enumeration.FileSystemEntry e) =>
                    (e.FileName.ToString(), e.IsDirectory, (e.Attributes & FileAttributes.ReparsePoint) != 0), OneLevel);
            foreach (var (name, folder, link) in entries)
            {
                if (folder && link)
                {
                    diagnostics.Report(new ReadError(Path.Combine(dir, name),
                        "skipped: a link to a folder (links are not followed inside a folder)", Notice: true));
                    continue;
                }
                keys.Add(folder ? name + Path.DirectorySeparatorChar : name);
                if (keys.Count >= NamesInMemory) runs.Add(WriteNames(keys));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Report(new ReadError(dir, $"cannot list folder: {ex.Message}"));
            if (isRoot)
            {
                foreach (var r in runs) r.Dispose();
                return null;
            }
            // A folder inside: the entries listed before the failure are still walked, in order.
        }
        keys.Sort(StringComparer.Ordinal);
        return runs.Count == 0 ? keys : MergeNames(runs, keys);
    }

    /// <summary>Sorts the names, writes them to a temporary file (<see cref="Vigil.IO.TempFile"/>), empties the list; the
    /// file, at its start for reading.</summary>
    private static FileStream WriteNames(List<string> names)
    {
        names.Sort(StringComparer.Ordinal);
        var file = Vigil.IO.TempFile.Create(Vigil.IO.TempFile.NewPath("vigil-names-"), 1 << 16);
        using (var w = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
            foreach (var n in names)
            {
                w.Write(n.Length);   // UTF-16 as it is: a Windows name may hold a lone surrogate
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(n.AsSpan()));
            }
        names.Clear();
        file.Position = 0;
        return file;
    }

    /// <summary>The names of the run files and of the last, in-memory chunk, merged in ordinal order; the files are
    /// closed (so deleted) when the merge ends (or is abandoned).</summary>
    private static IEnumerable<string> MergeNames(List<FileStream> runs, List<string> last)
    {
        var readers = new List<BinaryReader>();
        try
        {
            foreach (var r in runs) readers.Add(new BinaryReader(r));
            var queue = new PriorityQueue<int, string>(StringComparer.Ordinal);
            int memory = 0;
            bool Next(int source, out string name)
            {
                name = "";
                if (source == readers.Count)
                {
                    if (memory == last.Count) return false;
                    name = last[memory++];
                    return true;
                }
                var reader = readers[source];
                if (reader.BaseStream.Position >= reader.BaseStream.Length) return false;
                int length = reader.ReadInt32();
                name = string.Create(length, reader, static (span, r) => r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(span)));
                return true;
            }
            for (int i = 0; i <= readers.Count; i++)
                if (Next(i, out var n)) queue.Enqueue(i, n);
            while (queue.TryDequeue(out int source, out var name))
            {
                yield return name;
                if (Next(source, out var n)) queue.Enqueue(source, n);
            }
        }
        finally
        {
            foreach (var r in runs) r.Dispose();
        }
    }

    /// <summary>Reads the head of a file and asks each format whether it is theirs.</summary>
    public static InputFile? Classify(string path, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics, bool quiet) =>
        Classify(path, formats, diagnostics, quiet, new byte[HeadLength]);

    private static InputFile? Classify(string path, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics, bool quiet, byte[] head)
    {
        int n;
        long length;
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            length = fs.Length;
            n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            diagnostics.Report(new ReadError(path, $"cannot open: {ex.Message}"));
            return null;
        }
        var span = head.AsSpan(0, n);
        foreach (var format in formats)
            if (format.Recognize(span, path))
                return new InputFile(path, format, length);
        var why = n == 0 ? "file is empty" : "not a log format Vigil reads (EVTX, JSON lines, JSON array, or gzip of JSON)";
        if (!quiet) diagnostics.Report(new ReadError(path, why, Offset: 0));
        else if (LogExtensions.Contains(System.IO.Path.GetExtension(path))) diagnostics.Report(new ReadError(path, "skipped: " + why, Offset: 0, Notice: true));
        return null;
    }

    /// <summary>Extensions of the logs Vigil reads: an unrecognised file with one of them inside a folder is noted.</summary>
    public static readonly IReadOnlySet<string> LogExtensions =
        new HashSet<string>([".evtx", ".json", ".jsonl", ".ndjson", ".log", ".gz"], StringComparer.OrdinalIgnoreCase);
}
