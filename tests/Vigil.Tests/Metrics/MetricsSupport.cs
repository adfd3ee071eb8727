using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;
using Vigil.Tests.Cli;
using Vigil.Tests.Evtx;

namespace Vigil.Tests.Metrics;

/// <summary>Independent counts for the metrics tests: libevtx's evtxexport for EVTX, System.Text.Json for JSON.</summary>
internal static class MetricsSupport
{
    /// <summary>The records evtxexport renders in its default mode (allocated records, not slack-space recoveries).</summary>
    public static List<XElement> EvtxExport(string file)
    {
        string exe = EvtxTestSupport.RequireEvtxExport();
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-f"); psi.ArgumentList.Add("xml");
        psi.ArgumentList.Add(file);
        using var proc = Process.Start(psi)!;
        var err = proc.StandardError.ReadToEndAsync();
        string output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        _ = err.Result;
        var events = new List<XElement>();
        int pos = 0;
        while ((pos = output.IndexOf("<Event ", pos, StringComparison.Ordinal)) >= 0)
        {
            int end = output.IndexOf("</Event>", pos, StringComparison.Ordinal);
            Assert.True(end > 0, $"{file}: unterminated <Event> in evtxexport output at {pos}");
            end += "</Event>".Length;
            var text = new string(output.AsSpan(pos, end - pos).ToArray().Where(c => c is '\t' or '\n' or '\r' || c >= 0x20).ToArray());
            events.Add(XElement.Parse(text)); // a record the XML parser refuses fails the test: it must be looked at
            pos = end;
        }
        return events;
    }

    public static string Provider(XElement ev) => (string?)ev.Child("System")?.Child("Provider")?.Attribute("Name") ?? "";
    public static string Sys(XElement ev, string name) => EvtxTestSupport.SystemValue(ev, name);
    public static string Data(XElement ev, string name) => EvtxTestSupport.DataValue(ev, name) ?? "";

    /// <summary>Records Vigil recovered from chunk slack space (marked Evtx_Recovered), which evtxexport's default
    /// mode does not render: (EventID, Channel, Provider, Computer) of each, as Vigil's reader gives them.</summary>
    public static List<(string EventId, string Channel, string Provider, string Computer)> VigilRecovered(string file)
    {
        var diag = new DiagnosticsCollector();
        var list = new List<(string, string, string, string)>();
        var ev = new Event();
        int recovered = FieldNames.Intern("Evtx_Recovered");
        foreach (var p in new EvtxFormat().Partition(file, diag))
            p.Read(ev, e =>
            {
                if (e.TryGet(recovered, out var r) && r.Kind == ValueKind.Boolean && r.Boolean)
                    list.Add((e.GetString(WellKnownFields.EventID) ?? "", e.GetString(WellKnownFields.Channel) ?? "",
                        e.GetString(WellKnownFields.ProviderName) ?? "", e.GetString(WellKnownFields.Computer) ?? ""));
            }, diag);
        return list;
    }

    /// <summary>Runs a command in-process and returns its JSON rows as string-keyed dictionaries (numbers as text).</summary>
    public static (JsonElement Root, List<Dictionary<string, string>> Rows) RunJson(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}");
        var root = JsonDocument.Parse(r.Out).RootElement.Clone();
        var rows = root.GetProperty("rows").EnumerateArray().Select(row => row.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Null => "",
                _ => p.Value.GetRawText(),
            })).ToList();
        return (root, rows);
    }

    public static Dictionary<string, long> Count<T>(IEnumerable<T> items, Func<T, string> key)
    {
        var d = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var i in items) d[key(i)] = d.GetValueOrDefault(key(i)) + 1;
        return d;
    }

    /// <summary>Compares two count maps and names every difference.</summary>
    public static void SameCounts(Dictionary<string, long> expected, Dictionary<string, long> actual, string what)
    {
        var diffs = expected.Keys.Union(actual.Keys)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .OrderBy(k => k, StringComparer.Ordinal)
            .Select(k => $"  {k}: expected {expected.GetValueOrDefault(k)}, Vigil {actual.GetValueOrDefault(k)}")
            .ToList();
        Assert.True(diffs.Count == 0, $"{what}: {diffs.Count} differences\n{string.Join("\n", diffs.Take(30))}");
    }
}
