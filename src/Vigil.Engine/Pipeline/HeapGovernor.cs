using System.Diagnostics;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Keeps a long run's memory near its live data. A hunt's partitions (their detections, event snapshots and the campaign
/// context's records) live just long enough to reach gen2 and die there; background gen2 collections free them but do not
/// compact, so gen2 fills with free space between survivors and the heap's commitment creeps up with the input's length
/// (a 12.2M-event day with campaigns: live data ~110 MB, committed 80 -> 317 MB over the hunt, peak 395 MB resident).
/// <see cref="Check"/>, called between units of work (a consumed partition), compacts the heap and gives the freed memory
/// back when the committed heap has passed its threshold: <see cref="FloorBytes"/>, or the committed size right after the
/// last compaction plus <see cref="HeadroomBytes"/>, whichever is larger. A compaction of ~100 MB of live data takes
/// ~0.1-0.2 s; with the headroom it happens every few tens of seconds at most, and never on a run that stays under the floor.
/// <para>Not thread-safe: one caller (the hunt's in-order consumer).</para>
/// </summary>
public sealed class HeapGovernor
{
    public const long DefaultFloorBytes = 192L << 20;
    public const long DefaultHeadroomBytes = 64L << 20;

    public long FloorBytes { get; }
    public long HeadroomBytes { get; }
    private long _threshold;
    private readonly Stopwatch _time = new();

    public HeapGovernor(long floorBytes = DefaultFloorBytes, long headroomBytes = DefaultHeadroomBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floorBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(headroomBytes);
        FloorBytes = floorBytes;
        HeadroomBytes = headroomBytes;
        _threshold = floorBytes;
    }

    /// <summary>Compactions done so far.</summary>
    public int Compactions { get; private set; }

    /// <summary>Time spent compacting.</summary>
    public TimeSpan CompactionTime => _time.Elapsed;

    /// <summary>Compacts the heap if its committed memory (as of the last collection) is past the threshold.</summary>
    public void Check()
    {
        if (GC.GetGCMemoryInfo().TotalCommittedBytes < _threshold) return;
        _time.Start();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _time.Stop();
        Compactions++;
        _threshold = Math.Max(FloorBytes, GC.GetGCMemoryInfo().TotalCommittedBytes + HeadroomBytes);
    }
}
