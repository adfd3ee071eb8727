using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Vigil.Engine.Hunting;
using Vigil.IO;
using Vigil.Rules;

namespace Vigil.Engine.Correlation;

/// <summary>One match of a correlation as a row of its sort by group: the group key's hash, the match's arrival number, what
/// its window reads of it, and where its group key and value texts are in the correlation's text file.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GroupedMatch
{
    public UInt128 Group;
    public long Seq;
    public long Ticks;
    public long Offset;
    public long Line;
    public double Number;
    /// <summary>Byte offset of the group key's characters in the text file; the value's follow them.</summary>
    public long TextAt;
    public int Input;
    public int Source;
    public int Computer;
    public int Channel;
    public int KeyChars;
    /// <summary>The value's length in characters, or -1 when the correlation reads no value.</summary>
    public int ValueChars;

    public static int Compare(GroupedMatch a, GroupedMatch b)
    {
        int c = a.Group.CompareTo(b.Group);
        return c != 0 ? c : a.Seq.CompareTo(b.Seq);
    }
}

/// <summary>A correlation's group key: the group-by values, each as its length, ':' and its characters, so no two tuples
/// share a key whatever characters they hold (a single value is its own key).</summary>
internal static class GroupKeys
{
    public static string Encode(string[] values)
    {
        if (values.Length == 1) return values[0];
        var b = new StringBuilder();
        foreach (var v in values) b.Append(v.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(v);
        return b.ToString();
    }

    public static string[] Decode(string key, int count)
    {
        if (count == 1) return [key];
        var values = new string[count];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            int colon = key.IndexOf(':', at);
            int length = int.Parse(key.AsSpan(at, colon - at), CultureInfo.InvariantCulture);
            values[i] = key.Substring(colon + 1, length);
            at = colon + 1 + length;
        }
        return values;
    }
}

public static partial class CorrelationEngine
{
    /// <summary>
    /// One correlation over plain rules, in two passes: while the sorted detections stream by, each match goes as a row to
    /// an external sort by (group key hash, arrival), its group key and value texts to a file; then the rows come back
    /// group by group, each group's matches in arrival order (the order <see cref="Evaluate"/> sorts them in), and one
    /// window judges them as <see cref="Evaluate"/> does a group's list. Rows with equal hashes but different keys are told
    /// apart by their texts. Memory: the sort's buffer and merge blocks, and one window (two blocks of members).
    /// </summary>
    private sealed class GroupedCorrelation : IDisposable
    {
        public readonly CompiledCorrelation Cc;
        private readonly CorrelationShape _shape;
        private readonly MemberStore _store;
        private readonly ExternalSorter<GroupedMatch> _sorter;
        private FileStream? _texts;
        private string _textPath = "";
        private long _textEnd;
        private long _seq;
        /// <summary>Where found detections go (the output, the spools of the chains that read this correlation).</summary>
        private readonly Action<Detection> _found;
        private readonly Func<string, UInt128> _hash;

        /// <param name="found">Where found detections go as they are found.</param>
        public GroupedCorrelation(CompiledCorrelation cc, MemberStore store, int runRows, Func<string, UInt128>? hash, Action<Detection> found)
        {
            _hash = hash ?? (static key => TextHash.Of(key));
            Cc = cc;
            _shape = new CorrelationShape(cc);
            _store = store;
            _found = found;
            _sorter = new ExternalSorter<GroupedMatch>("correlation", GroupedMatch.Compare, runRows);
        }

        /// <summary>One event's detections (sorted by rule): its matches, in the order Evaluate sorts them (detection,
        /// then input); for counting types only the event's first match in input order, as Evaluate's seen-events set
        /// keeps. Returns the untimed matches counted.</summary>
        public long Event(List<Detection> run)
        {
            long untimed = 0;
            var inputs = Cc.Inputs;
            if (_shape.PerInput)
            {
                foreach (var d in run)
                    for (int i = 0; i < inputs.Count; i++)
                    {
                        if (!ReferenceEquals(inputs[i].Source, d.Rule)) continue;
                        if (d.TimestampTicks == 0) { untimed++; continue; }
                        if (_shape.MatchOf(d, i) is { } m) Add(m);
                    }
                return untimed;
            }
            Match? first = null;
            for (int i = 0; i < inputs.Count; i++)
                foreach (var d in run)
                {
                    if (!ReferenceEquals(inputs[i].Source, d.Rule)) continue;
                    if (d.TimestampTicks == 0) { untimed++; continue; }
                    if (first == null && _shape.MatchOf(d, i) is { } m) first = m;
                }
            if (first != null) Add(first);
            return untimed;
        }

        private void Add(Match m)
        {
            string key = m.GroupKey;
            var d = m.Detection;
            long at = _textEnd;
            WriteText(key);
            if (m.Value != null) WriteText(m.Value);
            _sorter.Add(new GroupedMatch
            {
                Group = _hash(key), Seq = _seq++, Ticks = d.TimestampTicks, Offset = d.Origin.Offset, Line = d.Origin.Line,
                Number = m.Number, TextAt = at, Input = m.Input, Source = _store.Sources.Id(d.Origin.Source),
                Computer = _store.Computers.Id(d.Computer), Channel = _store.Channels.Id(d.Channel),
                KeyChars = key.Length, ValueChars = m.Value?.Length ?? -1,
            });
        }

        private void WriteText(string text)
        {
            if (_texts == null)
            {
                _textPath = TempFile.NewPath("vigil-correlation-texts-");
                _texts = TempFile.Create(_textPath, 1 << 16);
            }
            var bytes = MemoryMarshal.AsBytes(text.AsSpan());
            _texts.Write(bytes);
            _textEnd += bytes.Length;
        }

        /// <summary>The second pass: every group's windows judged, one group at a time.</summary>
        public void Finish()
        {
            _texts?.Flush();
            var reader = new TextBlocks(_texts, _textPath, _textEnd);
            string ReadText(long at, int chars) => reader.Read(at, chars).ToString();
            Func<long, int, string> readText = ReadText;
            // The groups of the current hash: nearly always one; more only when different keys share a 128-bit hash.
            var open = new List<(string Key, Window Window)>();
            UInt128 hash = default;
            bool any = false;
            foreach (var row in _sorter.Sorted())
            {
                if (!any || row.Group != hash)
                {
                    CloseAll(open);
                    hash = row.Group;
                    any = true;
                }
                var key = reader.Read(row.TextAt, row.KeyChars);
                Window? w = null;
                foreach (var (k, x) in open)
                    if (k.AsSpan().SequenceEqual(key)) { w = x; break; }
                if (w == null)
                {
                    string text = key.ToString();
                    w = new Window(Cc, _store, _shape.Tumbling) { Group = GroupKeys.Decode(text, Cc.Correlation.GroupBy.Count), ReadText = readText };
                    open.Add((text, w));
                }
                string? value = row.ValueChars < 0 ? null : reader.Read(row.TextAt + 2L * row.KeyChars, row.ValueChars).ToString();
                Judge(w, row, value);
            }
            CloseAll(open);
        }

        /// <summary>One match enters its group's window: <see cref="Evaluate"/>'s loops, one match at a time.</summary>
        private void Judge(Window w, in GroupedMatch row, string? value)
        {
            if (_shape.Tumbling)
            {
                // Consecutive windows: a match past the open window's timespan closes it and opens the next.
                if (w.Count > 0 && row.Ticks - w.FirstTicks > _shape.Span) Close(w);
                AddTo(w, row, value);
            }
            else
            {
                // Sliding window ending at each match: the oldest leave, the match enters, and a satisfied window fires and
                // is consumed.
                while (w.Count > 0 && row.Ticks - w.FirstTicks > _shape.Span) w.RemoveFirst();
                AddTo(w, row, value);
                if (w.Satisfied(out var facts))
                {
                    Found(Emit(Cc, w, facts));
                    w.Clear();
                }
            }
        }

        /// <summary>The match's value text follows its group key in the text file.</summary>
        private void AddTo(Window w, in GroupedMatch row, string? value) =>
            w.Add(row.Ticks, row.Input, row.Number, value, row.Source, row.Offset, row.Line, _store.Computers[row.Computer], _store.Channels[row.Channel],
                value == null ? -1 : row.TextAt + 2L * row.KeyChars);

        /// <summary>The end of a group: its last consecutive window is judged, and its members' blocks freed.</summary>
        private void CloseAll(List<(string Key, Window Window)> open)
        {
            foreach (var (_, w) in open)
            {
                if (_shape.Tumbling && w.Count > 0) Close(w);
                w.Clear();
            }
            open.Clear();
        }

        private void Close(Window w)
        {
            if (w.Satisfied(out var facts)) Found(Emit(Cc, w, facts));
            w.Clear();
        }

        private void Found(Detection d) => _found(d);

        public void Dispose()
        {
            _sorter.Dispose();
            _texts?.Dispose();
            _texts = null;
        }
    }

    /// <summary>Reads texts back from a correlation's text file through one buffer. A group's texts were written in arrival
    /// order, so while a read falls just past the buffer (the next match of a busy group), a whole 64 KB block is read;
    /// a read elsewhere (the next group, or a sparse one: a SYN flood's spoofed addresses) reads 512 bytes, not 64 KB.</summary>
    private sealed class TextBlocks(FileStream? file, string path, long length)
    {
        /// <summary>Taken once: <see cref="FileStream.SafeFileHandle"/> seeks on every call.</summary>
        private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _handle = file?.SafeFileHandle;
        private const int Small = 512;
        private readonly byte[] _block = new byte[1 << 16];
        private long _blockAt = -1;
        private int _blockBytes;
        private char[] _large = [];

        public ReadOnlySpan<char> Read(long at, int chars)
        {
            int bytes = 2 * chars;
            if (bytes == 0) return [];
            if (_blockAt < 0 || at < _blockAt || at + bytes > _blockAt + _blockBytes)
            {
                if (bytes > _block.Length)
                {
                    if (_large.Length < chars) _large = new char[chars];
                    Fill(MemoryMarshal.AsBytes(_large.AsSpan(0, chars)), at, bytes);
                    return _large.AsSpan(0, chars);
                }
                bool forward = _blockAt >= 0 && at >= _blockAt && at < _blockAt + _blockBytes + _block.Length;
                _blockBytes = (int)Math.Min(Math.Max(bytes, forward ? _block.Length : Small), length - at);
                _blockAt = at;
                Fill(_block.AsSpan(0, _blockBytes), at, bytes);
            }
            return MemoryMarshal.Cast<byte, char>(_block.AsSpan((int)(at - _blockAt), bytes));
        }

        private void Fill(Span<byte> into, long at, int needed)
        {
            int read = FileReads.ReadFully(_handle!, into, at);
            if (read < needed)
                throw new InvalidDataException($"{path} (temporary correlation texts): short read at offset {at + read}: {read} of {needed} bytes");
        }
    }
}
