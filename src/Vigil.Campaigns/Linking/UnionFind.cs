namespace Vigil.Campaigns.Linking;

/// <summary>Disjoint sets over string keys (entities: process trees, logon sessions, account runs, events) with path
/// halving and union by size: near-linear in the number of links.</summary>
public sealed class UnionFind
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<int> _parent = [];
    private readonly List<int> _size = [];

    /// <summary>A new node without a key (the builder numbers detections 0..n-1 this way: no key string per detection).</summary>
    public int Add()
    {
        int id = _parent.Count;
        _parent.Add(id);
        _size.Add(1);
        return id;
    }

    public int Count => _parent.Count;

    public int Node(string key)
    {
        if (_ids.TryGetValue(key, out int id)) return id;
        id = _parent.Count;
        _ids[key] = id;
        _parent.Add(id);
        _size.Add(1);
        return id;
    }

    public bool TryGet(string key, out int id) => _ids.TryGetValue(key, out id);

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

    /// <summary>The set of a key, or -1 when the key was never linked.</summary>
    public int FindKey(string key) => _ids.TryGetValue(key, out int id) ? Find(id) : -1;
}
