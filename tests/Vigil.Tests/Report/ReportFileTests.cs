using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vigil.Engine.Hunting;
using Vigil.Engine.Pipeline;
using Vigil.Events;
using Vigil.Outputs;
using Vigil.Outputs.Report;
using Vigil.Rules;
using Vigil.Tests.Cli;

namespace Vigil.Tests.Report;

/// <summary>The report file without a browser: data escaping, the policy's hashes, and that the sink keeps no detections.</summary>
public class ReportFileTests
{
    [Theory]
    [InlineData("</script><script>alert(1)</script>")]
    [InlineData("<!-- <script> -->")]
    [InlineData("a & b &amp; c > d")]
    [InlineData("line\u2028sep\u2029para")]
    [InlineData("C:\\Windows\\\"quoted\"\n\ttab \u00e9\u4e2d\ud83d\ude00")]
    public void Escaped_json_has_no_markup_characters_and_means_the_same(string value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { [value] = value },
            new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var ms = new MemoryStream();
        HtmlReportSink.WriteEscaped(json, ms, newlinesToSpace: false);
        var escaped = ms.ToArray();
        string text = Encoding.UTF8.GetString(escaped);
        Assert.DoesNotContain('<', text);
        Assert.DoesNotContain('>', text);
        Assert.DoesNotContain('&', text);
        Assert.DoesNotContain('\u2028', text);
        Assert.DoesNotContain('\u2029', text);
        var back = JsonSerializer.Deserialize<Dictionary<string, string>>(escaped)!;
        Assert.Equal(value, Assert.Single(back).Key);
        Assert.Equal(value, back[value]);
    }

    [Fact]
    public void The_policy_hashes_are_those_of_the_inline_script_and_style_and_nothing_else_is_allowed()
    {
        var dir = CliRunner.TempDir("report-file");
        string report = Path.Combine(dir, "r.html");
        using (var sink = new HtmlReportSink(report))
            sink.Complete(new HuntSummary([], new ReadStats(), [], 0, 0, new Dictionary<string, long>(), [], DateTime.UtcNow, TimeSpan.Zero));
        string html = File.ReadAllText(report);
        string csp = Regex.Match(html, "http-equiv=\"Content-Security-Policy\" content=\"([^\"]*)\"").Groups[1].Value;
        string script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        string style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;
        Assert.NotEmpty(script);
        Assert.NotEmpty(style);
        static string Hash(string s) => "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(s))) + "'";
        Assert.Equal($"default-src 'none'; script-src {Hash(script)}; style-src {Hash(style)}; img-src data:; base-uri 'none'; form-action 'none'", csp);
        // The page's own script uses no markup sinks at all.
        Assert.DoesNotMatch(@"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function", script);
    }

    [Fact]
    public void The_sink_keeps_no_detection_after_Add()
    {
        var dir = CliRunner.TempDir("report-memory");
        var rule = new SigmaRule { Id = "r", Title = "t", Level = "high" };
        using var sink = new HtmlReportSink(Path.Combine(dir, "r.html"));
        var refs = new List<WeakReference>();
        for (int i = 1; i <= 100; i++) refs.Add(AddOne(sink, rule, i));
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(refs, r => Assert.False(r.IsAlive));
        sink.Complete(new HuntSummary([], new ReadStats(), [], 1, 100, new Dictionary<string, long>(), [], DateTime.UtcNow, TimeSpan.Zero));
        Assert.Contains("\"rows\":100", File.ReadAllText(Path.Combine(dir, "r.html")));
    }

    [Fact]
    public void A_folder_as_report_path_is_a_usage_error_before_the_hunt()
    {
        var dir = CliRunner.TempDir("report-folder");
        File.WriteAllText(Path.Combine(dir, "e.jsonl"), "{\"EventID\":1}\n");
        var r = CliRunner.Run("hunt", Path.Combine(dir, "e.jsonl"), "--report", dir, "-f", "jsonl");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--report", r.Error);
        Assert.Contains("is a folder", r.Error);
    }

    /// <summary>The report embeds the earliest rows of each rule up to its cap, and every detection a campaign's step,
    /// movement or theft names, with only their events: each embedded row and its event are those of the same detection in
    /// the report without a cap, and the counts per rule are of every detection.</summary>
    [Fact]
    public void A_capped_report_embeds_the_earliest_rows_of_each_rule_and_every_row_a_campaign_names()
    {
        var dir = CliRunner.TempDir("report-cap");
        Assert.Equal(0, CliRunner.Run("simulate", "--out", dir, "--scenario", "machine", "--events", "20000", "--seed", "3").ExitCode);
        string logs = Path.Combine(dir, "logs"), capped = Path.Combine(dir, "capped.html"), full = Path.Combine(dir, "full.html");
        var a = CliRunner.Run("hunt", logs, "-f", "jsonl", "-o", Path.Combine(dir, "d.jsonl"), "--campaigns", Path.Combine(dir, "c.json"),
            "--report", capped, "--report-rows-per-rule", "3");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, CliRunner.Run("hunt", logs, "-f", "jsonl", "-o", Path.Combine(dir, "d2.jsonl"), "--report", full,
            "--report-rows-per-rule", "0", "--report-max-rows", "0").ExitCode);
        var (cMeta, cRows, cEvents) = Blocks(capped);
        var (fMeta, fRows, fEvents) = Blocks(full);
        long total = File.ReadLines(Path.Combine(dir, "d.jsonl")).LongCount();
        Assert.Equal(total, fRows.Count);
        Assert.Equal(total, cMeta.GetProperty("rows_total").GetInt64());
        Assert.Equal(3, cMeta.GetProperty("rows_per_rule").GetInt32());
        Assert.True(cRows.Count < total * 2 / 3, $"{cRows.Count} of {total} rows embedded");

        // Every row a campaign names is embedded.
        var pinned = new HashSet<long>();
        foreach (var c in cMeta.GetProperty("campaigns").EnumerateArray())
        {
            foreach (var step in c.GetProperty("steps").EnumerateArray()) pinned.Add(step[8].GetInt64());
            foreach (var l in c.GetProperty("links").EnumerateArray()) foreach (var id in l.GetProperty("detections").EnumerateArray()) pinned.Add(id.GetInt64());
            foreach (var t in c.GetProperty("theft").EnumerateArray()) foreach (var id in t.GetProperty("detections").EnumerateArray()) pinned.Add(id.GetInt64());
        }
        var ids = cRows.Select(r => r[0].GetInt64()).ToHashSet();
        Assert.True(pinned.Count > 20, $"only {pinned.Count} detections named by campaigns");
        Assert.Subset(ids, pinned);

        // The others: the earliest 3 of each rule (output order), and the rules' counts are of every row.
        var fullByRule = fRows.GroupBy(r => fMeta.GetProperty("rules")[r[2].GetInt32()][0].GetString()!).ToDictionary(g => g.Key, g => g.Select(r => r[0].GetInt64()).ToList());
        var cappedByRule = cRows.Where(r => !pinned.Contains(r[0].GetInt64()))
            .GroupBy(r => cMeta.GetProperty("rules")[r[2].GetInt32()][0].GetString()!).ToDictionary(g => g.Key, g => g.Select(r => r[0].GetInt64()).ToList());
        Assert.Contains(fullByRule, kv => kv.Value.Count(id => !pinned.Contains(id)) > 100);
        foreach (var (rule, all) in fullByRule)
            Assert.Equal(all.Where(id => !pinned.Contains(id)).Take(3), cappedByRule.GetValueOrDefault(rule) ?? []);
        foreach (var r in cMeta.GetProperty("rules").EnumerateArray())
            Assert.Equal(fullByRule[r[0].GetString()!].Count, r[5].GetInt64());

        // Each embedded row equals its row in the full report, and its event is the same event; events are those rows show.
        var fullRow = fRows.ToDictionary(r => r[0].GetInt64());
        string S(JsonElement meta, int k) => meta.GetProperty("strings")[k].GetString()!;
        foreach (var r in cRows)
        {
            var f = fullRow[r[0].GetInt64()];
            Assert.Equal(f[1].ToString(), r[1].ToString());
            Assert.Equal(S(fMeta, f[3].GetInt32()), S(cMeta, r[3].GetInt32()));
            Assert.Equal(f[5].ToString() + f[6] + f[8], r[5].ToString() + r[6] + r[8]);
            Assert.Equal(fEvents[f[9].GetInt32()], cEvents[r[9].GetInt32()]);
        }
        Assert.Equal(cRows.Select(r => r[9].GetInt32()).Distinct().Count(), cEvents.Count);
        Assert.Equal(cEvents.Count, cMeta.GetProperty("events").GetInt32());
        Assert.Equal(Enumerable.Range(0, cEvents.Count), cRows.Select(r => r[9].GetInt32()).Distinct());

        // A total cap of 10 (besides the campaigns' rows).
        string ten = Path.Combine(dir, "ten.html");
        Assert.Equal(0, CliRunner.Run("hunt", logs, "-f", "jsonl", "-o", Path.Combine(dir, "d3.jsonl"), "--report", ten, "--report-max-rows", "10").ExitCode);
        var (tMeta, tRows, _) = Blocks(ten);
        Assert.Subset(tRows.Select(r => r[0].GetInt64()).ToHashSet(), pinned);
        Assert.Equal(10, tRows.Count(r => !pinned.Contains(r[0].GetInt64())));
        Assert.Equal(total, tMeta.GetProperty("rows_total").GetInt64());

        // The top 2 campaigns only: the rows the others name are embedded only under the caps.
        string two = Path.Combine(dir, "two.html");
        Assert.Equal(0, CliRunner.Run("hunt", logs, "-f", "jsonl", "-o", Path.Combine(dir, "d4.jsonl"), "--report", two, "--report-max-campaigns", "2",
            "--report-rows-per-rule", "3").ExitCode);
        var (wMeta, wRows, _) = Blocks(two);
        var allCampaigns = cMeta.GetProperty("campaigns").EnumerateArray().ToList();
        Assert.True(allCampaigns.Count > 2, $"{allCampaigns.Count} campaigns");
        Assert.Equal(allCampaigns.Count, wMeta.GetProperty("campaigns_total").GetInt32());
        Assert.Equal(allCampaigns.Take(2).Select(c => c.GetProperty("id").GetString()), wMeta.GetProperty("campaigns").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var topSteps = allCampaigns.Take(2).SelectMany(c => c.GetProperty("steps").EnumerateArray().Select(st => st[8].GetInt64())).ToHashSet();
        Assert.Subset(wRows.Select(r => r[0].GetInt64()).ToHashSet(), topSteps);
        Assert.True(wRows.Count < cRows.Count, $"{wRows.Count} rows with 2 campaigns, {cRows.Count} with all");

        var bad = CliRunner.Run("hunt", logs, "--report", ten, "--report-max-rows", "-1");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--report-max-rows", bad.Error);
    }

    /// <summary>The report's meta, rows and event lines.</summary>
    private static (JsonElement Meta, List<JsonElement> Rows, List<string> Events) Blocks(string report)
    {
        string html = File.ReadAllText(report);
        string Block(string id) => Regex.Match(html, $"<script type=\"application/json\" id=\"{id}\">(.*?)</script>", RegexOptions.Singleline).Groups[1].Value;
        var meta = JsonDocument.Parse(Block("vigil-meta")).RootElement;
        var rows = JsonDocument.Parse(Block("vigil-rows")).RootElement.EnumerateArray().ToList();
        var events = Block("vigil-events").Split('\n').Skip(1).SkipLast(1).Select(l => l.TrimEnd(',')).ToList();
        return (meta, rows, events);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference AddOne(HtmlReportSink sink, SigmaRule rule, int i)
    {
        var d = new Detection
        {
            Rule = rule, TimestampTicks = DateTime.UnixEpoch.AddSeconds(i).Ticks, Computer = "H", Channel = "C",
            Origin = new EventOrigin("s", 0, i),
            Fields = [new EventField("CommandLine", FieldValue.FromString(new string('x', 1000) + i))],
        };
        sink.Add(i, d);
        return new WeakReference(d);
    }
}
