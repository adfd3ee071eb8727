using System.Globalization;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Readers;
using Vigil.Rules;

namespace Vigil.Tests.Correlation;

/// <summary>Runs real hunts (JSON reader, rule loader, Hunter, correlation post-processing) over small JSON-lines files.</summary>
internal static class CorrelationSupport
{
    public static readonly DateTime T0 = new(2024, 5, 1, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>A JSON line with @timestamp = T0 + seconds and the given string/number fields.</summary>
    public static string Line(double seconds, params (string Name, object Value)[] fields)
    {
        var parts = new List<string> { $"\"@timestamp\":\"{T0.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\"" };
        foreach (var (n, v) in fields)
            parts.Add(v is string s ? $"\"{n}\":\"{s}\"" : $"\"{n}\":{Convert.ToString(v, CultureInfo.InvariantCulture)}");
        return "{" + string.Join(",", parts) + "}";
    }

    public sealed record Hunt(RuleSet Rules, IReadOnlyList<Detection> Detections, long Untimed)
    {
        public List<Detection> Of(string ruleTitle) => Detections.Where(d => d.Rule.Title == ruleTitle).ToList();
    }

    /// <summary>Writes the rule YAML and each input file (name → lines) into a fresh folder and hunts.</summary>
    public static Hunt Run(string rulesYaml, params (string File, string[] Lines)[] inputs) => Run(rulesYaml, null, inputs);

    public static Hunt Run(string rulesYaml, RuleSelection? selection, params (string File, string[] Lines)[] inputs)
    {
        string dir = Cli.CliRunner.TempDir("corr");
        File.WriteAllText(Path.Combine(dir, "rules.yml"), rulesYaml);
        var set = RuleLoader.Load([Path.Combine(dir, "rules.yml")], includeBuiltin: false);
        Assert.True(set.Errors.Count == 0, string.Join("\n", set.Errors));
        var logs = Path.Combine(dir, "logs");
        Directory.CreateDirectory(logs);
        foreach (var (file, lines) in inputs) File.WriteAllLines(Path.Combine(logs, file), lines);
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([logs], LogFormats.All, diag);
        selection ??= new RuleSelection();
        var result = Hunter.Run(files, selection.RulesToRun(set), diag, degree: 2, correlate: set, emit: selection.IsEmpty ? null : selection.Selects);
        Assert.True(diag.Count == 0, string.Join("\n", diag.Errors));
        return new Hunt(set, result.Detections.ToList(), result.UntimedCorrelationMatches);
    }

    public static string Field(Detection d, string name) =>
        d.Fields.First(f => f.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value.ToString();

    /// <summary>A base rule matching events whose <c>kind</c> equals <paramref name="kind"/>.</summary>
    public static string BaseRule(string name, string kind, string id) => $"""
        title: base {name}
        id: {id}
        name: {name}
        status: test
        level: low
        logsource:
            product: test
            category: unit
        detection:
            selection:
                kind: {kind}
            condition: selection
        """;
}
