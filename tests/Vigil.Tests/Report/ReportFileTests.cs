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
