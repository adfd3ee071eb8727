namespace Vigil.Engine.Hunting;

/// <summary>
/// The detections of a hunt in deterministic order (<see cref="Detection.Compare"/>), produced lazily from the
/// <see cref="DetectionSpool"/> and readable once: enumerating twice throws. <see cref="Count"/> and
/// <see cref="LevelCounts"/> are known before reading. Tests that need a list call <c>ToList()</c>.
/// Disposing deletes the spool's temp files if the stream was never read to the end.
/// </summary>
public sealed class DetectionStream : IEnumerable<Detection>, IDisposable
{
    private readonly DetectionSpool _spool;

    internal DetectionStream(DetectionSpool spool) { _spool = spool; }

    public long Count => _spool.Count;
    /// <summary>Detections per rule level as written in the rules.</summary>
    public IReadOnlyDictionary<string, long> LevelCounts => _spool.LevelCounts;
    /// <summary>Sorted runs that were spilled to disk (0 when everything fit in memory).</summary>
    public int Spills => _spool.Spills;
    /// <summary>The spool's temp folder, if any run was spilled.</summary>
    public string? TempDirectory => _spool.TempDirectory;

    public IEnumerator<Detection> GetEnumerator() => _spool.Drain().GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose() => _spool.Dispose();
}
