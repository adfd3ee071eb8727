using Vigil.Events;

namespace Vigil.Engine.Hunting;

/// <summary>The handful of facts every output needs from an event, whatever its format
/// (EVTX names them Computer/Channel/EventID; OTRF JSON uses Hostname; Winlogbeat nests them).</summary>
public static class EventFacts
{
    // winlog.computer_name before host.name: with forwarded events (WEF) host.name is the collector, not the source.
    private static readonly int[] ComputerFields = Ids("Computer", "Hostname", "winlog.computer_name", "host.name", "ComputerName");
    private static readonly int[] ChannelFields = Ids("Channel", "winlog.channel", "log_name");
    private static readonly int[] EventIdFields = Ids("EventID", "winlog.event_id", "event.code", "event_id");
    private static readonly int[] RecordIdFields = Ids("EventRecordID", "winlog.record_id", "RecordNumber", "record_id");

    private static int[] Ids(params string[] names) => names.Select(FieldNames.Intern).ToArray();

    public static string Computer(Event e) => FirstText(e, ComputerFields);
    public static string Channel(Event e) => FirstText(e, ChannelFields);
    public static long? EventId(Event e) => FirstNumber(e, EventIdFields);
    public static long? RecordId(Event e) => FirstNumber(e, RecordIdFields);

    /// <summary>The value <see cref="Computer"/> gives as text (Null when there is none), without making the string.</summary>
    public static FieldValue ComputerValue(Event e) => FirstValue(e, ComputerFields);
    /// <summary>The value <see cref="Channel"/> gives as text (Null when there is none), without making the string.</summary>
    public static FieldValue ChannelValue(Event e) => FirstValue(e, ChannelFields);

    private static string FirstText(Event e, int[] ids) => FirstValue(e, ids).ToString();

    private static FieldValue FirstValue(Event e, int[] ids)
    {
        foreach (int id in ids)
            if (e.TryGet(id, out var v) && !v.IsNull) return v;
        return FieldValue.Null;
    }

    private static long? FirstNumber(Event e, int[] ids)
    {
        foreach (int id in ids)
            if (e.TryGet(id, out var v) && v.TryGetDouble(out double d) && d == Math.Floor(d)) return (long)d;
        return null;
    }

    /// <summary>Copies all fields out of the (reused) event so they outlive the reader's buffers.</summary>
    public static EventField[] Snapshot(Event e)
    {
        var fields = new EventField[e.Count];
        for (int i = 0; i < e.Count; i++) fields[i] = new EventField(e.NameAt(i), e.ValueAt(i).Detach());
        return fields;
    }
}
