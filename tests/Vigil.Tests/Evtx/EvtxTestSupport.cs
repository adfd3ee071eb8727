using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;

namespace Vigil.Tests.Evtx;

/// <summary>A record as Vigil read it, detached from the reader's buffers.</summary>
internal sealed record ReadRecord(long Offset, Dictionary<string, List<string>> Fields, Dictionary<string, ValueKind> Kinds)
{
    public string? Get(string name) => Fields.TryGetValue(name, out var v) ? v[0] : null;
    public long ChunkIndex => (Offset - EvtxFormat.FileHeaderSize) / EvtxFormat.ChunkSize;
}

internal static partial class EvtxTestSupport
{
    public static string SampleRoot => Path.Combine(TestPaths.Shared, "data", "evtx");

    public static string[] AllSamples() =>
        Directory.GetFiles(SampleRoot, "*.evtx", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToArray();

    public static string Sample(string relative) => Path.Combine(SampleRoot, relative);

    /// <summary>Reads a whole file with Vigil, copying every field out as text.</summary>
    public static (List<ReadRecord> Records, DiagnosticsCollector Diagnostics) ReadAll(string path)
    {
        var diag = new DiagnosticsCollector();
        var records = new List<ReadRecord>();
        var ev = new Event();
        foreach (var p in new EvtxFormat().Partition(path, diag))
            p.Read(ev, e =>
            {
                var fields = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
                var kinds = new Dictionary<string, ValueKind>(StringComparer.OrdinalIgnoreCase);
                for (int i = 0; i < e.Count; i++)
                {
                    var name = e.NameAt(i);
                    if (!fields.TryGetValue(name, out var list)) { fields[name] = list = []; kinds[name] = e.ValueAt(i).Kind; }
                    list.Add(e.ValueAt(i).ToString());
                }
                records.Add(new ReadRecord(e.Origin.Offset, fields, kinds));
            }, diag);
        return (records, diag);
    }

    /// <summary>Pairs (EventRecordID, EventID) only, cheaply.</summary>
    public static (List<(string RecordId, string EventId)> Pairs, DiagnosticsCollector Diagnostics) ReadPairs(string path)
    {
        var diag = new DiagnosticsCollector();
        var pairs = new List<(string, string)>();
        var ev = new Event();
        foreach (var p in new EvtxFormat().Partition(path, diag))
            p.Read(ev, e => pairs.Add((e.GetString(WellKnownFields.EventRecordID) ?? "", e.GetString(WellKnownFields.EventID) ?? "")), diag);
        return (pairs, diag);
    }

    public static string RequireEvtxExport()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "evtxexport");
            if (File.Exists(p)) return p;
        }
        Assert.Fail("evtxexport (libevtx-utils) is not installed; the EVTX parity tests compare against it. Install with: apt-get install -y libevtx-utils");
        return "";
    }

    /// <summary>Runs `evtxexport -f xml -m all FILE` (allocated and recovered records) and returns its XML events.</summary>
    public static List<XElement> LibevtxEvents(string exe, string path)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-f"); psi.ArgumentList.Add("xml");
        psi.ArgumentList.Add("-m"); psi.ArgumentList.Add("all");
        psi.ArgumentList.Add(path);
        using var proc = Process.Start(psi)!;
        var errTask = proc.StandardError.ReadToEndAsync();
        string output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        _ = errTask.Result;
        var events = new List<XElement>();
        // The output is a banner line and then one <Event> document after another.
        int pos = 0;
        while ((pos = output.IndexOf("<Event ", pos, StringComparison.Ordinal)) >= 0)
        {
            int end = output.IndexOf("</Event>", pos, StringComparison.Ordinal);
            if (end < 0) break;
            end += "</Event>".Length;
            var text = output[pos..end];
            try { events.Add(XElement.Parse(StripInvalidXmlChars(text))); }
            catch (System.Xml.XmlException)
            {
                // evtxexport writes values unescaped; fall back to the two ids by regex so the record still counts.
                var rid = RecordIdRegex().Match(text);
                var eid = EventIdRegex().Match(text);
                if (rid.Success)
                    events.Add(new XElement("Event", new XElement("System",
                        new XElement("EventRecordID", rid.Groups[1].Value), new XElement("EventID", eid.Success ? eid.Groups[1].Value : ""))));
            }
            pos = end;
        }
        return events;
    }

    private static string StripInvalidXmlChars(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        foreach (char c in s) if (c == '\t' || c == '\n' || c == '\r' || c >= 0x20) sb.Append(c);
        return sb.ToString();
    }

    [GeneratedRegex(@"<EventRecordID>\s*(\d+)\s*</EventRecordID>")] private static partial Regex RecordIdRegex();
    [GeneratedRegex(@"<EventID[^>]*>\s*(\d+)\s*</EventID>")] private static partial Regex EventIdRegex();

    public static XElement? Child(this XElement e, string local) => e.Elements().FirstOrDefault(x => x.Name.LocalName == local);

    public static string SystemValue(XElement ev, string element) => ev.Child("System")?.Child(element)?.Value.Trim() ?? "";

    public static string? DataValue(XElement ev, string name) =>
        ev.Child("EventData")?.Elements().FirstOrDefault(d => (string?)d.Attribute("Name") == name)?.Value;

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vigil-evtx-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
