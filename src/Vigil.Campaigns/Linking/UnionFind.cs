namespace Vigil.Campaigns.Linking;

/// <summary>Disjoint sets over string keys (entities: process trees, logon sessions, account runs, events) with path
/// halving and union by size: near-linear in the number of links.</summary>
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
    private readonly List<int> _parent;
    private readonly List<int> _size;

    /// <param name="capacity">Nodes expected (sizes the node tables once instead of growing them by doubling).</param>
    public UnionFind(int capacity = 0)
    {
        _ids = [];
        _parent = new List<int>(capacity);
        _size = new List<int>(capacity);
    }

    /// <summary>A new node without a key (the builder numbers detections 0..n-1 this way: no key string per detection).</summary>
    public int Add()
    {
        int id = _parent.Count;
        _parent.Add(id);
        _size.Add(1);
        return id;
    }

    public int Count => _parent.Count;

    public int Node(string key) => Node(Key.Of(key));

    public int Node(Key key)
    {
        if (_ids.TryGetValue(key, out int id)) return id;
        id = _parent.Count;
        _ids[key] = id;
        _parent.Add(id);
        _size.Add(1);
        return id;
    }

    public bool TryGet(string key, out int id) => _ids.TryGetValue(Key.Of(key), out id);

    public int Find(int x)
    {
        while (_parent[x] != x) { _parent[x] = _parent[_parent[x]]; x = _parent[x]; }
        return x;
    }

    public void Union(int a, int b)
    {
        a = Find(a); b = Find(b);
        if (a == b) return;
        if (_size[a] < _size[b]) (a, b) = (b, a);
        _parent[b] = a;
        _size[a] += _size[b];
    }

    public void Union(string a, string b) => Union(Node(a), Node(b));
    public void Union(Key a, Key b) => Union(Node(a), Node(b));

    /// <summary>The set of a key, or -1 when the key was never linked.</summary>
    public int FindKey(string key) => FindKey(Key.Of(key));
    public int FindKey(Key key) => _ids.TryGetValue(key, out int id) ? Find(id) : -1;
}
