namespace Vigil.Engine.Correlation;

/// <summary>
/// The exact median of a sliding window whose numbers enter at the end and leave from the front, in O(log n) a change and
/// O(1) a reading: the lower half in a max-heap, the upper half in a min-heap. Numbers are ordered as a stable sort orders
/// them (<see cref="double.CompareTo(double)"/>: NaN first, -0 equal to 0; equal numbers by arrival), so the median is the
/// very value the plain evaluation's <c>Order()</c> picks. A number that left stays in its heap until it reaches the top
/// (it is known by its arrival number, below the window's oldest) or until its heap is compacted, once it holds more
/// leavers than members: memory is at most a few times the window's members at 16 bytes each.
/// </summary>
internal sealed class SlidingMedian
{
    private readonly Heap _low = new(lowerHalf: true), _high = new(lowerHalf: false);
    /// <summary>Leavers a heap may hold beyond its members before it is compacted.</summary>
    private readonly int _slack;
    private int _lowLive, _highLive;
    /// <summary>The arrival number of the window's oldest member: entries below it have left.</summary>
    private long _oldest;

    /// <param name="slack">Leavers a heap may hold beyond twice its members (tests make it small so that compaction is
    /// frequent).</param>
    public SlidingMedian(int slack = 1024) => _slack = slack;

    public int Count => _lowLive + _highLive;

    /// <summary>Entries in the heaps, members and leavers not yet dropped (tests: bounded by the members).</summary>
    internal int Held => _low.Count + _high.Count;

    /// <summary>A number enters; <paramref name="seq"/> is its arrival number (one more than the previous one's).</summary>
    public void Add(double value, long seq)
    {
        var e = new Entry(value, seq);
        Prune();
        if (_lowLive == 0 || Entry.Compare(e, _low.Top) <= 0)
        {
            _low.Push(e);
            _lowLive++;
        }
        else
        {
            _high.Push(e);
            _highLive++;
        }
        Balance();
    }

    /// <summary>The oldest number leaves: <paramref name="value"/> and <paramref name="seq"/> as it entered.</summary>
    public void RemoveOldest(double value, long seq)
    {
        if (Count == 0 || seq != _oldest)
            throw new InvalidOperationException($"the median's oldest member is number {_oldest} of {Count}, not {seq}");
        Prune();
        // The halves split the order, so the leaver is in the lower half exactly when it is not above the lower half's top.
        if (_lowLive > 0 && Entry.Compare(new Entry(value, seq), _low.Top) <= 0) _lowLive--;
        else _highLive--;
        _oldest = seq + 1;
        Balance();
        if (_low.Count > 2 * _lowLive + _slack) _low.Compact(_oldest);
        if (_high.Count > 2 * _highLive + _slack) _high.Compact(_oldest);
    }

    /// <summary>The middle number (odd count), or the mean of the two middle ones (even count).</summary>
    public double Median
    {
        get
        {
            if (Count == 0) throw new InvalidOperationException("the window is empty");
            Prune();
            return Count % 2 == 1 ? _low.Top.Value : (_low.Top.Value + _high.Top.Value) / 2;
        }
    }

    public void Clear()
    {
        _low.Clear();
        _high.Clear();
        _lowLive = _highLive = 0;
        _oldest = 0;
    }

    /// <summary>Leavers at the tops are dropped, so each top is a member.</summary>
    private void Prune()
    {
        while (_low.Count > 0 && _low.Top.Seq < _oldest) _low.Pop();
        while (_high.Count > 0 && _high.Top.Seq < _oldest) _high.Pop();
    }

    /// <summary>The lower half holds the middle: as many members as the upper half, or one more.</summary>
    private void Balance()
    {
        while (_lowLive > _highLive + 1)
        {
            Prune();
            _high.Push(_low.Pop());
            _lowLive--;
            _highLive++;
        }
        while (_highLive > _lowLive)
        {
            Prune();
            _low.Push(_high.Pop());
            _highLive--;
            _lowLive++;
        }
        Prune();
    }

    private readonly struct Entry(double value, long seq)
    {
        public readonly double Value = value;
        public readonly long Seq = seq;

        public static int Compare(in Entry a, in Entry b)
        {
            int c = a.Value.CompareTo(b.Value);
            return c != 0 ? c : a.Seq.CompareTo(b.Seq);
        }
    }

    /// <summary>A binary heap of entries: the largest on top for the lower half, the smallest for the upper.</summary>
    private sealed class Heap(bool lowerHalf)
    {
        private Entry[] _items = [];
        public int Count { get; private set; }
        public ref readonly Entry Top => ref _items[0];

        /// <summary>Whether <paramref name="a"/> belongs above <paramref name="b"/>.</summary>
        private bool Above(in Entry a, in Entry b) => lowerHalf ? Entry.Compare(a, b) > 0 : Entry.Compare(a, b) < 0;

        public void Push(Entry e)
        {
            if (Count == _items.Length) Array.Resize(ref _items, Math.Max(16, _items.Length * 2));
            int i = Count++;
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (!Above(e, _items[parent])) break;
                _items[i] = _items[parent];
                i = parent;
            }
            _items[i] = e;
        }

        public Entry Pop()
        {
            var top = _items[0];
            var last = _items[--Count];
            if (Count > 0) SiftDown(0, last);
            return top;
        }

        private void SiftDown(int i, Entry e)
        {
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= Count) break;
                if (child + 1 < Count && Above(_items[child + 1], _items[child])) child++;
                if (!Above(_items[child], e)) break;
                _items[i] = _items[child];
                i = child;
            }
            _items[i] = e;
        }

        /// <summary>Drops every entry that left (arrival number below <paramref name="oldest"/>) and rebuilds the heap.</summary>
        public void Compact(long oldest)
        {
            int kept = 0;
            for (int i = 0; i < Count; i++)
                if (_items[i].Seq >= oldest) _items[kept++] = _items[i];
            Count = kept;
            for (int i = Count / 2 - 1; i >= 0; i--) SiftDown(i, _items[i]);
            if (_items.Length > 4096 && Count < _items.Length / 4) Array.Resize(ref _items, Math.Max(4096, Count * 2));
        }

        public void Clear()
        {
            Count = 0;
            // A huge window's array is not kept for the next, small ones.
            if (_items.Length > 1 << 16) _items = [];
        }
    }
}
