using Vigil.Rules;

namespace Vigil.Engine.Correlation;

/// <summary>
/// value_median for a window too large for <see cref="SlidingMedian"/>'s heaps (16 bytes a member): whether the median
/// meets the condition, decided from counts, with memory that does not grow with the members (they stay in the window's
/// <see cref="MemberQueue"/>, mostly in its file).
/// <para>
/// The condition's thresholds cut the numbers into pieces: NaN (which <see cref="double.CompareTo(double)"/> puts first),
/// then the open interval below the lowest threshold, the threshold itself, the interval up to the next threshold, and so
/// on. Each bound of the condition is true or false over a whole piece. The counts of members per piece tell which
/// piece holds the middle rank, which is enough for an odd count. For an even count the median is the mean of the two
/// middle members. If both are in one point piece, that is the point. If both are in one interval, their mean is in it
/// (a mean that could overflow, of members beyond ±<see cref="double.MaxValue"/>/2, is computed exactly instead). If
/// they are in two pieces, they are the largest member of the lower piece and the smallest of the upper one: each piece
/// keeps its largest and smallest members per block of <c>blockRows</c> members, and the blocks are queued as two
/// stacks whose older one holds running extremes, so a judgment reads no member but those of the oldest block, once.
/// </para>
/// <para>
/// The median itself (for a window that fires, or a mean that may overflow past a threshold beyond ±MaxValue/2) is sorted
/// from the members up to 65,536 of them and otherwise found by <see cref="Select"/>: a radix search over the members in
/// eight passes of 8 bits, which reads the members from the queue but keeps none. Numbers order as
/// a stable sort orders them (NaN first, -0 equal to 0, equal numbers by arrival), so the median is the very value the
/// plain evaluation's <c>Order()</c> picks.
/// </para>
/// </summary>
internal sealed class ThresholdMedian
{
    private readonly IReadOnlyList<CorrelationBound> _condition;
    /// <summary>The distinct thresholds (NaN left out: a bound against NaN is the same over every piece), ascending.</summary>
    private readonly double[] _t;
    /// <summary>Per piece: whether the condition holds for a median in it (point pieces: for the point).</summary>
    private readonly bool[] _holds;
    private readonly long[] _count;
    /// <summary>Per piece: members beyond ±MaxValue/2 (infinities included), whose mean with another could overflow.</summary>
    private readonly long[] _huge;
    private readonly int _pieces, _block, _sortBelow;
    /// <summary>Whether a threshold lies beyond ±MaxValue/2, where the mean of two members that overflows to an infinity
    /// may fall in another piece than theirs.</summary>
    private readonly bool _hugeThreshold;
    /// <summary>The arrival number of the oldest member, and the one the next member gets.</summary>
    private long _oldest, _next;

    // The extremes of each piece per block of _block members (by arrival number). A block's two halves: maxima, then
    // minima, per piece; NaN marks a piece with no member.
    /// <summary>The newest block, while it fills.</summary>
    private readonly double[] _back;
    /// <summary>Full blocks, oldest first, not yet moved to <see cref="_out"/>, and their running extremes.</summary>
    private readonly List<double[]> _in = [];
    private readonly double[] _inAll;
    /// <summary>Older full blocks, each holding the extremes of itself and every newer block in this list (its suffix); the
    /// first <see cref="_outStart"/> have left.</summary>
    private List<double[]> _out = [];
    private int _outStart;
    /// <summary>The oldest block's live members' suffix extremes by place in the block (read from the members once for
    /// the block), and which block they belong to (-1: none).</summary>
    private double[]? _front;
    private long _frontBlock = -1;

    /// <summary>Members read back from the window's queue (tests: the judgments that read members).</summary>
    public long MembersRead { get; private set; }

    /// <param name="sortBelow">Windows of up to this many members are sorted for their median, larger ones searched by
    /// <see cref="Select"/> (tests make it 0).</param>
    public ThresholdMedian(IReadOnlyList<CorrelationBound> condition, int blockRows, int sortBelow = 65_536)
    {
        _sortBelow = sortBelow;
        _hugeThreshold = condition.Any(b => IsHuge(b.Value));
        _condition = condition;
        _t = condition.Select(b => b.Value).Where(v => !double.IsNaN(v)).Select(v => v == 0 ? 0.0 : v).Distinct().Order().ToArray();
        _pieces = 2 * _t.Length + 2;
        _block = blockRows;
        _holds = new bool[_pieces];
        for (int p = 0; p < _pieces; p++) _holds[p] = Holds(Representative(p));
        _count = new long[_pieces];
        _huge = new long[_pieces];
        _back = NewExtremes();
        _inAll = NewExtremes();
    }

    public long Count => _next - _oldest;

    /// <summary>A number enters; <paramref name="seq"/> is its arrival number (one more than the previous one's; the first
    /// may be any, when a window switches from heaps).</summary>
    public void Add(double value, long seq)
    {
        if (Count == 0) _oldest = _next = seq;
        else if (seq != _next) throw new InvalidOperationException($"the median's next member is number {_next}, not {seq}");
        int p = Piece(value);
        _count[p]++;
        if (IsHuge(value)) _huge[p]++;
        if (seq % _block == 0) Reset(_back);
        Include(_back, p, value);
        _next = seq + 1;
        if (_next % _block == 0)
        {
            // The block is full: it joins the queue of blocks.
            var full = (double[])_back.Clone();
            _in.Add(full);
            Combine(_inAll, full);
        }
    }

    /// <summary>The oldest number leaves: <paramref name="value"/> and <paramref name="seq"/> as it entered.</summary>
    public void RemoveOldest(double value, long seq)
    {
        if (Count == 0 || seq != _oldest)
            throw new InvalidOperationException($"the median's oldest member is number {_oldest} of {Count}, not {seq}");
        int p = Piece(value);
        _count[p]--;
        if (IsHuge(value)) _huge[p]--;
        _oldest++;
        // The member that left was its block's last: that block was queued when it filled, and it leaves the queue.
        if (_oldest % _block == 0) DropOldestBlock();
        if (Count == 0) Reset();
    }

    private void DropOldestBlock()
    {
        if (_outStart == _out.Count) Flip();
        _outStart++;
        _frontBlock = -1;
    }

    /// <summary>Whether the median of the members meets the condition: exactly what judging <see cref="Select"/>'s
    /// median would say. <paramref name="members"/> enumerates the members' numbers, oldest first; it is read only for
    /// the oldest block's extremes (once a block) or an overflowing mean.</summary>
    public bool Holds(Func<IEnumerable<double>> members)
    {
        long n = Count;
        if (n == 0) throw new InvalidOperationException("the window is empty");
        if (n % 2 == 1) return _holds[PieceOfRank(n / 2)];
        int p1 = PieceOfRank(n / 2 - 1), p2 = PieceOfRank(n / 2);
        double a, b;
        if (p1 == p2)
        {
            if (IsPoint(p1)) a = b = Point(p1);
            // Two members of one interval: their mean is between them, so in it, unless it overflows. An overflowing sum
            // needs the upper member past MaxValue/2, so with every threshold within ±MaxValue/2 the interval is the
            // last, which holds +Infinity too (or the first and -Infinity; or, without thresholds, NaN: every bound then
            // compares with NaN and is the same for any number).
            else if (_huge[p1] == 0 || !_hugeThreshold) return _holds[p1];
            else (a, b) = Select(members, n, n / 2 - 1, n / 2);
        }
        else
        {
            a = IsPoint(p1) ? Point(p1) : Extreme(p1, max: true, members);
            b = IsPoint(p2) ? Point(p2) : Extreme(p2, max: false, members);
        }
        return Holds((a + b) / 2);
    }

    /// <summary>The median: the middle number (odd count) or the mean of the two middle ones. Up to
    /// <c>sortBelow</c> members are sorted as the plain evaluation sorts them; more are searched by <see cref="Select"/>.</summary>
    public double Median(Func<IEnumerable<double>> members)
    {
        long n = Count;
        if (n == 0) throw new InvalidOperationException("the window is empty");
        if (n <= _sortBelow) return Sorted(members());
        var (low, high) = Select(members, n, (n - 1) / 2, n / 2);
        return n % 2 == 1 ? low : (low + high) / 2;
    }

    /// <summary>The median as the plain evaluation takes it: a stable sort, then the middle number or the mean of the two
    /// middle ones.</summary>
    public static double Sorted(IEnumerable<double> numbers)
    {
        var sorted = numbers.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private bool Holds(double x)
    {
        for (int i = 0; i < _condition.Count; i++) if (!_condition[i].Holds(x)) return false;
        return true;
    }

    private static bool IsHuge(double v) => Math.Abs(v) > double.MaxValue / 2;

    /// <summary>Piece 0: NaN; 2j+1: the interval below threshold j (above j-1); 2j+2: threshold j; the last: above all.</summary>
    private int Piece(double v)
    {
        if (double.IsNaN(v)) return 0;
        int lo = 0, hi = _t.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_t[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo < _t.Length && _t[lo] == v ? 2 * lo + 2 : 2 * lo + 1;
    }

    private static bool IsPoint(int p) => p % 2 == 0;

    private double Point(int p) => p == 0 ? double.NaN : _t[p / 2 - 1];

    /// <summary>A number in the piece: the point, or for an interval the number just past its lower end (any interval with
    /// a member holds it).</summary>
    private double Representative(int p)
    {
        if (IsPoint(p)) return Point(p);
        int j = p / 2;
        if (_t.Length == 0) return 0;
        return j == 0 ? Math.BitDecrement(_t[0]) : Math.BitIncrement(_t[j - 1]);
    }

    private int PieceOfRank(long r)
    {
        long seen = 0;
        for (int p = 0; p < _pieces; p++)
            if ((seen += _count[p]) > r) return p;
        throw new InvalidOperationException($"rank {r} of {Count}");
    }

    private double[] NewExtremes()
    {
        var e = new double[2 * _pieces];
        Array.Fill(e, double.NaN);
        return e;
    }

    private static void Reset(double[] e) => Array.Fill(e, double.NaN);

    private void Reset()
    {
        Reset(_back);
        Reset(_inAll);
        _in.Clear();
        _out = [];
        _outStart = 0;
        _frontBlock = -1;
    }

    /// <summary>The larger (<paramref name="max"/>) or smaller of an extreme and a number; NaN is "none" for either.</summary>
    private static double Pick(double known, double v, bool max) =>
        double.IsNaN(v) ? known : double.IsNaN(known) || (max ? v > known : v < known) ? v : known;

    private void Include(Span<double> e, int p, double v)
    {
        e[p] = Pick(e[p], v, max: true);
        e[_pieces + p] = Pick(e[_pieces + p], v, max: false);
    }

    private void Combine(double[] into, double[] other)
    {
        for (int p = 0; p < _pieces; p++)
        {
            into[p] = Pick(into[p], other[p], max: true);
            into[_pieces + p] = Pick(into[_pieces + p], other[_pieces + p], max: false);
        }
    }

    /// <summary>The queued blocks move to <see cref="_out"/>, each with the extremes of itself and the newer ones.</summary>
    private void Flip()
    {
        var blocks = _in.Count == 0 ? [] : new List<double[]>(_in);
        for (int i = blocks.Count - 2; i >= 0; i--) Combine(blocks[i], blocks[i + 1]);
        _out = blocks;
        _outStart = 0;
        _in.Clear();
        Reset(_inAll);
    }

    /// <summary>The largest (or smallest) live member of interval piece <paramref name="p"/>.</summary>
    private double Extreme(int p, bool max, Func<IEnumerable<double>> members)
    {
        int at = max ? p : _pieces + p;
        long first = _oldest / _block, last = (_next - 1) / _block;
        double e = double.NaN;
        if (first == last)
        {
            // One block, partly left: its members are read (at most a block).
            foreach (double v in Take(members, Count))
                if (Piece(v) == p) e = Pick(e, v, max);
            return e;
        }
        // The oldest block is full and queued: it is the first of _out once _in moved there.
        if (_outStart == _out.Count) Flip();
        if (_frontBlock != first) ReadFront(members, first);
        e = _front![(_oldest - first * _block) * 2 * _pieces + at];
        if (_outStart + 1 < _out.Count) e = Pick(e, _out[_outStart + 1][at], max);
        e = Pick(e, _inAll[at], max);
        if (_next % _block != 0) e = Pick(e, _back[at], max);
        return e;
    }

    /// <summary>The oldest block's live members, read once: the extremes from each place to the block's end.</summary>
    private void ReadFront(Func<IEnumerable<double>> members, long block)
    {
        int start = (int)(_oldest - block * _block), width = 2 * _pieces;
        _front ??= new double[_block * width];
        Array.Fill(_front, double.NaN, start * width, (_block - start) * width);
        var values = new double[_block - start];
        int i = 0;
        foreach (double v in Take(members, values.Length)) values[i++] = v;
        for (int k = values.Length - 1; k >= 0; k--)
        {
            var place = _front.AsSpan((start + k) * width, width);
            if (k + 1 < values.Length) _front.AsSpan((start + k + 1) * width, width).CopyTo(place);
            Include(place, Piece(values[k]), values[k]);
        }
        _frontBlock = block;
    }

    private IEnumerable<double> Take(Func<IEnumerable<double>> members, long count)
    {
        if (count == 0) yield break;
        long taken = 0;
        foreach (double v in members())
        {
            MembersRead++;
            yield return v;
            if (++taken == count) yield break;
        }
    }

    /// <summary>The numbers at ranks <paramref name="r1"/> and <paramref name="r2"/> (from 0) of the <paramref name="n"/>
    /// members in the order of a stable sort: each of eight passes over the members fixes 8 more bits of each number's
    /// order key, and a last one (for zero only) tells -0 from 0 by arrival. Nothing but two tables of 256 counts is
    /// kept.</summary>
    public (double Low, double High) Select(Func<IEnumerable<double>> members, long n, long r1, long r2)
    {
        if (r1 < 0 || r2 < r1 || r2 >= n) throw new ArgumentOutOfRangeException(nameof(r2), $"ranks {r1} and {r2} of {n}");
        Span<long> c1 = stackalloc long[256], c2 = stackalloc long[256];
        ulong p1 = 0, p2 = 0;
        long below1 = 0, below2 = 0;
        for (int shift = 56; shift >= 0; shift -= 8)
        {
            c1.Clear();
            c2.Clear();
            ulong mask = shift == 56 ? 0 : ~0UL << (shift + 8);
            foreach (double v in members())
            {
                MembersRead++;
                ulong k = Key(v), high = k & mask;
                int digit = (int)((k >> shift) & 0xFF);
                if (high == p1) c1[digit]++;
                if (high == p2) c2[digit]++;
            }
            p1 |= (ulong)Digit(c1, r1, ref below1) << shift;
            p2 |= (ulong)Digit(c2, r2, ref below2) << shift;
        }
        return (Number(members, p1, r1 - below1), Number(members, p2, r2 - below2));
    }

    /// <summary>The digit whose counts hold rank <paramref name="rank"/>, past <paramref name="below"/> smaller numbers.</summary>
    private static int Digit(ReadOnlySpan<long> counts, long rank, ref long below)
    {
        int d = 0;
        while (below + counts[d] <= rank) below += counts[d++];
        return d;
    }

    /// <summary>The number with order key <paramref name="key"/>; for zero, the <paramref name="nth"/> zero by arrival
    /// (-0 or 0).</summary>
    private double Number(Func<IEnumerable<double>> members, ulong key, long nth)
    {
        if (key != Key(0.0)) return FromKey(key);
        long seen = 0;
        foreach (double v in members())
        {
            MembersRead++;
            if (v == 0 && seen++ == nth) return v;
        }
        throw new InvalidOperationException($"zero number {nth} is not among the members");
    }

    /// <summary>An order key: unsigned order of keys is <see cref="double.CompareTo(double)"/>'s order of numbers (NaN
    /// lowest, -0 and 0 one key).</summary>
    internal static ulong Key(double v)
    {
        if (double.IsNaN(v)) return 0;
        if (v == 0) v = 0.0;
        long bits = BitConverter.DoubleToInt64Bits(v);
        return bits >= 0 ? (ulong)bits | 0x8000_0000_0000_0000UL : ~(ulong)bits;
    }

    private static double FromKey(ulong key) => key == 0 ? double.NaN
        : BitConverter.Int64BitsToDouble((key & 0x8000_0000_0000_0000UL) != 0 ? (long)(key & 0x7FFF_FFFF_FFFF_FFFFUL) : (long)~key);
}
