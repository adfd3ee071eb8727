using System.Diagnostics.Tracing;
namespace Vigil.Cli;
/// <summary>
/// VIGIL_ALLOCLOG=1: a tuning aid. Listens to the runtime's GC events in-process and prints on stderr, at exit, the
/// types allocated (sampled: one AllocationTick per ~100 KB, so counts x 100 KB estimate the bytes; [LOH] marks large
/// objects) and the collections by generation, reason and type (reason 4 = a large-object allocation triggered it,
/// 0 = small allocations; type 0 = blocking). Costs a few percent while on; off by default.
/// </summary>
internal sealed class AllocProbe : EventListener
{
    public static AllocProbe? Instance;
    private readonly Dictionary<string, long> _types = new();
    private readonly Dictionary<string, int> _reasons = new();
    // When each gen2 collection started (seconds since the probe was created, at start-up), to tell start-up ones from hunt ones.
    private readonly List<string> _gen2 = new();
    private int _depth = -1;
    private DateTime _start;
    private readonly double[] _gcMs = new double[3];   // GCStart..GCEnd time by generation
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
    }
    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        lock (_types)
        {
            if (e.EventName?.StartsWith("GCAllocationTick") == true)
            {
                int i = e.PayloadNames!.IndexOf("TypeName");
                int k = e.PayloadNames!.IndexOf("AllocationKind");
                string t = (e.Payload![i] as string ?? "?") + (Convert.ToInt32(e.Payload![k]) == 1 ? " [LOH]" : "");
                _types[t] = _types.GetValueOrDefault(t) + 1;
            }
            else if (e.EventName?.StartsWith("GCStart") == true)
            {
                string r = "depth " + e.Payload![e.PayloadNames!.IndexOf("Depth")] + " reason " + e.Payload![e.PayloadNames!.IndexOf("Reason")] + " type " + e.Payload![e.PayloadNames!.IndexOf("Type")];
                _reasons[r] = _reasons.GetValueOrDefault(r) + 1;
                _depth = Convert.ToInt32(e.Payload![e.PayloadNames!.IndexOf("Depth")]);
                _start = e.TimeStamp;
                if (_depth == 2) _gen2.Add($"{_clock.Elapsed.TotalSeconds:F2}s {r}");
            }
            else if (e.EventName?.StartsWith("GCEnd") == true && _depth >= 0)
            {
                double ms = (e.TimeStamp - _start).TotalMilliseconds;
                _gcMs[_depth] += ms;
                if (_depth == 2) _gen2[^1] += $" {ms:F0} ms";
                _depth = -1;
            }
        }
    }
    public void Print()
    {
        lock (_types)
        {
            foreach (var kv in _types.OrderByDescending(kv => kv.Value).Take(30)) Console.Error.WriteLine($"vigil: alloc ~{kv.Value * 100} KB {kv.Key}");
            foreach (var kv in _reasons.OrderByDescending(kv => kv.Value)) Console.Error.WriteLine($"vigil: gc {kv.Value}x {kv.Key}");
            foreach (var g in _gen2) Console.Error.WriteLine($"vigil: gen2 at {g}");
            Console.Error.WriteLine($"vigil: gc time by generation: {_gcMs[0]:F0} / {_gcMs[1]:F0} / {_gcMs[2]:F0} ms");
        }
    }
}
