using System.Buffers;
using System.Text.Json;
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
        int n = e.Count;
        for (int i = 0; i < n; i++)
        {
            int id = e.IdAt(i);
            if (SeenBefore(e, i, id)) continue;
            ref readonly var v = ref e.ValueAt(i);
            string name = FieldNames.Name(id);
            if (v.Kind == ValueKind.RawJson && i + 1 < n && IsChild(name, e.NameAt(i + 1))) continue;
            int count = 1;
            for (int j = i + 1; j < n; j++) if (e.IdAt(j) == id) count++;
            w.WritePropertyName(name);
            if (count == 1) { v.WriteJson(w); continue; }
            w.WriteStartArray();
            for (int j = i; j < n; j++) if (e.IdAt(j) == id) e.ValueAt(j).WriteJson(w);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static bool SeenBefore(Event e, int index, int id)
    {
        for (int j = 0; j < index; j++) if (e.IdAt(j) == id) return true;
        return false;
    }

    private static bool IsChild(string parent, string candidate) =>
        candidate.Length > parent.Length
        && candidate.StartsWith(parent, StringComparison.Ordinal)
        && candidate[parent.Length] is '.' or '[';
}
