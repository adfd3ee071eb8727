using Vigil.Readers.Evtx;
using Vigil.Readers.Json;

namespace Vigil.Readers;

/// <summary>The formats Vigil reads, in the order they are asked to recognise a file.</summary>
public static class LogFormats
{
    /// <summary>EVTX first: its magic is unambiguous; JSON sniffs the first non-blank byte.</summary>
    public static IReadOnlyList<ILogFormat> All { get; } = [new EvtxFormat(), new JsonFormat()];
}
