using System.Text.Json;
using Vigil.Tests.Json;
using static Vigil.Tests.Metrics.MetricsSupport;

namespace Vigil.Tests.Metrics;

/// <summary><c>vigil metrics</c> on the OTRF JSON-lines files against a count done with System.Text.Json.</summary>
public sealed class JsonMetricsTests
{
    [Fact]
    public void Otrf_counts_match_a_count_with_System_Text_Json()
    {
        var byEid = new Dictionary<string, long>(StringComparer.Ordinal);
        var byComputer = new Dictionary<string, long>(StringComparer.Ordinal);
        var byChannel = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        foreach (var file in JsonTestSupport.OtrfFiles())
            foreach (var line in File.ReadLines(file))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                total++;
                using var doc = JsonDocument.Parse(line);
                var o = doc.RootElement;
                // OTRF names: EventID, Channel, Hostname, SourceName (the provider). CloudTrail lines have none of them.
                string First(params string[] names)
                {
                    foreach (var n in names)
                        if (o.TryGetProperty(n, out var v) && v.ValueKind != JsonValueKind.Null)
                            return v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                    return "";
                }
                string eid = First("EventID");
                string channel = First("Channel");
                string k = $"{eid}|{channel}|{First("Provider_Name", "SourceName")}";
                byEid[k] = byEid.GetValueOrDefault(k) + 1;
                string c = First("Computer", "Hostname");
                byComputer[c] = byComputer.GetValueOrDefault(c) + 1;
                byChannel[channel] = byChannel.GetValueOrDefault(channel) + 1;
            }
        Assert.True(total > 30000, $"only {total} OTRF events");

        var (root, eidRows) = RunJson("metrics", JsonTestSupport.OtrfFolder, "--format", "json");
        Assert.Equal(total, root.GetProperty("total").GetInt64());
        SameCounts(byEid, eidRows.ToDictionary(r => $"{r["event_id"]}|{r["channel"]}|{r["provider"]}", r => long.Parse(r["count"])), "OTRF per EventID");
        var (_, computers) = RunJson("metrics", JsonTestSupport.OtrfFolder, "--format", "json", "--by", "computer");
        SameCounts(byComputer, computers.ToDictionary(r => r["computer"], r => long.Parse(r["count"])), "OTRF per computer");
        var (_, channels) = RunJson("metrics", JsonTestSupport.OtrfFolder, "--format", "json", "--by", "channel");
        SameCounts(byChannel, channels.ToDictionary(r => r["channel"], r => long.Parse(r["count"])), "OTRF per channel");
    }
}
