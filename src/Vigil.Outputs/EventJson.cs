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
        if (fields is EventSnapshot snapshot) { WriteSnapshot(snapshot, w); return; }
        // Read as an array (detections hold theirs as one; correlation detections' short lists are copied): the grouping
        // below compares every pair of names, and through the list interface each comparison cost two interface calls
        // and two struct copies.
        WriteFields(new CopiedFields(fields as EventField[] ?? [.. fields]), w);
    }

    // Per-thread scratch for a snapshot's ids and values (output batches are formatted on thread-pool threads).
    [ThreadStatic] private static int[]? t_ids;
    [ThreadStatic] private static FieldValue[]? t_values;
    [ThreadStatic] private static FieldValue[]? t_names;

    /// <summary>A detection's snapshot, read in place: ids and values decoded into per-thread arrays, values pointing
    /// into the snapshot, so no string is made; fields are grouped by id as for a live event.</summary>
    private static void WriteSnapshot(EventSnapshot s, Utf8JsonWriter w)
    {
        var ids = t_ids;
        var values = t_values;
        var names = t_names;
        if (ids == null || values == null || names == null || ids.Length < s.Count)
        {
            t_ids = ids = new int[Math.Max(128, s.Count * 2)];
            t_values = values = new FieldValue[ids.Length];
            t_names = names = new FieldValue[ids.Length];
        }
        s.Decode(ids, values, names);
        WriteFields(new SnapshotFields(ids, values, names, s.Count), w);
        values.AsSpan(0, s.Count).Clear();   // the scratch must not keep the snapshot alive
        names.AsSpan(0, s.Count).Clear();
    }

    // Field names by id, encoded once for the writer (escaped, UTF-8): most of the text a dump writes is the same few
    // hundred names over and over. Filled as ids are met; a name the encoder refuses (invalid UTF-16) stays unset
    // and is written as a string each time, where the writer reports it as before.
    // Entries are objects, so a thread formatting another batch reads either null or a whole entry (a JsonEncodedText
    // struct is two references: written in place it could be read half-written).
    private sealed class EncodedName(JsonEncodedText text) { public readonly JsonEncodedText Text = text; }
    private static EncodedName?[] s_names = new EncodedName?[1024];
    private static readonly Lock NamesGate = new();

    private static void WriteName(int id, Utf8JsonWriter w)
    {
        var names = Volatile.Read(ref s_names);
        if ((uint)id < (uint)names.Length && Volatile.Read(ref names[id]) is { } known) { w.WritePropertyName(known.Text); return; }
        string name = FieldNames.Name(id);
        JsonEncodedText encoded;
        try { encoded = JsonEncodedText.Encode(name, Options.Encoder); }
        catch (ArgumentException) { w.WritePropertyName(name); return; }
        lock (NamesGate)
        {
            names = s_names;
            if (id >= names.Length)
            {
                Array.Resize(ref names, Math.Max(id + 1, names.Length * 2));
                Volatile.Write(ref s_names, names);
            }
            Volatile.Write(ref names[id], new EncodedName(encoded));
        }
        w.WritePropertyName(encoded);
    }

    /// <summary>The fields of a live event or of a detection's copy, as the writer needs them.</summary>
    private interface IFieldList
    {
        int Count { get; }
        string Name(int i);
        /// <summary>Writes the name of field <paramref name="i"/> as a property name.</summary>
        void WriteName(int i, Utf8JsonWriter w);
        FieldValue Value(int i);
        /// <summary>Same field spelled the same way (grouped into one property).</summary>
        bool Same(int i, int j);
    }

    private readonly struct LiveFields(Event e) : IFieldList
    {
        public int Count => e.Count;
        public string Name(int i) => e.NameAt(i);
        public void WriteName(int i, Utf8JsonWriter w)
        {
            if (e.IsUnlisted(i)) w.WritePropertyName(e.DeclaredName(i).TextSpan);
            else EventJson.WriteName(e.IdAt(i), w);
        }
        public FieldValue Value(int i) => e.ValueAt(i);
        public bool Same(int i, int j) =>
            e.IdAt(i) == e.IdAt(j) && (!e.IsUnlisted(i) || e.DeclaredName(i).TextSpan.SequenceEqual(e.DeclaredName(j).TextSpan));
    }

    private readonly struct CopiedFields(EventField[] f) : IFieldList
    {
        public int Count => f.Length;
        public string Name(int i) => f[i].Name;
        public void WriteName(int i, Utf8JsonWriter w) => w.WritePropertyName(f[i].Name);
        public FieldValue Value(int i) => f[i].Value;
        public bool Same(int i, int j) => string.Equals(f[i].Name, f[j].Name, StringComparison.Ordinal);
    }

    private readonly struct SnapshotFields(int[] ids, FieldValue[] values, FieldValue[] names, int count) : IFieldList
    {
        public int Count => count;
        public string Name(int i) => FieldNames.Name(ids[i], names[i]);
        public void WriteName(int i, Utf8JsonWriter w)
        {
            if (ids[i] == FieldNames.Unlisted) w.WritePropertyName(names[i].TextSpan);
            else EventJson.WriteName(ids[i], w);
        }
        public FieldValue Value(int i) => values[i];
        // One id per listed spelling: the same as comparing names. Unlisted names are compared as text.
        public bool Same(int i, int j) =>
            ids[i] == ids[j] && (ids[i] != FieldNames.Unlisted || names[i].TextSpan.SequenceEqual(names[j].TextSpan));
    }

    private static void WriteFields<T>(T f, Utf8JsonWriter w) where T : IFieldList
    {
        int n = f.Count;
        for (int i = 0; i < n; i++)
        {
            if (SeenBefore(f, i)) continue;
            string name = f.Name(i);
            int count = 0, first = -1;
            bool array = false;   // the values are (or include) the elements of a JSON array: written as one, even if single
            for (int j = i; j < n; j++)
            {
                if (!f.Same(i, j)) continue;
                if (!Flattened(f, j, name)) { count++; if (first < 0) first = j; }
                else if (f.Value(j).TextSpan is ['[', ..]) array = true;
            }
            if (count == 0) continue;   // only containers, every one written through its leaves
            f.WriteName(i, w);
            if (count == 1 && !array) { f.Value(first).WriteJson(w); continue; }
            w.WriteStartArray();
            for (int j = first; j < n; j++) if (f.Same(i, j) && !Flattened(f, j, name)) f.Value(j).WriteJson(w);
            w.WriteEndArray();
        }
    }

    /// <summary>Whether field <paramref name="j"/> is a JSON container whose content follows it as fields of their own:
    /// an object's members (<c>name.child</c>) or an array's elements (the same name again). Those are written, not the
    /// container's raw text (which would repeat them, and keeps the line breaks of a pretty-printed input). An empty
    /// container has nothing after it and is written as it is.</summary>
    private static bool Flattened<T>(T f, int j, string name) where T : IFieldList =>
        f.Value(j).Kind == ValueKind.RawJson && j + 1 < f.Count && (f.Same(j, j + 1) || IsChild(name, f.Name(j + 1)));

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
