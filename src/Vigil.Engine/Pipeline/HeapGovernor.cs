using System.Diagnostics;

namespace Vigil.Engine.Pipeline;

/// <summary>
/// Keeps a long run's memory near its live data. A hunt's partitions (their detections, event snapshots and the campaign
/// context's records) live just long enough to reach gen2 and die there; background gen2 collections free them but do not
/// compact, so gen2 fills with free space between survivors and the heap's commitment creeps up with the input's length
/// (a 12.2M-event day with campaigns: live data ~110 MB, committed 80 -> 317 MB over the hunt, peak 395 MB resident).
/// <see cref="Check"/>, called between units of work (a consumed partition), compacts the heap and gives the freed memory
/// back when the committed heap has passed its threshold: <see cref="FloorBytes"/>, or the committed size right after the
/// last compaction plus <see cref="HeadroomBytes"/>, whichever is larger, and compactions have taken at most
/// <see cref="MaxTimeShare"/> of the time since the first one. A compaction of ~100 MB of live data takes ~0.1-0.2 s; a
/// run that stays under the floor never pays one. (Without the time share, a Zeek day of a million distinct flows, whose
/// live data is larger and whose garbage reaches gen2 fast, compacted 41 times in 5 s of a 30 s hunt.) Past
/// <see cref="CeilingBytes"/> committed, memory comes first: compactions may take up to <see cref="CeilingTimeShare"/>
/// of the time. (A hunt of a million endpoints, ~230 MB live, compacted too rarely under the 5% share and peaked at
/// 481-555 MB resident in its first 15 s.)
/// <para>Not thread-safe: one caller (the hunt's in-order consumer).</para>
/// </summary>
public sealed class HeapGovernor
{
    public const long DefaultFloorBytes = 192L << 20;
    public const long DefaultHeadroomBytes = 64L << 20;
    public const double DefaultMaxTimeShare = 0.05;
    public const long DefaultCeilingBytes = 320L << 20;
    public const double DefaultCeilingTimeShare = 0.25;

    public long FloorBytes { get; }
    public long HeadroomBytes { get; }
    /// <summary>The largest share of the time since the first compaction that compactions may take (0 < share <= 1).</summary>
    public double MaxTimeShare { get; }
    /// <summary>Committed bytes past which compactions may take <see cref="CeilingTimeShare"/> of the time (or
    /// <see cref="MaxTimeShare"/>, if larger).</summary>
    public long CeilingBytes { get; }
    public double CeilingTimeShare { get; }
    private long _threshold;
    private readonly Stopwatch _time = new();
    private readonly Stopwatch _since = new();
    private TimeSpan _last;

    public HeapGovernor(long floorBytes = DefaultFloorBytes, long headroomBytes = DefaultHeadroomBytes, double maxTimeShare = DefaultMaxTimeShare,
        long ceilingBytes = DefaultCeilingBytes, double ceilingTimeShare = DefaultCeilingTimeShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floorBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(headroomBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(ceilingBytes);
        if (!(maxTimeShare > 0 && maxTimeShare <= 1)) throw new ArgumentOutOfRangeException(nameof(maxTimeShare), maxTimeShare, "a share in (0, 1]");
        if (!(ceilingTimeShare > 0 && ceilingTimeShare <= 1)) throw new ArgumentOutOfRangeException(nameof(ceilingTimeShare), ceilingTimeShare, "a share in (0, 1]");
        FloorBytes = floorBytes;
        HeadroomBytes = headroomBytes;
        MaxTimeShare = maxTimeShare;
        CeilingBytes = ceilingBytes;
        CeilingTimeShare = ceilingTimeShare;
        _threshold = floorBytes;
    }

    /// <summary>Compactions done so far.</summary>
    public int Compactions { get; private set; }

    /// <summary>Time spent compacting.</summary>
    public TimeSpan CompactionTime => _time.Elapsed;

    /// <summary>Compacts the heap if its committed memory (as of the last collection) is past the threshold.</summary>
    public void Check()
    {
        long committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        if (committed < _threshold) return;
        // Compactions so far plus the next (assumed as long as the last) within the share of the time since the first.
        double share = committed >= CeilingBytes ? Math.Max(CeilingTimeShare, MaxTimeShare) : MaxTimeShare;
        if (Compactions > 0 && (_time.Elapsed + _last).TotalSeconds > share * (_since.Elapsed + _last).TotalSeconds) return;
        _since.Start();
        var before = _time.Elapsed;
        _time.Start();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        _time.Stop();
        _last = _time.Elapsed - before;
        Compactions++;
        _threshold = Math.Max(FloorBytes, GC.GetGCMemoryInfo().TotalCommittedBytes + HeadroomBytes);
    }
}
