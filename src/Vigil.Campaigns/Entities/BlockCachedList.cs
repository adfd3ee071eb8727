using System.Collections;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// A read-only list whose items are made on demand (a detection fact read from its store, a process record), in blocks
/// of <see cref="BlockSize"/> consecutive indexes, the last <see cref="CachedBlocks"/> blocks kept. The campaign build
/// uses it for the biggest campaigns (a 6M-event day had one of 135,000 detections): their facts and processes are
/// walked a dozen times in order while the campaign is judged, and holding them all as objects grew with the input.
/// Items are made again after their block is dropped, so they must not be compared by reference. Not thread-safe.
/// </summary>
internal sealed class BlockCachedList<T> : IReadOnlyList<T> where T : class
{
    public const int BlockSize = 512;
    public const int CachedBlocks = 32;

    private readonly Func<int, T> _make;
    private readonly T[]?[] _blocks = new T[CachedBlocks][];
    private readonly int[] _blockIds = new int[CachedBlocks];
    private int _next;
    private int _lastBlock = -1, _lastSlot = -1;

    public BlockCachedList(int count, Func<int, T> make)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        _make = make;
        Array.Fill(_blockIds, -1);
    }

    public int Count { get; }

    /// <summary>Blocks made so far (a diagnostic for tests).</summary>
    public int BlocksMade { get; private set; }

    public T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"item {index} of {Count}");
            int block = index / BlockSize;
            int slot = block == _lastBlock ? _lastSlot : Slot(block);
            return _blocks[slot]![index - block * BlockSize];
        }
    }

    private int Slot(int block)
    {
        int slot = Array.IndexOf(_blockIds, block);
        if (slot < 0)
        {
            slot = _next;
            _next = (_next + 1) % CachedBlocks;
            int start = block * BlockSize, n = Math.Min(BlockSize, Count - start);
            var items = _blocks[slot] ??= new T[BlockSize];
            for (int k = 0; k < n; k++) items[k] = _make(start + k);
            _blockIds[slot] = block;
            BlocksMade++;
        }
        _lastBlock = block;
        _lastSlot = slot;
        return slot;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>A read-only list of what an enumeration yields, made again each time it is walked: for a campaign's steps,
/// folded from its detections as the campaign store writes them instead of held. <see cref="Count"/> walks it once (then
/// remembered); the indexer walks up to the item (for completeness: the store only enumerates).</summary>
internal sealed class EnumeratedList<T>(Func<IEnumerable<T>> items) : IReadOnlyList<T>
{
    private int _count = -1;

    public int Count => _count >= 0 ? _count : _count = items().Count();

    public T this[int index] => items().ElementAt(index);

    public IEnumerator<T> GetEnumerator() => items().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
