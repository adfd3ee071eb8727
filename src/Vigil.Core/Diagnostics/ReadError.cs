namespace Vigil.Diagnostics;

/// <summary>
/// A problem met while reading input. Always names the file and the place: a byte offset for binary
/// formats (with the EVTX chunk number where there is one) or a line number for text formats.
/// </summary>
public sealed record ReadError(string Source, string Message, long? Offset = null, long? Line = null, int? Chunk = null)
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

/// <summary>Collects errors in memory and optionally echoes each to a writer (stderr in the CLI).</summary>
public sealed class DiagnosticsCollector(TextWriter? echo = null) : IDiagnostics
{
    private readonly List<ReadError> _errors = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<ReadError> Errors { get { lock (_gate) return _errors.ToArray(); } }
    public int Count { get { lock (_gate) return _errors.Count; } }

    public void Report(ReadError error)
    {
        lock (_gate)
        {
            _errors.Add(error);
            echo?.WriteLine("vigil: " + error);
        }
    }
}
