using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vigil.Campaigns.Output;

/// <summary>Writes <c>{"campaigns":[...]}</c> with snake_case keys and ISO 8601 UTC times (the --campaigns file).</summary>
public static class CampaignJson
{
    public static void Write(IReadOnlyList<Campaign> campaigns, Stream output)
    {
        // Relaxed escaping keeps command lines readable ("\\", quotes escaped, no \u003C for '<'); still valid JSON.
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("campaigns");
        // Utf8JsonWriter keeps everything in its own growing buffer until flushed: a day's 7,000 campaigns are 26 MB of
        // text, held twice while the buffer doubles. Flushed whenever 64 KB are pending, between campaigns and inside one
        // between its detection ids and steps: the biggest campaign of a 12.2M-event day (270,000 detections) alone is
        // ~100 MB of text, which grew the buffer to 159 MB of large objects (peak 285 -> 415 MB).
        void Spill() { if (w.BytesPending >= 1 << 16) w.Flush(); }
        foreach (var c in campaigns)
        {
            WriteCampaign(w, c, Spill);
            Spill();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>One campaign as compact JSON text, the same object as in the --campaigns file.</summary>
    public static string ToJson(Campaign c) => ToLimitedJson(c, int.MaxValue);

    /// <summary>One campaign as compact JSON text with its long lists cut at <paramref name="listLimit"/> values each (see
    /// <see cref="WriteCampaign"/>): the SQLite json column. (Not an optional parameter of <see cref="ToJson"/>: a method
    /// group with one would bind to LINQ's Select overload that passes the index.)</summary>
    public static string ToLimitedJson(Campaign c, int listLimit)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteCampaign(w, c, listLimit: listLimit);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <param name="between">Called between values inside the campaign's long lists (hosts, accounts, addresses, detection
    /// ids, steps), where the caller may flush the writer.</param>
    /// <param name="listLimit">The most values written of each long list (hosts, users, the three address lists, detection
    /// ids, steps). When any list is cut, a <c>"truncated"</c> object closes the campaign with the full length of each list
    /// cut. Without a limit (the --campaigns file, the report) every value is written and there is no such object.</param>
    public static void WriteCampaign(Utf8JsonWriter w, Campaign c, Action? between = null, int listLimit = int.MaxValue)
    {
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteNumber("score", c.Score);
        w.WriteString("kind", c.Kind);
        Strings(w, "hosts", c.Hosts, between, listLimit);
        Strings(w, "users", c.Users, between, listLimit);
        Strings(w, "addresses", c.Addresses, between, listLimit);
        Strings(w, "internal_addresses", c.InternalAddresses, between, listLimit);
        Strings(w, "external_addresses", c.ExternalAddresses, between, listLimit);
        Strings(w, "tactics", c.Tactics);
        Strings(w, "techniques", c.Techniques);
        w.WriteString("first_seen", Iso(c.FirstSeen));
        w.WriteString("last_seen", Iso(c.LastSeen));
        w.WriteStartArray("detections");
        int n = 0;
        foreach (var id in c.DetectionIds)
        {
            if (n == listLimit) break;
            w.WriteNumberValue(id);
            if ((++n & 1023) == 0) between?.Invoke();
        }
        w.WriteEndArray();
        w.WriteNumber("detection_count", c.DetectionIds.Count);
        w.WriteStartObject("levels");
        foreach (var (k, v) in c.Levels.OrderByDescending(kv => Scoring.Tactics.LevelRank(kv.Key)).ThenBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(k, v);
        w.WriteEndObject();
        w.WriteStartObject("operator");
        w.WriteString("kind", c.Operator.Kind);
        w.WriteNumber("confidence", c.Operator.Confidence);
        w.WriteStartObject("evidence");
        foreach (var (k, v) in c.Operator.Evidence) w.WriteNumber(k, double.IsFinite(v) ? v : 0);
        w.WriteEndObject();
        Strings(w, "reasons", c.Operator.Reasons);
        w.WriteEndObject();
        w.WriteString("summary", c.Summary);
        w.WriteStartArray("steps");
        int stepsWritten = 0;
        foreach (var s in c.Steps)
        {
            if (stepsWritten++ == listLimit) break;
            w.WriteStartObject();
            w.WriteString("time", Iso(s.Time));
            w.WriteString("host", s.Host);
            w.WriteString("user", s.User);
            w.WriteString("tactic", s.Tactic);
            w.WriteString("technique", s.Technique);
            w.WriteString("rule_id", s.RuleId);
            w.WriteString("rule_title", s.RuleTitle);
            w.WriteString("level", s.Level);
            w.WriteNumber("detection_id", s.DetectionId);
            w.WriteNumber("count", s.Count);
            w.WriteString("detail", s.Detail);
            w.WriteEndObject();
            between?.Invoke();
        }
        w.WriteEndArray();
        w.WriteStartArray("links");
        foreach (var l in c.Links)
        {
            w.WriteStartObject();
            w.WriteString("from_host", l.FromHost);
            w.WriteString("to_host", l.ToHost);
            w.WriteString("account", l.Account);
            w.WriteString("method", l.Method);
            w.WriteString("time", Iso(l.Time));
            w.WriteString("source_address", l.SourceAddress);
            Ids(w, "detections", l.DetectionIds);
            w.WriteEndObject();
            between?.Invoke();
        }
        w.WriteEndArray();
        w.WriteStartArray("theft");
        foreach (var t in c.Theft)
        {
            w.WriteStartObject();
            w.WriteString("time", Iso(t.Time));
            w.WriteString("host", t.Host);
            w.WriteString("kind", t.Kind);
            w.WriteString("detail", t.Detail);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteString("destination", t.Destination);
            Ids(w, "detections", t.DetectionIds);
            w.WriteEndObject();
            between?.Invoke();
        }
        w.WriteEndArray();
        if (listLimit != int.MaxValue)
        {
            int addresses = c.InternalAddresses.Count + c.ExternalAddresses.Count;
            (string Name, int Count)[] lists = [("hosts", c.Hosts.Count), ("users", c.Users.Count), ("addresses", addresses),
                ("internal_addresses", c.InternalAddresses.Count), ("external_addresses", c.ExternalAddresses.Count),
                ("detections", c.DetectionIds.Count), ("steps", c.Steps.Count)];
            if (lists.Any(l => l.Count > listLimit))
            {
                w.WriteStartObject("truncated");
                foreach (var (name, count) in lists)
                    if (count > listLimit) w.WriteNumber(name, count);
                w.WriteEndObject();
            }
        }
        w.WriteEndObject();
    }

    public static string Iso(DateTime t) => t.Ticks == 0 ? "" : t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A named array of strings (the campaign JSON's and the report's lists).</summary>
    /// <param name="between">As for <see cref="WriteCampaign"/>: a campaign can list millions of addresses.</param>
    /// <param name="limit">The most values written.</param>
    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> xs, Action? between = null, int limit = int.MaxValue)
    {
        w.WriteStartArray(name);
        int n = 0;
        foreach (var x in xs)
        {
            if (n == limit) break;
            w.WriteStringValue(x);
            if ((++n & 1023) == 0) between?.Invoke();
        }
        w.WriteEndArray();
    }

    private static void Ids(Utf8JsonWriter w, string name, IReadOnlyList<long> xs)
    {
        w.WriteStartArray(name);
        foreach (var x in xs) w.WriteNumberValue(x);
        w.WriteEndArray();
    }
}
