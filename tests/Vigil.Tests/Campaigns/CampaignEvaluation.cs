using System.Globalization;
using System.Text;
using System.Text.Json;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// Scores campaigns against a simulation's truth.json. A campaign is a true positive when it is kind "intrusion" and its
/// hosts overlap truth's compromised hosts, a false positive when it is an intrusion otherwise. Detections are labelled
/// by (file, line) from truth's intrusionEvents and benignLookalikes.
/// </summary>
public sealed record ScenarioRun(string Scenario, int Seed, string TruthOperator, int Compromised, int CampaignCount, int Intrusions, int TruePositives,
    int FalsePositives, double HostRecall, bool TopIsTrue, string TopOperator, double TopConfidence, int TopDetections, int TopIntrusionDetections,
    int BenignInTrue, int IntrusionDetections, int IntrusionDetectionsCaught, string TopHosts, string TopEvidence, double HuntSeconds)
{
    public bool HasIntrusion => Compromised > 0;
    public bool OperatorRight => !HasIntrusion || TopOperator == TruthOperator;

    public static ScenarioRun Run(string scenario, int seed, int events = 10000)
    {
        var dir = CliRunner.TempDir($"eval-{scenario}-{seed}");
        var sim = CliRunner.Run("simulate", "--scenario", scenario, "--out", dir, "--events", events.ToString(CultureInfo.InvariantCulture),
            "--seed", seed.ToString(CultureInfo.InvariantCulture));
        Assert.True(sim.ExitCode == 0, sim.Error);
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "truth.json"))).RootElement;
        var logs = Path.Combine(dir, "logs");
        var campaignsPath = Path.Combine(dir, "campaigns.json");
        var detPath = Path.Combine(dir, "det.jsonl");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var hunt = CliRunner.Run("hunt", logs, "--format", "jsonl", "--output", detPath, "--campaigns", campaignsPath, "--quiet");
        double seconds = clock.Elapsed.TotalSeconds;
        Assert.True(hunt.ExitCode == 0, hunt.Error);

        static string Host(string fqdn) => fqdn.Split('.')[0].ToUpperInvariant();
        var compromised = truth.GetProperty("compromisedHosts").EnumerateArray().Select(h => Host(h.GetString()!)).ToHashSet();
        string op = truth.TryGetProperty("operator", out var o) ? o.GetString() ?? "" : "";
        HashSet<(string, long)> Labels(string key) => truth.TryGetProperty(key, out var arr)
            ? arr.EnumerateArray().Where(e => e.TryGetProperty("line", out _)).Select(e => (e.GetProperty("file").GetString()!.Replace('\\', '/'), e.GetProperty("line").GetInt64())).ToHashSet()
            : [];
        var intrusionEvents = Labels("intrusionEvents");
        var benignEvents = Labels("benignLookalikes");
        var label = new Dictionary<long, string>();
        foreach (var line in File.ReadLines(detPath))
        {
            var d = JsonDocument.Parse(line).RootElement;
            var rel = Path.GetRelativePath(logs, d.GetProperty("source").GetString()!).Replace('\\', '/');
            long ln = d.TryGetProperty("line", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt64() : 0;
            label[d.GetProperty("id").GetInt64()] = intrusionEvents.Contains((rel, ln)) ? "intrusion" : benignEvents.Contains((rel, ln)) ? "benign" : "background";
        }

        var campaigns = JsonDocument.Parse(File.ReadAllText(campaignsPath)).RootElement.GetProperty("campaigns").EnumerateArray().ToList();
        bool IsTrue(JsonElement c) => c.GetProperty("kind").GetString() == "intrusion" && EventSet.Strings(c, "hosts").Any(compromised.Contains);
        var intrusions = campaigns.Where(c => c.GetProperty("kind").GetString() == "intrusion").ToList();
        var trues = intrusions.Where(IsTrue).ToList();
        var trueHosts = trues.SelectMany(c => EventSet.Strings(c, "hosts")).ToHashSet();
        var trueIds = trues.SelectMany(EventSet.Ids).ToHashSet();
        var top = campaigns.FirstOrDefault();
        var topIds = top.ValueKind == JsonValueKind.Object ? EventSet.Ids(top) : [];
        return new ScenarioRun(scenario, seed, op, compromised.Count, campaigns.Count, intrusions.Count, trues.Count, intrusions.Count - trues.Count,
            compromised.Count == 0 ? 1 : compromised.Count(trueHosts.Contains) / (double)compromised.Count,
            top.ValueKind == JsonValueKind.Object && IsTrue(top),
            top.ValueKind == JsonValueKind.Object ? top.GetProperty("operator").GetProperty("kind").GetString()! : "",
            top.ValueKind == JsonValueKind.Object ? top.GetProperty("operator").GetProperty("confidence").GetDouble() : 0,
            topIds.Count, topIds.Count(id => label.GetValueOrDefault(id) == "intrusion"),
            trueIds.Count(id => label.GetValueOrDefault(id) == "benign"),
            label.Values.Count(v => v == "intrusion"), label.Count(kv => kv.Value == "intrusion" && trueIds.Contains(kv.Key)),
            top.ValueKind == JsonValueKind.Object ? string.Join(",", EventSet.Strings(top, "hosts")) : "",
            top.ValueKind == JsonValueKind.Object ? Evidence(top) : "", seconds);
    }

    private static string Evidence(JsonElement c)
    {
        var ev = c.GetProperty("operator").GetProperty("evidence");
        string[] keys = ["commands_per_second_sustained", "median_gap_seconds", "parallel_hosts", "hosts_swept_5min", "failed_logon_bursts", "pause_count"];
        return string.Join(" ", keys.Select(k => ev.TryGetProperty(k, out var v) ? $"{k}={v.GetDouble().ToString("0.##", CultureInfo.InvariantCulture)}" : ""));
    }

    public static string Markdown(IReadOnlyList<ScenarioRun> runs)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| scenario | seed | campaigns | intrusion campaigns | TP | FP | compromised hosts covered | top is the intrusion | top operator (truth) | top: intrusion dets / dets | benign dets in TP | intrusion dets caught | hunt s |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Seed} | {r.CampaignCount} | {r.Intrusions} | {r.TruePositives} | {r.FalsePositives} | {(r.HasIntrusion ? $"{r.HostRecall:P0}" : "n/a")} | {(r.HasIntrusion ? (r.TopIsTrue ? "yes" : "NO") : "n/a")} | {(r.HasIntrusion ? $"{r.TopOperator} {r.TopConfidence:0.00} ({r.TruthOperator})" : "n/a")} | {(r.HasIntrusion ? $"{r.TopIntrusionDetections}/{r.TopDetections}" : "n/a")} | {r.BenignInTrue} | {r.IntrusionDetectionsCaught}/{r.IntrusionDetections} | {r.HuntSeconds:0.00} |"));
        int tp = runs.Sum(r => r.TruePositives), fp = runs.Sum(r => r.FalsePositives);
        int withIntrusion = runs.Count(r => r.HasIntrusion), found = runs.Count(r => r.HasIntrusion && r.TruePositives > 0);
        int opRight = runs.Count(r => r.HasIntrusion && r.OperatorRight);
        sb.AppendLine();
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"Campaign precision {tp}/{tp + fp} = {(tp + fp == 0 ? 1 : tp / (double)(tp + fp)):P1}; recall (runs with an intrusion where a true campaign was found) {found}/{withIntrusion} = {(withIntrusion == 0 ? 1 : found / (double)withIntrusion):P1}; " +
            $"compromised-host recall {runs.Where(r => r.HasIntrusion).Select(r => r.HostRecall).DefaultIfEmpty(1).Average():P1}; top campaign is the intrusion in {runs.Count(r => r.HasIntrusion && r.TopIsTrue)}/{withIntrusion}; " +
            $"operator verdict right in {opRight}/{withIntrusion}; benign-lookalike detections inside true campaigns: {runs.Sum(r => r.BenignInTrue)}."));
        return sb.ToString();
    }
}
