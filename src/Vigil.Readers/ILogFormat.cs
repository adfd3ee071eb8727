using Vigil.Diagnostics;
using Vigil.Events;

namespace Vigil.Readers;

/// <summary>
/// A piece of one input file that can be decoded on its own: an EVTX chunk, a block of JSON lines.
/// Partitions of a file come out in file order; the engine may decode several at once on different
/// threads, each with its own <see cref="Event"/>.
/// </summary>
public interface IEventPartition
{
    /// <summary>The input file's path as the user gave it (or as found under a folder).</summary>
    string Source { get; }

    /// <summary>Position of this partition within its file (0, 1, 2…), for ordering output.</summary>
    long Ordinal { get; }

    /// <summary>Bytes this partition holds (of the file, or of its decompressed stream): the pipeline's read-ahead is
    /// bounded by it, and progress counts it. No default: a partition that does not say was counted as 0 bytes, and
    /// the pipeline read 256 of them ahead.</summary>
    long ByteLength { get; }

    /// <summary>
    /// Decodes the partition's events in order. <paramref name="scratch"/> is cleared and refilled for
    /// each event and handed to <paramref name="onEvent"/>; it and its values are valid only during that call.
    /// Problems go to <paramref name="diagnostics"/>; a damaged event or block is skipped and the rest is read.
    /// </summary>
    void Read(Event scratch, Action<Event> onEvent, IDiagnostics diagnostics);
}

/// <summary>A log format Vigil can read.</summary>
public interface ILogFormat
{
    /// <summary>Short name: "evtx", "json".</summary>
    string Name { get; }

    /// <summary>True when the file looks like this format, judged by content first (the first bytes of the file),
    /// the file name only as a tie-breaker.</summary>
    bool Recognize(ReadOnlySpan<byte> head, string path);

    /// <summary>Splits the file into independently decodable partitions, lazily and in file order.
    /// Errors that make the whole file unreadable are reported and end the sequence.</summary>
    IEnumerable<IEventPartition> Partition(string path, IDiagnostics diagnostics);
}
