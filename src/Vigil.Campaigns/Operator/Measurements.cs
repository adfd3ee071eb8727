using System.Diagnostics.CodeAnalysis;

namespace Vigil.Campaigns.Operator;

/// <summary>
/// A campaign's operator evidence, compact: the measurement names (the same ~20, in the same order, for every campaign)
/// are one shared array, and each campaign holds only its numbers. A dictionary per campaign cost ~650 bytes; a long day
/// keeps ~25,000 campaigns. Read-only; enumerates in the order the measurements were taken (the output order).
/// </summary>
internal sealed class Measurements : IReadOnlyDictionary<string, double>
{
    private sealed class Names(string[] keys)
    {
        public readonly string[] Keys = keys;
        public readonly Dictionary<string, int> Index = keys.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>The names of the last campaign measured: immutable, so a race only costs a second copy.</summary>
    private static Names? _last;

    private readonly Names _names;
    private readonly double[] _values;

    private Measurements(Names names, double[] values) { _names = names; _values = values; }

    public static Measurements From(Dictionary<string, double> measured)
    {
        var last = _last;
        Names names;
        if (last is not null && last.Keys.Length == measured.Count && measured.Keys.SequenceEqual(last.Keys, StringComparer.Ordinal)) names = last;
        else _last = names = new Names(measured.Keys.ToArray());
        return new Measurements(names, measured.Values.ToArray());
    }

    public double this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
    public IEnumerable<string> Keys => _names.Keys;
    public IEnumerable<double> Values => _values;
    public int Count => _values.Length;
    public bool ContainsKey(string key) => _names.Index.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out double value)
    {
        if (_names.Index.TryGetValue(key, out int i)) { value = _values[i]; return true; }
        value = 0;
        return false;
    }

    public IEnumerator<KeyValuePair<string, double>> GetEnumerator()
    {
        for (int i = 0; i < _values.Length; i++) yield return new(_names.Keys[i], _values[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
