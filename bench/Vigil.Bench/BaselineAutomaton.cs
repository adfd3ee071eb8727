// The needle automaton as of 5e2b50c (before the scan3 layout work), kept so that `scan` can time it against the
// current one in the same process (alternating passes), which is far less noisy than separate runs.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

using Vigil.Engine.Matching;
namespace Vigil.Bench;

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
/// characters that end nothing cost no output-table read. Targets are state codes: a dense state's code is the
/// start of its row (rows have a power-of-two stride), so a dense step is code + class, one add and one load on
/// the per-character dependency chain; sparse states are coded after every dense code.</para>
/// <para>Root skip: an automaton without the prefilter whose root is left by few characters (Hashes: the needles
/// start with "MD5=", "SHA1=", "SHA256=", "IMPHASH=") jumps, whenever the scan is at the root, to the next of those
/// characters with a vectorised IndexOfAny.</para>
/// <para>Prefilter: an automaton of few needles (the keywords of most buckets, fields such as CallTrace or
/// Provider_Name) also holds them as a <see cref="SearchValues{T}"/> of strings compared with
/// <see cref="StringComparison.OrdinalIgnoreCase"/>, the comparison the fold is built from. Its vectorised
/// IndexOfAny gives the first position where any needle starts: a value without one is skipped whole, and the
/// scan starts there otherwise (no occurrence starts earlier). Most values hold none of a small needle set.</para>
/// </summary>
internal sealed class BaselineAutomaton
{
    private const int OutFlag = int.MinValue;   // bit 31 of a transition target: the target has outputs

    private readonly Alphabet _alphabet;
    private readonly ushort[] _classOf;   // alphabet code -> local class
    private readonly ushort[] _asciiClass = new ushort[128];   // char < 128 -> local class (the common case, one lookup)
    private readonly int _classes;        // local classes, including class 0
    private readonly int _dense;          // states [0, _dense) have dense rows
    private readonly int _shift;          // rows are 1 << _shift entries (classes rounded up to a power of two)
    private readonly int _denseLimit;     // _dense << _shift: codes below it are dense states (see Code below)
    private readonly int[] _rows;         // dense state code v (= s << _shift), class c -> target code (with OutFlag) at v + c
    private readonly int[] _kidStart;     // sparse state s (>= _dense) -> its first child (a state number) at _kidStart[s - _dense]; next entry ends them
    private readonly int[] _kidLabel;     // state k >= _labelBase -> class of the character into k, with OutFlag when k ends a needle
    private readonly int _labelBase;      // first child of the first sparse state: children of sparse states are numbered from here
    private readonly int[] _fail;         // sparse state s -> failure state at _fail[s - _dense] (no flag)
    private readonly int[] _outStart;     // state -> first index in _outList; _outStart[s + 1] ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length
    private readonly SearchValues<string>? _first;   // the needles, to find where the first occurrence starts
    private readonly SearchValues<char>? _rootChars; // without _first: every character that leaves the root, when they are few

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;
    /// <summary>States with a dense transition row (a breadth-first prefix: the root and the shallowest states).</summary>
    public int DenseStates => _dense;
    /// <summary>Bytes held by the tables.</summary>
    public long TableBytes => _rows.Length * 4L + _kidStart.Length * 4L + _kidLabel.Length * 4L + _fail.Length * 4L
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

    /// <summary>Automata without the prefilter whose root is left by at most this many characters (every case
    /// variant counted) skip, whenever the scan is at the root, to the next such character with a vectorised
    /// <see cref="MemoryExtensions.IndexOfAny{T}(ReadOnlySpan{T}, SearchValues{T})"/>: e.g. the Hashes field,
    /// whose thousands of needles all start with "MD5=", "SHA1=", "SHA256=" or "IMPHASH=".</summary>
    internal const int RootSkipMaxChars = 8;

    /// <summary>Whether scans skip over characters that leave the root (see <see cref="RootSkipMaxChars"/>).</summary>
    public bool HasRootSkip => _rootChars != null;


    /// <param name="needles">Folded needles (non-empty, see <see cref="CaseFold.FoldNeedle"/>), distinct; ids are their positions.</param>
    /// <param name="alphabet">An alphabet holding every character of the needles.</param>
    /// <param name="denseBudgetBytes">Bytes of dense rows beyond the root's (default <see cref="DenseBudgetBytes"/>;
    /// 0 keeps only the root dense, tests use it to exercise failure chains).</param>
    /// <param name="prefilterMaxNeedles">Largest needle count that gets the prefilter (default <see cref="PrefilterMaxNeedles"/>;
    /// tests compare scans with and without it).</param>
    /// <param name="rootSkipMaxChars">Largest number of characters leaving the root that gets the root skip (default
    /// <see cref="RootSkipMaxChars"/>; tests force it on and off).</param>
    /// <remarks>Construction works on flat arrays, without a trie of child lists:
    /// <list type="number">
    /// <item>The needles are sorted (lexicographically, over a ranking of their characters). Consecutive sorted needles share their longest common prefix, so
    /// the trie is built in one pass in depth-first preorder: each needle reuses the path of the one before it up
    /// to that prefix and adds one new state per remaining character. No child lookup at all.</item>
    /// <item>Breadth-first numbering is a stable counting sort of the preorder by depth: within one depth, preorder
    /// is the lexicographic order of the states' prefixes, which is the breadth-first order when children are
    /// visited in character order. In that numbering the children of each state are consecutive and follow those
    /// of the state before it, so one array of first children describes the whole trie, and the character into
    /// a state (its label) identifies it among its siblings.</item>
    /// <item>Failure links, dense rows and output lists are then filled in breadth-first order (a failure state is
    /// shallower, so numbered earlier).</item>
    /// </list>
    /// Sorting and prefix reuse need distinct characters to have distinct classes, which holds for folded needles
    /// (every non-surrogate character is its own <see cref="CaseFold.Canon"/>): checked below.</remarks>
    public BaselineAutomaton(IReadOnlyList<string> needles, Alphabet alphabet, int? denseBudgetBytes = null, int? prefilterMaxNeedles = null,
        int? rootSkipMaxChars = null)
    {
        int n = needles.Count;
        var sorted = new string[n];
        for (int i = 0; i < n; i++) sorted[i] = needles[i];
        if (n <= (prefilterMaxNeedles ?? PrefilterMaxNeedles))
            _first = SearchValues.Create(sorted, StringComparison.OrdinalIgnoreCase);
        // Local classes: the characters used by these needles; class 0 is everything else.
        _alphabet = alphabet;
        _classOf = new ushort[alphabet.Size];
        var canon = CaseFold.Canon;
        ushort[] code = alphabet.Code;
        int classes = 1;
        _lengths = new int[n];
        for (int id = 0; id < n; id++)
        {
            string needle = sorted[id];
            if (needle.Length == 0) throw new ArgumentException("empty needle", nameof(needles));
            _lengths[id] = needle.Length;
            foreach (char c in needle)
            {
                int cc = code[c];
                if (cc == 0) throw new ArgumentException($"needle '{needle}' has a character outside the alphabet", nameof(alphabet));
                if (canon[c] != c && !char.IsSurrogate(c)) throw new ArgumentException($"needle '{needle}' is not folded", nameof(needles));
                if (_classOf[cc] == 0) _classOf[cc] = (ushort)classes++;
            }
        }
        _classes = classes;
        for (int c = 0; c < 128; c++) _asciiClass[c] = _classOf[code[c]];

        // (1) Sorted needles (ids travel along), the common prefix of each with the one before, and the state count.
        // The order is lexicographic over a ranking of the classes, the most frequent in the needles first: siblings
        // are numbered in that order, so when the dense rows run out inside a level, the states on the common paths
        // (e.g. after '\\' in image paths) are the ones that keep theirs. Sort keys: each class replaced by its rank.
        var occurrences = new int[classes];
        foreach (string needle in sorted)
            foreach (char c in needle) occurrences[_classOf[code[c]]]++;
        var byFrequency = new int[classes - 1];
        for (int c = 1; c < classes; c++) byFrequency[c - 1] = c;
        Array.Sort(byFrequency, (a, b) => occurrences[a] != occurrences[b] ? occurrences[b].CompareTo(occurrences[a]) : a.CompareTo(b));
        var rank = new char[classes];
        for (int r = 0; r < byFrequency.Length; r++) rank[byFrequency[r]] = (char)(r + 1);
        var keys = new string[n];
        for (int id = 0; id < n; id++)
            keys[id] = string.Create(sorted[id].Length, (sorted[id], rank, _classOf, code), static (span, st) =>
            {
                for (int k = 0; k < span.Length; k++) span[k] = st.rank[st._classOf[st.code[st.Item1[k]]]];
            });
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = i;
        Array.Sort(keys, ids, StringComparer.Ordinal);
        for (int i = 0; i < n; i++) sorted[i] = needles[ids[i]];
        var lcp = new int[n];
        int states = 1, maxLen = 0;
        for (int i = 0; i < n; i++)
        {
            string cur = keys[i];
            int l = i == 0 ? 0 : cur.AsSpan().CommonPrefixLength(keys[i - 1]);
            if (l == cur.Length) throw new ArgumentException($"needle '{sorted[i]}' occurs twice", nameof(needles));
            lcp[i] = l;
            states += cur.Length - l;
            maxLen = Math.Max(maxLen, cur.Length);
        }

        // Trie in preorder: depth, label (class of the character into the state), parent, needle ended (-1: none).
        var pool = ArrayPool<int>.Shared;
        int[] depth = pool.Rent(states), label = pool.Rent(states), parent = pool.Rent(states), ends = pool.Rent(states);
        int[] bfs = pool.Rent(states), fail = pool.Rent(states), outCount = pool.Rent(states);
        // (The pooled arrays go back to the pool at the end; an exception leaves them to the GC.)
        {
            var path = new int[maxLen + 1];   // path[d]: the state at depth d on the current needle's path (path[0] = root)
            depth[0] = 0; label[0] = 0; parent[0] = -1; ends[0] = -1;
            int made = 1;
            for (int i = 0; i < n; i++)
            {
                string cur = sorted[i];
                for (int d = lcp[i]; d < cur.Length; d++)
                {
                    int t = made++;
                    depth[t] = d + 1;
                    label[t] = _classOf[code[cur[d]]];
                    parent[t] = path[d];
                    ends[t] = -1;
                    path[d + 1] = t;
                }
                ends[path[cur.Length]] = ids[i];
            }

            // (2) Breadth-first number of each preorder state: counting sort by depth (stable).
            var firstAtDepth = new int[maxLen + 2];
            for (int t = 0; t < states; t++) firstAtDepth[depth[t] + 1]++;
            for (int d = 1; d <= maxLen + 1; d++) firstAtDepth[d] += firstAtDepth[d - 1];
            for (int t = 0; t < states; t++) bfs[t] = firstAtDepth[depth[t]]++;
            // Reorder label, parent and ends into breadth-first numbering (depth is no longer needed: reuse it).
            int[] tmp = depth;
            Permute(label, bfs, tmp, states); (label, tmp) = (tmp, label);
            for (int t = 0; t < states; t++) tmp[bfs[t]] = parent[t] < 0 ? -1 : bfs[parent[t]];
            (parent, tmp) = (tmp, parent);
            Permute(ends, bfs, tmp, states); (ends, tmp) = (tmp, ends);
            depth = tmp;   // the array handed back to the pool below

            // First child of each state: children are consecutive and in the order of their parents (parents do
            // not decrease along the numbering; checked, since the scan's tables rely on it).
            var firstChild = new int[states + 1];
            for (int k = 1; k < states; k++)
            {
                if (k > 1 && parent[k] < parent[k - 1]) throw new InvalidOperationException("breadth-first numbering broken");
                firstChild[parent[k] + 1]++;
            }
            firstChild[0] = 1;
            for (int k = 1; k <= states; k++) firstChild[k] += firstChild[k - 1];
            // (firstChild[k] now counts the children of states < k, plus one for the root: the first child of k.)

            // Rows of a power-of-two stride: a state's row starts at its code (below), no multiplication per character.
            int stride = (int)BitOperations.RoundUpToPowerOf2((uint)classes), shift = BitOperations.Log2((uint)stride);
            int budget = denseBudgetBytes ?? DenseBudgetBytes;
            int dense = (int)Math.Clamp(1 + (long)budget / (4L * stride), 1, states);
            _dense = dense;
            _shift = shift;

            // (3) Failure links, dense rows, output counts. delta(s, c) for a dense s is its row; for a sparse s:
            // its child labelled c, else delta(fail(s), c).
            var rows = new int[dense * stride];   // state numbers while building; codes with flags at the end
            int Delta(int s, int cls)
            {
                while (true)
                {
                    if (s < dense) return rows[(s << shift) + cls];
                    for (int k = firstChild[s], end = firstChild[s + 1]; k < end; k++) if (label[k] == cls) return k;
                    s = fail[s];
                }
            }
            fail[0] = 0;
            outCount[0] = 0;
            int totalOut = 0;
            for (int k = 0; k < states; k++)
            {
                int f = k == 0 ? 0 : parent[k] == 0 ? 0 : Delta(fail[parent[k]], label[k]);
                fail[k] = f;
                outCount[k] = (ends[k] >= 0 ? 1 : 0) + (k == 0 ? 0 : outCount[f]);
                totalOut += outCount[k];
                if (k < dense)
                {
                    // Row: own children, other classes as the failure state's row (the root's: 0).
                    if (k != 0) Array.Copy(rows, f << shift, rows, k << shift, classes);
                    for (int c = firstChild[k], end = firstChild[k + 1]; c < end; c++) rows[(k << shift) + label[c]] = c;
                }
            }
            // State codes, what the scan carries: a dense state s is s << shift (where its row starts), a sparse
            // state s is _denseLimit + (s - dense) (its index in the sparse tables, offset past every dense code).
            // The root is 0 either way. A target that ends a needle also carries OutFlag.
            int sparse = states - dense;
            int denseLimit = dense << shift;
            if ((long)denseLimit + sparse > int.MaxValue) throw new InvalidOperationException("automaton too large for its state codes");
            _denseLimit = denseLimit;
            int Code(int t) => t < dense ? t << shift : denseLimit + (t - dense);
            for (int i = 0; i < rows.Length; i++)
                rows[i] = Code(rows[i]) | (outCount[rows[i]] > 0 ? OutFlag : 0);
            _rows = rows;

            // Sparse states: their first children (state numbers), failure links (codes), and the labels of every
            // child of a sparse state (with OutFlag when the child ends a needle), indexed from the first such child.
            _kidStart = new int[sparse + 1];
            _fail = new int[sparse];
            Array.Copy(firstChild, dense, _kidStart, 0, sparse + 1);
            for (int k = dense; k < states; k++) _fail[k - dense] = Code(fail[k]);
            _labelBase = firstChild[dense];
            _kidLabel = new int[states - _labelBase];
            for (int k = _labelBase; k < states; k++) _kidLabel[k - _labelBase] = label[k] | (outCount[k] > 0 ? OutFlag : 0);

            // Outputs of each state: the needle it ends (if any), then those of its failure state.
            _outStart = new int[states + 1];
            _outList = new int[totalOut];
            int at = 0;
            for (int k = 0; k < states; k++)
            {
                _outStart[k] = at;
                if (ends[k] >= 0) _outList[at++] = ends[k];
                if (k != 0)
                {
                    int f = fail[k];
                    Array.Copy(_outList, _outStart[f], _outList, at, outCount[f]);
                    at += outCount[f];
                }
            }
            _outStart[states] = at;

            // Root skip: the characters whose class leaves the root, when there are few (and no prefilter).
            int maxRootChars = rootSkipMaxChars ?? RootSkipMaxChars;
            if (_first == null && maxRootChars > 0)
            {
                int rootClasses = 0;
                for (int c = firstChild[0]; c < firstChild[1]; c++) rootClasses++;
                if (rootClasses <= maxRootChars)
                {
                    var leaves = new List<char>();
                    for (int ch = 0; ch < 65536 && leaves.Count <= maxRootChars; ch++)
                    {
                        int cls = _classOf[code[ch]];
                        if (cls != 0 && rows[cls] != 0) leaves.Add((char)ch);
                    }
                    if (leaves.Count <= maxRootChars) _rootChars = SearchValues.Create(leaves.ToArray());
                }
            }
        }
        pool.Return(depth); pool.Return(label); pool.Return(parent); pool.Return(ends);
        pool.Return(bfs); pool.Return(fail); pool.Return(outCount);
    }

    /// <summary>to[map[t]] = from[t] for t &lt; count.</summary>
    private static void Permute(int[] from, int[] map, int[] to, int count)
    {
        for (int t = 0; t < count; t++) to[map[t]] = from[t];
    }

    /// <summary>Receives (needle id, start index, text length) for each occurrence.</summary>
    public interface IHitSink
    {
        void Hit(int needle, int start, int textLength);
    }

    /// <remarks>The tables are read without bounds checks (this loop is most of the matcher's time per event). The
    /// indexes are in range by construction: <c>Code</c> has 65536 entries (any char), its values are below
    /// <c>alphabet.Size</c> = <c>_classOf.Length</c>, classes are below <c>_classes</c> &lt;= 1 &lt;&lt; <c>_shift</c>. The scan
    /// carries state codes: a code below <c>_denseLimit</c> is a dense state's row start (a multiple of the stride below
    /// <c>_rows.Length</c>), so code + class is inside <c>_rows</c>; a code at or above it is <c>_denseLimit</c> + a sparse
    /// index below <c>StateCount - _dense</c>, which indexes <c>_kidStart</c> (one entry more) and <c>_fail</c>. Children of
    /// sparse states are numbered from <c>_labelBase</c> and below <c>StateCount</c>: they index <c>_kidLabel</c>. Every
    /// target in the tables is a code of those two kinds. tests/Vigil.Tests/Matching/AutomatonTests checks the scan
    /// against a naive search under several dense budgets (only the root dense, the boundary inside the trie, all
    /// dense), and AutomatonRealDataTests every collection needle set on real values.</remarks>
    public void Scan<TSink>(ReadOnlySpan<char> text, ref TSink sink) where TSink : struct, IHitSink
    {
        if (_rootChars != null) { ScanSkipping(text, ref sink, _rootChars); return; }
        int from = 0;
        if (_first != null)
        {
            // No occurrence starts before the first position the prefilter reports. (Calling it again after each
            // hit, once the scan is back at the root, was slower on CallTrace-like values, where needles such as
            // ')' or 'UNKNOWN' occur every few dozen characters.)
            from = text.IndexOfAny(_first);
            if (from < 0) return;
        }
        ScanPlain(text, from, ref sink);
    }

    /// <summary>The scan without jumps: one transition per character.</summary>
    private void ScanPlain<TSink>(ReadOnlySpan<char> text, int from, ref TSink sink) where TSink : struct, IHitSink
    {
        ref ushort code = ref MemoryMarshal.GetArrayDataReference(_alphabet.Code);
        ref ushort classOf = ref MemoryMarshal.GetArrayDataReference(_classOf);
        ref ushort ascii = ref MemoryMarshal.GetArrayDataReference(_asciiClass);
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        int denseLimit = _denseLimit;
        int v = 0;   // state code (see the remarks on Scan)
        for (int i = from; i < text.Length; i++)
        {
            char ch = text[i];
            int cls = ch < 128 ? Unsafe.Add(ref ascii, ch) : Unsafe.Add(ref classOf, Unsafe.Add(ref code, ch));
            if (cls == 0) { v = 0; continue; }   // a character no needle has: back to the root, nothing ends here
            int next = v < denseLimit ? Unsafe.Add(ref rows, v + cls) : SparseStep(v, cls);
            if (next < 0) next = Report(next, i, text.Length, ref sink);
            v = next;
        }
    }

    /// <summary>Transition from a sparse state's code: its child labelled <paramref name="cls"/>, else the failure
    /// state's transition (until a dense state answers). A code, with OutFlag.</summary>
    private int SparseStep(int v, int cls)
    {
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        ref int kidStart = ref MemoryMarshal.GetArrayDataReference(_kidStart);
        ref int kidLabel = ref MemoryMarshal.GetArrayDataReference(_kidLabel);
        ref int fail = ref MemoryMarshal.GetArrayDataReference(_fail);
        int denseLimit = _denseLimit, labelBase = _labelBase;
        int sparseBase = denseLimit - _dense;   // child state k (sparse) has code sparseBase + k
        while (true)
        {
            int x = v - denseLimit;   // sparse index
            int k = Unsafe.Add(ref kidStart, x), end = Unsafe.Add(ref kidStart, x + 1);
            for (; k < end; k++)
            {
                int label = Unsafe.Add(ref kidLabel, k - labelBase);
                if ((label & ~OutFlag) == cls) return (sparseBase + k) | (label & OutFlag);
            }
            v = Unsafe.Add(ref fail, x);
            if (v < denseLimit) return Unsafe.Add(ref rows, v + cls);
        }
    }

    /// <summary>Reports the needles ending at text[i] in the flagged code <paramref name="flagged"/>; returns the code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Report<TSink>(int flagged, int i, int textLength, ref TSink sink) where TSink : struct, IHitSink
    {
        int v = flagged & ~OutFlag;
        int state = v < _denseLimit ? v >> _shift : v - _denseLimit + _dense;
        for (int k = _outStart[state], b = _outStart[state + 1]; k < b; k++)
        {
            int id = _outList[k];
            sink.Hit(id, i - _lengths[id] + 1, textLength);
        }
        return v;
    }

    /// <summary>The scan with the root skip. Whenever the scan is at the root after text[i], every occurrence not
    /// yet reported starts after i (one starting at b &lt;= i would make text[b..i] a suffix of the text read so far
    /// and a prefix of a needle, so the state would not be the root), and characters that do not leave the root
    /// keep it there: the scan moves on to the next character in <paramref name="rootChars"/>.</summary>
    private void ScanSkipping<TSink>(ReadOnlySpan<char> text, ref TSink sink, SearchValues<char> rootChars) where TSink : struct, IHitSink
    {
        ref ushort code = ref MemoryMarshal.GetArrayDataReference(_alphabet.Code);
        ref ushort classOf = ref MemoryMarshal.GetArrayDataReference(_classOf);
        ref ushort ascii = ref MemoryMarshal.GetArrayDataReference(_asciiClass);
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        int denseLimit = _denseLimit;
        int v = 0;    // state code (see the remarks on Scan); the root's is 0
        int i = -1;   // the root after text[i]
        while (true)
        {
            // At the root after text[i]: skip to the next character that leaves it.
            int skip = text[(i + 1)..].IndexOfAny(rootChars);
            if (skip < 0) return;
            for (i += 1 + skip; i < text.Length; i++)
            {
                char ch = text[i];
                int cls = ch < 128 ? Unsafe.Add(ref ascii, ch) : Unsafe.Add(ref classOf, Unsafe.Add(ref code, ch));
                if (cls == 0) { v = 0; break; }   // a character no needle has: back to the root, nothing ends here
                int next = v < denseLimit ? Unsafe.Add(ref rows, v + cls) : SparseStep(v, cls);
                if (next < 0) next = Report(next, i, text.Length, ref sink);
                v = next;
                if (v == 0) break;
            }
            if (i >= text.Length) return;
        }
    }
}
