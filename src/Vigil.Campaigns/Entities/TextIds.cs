namespace Vigil.Campaigns.Entities;

/// <summary>
/// Distinct texts numbered in order of first use, id 0 being "": the rows of the compact stores (processes, logons) hold
/// these ids instead of strings. Each distinct text is kept once, for the life of the store. Not thread-safe.
/// </summary>
internal sealed class TextIds
{
    private readonly List<string> _texts = [""];
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { [""] = 0 };

    /// <summary>Distinct texts held, "" included.</summary>
    public int Count => _texts.Count;

    public string this[int id] => _texts[id];

    /// <summary>The id of <paramref name="s"/>, numbering it if new.</summary>
    public int Id(string s)
    {
        if (s.Length == 0) return 0;
        if (_ids.TryGetValue(s, out int id)) return id;
        id = _texts.Count;
        _texts.Add(s);
        _ids[s] = id;
        return id;
    }
}
