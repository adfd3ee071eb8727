using System.Globalization;
using System.Net;
using Vigil.Events;
using Vigil.Rules.Compilation;

namespace Vigil.Rules.Evaluation;

/// <summary>
/// Evaluates compiled detection trees against an <see cref="Event"/>. The hot path does not allocate for
/// text fields: strings are compared as spans straight from the reader's buffers; numbers, booleans,
/// dates and GUIDs are formatted into a stack buffer when a text comparison is needed.
/// (SIDs and binary values are formatted via ToString, which allocates; they are rarely matched.)
/// </summary>
internal static class Evaluator
{
    private const int BufferSize = 128;

    public static bool Eval(Node n, Event e)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
                foreach (var c in n.Children) if (!Eval(c, e)) return false;
                return true;
            case NodeKind.Or:
                foreach (var c in n.Children) if (Eval(c, e)) return true;
                return false;
            case NodeKind.Not:
                return !Eval(n.Children[0], e);
            case NodeKind.Field:
                return EvalField(n.Test!, e);
            case NodeKind.Keyword:
                return EvalKeyword(n.Test!, e);
            case NodeKind.True:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Field semantics: the test holds when some value of the field matches (a field may repeat).
    /// Absent field: false, except for Sigma <c>null</c> which means "absent, null or empty".
    /// <c>neq</c>: the field is present and no value matches. <c>all</c>: every rule value is matched by some field value.
    /// </summary>
    private static bool EvalField(FieldTest t, Event e)
    {
        int fieldId = t.FieldId;
        // first..last: where the field's values are (a field may repeat); the loops below look no further.
        int first = e.IndexOf(fieldId, out int last);
        if (first < 0 && t.AltFieldIds is { } alts)
        {
            // The first present of the field's other names (fieldmaps.yml), e.g. winlog.event_data.CommandLine.
            foreach (int alt in alts)
            {
                first = e.IndexOf(alt, out last);
                if (first >= 0) { fieldId = alt; break; }
            }
        }
        if (t.Kind == TestKind.Exists) return (first >= 0) == t.ExistsExpected;
        if (first < 0)
        {
            if (t.Part != TimePart.None && t.TimestampFallback && e.TimestampTicks != 0)
                return MatchTimestamp(t, e);
            return !t.Negate && t.AbsentMatches;
        }

        Span<char> buf = stackalloc char[BufferSize];
        bool matched;
        if (!t.All)
        {
            matched = false;
            for (int i = first; i <= last && !matched; i++)
            {
                if (e.KeyAt(i) != fieldId) continue;
                ref readonly var v = ref e.ValueAt(i);
                if (t.ExactSet is { } set && set.Contains(TextOf(v, buf))) { matched = true; break; }
                foreach (var g in t.Groups)
                    if (MatchGroup(g, t, v, e, buf)) { matched = true; break; }
            }
        }
        else
        {
            matched = true;
            foreach (var g in t.Groups)
            {
                bool any = false;
                for (int i = first; i <= last && !any; i++)
                {
                    if (e.KeyAt(i) != fieldId) continue;
                    any = MatchGroup(g, t, e.ValueAt(i), e, buf);
                }
                if (!any) { matched = false; break; }
            }
        }
        return matched != t.Negate;
    }

    /// <summary>Keyword searches look at the text of every field of the event.</summary>
    private static bool EvalKeyword(FieldTest t, Event e)
    {
        Span<char> buf = stackalloc char[BufferSize];
        int count = e.Count;
        if (!t.All)
        {
            for (int i = 0; i < count; i++)
            {
                ref readonly var v = ref e.ValueAt(i);
                foreach (var g in t.Groups)
                    if (MatchGroup(g, t, v, e, buf)) return true;
            }
            return false;
        }
        foreach (var g in t.Groups)
        {
            bool any = false;
            for (int i = 0; i < count && !any; i++) any = MatchGroup(g, t, e.ValueAt(i), e, buf);
            if (!any) return false;
        }
        return true;
    }

    private static bool MatchGroup(Needle[] group, FieldTest t, in FieldValue v, Event e, Span<char> buf)
    {
        if (t.Part != TimePart.None)
        {
            if (!TryTimePart(v, t.Part, out double part)) return false;
            foreach (var nd in group) if (CompareNumber(nd, part)) return true;
            return false;
        }
        ReadOnlySpan<char> text = default;
        bool haveText = false;
        foreach (var nd in group)
        {
            switch (nd.Kind)
            {
                case NeedleKind.Null:
                    if (v.IsNull || (v.IsText && v.TextSpan.IsEmpty)) return true;
                    continue;
                case NeedleKind.Lt:
                case NeedleKind.Lte:
                case NeedleKind.Gt:
                case NeedleKind.Gte:
                    if (v.TryGetDouble(out double d) && CompareNumber(nd, d)) return true;
                    continue;
                case NeedleKind.Equals when nd.HasNumber && v.IsNumber:
                    if (v.TryGetDouble(out double dn) && dn == nd.Number) return true;
                    continue;
            }
            if (!haveText) { text = TextOf(v, buf); haveText = true; }
            if (MatchText(nd, text, e)) return true;
        }
        return false;
    }

    private static ReadOnlySpan<char> TextOf(scoped in FieldValue v, Span<char> buf)
    {
        if (v.IsText) return v.TextSpan;
        if (v.TryFormat(buf, out int n)) return buf[..n];
        return v.ToString();
    }

    private static bool MatchText(Needle nd, ReadOnlySpan<char> text, Event e)
    {
        switch (nd.Kind)
        {
            case NeedleKind.Equals: return text.Equals(nd.Text, nd.Comparison);
            case NeedleKind.StartsWith: return text.StartsWith(nd.Text, nd.Comparison);
            case NeedleKind.EndsWith: return text.EndsWith(nd.Text, nd.Comparison);
            case NeedleKind.Contains: return text.Contains(nd.Text, nd.Comparison);
            case NeedleKind.Wildcard: return Wildcard.Match(text, nd.Pattern!, nd.Comparison);
            case NeedleKind.Regex: return nd.Regex!.IsMatch(text);
            case NeedleKind.Cidr: return InNetwork(text, nd);
            case NeedleKind.RefEquals:
            case NeedleKind.RefStartsWith:
            case NeedleKind.RefEndsWith:
            case NeedleKind.RefContains:
                return MatchRef(nd, text, e);
            default: return false;
        }
    }

    /// <summary>fieldref: compare with the first value of another field of the same event; absent → no match.</summary>
    private static bool MatchRef(Needle nd, ReadOnlySpan<char> text, Event e)
    {
        if (!e.TryGet(nd.RefFieldId, out var other)) return false;
        Span<char> buf2 = stackalloc char[BufferSize];
        var o = TextOf(other, buf2);
        return nd.Kind switch
        {
            NeedleKind.RefEquals => text.Equals(o, nd.Comparison),
            NeedleKind.RefStartsWith => text.StartsWith(o, nd.Comparison),
            NeedleKind.RefEndsWith => text.EndsWith(o, nd.Comparison),
            _ => text.Contains(o, nd.Comparison),
        };
    }

    private static bool CompareNumber(Needle nd, double value) => nd.Kind switch
    {
        NeedleKind.Lt => value < nd.Number,
        NeedleKind.Lte => value <= nd.Number,
        NeedleKind.Gt => value > nd.Number,
        NeedleKind.Gte => value >= nd.Number,
        NeedleKind.Equals => value == nd.Number,
        _ => false,
    };

    private static bool MatchTimestamp(FieldTest t, Event e)
    {
        var v = FieldValue.FromDateTime(new DateTime(e.TimestampTicks, DateTimeKind.Utc));
        if (!TryTimePart(v, t.Part, out double part)) return false;
        bool matched = t.All;
        foreach (var g in t.Groups)
        {
            bool any = false;
            foreach (var nd in g) if (CompareNumber(nd, part)) { any = true; break; }
            if (t.All) { if (!any) { matched = false; break; } }
            else if (any) { matched = true; break; }
        }
        return matched != t.Negate;
    }

    private static bool TryTimePart(in FieldValue v, TimePart part, out double result)
    {
        DateTime dt;
        if (v.Kind == ValueKind.DateTime) dt = v.DateTime;
        else if (v.IsText && DateTime.TryParse(v.TextSpan, CultureInfo.InvariantCulture,
                     DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed)) dt = parsed;
        else { result = 0; return false; }
        result = part switch
        {
            TimePart.Minute => dt.Minute,
            TimePart.Hour => dt.Hour,
            TimePart.Day => dt.Day,
            TimePart.Week => ISOWeek.GetWeekOfYear(dt),
            TimePart.Month => dt.Month,
            _ => dt.Year,
        };
        return true;
    }

    /// <summary>CIDR membership. IPv4 text is parsed by hand (no allocation); IPv6 goes through IPAddress.</summary>
    private static bool InNetwork(ReadOnlySpan<char> text, Needle nd)
    {
        var net = nd.Network!;
        Span<byte> addr = stackalloc byte[16];
        int len;
        if (TryParseIPv4(text, addr)) len = 4;
        else if (text.Contains(':') && IPAddress.TryParse(text, out var ip) && ip.TryWriteBytes(addr, out len)) { }
        else return false;
        if (len != net.Length)
        {
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) against an IPv4 network.
            if (len == 16 && net.Length == 4 && addr[..10].IndexOfAnyExcept((byte)0) < 0 && addr[10] == 0xFF && addr[11] == 0xFF)
                addr.Slice(12, 4).CopyTo(addr);
            else return false;
        }
        int bits = nd.PrefixLength;
        int full = bits / 8;
        if (!addr[..full].SequenceEqual(net.AsSpan(0, full))) return false;
        int rem = bits % 8;
        if (rem == 0) return true;
        int mask = 0xFF << (8 - rem) & 0xFF;
        return (addr[full] & mask) == (net[full] & mask);
    }

    private static bool TryParseIPv4(ReadOnlySpan<char> s, Span<byte> dest)
    {
        int part = 0, value = 0, digits = 0;
        foreach (char c in s)
        {
            if (c == '.')
            {
                if (digits == 0 || part == 3) return false;
                dest[part++] = (byte)value; value = 0; digits = 0;
            }
            else if (char.IsAsciiDigit(c))
            {
                value = value * 10 + (c - '0'); digits++;
                if (value > 255 || digits > 3) return false;
            }
            else return false;
        }
        if (part != 3 || digits == 0) return false;
        dest[3] = (byte)value;
        return true;
    }
}
