using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Vigil.Events;

public enum ValueKind : byte
{
    /// <summary>The field is present and holds null (JSON null, EVTX NullType). Not the same as absent.</summary>
    Null,
    String,
    Int64,
    UInt64,
    Double,
    Boolean,
    /// <summary>A point in time, UTC; stored as ticks.</summary>
    DateTime,
    Guid,
    /// <summary>A Windows security identifier in its binary form; formatted as S-1-5-… when asked.</summary>
    Sid,
    /// <summary>Raw bytes; formatted as upper-case hex when asked (as Windows shows them).</summary>
    Binary,
    /// <summary>A nested object or array kept as raw JSON text (JSON readers), reachable as text.</summary>
    RawJson,
}

/// <summary>
/// A typed field value that does not own its storage. Strings point into the reader's buffer
/// (UTF-16LE bytes of an EVTX chunk, or a pooled char buffer of a JSON reader) and become a
/// <see cref="string"/> only when <see cref="ToString"/> is called. A value is valid while the
/// <see cref="Event"/> that holds it is; copy it with <see cref="Detach"/> to keep it longer.
/// </summary>
[StructLayout(LayoutKind.Auto)]
public readonly struct FieldValue
{
    private readonly object? _data;   // string | char[] | byte[] (UTF-16LE text, or raw bytes for Guid/Sid/Binary)
    private readonly long _bits;      // integer, double bits, ticks, bool
    private readonly int _start;
    private readonly int _length;     // chars for text in char[]/string, bytes for byte[]
    public readonly ValueKind Kind;
    private readonly byte _flags;

    private const byte Utf16Bytes = 1;   // text held as UTF-16LE bytes in a byte[]
    private const byte HexFormat = 2;    // integer shown as 0x… (EVTX HexInt32/HexInt64)

    private FieldValue(ValueKind kind, object? data, int start, int length, long bits, byte flags)
    {
        Kind = kind; _data = data; _start = start; _length = length; _bits = bits; _flags = flags;
    }

    public static FieldValue Null => default;
    public static FieldValue FromString(string s) => new(ValueKind.String, s, 0, s.Length, 0, 0);
    public static FieldValue FromChars(char[] buffer, int start, int length) => new(ValueKind.String, buffer, start, length, 0, 0);
    /// <summary>Text stored as UTF-16LE in <paramref name="bytes"/>; <paramref name="byteLength"/> must be even.</summary>
    public static FieldValue FromUtf16(byte[] bytes, int start, int byteLength) => new(ValueKind.String, bytes, start, byteLength, 0, Utf16Bytes);
    public static FieldValue FromInt64(long v, bool hex = false) => new(ValueKind.Int64, null, 0, 0, v, hex ? HexFormat : (byte)0);
    public static FieldValue FromUInt64(ulong v, bool hex = false) => new(ValueKind.UInt64, null, 0, 0, unchecked((long)v), hex ? HexFormat : (byte)0);
    public static FieldValue FromDouble(double v) => new(ValueKind.Double, null, 0, 0, BitConverter.DoubleToInt64Bits(v), 0);
    public static FieldValue FromBoolean(bool v) => new(ValueKind.Boolean, null, 0, 0, v ? 1 : 0, 0);
    public static FieldValue FromDateTime(DateTime utc) => new(ValueKind.DateTime, null, 0, 0, utc.Ticks, 0);
    public static FieldValue FromGuidBytes(byte[] bytes, int start) => new(ValueKind.Guid, bytes, start, 16, 0, 0);
    public static FieldValue FromSidBytes(byte[] bytes, int start, int length) => new(ValueKind.Sid, bytes, start, length, 0, 0);
    public static FieldValue FromBinary(byte[] bytes, int start, int length) => new(ValueKind.Binary, bytes, start, length, 0, 0);
    public static FieldValue FromRawJson(string json) => new(ValueKind.RawJson, json, 0, json.Length, 0, 0);
    public static FieldValue FromRawJson(char[] buffer, int start, int length) => new(ValueKind.RawJson, buffer, start, length, 0, 0);
    /// <summary>Raw JSON text stored as UTF-16LE in <paramref name="bytes"/>; <paramref name="byteLength"/> must be even.</summary>
    public static FieldValue FromRawJsonUtf16(byte[] bytes, int start, int byteLength) => new(ValueKind.RawJson, bytes, start, byteLength, 0, Utf16Bytes);

    public bool IsNull => Kind == ValueKind.Null;
    public bool IsText => Kind is ValueKind.String or ValueKind.RawJson;
    public bool IsNumber => Kind is ValueKind.Int64 or ValueKind.UInt64 or ValueKind.Double;
    public bool IsHex => (_flags & HexFormat) != 0;

    /// <summary>The characters of a text value without copying. Empty for non-text kinds.</summary>
    public ReadOnlySpan<char> TextSpan
    {
        get
        {
            if (!IsText) return default;
            return _data switch
            {
                string s => s.AsSpan(_start, _length),
                char[] c => c.AsSpan(_start, _length),
                byte[] b => MemoryMarshal.Cast<byte, char>(b.AsSpan(_start, _length)),
                _ => default,
            };
        }
    }

    public long Int64 => _bits;
    public ulong UInt64 => unchecked((ulong)_bits);
    public double Double => BitConverter.Int64BitsToDouble(_bits);
    public bool Boolean => _bits != 0;
    public DateTime DateTime => new(_bits, DateTimeKind.Utc);
    public ReadOnlySpan<byte> RawBytes => _data is byte[] b && !IsText ? b.AsSpan(_start, _length) : default;

    /// <summary>The value as a number if it is one, or if it is text that parses as an integer or decimal.</summary>
    public bool TryGetDouble(out double value)
    {
        switch (Kind)
        {
            case ValueKind.Int64: value = _bits; return true;
            case ValueKind.UInt64: value = UInt64; return true;
            case ValueKind.Double: value = Double; return true;
            case ValueKind.String:
                var t = TextSpan;
                if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                {
                    if (ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h)) { value = h; return true; }
                }
                else if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
                break;
        }
        value = 0;
        return false;
    }

    /// <summary>Writes the textual form (as Windows and Sigma tools show it) into <paramref name="dest"/>.
    /// Returns false when it does not fit; use <see cref="ToString"/> then.</summary>
    public bool TryFormat(Span<char> dest, out int written)
    {
        written = 0;
        switch (Kind)
        {
            case ValueKind.Null: return true;
            case ValueKind.String:
            case ValueKind.RawJson:
                var t = TextSpan;
                if (t.Length > dest.Length) return false;
                t.CopyTo(dest); written = t.Length; return true;
            case ValueKind.Int64:
                if (IsHex) return TryHex(unchecked((ulong)_bits), dest, out written);
                return _bits.TryFormat(dest, out written, default, CultureInfo.InvariantCulture);
            case ValueKind.UInt64:
                if (IsHex) return TryHex(UInt64, dest, out written);
                return UInt64.TryFormat(dest, out written, default, CultureInfo.InvariantCulture);
            case ValueKind.Double:
                return Double.TryFormat(dest, out written, "R", CultureInfo.InvariantCulture);
            case ValueKind.Boolean:
                var b = Boolean ? "true" : "false";
                if (b.Length > dest.Length) return false;
                b.CopyTo(dest); written = b.Length; return true;
            case ValueKind.DateTime:
                return DateTime.TryFormat(dest, out written, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            case ValueKind.Guid:
                var g = new Guid(RawBytes);
                return g.TryFormat(dest, out written, "B") && ToUpperInPlace(dest[..written]);
            case ValueKind.Sid:
                return TryFormatSid(RawBytes, dest, out written);
            case ValueKind.Binary:
                return Convert.TryToHexString(RawBytes, dest, out written);
            default:
                var s = ToString();
                if (s.Length > dest.Length) return false;
                s.CopyTo(dest); written = s.Length; return true;
        }
    }

    /// <summary><see cref="FormatSid"/> into <paramref name="dest"/>, without allocating (the matcher and the JSON writer
    /// format every SID they meet; FormatSid is this into a buffer); false when it does not fit.</summary>
    public static bool TryFormatSid(ReadOnlySpan<byte> sid, Span<char> dest, out int written)
    {
        written = 0;
        if (sid.Length < 8 || sid.Length < 8 + 4 * sid[1]) return Convert.TryToHexString(sid, dest, out written);
        ulong authority = 0;
        for (int i = 2; i < 8; i++) authority = (authority << 8) | sid[i];
        int n = 0;
        if (!Put("S-", dest, ref n) || !sid[0].TryFormat(dest[n..], out int w, default, CultureInfo.InvariantCulture)) return false;
        n += w;
        if (!Put("-", dest, ref n) || !authority.TryFormat(dest[n..], out w, default, CultureInfo.InvariantCulture)) return false;
        n += w;
        for (int i = 0; i < sid[1]; i++)
        {
            if (!Put("-", dest, ref n)) return false;
            if (!BinaryPrimitives.ReadUInt32LittleEndian(sid.Slice(8 + 4 * i, 4)).TryFormat(dest[n..], out w, default, CultureInfo.InvariantCulture)) return false;
            n += w;
        }
        written = n;
        return true;

        static bool Put(string text, Span<char> dest, ref int n)
        {
            if (!text.AsSpan().TryCopyTo(dest[n..])) return false;
            n += text.Length;
            return true;
        }
    }

    private static bool ToUpperInPlace(Span<char> s)
    {
        for (int i = 0; i < s.Length; i++) s[i] = char.ToUpperInvariant(s[i]);
        return true;
    }

    private static bool TryHex(ulong v, Span<char> dest, out int written)
    {
        written = 0;
        if (dest.Length < 3) return false;
        dest[0] = '0'; dest[1] = 'x';
        if (!v.TryFormat(dest[2..], out int w, "x", CultureInfo.InvariantCulture)) return false;
        written = w + 2;
        return true;
    }

    public override string ToString()
    {
        switch (Kind)
        {
            case ValueKind.String:
            case ValueKind.RawJson:
                return _data is string s && _start == 0 && _length == s.Length ? s : new string(TextSpan);
            case ValueKind.Sid:
                return FormatSid(RawBytes);
            case ValueKind.Binary:
                return Convert.ToHexString(RawBytes);
            case ValueKind.Null:
                return "";
            default:
                Span<char> buf = stackalloc char[64];
                return TryFormat(buf, out int n) ? new string(buf[..n]) : "";
        }
    }

    /// <summary>A copy that owns its storage, valid after the reader's buffers are reused.</summary>
    public FieldValue Detach() => _data switch
    {
        null => this,
        string => this,
        // Raw JSON stays raw JSON: as a plain string a copied container was written out as a quoted string.
        _ when Kind == ValueKind.RawJson => FromRawJson(ToString()),
        _ when IsText => FromString(ToString()),
        byte[] b => new FieldValue(Kind, b.AsSpan(_start, _length).ToArray(), 0, _length, _bits, _flags),
        _ => this,
    };

    /// <summary>Formats a binary SID (revision, sub-authority count, 48-bit authority, sub-authorities) as S-R-A-S1-….
    /// Malformed input is shown as hex rather than thrown.</summary>
    public static string FormatSid(ReadOnlySpan<byte> sid)
    {
        // Room for the longest text: hex of every byte, or "S-255-" + a 48-bit authority (15 digits) and 11 chars per
        // sub-authority.
        int most = Math.Max(2 * sid.Length, sid.Length >= 2 ? 21 + 11 * sid[1] : 0);
        Span<char> buf = most <= 512 ? stackalloc char[512] : new char[most];
        if (!TryFormatSid(sid, buf, out int n)) throw new InvalidOperationException("SID text longer than its bound");
        return new string(buf[..n]);
    }

    /// <summary>Writes the value as JSON: numbers stay numbers, hex integers and everything else become strings.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        switch (Kind)
        {
            case ValueKind.Null: w.WriteNullValue(); break;
            case ValueKind.Int64 when !IsHex: w.WriteNumberValue(_bits); break;
            case ValueKind.UInt64 when !IsHex: w.WriteNumberValue(UInt64); break;
            case ValueKind.Double:
                if (double.IsFinite(Double)) w.WriteNumberValue(Double); else w.WriteStringValue(ToString());
                break;
            case ValueKind.Boolean: w.WriteBooleanValue(Boolean); break;
            case ValueKind.String: w.WriteStringValue(TextSpan); break;
            case ValueKind.RawJson: w.WriteRawValue(TextSpan, skipInputValidation: true); break;
            default:
                Span<char> buf = stackalloc char[64];
                if (TryFormat(buf, out int n)) w.WriteStringValue(buf[..n]); else w.WriteStringValue(ToString());
                break;
        }
    }
}
