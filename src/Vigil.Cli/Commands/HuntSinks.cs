using Vigil.Engine.Hunting;
using Vigil.Outputs;

namespace Vigil.Cli.Commands;

/// <summary>
/// The hunt's side outputs chosen by flags (each an <see cref="IHuntSink"/> in its own file), fed from the one pass
/// over the detection stream: <see cref="Tee"/> numbers detections 1, 2, ... in output order and hands each to every
/// sink as the main writer pulls it.
/// </summary>
public sealed class HuntSinks : IDisposable
{
    private readonly List<IHuntSink> _sinks = [];

    public static HuntSinks Create(ArgReader a, CliConsole console)
    {
        var s = new HuntSinks();
        try
        {
            // Sinks register here, one line each: if (a.Value("--flag") is { } path) s._sinks.Add(new SomeSink(path));
            if (a.Value("--campaigns") is { } campaigns) s._sinks.Add(new CampaignJsonSink(campaigns));
            if (a.Value("--timeline") is { } timeline) s._sinks.Add(new TimelineCsvSink(timeline));
            if (a.Value("--timesketch") is { } timesketch) s._sinks.Add(new TimesketchSink(timesketch, console.Error));
            if (a.Value("--sqlite") is { } sqlite) s._sinks.Add(new SqliteSink(sqlite));
            if (a.Value("--report") is { } report)
                s._sinks.Add(new Vigil.Outputs.Report.HtmlReportSink(report,
                    ReportCap(a, "--report-rows-per-rule", Vigil.Outputs.Report.HtmlReportSink.DefaultRowsPerRule),
                    ReportCap(a, "--report-max-rows", Vigil.Outputs.Report.HtmlReportSink.DefaultMaxRows),
                    ReportCap(a, "--report-max-campaigns", Vigil.Outputs.Report.HtmlReportSink.DefaultMaxCampaigns)));
            return s;
        }
        catch
        {
            s.Dispose(); // a later output failed to open: the earlier ones remove what they made
            throw;
        }
    }

    /// <summary>A cap on the report's embedded rows: a whole number from 0 (no cap) up.</summary>
    private static int ReportCap(ArgReader a, string name, int fallback) => a.Long(name) switch
    {
        null => fallback,
        >= 0 and <= int.MaxValue and var n => (int)n,
        var n => throw new UsageException($"option {name} needs a whole number from 0 (no cap), got {n}"),
    };

    public int Count => _sinks.Count;

    public IEnumerable<Detection> Tee(IEnumerable<Detection> detections)
    {
        long id = 0;
        foreach (var d in detections)
        {
            id++;
            foreach (var s in _sinks) s.Add(id, d);
            yield return d;
        }
    }

    public void Complete(HuntSummary summary)
    {
        foreach (var s in _sinks) s.Complete(summary);
    }

    public void Dispose()
    {
        foreach (var s in _sinks) s.Dispose();
    }
}
