using Vigil.Events;

namespace Vigil.Tests.Events;

/// <summary>TryFormat (what the matcher and the JSON writer use, no allocation) must give exactly ToString's text for
/// SIDs and binary values, well-formed or not, and refuse a buffer that is too small rather than cut the text.</summary>
public class FieldValueFormatTests
{
    public static IEnumerable<object[]> Sids()
    {
        yield return [new byte[] { 1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x25, 0x9C, 0x55, 0x86, 0x44, 0x1C, 0x2A, 0x7A, 0xEB, 0x7D, 0x3B, 0x0C, 0x57, 0x04, 0, 0 }];
        yield return [new byte[] { 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0 }];             // S-1-5-18
        yield return [new byte[] { 1, 0, 0, 0, 0, 0, 0, 0 }];                          // no sub-authority
        yield return [new byte[] { 1, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4 }];  // 48-bit authority
        yield return [new byte[] { 1, 3, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0 }];             // count larger than the bytes: hex
        yield return [new byte[] { 1, 2, 3 }];                                         // too short: hex
        yield return [Array.Empty<byte>()];
    }

    [Theory]
    [MemberData(nameof(Sids))]
    public void A_sid_formats_the_same_into_a_span_as_into_a_string(byte[] sid)
    {
        var v = FieldValue.FromSidBytes(sid, 0, sid.Length);
        string expected = v.ToString();
        Assert.Equal(Reference(sid), expected);
        Assert.Equal(FieldValue.FormatSid(sid), expected);
        Span<char> buf = stackalloc char[256];
        Assert.True(v.TryFormat(buf, out int n));
        Assert.Equal(expected, buf[..n].ToString());
        if (expected.Length > 0) Assert.False(v.TryFormat(buf[..(expected.Length - 1)], out _));

        var bin = FieldValue.FromBinary(sid, 0, sid.Length);
        Assert.True(bin.TryFormat(buf, out n));
        Assert.Equal(bin.ToString(), buf[..n].ToString());
    }

    [Fact]
    public void Random_sids_format_the_same_either_way()
    {
        var rng = new Random(7);
        Span<char> buf = stackalloc char[4096];
        for (int i = 0; i < 2000; i++)
        {
            var sid = new byte[rng.Next(0, 80)];
            rng.NextBytes(sid);
            if (sid.Length > 1 && rng.Next(2) == 0) sid[1] = (byte)((sid.Length - 8) / 4 > 0 ? rng.Next(0, (sid.Length - 8) / 4 + 1) : 0);
            var v = FieldValue.FromSidBytes(sid, 0, sid.Length);
            Assert.True(v.TryFormat(buf, out int n));
            Assert.Equal(v.ToString(), buf[..n].ToString());
            Assert.Equal(Reference(sid), v.ToString());
        }
    }

    [Fact]
    public void Known_sids_read_as_windows_writes_them()
    {
        Assert.Equal("S-1-5-18", FieldValue.FormatSid([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]));
        Assert.Equal("S-1-5-21-2253742117-2054739524-205962475-1111", FieldValue.FormatSid(
            [1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0x25, 0x60, 0x55, 0x86, 0x44, 0xD6, 0x78, 0x7A, 0xEB, 0xBC, 0x46, 0x0C, 0x57, 0x04, 0, 0]));
        var many = new byte[8 + 4 * 200];   // more sub-authorities than the stack buffer holds
        many[0] = 1; many[1] = 200;
        Assert.Equal("S-1-0" + string.Concat(Enumerable.Repeat("-0", 200)), FieldValue.FormatSid(many));
    }

    /// <summary>The SID text as the first version made it (StringBuilder), the reference for the span formatting.</summary>
    private static string Reference(byte[] sid)
    {
        if (sid.Length < 8 || sid.Length < 8 + 4 * sid[1]) return Convert.ToHexString(sid);
        ulong authority = 0;
        for (int i = 2; i < 8; i++) authority = (authority << 8) | sid[i];
        var sb = new System.Text.StringBuilder();
        sb.Append("S-").Append(sid[0]).Append('-').Append(authority);
        for (int i = 0; i < sid[1]; i++) sb.Append('-').Append(BitConverter.ToUInt32(sid, 8 + 4 * i));
        return sb.ToString();
    }
}
