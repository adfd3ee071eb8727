using Vigil.Engine.Pipeline;

namespace Vigil.Tests.Pipeline;

/// <summary>
/// The hunt's heap governor compacts only past its threshold, and after a compaction waits for the heap to grow by its
/// headroom before the next: a run under the floor is never touched, and a heap that does not grow is compacted once.
/// </summary>
public class HeapGovernorTests
{
    [Fact]
    public void A_heap_under_the_floor_is_left_alone()
    {
        var governor = new HeapGovernor(floorBytes: long.MaxValue / 2, headroomBytes: 0);
        for (int i = 0; i < 100; i++) governor.Check();
        Assert.Equal(0, governor.Compactions);
    }

    [Fact]
    public void Past_the_threshold_the_heap_is_compacted_once_until_it_grows_by_the_headroom()
    {
        var governor = new HeapGovernor(floorBytes: 0, headroomBytes: 1L << 40);
        governor.Check();
        Assert.Equal(1, governor.Compactions);
        // The threshold is now the committed size plus a terabyte: nothing a test allocates reaches it.
        var garbage = new List<byte[]>();
        for (int i = 0; i < 50; i++) garbage.Add(new byte[1 << 20]);
        GC.KeepAlive(garbage);
        for (int i = 0; i < 100; i++) governor.Check();
        Assert.Equal(1, governor.Compactions);
        Assert.True(governor.CompactionTime > TimeSpan.Zero);
    }

    [Fact]
    public void Without_headroom_every_check_past_the_floor_compacts_within_the_time_share()
    {
        var free = new HeapGovernor(floorBytes: 0, headroomBytes: 0, maxTimeShare: 1);
        free.Check();
        free.Check();
        free.Check();
        Assert.Equal(3, free.Compactions);
        // A share of a millionth: right after the first compaction, the next would take far more than that share.
        var thrifty = new HeapGovernor(floorBytes: 0, headroomBytes: 0, maxTimeShare: 1e-6);
        thrifty.Check();
        thrifty.Check();
        thrifty.Check();
        Assert.Equal(1, thrifty.Compactions);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeapGovernor(maxTimeShare: 0));
    }

    [Fact]
    public void Past_the_ceiling_compactions_may_take_the_larger_share()
    {
        // The same thrifty share, with the heap past a ceiling of 0 bytes and a ceiling share of all the time: every check
        // compacts; with the ceiling out of reach the thrifty share holds.
        var pressed = new HeapGovernor(floorBytes: 0, headroomBytes: 0, maxTimeShare: 1e-6, ceilingBytes: 0, ceilingTimeShare: 1);
        pressed.Check();
        pressed.Check();
        pressed.Check();
        Assert.Equal(3, pressed.Compactions);
        var relaxed = new HeapGovernor(floorBytes: 0, headroomBytes: 0, maxTimeShare: 1e-6, ceilingBytes: long.MaxValue, ceilingTimeShare: 1);
        relaxed.Check();
        relaxed.Check();
        Assert.Equal(1, relaxed.Compactions);
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeapGovernor(ceilingTimeShare: 0));
    }
}
