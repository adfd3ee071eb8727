namespace Vigil.Simulation;

/// <summary>
/// PCG32 (XSH-RR, 64-bit state) pseudo-random generator. Used instead of System.Random because the
/// simulator promises byte-identical output for a seed across runtime versions, and System.Random's
/// algorithm is an implementation detail. Integer-only: no floating point on the generation path.
/// </summary>
public sealed class Rng
{
    private const ulong Multiplier = 6364136223846793005UL;
    private ulong _state;
    private readonly ulong _inc;

    public Rng(ulong seed, ulong stream)
    {
        _inc = (stream << 1) | 1UL;
        _state = 0;
        NextUInt();
        _state += seed;
        NextUInt();
    }

    /// <summary>Derives an independent generator (a different PCG stream) for a named purpose.</summary>
    public static Rng For(int seed, string purpose)
    {
        // FNV-1a over the purpose string picks the stream; stable across runs and platforms.
        ulong h = 1469598103934665603UL;
        foreach (char c in purpose) { h ^= c; h *= 1099511628211UL; }
        return new Rng((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + 0x632BE59BD9B4E019UL, h);
    }

    public uint NextUInt()
    {
        ulong old = _state;
        _state = unchecked(old * Multiplier + _inc);
        uint xorshifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
    }

    public ulong NextULong() => ((ulong)NextUInt() << 32) | NextUInt();

    /// <summary>Uniform integer in [0, n) without modulo bias (Lemire's method).</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), n, "bound must be positive");
        uint bound = (uint)n;
        ulong m = (ulong)NextUInt() * bound;
        uint low = (uint)m;
        if (low < bound)
        {
            uint threshold = (uint)(-(int)bound) % bound;
            while (low < threshold) { m = (ulong)NextUInt() * bound; low = (uint)m; }
        }
        return (int)(m >> 32);
    }

    /// <summary>Uniform integer in [lo, hi] inclusive.</summary>
    public int Range(int lo, int hi) => lo + Next(hi - lo + 1);

    public long RangeLong(long lo, long hi)
    {
        ulong span = (ulong)(hi - lo) + 1;
        return lo + (long)(NextULong() % span);
    }

    /// <summary>True with probability percent/100.</summary>
    public bool Chance(int percent) => Next(100) < percent;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public string Hex(int digits)
    {
        Span<char> s = stackalloc char[digits];
        for (int i = 0; i < digits; i++) s[i] = "0123456789abcdef"[Next(16)];
        return new string(s);
    }
}
