using System.Collections.Concurrent;
using System.Globalization;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Engine.Matching;

/// <summary>Which stages of <see cref="CollectionMatcher"/> are on (tests switch them off one by one to
/// prove each gives the same detections as the plain loop).</summary>
/// <param name="UseValueMemo">Recent values' scan results are remembered per thread and automaton (see
/// <see cref="ValueMemo"/>); off, every value is scanned.</param>
public sealed record MatcherOptions(bool UseIndex = true, bool UsePrefilter = true, bool UseAtomTests = true, bool UseValueMemo = true)
{
    public static readonly MatcherOptions Default = new();

    /// <summary>A folder for the matcher cache (<c>matcher-*.bin</c>, see <see cref="CollectionMatcher"/>): what the
    /// matcher derives from the rules, kept for the next run over the same rule set. Null (the default): no cache. The
    /// CLI passes the rule cache folder (<see cref="RuleLoadOptions.DefaultCacheDirectory"/>).</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>
/// The whole rule collection compiled into one matcher. For each event:
/// <list type="number">
/// <item><b>Candidate index</b>: the event's (Channel, EventID) selects a bucket holding only the rules
/// whose routing and detection admit that pair (<see cref="RuleFacts.Requirements"/>). Buckets are built
/// on first use and cached; events whose key cannot be read reliably (repeated or non-text Channel,
/// repeated EventID) use the bucket of all rules.</item>
/// <item><b>Needle prefilter</b>: per field, the needles of all the bucket's rules are merged into one
/// Aho-Corasick automaton; one pass over each field value yields every needle that occurs, and a rule is
/// evaluated only when one of its prefilter atoms (<see cref="RuleFacts.Prefilter"/>) holds. Rules without
/// a prefilter are always evaluated. A value the thread has scanned lately with the same automaton is not scanned
/// again: <see cref="ValueMemo"/> gives the atoms it marked then.</item>
/// <item>The surviving candidates are evaluated with <see cref="CompiledRule.Matches"/>, in rule order, so
/// the answer is by construction that of the plain loop whenever the first two stages never drop a rule
/// that matches (they only over-approximate; tests compare against a full scan).</item>
/// </list>
/// Thread-safe; per-thread state lives in a <see cref="MatcherScratch"/>.
/// </summary>
public sealed partial class CollectionMatcher
{
    private readonly CompiledRule[] _rules;
    private readonly List<Requirement>[] _requirements;
    // Whether each rule has a needle prefilter (its atoms are in _ruleStart / _ruleList).
    private readonly bool[] _hasPrefilter;
    private readonly MatcherOptions _options;
    // Channel names any rule mentions -> small ids (0: no Channel field, 1: a Channel no rule names).
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _channelIds;
    private readonly string[] _channelNames;
    private readonly ConcurrentDictionary<long, Lazy<Bucket>> _buckets = new();
    private readonly Lazy<Bucket> _all;

    private const int AbsentChannel = 0, OtherChannel = 1;
    private readonly int[] _channelFieldKeys;
    private readonly int[] _idFieldKeys;

    /// <summary>The field list every route uses (as keys), or null when routes differ or there are none.</summary>
    private static int[]? CommonKeys(CompiledRule[] rules, Func<Vigil.Rules.Logsources.RouteConstraint, int[]> pick)
    {
        int[]? common = null;
        foreach (var rule in rules)
            foreach (var route in rule.Routes)
            {
                var keys = pick(route.Constraint).Select(FieldNames.Key).ToArray();
                if (common == null) common = keys;
                else if (!common.AsSpan().SequenceEqual(keys)) return null;
            }
        return common;
    }

    public CollectionMatcher(IReadOnlyList<CompiledRule> rules, MatcherOptions? options = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        _options = options ?? MatcherOptions.Default;
        _rules = rules.ToArray();
        _requirements = new List<Requirement>[_rules.Length];
        _hasPrefilter = new bool[_rules.Length];
        // The names routes read Channel and EventID under (the same for all rules of one mapping); a route
        // reading other names gets no index requirement.
        _channelFieldKeys = CommonKeys(_rules, c => c.ChannelFields) ?? [FieldNames.Key(WellKnownFields.Channel)];
        _idFieldKeys = CommonKeys(_rules, c => c.EventIdFields) ?? [FieldNames.Key(WellKnownFields.EventID)];
        // The facts, atoms and programs come from the cache when this exact rule set was compiled into a matcher before
        // (see MatcherCache); otherwise they are derived here and stored for the next run.
        var cacheKey = MatcherCache.KeyFor(_rules, _options);
        string cacheDetail = "";
        bool loaded = cacheKey != null && MatcherCache.TryLoad(this, _options.CacheDirectory!, cacheKey, out cacheDetail);
        string stages;
        if (loaded)
        {
            CacheHit = true;
            stages = $"loaded from the cache {clock.Elapsed.TotalSeconds:F2} s {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0:F0} MB ({cacheDetail})";
        }
        else
        {
            var prefilters = new List<Atom>?[_rules.Length];
            Parallel.For(0, _rules.Length, i =>
            {
                _requirements[i] = RuleFacts.Requirements(_rules[i], _channelFieldKeys, _idFieldKeys);
                prefilters[i] = _options.UsePrefilter ? RuleFacts.Prefilter(_rules[i]) : null;
                _hasPrefilter[i] = prefilters[i] != null;
            });
            double facts = clock.Elapsed.TotalSeconds;
            double factsMB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
            var fieldsOfRule = NumberAtoms(prefilters);
            double beforeFields = clock.Elapsed.TotalSeconds;
            double beforeFieldsMB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
            BuildFields(fieldsOfRule);
            stages = $"facts {facts:F2} s {factsMB:F0} MB, programs {_programsSeconds:F2} s {_programsMB:F0} MB (built in parallel {_programsParallelSeconds:F2} s, then numbered), "
                + $"needle sets {clock.Elapsed.TotalSeconds - beforeFields:F2} s {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0 - beforeFieldsMB:F0} MB";
            if (cacheKey != null)
            {
                double before = clock.Elapsed.TotalSeconds;
                MatcherCache.Save(this, _options.CacheDirectory!, cacheKey);
                stages += $", stored in the cache {clock.Elapsed.TotalSeconds - before:F2} s ({cacheDetail})";
            }
        }
        var names = new List<string> { Requirement.AbsentChannel, "\0other" };
        var ids = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var reqs in _requirements)
            foreach (var r in reqs)
                if (r.Channels != null)
                    foreach (var c in r.Channels)
                        if (c != Requirement.AbsentChannel && ids.TryAdd(c, names.Count)) names.Add(c);
        _channelIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _channelNames = names.ToArray();
        BuildTimes = $"{stages} (automata on first use); total {clock.Elapsed.TotalSeconds:F2} s {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0:F0} MB";
        _all = new Lazy<Bucket>(() => BuildBucket(Enumerable.Range(0, _rules.Length).ToArray()));
        CaseFold.ForgetFoldings();
    }

    /// <summary>True when the matcher's tables (facts, atoms, programs, needle lists) were read from the matcher cache
    /// (<see cref="MatcherOptions.CacheDirectory"/>) instead of derived from the rules.</summary>
    public bool CacheHit { get; }

    public IReadOnlyList<CompiledRule> Rules => _rules;

    /// <summary>Where construction time went (for the benchmark profile).</summary>
    public string BuildTimes { get; }
    private double _programsSeconds, _programsParallelSeconds, _programsMB;

    /// <summary>Rules that got a needle prefilter (the others are evaluated on every event of their buckets).</summary>
    public int PrefilteredRules => _hasPrefilter.Count(p => p);

    /// <summary>The distinct atoms by id, and the number of distinct route constraints (tests: ids must not depend on
    /// the thread schedule of the parallel build).</summary>
    internal IReadOnlyList<Atom> AtomTable => _atoms;
    internal int ConstraintCount => _constraintCount;

    /// <summary>True when rule <paramref name="rule"/> has a needle prefilter (diagnostics).</summary>
    public bool HasPrefilter(int rule) => _hasPrefilter[rule];

    public MatcherScratch CreateScratch() => new(this, _rules.Length, _atoms.Length, _constraintCount);

    /// <summary>Appends to <paramref name="matched"/> the indexes (into <see cref="Rules"/>) of the rules that
    /// match <paramref name="e"/>, in increasing order.</summary>
    public void Match(Event e, MatcherScratch scratch, List<int> matched) => Match(e, scratch, matched, null);

    /// <summary>Like <see cref="Match(Event, MatcherScratch, List{int})"/>, adding to <paramref name="ruleTicks"/>
    /// the Stopwatch ticks each candidate rule's evaluation took, and to slot -1 … the scan (for profiling).</summary>
    public void MatchProfiled(Event e, MatcherScratch scratch, List<int> matched, long[] ruleTicks) => Match(e, scratch, matched, ruleTicks);

    private void Match(Event e, MatcherScratch scratch, List<int> matched, long[]? ruleTicks)
    {
        // A scratch's stamps, sizes and value memos (by automaton slot) are this matcher's.
        if (scratch.Owner != this) throw new ArgumentException("the scratch was made by another matcher", nameof(scratch));
        int stamp = scratch.NextStamp(_atoms.Length);
        // Where each field (by matching key) first and last occurs in this event, stamped instead of cleared: the
        // index reads Channel / EventID from it and RuleProgram field presence, each without a walk of the event.
        IndexFields(e, scratch, stamp);
        var bucket = _options.UseIndex ? BucketFor(e, scratch, stamp) : _all.Value;
        if (!_options.UsePrefilter)
        {
            foreach (int r in bucket.Rules)
                if (_rules[r].Matches(e)) matched.Add(r);
            return;
        }

        var candidates = scratch.Candidates;
        candidates.Clear();
        var sink = new HitSink(this, bucket, scratch, stamp);
        // One pass over the event's fields; each field with needles of the bucket's rules is scanned once per value.
        var byField = _automatonOfField;
        var scan = bucket.ScanField;
        var keywords = bucket.Keywords;
        Span<char> buf = stackalloc char[128];
        bool useMemo = _options.UseValueMemo;
        for (int i = 0; i < e.Count; i++)
        {
            int id = e.KeyAt(i);
            int a = (uint)id < (uint)byField.Length ? byField[id] : -1;
            FieldAutomaton? field = a >= 0 && scan[a] ? _fields[a] : null;
            if (field == null && keywords == null) continue;
            if (field != null && field.PresentAtoms.Length != 0) sink.MarkAll(field.PresentAtoms);
            ref readonly var v = ref e.ValueAt(i);
            // An integer's text is digits, '-', or 0x and hex digits: automata with no needle made of those
            // characters cannot find one in it, so the value is neither formatted nor scanned for them.
            bool integer = v.Kind is ValueKind.Int64 or ValueKind.UInt64;
            bool scanField = field != null && field.NeedleCount != 0 && (!integer || field.MatchesIntegers);
            bool scanKeywords = keywords != null && (!integer || keywords.MatchesIntegers);
            if (!scanField && !scanKeywords) continue;
            var text = TextOf(v, buf);
            // A value seen lately by the same automaton marks the atoms it marked then, without a scan (ValueMemo);
            // its hash is computed once for the field's automaton and the keywords'.
            bool memoize = useMemo && ValueMemo.Keeps(text.Length);
            ulong hash = 0;
            bool hashed = false;
            if (scanField)
            {
                sink.SetField(field!);
                ScanValue(field!, text, ref sink, scratch, memoize, ref hash, ref hashed);
            }
            if (scanKeywords)
            {
                sink.SetField(keywords!);
                ScanValue(keywords!, text, ref sink, scratch, memoize, ref hash, ref hashed);
            }
        }
        // The candidates in rule order: the prefiltered ones the hits named (few; sorted here) merged with the
        // bucket's unfiltered ones (sorted when the bucket was built; never among the former, see BuildAutomata).
        var hitRules = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates);
        if (hitRules.Length > 1) hitRules.Sort();
        var unfiltered = bucket.Unfiltered;
        var programs = _programs;
        int h = 0, u = 0;
        long t0 = ruleTicks != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        while (true)
        {
            int r;
            if (h < hitRules.Length && (u >= unfiltered.Length || hitRules[h] < unfiltered[u])) r = hitRules[h++];
            else if (u < unfiltered.Length) r = unfiltered[u++];
            else break;
            bool hit = programs != null ? programs[r].Matches(e, scratch, stamp) : _rules[r].Matches(e);
            if (hit) matched.Add(r);
            if (ruleTicks != null)
            {
                long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
                ruleTicks[r] += t1 - t0;
                t0 = t1;
            }
        }
    }

    /// <summary>Records in <paramref name="scratch"/>, under <paramref name="stamp"/>, the first and last index of each
    /// field key of the event (see <see cref="MatcherScratch.FieldStamps"/>).</summary>
    private static void IndexFields(Event e, MatcherScratch scratch, int stamp)
    {
        var stamps = scratch.FieldStamps;
        var first = scratch.FieldFirst;
        var last = scratch.FieldLast;
        for (int i = 0; i < e.Count; i++)
        {
            int key = e.KeyAt(i);
            if ((uint)key >= (uint)stamps.Length)
            {
                scratch.GrowFields(key);
                stamps = scratch.FieldStamps;
                first = scratch.FieldFirst;
                last = scratch.FieldLast;
            }
            if (stamps[key] != stamp)
            {
                stamps[key] = stamp;
                first[key] = i;
            }
            last[key] = i;
        }
    }

    /// <summary>Scans one value with one automaton into the sink, or, when the thread's memo for that automaton holds
    /// the value, marks the atoms recorded for it (see <see cref="ValueMemo"/>). A value the memo does not hold is
    /// scanned into an <see cref="AtomCollector"/>, kept, and its atoms marked.</summary>
    private void ScanValue(FieldAutomaton f, ReadOnlySpan<char> text, ref HitSink sink, MatcherScratch scratch, bool memoize,
        ref ulong hash, ref bool hashed)
    {
        if (memoize)
        {
            var memo = scratch.Memo(MemoSlot(f));
            if (memo.Active())
            {
                if (!hashed)
                {
                    hash = ValueMemo.Hash(text);
                    hashed = true;
                }
                if (memo.TryGet(hash, text, out var known))
                {
                    sink.MarkAll(known);
                    return;
                }
                var collector = new AtomCollector(f, scratch);
                f.Automaton.Scan(text, ref collector);
                var atoms = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(scratch.Collected);
                memo.Store(hash, text, atoms);
                sink.MarkAll(atoms);
                return;
            }
        }
        f.Automaton.Scan(text, ref sink);
    }

    private int _memoSlots;

    /// <summary>The automaton's index among the scratch memos, numbered on first use (field automata come from the build
    /// or the matcher cache, keyword automata as buckets are made).</summary>
    private int MemoSlot(FieldAutomaton f)
    {
        int slot = Volatile.Read(ref f.MemoSlot);
        if (slot >= 0) return slot;
        int fresh = Interlocked.Increment(ref _memoSlots) - 1;
        int before = Interlocked.CompareExchange(ref f.MemoSlot, fresh, -1);
        return before < 0 ? fresh : before;
    }

    /// <summary>Whether a hit of a needle of the given length at <paramref name="start"/> makes an atom of that kind
    /// hold: anywhere for contains, at the start, at the end, or the whole text for equals.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static bool Holds(AtomKind kind, int start, int length, int textLength) => kind switch
    {
        AtomKind.Contains => true,
        AtomKind.StartsWith => start == 0,
        AtomKind.EndsWith => start + length == textLength,
        _ => start == 0 && start + length == textLength,
    };

    /// <summary>Collects, once each, the atoms a value's hits make hold (whatever the event has marked already): the
    /// set <see cref="HitSink"/> would mark, recorded for <see cref="ValueMemo"/>.</summary>
    private struct AtomCollector : NeedleAutomaton.IHitSink
    {
        private readonly int[] _atomStart, _atomIds, _lengths, _seen;
        private readonly AtomKind[] _atomKinds;
        private readonly List<int> _atoms;
        private readonly int _stamp;

        public AtomCollector(FieldAutomaton f, MatcherScratch scratch)
        {
            _atomStart = f.AtomStart;
            _atomIds = f.AtomIds;
            _atomKinds = f.AtomKinds;
            _lengths = f.Lengths;
            _stamp = scratch.NextCollectStamp();
            _seen = scratch.CollectStamps;
            _atoms = scratch.Collected;
            _atoms.Clear();
        }

        public readonly void Hit(int needle, int start, int textLength)
        {
            int to = _atomStart[needle + 1];
            for (int k = _atomStart[needle]; k < to; k++)
            {
                int atom = _atomIds[k];
                if (_seen[atom] == _stamp || !Holds(_atomKinds[k], start, _lengths[needle], textLength)) continue;
                _seen[atom] = _stamp;
                _atoms.Add(atom);
            }
        }
    }

    /// <summary>The text the evaluator compares needles with (numbers etc. formatted the same way).</summary>
    private static ReadOnlySpan<char> TextOf(in FieldValue v, Span<char> buf)
    {
        if (v.IsText) return v.TextSpan;
        if (v.TryFormat(buf, out int n)) return buf[..n];
        return v.ToString();
    }

    /// <summary>Receives the automaton's needle hits: marks the atoms that hold (stamps) and adds the bucket's rules
    /// whose prefilter has such an atom to the candidates. The arrays it reads are copied into the struct once per
    /// event (and per field for the field's own tables) instead of being fetched through objects on every hit.</summary>
    private struct HitSink : NeedleAutomaton.IHitSink
    {
        // The rules whose prefilter has atom a: _ruleList[_ruleStart[a] .. _ruleStart[a + 1]) (flat, no array per atom).
        private readonly int[] _ruleStart, _ruleList;
        private readonly bool[] _inBucket;
        private readonly int[] _atomStamps, _ruleStamps;
        private readonly List<int> _candidates;
        private readonly int _stamp;
        // The field's needles: the atoms of needle n are _atomIds / _atomKinds[_atomStart[n] .. _atomStart[n + 1]).
        private int[] _atomStart = [], _atomIds = [], _lengths = [];
        private AtomKind[] _atomKinds = [];

        public HitSink(CollectionMatcher m, Bucket bucket, MatcherScratch scratch, int stamp)
        {
            _ruleStart = m._ruleStart;
            _ruleList = m._ruleList;
            _inBucket = bucket.Contains;
            _atomStamps = scratch.AtomStamps;
            _ruleStamps = scratch.RuleStamps;
            _candidates = scratch.Candidates;
            _stamp = stamp;
        }

        public void SetField(FieldAutomaton field)
        {
            _atomStart = field.AtomStart;
            _atomIds = field.AtomIds;
            _atomKinds = field.AtomKinds;
            _lengths = field.Lengths;
        }

        public readonly void Hit(int needle, int start, int textLength)
        {
            var atomStamps = _atomStamps;
            var atomIds = _atomIds;
            int stamp = _stamp;
            int to = _atomStart[needle + 1];
            for (int k = _atomStart[needle]; k < to; k++)
            {
                int atom = atomIds[k];
                // Marked already (by an earlier hit of this or another needle): nothing more to learn.
                if (atomStamps[atom] == stamp) continue;
                var kind = _atomKinds[k];
                if (kind != AtomKind.Contains && !Holds(kind, start, _lengths[needle], textLength)) continue;
                atomStamps[atom] = stamp;
                AddRules(atom);
            }
        }

        /// <summary>Marks the atoms (presence atoms of a field the event has) and adds their rules to the candidates.</summary>
        public readonly void MarkAll(ReadOnlySpan<int> atoms)
        {
            foreach (int atom in atoms)
            {
                if (_atomStamps[atom] == _stamp) continue;
                _atomStamps[atom] = _stamp;
                AddRules(atom);
            }
        }

        private readonly void AddRules(int atom)
        {
            int stamp = _stamp;
            int rEnd = _ruleStart[atom + 1];
            for (int j = _ruleStart[atom]; j < rEnd; j++)
            {
                int r = _ruleList[j];
                if (_ruleStamps[r] == stamp || !_inBucket[r]) continue;
                _ruleStamps[r] = stamp;
                _candidates.Add(r);
            }
        }
    }

    // ---- candidate index ----------------------------------------------------------------------

    private Bucket BucketFor(Event e, MatcherScratch scratch, int stamp)
    {
        int channel = AbsentChannel;
        bool hasId = false;
        long eventId = 0;
        // The Channel and EventID the routes read: the first present of their names (Channel, then e.g.
        // winlog.channel from fieldmaps.yml), exactly as RouteConstraint reads them.
        int chAt = FirstPresent(scratch, stamp, _channelFieldKeys, out bool chRepeated);
        if (chAt >= 0)
        {
            if (chRepeated) return _all.Value;         // the detection may test any of the values
            ref readonly var v = ref e.ValueAt(chAt);
            if (!v.IsText) return _all.Value;          // routing wants text; a detection could compare the number
            var text = v.TextSpan;
            // Consecutive events mostly share their Channel: compare with the last known one before hashing. The
            // comparison is the dictionary's own (OrdinalIgnoreCase) and names are distinct under it, so the id is the same.
            if (scratch.LastChannel is { } last && text.Equals(last, StringComparison.OrdinalIgnoreCase)) channel = scratch.LastChannelId;
            else if (_channelIds.TryGetValue(text, out int cid))
            {
                channel = cid;
                scratch.LastChannel = _channelNames[cid];
                scratch.LastChannelId = cid;
            }
            else channel = OtherChannel;
        }
        int idAt = FirstPresent(scratch, stamp, _idFieldKeys, out bool idRepeated);
        if (idAt >= 0)
        {
            if (idRepeated) return _all.Value;
            hasId = TryEventId(e.ValueAt(idAt), out eventId);
        }
        // Key: channel id in the top bits, then "has id", then the id itself (EventIDs are small in practice;
        // ids outside 40 bits go to the catch-all bucket rather than risk a key collision).
        if (hasId && (eventId < 0 || eventId >= 1L << 40)) return _all.Value;
        long key = ((long)channel << 41) | (hasId ? 1L << 40 : 0) | (hasId ? eventId : 0);
        // A small direct-mapped cache of this thread's recent keys before the shared dictionary (a key always
        // names the same bucket, so a cached answer is the dictionary's answer).
        int slot = (int)((ulong)(key * unchecked((long)0x9E3779B97F4A7C15UL)) >> 58);
        if (scratch.BucketKeys[slot] == key && scratch.BucketCache[slot] is { } cached) return cached;
        // TryGetValue first: the GetOrAdd lambda captures locals, and C# allocates that closure at method entry, so a
        // method that contained it allocated a closure and a delegate for every event.
        var bucket = _buckets.TryGetValue(key, out var known) ? known.Value : AddBucket(key, channel, hasId, eventId);
        scratch.BucketKeys[slot] = key;
        scratch.BucketCache[slot] = bucket;
        return bucket;
    }

    private Bucket AddBucket(long key, int channel, bool hasId, long eventId) =>
        _buckets.GetOrAdd(key, _ => new Lazy<Bucket>(() => BuildBucket(Admitted(channel, hasId, eventId)))).Value;

    /// <summary>Index of the first present field among <paramref name="keys"/> (in their order), or -1;
    /// <paramref name="repeated"/> when that field occurs more than once. Read from the event's field table.</summary>
    private static int FirstPresent(MatcherScratch scratch, int stamp, int[] keys, out bool repeated)
    {
        var stamps = scratch.FieldStamps;
        foreach (int key in keys)
        {
            if ((uint)key >= (uint)stamps.Length || stamps[key] != stamp) continue;
            int at = scratch.FieldFirst[key];
            repeated = scratch.FieldLast[key] != at;
            return at;
        }
        repeated = false;
        return -1;
    }

    private static bool TryEventId(in FieldValue v, out long id)
    {
        switch (v.Kind)
        {
            case ValueKind.Int64: id = v.Int64; return true;
            case ValueKind.UInt64: id = unchecked((long)v.UInt64); return true;
        }
        Span<char> buf = stackalloc char[128];
        return long.TryParse(TextOf(v, buf), NumberStyles.Integer, CultureInfo.InvariantCulture, out id);
    }

    /// <summary>The rules (increasing) one of whose requirements admits the key. A plain loop into an array: it runs
    /// over the whole collection once per new bucket.</summary>
    private int[] Admitted(int channel, bool hasId, long eventId)
    {
        var admitted = new List<int>();
        string? channelName = channel == OtherChannel ? null : _channelNames[channel];
        for (int r = 0; r < _rules.Length; r++)
        {
            foreach (var req in _requirements[r])
            {
                if (req.Channels != null && (channelName == null || !req.Channels.Contains(channelName))) continue;
                if (req.EventIds != null && (!hasId || !req.EventIds.Contains(eventId))) continue;
                admitted.Add(r);
                break;
            }
        }
        return admitted.ToArray();
    }

    // ---- needle automata (one per field, shared by all buckets) -------------------------------

    // The rules whose prefilter has atom a: _ruleList[_ruleStart[a] .. _ruleStart[a + 1]).
    private int[] _ruleStart = [0];
    private int[] _ruleList = [];
    private FieldAutomaton[] _fields = [];
    private int[] _automatonOfField = [];
    private int[][] _automataOfRule = [];

    // Keyword atoms (they test every field value) per rule, and the keyword automaton of each distinct set of
    // them: a bucket scans only its own rules' keywords (most Windows buckets: the few needles of one or two
    // keyword rules instead of the collection's 700-odd), small enough for the automaton's prefilter.
    private Atom[] _atoms = [];
    private int[][] _keywordAtomsOfRule = [];
    private readonly ConcurrentDictionary<string, FieldAutomaton> _keywordSets = new();
    private Alphabet _alphabet = null!;
    private RuleProgram[]? _programs;
    // Distinct route constraints (by content): candidate rules of one log source share a few, so each is tested
    // once per event and the answer reused (see RuleProgram.Matches).
    private int _constraintCount;

    /// <summary>Numbers the distinct atoms of all prefilters and atom tests, builds the rule programs and the atom ->
    /// rules index; returns the field keys (-1: keywords) whose automata each rule needs (see <see cref="BuildFields"/>).</summary>
    private int[][] NumberAtoms(List<Atom>?[] prefilters)
    {
        // Sized for the prefilters' atom references (the distinct atoms are fewer; the programs add some more).
        var atomIds = new Dictionary<Atom, int>(prefilters.Sum(p => p?.Count ?? 0), AtomComparer.Instance);
        // (atom, rule) for every prefilter atom, in rule order: the rule lists per atom are made from them at the end.
        var pairAtoms = new List<int>();
        var pairRules = new List<int>();
        int AtomId(Atom atom)
        {
            if (!atomIds.TryGetValue(atom, out int id))
            {
                id = atomIds.Count;
                atomIds[atom] = id;
            }
            return id;
        }
        var fieldsOfRule = new HashSet<int>[_rules.Length];
        var keywordAtoms = new SortedSet<int>[_rules.Length];
        for (int r = 0; r < _rules.Length; r++)
        {
            fieldsOfRule[r] = [];
            keywordAtoms[r] = [];
            if (prefilters[r] is not { } atoms) continue;
            foreach (var atom in atoms)
            {
                int id = AtomId(atom);
                pairAtoms.Add(id);
                pairRules.Add(r);
                fieldsOfRule[r].Add(atom.FieldId);
                if (atom.FieldId < 0) keywordAtoms[r].Add(id);
            }
        }
        if (_options.UsePrefilter && _options.UseAtomTests)
        {
            var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var constraintIds = new Dictionary<Vigil.Rules.Logsources.RouteConstraint, int>(RuleProgram.ConstraintComparer.Instance);
            int ConstraintId(Vigil.Rules.Logsources.RouteConstraint c)
            {
                if (!constraintIds.TryGetValue(c, out int id)) constraintIds[c] = id = constraintIds.Count;
                return id;
            }
            // Built in parallel with rule-local atom ids, then numbered for the collection rule by rule (serially, in
            // rule order), so every id is the one a serial build gives: the ids do not depend on the thread schedule.
            _programs = new RuleProgram[_rules.Length];
            var localAtoms = new List<Atom>[_rules.Length];
            Parallel.For(0, _rules.Length, () => new Dictionary<Atom, int>(AtomComparer.Instance), (r, _, index) =>
            {
                var atoms = new List<Atom>();
                index.Clear();   // one per thread, reused
                _programs[r] = RuleProgram.Build(_rules[r], atom =>
                {
                    if (!index.TryGetValue(atom, out int local))
                    {
                        index[atom] = local = atoms.Count;
                        atoms.Add(atom);
                    }
                    return local;
                }, fieldsOfRule[r], _ => -1);
                localAtoms[r] = atoms;
                return index;
            }, _ => { });
            _programsParallelSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            for (int r = 0; r < _rules.Length; r++)
            {
                var atoms = localAtoms[r];
                var global = new int[atoms.Count];
                for (int i = 0; i < global.Length; i++)
                {
                    global[i] = AtomId(atoms[i]);
                    if (atoms[i].FieldId < 0) keywordAtoms[r].Add(global[i]);   // a keyword test answered from the marks needs its needles scanned
                }
                _programs[r].Renumber(global, ConstraintId);
            }
            _constraintCount = constraintIds.Count;
            _programsSeconds = System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalSeconds;
            _programsMB = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0;
        }
        _atoms = new Atom[atomIds.Count];
        foreach (var (atom, id) in atomIds) _atoms[id] = atom;
        _keywordAtomsOfRule = keywordAtoms.Select(k => k.ToArray()).ToArray();
        _ruleStart = new int[_atoms.Length + 1];
        // Counting sort of the pairs by atom; within an atom its rules stay in rule order (a prefilter lists an atom once).
        foreach (int a in pairAtoms) _ruleStart[a + 1]++;
        for (int a = 0; a < _atoms.Length; a++) _ruleStart[a + 1] += _ruleStart[a];
        _ruleList = new int[pairAtoms.Count];
        var nextOfAtom = _ruleStart[..^1];
        for (int k = 0; k < pairAtoms.Count; k++) _ruleList[nextOfAtom[pairAtoms[k]]++] = pairRules[k];
        return fieldsOfRule.Select(f => f.ToArray()).ToArray();
    }

    /// <summary>Merges each field's needles (of the numbered atoms) into one needle list, the automaton of which is built
    /// on first use; <paramref name="fieldsOfRule"/>: the field keys each rule's prefilter and atom tests read.</summary>
    private void BuildFields(int[][] fieldsOfRule)
    {
        _alphabet = new Alphabet(_atoms.Select(a => a.Needle));
        // The automata themselves are built lazily, on the first event that has the field (see FieldAutomaton):
        // most of the collection's 300-odd fields never occur in a given input, and building all of them was
        // most of the matcher's construction time. Here only each field's atom ids are gathered (in id order).
        // Presence atoms have no needle: they are marked for every event that has the field, without a scan.
        var atomsOfField = new Dictionary<int, List<int>>();
        var presentOfField = new Dictionary<int, List<int>>();
        for (int id = 0; id < _atoms.Length; id++)
        {
            int field = _atoms[id].FieldId;
            if (field < 0) continue;
            var into = _atoms[id].Kind == AtomKind.Present ? presentOfField : atomsOfField;
            if (!into.TryGetValue(field, out var list)) into[field] = list = [];
            list.Add(id);
            if (!atomsOfField.ContainsKey(field)) atomsOfField[field] = [];
        }
        var fieldIds = atomsOfField.Keys.ToArray();
        Array.Sort(fieldIds);
        var fields = new FieldAutomaton[fieldIds.Length];
        // Each field's needle list on its own (they read only the finished atom table): in parallel.
        Parallel.For(0, fields.Length, i =>
        {
            fields[i] = MakeFieldAutomaton(fieldIds[i], atomsOfField[fieldIds[i]]);
            if (presentOfField.TryGetValue(fieldIds[i], out var present)) fields[i].PresentAtoms = present.ToArray();
        });
        _fields = fields;
        var byField = IndexByField(fields);
        _automataOfRule = fieldsOfRule.Select(f => f.Where(id => id >= 0).Select(id => byField[id]).ToArray()).ToArray();
    }

    /// <summary>Position in <paramref name="fields"/> by field key (-1: none).</summary>
    private int[] IndexByField(FieldAutomaton[] fields)
    {
        int maxField = fields.Length > 0 ? fields.Max(f => f.FieldId) : -1;
        var byField = new int[maxField + 1];
        Array.Fill(byField, -1);
        for (int i = 0; i < fields.Length; i++) byField[fields[i].FieldId] = i;
        _automatonOfField = byField;
        return byField;
    }

    /// <summary>One automaton over the needles of the atoms <paramref name="atomIds"/> (all of field <paramref name="fieldId"/>,
    /// -1 for keywords), built on first use. Needles are numbered in order of first use; each lists its atoms in the
    /// order of <paramref name="atomIds"/>.</summary>
    private FieldAutomaton MakeFieldAutomaton(int fieldId, IReadOnlyCollection<int> atomIds)
    {
        var needleIds = new Dictionary<string, int>(atomIds.Count, StringComparer.Ordinal);
        var needles = new List<string>(atomIds.Count);
        var needleOfAtom = new int[atomIds.Count];
        var atomCount = new List<int>(atomIds.Count);
        int k = 0;
        foreach (int id in atomIds)
        {
            string needle = _atoms[id].Needle;
            if (!needleIds.TryGetValue(needle, out int n))
            {
                needleIds[needle] = n = needles.Count;
                needles.Add(needle);
                atomCount.Add(0);
            }
            atomCount[n]++;
            needleOfAtom[k++] = n;
        }
        // Flat: the atoms of needle n are at [atomStart[n], atomStart[n + 1]), in the order of atomIds.
        var atomStart = new int[needles.Count + 1];
        var lengths = new int[needles.Count];
        for (int n = 0; n < needles.Count; n++)
        {
            atomStart[n + 1] = atomStart[n] + atomCount[n];
            lengths[n] = needles[n].Length;
        }
        var ids = new int[atomIds.Count];
        var kinds = new AtomKind[atomIds.Count];
        var next = atomStart[..^1];
        k = 0;
        foreach (int id in atomIds)
        {
            int at = next[needleOfAtom[k++]]++;
            ids[at] = id;
            kinds[at] = _atoms[id].Kind;
        }
        return new FieldAutomaton(fieldId, needles.ToArray(), _alphabet, atomStart, ids, kinds, lengths);
    }

    /// <summary>The keyword automaton of a bucket: the keyword needles its rules test (prefilters and atom
    /// tests), shared by every bucket with the same set; null when they test none.</summary>
    private FieldAutomaton? KeywordsOf(int[] rules)
    {
        var ids = new SortedSet<int>();
        foreach (int r in rules) ids.UnionWith(_keywordAtomsOfRule[r]);
        if (ids.Count == 0) return null;
        return _keywordSets.GetOrAdd(string.Join(",", ids), _ => MakeFieldAutomaton(-1, ids));
    }

    private Bucket BuildBucket(int[] rules)
    {
        var contains = new bool[_rules.Length];
        var scan = new bool[_fields.Length];
        var unfiltered = new List<int>();
        foreach (int r in rules)
        {
            contains[r] = true;
            if (!_hasPrefilter[r]) unfiltered.Add(r);
            // Fields of atom tests must be scanned even for rules without a prefilter.
            foreach (int f in _automataOfRule[r]) scan[f] = true;
        }
        return new Bucket(rules, unfiltered.ToArray(), contains, scan, KeywordsOf(rules));
    }

    /// <summary>Counts for diagnostics and benchmarks: buckets built so far, their rules and unfiltered rules.</summary>
    public IReadOnlyList<(int Rules, int Unfiltered, int ScannedFields, int KeywordNeedles)> BucketStats() =>
        _buckets.Values.Where(l => l.IsValueCreated).Select(l => l.Value)
            .Select(b => (b.Rules.Length, b.Unfiltered.Length, b.ScanField.Count(x => x), b.Keywords?.NeedleCount ?? 0)).ToList();

    /// <summary>Bytes of the automata built so far (they are built on first use).</summary>
    public long AutomataBytes => Automata.Sum(f => f.IsBuilt ? f.Automaton.TableBytes : 0);

    /// <summary>The field automata and the keyword automata of the buckets built so far.</summary>
    private IEnumerable<FieldAutomaton> Automata => _fields.Concat(_keywordSets.Values);

    /// <summary>The automata built so far (they are built on first use, during the hunt) and the seconds that took.</summary>
    public (int Built, double Seconds) AutomataBuilt()
    {
        var built = Automata.Where(f => f.IsBuilt).ToList();
        return (built.Count, built.Sum(f => f.BuildTicks) / (double)System.Diagnostics.Stopwatch.Frequency);
    }

    /// <summary>Fields with needles, needles, and DFA states of the automata built so far.</summary>
    public (int Fields, int Needles, int States) AutomataStats() =>
        (_fields.Length + _keywordSets.Count, Automata.Sum(f => f.NeedleCount), Automata.Sum(f => f.IsBuilt ? f.Automaton.StateCount : 0));

    /// <summary>Builds every field's automaton now (benchmarks; the matcher otherwise builds them on first use).</summary>
    public void BuildAllAutomata() =>
        Parallel.ForEach(Automata.Where(f => f.NeedleCount > 0).OrderByDescending(f => f.NeedleCount).ToArray(), f => _ = f.Automaton);

    /// <summary>One field's merged needles. The automaton is built on first use (thread-safe: one thread builds,
    /// the others wait for it), so fields that no event has cost nothing but their needle list.</summary>
    internal sealed class FieldAutomaton(int fieldId, string[] needles, Alphabet alphabet, int[] atomStart, int[] atomIds, AtomKind[] atomKinds, int[] lengths,
        bool? matchesIntegers = null)
    {
        private NeedleAutomaton? _automaton;
        private readonly Lock _lock = new();
        /// <summary>Index of this automaton's <see cref="ValueMemo"/> in each scratch (-1 until first used).</summary>
        internal int MemoSlot = -1;

        public int FieldId { get; } = fieldId;
        /// <summary>Presence atoms of the field (marked whenever an event has it; no needle).</summary>
        public int[] PresentAtoms { get; set; } = [];
        /// <summary>Some needle could occur in an integer's text (digits, '-', "0x" and hex digits), see <see cref="IntegerText"/>.</summary>
        public bool MatchesIntegers { get; } = matchesIntegers ?? needles.Any(IntegerText);
        /// <summary>The needles, in needle order (for the matcher cache).</summary>
        public string[] Needles => needles;
        /// <summary>The atoms of needle n: <see cref="AtomIds"/> / <see cref="AtomKinds"/> from AtomStart[n] to AtomStart[n + 1].</summary>
        public int[] AtomStart { get; } = atomStart;
        public int[] AtomIds { get; } = atomIds;
        public AtomKind[] AtomKinds { get; } = atomKinds;
        public int[] Lengths { get; } = lengths;
        public int NeedleCount => needles.Length;
        public bool IsBuilt => Volatile.Read(ref _automaton) != null;
        /// <summary>Stopwatch ticks the automaton took to build (0 until built).</summary>
        public long BuildTicks { get; private set; }

        public NeedleAutomaton Automaton => Volatile.Read(ref _automaton) ?? Build();

        private NeedleAutomaton Build()
        {
            lock (_lock)
            {
                if (_automaton == null)
                {
                    long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                    Volatile.Write(ref _automaton, new NeedleAutomaton(needles, alphabet));
                    BuildTicks = System.Diagnostics.Stopwatch.GetTimestamp() - t0;
                }
                return _automaton;
            }
        }
    }

    /// <summary>True when every character of the folded needle is, folded, one that <see cref="FieldValue.TryFormat"/> writes
    /// for an Int64 / UInt64 (decimal digits, '-', and for hex display "0x" and a–f); otherwise the needle never occurs
    /// in such a text.</summary>
    internal static bool IntegerText(string foldedNeedle)
    {
        foreach (char c in foldedNeedle)
        {
            bool ok = false;
            foreach (char d in IntegerChars) if (CaseFold.Canon[d] == c) { ok = true; break; }
            if (!ok) return false;
        }
        return true;
    }

    private const string IntegerChars = "0123456789-xXabcdefABCDEF";

    /// <summary>The rules admitted for one (Channel, EventID) key (global indexes, increasing), which of them
    /// are evaluated without prefilter, membership by rule index, and which field automata they need.</summary>
    internal sealed record Bucket(int[] Rules, int[] Unfiltered, bool[] Contains, bool[] ScanField, FieldAutomaton? Keywords);
}

/// <summary>Per-thread state of a <see cref="CollectionMatcher"/>: stamps instead of clearing bit sets per event.</summary>
public sealed class MatcherScratch
{
    internal int[] AtomStamps = [];
    internal readonly int[] RuleStamps;
    internal readonly List<int> Candidates = [];
    /// <summary>Per distinct route constraint: the stamp of the event its answer was computed for, and the answer.</summary>
    internal readonly int[] RouteStamps;
    internal readonly bool[] RouteAnswers;
    /// <summary>The event's field table, by field key (<see cref="FieldNames.Key"/>): the key occurs in the current event
    /// iff FieldStamps[key] is the event's stamp, and then first at FieldFirst[key], last at FieldLast[key]. Grown when
    /// an event brings a key beyond the arrays (field names are interned as they are met).</summary>
    internal int[] FieldStamps, FieldFirst, FieldLast;
    /// <summary>Direct-mapped cache of recent index keys and their buckets (see CollectionMatcher.BucketFor).</summary>
    internal readonly long[] BucketKeys = new long[64];
    internal readonly CollectionMatcher.Bucket?[] BucketCache = new CollectionMatcher.Bucket?[64];
    /// <summary>The last Channel name (as the collection spells it) the index resolved, and its id.</summary>
    internal string? LastChannel;
    internal int LastChannelId;
    private int _stamp;
    /// <summary>Per automaton (by its memo slot): recent values and the atoms they marked (see ValueMemo).</summary>
    private ValueMemo?[] _memos = new ValueMemo?[64];
    /// <summary>Bytes this thread's value memos may allocate together (8 MB: ~170 automata's rings).</summary>
    internal const long MemoBudgetBytes = 8L << 20;
    private readonly System.Runtime.CompilerServices.StrongBox<long> _memoBudget = new(MemoBudgetBytes);
    /// <summary>The atoms one value's scan collects for its memo entry, deduplicated by CollectStamps.</summary>
    internal readonly List<int> Collected = [];
    internal int[] CollectStamps = [];
    private int _collectStamp;

    internal readonly CollectionMatcher Owner;

    internal MatcherScratch(CollectionMatcher owner, int rules, int atoms, int constraints)
    {
        Owner = owner;
        RuleStamps = new int[rules];
        AtomStamps = new int[atoms];
        RouteStamps = new int[constraints];
        RouteAnswers = new bool[constraints];
        int fields = Math.Max(FieldNames.Count, 64);
        FieldStamps = new int[fields];
        FieldFirst = new int[fields];
        FieldLast = new int[fields];
    }

    internal void GrowFields(int key)
    {
        int n = Math.Max(key + 1, FieldStamps.Length * 2);
        Array.Resize(ref FieldStamps, n);
        Array.Resize(ref FieldFirst, n);
        Array.Resize(ref FieldLast, n);
    }

    /// <summary>The stamp of the event matched last (tests read its marks: the atoms whose stamp it is).</summary>
    internal int Stamp => _stamp;

    internal ValueMemo Memo(int slot)
    {
        if (slot >= _memos.Length) Array.Resize(ref _memos, Math.Max(slot + 1, _memos.Length * 2));
        return _memos[slot] ??= new ValueMemo(_memoBudget);
    }

    /// <summary>The memos' lookups that found their value, values stored, and memos holding values (diagnostics, tests).</summary>
    internal (long Hits, long Stores, int Memos) MemoCounts()
    {
        long hits = 0, stores = 0;
        int memos = 0;
        foreach (var m in _memos)
            if (m != null)
            {
                hits += m.Hits;
                stores += m.Stores;
                if (m.Stores > 0) memos++;
            }
        return (hits, stores, memos);
    }

    /// <summary>A fresh stamp for <see cref="CollectStamps"/> (sized like <see cref="AtomStamps"/>, whose size
    /// <see cref="NextStamp"/> has set for this event).</summary>
    internal int NextCollectStamp()
    {
        if (CollectStamps.Length < AtomStamps.Length)
        {
            CollectStamps = new int[AtomStamps.Length];
            _collectStamp = 0;
        }
        if (++_collectStamp == int.MaxValue)
        {
            Array.Clear(CollectStamps);
            _collectStamp = 1;
        }
        return _collectStamp;
    }

    internal int NextStamp(int atoms)
    {
        if (AtomStamps.Length < atoms) AtomStamps = new int[Math.Max(atoms, AtomStamps.Length * 2)];
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(AtomStamps);
            Array.Clear(RuleStamps);
            Array.Clear(RouteStamps);
            Array.Clear(FieldStamps);
            _stamp = 1;
        }
        return _stamp;
    }
}
