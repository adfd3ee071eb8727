using Vigil.Campaigns.Context;
using Vigil.Campaigns.Entities;
using Vigil.Engine.Hunting;

namespace Vigil.Campaigns;

/// <summary>
/// Everything a hunt hands the campaign builder: the context (pass <see cref="Context"/> to the hunter as its observer)
/// and a compact fact per detection, taken while the detection stream is read (<see cref="Tee"/> numbers detections
/// 1, 2, ... in output order, the same ids as JSON lines and every hunt sink).
/// </summary>
public sealed class CampaignCollector
{
    public ContextCollector Context { get; } = new();
    public List<DetectionFact> Facts { get; } = [];

    public IEnumerable<Detection> Tee(IEnumerable<Detection> detections)
    {
        long id = 0;
        foreach (var d in detections)
        {
            id++;
            Facts.Add(DetectionFact.From(id, d));
            yield return d;
        }
    }

    public IReadOnlyList<Campaign> Build() => CampaignBuilder.Build(Facts, Context);
}
