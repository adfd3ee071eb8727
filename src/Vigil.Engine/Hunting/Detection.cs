using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Engine.Hunting;

/// <summary>A named field value copied out of an event, owning its storage.</summary>
public readonly record struct EventField(string Name, FieldValue Value);

/// <summary>One rule firing on one event, with what an analyst needs to find the event again.</summary>
public sealed class Detection
{
    public required SigmaRule Rule { get; init; }
    /// <summary>Event time in UTC ticks; 0 when the event carried no time.</summary>
    public required long TimestampTicks { get; init; }
    public required string Computer { get; init; }
    public required string Channel { get; init; }
    public long? EventId { get; init; }
    public long? RecordId { get; init; }
    public required EventOrigin Origin { get; init; }
    /// <summary>Every field of the event (shared by all detections of the same event).</summary>
    public required IReadOnlyList<EventField> Fields { get; init; }

    public DateTime? Timestamp => TimestampTicks == 0 ? null : new DateTime(TimestampTicks, DateTimeKind.Utc);
    public string Source => Origin.Source;

    /// <summary>ISO 8601 UTC with milliseconds, or "" when the event has no time.</summary>
    public string TimestampText => FormatTimestamp(TimestampTicks);

    /// <summary>UTC ticks as ISO 8601 with milliseconds, or "" for 0 (no time).</summary>
    public static string FormatTimestamp(long ticks) => ticks == 0 ? ""
        : new DateTime(ticks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Deterministic output order: time, then source, then position in the source, then rule.</summary>
    public static int Compare(Detection a, Detection b)
    {
        int c = a.TimestampTicks.CompareTo(b.TimestampTicks);
        if (c != 0) return c;
        c = string.CompareOrdinal(a.Origin.Source, b.Origin.Source);
        if (c != 0) return c;
        c = a.Origin.Offset.CompareTo(b.Origin.Offset);
        if (c != 0) return c;
        c = a.Origin.Line.CompareTo(b.Origin.Line);
        if (c != 0) return c;
        return string.CompareOrdinal(a.Rule.Id, b.Rule.Id);
    }
}
