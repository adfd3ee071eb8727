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

        public Dictionary<EidKey, Tally> EventIds => _eidTotal;
        public Dictionary<int, Tally> Computers => _computerTotal;
        public Dictionary<int, Tally> Channels => _channelTotal;

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
    }

    public static EventMetricsResult Count(IReadOnlyList<InputFile> files, IDiagnostics diagnostics, int? degree = null,
        Action<ReadStats>? onProgress = null)
    {
        var stats = new ReadStats();
        var workers = CountingPass.Run(files, stats, () => new Worker(), diagnostics, degree, onProgress);
        var eid = new Dictionary<string[], Tally>(KeyComparer.Instance);
        var computer = new Dictionary<string[], Tally>(KeyComparer.Instance);
        var channel = new Dictionary<string[], Tally>(KeyComparer.Instance);
        foreach (var w in workers)
        {
            foreach (var (k, v) in w.EventIds)
                Add(eid, [k.EventId == NoEventId ? "" : k.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture), w.Texts[k.Channel], w.Texts[k.Provider]], v);
            foreach (var (k, v) in w.Computers) Add(computer, [w.Texts[k]], v);
            foreach (var (k, v) in w.Channels) Add(channel, [w.Texts[k]], v);
        }
        return new EventMetricsResult(stats,
            Tables.Build("events per EventID", EventIdColumns, eid),
            Tables.Build("events per computer", ComputerColumns, computer),
            Tables.Build("events per channel", ChannelColumns, channel));
    }

    private static void Add(Dictionary<string[], Tally> d, string[] key, in Tally v) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(d, key, out _).Add(v);
}
