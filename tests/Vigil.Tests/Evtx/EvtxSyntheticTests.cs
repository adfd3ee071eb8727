using System.Buffers.Binary;
using System.Text;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;

namespace Vigil.Tests.Evtx;

/// <summary>
/// A hand-built EVTX file exercising Binary XML tokens and value types the sample recordings do not use
/// (int8, real32, SYSTEMTIME, size_t, int arrays, bool, CDATA, character and entity references, PI,
/// a substituted Data Name, an optional NULL, a nested fragment without dependency ids).
/// </summary>
public sealed class EvtxSyntheticTests : IDisposable
{
    private readonly string _dir = EvtxTestSupport.TempDir();
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    /// <summary>Writes chunk bytes; positions are chunk offsets (inline names must point at themselves).</summary>
    private sealed class ChunkWriter
    {
        public readonly List<byte> B = [];
        public int Pos => B.Count;
        public void U8(int v) => B.Add((byte)v);
        public void U16(int v) { U8(v & 0xff); U8((v >> 8) & 0xff); }
        public void U32(uint v) { for (int i = 0; i < 4; i++) U8((int)(v >> (8 * i)) & 0xff); }
        public void U64(ulong v) { for (int i = 0; i < 8; i++) U8((int)(v >> (8 * i)) & 0xff); }
        public void Chars(string s) { foreach (char c in s) U16(c); }
        public void Name(string s) { U32((uint)(Pos + 4)); U32(0); U16(0); U16(s.Length); Chars(s); U16(0); }
        public void Open(string name, bool attrs, bool dependency = true)
        {
            U8(attrs ? 0x41 : 0x01);
            if (dependency) U16(0xffff);
            U32(0); // data size (not used by readers)
            Name(name);
            if (attrs) U32(0); // attribute list size (not used)
        }
        public void Attr(string name, bool more = false) { U8(more ? 0x46 : 0x06); Name(name); }
        public void Text(string s, bool more = false) { U8(more ? 0x45 : 0x05); U8(0x01); U16(s.Length); Chars(s); }
        public void Subst(int index, int type, bool optional = false) { U8(optional ? 0x0e : 0x0d); U16(index); U8(type); }
        public void DataNamed(string name, Action content)
        {
            Open("Data", attrs: true); Attr("Name"); Text(name); U8(0x02); content(); U8(0x04);
        }
    }

    internal static byte[] BuildFile()
    {
        var w = new ChunkWriter();
        w.B.AddRange(new byte[512]); // chunk header, filled in below
        int record = w.Pos;
        w.U32(0x00002a2a); w.U32(0); w.U64(1); w.U64(0x01d6f93f4a9c5a00);
        w.U8(0x0f); w.U8(1); w.U8(1); w.U8(0);               // fragment header
        w.U8(0x0c); w.U8(1); w.U32(0x11223344);                // template instance
        w.U32((uint)(w.Pos + 4));                               // definition follows inline
        int def = w.Pos;
        w.U32(0); w.U32(0x11223344); w.U32(0xaabb); w.U64(0x0102030405060708); w.U32(0); // next, GUID, size (patched)
        int bodyStart = w.Pos;
        w.U8(0x0f); w.U8(1); w.U8(1); w.U8(0);
        w.Open("Event", attrs: false); w.U8(0x02);
          w.Open("System", attrs: false); w.U8(0x02);
            w.Open("EventID", attrs: true); w.Attr("Qualifiers"); w.Text("16384"); w.U8(0x02); w.Subst(0, 0x06); w.U8(0x04);
            w.Open("TimeCreated", attrs: true); w.Attr("SystemTime"); w.Subst(1, 0x11, optional: true); w.U8(0x03);
            w.Open("Keywords", attrs: false); w.U8(0x02); w.Subst(2, 0x15); w.U8(0x04);
          w.U8(0x04);
          w.Open("EventData", attrs: false); w.U8(0x02);
            w.DataNamed("Int8", () => w.Subst(3, 0x03));
            w.DataNamed("Real32", () => w.Subst(4, 0x0b));
            w.DataNamed("SysTime", () => w.Subst(5, 0x12));
            w.DataNamed("SizeT", () => w.Subst(6, 0x10));
            w.DataNamed("Ints", () => w.Subst(7, 0x87));
            w.DataNamed("Mixed", () =>
            {
                w.Text("a", more: true);
                w.U8(0x48); w.U16('&');                         // character reference
                w.U8(0x49); w.Name("lt");                       // entity reference
                w.U8(0x47); w.U16(2); w.Chars("cd");            // CDATA
                w.Subst(8, 0x01);
            });
            w.Open("Data", attrs: true); w.Attr("Name"); w.Subst(9, 0x01); w.U8(0x02); w.Subst(10, 0x01); w.U8(0x04);
            w.Open("Data", attrs: false); w.U8(0x02); w.Subst(11, 0x01, optional: true); w.U8(0x04);
            w.DataNamed("Bool", () => w.Subst(12, 0x0d));
            w.U8(0x0a); w.Name("pi"); w.U8(0x0b); w.U16(1); w.Chars("x"); // processing instruction
            w.Subst(13, 0x21);                                  // nested Binary XML in EventData
          w.U8(0x04);
        w.U8(0x04);
        w.U8(0x00);
        int bodySize = w.Pos - bodyStart;
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(w.B).Slice(def + 20, 4), (uint)bodySize);

        // Substitution values.
        var values = new List<(int Type, byte[] Bytes)>
        {
            (0x06, BitConverter.GetBytes((ushort)4624)),
            (0x11, BitConverter.GetBytes(new DateTime(2021, 2, 3, 4, 5, 6, DateTimeKind.Utc).ToFileTimeUtc())),
            (0x15, BitConverter.GetBytes(0x8020000000000000UL)),
            (0x03, [unchecked((byte)-5)]),
            (0x0b, BitConverter.GetBytes(1.5f)),
            (0x12, SystemTime(2021, 2, 3, 4, 5, 6, 789)),
            (0x10, BitConverter.GetBytes(0x1234UL)),
            (0x87, [.. BitConverter.GetBytes(1), .. BitConverter.GetBytes(2), .. BitConverter.GetBytes(-3)]),
            (0x01, Encoding.Unicode.GetBytes("XYZ")),
            (0x01, Encoding.Unicode.GetBytes("DynName\0")),
            (0x01, Encoding.Unicode.GetBytes("dynval")),
            (0x00, []),
            (0x0d, BitConverter.GetBytes(1)),
            (0x21, []), // nested fragment, written below (its inline names need their final offsets)
        };
        w.U32((uint)values.Count);
        int descriptors = w.Pos;
        foreach (var v in values) { w.U16(v.Bytes.Length); w.U8(v.Type); w.U8(0); }
        for (int i = 0; i < values.Count - 1; i++) w.B.AddRange(values[i].Bytes);
        int nestedStart = w.Pos;
        w.U8(0x0f); w.U8(1); w.U8(1); w.U8(0);
        w.Open("Data", attrs: true, dependency: false); w.Attr("Name"); w.Text("Inner"); w.U8(0x02); w.Text("innerval"); w.U8(0x04);
        w.U8(0x00);
        int nestedSize = w.Pos - nestedStart;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(w.B);
        BinaryPrimitives.WriteUInt16LittleEndian(span.Slice(descriptors + 4 * (values.Count - 1), 2), (ushort)nestedSize);
        w.U32(0); // size copy, patched
        int recordSize = w.Pos - record;
        span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(w.B);
        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(record + 4, 4), (uint)recordSize);
        BinaryPrimitives.WriteUInt32LittleEndian(span.Slice(record + recordSize - 4, 4), (uint)recordSize);
        int free = w.Pos;

        var chunk = new byte[EvtxFormat.ChunkSize];
        w.B.CopyTo(chunk);
        "ElfChnk\0"u8.CopyTo(chunk);
        BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(24), 1);
        BinaryPrimitives.WriteUInt64LittleEndian(chunk.AsSpan(32), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(40), 128);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(44), (uint)record);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(48), (uint)free);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(52), System.IO.Hashing.Crc32.HashToUInt32(chunk.AsSpan(512, free - 512)));
        byte[] headerBytes = [.. chunk.AsSpan(0, 120), .. chunk.AsSpan(128, 384)];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(124), System.IO.Hashing.Crc32.HashToUInt32(headerBytes));

        var file = new byte[EvtxFormat.FileHeaderSize];
        "ElfFile\0"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(24), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(32), 128);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(36), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(38), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(40), 4096);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(42), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(124), System.IO.Hashing.Crc32.HashToUInt32(file.AsSpan(0, 120)));
        return [.. file, .. chunk];
    }

    private static byte[] SystemTime(int y, int mo, int d, int h, int mi, int s, int ms)
    {
        var b = new byte[16];
        int[] parts = [y, mo, 3, d, h, mi, s, ms];
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), (ushort)parts[i]);
        return b;
    }

    [Fact]
    public void EveryTokenAndValueTypeDecodes()
    {
        string path = Path.Combine(_dir, "synthetic.evtx");
        File.WriteAllBytes(path, BuildFile());
        var (records, diag) = EvtxTestSupport.ReadAll(path);
        Assert.Empty(diag.Errors.Select(e => e.ToString()));
        var r = Assert.Single(records);

        Assert.Equal("4624", r.Get("EventID"));
        Assert.Equal("16384", r.Get("EventID_Qualifiers"));
        Assert.Equal("2021-02-03T04:05:06.0000000Z", r.Get("TimeCreated"));
        Assert.Equal(ValueKind.DateTime, r.Kinds["TimeCreated"]);
        Assert.Equal("0x8020000000000000", r.Get("Keywords"));
        Assert.Equal("-5", r.Get("Int8"));
        Assert.Equal("1.5", r.Get("Real32"));
        Assert.Equal("2021-02-03T04:05:06.7890000Z", r.Get("SysTime"));
        Assert.Equal("0x1234", r.Get("SizeT"));
        Assert.Equal(["1", "2", "-3"], r.Fields["Ints"]);
        Assert.Equal("a&<cdXYZ", r.Get("Mixed"));
        Assert.Equal("dynval", r.Get("DynName"));
        Assert.Equal(ValueKind.Null, r.Kinds["Data[1]"]); // optional NULL Data item keeps its place
        Assert.Equal("true", r.Get("Bool"));
        Assert.Equal("innerval", r.Get("Inner"));
        Assert.Equal("1", r.Get("EventRecordID")); // from the record header when System has none
        Assert.Equal(EvtxFormat.FileHeaderSize + 512, r.Offset);
    }

    [Fact]
    public void TimestampComesFromTimeCreated()
    {
        string path = Path.Combine(_dir, "synthetic.evtx");
        File.WriteAllBytes(path, BuildFile());
        var diag = new DiagnosticsCollector();
        var ev = new Event();
        long ticks = 0;
        string format = "";
        foreach (var p in new EvtxFormat().Partition(path, diag)) p.Read(ev, e => { ticks = e.TimestampTicks; format = e.Format; }, diag);
        Assert.Equal(new DateTime(2021, 2, 3, 4, 5, 6, DateTimeKind.Utc).Ticks, ticks);
        Assert.Equal("evtx", format);
    }
}
