using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vigil.Tests.Cli;
using Xunit.Abstractions;

namespace Vigil.Tests.Report;

/// <summary>One headless Chromium for all report tests (starting one takes a second or two).</summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public HeadlessChromium Browser { get; private set; } = null!;
    public async Task InitializeAsync() => Browser = await HeadlessChromium.LaunchAsync();
    public async Task DisposeAsync() => await Browser.DisposeAsync();
}

[CollectionDefinition("chromium")]
public sealed class ChromiumCollection : ICollectionFixture<ChromiumFixture>;

/// <summary>
/// <c>vigil hunt ... --report FILE.html</c> opened in a real browser (Debian's chromium, driven over CDP): the page
/// renders every section from a real hunt without console errors and without a single network request; attacker text
/// in events stays text; 100,000 detections load, filter and sort.
/// </summary>
[Collection("chromium")]
public class ReportBrowserTests(ChromiumFixture chromium, ITestOutputHelper output)
{
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(120);

    private static string ScreenshotDir
    {
        get
        {
            var d = Path.Combine(AppContext.BaseDirectory, "report-screenshots");
            Directory.CreateDirectory(d);
            return d;
        }
    }

    private async Task<ChromiumPage> OpenAsync(string report)
    {
        var page = await chromium.Browser.NewPageAsync();
        await page.GotoAsync(new Uri(report).AbsoluteUri, Load);
        await page.WaitForAsync("window.__vigil && window.__vigil.ready", Load);
        return page;
    }

    /// <summary>Only the report itself was loaded: no request for anything else, of any scheme.</summary>
    private static void AssertOnlyTheDocumentWasRequested(ChromiumPage page, string report)
    {
        string url = new Uri(report).AbsoluteUri;
        Assert.NotEmpty(page.Requests); // the listener works: it saw the document itself
        Assert.All(page.Requests, u => Assert.Equal(url, u));
    }

    /// <summary>Types into the search box as a user would and waits for the table to apply it.</summary>
    private static async Task<long> SearchAsync(ChromiumPage page, string text)
    {
        long before = (await page.EvalAsync("window.__vigil.applied")).GetInt64();
        await page.EvalAsync($$"""
            (() => { const s = document.getElementById('search'); s.value = {{JsonSerializer.Serialize(text)}};
                     s.dispatchEvent(new Event('input', { bubbles: true })); })()
            """);
        await page.WaitForAsync($"window.__vigil.applied > {before}", Load);
        return (await page.EvalAsync("window.__vigil.shown")).GetInt64();
    }

    /// <summary>The cells of the rendered table rows, top to bottom.</summary>
    private static async Task<List<string[]>> VisibleRowsAsync(ChromiumPage page)
    {
        var v = await page.EvalAsync("""
            [...document.querySelectorAll('#viewport .row.data')].filter(r => r.style.display !== 'none')
              .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
              .map(r => [...r.children].map(c => c.textContent))
            """);
        return v.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetString()!).ToArray()).ToList();
    }

    /// <summary>The heat map's cells: "tactic/technique" → the count shown.</summary>
    private static async Task<Dictionary<string, long>> HeatCellsAsync(ChromiumPage page)
    {
        var cells = await page.EvalAsync("""
            (() => { const t = document.querySelector('#heatmap table.heat'); const heads = [...t.rows[0].cells].map(c => c.firstChild.textContent);
                     const out = {}; [...t.rows[1].cells].forEach((td, i) => [...td.querySelectorAll('.cell')].forEach(c => {
                        const m = /^(.*)  ([\d,]+)$/.exec(c.textContent); out[heads[i] + '/' + m[1]] = Number(m[2].replace(/,/g, '')); }));
                     return out; })()
            """);
        return cells.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    /// <summary>(tactic, technique) → detections, as the heat map must count them from the rules' tags.</summary>
    private static readonly string[] Tactics =
    [
        "reconnaissance", "resource-development", "initial-access", "execution", "persistence", "privilege-escalation",
        "defense-evasion", "credential-access", "discovery", "lateral-movement", "collection", "command-and-control",
        "exfiltration", "impact",
    ];

    private static Dictionary<string, long> ExpectedHeat(IEnumerable<JsonElement> detections)
    {
        var heat = new Dictionary<string, long>();
        foreach (var d in detections)
        {
            var tags = d.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!.ToLowerInvariant()).ToList();
            var tac = tags.Where(t => t.StartsWith("attack.")).Select(t => t[7..].Replace('_', '-')).Where(Tactics.Contains).ToList();
            var tec = tags.Where(t => Regex.IsMatch(t, @"^attack\.t\d{4}(\.\d{3})?$")).Select(t => t[7..].ToUpperInvariant()).ToList();
            if (tac.Count == 0 && tec.Count == 0) continue;
            foreach (var a in tac.Count > 0 ? tac : ["(no tactic)"])
                foreach (var b in tec.Count > 0 ? tec : ["(no technique)"])
                    heat[$"{a}/{b}"] = heat.GetValueOrDefault($"{a}/{b}") + 1;
        }
        return heat;
    }

    [Fact]
    public async Task Report_of_a_simulated_hunt_renders_every_section_offline()
    {
        var dir = CliRunner.TempDir("report-sim");
        Assert.Equal(0, CliRunner.Run("simulate", "--out", dir, "--events", "3000", "--seed", "11").ExitCode);
        string report = Path.Combine(dir, "report.html"), jsonl = Path.Combine(dir, "detections.jsonl");
        string campaignsPath = Path.Combine(dir, "campaigns.json");
        var hunt = CliRunner.Run("hunt", Path.Combine(dir, "logs"), "--format", "jsonl", "--output", jsonl, "--report", report, "--campaigns", campaignsPath);
        Assert.Equal(0, hunt.ExitCode);
        var lines = File.ReadAllLines(jsonl);
        var detections = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(detections);

        await using var page = await OpenAsync(report);
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);

        // Table: every detection is a row; the first rows are the first detections, in output order.
        Assert.Equal(detections.Count, (await page.EvalAsync("window.__vigil.rows")).GetInt32());
        var rows = await VisibleRowsAsync(page);
        Assert.InRange(rows.Count, 10, 80); // virtualised: only what fits the viewport (plus a margin) is in the DOM
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((i + 1).ToString(), rows[i][0]);
            Assert.Equal(detections[i].GetProperty("rule_title").GetString(), rows[i][3]);
            Assert.Equal(detections[i].GetProperty("computer").GetString(), rows[i][4]);
            Assert.Equal(detections[i].GetProperty("timestamp").GetString()![..23].Replace('T', ' '), rows[i][1]);
        }

        // Heat map: each (tactic, technique) cell counts what the detections' tags say.
        var cells = await page.EvalAsync("""
            (() => { const t = document.querySelector('#heatmap table.heat'); const heads = [...t.rows[0].cells].map(c => c.firstChild.textContent);
                     const out = {}; [...t.rows[1].cells].forEach((td, i) => [...td.querySelectorAll('.cell')].forEach(c => {
                        const m = /^(.*)  ([\d,]+)$/.exec(c.textContent); out[heads[i] + '/' + m[1]] = Number(m[2].replace(/,/g, '')); }));
                     return out; })()
            """);
        var shown = cells.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
        var expected = ExpectedHeat(detections);
        Assert.NotEmpty(expected);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), shown.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // Charts: one bar per level with the hunt's counts; per-host sparklines exist.
        var levelBars = await page.EvalAsync("[...document.querySelectorAll('#chart-levels rect')].map(r => r.querySelector('title').textContent)");
        var levelCounts = detections.GroupBy(d => d.GetProperty("level").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(levelCounts.Count, levelBars.GetArrayLength());
        foreach (var t in levelBars.EnumerateArray())
        {
            var parts = t.GetString()!.Split(": ");
            Assert.Equal(levelCounts[parts[0]], int.Parse(parts[1].Replace(",", "")));
        }
        Assert.True((await page.EvalAsync("document.querySelectorAll('#chart-hosts rect.spark').length")).GetInt32() > 0);
        Assert.True((await page.EvalAsync("document.querySelectorAll('#chart-rules rect').length")).GetInt32() > 0);

        // What was read: every simulated log file and the event count the hunt reported.
        string read = await page.EvalStringAsync("document.getElementById('read-summary').textContent");
        var logFiles = Directory.GetFiles(Path.Combine(dir, "logs"), "*", SearchOption.AllDirectories);
        Assert.True(logFiles.Length >= 4);
        foreach (var f in logFiles) Assert.Contains(f, read);
        string events = Regex.Match(hunt.Error, @"over ([\d,]+) events").Groups[1].Value;
        Assert.NotEmpty(events);
        Assert.Contains("events" + events, read); // the "events" row of the summary table

        // Campaigns: the page shows what the builder wrote to --campaigns, in rank order.
        var campaigns = JsonDocument.Parse(File.ReadAllText(campaignsPath)).RootElement.GetProperty("campaigns").EnumerateArray().ToList();
        Assert.NotEmpty(campaigns);
        Assert.Equal(campaigns.Select(c => c.GetProperty("id").GetString()),
            (await page.EvalAsync("[...document.querySelectorAll('#campaign-list .campaign .cid')].map(e => e.textContent)")).EnumerateArray().Select(e => e.GetString()));
        // The simulated intrusion is the top campaign: its hosts are the compromised ones and its operator the simulated one.
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "truth.json"))).RootElement;
        var intrusion = campaigns[0];
        Assert.Equal("intrusion", intrusion.GetProperty("kind").GetString());
        var hosts = intrusion.GetProperty("hosts").EnumerateArray().Select(h => h.GetString()!).ToList();
        foreach (var h in truth.GetProperty("compromisedHosts").EnumerateArray())
            Assert.Contains(h.GetString()!.Split('.')[0].ToUpperInvariant(), hosts);
        var op = intrusion.GetProperty("operator");
        Assert.Equal(truth.GetProperty("operator").GetString(), op.GetProperty("kind").GetString());
        for (int i = 0; i < campaigns.Count; i++) await AssertCampaignCardAsync(page, i, campaigns[i]);

        await File.WriteAllBytesAsync(Path.Combine(ScreenshotDir, "simulated-hunt.png"), await ScreenshotCheckedAsync(page));

        // Search: a term matches a detection when its rule, host, channel, source or raw event contains it.
        foreach (var term in new[] { "fs01", "powershell", "lsass" })
        {
            long expectedRows = lines.Count(l => Contains(l, term));
            Assert.True(expectedRows > 0, term);
            Assert.Equal(expectedRows, await SearchAsync(page, term));
            rows = await VisibleRowsAsync(page);
            Assert.All(rows, r => Assert.True(Contains(lines[int.Parse(r[0]) - 1], term), $"row {r[0]} does not contain {term}"));
        }

        // Sorting by computer: the first row holds the (ordinally) smallest computer name among the matches.
        await SearchAsync(page, "");
        await page.EvalAsync("document.querySelectorAll('#table-head span')[4].click()");
        rows = await VisibleRowsAsync(page);
        string smallest = detections.Select(d => d.GetProperty("computer").GetString()!).Min(StringComparer.Ordinal)!;
        Assert.Equal(smallest, rows[0][4]);
        await page.EvalAsync("document.querySelectorAll('#table-head span')[4].click()"); // descending
        string largest = detections.Select(d => d.GetProperty("computer").GetString()!).Max(StringComparer.Ordinal)!;
        Assert.Equal(largest, (await VisibleRowsAsync(page))[0][4]);

        // Expanding a row shows every field of its raw event, value for value.
        await page.EvalAsync("document.querySelector('#viewport .row.data').click()");
        var row = (await VisibleRowsAsync(page))[0];
        var ev = detections[int.Parse(row[0]) - 1].GetProperty("event");
        var fields = await page.EvalAsync("[...document.querySelectorAll('#detail table.raw-fields tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])");
        var shownFields = fields.EnumerateArray().ToDictionary(f => f[0].GetString()!, f => f[1].GetString()!);
        Assert.Equal(ev.EnumerateObject().Count(), shownFields.Count);
        foreach (var p in ev.EnumerateObject())
            Assert.Equal(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText(), shownFields[p.Name]);

        // Arrow keys walk the rows: down from the selected first row opens the second one shown.
        await page.EvalAsync("document.getElementById('viewport').dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))");
        var second = (await VisibleRowsAsync(page))[1];
        Assert.StartsWith($"Detection {second[0]}: ", await page.EvalStringAsync("document.querySelector('#detail h3').textContent"));
        Assert.Equal(second[0], await page.EvalStringAsync("document.querySelector('#viewport .row.data.selected').children[0].textContent"));

        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
    }

    [Fact]
    public async Task Report_of_real_attack_recordings_shows_every_detection_and_event_field_as_hunted()
    {
        // Real Windows logs (EVTX-ATTACK-SAMPLES) hunted with the SigmaHQ rules: real field shapes (GUIDs, SIDs, hex,
        // binary, repeated Data items) and real ATT&CK tags.
        string samples = Path.Combine(TestPaths.Shared, "data", "evtx", "EVTX-ATTACK-SAMPLES");
        string rules = Path.Combine(TestPaths.Shared, "data", "sigma", "rules");
        var dir = CliRunner.TempDir("report-real");
        string report = Path.Combine(dir, "report.html"), jsonl = Path.Combine(dir, "d.jsonl");
        var clock = Stopwatch.StartNew();
        var hunt = CliRunner.Run("hunt", samples, "--rules", rules, "--format", "jsonl", "--output", jsonl, "--report", report, "--quiet");
        Assert.Equal(0, hunt.ExitCode);
        output.WriteLine($"hunt {clock.Elapsed.TotalSeconds:F1} s");
        var detections = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(detections.Count > 500, $"{detections.Count} detections");

        await using var page = await OpenAsync(report);
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
        Assert.Equal(detections.Count, (await page.EvalAsync("window.__vigil.rows")).GetInt32());

        Assert.Equal(ExpectedHeat(detections).OrderBy(kv => kv.Key, StringComparer.Ordinal), (await HeatCellsAsync(page)).OrderBy(kv => kv.Key, StringComparer.Ordinal));

        output.WriteLine($"opened {clock.Elapsed.TotalSeconds:F1} s");
        // Open every detection and read back its header and event fields (one evaluation for all).
        var shown = await page.EvalAsync("""
            (() => { const out = [];
              for (let id = 1; id <= window.__vigil.rows; id++) {
                window.__vigil.open(id);
                const head = document.querySelector('#detail h3').textContent;
                const kv = Object.fromEntries([...document.querySelectorAll('#detail table.kv tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent]));
                const f = [...document.querySelectorAll('#detail table.raw-fields tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent]);
                out.push([head, kv, f]);
              }
              return out; })()
            """, TimeSpan.FromSeconds(300));
        output.WriteLine($"read back {clock.Elapsed.TotalSeconds:F1} s");
        int i = 0;
        foreach (var item in shown.EnumerateArray())
        {
            var d = detections[i++];
            Assert.Equal($"Detection {i}: {d.GetProperty("rule_title").GetString()}", item[0].GetString());
            var kv = item[1];
            Assert.Equal(d.GetProperty("computer").GetString(), kv.GetProperty("computer").GetString());
            Assert.Equal(d.GetProperty("record_id").ValueKind == JsonValueKind.Null ? "" : d.GetProperty("record_id").GetRawText(), kv.GetProperty("record id").GetString());
            Assert.StartsWith(d.GetProperty("source").GetString()! + " offset 0x" + d.GetProperty("offset").GetInt64().ToString("x"), kv.GetProperty("source").GetString());
            var fields = item[2].EnumerateArray().Select(f => (Name: f[0].GetString()!, Text: f[1].GetString()!)).ToList();
            var ev = d.GetProperty("event").EnumerateObject().ToList();
            Assert.Equal(ev.Select(p => p.Name), fields.Select(f => f.Name));
            for (int k = 0; k < ev.Count; k++)
            {
                var v = ev[k].Value;
                string text = fields[k].Text;
                switch (v.ValueKind)
                {
                    case JsonValueKind.String: Assert.Equal(v.GetString(), text); break;
                    case JsonValueKind.Number:
                        if (v.TryGetInt64(out long l) && Math.Abs(l) > (1L << 53)) Assert.Equal(v.GetRawText(), text); // kept as digits
                        else Assert.Equal(v.GetDouble(), double.Parse(text, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                    default:
                        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(v.GetRawText()),
                            System.Text.Json.Nodes.JsonNode.Parse(text)), $"detection {i} field {ev[k].Name}: {v.GetRawText()} shown as {text}");
                        break;
                }
            }
        }
        Assert.Equal(detections.Count, i);
        Assert.Empty(page.Errors);
    }

    /// <summary>Card <paramref name="index"/> shows campaign <paramref name="c"/> (as --campaigns wrote it): graph, timeline, verdict, steps, theft.</summary>
    private static async Task AssertCampaignCardAsync(ChromiumPage page, int index, JsonElement c)
    {
        string card = $"document.querySelectorAll('#campaign-list .campaign')[{index}]";
        async Task<List<string>> Texts(string selector) =>
            (await page.EvalAsync($"[...{card}.querySelectorAll({JsonSerializer.Serialize(selector)})].map(e => e.textContent)"))
            .EnumerateArray().Select(e => e.GetString()!).ToList();
        static List<string> Strings(JsonElement a) => a.EnumerateArray().Select(e => e.GetString()!).ToList();

        Assert.Equal(c.GetProperty("kind").GetString(), (await Texts(".kind"))[0]);
        Assert.Equal(Strings(c.GetProperty("hosts")), await Texts(".campaign-graph g.graph-host > title"));
        Assert.Equal(Strings(c.GetProperty("users")).Take(14), await Texts(".campaign-graph g.graph-user > title"));
        var links = c.GetProperty("links").EnumerateArray().ToList();
        int moves = links.Select(l => (l.GetProperty("from_host").GetString(), l.GetProperty("to_host").GetString(), l.GetProperty("method").GetString())).Distinct().Count();
        Assert.Equal(moves, (await Texts(".campaign-graph path.lateral")).Count);
        Assert.Equal(links.Count, (await Texts(".movements tr")).Count - (links.Count > 0 ? 1 : 0));
        foreach (var l in links)
            Assert.Contains(await Texts(".movements tr"), row => row.Contains(l.GetProperty("from_host").GetString() + l.GetProperty("to_host").GetString() + l.GetProperty("method").GetString()));

        // Timeline: a dot per step, coloured by tactic (same tactic, same colour; a legend entry per tactic used).
        var steps = c.GetProperty("steps").EnumerateArray().ToList();
        var fills = (await page.EvalAsync($"[...{card}.querySelectorAll('.campaign-timeline circle')].map(e => e.getAttribute('fill'))")).EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(steps.Count, fills.Count);
        var tactics = steps.Select(st => st.GetProperty("tactic").GetString()!).ToList();
        var colourOf = new Dictionary<string, string>();
        for (int i = 0; i < steps.Count; i++) Assert.Equal(colourOf.TryAdd(tactics[i], fills[i]) ? fills[i] : colourOf[tactics[i]], fills[i]);
        Assert.Equal(colourOf.Count, colourOf.Values.Distinct().Count());
        Assert.Equal(tactics.Distinct().Select(t => t.Length == 0 ? "no tactic" : t).Order(), (await Texts(".legend span")).Order());
        Assert.Equal(steps.Count, (await Texts(".steps:not(.movements) tr.step")).Count);

        // Verdict: kind, confidence, every evidence number, every reason.
        var op = c.GetProperty("operator");
        Assert.Equal(op.GetProperty("kind").GetString(), (await Texts(".verdict-kind"))[0]);
        Assert.Contains($"confidence {Math.Round(op.GetProperty("confidence").GetDouble() * 100)}%", (await Texts(".verdict-line"))[0]);
        var evidence = (await page.EvalAsync($"[...{card}.querySelectorAll('.evidence tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])"))
            .EnumerateArray().ToDictionary(r => r[0].GetString()!, r => double.Parse(r[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var expected = op.GetProperty("evidence").EnumerateObject().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count, evidence.Count);
        foreach (var e in expected) Assert.Equal(e.Value.GetDouble(), evidence[e.Name], 3);
        Assert.Equal(Strings(op.GetProperty("reasons")), await Texts(".reasons li"));
        Assert.Equal(c.GetProperty("summary").GetString(), (await Texts("p.summary"))[0]);
        Assert.Equal(c.GetProperty("theft").GetArrayLength(), Math.Max(0, (await Texts("table.theft tr")).Count - 1));
    }

    private static bool Contains(string jsonLine, string term) => jsonLine.Contains(term, StringComparison.OrdinalIgnoreCase);

    private async Task<byte[]> ScreenshotCheckedAsync(ChromiumPage page)
    {
        var png = await page.ScreenshotAsync();
        Assert.True(png.Length > 10_000, "screenshot is suspiciously small");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // VIGIL_UPDATE_SCREENSHOT=1 refreshes the README's picture from this run.
        if (Environment.GetEnvironmentVariable("VIGIL_UPDATE_SCREENSHOT") == "1")
        {
            Directory.CreateDirectory(Path.Combine(TestPaths.RepoRoot, "docs"));
            // The top of the page (the first campaign) keeps the README's picture small.
            await File.WriteAllBytesAsync(Path.Combine(TestPaths.RepoRoot, "docs", "report-screenshot.png"), await page.ScreenshotAsync(1900));
        }
        return png;
    }

    [Fact]
    public async Task The_content_security_policy_stops_the_page_reaching_the_network_even_when_script_tries()
    {
        var dir = CliRunner.TempDir("report-csp");
        string input = Path.Combine(dir, "one.jsonl");
        File.WriteAllText(input, ProcessEvent(1, "HOST01", "cmd.exe /c whoami probe-csp") + "\n");
        string rules = WriteRule(dir, "probe-csp");
        string report = Path.Combine(dir, "report.html");
        Assert.Equal(0, CliRunner.Run("hunt", input, "--no-builtin", "--rules", rules, "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"), "--report", report).ExitCode);

        // A listener the page would reach if anything got through.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await using var page = await OpenAsync(report);
            Assert.Empty(page.Errors);
            var csp = await page.EvalStringAsync("document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content");
            Assert.StartsWith("default-src 'none'; script-src 'sha256-", csp);

            string target = $"http://127.0.0.1:{port}/";
            var outcome = await page.EvalAsync($$"""
                (async () => {
                  let violations = 0;
                  document.addEventListener('securitypolicyviolation', () => violations++);
                  let fetched;
                  try { await fetch('{{target}}f'); fetched = 'fetched'; } catch (e) { fetched = 'blocked'; }
                  const img = new Image(); img.src = '{{target}}i.png'; document.body.appendChild(img);
                  const link = document.createElement('link'); link.rel = 'stylesheet'; link.href = '{{target}}s.css'; document.head.appendChild(link);
                  const s = document.createElement('script'); s.src = '{{target}}s.js'; document.head.appendChild(s);
                  await new Promise(r => setTimeout(r, 500));
                  return { fetched, violations };
                })()
                """);
            Assert.Equal("blocked", outcome.GetProperty("fetched").GetString());
            Assert.True(outcome.GetProperty("violations").GetInt32() >= 4, outcome.GetRawText());
            Assert.False(listener.Pending(), "a connection reached the listener");
            // Whatever the network panel saw for the probes was blocked by the policy, never sent.
            foreach (var url in page.Requests.Where(u => u.StartsWith(target)))
                Assert.Contains(page.Failed, f => f.StartsWith(url + " blocked:csp"));
            Assert.NotEmpty(page.Errors); // the violations are reported on the console
        }
        finally { listener.Stop(); }
    }

    [Fact]
    public async Task A_hunt_without_detections_gives_a_report_that_says_so()
    {
        var dir = CliRunner.TempDir("report-empty");
        string input = Path.Combine(dir, "quiet.jsonl");
        File.WriteAllText(input, ProcessEvent(1, "HOST01", "notepad.exe") + "\n");
        string report = Path.Combine(dir, "report.html");
        var hunt = CliRunner.Run("hunt", input, "--no-builtin", "--rules", WriteRule(dir, "never-there"), "--format", "jsonl",
            "--output", Path.Combine(dir, "d.jsonl"), "--report", report);
        Assert.Equal(0, hunt.ExitCode);
        Assert.Contains("0 detections", hunt.Error);

        await using var page = await OpenAsync(report);
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
        Assert.Equal(0, (await page.EvalAsync("window.__vigil.rows")).GetInt32());
        Assert.Empty(await VisibleRowsAsync(page));
        Assert.Contains("No campaigns", await page.EvalStringAsync("document.getElementById('campaign-list').textContent"));
        Assert.Contains("No detection carries", await page.EvalStringAsync("document.getElementById('heatmap').textContent"));
        Assert.Contains("0 of 0 detections", await page.EvalStringAsync("document.getElementById('row-count').textContent"));
        Assert.Contains("quiet.jsonl", await page.EvalStringAsync("document.getElementById('read-summary').textContent"));
        Assert.Equal(0, await SearchAsync(page, "notepad"));
        Assert.Empty(page.Errors);
    }

    private static string ProcessEvent(long record, string host, string commandLine, string user = "CORP\\alice", string image = "C:\\Windows\\System32\\cmd.exe") =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = new DateTime(2026, 3, 10, 8, 0, 0, DateTimeKind.Utc).AddSeconds(record).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            ["EventID"] = 1, ["EventRecordID"] = record, ["Channel"] = "Microsoft-Windows-Sysmon/Operational",
            ["Computer"] = host, ["Image"] = image, ["CommandLine"] = commandLine, ["User"] = user,
        });

    private static string WriteRule(string dir, string marker, string title = "Report probe")
    {
        string path = Path.Combine(dir, "probe.yml");
        File.WriteAllText(path, $"""
            title: {title}
            id: 5a1e0b7e-0000-4000-8000-000000000001
            status: test
            level: high
            tags: [attack.execution, attack.t1059.003]
            logsource: {"{"} product: windows, category: process_creation {"}"}
            detection:
              sel: {"{"} CommandLine|contains: '{marker}' {"}"}
              condition: sel
            """);
        return path;
    }

    [Fact]
    public async Task Attacker_text_in_events_is_shown_as_text_and_never_runs()
    {
        var dir = CliRunner.TempDir("report-xss");
        // Payloads in every place an event string reaches the page: host, user, command line, field names, file name.
        string[] payloads =
        [
            "<script>window.__pwned=1</script>",
            "<img src=x onerror=\"window.__pwned=1\">",
            "\"><svg onload=window.__pwned=1>",
            "</script><script>window.__pwned=1</script>",
            "<!--<script>window.__pwned=1//-->",
            "'];window.__pwned=1;//\u2028\u2029",
            "<iframe srcdoc=\"<script>parent.__pwned=1</script>\">",
            "javascript:window.__pwned=1",
            "&lt;b&gt;entity&amp;",
        ];
        var sb = new StringBuilder();
        for (int i = 0; i < payloads.Length; i++)
        {
            var e = JsonSerializer.Deserialize<Dictionary<string, object>>(ProcessEvent(i + 1, payloads[i], "cmd /c xss-marker " + payloads[i], user: payloads[i]))!;
            e[payloads[i]] = payloads[i]; // attacker-chosen field name
            sb.Append(JsonSerializer.Serialize(e)).Append('\n');
        }
        string input = Path.Combine(dir, "evil<img src=x onerror=window.__pwned=1>.jsonl");
        File.WriteAllText(input, sb.ToString());
        string rules = WriteRule(dir, "xss-marker", title: "'Probe <b>bold</b> </script><script>window.__pwned=1</script>'");
        string report = Path.Combine(dir, "report.html"), jsonl = Path.Combine(dir, "d.jsonl");
        var hunt = CliRunner.Run("hunt", input, "--no-builtin", "--rules", rules, "--format", "jsonl", "--output", jsonl, "--report", report);
        Assert.Equal(0, hunt.ExitCode);
        Assert.Equal(payloads.Length, File.ReadAllLines(jsonl).Length);

        // In the file, no payload survives unescaped: the page has exactly its own four script elements.
        string html = File.ReadAllText(report);
        Assert.Equal(4, Regex.Matches(html, "<script", RegexOptions.IgnoreCase).Count);
        Assert.Equal(4, Regex.Matches(html, "</script", RegexOptions.IgnoreCase).Count);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg onload", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\u2028", html);

        await using var page = await OpenAsync(report);
        Assert.Equal("undefined", await page.EvalStringAsync("typeof window.__pwned"));
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
        // Nothing from the data became an element: no img, iframe or svg with a handler anywhere in the document.
        Assert.Equal(0, (await page.EvalAsync("document.querySelectorAll('img, iframe, [onerror], [onload], [onmouseover]').length")).GetInt32());

        // The table shows each payload literally as the computer name, and the rule title as written.
        var rows = await VisibleRowsAsync(page);
        Assert.Equal(payloads.Length, rows.Count);
        Assert.Equal(payloads.Order(StringComparer.Ordinal), rows.Select(r => r[4]).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal("Probe <b>bold</b> </script><script>window.__pwned=1</script>", r[3]));

        // Each expanded row shows the payload literally as value and as field name.
        for (int i = 0; i < payloads.Length; i++)
        {
            await page.EvalAsync($"document.querySelectorAll('#viewport .row.data')[{i}].click()");
            var fields = (await page.EvalAsync("[...document.querySelectorAll('#detail table.raw-fields tr')].map(r => [r.cells[0].textContent, r.cells[1].textContent])"))
                .EnumerateArray().ToDictionary(f => f[0].GetString()!, f => f[1].GetString()!);
            string p = rows[i][4]; // this row's payload (its computer name)
            Assert.Equal(p, fields["Computer"]);
            Assert.Equal(p, fields["User"]);
            Assert.Equal("cmd /c xss-marker " + p, fields["CommandLine"]);
            Assert.Equal(p, fields[p]);
            Assert.Contains(p, await page.EvalStringAsync("document.getElementById('detail').textContent"));
        }
        // The file name is shown literally in "what was read".
        Assert.Contains(Path.GetFileName(input), await page.EvalStringAsync("document.getElementById('read-summary').textContent"));

        // Searching for markup finds the rows that hold it (the search sees the text, not the page's escapes).
        Assert.Equal(1, await SearchAsync(page, "<svg onload"));
        Assert.Equal(1, await SearchAsync(page, "&lt;b&gt;"));
        Assert.Equal(payloads.Length, await SearchAsync(page, "xss-marker"));

        Assert.Equal("undefined", await page.EvalStringAsync("typeof window.__pwned + (typeof parent.__pwned === 'undefined' ? '' : '!')"));
        Assert.Empty(page.Errors);
    }

    /// <summary>A report capped at 3 rows a rule: the page says how many of how many it holds and why, its heat map and
    /// level chart count every detection, and every detection a campaign step names opens in the table.</summary>
    [Fact]
    public async Task A_capped_report_says_what_it_holds_and_counts_every_detection()
    {
        var dir = CliRunner.TempDir("report-capped");
        Assert.Equal(0, CliRunner.Run("simulate", "--out", dir, "--events", "3000", "--seed", "11").ExitCode);
        string report = Path.Combine(dir, "report.html"), jsonl = Path.Combine(dir, "detections.jsonl");
        var hunt = CliRunner.Run("hunt", Path.Combine(dir, "logs"), "--format", "jsonl", "--output", jsonl, "--report", report,
            "--report-rows-per-rule", "3", "--report-max-campaigns", "2", "--campaigns", Path.Combine(dir, "c.json"));
        Assert.Equal(0, hunt.ExitCode);
        var detections = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        await using var page = await OpenAsync(report);
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
        int rows = (await page.EvalAsync("window.__vigil.rows")).GetInt32();
        Assert.InRange(rows, 1, detections.Count - 1);
        Assert.Contains($"{detections.Count:N0} detections ({rows:N0} in this page)", await page.EvalStringAsync("document.getElementById('headline').textContent"));
        int campaigns = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "c.json"))).RootElement.GetProperty("campaigns").GetArrayLength();
        Assert.True(campaigns > 2, $"{campaigns} campaigns");
        Assert.Contains($"; {campaigns:N0} campaigns (the top 2 in this page);", await page.EvalStringAsync("document.getElementById('headline').textContent"));
        Assert.Equal($"{campaigns - 2:N0} lower-ranked campaigns are not in this page (vigil hunt --report-max-campaigns); every campaign is in the hunt's --campaigns output.",
            await page.EvalStringAsync("document.querySelector('#campaign-list .campaigns-left-out').textContent"));
        Assert.Equal(2, (await page.EvalAsync("document.querySelectorAll('#campaign-list .campaign').length")).GetInt32());
        string note = await page.EvalStringAsync("document.getElementById('cap-note').textContent");
        Assert.Contains($"This page holds {rows:N0} of the {detections.Count:N0} detections: the earliest 3 of each rule", note);
        Assert.Contains("Rules with more: ", note);

        // Counts are of every detection, not of the rows in the page.
        Assert.Equal(ExpectedHeat(detections).OrderBy(kv => kv.Key, StringComparer.Ordinal), (await HeatCellsAsync(page)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
        var levelBars = await page.EvalAsync("[...document.querySelectorAll('#chart-levels rect')].map(r => r.querySelector('title').textContent)");
        var levelCounts = detections.GroupBy(d => d.GetProperty("level").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(levelCounts.Count, levelBars.GetArrayLength());
        foreach (var t in levelBars.EnumerateArray())
        {
            var parts = t.GetString()!.Split(": ");
            Assert.Equal(levelCounts[parts[0]], int.Parse(parts[1].Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture));
        }

        // Every step of every campaign in the page opens its detection.
        var missing = await page.EvalAsync("""
            (() => { const m = JSON.parse(document.getElementById('vigil-meta').textContent);
                     const ids = m.campaigns.flatMap(c => c.steps.map(s => s[8]));
                     return [ids.length, ids.filter(id => !window.__vigil.open(id)).length]; })()
            """);
        Assert.True(missing[0].GetInt32() > 10, $"only {missing[0].GetInt32()} steps");
        Assert.Equal(0, missing[1].GetInt32());
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task A_report_of_100000_detections_loads_filters_and_sorts()
    {
        const int n = 100_000, hosts = 20;
        var dir = CliRunner.TempDir("report-100k");
        try { await HundredThousand(dir, n, hosts); }
        finally { Directory.Delete(dir, recursive: true); } // ~125 MB of input, detections and report
    }

    private async Task HundredThousand(string dir, int n, int hosts)
    {
        string input = Path.Combine(dir, "process.jsonl");
        using (var w = new StreamWriter(input))
            for (int i = 1; i <= n; i++)
                w.WriteLine(ProcessEvent(i, $"HOST{i % hosts:D2}.corp.example", $"cmd.exe /c echo every-event item-{i:D6}", user: $"CORP\\user{i % 37}"));
        string rules = WriteRule(dir, "every-event");
        string report = Path.Combine(dir, "report.html");
        var clock = Stopwatch.StartNew();
        var hunt = CliRunner.Run("hunt", input, "--no-builtin", "--rules", rules, "--format", "jsonl", "--output", Path.Combine(dir, "d.jsonl"), "--report", report,
            "--report-rows-per-rule", "0"); // one rule fires on every event: all 100,000 rows embedded
        var huntTime = clock.Elapsed;
        Assert.Equal(0, hunt.ExitCode);
        Assert.Contains($"{n} detections", hunt.Error);

        long inputSize = new FileInfo(input).Length, size = new FileInfo(report).Length;
        // Each event once (as compact as the input) plus a row of numbers per detection and the page itself.
        Assert.InRange(size, inputSize / 2, inputSize + n * 80L + 200_000);

        await using var page = await chromium.Browser.NewPageAsync();
        clock.Restart();
        await page.GotoAsync(new Uri(report).AbsoluteUri, Load);
        await page.WaitForAsync("window.__vigil && window.__vigil.ready", Load);
        var loaded = clock.Elapsed;
        long scriptMs = (await page.EvalAsync("window.__vigil.loadMs")).GetInt64();
        Assert.Empty(page.Errors);
        AssertOnlyTheDocumentWasRequested(page, report);
        Assert.Equal(n, (await page.EvalAsync("window.__vigil.rows")).GetInt32());
        Assert.InRange((await page.EvalAsync("document.querySelectorAll('#viewport .row.data').length")).GetInt32(), 10, 100);

        // However many campaigns the builder makes of this (one per host and account here), the top ones are cards
        // and the rest one line each, opened on click.
        int campaigns = (await page.EvalAsync("JSON.parse(document.getElementById('vigil-meta').textContent).campaigns.length")).GetInt32();
        output.WriteLine($"{campaigns} campaigns");
        Assert.Equal(Math.Min(10, campaigns), (await page.EvalAsync("document.querySelectorAll('#campaign-list .campaign').length")).GetInt32());
        if (campaigns > 10)
        {
            Assert.Equal(Math.Min(200, campaigns - 10), (await page.EvalAsync("document.querySelectorAll('#campaign-list tr.campaign-row').length")).GetInt32());
            await page.EvalAsync("document.querySelector('#campaign-list tr.campaign-row').click()");
            Assert.Equal(11, (await page.EvalAsync("document.querySelectorAll('#campaign-list .campaign').length")).GetInt32());
        }

        clock.Restart();
        Assert.Equal(1, await SearchAsync(page, "item-077777"));
        var firstSearch = clock.Elapsed;
        Assert.Equal("77777", (await VisibleRowsAsync(page))[0][0]);
        clock.Restart();
        Assert.Equal(n / hosts, await SearchAsync(page, "host07.corp"));
        var secondSearch = clock.Elapsed;
        Assert.All(await VisibleRowsAsync(page), r => Assert.Equal("HOST07.corp.example", r[4]));
        Assert.Equal(n, await SearchAsync(page, ""));

        // Sort by time, descending (click twice): the last event comes first.
        clock.Restart();
        await page.EvalAsync("document.querySelectorAll('#table-head span')[1].click()");
        await page.EvalAsync("document.querySelectorAll('#table-head span')[1].click()");
        var sortTime = clock.Elapsed;
        Assert.Equal(n.ToString(), (await VisibleRowsAsync(page))[0][0]);
        // Scroll to the end: the table renders the rows there (virtualised, not all in the DOM).
        await page.EvalAsync("(() => { const v = document.getElementById('viewport'); v.scrollTop = v.scrollHeight; v.dispatchEvent(new Event('scroll')); })()");
        await page.WaitForAsync("[...document.querySelectorAll('#viewport .row.data')].some(r => r.style.display !== 'none' && r.children[0].textContent === '1')", Load);
        Assert.Empty(page.Errors);

        await File.WriteAllBytesAsync(Path.Combine(ScreenshotDir, "100k.png"), await page.ScreenshotAsync());
        output.WriteLine($"100k detections: input {inputSize / 1e6:F1} MB, hunt with report {huntTime.TotalSeconds:F1} s, report {size / 1e6:F1} MB; "
            + $"page load to interactive {loaded.TotalSeconds:F1} s (script {scriptMs} ms); search {firstSearch.TotalMilliseconds:F0} ms (first, lower-cases the events) "
            + $"then {secondSearch.TotalMilliseconds:F0} ms; sort twice {sortTime.TotalMilliseconds:F0} ms");
    }
}
