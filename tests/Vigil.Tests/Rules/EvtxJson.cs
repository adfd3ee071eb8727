using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Events;

namespace Vigil.Tests.Rules;

/// <summary>
/// Test-side reader for the JSON form of EVTX records used by SigmaHQ's regression data
/// ({"Event": {"System": {...}, "EventData": {...}}}, one or more objects per file).
/// Flattens to the field names Sigma rules use (spaces removed): EventID, Channel, Provider_Name, Computer,
/// Execution_ProcessID, Security_UserID, and each EventData / UserData item by its name.
/// JSON numbers stay numbers (Int64), so numeric and text comparisons are both exercised.
/// </summary>
internal static class EvtxJson
{
    public static List<Event> ReadFile(string path)
    {
        var events = new List<Event>();
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes.AsSpan(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0),
            new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        // After a value the reader sits on its last token; Read() moves to the next value's first token.
        while (reader.Read())
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            events.Add(ToEvent(doc.RootElement, path));
        }
        return events;
    }

    public static Event ToEvent(JsonElement root, string source)
    {
        var e = new Event { Format = "json", Origin = new EventOrigin(source, 0, 0) };
        var ev = root.GetProperty("Event");
        if (ev.TryGetProperty("System", out var sys))
        {
            foreach (var p in sys.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Object)
                {
                    if (p.Value.TryGetProperty("#attributes", out var attrs))
                    {
                        foreach (var a in attrs.EnumerateObject())
                        {
                            string name = p.Name == "TimeCreated" && a.Name == "SystemTime" ? "TimeCreated" : p.Name + "_" + a.Name;
                            e.Add(name, Value(a.Value));
                            if (name == "TimeCreated" && DateTime.TryParse(a.Value.GetString(), CultureInfo.InvariantCulture,
                                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t))
                                e.TimestampTicks = t.Ticks;
                        }
                    }
                    if (p.Value.TryGetProperty("#text", out var text)) e.Add(p.Name, Value(text));
                }
                else e.Add(p.Name, Value(p.Value));
            }
        }
        if (ev.TryGetProperty("EventData", out var data) && data.ValueKind == JsonValueKind.Object)
            Flatten(e, data);
        if (ev.TryGetProperty("UserData", out var user) && user.ValueKind == JsonValueKind.Object)
            Flatten(e, user);
        return e;
    }

    private static void Flatten(Event e, JsonElement obj)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Name == "#attributes") continue;
            if (p.Value.ValueKind == JsonValueKind.Object) Flatten(e, p.Value);
            else if (p.Value.ValueKind == JsonValueKind.Array)
                foreach (var item in p.Value.EnumerateArray()) e.Add(SigmaName(p.Name), Value(item));
            else e.Add(SigmaName(p.Name), Value(p.Value));
        }
    }

    /// <summary>Sigma spec, "Field Usage": field names are used as the log source writes them with all
    /// spaces removed (Defender's "Source Name" is SourceName in rules).</summary>
    private static string SigmaName(string name) => name.Contains(' ') ? name.Replace(" ", "") : name;

    private static FieldValue Value(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => FieldValue.FromString(v.GetString()!),
        JsonValueKind.Number => v.TryGetInt64(out long l) ? FieldValue.FromInt64(l) : FieldValue.FromDouble(v.GetDouble()),
        JsonValueKind.True => FieldValue.FromBoolean(true),
        JsonValueKind.False => FieldValue.FromBoolean(false),
        JsonValueKind.Null => FieldValue.Null,
        _ => FieldValue.FromRawJson(v.GetRawText()),
    };
}
