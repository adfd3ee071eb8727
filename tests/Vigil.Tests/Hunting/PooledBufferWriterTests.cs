using Vigil.Outputs;
using Xunit;

namespace Vigil.Tests.Hunting;

/// <summary>The pooled buffer behind batched JSON-lines output must hold exactly what was written, across growths
/// (from a tiny start through large-object sizes), whatever size hints the writer gives.</summary>
public class PooledBufferWriterTests
{
    [Fact]
    public void Holds_every_byte_written_across_growths()
    {
        var rng = new Random(7);
        var expected = new MemoryStream();
        using var w = new PooledBufferWriter(16);
        for (int i = 0; i < 2000; i++)
        {
            int n = rng.Next(0, i % 100 == 0 ? 200_000 : 600);
            int hint = rng.Next(0, 3) switch { 0 => 0, 1 => n, _ => n + rng.Next(1, 5000) };
            var span = rng.Next(2) == 0 ? w.GetSpan(hint) : w.GetMemory(hint).Span;
            Assert.True(span.Length >= Math.Max(hint, 1));
            if (span.Length < n) span = w.GetSpan(n);   // a hint of 0 promises only some room
            for (int k = 0; k < n; k++) span[k] = (byte)rng.Next(256);
            expected.Write(span[..n]);
            w.Advance(n);
        }
        Assert.True(w.WrittenMemory.Length > 1 << 20);
        Assert.Equal(expected.ToArray(), w.WrittenMemory.ToArray());
    }

    [Fact]
    public void Refuses_to_advance_past_the_buffer()
    {
        using var w = new PooledBufferWriter(16);
        int room = w.GetSpan().Length;
        Assert.Throws<InvalidOperationException>(() => w.Advance(room + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => w.Advance(-1));
    }
}
