namespace Vigil.Engine.Matching;

/// <summary>
/// Aho-Corasick automaton over case-folded needles (see <see cref="CaseFold"/>), compiled to a dense
/// transition table over the needles' own alphabet (characters outside it share one class), so scanning a
/// value is one table lookup per character whatever the number of needles. Reports every needle that
/// occurs, with its end position, so the caller can tell contains / startswith / endswith / equals apart.
/// Immutable after construction; thread-safe.
/// </summary>
internal sealed class NeedleAutomaton
{
    private readonly Alphabet _alphabet;
    private readonly ushort[] _classOf;   // alphabet code -> local class
    private readonly int _classes;
    private readonly int[] _delta;        // state * _classes + class -> state
    private readonly int[] _outStart;     // state -> first index in _outList; _outStart[s + 1] ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;

    /// <param name="needles">Folded needles (non-empty, see <see cref="CaseFold.FoldNeedle"/>), distinct; ids are their positions.</param>
    /// <param name="alphabet">An alphabet holding every character of the needles.</param>
    public NeedleAutomaton(IReadOnlyList<string> needles, Alphabet alphabet)
    {
        // Local classes: the characters used by these needles; class 0 is everything else.
        _alphabet = alphabet;
        _classOf = new ushort[alphabet.Size];
        int classes = 1;
        foreach (var n in needles)
            foreach (char c in n)
            {
                int code = alphabet.Code[c];
                if (code == 0) throw new ArgumentException($"needle '{n}' has a character outside the alphabet", nameof(alphabet));
                if (_classOf[code] == 0) _classOf[code] = (ushort)classes++;
            }
        _classes = classes;
        _lengths = needles.Select(n => n.Length).ToArray();

        // Trie, rows of `classes` ints in one array (0 = no child; the root is never a child).
        int states = 1;
        var trie = new int[Math.Max(16, needles.Sum(n => n.Length) + 1) * classes];
        var ownStart = new List<(int State, int Needle)>();
        for (int id = 0; id < needles.Count; id++)
        {
            int s = 0;
            foreach (char c in needles[id])
            {
                int cls = _classOf[alphabet.Code[c]];
                int next = trie[s * classes + cls];
                if (next == 0)
                {
                    next = states++;
                    trie[s * classes + cls] = next;
                }
                s = next;
            }
            ownStart.Add((s, id));
        }
        var own = new List<int>?[states];
        foreach (var (st, id) in ownStart) (own[st] ??= []).Add(id);

        // Breadth-first: failure links, then complete the goto function into a DFA (in place).
        var fail = new int[states];
        Array.Resize(ref trie, states * classes);
        _delta = trie;
        var outputs = new int[states][];
        var queue = new Queue<int>();
        outputs[0] = own[0]?.ToArray() ?? [];
        for (int cls = 0; cls < classes; cls++)
        {
            int child = _delta[cls];
            if (child > 0) { fail[child] = 0; queue.Enqueue(child); }
        }
        while (queue.Count > 0)
        {
            int s = queue.Dequeue();
            var inherited = outputs[fail[s]];
            outputs[s] = own[s] is { } o ? [.. o, .. inherited] : inherited;
            int row = s * classes, failRow = fail[s] * classes;
            for (int cls = 0; cls < classes; cls++)
            {
                int child = _delta[row + cls];
                if (child > 0)
                {
                    fail[child] = s == 0 ? 0 : _delta[failRow + cls];
                    queue.Enqueue(child);
                }
                else _delta[row + cls] = _delta[failRow + cls];
            }
        }

        _outStart = new int[states + 1];
        int total = 0;
        for (int s = 0; s < states; s++) { _outStart[s] = total; total += outputs[s].Length; }
        _outStart[states] = total;
        _outList = new int[total];
        for (int s = 0; s < states; s++) outputs[s].CopyTo(_outList, _outStart[s]);
    }

    /// <summary>Receives (needle id, start index, text length) for each occurrence.</summary>
    public interface IHitSink
    {
        void Hit(int needle, int start, int textLength);
    }

    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : struct, IHitSink
    {
        var code = _alphabet.Code;
        var classOf = _classOf;
        var delta = _delta;
        var outStart = _outStart;
        int classes = _classes;
        int s = 0;
        for (int i = 0; i < text.Length; i++)
        {
            s = delta[s * classes + classOf[code[text[i]]]];
            int a = outStart[s], b = outStart[s + 1];
            for (int k = a; k < b; k++)
            {
                int id = _outList[k];
                sink.Hit(id, i - _lengths[id] + 1, text.Length);
            }
        }
    }
}
