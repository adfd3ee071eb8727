using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;

namespace Vigil.Engine.Metrics;

/// <summary>What <see cref="EventMetrics.Count"/> found: events per EventID (with channel and provider), per
/// computer and per channel, each with counts and first/last times, and what was read.</summary>
public sealed record EventMetricsResult(ReadStats Stats, CountTable ByEventId, CountTable ByComputer, CountTable ByChannel);

/// <summary>
/// Event counts like Hayabusa's eid-metrics and computer-metrics, in one parallel pass over any input Vigil reads.
/// Each event is counted once under its EventID, Channel and Provider (the first present of the names each log
/// shape uses: EVTX and OTRF <c>EventID</c>/<c>Channel</c>/<c>Provider_Name</c> or <c>SourceName</c>, Winlogbeat
/// <c>winlog.*</c>), under its computer and under its channel; a missing value counts under "". Values are compared
/// exactly as written (no case folding), as the logs spell them.
/// </summary>
public static class EventMetrics
{
    public static readonly string[] EventIdColumns = ["EventID", "Channel", "Provider"];
    public static readonly string[] ComputerColumns = ["Computer"];
    public static readonly string[] ChannelColumns = ["Channel"];

    private readonly record struct EidKey(long EventId, int Channel, int Provider);

    /// <summary>Marks an event without a numeric EventID.</summary>
    private const long NoEventId = long.MinValue;

    private sealed class Worker : CountingWorker
    {
        private readonly Dictionary<EidKey, Tally> _eid = [], _eidTotal = [];
        private readonly Dictionary<int, Tally> _computer = [], _computerTotal = [];
        private readonly Dictionary<int, Tally> _channel = [], _channelTotal = [];

        public override void BeginPartition() { _eid.Clear(); _computer.Clear(); _channel.Clear(); }

        public override void Count(Event e)
        {
            long t = e.TimestampTicks;
            long eid = MetricFields.EventId.TryGetNumber(e, out long n) ? n : NoEventId;
            int channel = MetricFields.Channel.Text(e, Texts);
            int provider = MetricFields.Provider.Text(e, Texts);
            int computer = MetricFields.Computer.Text(e, Texts);
            Tally(_eid, new EidKey(eid, channel, provider), t);
            Tally(_computer, computer, t);
            Tally(_channel, channel, t);
        }

        public override void CommitPartition()
        {
            Merge(_eid, _eidTotal);
            Merge(_computer, _computerTotal);
            Merge(_channel, _channelTotal);
        }

        internal override int Distinct => _eidTotal.Count + _computerTotal.Count + _channelTotal.Count;
        internal override int Tables => 3;
        protected override void ClearTotals() { _eidTotal.Clear(); _computerTotal.Clear(); _channelTotal.Clear(); }

        internal override IEnumerable<(string[] Key, Tally Tally)> Totals(int table)
        {
            switch (table)
            {
                case 0: foreach (var (k, v) in _eidTotal) yield return (EidText(k, Texts), v); break;
                case 1: foreach (var (k, v) in _computerTotal) yield return ([Texts[k]], v); break;
                default: foreach (var (k, v) in _channelTotal) yield return ([Texts[k]], v); break;
            }
        }
    }

    private static string[] EidText(EidKey k, FieldText texts) =>
        [k.EventId == NoEventId ? "" : k.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture), texts[k.Channel], texts[k.Provider]];

    public static EventMetricsResult Count(IReadOnlyList<InputFile> files, IDiagnostics diagnostics, int? degree = null,
        Action<ReadStats>? onProgress = null)
    {
        var stats = new ReadStats();
        var workers = CountingPass.Run(files, stats, () => new Worker(), diagnostics, degree, onProgress);
        return new EventMetricsResult(stats,
            Tables.Build("events per EventID", EventIdColumns, workers, 0),
            Tables.Build("events per computer", ComputerColumns, workers, 1),
            Tables.Build("events per channel", ChannelColumns, workers, 2));
    }
}
