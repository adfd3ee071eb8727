using Vigil.Campaigns.Entities;
using Vigil.IO;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The processes whose command lines name a remote host (<see cref="LateralLinker.Mentions(string, string)"/>: <c>\\HOST</c>,
/// <c>/node:HOST</c>, <c>-ComputerName HOST</c>...), by (host the process ran on, host named, time): the source side of a
/// remote logon asks for the processes of its source host in a window that name its target.
/// <para>
/// The linker scanned the source host's five minutes of processes for every remote logon and searched each command line for
/// the target: an agent reaching a target every 50 ms has 6,000 processes in any five minutes, so 1M targets were 6e9
/// searches (and a text read from the process store's file apiece past its memory budget). Now each command line is read
/// once: every text a mention could be (from each place where <see cref="LateralLinker.Mentions(string, string)"/> would
/// accept a host to start, to each place it would accept it to end, stopping at the first ending character other than '.')
/// becomes a row keyed by the 64-bit hash of its upper-case form, sorted in files (<see cref="ExternalSorter{T}"/>). A
/// window's rows come in start order, as the scan's did, and the caller still confirms each with
/// <see cref="LateralLinker.Mentions(string, string)"/>: a hash shared by two texts costs a check, never a wrong link.
/// </para>
/// <para>
/// Targets the rows cannot answer for (<see cref="Indexable"/>: names with an ending character other than '.' inside, longer
/// than 255, or not ASCII) are scanned as before.
/// </para>
/// </summary>
internal sealed class MentionIndex : IDisposable
{
    private readonly record struct Entry(int Host, ulong Key, long Ticks, int Proc, int Command)
    {
        public static int Compare(Entry a, Entry b) =>
            a.Host != b.Host ? a.Host.CompareTo(b.Host) : a.Key != b.Key ? a.Key.CompareTo(b.Key)
            : a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Proc.CompareTo(b.Proc);
    }

    /// <summary>The longest host name looked up through the rows (DNS names are at most 253 characters).</summary>
    public const int MaxName = 255;

    private readonly SortedRows<Entry> _rows;

    /// <summary>Rows (process, name it may mention) in the index.</summary>
    public int Count => _rows.Count;

    public MentionIndex(ProcessIndex px, BuildLimits limits)
    {
        _rows = new SortedRows<Entry>("mentions", limits.PageRows, limits.CachePages);
        using var sorter = new ExternalSorter<Entry>("mentions", Entry.Compare, limits.RunRows);
        // The keys of a command line by its text id (equal ids, equal texts): the same commands run on many hosts.
        var memo = new Dictionary<int, ulong[]>();
        var keys = new HashSet<ulong>();
        for (int i = 0; i < px.Count; i++)
        {
            int command = px.CommandId(i);
            if (command == 0) continue;
            if (!memo.TryGetValue(command, out var found))
            {
                keys.Clear();
                Keys(px.Text(command), keys);
                found = keys.Count == 0 ? [] : [.. keys];
                if (memo.Count >= 1 << 16) memo.Clear();
                memo[command] = found;
            }
            if (found.Length == 0) continue;
            int host = px.HostId(i);
            long ticks = px.Ticks(i);
            foreach (var key in found) sorter.Add(new Entry(host, key, ticks, i, command));
        }
        foreach (var e in sorter.Sorted()) _rows.Add(e);
    }

    /// <summary>Whether the rows answer for <paramref name="target"/> (see the class remarks).</summary>
    public static bool Indexable(string target)
    {
        if (target.Length < 2 || target.Length > MaxName) return false;
        foreach (char ch in target)
            if (ch > 0x7f || (ch != '.' && LateralLinker.EndsMention(ch))) return false;
        return true;
    }

    /// <summary>The processes on host <paramref name="host"/> (the process store's id) that started within [from, to] and
    /// may name <paramref name="target"/>, in start order, with their command lines' text ids. Only for an
    /// <see cref="Indexable"/> target; confirm each with <see cref="LateralLinker.Mentions(string, string)"/>.</summary>
    public IEnumerable<(int Proc, int CommandLine)> Window(int host, string target, long from, long to)
    {
        if (host < 0) yield break;
        ulong key = KeyOf(target);
        for (int k = _rows.LowerBound((host, key, from), static (e, q) => e.Host < q.host || (e.Host == q.host && (e.Key < q.key || (e.Key == q.key && e.Ticks < q.from))));
             k < _rows.Count; k++)
        {
            var e = _rows[k];
            if (e.Host != host || e.Key != key || e.Ticks > to) yield break;
            yield return (e.Proc, e.Command);
        }
    }

    /// <summary>The keys of every text <see cref="LateralLinker.Mentions(string, string)"/> could find in
    /// <paramref name="commandLine"/> for an <see cref="Indexable"/> host.</summary>
    internal static void Keys(string commandLine, HashSet<ulong> keys)
    {
        for (int at = 0; at + 2 <= commandLine.Length; at++)
        {
            if (!LateralLinker.StartsMention(commandLine, at)) continue;
            for (int end = at + 1; end <= commandLine.Length && end - at <= MaxName; end++)
            {
                bool last = end == commandLine.Length;
                if (!last && !LateralLinker.EndsMention(commandLine[end])) continue;
                if (end - at >= 2) keys.Add(KeyOf(commandLine.AsSpan(at, end - at)));
                if (last || commandLine[end] != '.') break;
            }
        }
    }

    /// <summary>The key of a name of at most <see cref="MaxName"/> characters: the hash of its upper-case form (as
    /// <see cref="string.ToUpperInvariant()"/> makes it), made without a string.</summary>
    private static ulong KeyOf(ReadOnlySpan<char> name)
    {
        Span<char> upper = stackalloc char[MaxName];
        int n = name.ToUpperInvariant(upper);
        return TextHash.Of64(upper[..n]);
    }

    public void Dispose() => _rows.Dispose();
}
