namespace Vigil.Campaigns.Entities;

/// <summary>
/// Distinct values numbered in order of first use, id 0 being the given empty value: the rows of the compact stores
/// (facts, processes, logons) hold these ids instead of references. Each distinct value is kept once, for the life of the
/// store. <see cref="Seal"/> drops the lookup once nothing more will be added (the values stay readable). Not thread-safe.
/// </summary>
internal sealed class IdTable<T> where T : notnull
{
    private readonly T _empty;
    private readonly IEqualityComparer<T> _comparer;
    private readonly List<T> _values = [];
    private Dictionary<T, int>? _ids;

    public IdTable(T empty, IEqualityComparer<T> comparer)
    {
        _empty = empty;
        _comparer = comparer;
        Clear();
    }

    /// <summary>Distinct values held, the empty one included.</summary>
    public int Count => _values.Count;

    /// <summary>True once <see cref="Seal"/> was called: <see cref="Id"/> then throws.</summary>
    public bool IsSealed => _ids is null;

    public T this[int id] => _values[id];

    /// <summary>The id of <paramref name="value"/>, numbering it if new.</summary>
    public int Id(T value)
    {
        if (_ids is null) throw new InvalidOperationException("the table is sealed: no more values can be added");
        if (_ids.TryGetValue(value, out int id)) return id;
        id = _values.Count;
        _values.Add(value);
        _ids[value] = id;
        return id;
    }

    /// <summary>No more values: the lookup is dropped (the values stay).</summary>
    public void Seal()
    {
        _ids = null;
        _values.TrimExcess();
    }

    /// <summary>Back to the empty value alone, open for adding.</summary>
    public void Clear()
    {
        _values.Clear();
        _values.Add(_empty);
        _values.TrimExcess();
        _ids = new Dictionary<T, int>(_comparer) { [_empty] = 0 };
    }
}
