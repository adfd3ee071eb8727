using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Readers;

namespace Vigil.Engine.Metrics;

/// <summary>What <see cref="LogonSummary.Count"/> found: one row per distinct logon shape, and the totals.</summary>
public sealed record LogonSummaryResult(ReadStats Stats, CountTable Logons, long Successful, long Failed);

/// <summary>
/// Logons like Hayabusa's logon-summary: Security events 4624 (an account was successfully logged on) and 4625
/// (an account failed to log on), grouped by result, target account (TargetDomainName\TargetUserName), logon type,
/// source address (IpAddress), source workstation (WorkstationName) and the computer logged on to, each with a
/// count and first/last time. An event counts when its EventID is 4624 or 4625 and its channel is Security (or it
/// names no channel, as some JSON exports do); other channels reuse those numbers for other things.
/// </summary>
public static class LogonSummary
{
    public static readonly string[] Columns = ["Result", "TargetAccount", "LogonType", "SourceAddress", "Workstation", "Computer"];
    public const string Success = "success";
    public const string Failure = "failed";

    private readonly record struct LogonKey(bool Ok, int Account, int LogonType, int Address, int Workstation, int Computer);

    private sealed class Worker : CountingWorker
    {
        private readonly Dictionary<LogonKey, Tally> _pending = [], _total = [];

        public override void BeginPartition() => _pending.Clear();

        public override void Count(Event e)
        {
            if (!MetricFields.EventId.TryGetNumber(e, out long eid) || eid is not (4624 or 4625)) return;
            if (MetricFields.Channel.TryGet(e, out var ch) && !IsSecurity(ch)) return;
            MetricFields.TargetDomainName.TryGet(e, out var domain);
            MetricFields.TargetUserName.TryGet(e, out var user);
            var key = new LogonKey(eid == 4624, Texts.Account(domain, user), MetricFields.LogonType.Text(e, Texts),
                MetricFields.IpAddress.Text(e, Texts), MetricFields.WorkstationName.Text(e, Texts), MetricFields.Computer.Text(e, Texts));
            Tally(_pending, key, e.TimestampTicks);
        }

        private static bool IsSecurity(in FieldValue channel) =>
            channel.IsText ? channel.TextSpan.Equals("Security", StringComparison.OrdinalIgnoreCase) : channel.ToString() == "Security";

        public override void CommitPartition() => Merge(_pending, _total);

        internal override int Distinct => _total.Count;
        internal override int Tables => 1;
        protected override void ClearTotals() => _total.Clear();

        internal override IEnumerable<(string[] Key, Tally Tally)> Totals(int table)
        {
            foreach (var (k, v) in _total) yield return (KeyOf(k, Texts), v);
        }
    }

    private static string[] KeyOf(LogonKey k, FieldText texts) =>
        [k.Ok ? Success : Failure, texts[k.Account], texts[k.LogonType], texts[k.Address], texts[k.Workstation], texts[k.Computer]];

    public static LogonSummaryResult Count(IReadOnlyList<InputFile> files, IDiagnostics diagnostics, int? degree = null,
        Action<ReadStats>? onProgress = null)
    {
        var stats = new ReadStats();
        var workers = CountingPass.Run(files, stats, () => new Worker(), diagnostics, degree, onProgress);
        var table = Tables.Build("logons", Columns, workers, 0);
        long ok = table.Rows.Where(r => r.Key[0] == Success).Sum(r => r.Count);
        return new LogonSummaryResult(stats, table, ok, table.Total - ok);
    }
}
