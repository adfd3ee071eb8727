namespace Vigil.Campaigns.Linking;

/// <summary>Disjoint sets over string keys (entities: process trees, logon sessions, account runs, events) with path
/// halving and union by rank: near-linear in the number of links.
/// <para>Memory: 5 bytes per node (parent and a one-byte rank; a rank never exceeds log2 of the node count), plus a
/// dictionary entry per key. Which node ends up the root of a set depends on the order of unions; the sets do not.</para></summary>
public sealed class UnionFind
{
    /// <summary>An entity key: a text ("X|203.0.113.9", kind 0), or a typed key without a string of its own: a process tree
    /// (kind 1, its root) or a logon session (kind 2, host and logon id). A long day has ~100,000s of tree and session keys;
    /// as strings each cost its text plus a new string per lookup.</summary>
    public readonly record struct Key(byte Kind, string? Text, long Number)
    {
        public static Key Of(string text) => new(0, text, 0);
        public static Key Tree(int root) => new(1, null, root);
        public static Key Session(string host, long logon) => new(2, host, logon);
    }

    private readonly Dictionary<Key, int> _ids;
    private int[] _parent;
    private byte[] _rank;
    private int _count;

    /// <param name="capacity">Nodes expected (sizes the node tables once; beyond it they grow by half).</param>
    public UnionFind(int capacity = 0)
    {
        _ids = [];
        _parent = new int[Math.Max(capacity, 16)];
        _rank = new byte[_parent.Length];
    }

    private int NewNode()
    {
        if (_count == _parent.Length)
        {
            int size = checked(_count + Math.Max(16, _count / 2));
            Array.Resize(ref _parent, size);
            Array.Resize(ref _rank, size);
        }
        int id = _count++;
        _parent[id] = id;
        return id;
    }

    /// <summary>Room for <paramref name="nodes"/> nodes in all (the node tables grow to exactly that if smaller).</summary>
    public void EnsureCapacity(int nodes)
    {
        if (nodes <= _parent.Length) return;
        Array.Resize(ref _parent, nodes);
        Array.Resize(ref _rank, nodes);
    }

    /// <summary>A new node without a key (the builder numbers detections 0..n-1 this way: no key string per detection).</summary>
    public int Add() => NewNode();

    public int Count => _count;

    public int Node(string key) => Node(Key.Of(key));

    public int Node(Key key)
    {
        if (_ids.TryGetValue(key, out int id)) return id;
        id = NewNode();
        _ids[key] = id;
        return id;
    }

    public bool TryGet(string key, out int id) => _ids.TryGetValue(Key.Of(key), out id);

    public int Find(int x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, _count);
        var parent = _parent;
        while (parent[x] != x) { parent[x] = parent[parent[x]]; x = parent[x]; }
        return x;
    }

    public void Union(int a, int b)
    {
        a = Find(a); b = Find(b);
        if (a == b) return;
        if (_rank[a] < _rank[b]) (a, b) = (b, a);
        _parent[b] = a;
        if (_rank[a] == _rank[b]) _rank[a]++;
    }

    public void Union(string a, string b) => Union(Node(a), Node(b));
    public void Union(Key a, Key b) => Union(Node(a), Node(b));

    /// <summary>The set of a key, or -1 when the key was never linked.</summary>
    public int FindKey(string key) => FindKey(Key.Of(key));
    public int FindKey(Key key) => _ids.TryGetValue(key, out int id) ? Find(id) : -1;
}
