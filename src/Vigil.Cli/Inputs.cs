using System.Diagnostics;
using Vigil.Cli.Commands;
using Vigil.Diagnostics;
using Vigil.Engine.Pipeline;
using Vigil.Readers;

namespace Vigil.Cli;

/// <summary>What hunt and dump share: finding the input files and showing progress.</summary>
public static class Inputs
{
    public static InputFileList Expand(IReadOnlyList<string> inputs, IDiagnostics diagnostics)
    {
        if (inputs.Count == 0) throw new UsageException("no INPUT given (a file or a folder of logs)");
        return InputFiles.Expand(inputs, LogFormats.All, diagnostics);
    }

    /// <summary>
    /// The shared start of hunt and dump: a diagnostics sink on stderr (notes only with --verbose) and the
    /// input files. Null when no file could be opened; the caller then exits with "nothing could be read".
    /// </summary>
    public static InputFileList? Open(ArgReader a, CliConsole console, out DiagnosticsCollector diagnostics)
    {
        diagnostics = new DiagnosticsCollector(console.Error, echoNotices: a.Flag("--verbose") || a.Flag("-v"));
        var files = Expand(a.Positional, diagnostics);
        if (files.Count > 0) return files;
        // Files skipped inside folders were noted quietly; with nothing else to read they are the answer to "why".
        bool verbose = a.Flag("--verbose") || a.Flag("-v");
        if (!verbose) foreach (var note in diagnostics.Errors.Where(e => e.Notice)) console.Error.WriteLine("vigil: note: " + note);
        console.Error.WriteLine("vigil: nothing could be read");
        return null;
    }

    /// <summary>Opens the output file, or stdout when none is given.</summary>
    public static Stream OpenOutput(string? path, CliConsole console)
    {
        if (path is null)
            return ReferenceEquals(console.Out, Console.Out)
                ? new BufferedStream(Console.OpenStandardOutput(), 1 << 16)
                : new TextWriterStream(console.Out);
        return Vigil.Outputs.OutputFiles.Create(path);
    }
}

/// <summary>
/// A one-line progress bar on stderr, drawn only when stderr is a terminal and at most ten times a second,
/// so redirected runs and tests see none of it.
/// </summary>
public sealed class ProgressBar(CliConsole console, bool enabled)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private bool _drawn;

    public void Update(ReadStats s)
    {
        if (!enabled) return;
        long now = _clock.ElapsedMilliseconds;
        if (now - _lastDraw < 100 && s.FilesDone < s.FilesTotal) return;
        _lastDraw = now;
        double byFiles = s.FilesTotal == 0 ? 1 : (double)s.FilesDone / s.FilesTotal;
        double byBytes = s.BytesTotal == 0 ? 0 : (double)s.BytesDone / s.BytesTotal;
        double frac = Math.Clamp(s.BytesTotal > 0 ? byBytes : byFiles, 0, 1);
        int filled = (int)(frac * 30);
        double rate = s.Events / Math.Max(0.001, _clock.Elapsed.TotalSeconds);
        console.Error.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {frac,4:P0}  {s.FilesDone}/{s.FilesTotal} files  {s.Events:N0} events  {rate:N0}/s ");
        _drawn = true;
    }

    public void Finish()
    {
        if (_drawn) console.Error.Write("\r" + new string(' ', 100) + "\r");
    }
}

/// <summary>Adapts a TextWriter (the console, or a test's StringWriter) to a byte stream of UTF-8.</summary>
public sealed class TextWriterStream(TextWriter writer) : Stream
{
    private readonly System.Text.Decoder _decoder = System.Text.Encoding.UTF8.GetDecoder();
    private char[] _chars = new char[4096];

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => writer.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        int need = _decoder.GetCharCount(buffer, flush: false);
        if (need > _chars.Length) _chars = new char[Math.Max(need, _chars.Length * 2)];
        int n = _decoder.GetChars(buffer, _chars, flush: false);
        writer.Write(_chars, 0, n);
    }
}
