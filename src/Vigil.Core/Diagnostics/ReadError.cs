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
/// Notices are echoed only when <paramref name="echoNotices"/> is set, and are not counted as errors.
/// <para>Memory: each source (input file) lists its first <paramref name="maxListedPerSource"/> errors and notices; past
/// that they are counted, not kept or echoed, and <see cref="Errors"/> ends with one line per such source saying how many
/// more there were. A damaged file is one error per broken line: 500K broken lines of one file held ~125 MB of errors and
/// printed 500K lines.</para></summary>
public sealed class DiagnosticsCollector(TextWriter? echo = null, bool echoNotices = false,
    int maxListedPerSource = DiagnosticsCollector.DefaultMaxListedPerSource) : IDiagnostics
{
    /// <summary>Errors and notices listed per source by default.</summary>
    public const int DefaultMaxListedPerSource = 1000;

    private readonly List<ReadError> _errors = [];
    private readonly Lock _gate = new();
    private int _count;
    private int _notices;
    /// <summary>Per source: listed so far, and (past the cap) errors and notices not listed.</summary>
    private readonly Dictionary<string, (int Listed, long UnlistedErrors, long UnlistedNotices, bool Announced)> _bySource = new(StringComparer.Ordinal);

    /// <summary>Everything reported, errors and notices, in the order reported, up to the cap per source; then, for each
    /// source past its cap, one line counting the rest (an error if any of them was).</summary>
    public IReadOnlyList<ReadError> Errors
    {
        get
        {
            lock (_gate)
            {
                var all = new List<ReadError>(_errors);
                foreach (var (source, (_, errors, notices, _)) in _bySource)
                    if (errors + notices > 0)
                        all.Add(new ReadError(source, $"{errors + notices:N0} more errors and notices not listed ({errors:N0} errors; the first {maxListedPerSource:N0} are listed)",
                            Notice: errors == 0));
                return all;
            }
        }
    }
    /// <summary>Errors, not counting notices (listed or not).</summary>
    public int Count { get { lock (_gate) return _count; } }
    public int Notices { get { lock (_gate) return _notices; } }

    public void Report(ReadError error)
    {
        lock (_gate)
        {
            if (error.Notice) _notices++; else _count++;
            var seen = _bySource.GetValueOrDefault(error.Source);
            if (seen.Listed >= maxListedPerSource)
            {
                // Said once per source, where this one would have been echoed.
                if (!seen.Announced && (!error.Notice || echoNotices))
                {
                    echo?.WriteLine($"vigil: {error.Source}: more than {maxListedPerSource:N0} errors and notices; the rest are counted, not listed");
                    seen.Announced = true;
                }
                _bySource[error.Source] = error.Notice ? seen with { UnlistedNotices = seen.UnlistedNotices + 1 } : seen with { UnlistedErrors = seen.UnlistedErrors + 1 };
                return;
            }
            _bySource[error.Source] = seen with { Listed = seen.Listed + 1 };
            _errors.Add(error);
            if (!error.Notice || echoNotices) echo?.WriteLine((error.Notice ? "vigil: note: " : "vigil: ") + error);
        }
    }
}
