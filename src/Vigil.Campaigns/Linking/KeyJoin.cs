using Vigil.IO;
using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>
/// The entity keys of the build (process trees, logon sessions, rare addresses, cloud identities, services) joined without a
/// dictionary of keys: each (key, node) membership is a row sorted in runs of a fixed size (<see cref="ExternalSorter{T}"/>);
/// then, key by key in sorted order, every node of a key is joined to the key's first node. The sets are those that a node
/// per key joined to each of its members gave (a key with no member has no set), with nothing per key in memory.
/// <para>
/// Keys are exact, not hashed: a tree by its root's number, a session by (host number, logon id), a text key by the number
/// of its text (texts and hosts are numbered in two dictionaries of distinct values: distinct hosts, and the rare external
/// addresses, cloud identities and unattributed services that are keys).
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
        public byte Kind;
        public RowType Type;
    }

    /// <summary>Whether two rows are about the same key (the sort's first three fields).</summary>
    private static bool SameKey(in Row x, in Row y) => x.Kind == y.Kind && x.A == y.A && x.B == y.B;

    private static int Compare(Row x, Row y) =>
        x.Kind != y.Kind ? x.Kind.CompareTo(y.Kind) : x.A != y.A ? x.A.CompareTo(y.A) : x.B != y.B ? x.B.CompareTo(y.B)
        : x.Type != y.Type ? x.Type.CompareTo(y.Type) : x.Id.CompareTo(y.Id);

    private readonly Dictionary<string, int> _texts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _hosts = new(StringComparer.Ordinal);
    private readonly ExternalSorter<Row> _sorter;
    private readonly BuildLimits _limits;

    public KeyJoin(BuildLimits limits)
    {
        _limits = limits;
        _sorter = new ExternalSorter<Row>("entity-keys", Compare, limits.RunRows);
    }

    /// <summary>Rows added (memberships, markers and questions).</summary>
    public long Rows => _sorter.Count;
    /// <summary>Sorted runs written to the file (0: all in memory).</summary>
    public int Runs => _sorter.Runs;
    /// <summary>Distinct text keys and hosts numbered.</summary>
    public int Texts => _texts.Count + _hosts.Count;

    private static int Number(Dictionary<string, int> table, string text)
    {
        if (!table.TryGetValue(text, out int id)) table[text] = id = table.Count;
        return id;
    }

    private void Add(UnionFind.Key key, RowType type, int id)
    {
        var row = new Row { Kind = key.Kind, Type = type, Id = id };
        switch (key.Kind)
        {
            case 0: row.A = Number(_texts, key.Text!); break;
            case 1: row.A = checked((int)key.Number); break;
            case 2: row.A = Number(_hosts, key.Text!); row.B = key.Number; break;
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
        Row key = default;
        bool any = false;
        int first = -1; // the key's first member, -1 while it has none
        foreach (var r in _sorter.Sorted())
        {
            if (!any || !SameKey(r, key)) { key = r; any = true; first = -1; }
            if (r.Type == RowType.Member)
            {
                if (first < 0) first = r.Id; else uf.Union(first, r.Id);
            }
            sorted.Add(r);
        }
        _sorter.Dispose();
        unionsDone();
        any = false;
        bool network = false;
        for (int k = 0; k < sorted.Count; k++)
        {
            var r = sorted[k];
            if (!any || !SameKey(r, key)) { key = r; any = true; first = -1; network = false; }
            switch (r.Type)
            {
                case RowType.Member: if (first < 0) first = r.Id; break;
                case RowType.NetworkSession: network = true; break;
                case RowType.SessionQuery: answer(r.Type, r.Id, network && first >= 0 ? uf.Find(first) : -1); break;
                default: answer(r.Type, r.Id, first >= 0 ? uf.Find(first) : -1); break;
            }
        }
    }

    public void Dispose() => _sorter.Dispose();
}
