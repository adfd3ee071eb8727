using System.Globalization;
using Vigil.Events;

namespace Vigil.Readers.Json;

/// <summary>
/// Finds an event's time among well-known JSON fields and parses it once, at read time.
/// Accepted: ISO 8601 with or without 'T', fraction, 'Z' or offset (no zone = UTC), the OTRF form
/// "2020-10-19 12:28:44.333", and epoch numbers (seconds, or milliseconds when above 1e11), as JSON
/// numbers or numeric strings.
/// </summary>
public static class JsonTimestamps
{
    /// <summary>Field ids in priority order: the first one present that parses sets the timestamp.</summary>
    private static readonly int[] Candidates =
    [
        FieldNames.Intern("@timestamp"),
        FieldNames.Intern("TimeCreated"),
        FieldNames.Intern("UtcTime"),
        FieldNames.Intern("EventTime"),
        FieldNames.Intern("timestamp"),
        FieldNames.Intern("eventTime"),   // CloudTrail
        FieldNames.Intern("ts"),          // Zeek: epoch seconds, or ISO text
        FieldNames.Intern("time"),
    ];

    private static readonly long MaxTicks = DateTime.MaxValue.Ticks;

    /// <summary>UTC ticks of the event's time, or 0 when no candidate field holds a recognisable time.</summary>
    public static long Find(Event e)
    {
        // FieldNames is case-insensitive, so "timestamp" and "TimeStamp" share an id; that is intended.
        foreach (int id in Candidates)
        {
            int i = e.IndexOf(id);
            if (i < 0) continue;
            if (TryParse(e.ValueAt(i), out long ticks)) return ticks;
        }
        return 0;
    }

    public static bool TryParse(in FieldValue v, out long ticks)
    {
        switch (v.Kind)
        {
            case ValueKind.Int64: return TryEpoch(v.Int64, out ticks);
            case ValueKind.UInt64: return TryEpoch(v.UInt64, out ticks);
            case ValueKind.Double: return TryEpoch(v.Double, out ticks);
            case ValueKind.DateTime: ticks = v.DateTime.Ticks; return true;
            case ValueKind.String: return TryParseText(v.TextSpan, out ticks);
            default: ticks = 0; return false;
        }
    }

    public static bool TryParseText(ReadOnlySpan<char> s, out long ticks)
    {
        s = s.Trim();
        if (TryParseIso(s, out ticks)) return true;
        // Numeric text: epoch seconds/milliseconds (Zeek writes ts as "1591367999.305988" in some exports).
        if (s.Length > 0 && (char.IsAsciiDigit(s[0])) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return TryEpoch(d, out ticks);
        // Last resort for other spellings ("Mon, 19 Oct 2020 12:28:44 GMT", "10/19/2020 12:28:44"). Only text
        // that names a year: DateTimeOffset.TryParse would give a bare "12:28:44" today's date.
        if (HasYear(s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
        {
            ticks = dto.UtcTicks;
            return ticks != 0;
        }
        ticks = 0;
        return false;
    }

    private static bool HasYear(ReadOnlySpan<char> s)
    {
        int run = 0;
        foreach (char c in s)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run == 4) return true;
        }
        return false;
    }

    private static bool TryEpoch(double seconds, out long ticks)
    {
        ticks = 0;
        if (!double.IsFinite(seconds) || seconds <= 0) return false;
        if (seconds > 1e11) seconds /= 1000.0;   // milliseconds
        double t = seconds * TimeSpan.TicksPerSecond;
        if (t >= MaxTicks - DateTime.UnixEpoch.Ticks) return false;
        ticks = DateTime.UnixEpoch.Ticks + (long)Math.Round(t);
        return true;
    }

    /// <summary>yyyy-MM-dd[T| ]HH:mm[:ss[.fraction]][Z | ±hh[:mm] | ±hhmm]; no zone means UTC.</summary>
    public static bool TryParseIso(ReadOnlySpan<char> s, out long ticks)
    {
        ticks = 0;
        if (s.Length < 16) return false;
        if (!Digits(s, 0, 4, out int year) || s[4] != '-' || !Digits(s, 5, 2, out int month) || s[7] != '-'
            || !Digits(s, 8, 2, out int day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
            || !Digits(s, 11, 2, out int hour) || s[13] != ':' || !Digits(s, 14, 2, out int minute))
            return false;
        int p = 16, second = 0;
        long fractionTicks = 0;
        if (p < s.Length && s[p] == ':')
        {
            if (!Digits(s, p + 1, 2, out second)) return false;
            p += 3;
            if (p < s.Length && (s[p] == '.' || s[p] == ','))
            {
                p++;
                int start = p;
                long scale = TimeSpan.TicksPerSecond;
                while (p < s.Length && char.IsAsciiDigit(s[p]))
                {
                    if (scale > 1) { scale /= 10; fractionTicks += (s[p] - '0') * scale; }
                    p++;   // digits beyond 100 ns are dropped
                }
                if (p == start) return false;
            }
        }
        long offsetTicks = 0;
        if (p < s.Length)
        {
            char z = s[p];
            if ((z == 'Z' || z == 'z') && p + 1 == s.Length) { }
            else if (z == '+' || z == '-')
            {
                var o = s[(p + 1)..];
                int oh, om = 0;
                if (o.Length == 2 && Digits(o, 0, 2, out oh)) { }
                else if (o.Length == 5 && o[2] == ':' && Digits(o, 0, 2, out oh) && Digits(o, 3, 2, out om)) { }
                else if (o.Length == 4 && Digits(o, 0, 2, out oh) && Digits(o, 2, 2, out om)) { }
                else return false;
                if (oh > 14 || om > 59) return false;
                offsetTicks = (oh * 60L + om) * TimeSpan.TicksPerMinute * (z == '-' ? -1 : 1);
            }
            else return false;
        }
        if (month is < 1 or > 12 || day < 1 || year < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 60) return false;
        if (second == 60) second = 59;   // leap second: clamp rather than reject
        long local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + fractionTicks;
        long utc = local - offsetTicks;
        if (utc <= 0 || utc > MaxTicks) return false;
        ticks = utc;
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length) return false;
        for (int i = start; i < start + count; i++)
        {
            int d = s[i] - '0';
            if ((uint)d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }
}
