using Vigil.Engine.Hunting;

namespace Vigil.Tests.Hunting;

/// <summary>The detection spool's buffer outside the GC heap: what a <see cref="BinaryWriter"/> writes reads back by place
/// as a <see cref="MemoryStream"/> holds it, across growth, an emptying that keeps the allocation, and a release.</summary>
public class NativeBufferStreamTests
{
    [Fact]
    public void Writes_read_back_as_a_memory_stream_holds_them()
    {
        var random = new Random(3);
        using var native = new NativeBufferStream();
        using var model = new MemoryStream();
        using var w = new BinaryWriter(native, System.Text.Encoding.UTF8, leaveOpen: true);
        using var m = new BinaryWriter(model, System.Text.Encoding.UTF8, leaveOpen: true);
        for (int round = 0; round < 3; round++)
        {
            // Past 64 KB several times: the buffer grows (and may move) while records are written.
            for (int i = 0; i < 20_000; i++)
            {
                int kind = random.Next(4);
                if (kind == 0) { w.Write(i); m.Write(i); }
                else if (kind == 1) { var text = "text " + i + new string('é', random.Next(40)); w.Write(text); m.Write(text); }
                else if (kind == 2) { var bytes = new byte[random.Next(200)]; random.NextBytes(bytes); w.Write(bytes); m.Write(bytes); }
                else { w.Write((byte)i); m.Write((byte)i); }
            }
            w.Flush();
            m.Flush();
            Assert.Equal(model.Length, native.Length);
            Assert.Equal(model.Position, native.Position);
            var expected = model.ToArray();
            for (int at = 0; at < expected.Length; at += 997)
            {
                int length = Math.Min(1500, expected.Length - at);
                Assert.True(native.Span(at, length).SequenceEqual(expected.AsSpan(at, length)), $"round {round}, {length} bytes at {at}");
            }
            long capacity = native.Capacity;
            Assert.True(capacity >= native.Length);
            // Emptied for the next run: the allocation stays.
            native.SetLength(0);
            model.SetLength(0);
            Assert.Equal(0, native.Position);
            Assert.Equal(capacity, native.Capacity);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => native.Span(0, 1));
        native.Release();
        Assert.Equal(0, native.Capacity);
        native.WriteByte(7);
        Assert.Equal(7, native.Span(0, 1)[0]);
    }
}
