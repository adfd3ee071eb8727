using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Matching;

/// <summary>
/// Aho-Corasick automaton over case-folded needles (see <see cref="CaseFold"/>), over the needles' own alphabet
/// (characters outside it share class 0, which sends the scan back to the root). Reports every needle that
/// occurs, with its start position, so the caller can tell contains / startswith / endswith / equals apart.
/// Immutable after construction; thread-safe.
/// <para>Layout: states are numbered in breadth-first order. The first <see cref="DenseStates"/> of them (the
/// root and the shallowest states, where a scan spends most of its characters) have a dense row: one lookup per
/// character. The deeper states keep only their own trie children (usually one) and their failure link: a
/// character with no child follows failure links until a child or a dense state answers. Each link lowers the
/// depth, so a scan takes at most two steps per character amortised, and in practice one link (deep states
/// fail to shallow, dense ones). Transition targets carry bit 31 when the target state ends a needle, so
/// characters that end nothing cost no output-table read.</para>
/// <para>Prefilter: an automaton of few needles (the keywords of most buckets, fields such as CallTrace or
/// Provider_Name) also holds them as a <see cref="SearchValues{T}"/> of strings compared with
/// <see cref="StringComparison.OrdinalIgnoreCase"/>, the comparison the fold is built from. Its vectorised
/// IndexOfAny gives the first position where any needle starts: a value without one is skipped whole, and the
/// scan starts there otherwise (no occurrence starts earlier). Most values hold none of a small needle set.</para>
/// </summary>
internal sealed class NeedleAutomaton
{
    private const int OutFlag = int.MinValue;   // bit 31 of a transition target: the target has outputs

    private readonly Alphabet _alphabet;
    private readonly ushort[] _classOf;   // alphabet code -> local class
    private readonly ushort[] _asciiClass = new ushort[128];   // char < 128 -> local class (the common case, one lookup)
    private readonly int _classes;        // local classes, including class 0
    private readonly int _dense;          // states [0, _dense) have dense rows
    private readonly int[] _rows;         // dense state s, class c -> target (with OutFlag) at s * _classes + c
    private readonly int[] _kidStart;     // sparse state s (>= _dense) -> first child at _kidStart[s - _dense]; next entry ends it
    private readonly ushort[] _kidClass;  // child class
    private readonly int[] _kidTarget;    // child state (with OutFlag)
    private readonly int[] _fail;         // sparse state s -> failure state at _fail[s - _dense] (no flag)
    private readonly int[] _outStart;     // state -> first index in _outList; _outStart[s + 1] ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length
    private readonly SearchValues<string>? _first;   // the needles, to find where the first occurrence starts

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;
    /// <summary>States with a dense transition row (a breadth-first prefix: the root and the shallowest states).</summary>
    public int DenseStates => _dense;
    /// <summary>Bytes held by the tables.</summary>
    public long TableBytes => _rows.Length * 4L + _kidStart.Length * 4L + _kidClass.Length * 6L + _fail.Length * 4L
        + _outStart.Length * 4L + _outList.Length * 4L + _classOf.Length * 2L;

    /// <summary>Bytes of dense rows an automaton may hold (beyond the root's row). Hot rows must stay in cache,
    /// and the whole collection has hundreds of automata: 64 KB each keeps a hunt's tables to a few MB more.</summary>
    internal const int DenseBudgetBytes = 64 * 1024;

    /// <summary>Automata of at most this many needles get the <see cref="SearchValues{T}"/> prefilter. Above it
    /// .NET's string search falls back from its vectorised (Teddy) search to a scan of its own, which would
    /// read every value twice.</summary>
    internal const int PrefilterMaxNeedles = 64;

    /// <summary>Whether scans start with the <see cref="SearchValues{T}"/> prefilter.</summary>
    public bool HasPrefilter => _first != null;

    /// <param name="needles">Folded needles (non-empty, see <see cref="CaseFold.FoldNeedle"/>), distinct; ids are their positions.</param>
    /// <param name="alphabet">An alphabet holding every character of the needles.</param>
    /// <param name="denseBudgetBytes">Bytes of dense rows beyond the root's (default <see cref="DenseBudgetBytes"/>;
    /// 0 keeps only the root dense, tests use it to exercise failure chains).</param>
    /// <param name="prefilterMaxNeedles">Largest needle count that gets the prefilter (default <see cref="PrefilterMaxNeedles"/>;
    /// tests compare scans with and without it).</param>
    public NeedleAutomaton(IReadOnlyList<string> needles, Alphabet alphabet, int? denseBudgetBytes = null, int? prefilterMaxNeedles = null)
    {
        if (needles.Count <= (prefilterMaxNeedles ?? PrefilterMaxNeedles))
            _first = SearchValues.Create(needles.ToArray(), StringComparison.OrdinalIgnoreCase);
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
        for (int c = 0; c < 128; c++) _asciiClass[c] = _classOf[alphabet.Code[c]];

        // Trie with sparse children (per state: list of (class, child)), in insertion order.
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

        // Breadth-first numbering: order[k] = trie state numbered k; rank[trie state] = its number.
        var order = new int[states];
        var rank = new int[states];
        int head = 0, tail = 0;
        order[tail++] = 0;
        while (head < tail)
        {
            int s = order[head++];
            if (children[s] is { } kids)
                foreach (var (_, child) in kids) { rank[child] = tail; order[tail++] = child; }
        }

        int budget = denseBudgetBytes ?? DenseBudgetBytes;
        _dense = (int)Math.Clamp(1 + (long)budget / (4L * classes), 1, states);

        // Failure links and outputs, in breadth-first (new) numbering. delta(s, c) for a dense s is its row;
        // for a sparse s: its child on c, else delta(fail(s), c). A failure state is shallower, so it comes
        // earlier in the numbering and its row/children/outputs are known when s is processed.
        var fail = new int[states];
        var outputs = new int[states][];
        var kidsOf = new (int Cls, int Target)[states][];   // new numbering, targets without flags
        for (int k = 0; k < states; k++)
        {
            var kids = children[order[k]];
            kidsOf[k] = kids == null ? [] : kids.Select(t => (t.Cls, rank[t.Child])).ToArray();
        }
        _rows = new int[_dense * classes];
        int Delta(int s, int cls)
        {
            while (true)
            {
                if (s < _dense) return _rows[s * classes + cls] & ~OutFlag;
                foreach (var (c, t) in kidsOf[s]) if (c == cls) return t;
                s = fail[s];
            }
        }
        for (int k = 0; k < states; k++)
        {
            int f = fail[k];
            var mine = own[order[k]];
            outputs[k] = k == 0 ? mine?.ToArray() ?? [] : mine is { } o ? [.. o, .. outputs[f]] : outputs[f];
            foreach (var (cls, child) in kidsOf[k]) fail[child] = k == 0 ? 0 : Delta(f, cls);
            if (k < _dense)
            {
                // Row: own children, other classes as the failure state's row (the root's: 0).
                if (k != 0) Array.Copy(_rows, f * classes, _rows, k * classes, classes);
                foreach (var (cls, child) in kidsOf[k]) _rows[k * classes + cls] = child;
            }
        }
        // Flags: a target that ends a needle carries OutFlag. Outputs of every state are known now.
        for (int i = 0; i < _rows.Length; i++)
            if (outputs[_rows[i]].Length > 0) _rows[i] |= OutFlag;

        int sparse = states - _dense;
        _kidStart = new int[sparse + 1];
        _fail = new int[sparse];
        int totalKids = 0;
        for (int k = _dense; k < states; k++) { _kidStart[k - _dense] = totalKids; totalKids += kidsOf[k].Length; _fail[k - _dense] = fail[k]; }
        _kidStart[sparse] = totalKids;
        _kidClass = new ushort[totalKids];
        _kidTarget = new int[totalKids];
        for (int k = _dense; k < states; k++)
        {
            int at = _kidStart[k - _dense];
            foreach (var (cls, child) in kidsOf[k])
            {
                _kidClass[at] = (ushort)cls;
                _kidTarget[at] = child | (outputs[child].Length > 0 ? OutFlag : 0);
                at++;
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

    /// <remarks>The tables are read without bounds checks (this loop is most of the matcher's time per event). The
    /// indexes are in range by construction: <c>Code</c> has 65536 entries (any char), its values are below
    /// <c>alphabet.Size</c> = <c>_classOf.Length</c>, classes are below <c>_classes</c>, states below
    /// <c>StateCount</c>; a state below <c>_dense</c> indexes <c>_rows</c> (<c>_dense * _classes</c> entries), one at
    /// or above it indexes <c>_kidStart</c> (<c>StateCount - _dense + 1</c> entries) and <c>_fail</c>; child and output
    /// indexes are below those tables' ends. tests/Vigil.Tests/Matching/AutomatonTests checks the scan against a
    /// naive search, with the default dense budget and with only the root dense.</remarks>
    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : struct, IHitSink
    {
        int from = 0;
        if (_first != null)
        {
            from = text.IndexOfAny(_first);
            if (from < 0) return;
        }
        ref ushort code = ref MemoryMarshal.GetArrayDataReference(_alphabet.Code);
        ref ushort classOf = ref MemoryMarshal.GetArrayDataReference(_classOf);
        ref ushort ascii = ref MemoryMarshal.GetArrayDataReference(_asciiClass);
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        ref int kidStart = ref MemoryMarshal.GetArrayDataReference(_kidStart);
        ref ushort kidClass = ref MemoryMarshal.GetArrayDataReference(_kidClass);
        ref int kidTarget = ref MemoryMarshal.GetArrayDataReference(_kidTarget);
        ref int fail = ref MemoryMarshal.GetArrayDataReference(_fail);
        int dense = _dense, classes = _classes;
        int s = 0;
        for (int i = from; i < text.Length; i++)
        {
            char ch = text[i];
            int cls = ch < 128 ? Unsafe.Add(ref ascii, ch) : Unsafe.Add(ref classOf, Unsafe.Add(ref code, ch));
            if (cls == 0) { s = 0; continue; }   // a character no needle has: back to the root, nothing ends here
            int next;
            while (true)
            {
                if (s < dense) { next = Unsafe.Add(ref rows, s * classes + cls); break; }
                int k = Unsafe.Add(ref kidStart, s - dense), end = Unsafe.Add(ref kidStart, s - dense + 1);
                while (k < end && Unsafe.Add(ref kidClass, k) != cls) k++;
                if (k < end) { next = Unsafe.Add(ref kidTarget, k); break; }
                s = Unsafe.Add(ref fail, s - dense);
            }
            if (next < 0)
            {
                next &= ~OutFlag;
                for (int k = _outStart[next], b = _outStart[next + 1]; k < b; k++)
                {
                    int id = _outList[k];
                    sink.Hit(id, i - _lengths[id] + 1, text.Length);
                }
            }
            s = next;
        }
    }
}
