using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private readonly ushort[] _asciiClass = new ushort[128];   // char < 128 -> local class (the common case, one lookup)
    private readonly int[] _root;         // class -> state, from the root
    private readonly int[] _excStart;     // state -> first exception; _excStart[s + 1] ends it
    private readonly ushort[] _excClass;  // exception class
    private readonly int[] _excTarget;    // exception target state
    private readonly int[] _outStart;     // state -> first index in _outList; _outStart[s + 1] ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;
    /// <summary>Bytes held by the transition table.</summary>
    public long TableBytes => _root.Length * 4L + _excStart.Length * 4L + _excClass.Length * 6L + _outStart.Length * 4L + _outList.Length * 4L;

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
        _lengths = needles.Select(n => n.Length).ToArray();

        // Trie with sparse children (per state: list of (class, child)).
        var children = new List<List<(int Cls, int Child)>?> { null };
        var own = new List<List<int>?> { null };
        for (int id = 0; id < needles.Count; id++)
        {
            int s = 0;
            foreach (char c in needles[id])
            {
                int cls = _classOf[alphabet.Code[c]];
                int next = 0;
                if (children[s] is { } kids)
                    foreach (var (k, child) in kids) if (k == cls) { next = child; break; }
                if (next == 0)
                {
                    next = children.Count;
                    children.Add(null);
                    own.Add(null);
                    (children[s] ??= []).Add((cls, next));
                }
                s = next;
            }
            (own[s] ??= []).Add(id);
        }
        int states = children.Count;
        for (int c = 0; c < 128; c++) _asciiClass[c] = _classOf[alphabet.Code[c]];

        // The DFA is stored as the root's dense row plus, per other state, only the transitions that differ
        // from the root's (its "exceptions"): delta(s, c) = child(s, c) if any, else delta(fail(s), c), so
        // exceptions(s) = children(s) plus those of exceptions(fail(s)) on other classes. They are few, which
        // keeps the tables small (a dense table for the SigmaHQ CommandLine needles would take ~100 MB).
        _root = new int[classes];
        var exc = new (int Cls, int Target)[states][];
        var fail = new int[states];
        var outputs = new int[states][];
        var queue = new Queue<int>();
        outputs[0] = own[0]?.ToArray() ?? [];
        exc[0] = [];
        if (children[0] is { } rootKids)
            foreach (var (cls, child) in rootKids) { _root[cls] = child; fail[child] = 0; queue.Enqueue(child); }
        while (queue.Count > 0)
        {
            int s = queue.Dequeue();
            var inherited = outputs[fail[s]];
            outputs[s] = own[s] is { } o ? [.. o, .. inherited] : inherited;
            var kids = children[s];
            var list = new List<(int, int)>();
            if (kids != null)
                foreach (var (cls, child) in kids)
                {
                    list.Add((cls, child));
                    fail[child] = Step(fail[s], cls, exc);
                    queue.Enqueue(child);
                }
            if (fail[s] != 0)
                foreach (var (cls, target) in exc[fail[s]])
                    if (kids == null || !kids.Exists(k => k.Cls == cls)) list.Add((cls, target));
            exc[s] = list.ToArray();
        }

        _excStart = new int[states + 1];
        int totalExc = 0;
        for (int s = 0; s < states; s++) { _excStart[s] = totalExc; totalExc += exc[s].Length; }
        _excStart[states] = totalExc;
        _excClass = new ushort[totalExc];
        _excTarget = new int[totalExc];
        for (int s = 0; s < states; s++)
            for (int k = 0; k < exc[s].Length; k++)
            {
                _excClass[_excStart[s] + k] = (ushort)exc[s][k].Cls;
                _excTarget[_excStart[s] + k] = exc[s][k].Target;
            }

        _outStart = new int[states + 1];
        int total = 0;
        for (int s = 0; s < states; s++) { _outStart[s] = total; total += outputs[s].Length; }
        _outStart[states] = total;
        _outList = new int[total];
        for (int s = 0; s < states; s++) outputs[s].CopyTo(_outList, _outStart[s]);
    }

    /// <summary>delta(s, cls) during construction (exceptions of s already known).</summary>
    private int Step(int s, int cls, (int Cls, int Target)[][] exc)
    {
        if (s != 0)
            foreach (var (c, t) in exc[s]) if (c == cls) return t;
        return _root[cls];
    }

    /// <summary>Receives (needle id, start index, text length) for each occurrence.</summary>
    public interface IHitSink
    {
        void Hit(int needle, int start, int textLength);
    }

    /// <remarks>The tables are read without bounds checks (this loop is most of the matcher's time per event). The
    /// indexes are in range by construction: <c>Code</c> has 65536 entries (any char), its values are below
    /// <c>alphabet.Size</c> = <c>_classOf.Length</c>, classes are below <c>_root.Length</c>, states below
    /// <c>StateCount</c> (<c>_excStart</c> and <c>_outStart</c> have <c>StateCount + 1</c> entries), exception and output
    /// indexes below those tables' ends. tests/Vigil.Tests/Matching/AutomatonTests checks the scan against a naive search.</remarks>
    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : struct, IHitSink
    {
        ref ushort code = ref MemoryMarshal.GetArrayDataReference(_alphabet.Code);
        ref ushort classOf = ref MemoryMarshal.GetArrayDataReference(_classOf);
        ref ushort ascii = ref MemoryMarshal.GetArrayDataReference(_asciiClass);
        ref int root = ref MemoryMarshal.GetArrayDataReference(_root);
        ref int excStart = ref MemoryMarshal.GetArrayDataReference(_excStart);
        ref ushort excClass = ref MemoryMarshal.GetArrayDataReference(_excClass);
        ref int excTarget = ref MemoryMarshal.GetArrayDataReference(_excTarget);
        ref int outStart = ref MemoryMarshal.GetArrayDataReference(_outStart);
        int s = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            int cls = ch < 128 ? Unsafe.Add(ref ascii, ch) : Unsafe.Add(ref classOf, Unsafe.Add(ref code, ch));
            if (cls == 0) { s = 0; continue; }   // a character no needle has: back to the root, nothing ends here
            int next = Unsafe.Add(ref root, cls);
            for (int k = Unsafe.Add(ref excStart, s), end = Unsafe.Add(ref excStart, s + 1); k < end; k++)
                if (Unsafe.Add(ref excClass, k) == cls) { next = Unsafe.Add(ref excTarget, k); break; }
            s = next;
            int a = Unsafe.Add(ref outStart, s), b = Unsafe.Add(ref outStart, s + 1);
            for (int k = a; k < b; k++)
            {
                int id = _outList[k];
                sink.Hit(id, i - _lengths[id] + 1, text.Length);
            }
        }
    }
}
