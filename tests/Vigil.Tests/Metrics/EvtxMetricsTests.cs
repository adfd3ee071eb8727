using Vigil.Tests.Evtx;
using Xunit.Abstractions;
using static Vigil.Tests.Metrics.MetricsSupport;

namespace Vigil.Tests.Metrics;

/// <summary><c>vigil metrics</c> on real EVTX files against counts taken from libevtx's evtxexport output.</summary>
public sealed class EvtxMetricsTests(ITestOutputHelper output)
{
    /// <summary>Security (a 3,561-event password guess run), Application, System, Sysmon and PowerShell logs, and
    /// files where Vigil recovers slack-space records.</summary>
    private static readonly string[] Folders = ["DeepBlueCLI", Path.Combine("EVTX-ATTACK-SAMPLES", "Credential Access")];

    private static string[] Files() => Folders
        .SelectMany(f => Directory.GetFiles(EvtxTestSupport.Sample(f), "*.evtx"))
        .OrderBy(f => f, StringComparer.Ordinal).ToArray();

    private sealed record Expected(Dictionary<string, long> ByEventId, Dictionary<string, long> ByComputer, Dictionary<string, long> ByChannel, long Total, int Recovered);

    /// <summary>Counts from evtxexport (allocated records) plus the slack-space records only Vigil recovers, which the
    /// EVTX parity test already checks against libevtx's own recovery.</summary>
    private static Expected Independent(string[] files)
    {
        var rows = new List<(string EventId, string Channel, string Provider, string Computer)>();
        int recovered = 0;
        var perFile = new (string, string, string, string)[files.Length][];
        Parallel.For(0, files.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var lib = EvtxExport(files[i]).Select(e => (Sys(e, "EventID"), Sys(e, "Channel"), Provider(e), Sys(e, "Computer")));
            var extra = VigilRecovered(files[i]);
            Interlocked.Add(ref recovered, extra.Count);
            perFile[i] = lib.Concat(extra).ToArray();
        });
        foreach (var f in perFile) rows.AddRange(f);
        return new Expected(
            Count(rows, r => $"{r.EventId}|{r.Channel}|{r.Provider}"),
            Count(rows, r => r.Computer),
            Count(rows, r => r.Channel),
            rows.Count, recovered);
    }

    [Fact]
    public void Counts_per_eventid_computer_and_channel_match_evtxexport()
    {
        var files = Files();
        Assert.True(files.Length >= 40, $"expected the DeepBlueCLI and Credential Access samples, found {files.Length}");
        var expected = Independent(files);
        string[] inputs = Folders.Select(EvtxTestSupport.Sample).ToArray();

        var (eidRoot, eid) = RunJson(["metrics", .. inputs, "--by", "eventid", "--format", "json", "--threads", "2"]);
        SameCounts(expected.ByEventId, eid.ToDictionary(r => $"{r["event_id"]}|{r["channel"]}|{r["provider"]}", r => long.Parse(r["count"])), "per EventID");
        Assert.Equal(expected.Total, eidRoot.GetProperty("total").GetInt64());

        var (_, computers) = RunJson(["metrics", .. inputs, "--by", "computer", "--format", "json"]);
        SameCounts(expected.ByComputer, computers.ToDictionary(r => r["computer"], r => long.Parse(r["count"])), "per computer");

        var (_, channels) = RunJson(["metrics", .. inputs, "--by", "channel", "--format", "json", "--threads", "1"]);
        SameCounts(expected.ByChannel, channels.ToDictionary(r => r["channel"], r => long.Parse(r["count"])), "per channel");

        output.WriteLine($"{files.Length} files, {expected.Total} events ({expected.Recovered} recovered from slack space by Vigil only), " +
                         $"{eid.Count} EventID rows, {computers.Count} computers, {channels.Count} channels");
    }

    [Fact]
    public void Rows_are_sorted_by_count_and_percentages_add_up()
    {
        var (root, rows) = RunJson("metrics", EvtxTestSupport.Sample("DeepBlueCLI"), "--format", "json");
        long total = root.GetProperty("total").GetInt64();
        var counts = rows.Select(r => long.Parse(r["count"])).ToList();
        Assert.Equal(total, counts.Sum());
        for (int i = 1; i < counts.Count; i++) Assert.True(counts[i - 1] >= counts[i], $"row {i} out of order");
        foreach (var r in rows)
        {
            // JSON gives the percentage rounded to 4 decimals.
            double exact = long.Parse(r["count"]) * 100.0 / total;
            double shown = double.Parse(r["percent"], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(exact - shown) <= 0.00005 + 1e-12, $"{r["event_id"]}: {shown}% shown, {exact}% exact");
        }
        // The password-guessing log dominates the folder: 4625 comes first.
        Assert.Equal("4625", rows[0]["event_id"]);
    }

    [Fact]
    public void Table_and_csv_carry_the_same_rows_as_json()
    {
        string input = EvtxTestSupport.Sample("DeepBlueCLI");
        var (_, rows) = RunJson("metrics", input, "--format", "json", "--by", "computer");
        var csv = Cli.CliRunner.Run("metrics", input, "--format", "csv", "--by", "computer");
        Assert.Equal(0, csv.ExitCode);
        var lines = csv.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Computer,Count,Percent,First,Last", lines[0]);
        Assert.Equal(rows.Count, lines.Length - 1);
        for (int i = 0; i < rows.Count; i++) Assert.StartsWith($"{rows[i]["computer"]},{rows[i]["count"]},", lines[i + 1]);
        var table = Cli.CliRunner.Run("metrics", input, "--by", "computer");
        Assert.Equal(0, table.ExitCode);
        foreach (var r in rows) Assert.Contains(r["computer"], table.Out);
    }

    [Fact]
    public void Exit_codes_follow_the_contract()
    {
        Assert.Equal(1, Cli.CliRunner.Run("metrics").ExitCode);
        Assert.Equal(1, Cli.CliRunner.Run("metrics", EvtxTestSupport.Sample("DeepBlueCLI"), "--by", "user").ExitCode);
        Assert.Equal(1, Cli.CliRunner.Run("logons", EvtxTestSupport.Sample("DeepBlueCLI"), "--format", "xml").ExitCode);
        var dir = Cli.CliRunner.TempDir("metrics-empty");
        File.WriteAllBytes(Path.Combine(dir, "junk.evtx"), new byte[8192]);
        Assert.Equal(2, Cli.CliRunner.Run("metrics", dir).ExitCode);
        Assert.Equal(2, Cli.CliRunner.Run("logons", Path.Combine(dir, "missing.evtx")).ExitCode);
    }
}
