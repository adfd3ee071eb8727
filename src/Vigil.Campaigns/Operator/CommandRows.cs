using Vigil.IO;
using System.Runtime.InteropServices;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Operator;

/// <summary>
/// A campaign's commands in time order, as fixed-size rows: time, the host's 64-bit hash (XxHash3 of its name), the
/// template's 128-bit hash (XxHash128 of its text) and whether the command is a discovery tool. Rows live in a
/// <see cref="SpillList{T}"/>: an array for an ordinary campaign, a temporary file with a few pages in memory for one of
/// millions of commands (a machine-speed agent on one host for a day), so the operator analysis does not hold an object
/// per command. Its measurements walk the rows by index with one or two cursors each (sliding windows); sequential walks
/// read each page once.
/// <para>Templates and hosts are compared by their hashes: two different templates with the same 128-bit hash, or two
/// hosts with the same 64-bit one, would count as one (the time indexes accept the same odds). Nothing is kept per host:
/// a dictionary of the names numbered them, ~80 bytes a host, 80 MB for an actor reaching 1M hosts.</para>
/// </summary>
internal sealed class CommandRows : IDisposable
{
    [StructLayout(LayoutKind.Sequential)]
    public struct Row
    {
        public long Ticks;
        public ulong TemplateLo, TemplateHi;
        public ulong Host;
        public int Discovery;

        public readonly UInt128 Template => new(TemplateHi, TemplateLo);
    }

    /// <summary>Rows held in memory before the list moves to its file (2.5 MB of 40-byte rows), rows per page of the file
    /// (40 KB) and pages cached (1.25 MB: the analysis's cursors each stay within a page or two).</summary>
    public const int MemoryRows = 1 << 16, PageRows = 1024, CachePages = 32;

    private readonly SpillList<Row> _rows;
    private long _last = long.MinValue;

    public CommandRows(int memoryRows = MemoryRows, int pageRows = PageRows, int cachePages = CachePages) =>
        _rows = new SpillList<Row>("operator commands", memoryRows, 0, pageRows, cachePages);

    public int Count => _rows.Count;
    /// <summary>Whether the rows went to the temporary file.</summary>
    public bool Spilled => _rows.Spilled;

    public Row this[int i] => _rows[i];
    public long Ticks(int i) => _rows[i].Ticks;

    /// <summary>Appends a command; times must not decrease.</summary>
    public void Add(long ticks, string host, string template, bool discovery)
    {
        if (ticks < _last) throw new InvalidOperationException("operator commands must come in time order");
        _last = ticks;
        var hash = TextHash.Of(template);
        _rows.Add(new Row { Ticks = ticks, TemplateLo = (ulong)hash, TemplateHi = (ulong)(hash >> 64), Host = TextHash.Of64(host), Discovery = discovery ? 1 : 0 });
    }

    /// <summary>The times as a list (for the windowed peaks).</summary>
    public IReadOnlyList<long> Times => new TimesView(this);

    public void Dispose() => _rows.Dispose();

    private sealed class TimesView(CommandRows rows) : IReadOnlyList<long>
    {
        public long this[int index] => rows.Ticks(index);
        public int Count => rows.Count;

        public IEnumerator<long> GetEnumerator()
        {
            for (int i = 0; i < rows.Count; i++) yield return rows.Ticks(i);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
