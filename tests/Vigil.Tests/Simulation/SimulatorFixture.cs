using System.Text.Json;
using Vigil.Simulation;

namespace Vigil.Tests.Simulation;

/// <summary>One simulated day (seed 7, 20,000 events) shared by the tests that only read it.</summary>
public sealed class SimulatorFixture : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "vigil-sim-" + Guid.NewGuid().ToString("N"));
    public SimulationResult Result { get; }
    /// <summary>Every event, keyed by (file name, EventRecordID, Hostname); values are parsed lines.</summary>
    public Dictionary<(string File, long Rid, string Host), JsonElement> Index { get; } = new();
    public List<(string File, JsonElement Event)> All { get; } = [];

    public SimulatorFixture()
    {
        Result = Simulator.Run(new SimulationOptions { OutDir = Dir, Events = 20000, Seed = 7 });
        foreach (var path in Result.Files)
        {
            string file = Path.GetFileName(path);
            foreach (var line in File.ReadLines(path))
            {
                var e = JsonDocument.Parse(line).RootElement.Clone();
                All.Add((file, e));
                var key = (file, e.GetProperty("EventRecordID").GetInt64(), e.GetProperty("Hostname").GetString()!);
                if (!Index.TryAdd(key, e)) throw new InvalidOperationException($"duplicate EventRecordID {key}");
            }
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
