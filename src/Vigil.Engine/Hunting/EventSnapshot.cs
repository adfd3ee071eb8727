using System.Buffers.Binary;
using System.Collections;
using System.Runtime.InteropServices;
using Vigil.Events;

namespace Vigil.Engine.Hunting;

/// <summary>
/// A detection's copy of its event's fields, in one byte array. The reader reuses the event's buffers, so a detection
/// must copy what it keeps; the detections of one event (they arrive one after another) share one snapshot. One array
/// per event instead of a string per value: the detection spool writes and reads it as one block, and the JSON writer
/// walks it without building strings (<see cref="Decode"/>). As a list of <see cref="EventField"/> it decodes itself
/// once, on first use: names are the interned spellings (<see cref="FieldNames"/>), values point into the array.
/// <para>Layout, per field in event order: <c>id:i32, kind:u8, hex:u8</c>, then the payload: text (String, RawJson)
/// and bytes (Guid, Sid, Binary) as <c>byteLength:i32</c> and the bytes (text as UTF-16LE); Int64, UInt64, Double and
/// DateTime 8 bytes; Boolean 1 byte; Null nothing. A field whose name the table does not list
/// (<see cref="FieldNames.Unlisted"/>) has its spelling between the header and the payload, as <c>byteLength:i32</c>
/// and UTF-16LE. Each field is padded to an even length so text stays char-aligned.
/// Field ids are this process's (<see cref="FieldNames"/>): a snapshot never leaves the process that made it.</para>
/// </summary>
public sealed class EventSnapshot : IReadOnlyList<EventField>
{
    private const int Header = 6;   // id:i32, kind:u8, hex:u8
    private readonly byte[] _data;
    private EventField[]? _fields;

    private EventSnapshot(byte[] data, int count) { _data = data; Count = count; }

    /// <summary>Fields in the snapshot.</summary>
    public int Count { get; }

    /// <summary>The encoded fields (layout in the class summary), for the spool.</summary>
    public ReadOnlySpan<byte> Data => _data;

    /// <summary>Copies every field of <paramref name="e"/> (one allocation: the array, sized exactly).</summary>
    public static EventSnapshot Capture(Event e)
    {
        int n = e.Count, size = 0;
        for (int i = 0; i < n; i++)
            size += EncodedSize(in e.ValueAt(i)) + (e.IsUnlisted(i) ? 4 + 2 * e.DeclaredName(i).TextSpan.Length : 0);
        var data = new byte[size];
        var span = data.AsSpan();
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            ref readonly var v = ref e.ValueAt(i);
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], e.IdAt(i));
            span[at + 4] = (byte)v.Kind;
            span[at + 5] = v.IsHex ? (byte)1 : (byte)0;
            int p = at + Header;
            if (e.IsUnlisted(i)) p = Block(span, p, MemoryMarshal.AsBytes(e.DeclaredName(i).TextSpan));
            switch (v.Kind)
            {
                case ValueKind.Null: break;
                case ValueKind.String: case ValueKind.RawJson: p = Block(span, p, MemoryMarshal.AsBytes(v.TextSpan)); break;
                case ValueKind.Guid: case ValueKind.Sid: case ValueKind.Binary: p = Block(span, p, v.RawBytes); break;
                case ValueKind.Boolean: span[p++] = v.Boolean ? (byte)1 : (byte)0; break;
                case ValueKind.Double: BinaryPrimitives.WriteInt64LittleEndian(span[p..], BitConverter.DoubleToInt64Bits(v.Double)); p += 8; break;
                case ValueKind.DateTime: BinaryPrimitives.WriteInt64LittleEndian(span[p..], v.DateTime.Ticks); p += 8; break;
                case ValueKind.Int64: case ValueKind.UInt64: BinaryPrimitives.WriteInt64LittleEndian(span[p..], v.Int64); p += 8; break;
                default: throw new InvalidOperationException($"snapshot: value kind {v.Kind} has no encoding");
            }
            at = (p + 1) & ~1;
        }
        return new EventSnapshot(data, n);
    }

    private static int EncodedSize(in FieldValue v)
    {
        int payload = v.Kind switch
        {
            ValueKind.Null => 0,
            ValueKind.String or ValueKind.RawJson => 4 + 2 * v.TextSpan.Length,
            ValueKind.Guid or ValueKind.Sid or ValueKind.Binary => 4 + v.RawBytes.Length,
            ValueKind.Boolean => 1,
            _ => 8,
        };
        return (Header + payload + 1) & ~1;
    }

    private static int Block(Span<byte> span, int p, ReadOnlySpan<byte> bytes)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span[p..], bytes.Length);
        bytes.CopyTo(span[(p + 4)..]);
        return p + 4 + bytes.Length;
    }

    /// <summary>A snapshot read back (from a spool run). The whole layout is checked first, so a damaged block is an
    /// <see cref="InvalidDataException"/> naming the byte in the block, never an out-of-range read later.</summary>
    public static EventSnapshot FromData(byte[] data, int count)
    {
        int at = 0, names = FieldNames.Count;
        for (int i = 0; i < count; i++)
        {
            if (data.Length - at < Header) throw Bad(at, "field header past the end");
            int id = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            if ((uint)id >= (uint)names) throw Bad(at, $"field id {id} is unknown");
            var kind = (ValueKind)data[at + 4];
            int p = at + Header, need;
            if (id == FieldNames.Unlisted)
            {
                if (data.Length - p < 4) throw Bad(p, "name length past the end");
                int nameLength = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(p));
                if (nameLength < 0 || (nameLength & 1) != 0) throw Bad(p, $"name length {nameLength} is invalid");
                p += 4;
                if (data.Length - p < nameLength) throw Bad(p, "name past the end");
                p += nameLength;
            }
            switch (kind)
            {
                case ValueKind.Null: need = 0; break;
                case ValueKind.String: case ValueKind.RawJson: case ValueKind.Guid: case ValueKind.Sid: case ValueKind.Binary:
                    if (data.Length - p < 4) throw Bad(p, "length past the end");
                    int len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(p));
                    if (len < 0 || (kind is ValueKind.String or ValueKind.RawJson && (len & 1) != 0)
                        || (kind == ValueKind.Guid && len != 16)) throw Bad(p, $"{kind} length {len} is invalid");
                    p += 4; need = len; break;
                case ValueKind.Boolean: need = 1; break;
                case ValueKind.Int64: case ValueKind.UInt64: case ValueKind.Double: case ValueKind.DateTime: need = 8; break;
                default: throw Bad(at + 4, $"unknown value kind {(byte)kind}");
            }
            if (data.Length - p < need) throw Bad(p, "value past the end");
            at = (p + need + 1) & ~1;
        }
        if (at != data.Length) throw Bad(at, "the fields do not end where the block does");
        return new EventSnapshot(data, count);
    }

    private static InvalidDataException Bad(int at, string msg) => new($"event snapshot, byte {at}: {msg}");

    /// <summary>Field ids and values in event order into the caller's arrays (at least <see cref="Count"/> long); the
    /// values point into this snapshot. For a field whose id is <see cref="FieldNames.Unlisted"/>,
    /// <paramref name="names"/> receives its spelling (text pointing into the snapshot); other entries are left as they
    /// were. No allocation.</summary>
    public void Decode(Span<int> ids, Span<FieldValue> values, Span<FieldValue> names)
    {
        var data = _data;
        int at = 0;
        for (int i = 0; i < Count; i++)
        {
            ids[i] = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at));
            var kind = (ValueKind)data[at + 4];
            bool hex = data[at + 5] != 0;
            int p = at + Header;
            if (ids[i] == FieldNames.Unlisted)
            {
                int nameLength = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(p));
                names[i] = FieldValue.FromUtf16(data, p + 4, nameLength);
                p += 4 + nameLength;
            }
            FieldValue v;
            switch (kind)
            {
                case ValueKind.String: case ValueKind.RawJson: case ValueKind.Guid: case ValueKind.Sid: case ValueKind.Binary:
                    int len = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(p));
                    p += 4;
                    v = kind switch
                    {
                        ValueKind.String => FieldValue.FromUtf16(data, p, len),
                        ValueKind.RawJson => FieldValue.FromRawJsonUtf16(data, p, len),
                        ValueKind.Guid => FieldValue.FromGuidBytes(data, p),
                        ValueKind.Sid => FieldValue.FromSidBytes(data, p, len),
                        _ => FieldValue.FromBinary(data, p, len),
                    };
                    p += len;
                    break;
                case ValueKind.Boolean: v = FieldValue.FromBoolean(data[p] != 0); p += 1; break;
                case ValueKind.Null: v = FieldValue.Null; break;
                default:
                    long bits = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(p));
                    p += 8;
                    v = kind switch
                    {
                        ValueKind.Int64 => FieldValue.FromInt64(bits, hex),
                        ValueKind.UInt64 => FieldValue.FromUInt64(unchecked((ulong)bits), hex),
                        ValueKind.Double => FieldValue.FromDouble(BitConverter.Int64BitsToDouble(bits)),
                        _ => FieldValue.FromDateTime(new DateTime(bits, DateTimeKind.Utc)),
                    };
                    break;
            }
            values[i] = v;
            at = (p + 1) & ~1;
        }
    }

    private EventField[] Fields
    {
        get
        {
            if (_fields is { } f) return f;
            var ids = new int[Count];
            var values = new FieldValue[Count];
            var names = new FieldValue[Count];
            Decode(ids, values, names);
            var fields = new EventField[Count];
            for (int i = 0; i < fields.Length; i++)
                fields[i] = new EventField(FieldNames.Name(ids[i], names[i]), values[i]);
            // Detections of one event may be formatted on different threads: both decode the same fields, either wins.
            Interlocked.CompareExchange(ref _fields, fields, null);
            return _fields!;
        }
    }

    public EventField this[int index] => Fields[index];

    public IEnumerator<EventField> GetEnumerator() => ((IEnumerable<EventField>)Fields).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
