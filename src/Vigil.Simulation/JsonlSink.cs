using System.Globalization;
using System.Text;

namespace Vigil.Simulation;

/// <summary>
/// Streams events as JSON lines, one file per channel. All keys and values are known to the simulator,
/// so a small direct UTF-8 encoder is used instead of Utf8JsonWriter (measured about 3x faster here):
/// it escapes '"', '\' and control characters as JSON requires and writes other text as UTF-8. Each file
/// has one reusable 256 KiB buffer flushed to disk when full, so memory stays flat for any size.
/// </summary>
internal sealed class JsonlSink : IEventSink
{
    private const int BufferSize = 1 << 18;

    private sealed class Output(string path)
    {
        public readonly string Path = path;
        public readonly FileStream Stream = new(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1);
        public readonly byte[] Buffer = new byte[BufferSize];
        public int Length;
        public long Count;
    }

    private readonly Output[] _outputs = new Output[LogFiles.Count];
    private static readonly byte[][] ChannelJson = Enumerable.Range(0, LogFiles.Count)
        .Select(f => Encoding.UTF8.GetBytes(LogFiles.Channel((LogFile)f))).ToArray();

    public JsonlSink(string dir)
    {
        for (int f = 0; f < LogFiles.Count; f++)
            _outputs[f] = new Output(System.IO.Path.Combine(dir, LogFiles.FileName((LogFile)f)));
    }

    public IReadOnlyList<(string Label, string Path, long Count)> Files =>
        _outputs.Select((o, i) => (LogFiles.FileName((LogFile)i), o.Path, o.Count)).ToList();

    public string FileLabel(SimEvent e) => LogFiles.FileName(e.File);

    public long Write(SimEvent e, long recordId)
    {
        var o = _outputs[(int)e.File];
        // Worst case per character is 6 bytes (\u00XX); flush first if the event might not fit.
        int worst = 512 + e.Host.Fqdn.Length * 12 + e.Provider.Length * 12;
        foreach (var kv in e.Data) worst += (kv.Key.Length + kv.Value.Length) * 6 + 8;
        if (o.Length + worst > BufferSize) Drain(o);
        if (worst > BufferSize) throw new InvalidOperationException($"simulate: event {e.EventId} on {e.Host.Name} is too large to encode ({worst} bytes)");

        Span<byte> b = o.Buffer;
        int n = o.Length;
        Span<char> ts = stackalloc char[32];
        int tsLen = Simulator.FormatIso(e.Ms, ts);

        n = Raw(b, n, "{\"@timestamp\":\"");
        n = Escaped(b, n, ts[..tsLen]);
        n = Raw(b, n, "\",\"TimeCreated\":\"");
        n = Escaped(b, n, ts[..tsLen]);
        n = Raw(b, n, "\",\"EventID\":");
        e.EventId.TryFormat(b[n..], out int w, default, CultureInfo.InvariantCulture); n += w;
        n = Raw(b, n, ",\"EventRecordID\":");
        recordId.TryFormat(b[n..], out w, default, CultureInfo.InvariantCulture); n += w;
        n = Raw(b, n, ",\"Channel\":\"");
        ChannelJson[(int)e.File].CopyTo(b[n..]); n += ChannelJson[(int)e.File].Length;
        n = Raw(b, n, "\",\"Hostname\":\"");
        n = Escaped(b, n, e.Host.Fqdn);
        n = Raw(b, n, "\",\"Computer\":\"");
        n = Escaped(b, n, e.Host.Fqdn);
        n = Raw(b, n, "\",\"SourceName\":\"");
        n = Escaped(b, n, e.Provider);
        n = Raw(b, n, "\",\"Provider_Name\":\"");
        n = Escaped(b, n, e.Provider);
        b[n++] = (byte)'"';
        foreach (var kv in e.Data)
        {
            n = Raw(b, n, ",\"");
            n = Escaped(b, n, kv.Key);
            n = Raw(b, n, "\":\"");
            n = Escaped(b, n, kv.Value);
            b[n++] = (byte)'"';
        }
        b[n++] = (byte)'}';
        b[n++] = (byte)'\n';
        o.Length = n;
        return ++o.Count;
    }

    /// <summary>Copies ASCII text that needs no escaping (the fixed JSON punctuation and key names).</summary>
    private static int Raw(Span<byte> b, int n, string ascii)
    {
        foreach (char c in ascii) b[n++] = (byte)c;
        return n;
    }

    private static int Escaped(Span<byte> b, int n, ReadOnlySpan<char> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x80)
            {
                if (c == '"' || c == '\\') { b[n++] = (byte)'\\'; b[n++] = (byte)c; }
                else if (c >= 0x20) b[n++] = (byte)c;
                else if (c == '\r') { b[n++] = (byte)'\\'; b[n++] = (byte)'r'; }
                else if (c == '\n') { b[n++] = (byte)'\\'; b[n++] = (byte)'n'; }
                else if (c == '\t') { b[n++] = (byte)'\\'; b[n++] = (byte)'t'; }
                else
                {
                    b[n++] = (byte)'\\'; b[n++] = (byte)'u'; b[n++] = (byte)'0'; b[n++] = (byte)'0';
                    b[n++] = (byte)"0123456789abcdef"[c >> 4]; b[n++] = (byte)"0123456789abcdef"[c & 0xf];
                }
                continue;
            }
            // Non-ASCII: encode the scalar value as UTF-8 (lone surrogates become U+FFFD).
            Rune.DecodeFromUtf16(s[i..], out Rune r, out int used);
            n += r.EncodeToUtf8(b[n..]);
            i += used - 1;
        }
        return n;
    }

    private static void Drain(Output o)
    {
        o.Stream.Write(o.Buffer, 0, o.Length);
        o.Length = 0;
    }

    public void Complete()
    {
        foreach (var o in _outputs) { Drain(o); o.Stream.Flush(); }
    }

    public void Dispose()
    {
        foreach (var o in _outputs) o.Stream.Dispose();
    }
}
