namespace Vigil.Diagnostics;

/// <summary>
/// A problem met while reading input. Always names the file and the place: a byte offset for binary
/// formats (with the EVTX chunk number where there is one) or a line number for text formats.
/// A <see cref="Notice"/> is something an examiner may want to know but that loses no intact data
/// (e.g. remnants of overwritten records in an EVTX chunk's slack space that cannot be decoded).
/// </summary>
public sealed record ReadError(string Source, string Message, long? Offset = null, long? Line = null, int? Chunk = null, bool Notice = false)
{
    public override string ToString()
    {
        var where = Line is { } l ? $"line {l}"
            : Chunk is { } c ? (Offset is { } co ? $"chunk {c} at offset 0x{co:x}" : $"chunk {c}")
            : Offset is { } o ? $"offset 0x{o:x}" : null;
        return where is null ? $"{Source}: {Message}" : $"{Source}: {where}: {Message}";
    }
}

/// <summary>Receives read errors. Implementations must be thread-safe: readers report from worker threads.</summary>
public interface IDiagnostics
{
    void Report(ReadError error);
}

/// <summary>Collects errors in memory and optionally echoes each to a writer (stderr in the CLI).
/// Notices are echoed only when <paramref name="echoNotices"/> is set, and are not counted as errors.</summary>
public sealed class DiagnosticsCollector(TextWriter? echo = null, bool echoNotices = false) : IDiagnostics
{
    private readonly List<ReadError> _errors = [];
    private readonly Lock _gate = new();
    private int _count;
    private int _notices;

    /// <summary>Everything reported, errors and notices, in the order reported.</summary>
    public IReadOnlyList<ReadError> Errors { get { lock (_gate) return _errors.ToArray(); } }
    /// <summary>Errors, not counting notices.</summary>
    public int Count { get { lock (_gate) return _count; } }
    public int Notices { get { lock (_gate) return _notices; } }

    public void Report(ReadError error)
    {
        lock (_gate)
        {
            _errors.Add(error);
            if (error.Notice) _notices++; else _count++;
            if (!error.Notice || echoNotices) echo?.WriteLine((error.Notice ? "vigil: note: " : "vigil: ") + error);
        }
    }
}
