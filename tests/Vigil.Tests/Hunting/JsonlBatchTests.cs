using System.Text;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Outputs;
using Vigil.Readers;
using Vigil.Rules;
using Xunit;

namespace Vigil.Tests.Hunting;

/// <summary>JSON lines are formatted in batches on the thread pool and written in order: the bytes must equal
/// formatting the detections one at a time, with ids running on across batch boundaries.</summary>
public class JsonlBatchTests
{
    [Fact]
    public void Batched_output_equals_one_by_one_output()
    {
        var rules = RuleLoader.Load([Path.Combine(TestPaths.Shared, "data", "sigma", "rules", "windows")], includeBuiltin: true).Rules;
        var diag = new DiagnosticsCollector();
        var files = InputFiles.Expand([Path.Combine(TestPaths.Shared, "data", "evtx")], LogFormats.All, diag);
        using var result = Hunter.Run(files, rules, diag, degree: 2);
        var detections = result.Detections.ToList();
        Assert.True(detections.Count > 3 * 512, $"want several batches, got {detections.Count} detections");

        var batched = new MemoryStream();
        DetectionWriters.WriteJsonl(detections, batched);

        var expected = new StringBuilder();
        for (int i = 0; i < detections.Count; i++)
        {
            var one = new MemoryStream();
            DetectionWriters.WriteJsonl([detections[i]], one);
            string line = Encoding.UTF8.GetString(one.ToArray());
            Assert.StartsWith("{\"id\":1,", line);
            expected.Append("{\"id\":").Append(i + 1).Append(',').Append(line.AsSpan("{\"id\":1,".Length));
        }
        Assert.Equal(expected.ToString(), Encoding.UTF8.GetString(batched.ToArray()));
    }
}
