namespace Vigil.Campaigns.Entities;

/// <summary>
/// Tells apart the keys in a run of sorted rows that share one hash, each row naming its key by an id in a
/// <see cref="TextTable"/> of spilled texts. A run is almost always one key; but the table may give one text several ids
/// (it remembers only its recent texts), and two texts may share a hash. So a row whose id the run has not seen has its
/// text read and compared with the run's keys; a run whose rows all carry one id reads nothing. Used wherever a build
/// keys rows by the hash of a text it keeps in a file (entity keys, a campaign's distinct texts, account runs), so a
/// hash collision never joins two keys. Not thread-safe.
/// </summary>
internal sealed class HashRunKeys(TextTable texts)
{
    /// <summary>Ids remembered per run; past them a row's text is read again (a run of one text under millions of ids).</summary>
    private const int RememberedIds = 4096;

    private readonly List<(int Id, string? Text)> _keys = [];
    private readonly Dictionary<int, int> _ofId = [];

    /// <summary>Keys seen in the current run.</summary>
    public int Count => _keys.Count;

    private bool _any;
    private ulong _high, _low;

    /// <summary>A new run starts (rows with another hash, or another key that is not a text).</summary>
    public void NewRun()
    {
        _keys.Clear();
        _ofId.Clear();
    }

    /// <summary>The next row's hash: a new run starts when it differs from the last one's (true then).</summary>
    public bool Hash(ulong high, ulong low)
    {
        if (_any && high == _high && low == _low) return false;
        _any = true;
        _high = high;
        _low = low;
        NewRun();
        return true;
    }

    /// <summary>Which of the run's keys (0, 1, ... in order first seen) the text with id <paramref name="textId"/> is;
    /// <paramref name="isNew"/> when it is the run's first row of that key.</summary>
    public int KeyOf(int textId, out bool isNew)
    {
        isNew = false;
        if (_ofId.TryGetValue(textId, out int known)) return known;
        if (_keys.Count == 0)
        {
            // The run's first text is read only if another id turns up: a key seen once reads nothing.
            _keys.Add((textId, null));
            _ofId[textId] = 0;
            isNew = true;
            return 0;
        }
        string text = texts[textId];
        int found = -1;
        for (int j = 0; j < _keys.Count && found < 0; j++)
        {
            var (id, t) = _keys[j];
            t ??= texts[id];
            _keys[j] = (id, t);
            if (t == text) found = j;
        }
        if (found < 0)
        {
            found = _keys.Count;
            _keys.Add((textId, text));
            isNew = true;
        }
        if (_ofId.Count < RememberedIds) _ofId[textId] = found;
        return found;
    }
}
