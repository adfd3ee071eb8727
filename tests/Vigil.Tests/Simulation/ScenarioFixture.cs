using System.Text.Json;
using Vigil.Simulation;

namespace Vigil.Tests.Simulation;

/// <summary>One simulated day per scenario (seed 7, 20,000 Windows events), with every line of every file parsed.</summary>
public sealed class ScenarioFixture : IDisposable
{
    public const int Seed = 7;
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "vigil-scn-" + Guid.NewGuid().ToString("N"));
    public Dictionary<string, ScenarioDay> Days { get; } = new(StringComparer.Ordinal);

    public ScenarioFixture()
    {
        foreach (var s in Simulator.Scenarios)
        {
            string dir = Path.Combine(Root, s);
            var r = Simulator.Run(new SimulationOptions { OutDir = dir, Events = 20000, Seed = Seed, Scenario = s });
            Days[s] = new ScenarioDay(s, dir, r);
        }
    }

    public ScenarioDay this[string scenario] => Days[scenario];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A simulated day and its lines, keyed by (file label as truth.json writes it, 1-based line).</summary>
public sealed class ScenarioDay
{
    public string Scenario { get; }
    public string Dir { get; }
    public string LogDir => Path.Combine(Dir, Simulator.LogFolder);
    public SimulationResult Result { get; }
    public SimulationTruth Truth => Result.Truth;
    public Dictionary<(string File, long Line), JsonElement> Lines { get; } = new();
    public Dictionary<string, List<JsonElement>> ByFile { get; } = new(StringComparer.Ordinal);

    public ScenarioDay(string scenario, string dir, SimulationResult result)
    {
        Scenario = scenario;
        Dir = dir;
        Result = result;
        foreach (var path in result.Files.Concat(result.SideFiles))
        {
            string label = Path.GetRelativePath(LogDir, path).Replace(Path.DirectorySeparatorChar, '/');
            var list = ByFile[label] = [];
            long n = 0;
            foreach (var line in File.ReadLines(path))
            {
                var e = JsonDocument.Parse(line).RootElement.Clone();
                list.Add(e);
                Lines[(label, ++n)] = e;
            }
        }
    }

    public JsonElement Of(LabelledEvent le) => Lines[(le.File, le.Line)];

    public IEnumerable<JsonElement> Zeek(string log) => ByFile.TryGetValue("zeek/" + log + ".log", out var l) ? l : [];
    public IEnumerable<JsonElement> CloudTrail => ByFile.TryGetValue("cloudtrail/" + Vigil.Simulation.CloudTrail.AccountFileName, out var l) ? l : [];

    /// <summary>Zeek ts (epoch seconds) as the simulator's ISO form.</summary>
    public static string ZeekIso(JsonElement e) =>
        DateTime.UnixEpoch.AddTicks((long)Math.Round(e.GetProperty("ts").GetDouble() * 1000) * TimeSpan.TicksPerMillisecond)
            .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
