using Vigil.Campaigns;
using Vigil.Diagnostics;
using Vigil.Engine.Hunting;
using Vigil.Engine.Pipeline;
using Vigil.Readers;

namespace Vigil.Outputs;

/// <summary>
/// An output beside the main detection stream (campaign JSON, HTML report, timelines, SQLite). The hunt command
/// reads the detection stream once and hands each detection to every sink in output order with its id (1-based
/// position in that order, the <c>id</c> field of JSON lines); <see cref="Complete"/> follows once, with the
/// campaigns and what was read. A sink that needs detections after <see cref="Add"/> returns must copy what it needs
/// (a <see cref="Detection"/> and its fields stay valid, but holding all of them defeats the bounded spool).
/// </summary>
public interface IHuntSink : IDisposable
{
    void Add(long id, Detection detection);
    void Complete(HuntSummary summary);
}

/// <summary>What a finished hunt read and produced, for sinks that write it out.</summary>
public sealed record HuntSummary(
    IReadOnlyList<InputFile> Files,
    ReadStats Stats,
    IReadOnlyList<ReadError> Errors,
    int RulesRun,
    long DetectionCount,
    IReadOnlyDictionary<string, long> LevelCounts,
    IReadOnlyList<Campaign> Campaigns,
    DateTime StartedUtc,
    TimeSpan Elapsed);
