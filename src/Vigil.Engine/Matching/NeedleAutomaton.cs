namespace Vigil.Engine.Matching;

/// <summary>
/// Aho-Corasick automaton over case-folded ASCII needles (see <see cref="AsciiFold"/>), compiled to a dense
/// transition table over the needles' own alphabet (characters outside it share one class), so scanning a
/// value is one table lookup per character whatever the number of needles. Reports every needle that
/// occurs, with its end position, so the caller can tell contains / startswith / endswith / equals apart.
/// Immutable after construction; thread-safe.
/// </summary>
internal sealed class NeedleAutomaton
{
    private readonly byte[] _classOf = new byte[AsciiFold.None + 1];
    private readonly int _classes;
    private readonly int[] _delta;        // state * _classes + class -> state
    private readonly int[] _outStart;     // state -> first index in _outList; _outStart[s + 1] ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;

    /// <param name="needles">Folded needles (non-empty, chars below 128), distinct; ids are their positions.</param>
    public NeedleAutomaton(IReadOnlyList<string> needles)
    {
        // Alphabet: the characters used by needles; class 0 is everything else.
        int classes = 1;
        foreach (var n in needles)
            foreach (char c in n)
                if (_classOf[c] == 0) _classOf[c] = (byte)classes++;
        _classes = classes;
        _lengths = needles.Select(n => n.Length).ToArray();

        // Trie.
        var children = new List<int[]> { NewRow() };
        var own = new List<List<int>?> { null };
        for (int id = 0; id < needles.Count; id++)
        {
            int s = 0;
            foreach (char c in needles[id])
            {
                int cls = _classOf[c];
                int next = children[s][cls];
                if (next <= 0)
                {
                    next = children.Count;
                    children.Add(NewRow());
                    own.Add(null);
                    children[s][cls] = next;
                }
                s = next;
            }
            (own[s] ??= []).Add(id);
        }

        // Breadth-first: failure links, then complete the goto function into a DFA.
        int states = children.Count;
        var fail = new int[states];
        _delta = new int[states * classes];
        var outputs = new List<int>[states];
        var queue = new Queue<int>();
        outputs[0] = own[0] ?? [];
        for (int cls = 0; cls < classes; cls++)
        {
            int child = children[0][cls];
            if (child > 0) { fail[child] = 0; queue.Enqueue(child); _delta[cls] = child; }
            else _delta[cls] = 0;
        }
        while (queue.Count > 0)
        {
            int s = queue.Dequeue();
            var outs = new List<int>();
            if (own[s] is { } o) outs.AddRange(o);
            outs.AddRange(outputs[fail[s]]);
            outputs[s] = outs;
            for (int cls = 0; cls < classes; cls++)
            {
                int child = children[s][cls];
                if (child > 0)
                {
                    fail[child] = _delta[fail[s] * classes + cls];
                    _delta[s * classes + cls] = child;
                    queue.Enqueue(child);
                }
                else _delta[s * classes + cls] = _delta[fail[s] * classes + cls];
            }
        }

        _outStart = new int[states + 1];
        int total = 0;
        for (int s = 0; s < states; s++) { _outStart[s] = total; total += outputs[s].Count; }
        _outStart[states] = total;
        _outList = new int[total];
        for (int s = 0; s < states; s++) outputs[s].CopyTo(_outList, _outStart[s]);

        int[] NewRow() => new int[classes];
    }

    /// <summary>Receives (needle id, start index, text length) for each occurrence.</summary>
    public interface IHitSink
    {
        void Hit(int needle, int start, int textLength);
    }

    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : struct, IHitSink
    {
        var fold = AsciiFold.Table;
        var classOf = _classOf;
        var delta = _delta;
        var outStart = _outStart;
        int classes = _classes;
        int s = 0;
        for (int i = 0; i < text.Length; i++)
        {
            s = delta[s * classes + classOf[fold[text[i]]]];
            int a = outStart[s], b = outStart[s + 1];
            for (int k = a; k < b; k++)
            {
                int id = _outList[k];
                sink.Hit(id, i - _lengths[id] + 1, text.Length);
            }
        }
    }
}
