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

    public static List<InputFile> Expand(IEnumerable<string> inputs, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics)
    {
        var result = new List<InputFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                IEnumerable<string> files;
                try
                {
                    files = Directory.EnumerateFiles(input, "*", new EnumerationOptions
                    {
                        RecurseSubdirectories = true,
                        IgnoreInaccessible = true,
                        AttributesToSkip = FileAttributes.None,
                    }).OrderBy(f => f, StringComparer.Ordinal).ToList();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    diagnostics.Report(new ReadError(input, $"cannot list folder: {ex.Message}"));
                    continue;
                }
                foreach (var f in files)
                    if (seen.Add(Path.GetFullPath(f)) && Classify(f, formats, diagnostics, quiet: true) is { } file)
                        result.Add(file);
            }
            else if (File.Exists(input))
            {
                if (seen.Add(Path.GetFullPath(input)) && Classify(input, formats, diagnostics, quiet: false) is { } file)
                    result.Add(file);
            }
            else
            {
                diagnostics.Report(new ReadError(input, "no such file or folder"));
            }
        }
        return result;
    }

    /// <summary>Reads the head of a file and asks each format whether it is theirs.</summary>
    public static InputFile? Classify(string path, IReadOnlyList<ILogFormat> formats, IDiagnostics diagnostics, bool quiet)
    {
        byte[] head = new byte[HeadLength];
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
