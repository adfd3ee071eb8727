using System.Globalization;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.Rules;

namespace Vigil.Engine.Correlation;

/// <summary>The detections after correlation, and how many base-rule matches had no timestamp (they cannot be
/// placed in a time window and take no part in any correlation).</summary>
public sealed record CorrelationResult(List<Detection> Detections, long UntimedMatches);

/// <summary>
/// Evaluates Sigma correlation rules over the base-rule detections of a finished hunt. Detections are detached
/// copies (time, origin, every field), so input order, file order and partition parallelism do not matter:
/// matches are sorted by time here, then grouped and windowed. Window semantics per type are in the README
/// of Vigil.Rules ("Correlations"); in short:
/// <list type="bullet">
/// <item>count-like types (event_count, value_count, value_sum, temporal, temporal_ordered) whose condition has only
/// lower bounds (gt/gte, or none for temporal*) use a sliding window ending at each match: the correlation fires at the
/// first match where the matches within <c>timespan</c> before it satisfy the condition, and those matches are then
/// consumed (the next window starts after the firing match), so one burst yields one detection;</item>
/// <item>count-like types with an upper bound (lt, lte, eq, neq), and value_percentile, can only be judged on a complete
/// window: consecutive windows of <c>timespan</c>, each anchored at the first match after the previous window;</item>
/// <item>value_avg and value_median use the sliding window ending at each match, like the first case.</item>
/// </list>
/// </summary>
public static class CorrelationEngine
{
    private const int MaxListedEvents = 50;

    /// <param name="detections">Every base-rule detection of the hunt (including rules that do not generate).</param>
    /// <param name="ruleSet">For the correlations and which rules generate their own detections.</param>
    /// <param name="emit">Optional output selection (rule filtering flags): detections of rules or correlations it
    /// rejects are dropped from the result, but still feed correlations.</param>
    public static CorrelationResult Apply(IReadOnlyList<Detection> detections, RuleSet ruleSet, Func<SigmaRule, bool>? emit = null)
        => Apply(detections, ruleSet.Correlations, ruleSet.Generates, emit);

    public static CorrelationResult Apply(IReadOnlyList<Detection> detections, IReadOnlyList<CompiledCorrelation> correlations,
        Func<SigmaRule, bool> generates, Func<SigmaRule, bool>? emit = null)
        => Apply(detections, correlations, generates, emit, MemberStore.DefaultBlockRows);

    /// <param name="blockRows">Window members per block of the spill file (<see cref="MemberStore"/>; tests compare sizes).</param>
    internal static CorrelationResult Apply(IReadOnlyList<Detection> detections, IReadOnlyList<CompiledCorrelation> correlations,
        Func<SigmaRule, bool> generates, Func<SigmaRule, bool>? emit, int blockRows)
    {
        using var store = new MemberStore(blockRows);
        var bySource = new Dictionary<SigmaRule, List<Detection>>(ReferenceEqualityComparer.Instance);
        foreach (var d in detections)
        {
            if (!bySource.TryGetValue(d.Rule, out var l)) bySource[d.Rule] = l = [];
            l.Add(d);
        }
        var output = new List<Detection>(detections.Count);
        foreach (var d in detections)
            if (generates(d.Rule) && (emit == null || emit(d.Rule))) output.Add(d);

        long untimed = 0;
        foreach (var c in correlations.OrderBy(c => c.Order))
        {
            var found = Evaluate(c, bySource, store, ref untimed);
            bySource[c.Meta] = found;   // chained correlations read these
            if (generates(c.Meta) && (emit == null || emit(c.Meta))) output.AddRange(found);
        }
        output.Sort(Detection.Compare);
        return new CorrelationResult(output, untimed);
    }

    /// <summary>One base-rule (or chained correlation) match, reduced to what the correlation needs.</summary>
    private sealed class Match
    {
        public required Detection Detection;
        public required int Input;
        public string[] Group = [];
        public string? Value;      // value_count / value_percentile: the (combined) value text
        public double Number;      // value_sum / avg / median: the numeric value
        public long Ticks => Detection.TimestampTicks;
        /// <summary>The group-by values as one key.</summary>
        public string GroupKey => string.Join('\u001f', Group);
    }

    /// <summary>What a correlation reads from its inputs' detections and what kind of window it judges: shared by the
    /// evaluation over a whole list (<see cref="Evaluate"/>) and the streamed one (<see cref="StreamedCorrelation"/>).</summary>
    private sealed class CorrelationShape
    {
        public readonly CompiledCorrelation Cc;
        /// <summary>temporal / temporal_ordered: every input's match counts; the other types count events.</summary>
        public readonly bool PerInput;
        /// <summary>Consecutive windows (conditions with an upper bound, value_percentile) rather than a sliding one.</summary>
        public readonly bool Tumbling;
        public readonly long Span;
        private readonly bool _needsNumber, _needsValue;
        private readonly IReadOnlyList<string>[][] _groupNames, _valueNames;

        public CorrelationShape(CompiledCorrelation cc)
        {
            Cc = cc;
            var c = cc.Correlation;
            PerInput = c.Type is CorrelationType.Temporal or CorrelationType.TemporalOrdered;
            _needsNumber = c.Type is CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValueMedian;
            _needsValue = c.Type is CorrelationType.ValueCount or CorrelationType.ValuePercentile;
            bool countLike = c.Type is CorrelationType.EventCount or CorrelationType.ValueCount or CorrelationType.ValueSum
                or CorrelationType.Temporal or CorrelationType.TemporalOrdered;
            Tumbling = c.Type == CorrelationType.ValuePercentile || (countLike && c.Condition.Any(b => b.IsUpperBound));
            Span = c.Timespan.Ticks;
            _groupNames = Enumerable.Range(0, cc.Inputs.Count).Select(i => c.GroupBy.Select(g => cc.FieldNamesFor(g, i)).ToArray()).ToArray();
            _valueNames = Enumerable.Range(0, cc.Inputs.Count).Select(i => c.ConditionFields.Select(f => cc.FieldNamesFor(f, i)).ToArray()).ToArray();
        }

        /// <summary>The match of timed detection <paramref name="d"/> as input <paramref name="i"/>, or null when it lacks a
        /// group-by field or the value the correlation needs.</summary>
        public Match? MatchOf(Detection d, int i)
        {
            var c = Cc.Correlation;
            var group = new string[c.GroupBy.Count];
            for (int g = 0; g < group.Length; g++)
            {
                // Like SIEM group-by (Splunk stats by, Elastic terms), a match without a group-by field is in no group.
                if (FieldText(d, _groupNames[i][g]) is not { } text) return null;
                group[g] = text;
            }
            var m = new Match { Detection = d, Input = i, Group = group };
            if (_needsValue)
            {
                var parts = new string[c.ConditionFields.Count];
                for (int f = 0; f < parts.Length; f++) parts[f] = FieldText(d, _valueNames[i][f]) ?? "";
                // value_count counts distinct values of the field(s); a match with none of them has no value.
                if (parts.All(p => p.Length == 0)) return null;
                m.Value = string.Join('\u001f', parts);
            }
            if (_needsNumber)
            {
                if (!FieldNumber(d, _valueNames[i][0], out double num)) return null;   // no numeric value: nothing to add
                m.Number = num;
            }
            return m;
        }
    }

    private static List<Detection> Evaluate(CompiledCorrelation cc, Dictionary<SigmaRule, List<Detection>> bySource, MemberStore store, ref long untimed)
    {
        var shape = new CorrelationShape(cc);
        var matches = new List<Match>();
        var seenEvents = new HashSet<(string, long, long)>();
        for (int i = 0; i < cc.Inputs.Count; i++)
        {
            if (!bySource.TryGetValue(cc.Inputs[i].Source, out var ds)) continue;
            foreach (var d in ds)
            {
                if (d.TimestampTicks == 0) { untimed++; continue; }
                if (shape.MatchOf(d, i) is not { } m) continue;
                // Count-like types count events: an event matched by two referenced rules counts once.
                if (!shape.PerInput && !seenEvents.Add((d.Origin.Source, d.Origin.Offset, d.Origin.Line))) continue;
                matches.Add(m);
            }
        }
        matches.Sort((a, b) =>
        {
            int r = Detection.Compare(a.Detection, b.Detection);
            return r != 0 ? r : a.Input.CompareTo(b.Input);
        });

        var result = new List<Detection>();
        var groups = new Dictionary<string, List<Match>>(StringComparer.Ordinal);
        foreach (var m in matches)
        {
            string key = m.GroupKey;
            if (!groups.TryGetValue(key, out var l)) groups[key] = l = [];
            l.Add(m);
        }
        long span = shape.Span;
        bool tumbling = shape.Tumbling;
        foreach (var (_, list) in groups)
        {
            var w = new Window(cc, store);
            if (tumbling)
            {
                int a = 0;
                while (a < list.Count)
                {
                    w.Clear();
                    int b = a;
                    while (b < list.Count && list[b].Ticks - list[a].Ticks <= span) w.Add(list[b++]);
                    if (w.Satisfied(out var facts)) result.Add(Emit(cc, w, facts));
                    a = b;
                }
            }
            else
            {
                int start = 0;
                w.Clear();
                for (int j = 0; j < list.Count; j++)
                {
                    while (start < j && list[j].Ticks - list[start].Ticks > span)
                    {
                        w.RemoveFirst();
                        start++;
                    }
                    w.Add(list[j]);
                    if (w.Satisfied(out var facts))
                    {
                        result.Add(Emit(cc, w, facts));
                        w.Clear();
                        start = j + 1;
                    }
                }
            }
            w.Clear();
        }
        return result;
    }

    /// <summary>The first present of <paramref name="names"/> (see <see cref="CompiledCorrelation.FieldNamesFor"/>).</summary>
    private static string? FieldText(Detection d, IReadOnlyList<string> names)
    {
        foreach (var name in names)
            foreach (var f in d.Fields)
                if (f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    return f.Value.IsNull ? null : f.Value.ToString();
        return null;
    }

    private static bool FieldNumber(Detection d, IReadOnlyList<string> names, out double value)
    {
        foreach (var name in names)
            foreach (var f in d.Fields)
                if (f.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    if (f.Value.TryGetDouble(out value)) return true;
                    if (f.Value.IsText && double.TryParse(f.Value.TextSpan, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
                    return false;   // present but not a number
                }
        value = 0;
        return false;
    }

    /// <summary>The aggregate state of one window, updated as matches enter and leave it, and its members as rows
    /// (<see cref="MemberQueue"/>: at most two blocks of them in memory).</summary>
    private sealed class Window(CompiledCorrelation cc, MemberStore store)
    {
        private readonly SigmaCorrelation _c = cc.Correlation;
        private readonly int[] _perInput = new int[cc.Inputs.Count];
        /// <summary>The distinct values in the window (made for the first value: most types read none).</summary>
        private WindowValues? _values;
        private readonly MemberQueue _members = new(store);
        private int _inputsSeen;
        private double _sum;

        public MemberStore Store => store;
        public int Count => _members.Count;
        public MemberQueue Members => _members;
        public long FirstTicks => _members.First.Ticks;
        /// <summary>The time of the newest member, and its detection (the found detection's time, computer and place).</summary>
        public long LastTicks { get; private set; }
        public Detection? Last { get; private set; }
        /// <summary>The group-by values (those of the window's first match; every match of a group has them).</summary>
        public string[] Group { get; private set; } = [];

        /// <summary>Whether the aggregates are those of an empty window (a sum of added and removed numbers may leave a
        /// rounding residue, which an evaluation keeps).</summary>
        public bool IsPristine => _members.Count == 0 && _inputsSeen == 0 && (_values?.Count ?? 0) == 0 && _sum == 0;

        public void Clear()
        {
            Array.Clear(_perInput);
            _values?.Clear();
            _members.Clear();
            _inputsSeen = 0;
            _sum = 0;
            Last = null;
        }

        public void Add(Match m)
        {
            if (_members.Count == 0) Group = m.Group;
            int slot = m.Value != null ? (_values ??= new()).Add(m.Value) : -1;
            var d = m.Detection;
            _members.Add(new WindowMember
            {
                Ticks = d.TimestampTicks, Offset = d.Origin.Offset, Line = d.Origin.Line, Number = m.Number,
                Input = m.Input, Source = store.SourceId(d.Origin.Source), Value = slot,
            });
            if (_perInput[m.Input]++ == 0) _inputsSeen++;
            _sum += m.Number;
            LastTicks = d.TimestampTicks;
            Last = d;
        }

        /// <summary>Removes the oldest member (sliding windows only drop from the front).</summary>
        public void RemoveFirst()
        {
            var m = _members.RemoveFirst();
            if (--_perInput[m.Input] == 0) _inputsSeen--;
            if (m.Value >= 0) _values!.Remove(m.Value);
            _sum -= m.Number;
        }

        /// <summary>Removes every member, as removing them one by one would: only a sum can differ (its rounding residue
        /// stays, as <see cref="Evaluate"/> keeps it), so only a correlation that sums numbers reads them back.</summary>
        public void RemoveAll()
        {
            if (_c.Type is CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValueMedian)
                while (_members.Count > 0) RemoveFirst();
            else Clear();
        }

        private bool Holds(double x)
        {
            foreach (var b in _c.Condition) if (!b.Holds(x)) return false;
            return true;
        }

        public bool Satisfied(out List<(string Name, FieldValue Value)> facts)
        {
            facts = [];
            int n = _members.Count;
            switch (_c.Type)
            {
                case CorrelationType.EventCount:
                    return Holds(n);
                case CorrelationType.ValueCount:
                {
                    int distinct = _values?.Count ?? 0;
                    var texts = _values?.Texts ?? [];
                    facts.Add(("value_count", FieldValue.FromInt64(distinct)));
                    facts.Add(("values", FieldValue.FromString(string.Join(", ", texts.Order(StringComparer.Ordinal).Take(MaxListedEvents).Select(v => v.Replace('\u001f', '|'))))));
                    return Holds(distinct);
                }
                case CorrelationType.ValueSum:
                    facts.Add(("value_sum", FieldValue.FromDouble(_sum)));
                    return Holds(_sum);
                case CorrelationType.ValueAvg:
                    facts.Add(("value_avg", FieldValue.FromDouble(_sum / n)));
                    return Holds(_sum / n);
                case CorrelationType.ValueMedian:
                {
                    var sorted = _members.All().Select(m => m.Number).Order().ToArray();
                    double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
                    facts.Add(("value_median", FieldValue.FromDouble(median)));
                    return Holds(median);
                }
                case CorrelationType.ValuePercentile:
                {
                    // The share (in percent) of the window's matches that carry each value; the condition picks values
                    // by their share (e.g. lte 1: a value seen in at most 1% of the matches, a rare one).
                    var values = _values;
                    if (values == null) return false;
                    var picked = values.Texts.Where(v => Holds(100.0 * values.CountOf(v) / n)).Order(StringComparer.Ordinal).ToList();
                    if (picked.Count == 0) return false;
                    facts.Add(("values", FieldValue.FromString(string.Join(", ", picked.Take(MaxListedEvents).Select(v => v.Replace('\u001f', '|'))))));
                    facts.Add(("value_percent", FieldValue.FromDouble(100.0 * values.CountOf(picked[0]) / n)));
                    return true;
                }
                case CorrelationType.Temporal:
                    facts.Add(("rules_matched", FieldValue.FromInt64(_inputsSeen)));
                    return _c.Condition.Count == 0 ? _inputsSeen == _perInput.Length : Holds(_inputsSeen);
                case CorrelationType.TemporalOrdered:
                {
                    // Longest prefix of the rule list found in order: greedy earliest match of each next rule is
                    // optimal for subsequence search, so this is exact.
                    int k = 0;
                    foreach (var m in _members.All())
                    {
                        if (m.Input == k) k++;
                        if (k == _perInput.Length) break;
                    }
                    facts.Add(("rules_in_order", FieldValue.FromInt64(k)));
                    return _c.Condition.Count == 0 ? k == _perInput.Length : Holds(k);
                }
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// The same correlations as <see cref="Apply(IReadOnlyList{Detection}, IReadOnlyList{CompiledCorrelation}, Func{SigmaRule, bool}, Func{SigmaRule, bool}?)"/>
    /// over detections that arrive already sorted (<see cref="Detection.Compare"/>, ties in the order they were found, as a
    /// <see cref="DetectionSpool"/> drains them), in bounded memory: each group keeps only its open window, and a group
    /// whose window no later match can extend is closed (evaluated, when its windows are consecutive) and forgotten.
    /// Memory grows with the matches inside one timespan and the groups open at once, not with the input.
    /// <para>Only correlations of correlations (chains) are evaluated as before, after the stream, from the detections of
    /// the rules they read directly (kept in memory: none in SigmaHQ's collection or the built-in rules) and the found
    /// detections of the correlations they read.</para>
    /// <para>Results: the same detections as <c>Apply</c>, found ones only (base detections are the caller's). Found
    /// detections go to <paramref name="output"/> as windows close, not sorted: the caller's spool sorts them.</para>
    /// </summary>
    /// <returns>Base-rule matches without a timestamp, counted as <c>Apply</c> counts them.</returns>
    public static long ApplySorted(IEnumerable<Detection> sorted, IReadOnlyList<CompiledCorrelation> correlations, Func<SigmaRule, bool> generates,
        Func<SigmaRule, bool>? emit, Action<Detection> output)
    {
        using var store = new MemberStore();
        return ApplySorted(sorted, correlations, generates, emit, output, sweepEvery: 4096, store);
    }

    /// <param name="sweepEvery">Matches between sweeps of idle groups, at least (tests sweep after every match).</param>
    /// <param name="store">Where the windows' members go (tests choose its block size and read its counts).</param>
    internal static long ApplySorted(IEnumerable<Detection> sorted, IReadOnlyList<CompiledCorrelation> correlations, Func<SigmaRule, bool> generates,
        Func<SigmaRule, bool>? emit, Action<Detection> output, int sweepEvery, MemberStore store)
    {
        var streamed = new List<StreamedCorrelation>();
        var byRule = new Dictionary<SigmaRule, List<StreamedCorrelation>>(ReferenceEqualityComparer.Instance);
        var chained = correlations.Where(c => c.Inputs.Any(i => i.Chained != null)).OrderBy(c => c.Order).ToList();
        var kept = new Dictionary<SigmaRule, List<Detection>>(ReferenceEqualityComparer.Instance);
        foreach (var c in chained)
            foreach (var i in c.Inputs)
                if (i.Chained == null) kept.TryAdd(i.Source, []);
        // Correlations that a chain reads keep their found detections for it; the others hand each one on as its window
        // closes (a million S3 reads make 10,000 bursts, and a found detection lists its window's events: held to the end,
        // they grew with the input).
        bool Emitted(SigmaRule meta) => generates(meta) && (emit == null || emit(meta));
        var readByChains = new HashSet<SigmaRule>(chained.SelectMany(c => c.Inputs).Where(i => i.Chained != null).Select(i => i.Source),
            ReferenceEqualityComparer.Instance);
        foreach (var c in correlations.Where(c => c.Inputs.All(i => i.Chained == null)).OrderBy(c => c.Order))
        {
            Action<Detection>? direct = readByChains.Contains(c.Meta) ? null
                : Emitted(c.Meta) ? output : static _ => { };
            var sc = new StreamedCorrelation(c, sweepEvery, store, direct);
            streamed.Add(sc);
            foreach (var i in c.Inputs)
            {
                if (!byRule.TryGetValue(i.Source, out var l)) byRule[i.Source] = l = [];
                if (!l.Contains(sc)) l.Add(sc);
            }
        }
        var run = new List<Detection>();
        var touched = new List<StreamedCorrelation>();
        long untimed = 0;
        void Flush()
        {
            touched.Clear();
            foreach (var d in run)
                if (byRule.TryGetValue(d.Rule, out var l))
                    foreach (var sc in l) if (!touched.Contains(sc)) touched.Add(sc);
            foreach (var sc in touched) untimed += sc.Event(run);
            run.Clear();
        }
        foreach (var d in sorted)
        {
            if (kept.TryGetValue(d.Rule, out var k)) k.Add(d);
            // One event's detections are adjacent (same time and place; Compare orders them by rule).
            if (run.Count > 0 && !(run[0].TimestampTicks == d.TimestampTicks && run[0].Origin.Offset == d.Origin.Offset
                && run[0].Origin.Line == d.Origin.Line && string.Equals(run[0].Origin.Source, d.Origin.Source, StringComparison.Ordinal))) Flush();
            run.Add(d);
        }
        Flush();
        // A correlation's found detections feed the chains that read it, and are output if it reports its own.
        var bySource = new Dictionary<SigmaRule, List<Detection>>(kept, ReferenceEqualityComparer.Instance);
        void Found(SigmaRule meta, List<Detection> found)
        {
            bySource[meta] = found;
            if (Emitted(meta)) foreach (var f in found) output(f);
        }
        foreach (var sc in streamed) Found(sc.Cc.Meta, sc.Finish());
        foreach (var c in chained) Found(c.Meta, Evaluate(c, bySource, store, ref untimed));
        return untimed;
    }

    /// <summary>One correlation over plain rules, fed one event's detections at a time in sorted order; see
    /// <see cref="ApplySorted"/>. Every step mirrors <see cref="Evaluate"/> on the whole sorted list.</summary>
    private sealed class StreamedCorrelation
    {
        public readonly CompiledCorrelation Cc;
        private readonly CorrelationShape _shape;
        /// <summary>Open windows by group key. Found detections are kept (they are few, and chains read them) in the order
        /// their windows closed.</summary>
        private readonly Dictionary<string, Window> _groups = new(StringComparer.Ordinal);
        private readonly List<Detection> _found = [];
        private readonly Action<Detection>? _direct;
        private readonly MemberStore _store;
        private long _sinceSweep;
        private readonly int _sweepEvery;
        private int _sweepAt;

        /// <param name="direct">Where found detections go as they are found (null: kept, for <see cref="Finish"/>).</param>
        public StreamedCorrelation(CompiledCorrelation cc, int sweepEvery, MemberStore store, Action<Detection>? direct = null)
        {
            _store = store;
            _direct = direct;
            _sweepEvery = _sweepAt = sweepEvery;
            Cc = cc;
            _shape = new CorrelationShape(cc);
        }

        /// <summary>One event's detections (sorted by rule): its matches, in the order Evaluate sorts them (detection,
        /// then input); for counting types only the event's first match in input order, as Evaluate's seen-events set
        /// keeps. Returns the untimed matches counted.</summary>
        public long Event(List<Detection> run)
        {
            long untimed = 0;
            var inputs = Cc.Inputs;
            if (_shape.PerInput)
            {
                foreach (var d in run)
                    for (int i = 0; i < inputs.Count; i++)
                    {
                        if (!ReferenceEquals(inputs[i].Source, d.Rule)) continue;
                        if (d.TimestampTicks == 0) { untimed++; continue; }
                        if (_shape.MatchOf(d, i) is { } m) Add(m);
                    }
                return untimed;
            }
            Match? first = null;
            for (int i = 0; i < inputs.Count; i++)
                foreach (var d in run)
                {
                    if (!ReferenceEquals(inputs[i].Source, d.Rule)) continue;
                    if (d.TimestampTicks == 0) { untimed++; continue; }
                    if (first == null && _shape.MatchOf(d, i) is { } m) first = m;
                }
            if (first != null) Add(first);
            return untimed;
        }

        private void Add(Match m)
        {
            string key = m.GroupKey;
            if (!_groups.TryGetValue(key, out var w)) _groups[key] = w = new Window(Cc, _store);
            if (_shape.Tumbling)
            {
                // Consecutive windows: a match past the open window's timespan closes it and opens the next.
                if (w.Count > 0 && m.Ticks - w.FirstTicks > _shape.Span) Close(w);
                w.Add(m);
            }
            else
            {
                // Sliding window ending at each match: the oldest leave, the match enters, and a satisfied window fires and
                // is consumed.
                while (w.Count > 0 && m.Ticks - w.FirstTicks > _shape.Span) w.RemoveFirst();
                w.Add(m);
                if (w.Satisfied(out var facts))
                {
                    Found(Emit(Cc, w, facts));
                    w.Clear();
                }
            }
            if (++_sinceSweep >= _sweepAt) Sweep(m.Ticks);
        }

        private void Found(Detection d)
        {
            if (_direct is null) _found.Add(d);
            else _direct(d);
        }

        private void Close(Window w)
        {
            if (w.Satisfied(out var facts)) Found(Emit(Cc, w, facts));
            w.Clear();
        }

        /// <summary>Forgets the groups no later match (at or after <paramref name="now"/>) can extend: a sliding window whose
        /// members would all leave at that match (removed now, as they would be then; the group goes if nothing is left
        /// of it), a consecutive window past its timespan (closed now, as the next match or the end would close it).</summary>
        private void Sweep(long now)
        {
            _sinceSweep = 0;
            var gone = new List<string>();
            foreach (var (key, w) in _groups)
            {
                if (w.Count == 0) { if (w.IsPristine) gone.Add(key); continue; }
                if (_shape.Tumbling)
                {
                    if (now - w.FirstTicks > _shape.Span) { Close(w); gone.Add(key); }
                }
                else if (now - w.LastTicks > _shape.Span)
                {
                    w.RemoveAll();
                    if (w.IsPristine) gone.Add(key);
                }
            }
            foreach (var key in gone) _groups.Remove(key);
            // Sweep again after as many matches as there are open groups (at least 4,096): the cost stays linear.
            _sweepAt = Math.Max(_sweepEvery, _groups.Count);
        }

        /// <summary>Closes the consecutive windows still open; the found detections.</summary>
        public List<Detection> Finish()
        {
            if (_shape.Tumbling)
                foreach (var w in _groups.Values)
                    if (w.Count > 0) Close(w);
            _groups.Clear();
            return _found;
        }
    }

    /// <summary>The found detection of window <paramref name="w"/>: its group, count and facts, the rules in the order they
    /// first appear in it and its first events; at the time and place of its newest member.</summary>
    private static Detection Emit(CompiledCorrelation cc, Window w, List<(string Name, FieldValue Value)> facts)
    {
        var c = cc.Correlation;
        var last = w.Last!;
        int count = w.Count;
        var fields = new List<EventField>
        {
            new("correlation_type", FieldValue.FromString(TypeName(c.Type))),
        };
        for (int g = 0; g < c.GroupBy.Count; g++) fields.Add(new(c.GroupBy[g], FieldValue.FromString(w.Group[g])));
        fields.Add(new("event_count", FieldValue.FromInt64(count)));
        foreach (var (name, value) in facts) fields.Add(new(name, value));
        if (c.ConditionFields.Count > 0) fields.Add(new("value_field", FieldValue.FromString(string.Join(", ", c.ConditionFields))));
        fields.Add(new("window_start", FieldValue.FromDateTime(new DateTime(w.FirstTicks, DateTimeKind.Utc))));
        fields.Add(new("window_end", FieldValue.FromDateTime(new DateTime(last.TimestampTicks, DateTimeKind.Utc))));
        var rules = new List<string>();
        var events = new List<string>();
        var inputSeen = new bool[cc.Inputs.Count];
        int inputs = 0, distinctInputs = cc.Inputs.Select(i => i.Reference).Distinct(StringComparer.Ordinal).Count();
        foreach (var m in w.Members.All())
        {
            string r = cc.Inputs[m.Input].Reference;
            if (!inputSeen[m.Input])
            {
                inputSeen[m.Input] = true;
                if (!rules.Contains(r)) rules.Add(r);
                inputs++;
            }
            if (events.Count < MaxListedEvents)
                events.Add($"{Detection.FormatTimestamp(m.Ticks)} {r} {new EventOrigin(w.Store.Source(m.Source), m.Offset, m.Line)}");
            // The rest of a long window can add neither an event nor a rule.
            else if (inputs == inputSeen.Length || rules.Count == distinctInputs) break;
        }
        if (count > MaxListedEvents) events.Add($"… {count - MaxListedEvents} more");
        fields.Add(new("rules", FieldValue.FromString(string.Join(", ", rules))));
        fields.Add(new("events", FieldValue.FromString(string.Join("\n", events))));
        return new Detection
        {
            Rule = c.Meta,
            TimestampTicks = last.TimestampTicks,
            Computer = last.Computer,
            Channel = last.Channel,
            Origin = last.Origin,
            Fields = fields,
        };
    }

    public static string TypeName(CorrelationType t) => t switch
    {
        CorrelationType.EventCount => "event_count",
        CorrelationType.ValueCount => "value_count",
        CorrelationType.Temporal => "temporal",
        CorrelationType.TemporalOrdered => "temporal_ordered",
        CorrelationType.ValueSum => "value_sum",
        CorrelationType.ValueAvg => "value_avg",
        CorrelationType.ValuePercentile => "value_percentile",
        _ => "value_median",
    };
}
