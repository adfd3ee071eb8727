namespace Vigil.Simulation;

/// <summary>
/// Where generated events go. The simulator generates every event once, in time order, and hands it with its
/// EventRecordID to the sink; JSON lines and EVTX output therefore hold the same events (same fields, times
/// and record ids) for the same seed and size.
/// </summary>
internal interface IEventSink : IDisposable
{
    /// <summary>Writes one event; <paramref name="recordId"/> rises by one per host and channel. Returns the event's
    /// 1-based line number in its file for line-oriented output (JSON lines), 0 otherwise.</summary>
    long Write(SimEvent e, long recordId);

    /// <summary>The name truth.json uses for the file an event is written to, relative to the log folder with '/'
    /// separators (e.g. "security.jsonl" or "DC01/Security.evtx").</summary>
    string FileLabel(SimEvent e);

    /// <summary>Flushes everything; the files are complete and valid afterwards.</summary>
    void Complete();

    /// <summary>The files written (in a stable order), with their truth label, full path and event count.</summary>
    IReadOnlyList<(string Label, string Path, long Count)> Files { get; }
}
