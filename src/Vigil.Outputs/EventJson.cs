using System.Buffers;
using System.Text.Json;
using Vigil.Engine.Hunting;
using Vigil.Events;

namespace Vigil.Outputs;

/// <summary>
/// Writes one event as one JSON object (the `vigil dump` format): fields in the order the reader met
/// them, numbers as numbers, a field that occurs several times (unnamed EventData items, JSON arrays)
/// as an array. Nested JSON containers, which readers also expose as raw text for lookups, are written
/// once through their flattened leaves rather than twice.
/// </summary>
public static class EventJson
{
    private static readonly JsonWriterOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
        Indented = false,
    };

    public static JsonWriterOptions WriterOptions => Options;

    /// <summary>Appends the event as a JSON object followed by '\n'.</summary>
    public static void WriteLine(Event e, ArrayBufferWriter<byte> buffer, ref Utf8JsonWriter? writer)
    {
        if (writer is null) writer = new Utf8JsonWriter(buffer, Options);
        else writer.Reset(buffer);
        WriteObject(e, writer);
        writer.Flush();
        buffer.Write("\n"u8);
    }

    public static void WriteObject(Event e, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteFields(new LiveFields(e), w);
        w.WriteEndObject();
    }

    /// <summary>Writes the properties of a detection's copied fields, by the same rules as a live event.</summary>
    public static void WriteFields(IReadOnlyList<EventField> fields, Utf8JsonWriter w)
    {
        // Read as an array (detections hold theirs as one; correlation detections' short lists are copied): the grouping
        // below compares every pair of names, and through the list interface each comparison cost two interface calls
        // and two struct copies.
        WriteFields(new CopiedFields(fields as EventField[] ?? [.. fields]), w);
    }

    /// <summary>The fields of a live event or of a detection's copy, as the writer needs them.</summary>
    private interface IFieldList
    {
        int Count { get; }
        string Name(int i);
        FieldValue Value(int i);
        /// <summary>Same field spelled the same way (grouped into one property).</summary>
        bool Same(int i, int j);
    }

    private readonly struct LiveFields(Event e) : IFieldList
    {
        public int Count => e.Count;
        public string Name(int i) => e.NameAt(i);
        public FieldValue Value(int i) => e.ValueAt(i);
        public bool Same(int i, int j) => e.IdAt(i) == e.IdAt(j);
    }

    private readonly struct CopiedFields(EventField[] f) : IFieldList
    {
        public int Count => f.Length;
        public string Name(int i) => f[i].Name;
        public FieldValue Value(int i) => f[i].Value;
        public bool Same(int i, int j) => string.Equals(f[i].Name, f[j].Name, StringComparison.Ordinal);
    }

    private static void WriteFields<T>(T f, Utf8JsonWriter w) where T : IFieldList
    {
        int n = f.Count;
        for (int i = 0; i < n; i++)
        {
            if (SeenBefore(f, i)) continue;
            var v = f.Value(i);
            string name = f.Name(i);
            if (v.Kind == ValueKind.RawJson && i + 1 < n && IsChild(name, f.Name(i + 1))) continue;
            int count = 1;
            for (int j = i + 1; j < n; j++) if (f.Same(i, j)) count++;
            w.WritePropertyName(name);
            if (count == 1) { v.WriteJson(w); continue; }
            w.WriteStartArray();
            for (int j = i; j < n; j++) if (f.Same(i, j)) f.Value(j).WriteJson(w);
            w.WriteEndArray();
        }
    }

    private static bool SeenBefore<T>(T f, int index) where T : IFieldList
    {
        for (int j = 0; j < index; j++) if (f.Same(j, index)) return true;
        return false;
    }

    private static bool IsChild(string parent, string candidate) =>
        candidate.Length > parent.Length
        && candidate.StartsWith(parent, StringComparison.Ordinal)
        && candidate[parent.Length] is '.' or '[';
}
