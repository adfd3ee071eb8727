using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Linking;

/// <summary>Disjoint sets over string keys (entities: process trees, logon sessions, account runs, events) with path
/// halving and union by rank: near-linear in the number of links.
/// <para>Memory: 5 bytes per node (parent and a one-byte rank; a rank never exceeds log2 of the node count) up to
/// <see cref="SpillList{T}.DefaultMemoryItems"/> nodes, then a bounded page cache over temporary files, plus a
/// dictionary entry per key. Which node ends up the root of a set depends on the order of unions; the sets do not.</para></summary>
public sealed class UnionFind : IDisposable
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

    /// <summary>A <see cref="Key"/> as a row of a file: its text as an id in a <see cref="TextTable"/> (-1: none).
    /// The lateral linker's candidates and the movement store keep their keys so.</summary>
    internal readonly record struct KeyRow(byte Kind, int Text, long Number)
    {
        public static KeyRow Of(Key k, TextTable texts) => new(k.Kind, k.Text is null ? -1 : texts.Id(k.Text), k.Number);

        public Key ToKey(TextTable texts) => new(Kind, Text < 0 ? null : texts[Text], Number);
    }

    private readonly Dictionary<Key, int> _ids;
    private readonly SpillList<int> _parent;
    private readonly SpillList<byte> _rank;

    /// <param name="capacity">Nodes expected (sizes the node tables once; beyond it they grow by half).</param>
    public UnionFind(int capacity = 0) : this(capacity, SpillList<int>.DefaultMemoryItems) { }

    /// <param name="memoryNodes">Nodes the tables hold in memory; past that both move to temporary files (a bounded page
    /// cache in memory: see <see cref="SpillList{T}"/>). Tests force a small number.</param>
    internal UnionFind(int capacity, int memoryNodes, int pageRows = SpillList<int>.DefaultPageRows, int cachePages = SpillList<int>.DefaultCachePages)
    {
        _ids = [];
        _parent = new SpillList<int>("union-find-parents", memoryNodes, capacity, pageRows, cachePages);
        _rank = new SpillList<byte>("union-find-ranks", memoryNodes, capacity, pageRows, cachePages);
    }

    private int NewNode()
    {
        int id = _parent.Count;
        _parent.Add(id);
        _rank.Add(0);
        return id;
    }

    /// <summary>A new node without a key (the builder numbers detections 0..n-1 this way: no key string per detection).</summary>
    public int Add() => NewNode();

    public int Count => _parent.Count;

    /// <summary>Whether the node tables are in files (a diagnostic).</summary>
    public bool Spilled => _parent.Spilled;

    /// <summary>Pages of the node tables read back from their files (a diagnostic).</summary>
    public long PageReads => _parent.PageReads + _rank.PageReads;

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
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Count);
        if (_parent.TryGetSpan(out var parent))
        {
            while (parent[x] != x) { parent[x] = parent[parent[x]]; x = parent[x]; }
            return x;
        }
        // The same path halving through the file (a parent is rewritten only when it changes: no page is dirtied for nothing).
        while (true)
        {
            int p = _parent[x];
            if (p == x) return x;
            int grand = _parent[p];
            if (grand != p) _parent[x] = grand;
            x = grand;
        }
    }

    public void Union(int a, int b)
    {
        a = Find(a); b = Find(b);
        if (a == b) return;
        byte rankA = _rank[a], rankB = _rank[b];
        if (rankA < rankB) { (a, b) = (b, a); (rankA, rankB) = (rankB, rankA); }
        _parent[b] = a;
        if (rankA == rankB) _rank[a] = (byte)(rankA + 1);
    }

    public void Union(string a, string b) => Union(Node(a), Node(b));
    public void Union(Key a, Key b) => Union(Node(a), Node(b));

    /// <summary>The set of a key, or -1 when the key was never linked.</summary>
    public int FindKey(string key) => FindKey(Key.Of(key));
    public int FindKey(Key key) => _ids.TryGetValue(key, out int id) ? Find(id) : -1;

    public void Dispose()
    {
        _parent.Dispose();
        _rank.Dispose();
    }
}
