using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vigil.Simulation;

/// <summary>
/// Streams events as JSON lines, one file per channel, through a pooled buffer: the writer formats into
/// an ArrayBufferWriter that is flushed to the file every 64 KiB, so memory stays flat for any size.
/// </summary>
public sealed class JsonlSink : IDisposable
{
    private sealed class Output(string path)
    {
        public readonly string Path = path;
        public readonly FileStream Stream = new(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        public readonly ArrayBufferWriter<byte> Buffer = new(1 << 17);
        public Utf8JsonWriter? Writer;
        public long Count;
    }

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Relaxed escaping keeps '+', '<', '&' and quotes-in-text readable; JSON validity is unaffected.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
        Indented = false,
    };

    private readonly Output[] _outputs = new Output[LogFiles.Count];

    public JsonlSink(string dir)
    {
        for (int f = 0; f < LogFiles.Count; f++)
        {
            var o = new Output(System.IO.Path.Combine(dir, LogFiles.FileName((LogFile)f)));
            o.Writer = new Utf8JsonWriter(o.Buffer, WriterOptions);
            _outputs[f] = o;
        }
    }

    public IEnumerable<(LogFile File, string Path, long Count)> Files =>
        _outputs.Select((o, i) => ((LogFile)i, o.Path, o.Count));

    public void Write(SimEvent e, long recordId)
    {
        var o = _outputs[(int)e.File];
        var w = o.Writer!;
        Span<char> ts = stackalloc char[32];
        int n = Simulator.FormatIso(e.Ms, ts);

        w.WriteStartObject();
        w.WriteString("@timestamp", ts[..n]);
        w.WriteString("TimeCreated", ts[..n]);
        w.WriteNumber("EventID", e.EventId);
        w.WriteNumber("EventRecordID", recordId);
        w.WriteString("Channel", LogFiles.Channel(e.File));
        w.WriteString("Hostname", e.Host.Fqdn);
        w.WriteString("Computer", e.Host.Fqdn);
        w.WriteString("SourceName", e.Provider);
        w.WriteString("Provider_Name", e.Provider);
        foreach (var kv in e.Data) w.WriteString(kv.Key, kv.Value);
        w.WriteEndObject();
        w.Flush();
        // Reset so the next top-level object is not preceded by a list separator.
        w.Reset(o.Buffer);
        o.Buffer.GetSpan(1)[0] = (byte)'\n';
        o.Buffer.Advance(1);
        o.Count++;
        if (o.Buffer.WrittenCount >= 1 << 16) Drain(o);
    }

    private static void Drain(Output o)
    {
        o.Stream.Write(o.Buffer.WrittenSpan);
        o.Buffer.ResetWrittenCount();
    }

    public void Complete()
    {
        foreach (var o in _outputs) { Drain(o); o.Stream.Flush(); }
    }

    public void Dispose()
    {
        foreach (var o in _outputs) { o.Writer?.Dispose(); o.Stream.Dispose(); }
    }
}
