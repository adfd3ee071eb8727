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

    /// <param name="wanted">The names that will be looked up, if known: rows for other texts are not kept (a command line
    /// names many texts that could be hosts, paths and arguments among them; the 1.39M-event day's index sorted every one).
    /// </param>
    public MentionIndex(ProcessIndex px, BuildLimits limits, MentionFilter? wanted = null)
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
                if (wanted is not null) keys.RemoveWhere(k => !wanted.MayContain(k));
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
    internal static ulong KeyOf(ReadOnlySpan<char> name)
    {
        Span<char> upper = stackalloc char[MaxName];
        int n = name.ToUpperInvariant(upper);
        return TextHash.Of64(upper[..n]);
    }

    public void Dispose() => _rows.Dispose();
}

/// <summary>
/// The host names a build will look up in a <see cref="MentionIndex"/> (every host that answered a logon), as a Bloom
/// filter of their keys: a fixed 1 MB whatever the number of hosts, no false negatives (a name added is always kept), and
/// a false positive only keeps a row the lookups never ask for.
/// </summary>
internal sealed class MentionFilter
{
    private readonly ulong[] _bits;
    private readonly ulong _mask;

    /// <param name="bits">Size of the filter in bits, a power of two (default 2^23: 1 MB).</param>
    public MentionFilter(int bits = 1 << 23)
    {
        if (bits < 64 || (bits & (bits - 1)) != 0) throw new ArgumentOutOfRangeException(nameof(bits), bits, "a power of two, at least 64");
        _bits = new ulong[bits / 64];
        _mask = (ulong)bits - 1;
    }

    /// <summary>Adds <paramref name="name"/> if the index answers for it (<see cref="MentionIndex.Indexable"/>).</summary>
    public void Add(string name)
    {
        if (!MentionIndex.Indexable(name)) return;
        ulong key = MentionIndex.KeyOf(name);
        for (int k = 0; k < 3; k++)
        {
            ulong bit = Probe(key, k);
            _bits[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>Whether a name of this key may have been added (false: it certainly was not).</summary>
    public bool MayContain(ulong key)
    {
        for (int k = 0; k < 3; k++)
        {
            ulong bit = Probe(key, k);
            if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0) return false;
        }
        return true;
    }

    /// <summary>Probe <paramref name="k"/> of a key: double hashing from its two halves.</summary>
    private ulong Probe(ulong key, int k) => ((key & 0xffffffff) + (ulong)k * ((key >> 32) | 1)) & _mask;
}
