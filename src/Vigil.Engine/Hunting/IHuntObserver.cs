using Vigil.Events;

namespace Vigil.Engine.Hunting;

/// <summary>
/// Watches every event of a hunt beside the rules (campaign context: logons, process creations, services, network
/// flows). <see cref="CreatePartition"/> is called on the worker thread that decodes a partition, and every event of
/// that partition goes to the returned observer on that thread (an event is valid only during the call: copy what
/// you keep). When the partition is done its observer is handed to <see cref="Consume"/> on the consuming thread, in
/// input order like the detections, so merged results are deterministic whatever the thread timing.
/// </summary>
public interface IHuntObserver
{
    IPartitionObserver CreatePartition();
    void Consume(IPartitionObserver partition);
}

/// <summary>Per-partition state of an <see cref="IHuntObserver"/>; used by one thread at a time.</summary>
public interface IPartitionObserver
{
    void Observe(Event e);
}
