using Vigil.IO;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The entity keys of the build (process trees, logon sessions, rare addresses, cloud identities, services) joined without a
/// dictionary of keys: each (key, node) membership is a row sorted in runs of a fixed size (<see cref="ExternalSorter{T}"/>);
/// then, key by key in sorted order, every node of a key is joined to the key's first node. The sets are those that a node
/// per key joined to each of its members gave (a key with no member has no set), with nothing per key in memory.
/// <para>
/// Keys are exact: a tree by its root's number, a session by (host number, logon id; hosts are numbered in a dictionary of
/// distinct hosts), a text key (rare external addresses, cloud identities, unattributed services) by the number of its text
/// while the texts fit <see cref="BuildLimits.KeyTextChars"/>, past that by a 96-bit hash of the text with the text kept in
/// a file (<see cref="TextTable"/>). Rows of one hash are told apart by their texts when they are resolved, so two texts
/// with one hash stay two keys. A brute force from 3M addresses named 3M text keys: as a dictionary they held ~270 MB
/// through the whole build.
/// </para>
/// <para>
/// Questions about keys (the set a process tree or a session is in, whether a session is a network logon's) are rows of
/// the same sort, placed after the key's members: they are answered in a second pass over the sorted rows (kept in a
/// temporary file), once every union is done.
/// </para>
/// </summary>
internal sealed class KeyJoin : IDisposable
{
    internal enum RowType : byte
    {
        /// <summary>Node <see cref="Row.Id"/> has the key.</summary>
        Member = 0,
        /// <summary>The key is a network logon's session (4624 type 3 or 8).</summary>
        NetworkSession = 1,
        /// <summary>Questions: the set of the key (-1 if it has no member); for <see cref="SessionQuery"/>, only if the key is a
        /// network session.</summary>
        TreeQuery = 2,
        SessionQuery = 3,
        LateralQuery = 4,
    }

    internal struct Row
    {
        public long B;
        public int A, Id;
        /// <summary>For a hashed text key (<see cref="HashedText"/>): the text's id in the key texts, then, once sorted, which
        /// of the texts with that hash it is (0, 1, ...). Not compared by the sort.</summary>
        public int Text;
        public byte Kind;
        public RowType Type;
    }

    /// <summary>Row kind of a text key past the texts kept in memory: A and B hold 96 bits of its hash.</summary>
    private const byte HashedText = 3;

    /// <summary>Whether two rows are about the same key (the sort's first three fields).</summary>
    private static bool SameKey(in Row x, in Row y) => x.Kind == y.Kind && x.A == y.A && x.B == y.B;

    private static int Compare(Row x, Row y) =>
        x.Kind != y.Kind ? x.Kind.CompareTo(y.Kind) : x.A != y.A ? x.A.CompareTo(y.A) : x.B != y.B ? x.B.CompareTo(y.B)
        : x.Type != y.Type ? x.Type.CompareTo(y.Type) : x.Id.CompareTo(y.Id);

    private readonly TextTable _texts;
    /// <summary>Hosts of session keys (host, logon id), one exact id each (numbered in the order first seen, as the
    /// dictionary of names they replace did).</summary>
    private readonly TextTable _hosts;
    private readonly ExternalSorter<Row> _sorter;
    private readonly BuildLimits _limits;
    private readonly Func<string, UInt128> _hash;

    /// <param name="hash">The hash of a text key past the memory budget (tests force collisions).</param>
    /// <param name="recentTexts">Key texts past the budget remembered for reuse (tests force few: a text then has several ids).</param>
    public KeyJoin(BuildLimits limits, Func<string, UInt128>? hash = null, int recentTexts = TextTable.RecentSpilled)
    {
        _limits = limits;
        _hash = hash ?? (t => TextHash.Of(t));
        _texts = limits.KeyTexts("entity-key", limits.KeyTextChars, recentTexts);
        _hosts = limits.KeyTexts("entity-key-hosts", limits.KeyTextChars / 4, exact: true);
        _sorter = new ExternalSorter<Row>("entity-keys", Compare, limits.RunRows);
    }

    /// <summary>Rows added (memberships, markers and questions).</summary>
    public long Rows => _sorter.Count;
    /// <summary>Sorted runs written to the file (0: all in memory).</summary>
    public int Runs => _sorter.Runs;
    /// <summary>Text keys and hosts numbered (a text key past the memory budget may be counted more than once).</summary>
    public int Texts => _texts.Count - 1 + _hosts.Count - 1;
    /// <summary>Text keys kept in a file and keyed by hash.</summary>
    public int HashedTexts => _texts.SpilledCount;

    private void Add(UnionFind.Key key, RowType type, int id)
    {
        var row = new Row { Kind = key.Kind, Type = type, Id = id };
        switch (key.Kind)
        {
            case 0:
                int text = _texts.Id(key.Text!);
                if (_texts.InMemory(text)) row.A = text;
                else
                {
                    var h = _hash(key.Text!);
                    row.Kind = HashedText;
                    row.A = (int)(uint)(h >> 64);
                    row.B = (long)(ulong)h;
                    row.Text = text;
                }
                break;
            case 1: row.A = checked((int)key.Number); break;
            case 2: row.A = _hosts.Id(key.Text!); row.B = key.Number; break;
            default: throw new ArgumentOutOfRangeException(nameof(key), key.Kind, "unknown key kind");
        }
        _sorter.Add(row);
    }

    public void Member(UnionFind.Key key, int node) => Add(key, RowType.Member, node);
    public void Member(string textKey, int node) => Add(UnionFind.Key.Of(textKey), RowType.Member, node);
    public void NetworkSession(string host, long logon) => Add(UnionFind.Key.Session(host, logon), RowType.NetworkSession, 0);
    public void Query(UnionFind.Key key, RowType type, int id) => Add(key, type, id);

    /// <summary>Joins every key's members in <paramref name="uf"/>, calls <paramref name="unionsDone"/>, then answers each
    /// question: <paramref name="answer"/>(type, id, the root of the key's set or -1).</summary>
    public void Resolve(UnionFind uf, Action unionsDone, Action<RowType, int, int> answer)
    {
        using var sorted = new RowFile<Row>("entity-keys-sorted", _limits.PageRows, 2);
        // Per key: its first member (-1 while it has none) and whether it is a network session. A run of rows with one
        // (kind, A, B) is one key, except for hashed texts, where it is one key per distinct text (a sub-key: see Sub).
        var first = new List<int>();
        var network = new List<bool>();
        var subs = new HashRunKeys(_texts);
        Row key = default;
        bool any = false;
        void NewRun(in Row r)
        {
            key = r;
            any = true;
            first.Clear();
            network.Clear();
            subs.NewRun();
        }
        // Which of the run's texts the row's is (for a hashed text key; any other run is one key).
        int Sub(in Row r) => r.Kind != HashedText ? 0 : subs.KeyOf(r.Text, out _);
        foreach (var row in _sorter.Sorted())
        {
            var r = row;
            if (!any || !SameKey(r, key)) NewRun(r);
            int sub = Sub(r);
            while (first.Count <= sub) first.Add(-1);
            if (r.Type == RowType.Member)
            {
                if (first[sub] < 0) first[sub] = r.Id; else uf.Union(first[sub], r.Id);
            }
            r.Text = sub;
            sorted.Add(r);
        }
        _sorter.Dispose();
        _texts.Dispose();
        _hosts.Dispose();
        unionsDone();
        any = false;
        for (int k = 0; k < sorted.Count; k++)
        {
            var r = sorted[k];
            if (!any || !SameKey(r, key)) NewRun(r);
            int sub = r.Text;
            while (first.Count <= sub) { first.Add(-1); network.Add(false); }
            switch (r.Type)
            {
                case RowType.Member: if (first[sub] < 0) first[sub] = r.Id; break;
                case RowType.NetworkSession: network[sub] = true; break;
                case RowType.SessionQuery: answer(r.Type, r.Id, network[sub] && first[sub] >= 0 ? uf.Find(first[sub]) : -1); break;
                default: answer(r.Type, r.Id, first[sub] >= 0 ? uf.Find(first[sub]) : -1); break;
            }
        }
    }

    public void Dispose()
    {
        _sorter.Dispose();
        _texts.Dispose();
        _hosts.Dispose();
    }
}
