using Vigil.Campaigns;
using Vigil.Campaigns.Output;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Campaigns;

/// <summary>The OTRF Security Datasets' Windows recordings in ../shared (JSON lines), in name order: the real input the
/// campaign storage tests build campaigns from, once in memory and once through their files; and how they hunt them.</summary>
internal static class OtrfRecordings
{
    public static readonly string[] Windows = Directory.GetFiles(Path.Combine(TestPaths.Shared, "data", "json", "otrf"), "windows__*.json")
        .Order(StringComparer.Ordinal).ToArray();

    /// <summary>Hunts <paramref name="inputs"/> (default: <see cref="Windows"/>) on two workers, feeding the collector's
    /// detections and campaign context.</summary>
    public static CampaignCollector Hunt(RuleSet set, CampaignCollector collector, string[]? inputs = null)
    {
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand((inputs ?? Windows).ToList(), LogFormats.All, diag);
        using (var result = Hunter.Run(files, set.Rules, diag, degree: 2, correlate: set, observer: collector.Context))
            foreach (var _ in collector.Tee(result.Detections)) { }
        Assert.Empty(diag.Errors);
        return collector;
    }

    /// <summary>The campaigns as the --campaigns file writes them.</summary>
    public static string Json(IReadOnlyList<Campaign> campaigns)
    {
        using var m = new MemoryStream();
        CampaignJson.Write(campaigns, m);
        return System.Text.Encoding.UTF8.GetString(m.ToArray());
    }
}
