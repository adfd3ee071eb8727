using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vigil.Engine.Matching;

/// <summary>
/// Aho-Corasick automaton over case-folded needles (see <see cref="CaseFold"/>), over the needles' own alphabet
/// (characters outside it share class 0, which sends the scan back to the root). Reports every needle that
/// occurs, with its start position, so the caller can tell contains / startswith / endswith / equals apart.
/// Immutable after construction; thread-safe.
/// <para>Layout: states are numbered in breadth-first order. Some have a dense row, one lookup per character: the
/// first states in that order (the root and the shallowest states, up to <see cref="DenseBudgetBytes"/> of rows) and,
/// up to <see cref="HubBudgetBytes"/> more, the deeper "hubs" with at least <see cref="HubMinChildren"/> children
/// (e.g. "c:\windows\system32\" in the CommandLine needles), where a sparse state would search a list. The other
/// states are sparse: a record of 4 ints holding the first child inline (its class and target), the failure link,
/// and where the other children are listed (in <c>_more</c>). Deep in the trie almost every state has one child, so
/// a scan following a needle reads one record and compares once per character; a character with no child follows
/// failure links until a child or a dense state answers. Failure links skip sparse states without children (they
/// answer every character as their own failure state does). Each link lowers the depth, so a scan takes at most two
/// steps per character amortised. Sparse records are laid out in trie preorder, so a path of one-child states is
/// consecutive in memory. Transition targets carry bit 31 when the target state ends a needle, so characters that
/// end nothing cost no output-table read. Targets are state codes: a dense state's code is the start of its row
/// (rows have a power-of-two stride), so a dense step is code + class, one add and one load on the per-character
/// dependency chain; a sparse state's code is <c>_denseLimit</c> + the start of its record, above every dense code.</para>
/// <para>Root skip: an automaton without the prefilter whose root is left by few characters (Hashes: the needles
/// start with "MD5=", "SHA1=", "SHA256=", "IMPHASH=") jumps, whenever the scan is at the root, to the next of those
/// characters with a vectorised IndexOfAny.</para>
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
    private readonly int _dense;          // states with dense rows
    private readonly int _shift;          // rows are 1 << _shift entries (classes rounded up to a power of two)
    private readonly int _denseLimit;     // _dense << _shift: codes below it are dense states (see Code below)
    private readonly int[] _rows;         // dense state code v (= row << _shift), class c -> target code (with OutFlag) at v + c
    private readonly int[] _sparse;       // sparse state code v: record at v - _denseLimit (first child's class, its code, failure code, start in _more)
    private readonly int[] _more;         // (class, code) pairs of the other children of sparse states
    private readonly int[] _outStart;     // compact index (dense row, then _dense + sparse record) -> first index in _outList; the next entry ends it
    private readonly int[] _outList;      // needle ids ending at the state (own and via suffix links)
    private readonly int[] _lengths;      // needle id -> length
    private readonly SearchValues<string>? _first;   // the needles, to find where the first occurrence starts
    private readonly SearchValues<char>? _rootChars; // without _first: every character that leaves the root, when they are few

    public int NeedleCount => _lengths.Length;
    public int StateCount => _outStart.Length - 1;
    /// <summary>States with a dense transition row (a breadth-first prefix: the root and the shallowest states; then hubs).</summary>
    public int DenseStates => _dense;
    /// <summary>Bytes held by the tables.</summary>
    public long TableBytes => _rows.Length * 4L + _sparse.Length * 4L + _more.Length * 4L
        + _outStart.Length * 4L + _outList.Length * 4L + _classOf.Length * 2L;

    /// <summary>Bytes of dense rows an automaton may hold (beyond the root's row). Hot rows must stay in cache,
    /// and the whole collection has hundreds of automata: 64 KB each keeps a hunt's tables to a few MB more.</summary>
    internal const int DenseBudgetBytes = 64 * 1024;

    /// <summary>Bytes of dense rows for hubs: states beyond the breadth-first prefix with at least
    /// <see cref="HubMinChildren"/> children, shallowest first (a sparse state searches its children in a list).
    /// Measured on the collection's CommandLine/Image automata (bench <c>scan</c>): the sparse layout alone gives most
    /// of the gain; 256 KB of hubs a few per cent more, for 1.3 MB more tables over all the collection's automata;
    /// 1–4 MB of hubs or hubs of 2 children no more.</summary>
    internal const int HubBudgetBytes = 256 * 1024;

    /// <summary>Children that make a state beyond the breadth-first prefix a hub (see <see cref="HubBudgetBytes"/>).</summary>
    internal const int HubMinChildren = 3;

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
    /// <param name="hubBudgetBytes">Bytes of dense rows for hubs (default <see cref="HubBudgetBytes"/>; tests use 0, and
    /// small budgets with <paramref name="hubMinChildren"/> 1 or 2 to interleave dense and sparse states along paths).</param>
    /// <param name="hubMinChildren">Children that make a state a hub (default <see cref="HubMinChildren"/>).</param>
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
    /// shallower, so numbered earlier); sparse records in preorder.</item>
    /// </list>
    /// Sorting and prefix reuse need distinct characters to have distinct classes, which holds for folded needles
    /// (every non-surrogate character is its own <see cref="CaseFold.Canon"/>): checked below.</remarks>
    // Optimised at once: each automaton is built once, cold, so the first builds ran as tier-0 code (building every
    // field automaton of the collection took 1.0-1.2 s of process CPU with tiering, 0.71-0.77 s without).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NeedleAutomaton(IReadOnlyList<string> needles, Alphabet alphabet, int? denseBudgetBytes = null, int? prefilterMaxNeedles = null,
        int? rootSkipMaxChars = null, int? hubBudgetBytes = null, int? hubMinChildren = null)
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
            int prefix = (int)Math.Clamp(1 + (long)budget / (4L * stride), 1, states);
            long hubRows = (hubBudgetBytes ?? HubBudgetBytes) / (4L * stride);
            int hubMin = hubMinChildren ?? HubMinChildren;
            // Dense states: the breadth-first prefix, then (hubs) deeper states with at least hubMin children, shallowest
            // first, while their budget lasts. slot: a dense state's row number, a sparse state's record number.
            var isDense = new bool[states];
            int[] slot = pool.Rent(states);
            int dense = 0, sparse = 0;
            for (int t = 0; t < states; t++)
            {
                bool d = t < prefix || (hubRows > 0 && firstChild[t + 1] - firstChild[t] >= hubMin);
                if (d && t >= prefix) hubRows--;
                isDense[t] = d;
                if (d) slot[t] = dense++;
            }
            // Sparse records in preorder (bfs maps preorder to breadth-first numbers): a scan following a needle walks
            // down a path of one-child states, whose records are then consecutive (four to a cache line) instead of
            // one breadth-first level apart each.
            for (int p = 0; p < states; p++)
                if (!isDense[bfs[p]]) slot[bfs[p]] = sparse++;
            _dense = dense;
            _shift = shift;

            // (3) Failure links, dense rows, output counts. delta(s, c) for a dense s is its row; for a sparse s:
            // its child labelled c, else delta(fail(s), c).
            var rows = new int[dense * stride];   // state numbers while building; codes with flags at the end
            int Delta(int s, int cls)
            {
                while (true)
                {
                    if (isDense[s]) return rows[(slot[s] << shift) + cls];
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
                if (isDense[k])
                {
                    // Row: own children, other classes as the failure state's transitions.
                    int row = slot[k] << shift;
                    if (k != 0)
                    {
                        // The failure state's transitions: the row of the first dense state on its chain, overlaid with
                        // the children of the sparse states before it, the nearest last (a hub's failure state may be sparse).
                        int d = f;
                        while (!isDense[d]) d = fail[d];
                        Array.Copy(rows, slot[d] << shift, rows, row, classes);
                        OverlayChain(f, d);
                        void OverlayChain(int u, int stop)
                        {
                            if (u == stop) return;
                            OverlayChain(fail[u], stop);
                            for (int c = firstChild[u], end = firstChild[u + 1]; c < end; c++) rows[row + label[c]] = c;
                        }
                    }
                    for (int c = firstChild[k], end = firstChild[k + 1]; c < end; c++) rows[row + label[c]] = c;
                }
            }
            // State codes, what the scan carries: a dense state is slot << shift (where its row starts), a sparse state
            // _denseLimit + 4 * slot (where its record starts, see _sparse). The root is 0 either way. A target that
            // ends a needle also carries OutFlag.
            int denseLimit = dense << shift;
            if ((long)denseLimit + 4L * (sparse + 1) > int.MaxValue) throw new InvalidOperationException("automaton too large for its state codes");
            _denseLimit = denseLimit;
            int Code(int t) => isDense[t] ? slot[t] << shift : denseLimit + 4 * slot[t];
            int[] flagged = pool.Rent(states);   // state -> its code with OutFlag when it ends a needle
            for (int t = 0; t < states; t++) flagged[t] = Code(t) | (outCount[t] > 0 ? OutFlag : 0);
            int Flagged(int t) => flagged[t];
            for (int i = 0; i < rows.Length; i++) rows[i] = flagged[rows[i]];
            _rows = rows;

            // Failure shortcut: a sparse state without children answers every class as its failure state does, so the
            // link of a sparse state skips them: jump[t] is t when t is dense or has children, else jump[fail[t]].
            int[] jump = pool.Rent(states);
            for (int t = 0; t < states; t++) jump[t] = isDense[t] || firstChild[t + 1] > firstChild[t] ? t : jump[fail[t]];

            // Sparse records, 4 ints each (and a last one holding only the end of _more): the first child's class (0
            // when none: no character of class 0 reaches a step) and flagged code, the failure link (shortcut), and
            // where the other children's (class, flagged code) pairs start in _more (the next record's says where they end).
            var rec = new int[4 * sparse + 4];
            int moreCount = 0;
            for (int t = 0; t < states; t++)
                if (!isDense[t] && firstChild[t + 1] - firstChild[t] > 1) moreCount += firstChild[t + 1] - firstChild[t] - 1;
            var more = new int[2 * moreCount];
            int m = 0;
            for (int p = 0; p < states; p++)   // in slot order: a record's side list ends where the next one's starts
            {
                int t = bfs[p];
                if (isDense[t]) continue;
                int r = 4 * slot[t];
                int k = firstChild[t], end = firstChild[t + 1];
                if (k < end) { rec[r] = label[k]; rec[r + 1] = Flagged(k); k++; }
                rec[r + 2] = Code(jump[fail[t]]);
                rec[r + 3] = m;
                for (; k < end; k++) { more[m++] = label[k]; more[m++] = Flagged(k); }
            }
            rec[4 * sparse + 3] = m;
            _sparse = rec;
            _more = more;
            pool.Return(jump);
            pool.Return(flagged);

            // Outputs of each state: the needle it ends (if any), then those of its failure state; indexed by compact
            // index (dense states by slot, then sparse states by slot), filled in breadth-first order (fail[k] < k).
            int Compact(int t) => isDense[t] ? slot[t] : dense + slot[t];
            _outStart = new int[states + 1];
            for (int t = 0; t < states; t++) _outStart[Compact(t) + 1] = outCount[t];
            for (int c = 0; c < states; c++) _outStart[c + 1] += _outStart[c];
            _outList = new int[totalOut];
            for (int k = 0; k < states; k++)
            {
                int at = _outStart[Compact(k)];
                if (ends[k] >= 0) _outList[at++] = ends[k];
                if (k != 0)
                {
                    int f = fail[k];
                    Array.Copy(_outList, _outStart[Compact(f)], _outList, at, outCount[f]);
                }
            }
            pool.Return(slot);

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
    /// <c>_rows.Length</c>), so code + class is inside <c>_rows</c>; a code at or above it is <c>_denseLimit</c> + 4 * a
    /// sparse record number below the number of sparse states, so its record's 4 ints and the next record's last int
    /// (the end of its list: <c>_sparse</c> has one record more) are inside <c>_sparse</c>; list bounds are even offsets
    /// within <c>_more</c>. Every target in the tables is a code of those two kinds. tests/Vigil.Tests/Matching/AutomatonTests
    /// checks the scan against a naive search under several dense budgets (only the root dense, the boundary inside the
    /// trie, all dense) and hub settings (none, a few, dense and sparse states interleaved), and AutomatonRealDataTests
    /// every collection needle set on real values.</remarks>
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
        int v = 0;   // state code (see the remarks on Scan)
        for (int i = from; i < text.Length; i++)
        {
            int cls = Class(text[i]);
            if (cls == 0) { v = 0; continue; }   // a character no needle has: back to the root, nothing ends here
            int next = Step(v, cls);
            if (next < 0) next = Report(next, i, text.Length, ref sink);
            v = next;
        }
    }

    /// <summary>The local class of a character (0: no needle has it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Class(char ch) => ch < 128
        ? Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_asciiClass), ch)
        : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_classOf), Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_alphabet.Code), ch));

    /// <summary>The transition from state code <paramref name="v"/> on class <paramref name="cls"/> (not 0): a code,
    /// with OutFlag when the target ends a needle. Both scans' step, inlined into their loops.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Step(int v, int cls)
    {
        int denseLimit = _denseLimit;
        if (v < denseLimit) return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_rows), v + cls);
        // A sparse state: its first child answers most steps (deep in the trie, states have one child).
        ref int r = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sparse), v - denseLimit);
        return r == cls ? Unsafe.Add(ref r, 1) : SparseStep(v, cls);
    }

    /// <summary>Transition from a sparse state's code on a class its first child does not have: another child
    /// labelled <paramref name="cls"/>, else the failure state's transition (until a dense state answers). A code,
    /// with OutFlag.</summary>
    private int SparseStep(int v, int cls)
    {
        ref int rows = ref MemoryMarshal.GetArrayDataReference(_rows);
        ref int sparse = ref MemoryMarshal.GetArrayDataReference(_sparse);
        ref int more = ref MemoryMarshal.GetArrayDataReference(_more);
        int denseLimit = _denseLimit;
        ref int r = ref Unsafe.Add(ref sparse, v - denseLimit);
        while (true)
        {
            for (int k = Unsafe.Add(ref r, 3), end = Unsafe.Add(ref r, 7); k < end; k += 2)
                if (Unsafe.Add(ref more, k) == cls) return Unsafe.Add(ref more, k + 1);
            v = Unsafe.Add(ref r, 2);
            if (v < denseLimit) return Unsafe.Add(ref rows, v + cls);
            r = ref Unsafe.Add(ref sparse, v - denseLimit);
            if (r == cls) return Unsafe.Add(ref r, 1);
        }
    }

    /// <summary>Reports the needles ending at text[i] in the flagged code <paramref name="flagged"/>; returns the code.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Report<TSink>(int flagged, int i, int textLength, ref TSink sink) where TSink : struct, IHitSink
    {
        int v = flagged & ~OutFlag;
        int c = v < _denseLimit ? v >> _shift : _dense + ((v - _denseLimit) >> 2);
        for (int k = _outStart[c], b = _outStart[c + 1]; k < b; k++)
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
        int v = 0;    // state code (see the remarks on Scan); the root's is 0
        int i = -1;   // the root after text[i]
        while (true)
        {
            // At the root after text[i]: skip to the next character that leaves it.
            int skip = text[(i + 1)..].IndexOfAny(rootChars);
            if (skip < 0) return;
            for (i += 1 + skip; i < text.Length; i++)
            {
                int cls = Class(text[i]);
                if (cls == 0) { v = 0; break; }   // a character no needle has: back to the root, nothing ends here
                int next = Step(v, cls);
                if (next < 0) next = Report(next, i, text.Length, ref sink);
                v = next;
                if (v == 0) break;
            }
            if (i >= text.Length) return;
        }
    }
}
