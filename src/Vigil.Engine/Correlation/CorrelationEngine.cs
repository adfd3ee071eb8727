using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Vigil.Engine.Hunting;
using Vigil.Events;
using Vigil.IO;
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
public static partial class CorrelationEngine
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
        /// <summary>The group-by values as one key (<see cref="GroupKeys.Encode"/>).</summary>
        public string GroupKey => GroupKeys.Encode(Group);
    }

    /// <summary>What a correlation reads from its inputs' detections and what kind of window it judges: shared by the
    /// evaluation over a whole list (<see cref="Evaluate"/>) and the one by group (<see cref="GroupedCorrelation"/>).</summary>
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
            var w = new Window(cc, store, tumbling, plain: true) { Group = list[0].Group };
            if (tumbling)
            {
                int a = 0;
                while (a < list.Count)
                {
                    w.Clear();
                    int b = a;
                    while (b < list.Count && list[b].Ticks - list[a].Ticks <= span) Add(w, list[b++]);
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
                    Add(w, list[j]);
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

    private static void Add(Window w, Match m)
    {
        var d = m.Detection;
        w.Add(d.TimestampTicks, m.Input, m.Number, m.Value, w.Store.Sources.Id(d.Origin.Source), d.Origin.Offset, d.Origin.Line,
            d.Computer, d.Channel);
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
    /// (<see cref="MemberQueue"/>: at most two blocks of them in memory).
    /// <para>A sliding window is judged at every match, so each judgment is O(number of inputs): the median comes from a
    /// <see cref="SlidingMedian"/> and temporal_ordered's longest prefix from each input's latest start
    /// (<see cref="_orderedStart"/>), not by reading every member (that was O(n log n) a match: 20,000 matches of one
    /// host in a day's window took 21 s, 200,000 would take an hour). <paramref name="plain"/>: the plain evaluation that
    /// reads the members each time instead (<see cref="Evaluate"/>, the reference the tests compare against).</para>
    /// <para>A consecutive value_count window whose condition has an upper bound that its distinct values already passed
    /// (lt, lte, eq) cannot hold however many more values come, so it stops keeping them: a scanner's million
    /// destinations in a day, under "fewer than 3 destinations a day", no longer sit in memory.</para></summary>
    /// <param name="consecutive">The correlation judges consecutive windows (<see cref="CorrelationShape.Tumbling"/>).</param>
    private sealed class Window(CompiledCorrelation cc, MemberStore store, bool consecutive, bool plain = false)
    {
        private readonly SigmaCorrelation _c = cc.Correlation;
        private readonly int[] _perInput = new int[cc.Inputs.Count];
        /// <summary>The distinct values in the window (made for the first value: most types read none).</summary>
        private WindowValues? _values;
        private readonly MemberQueue _members = new(store);
        private int _inputsSeen;
        private double _sum;
        /// <summary>Members added since the window was last cleared; the oldest member's number is <c>_added - Count</c>.</summary>
        private long _added;
        /// <summary>temporal_ordered: for each input j, the latest number of a member that starts a run of members matching
        /// inputs 0..j in order (-1: none yet). Inputs 0..j appear in order within the window exactly when that start is
        /// still in it, and the starts only fall as j grows, so the longest prefix is the count of starts still in.</summary>
        private readonly long[]? _orderedStart = !plain && cc.Correlation.Type == CorrelationType.TemporalOrdered
            ? NewStarts(cc.Inputs.Count) : null;
        private readonly SlidingMedian? _median = !plain && cc.Correlation.Type == CorrelationType.ValueMedian ? new() : null;
        /// <summary>The median of a window past <see cref="MemberStore.MedianCap"/> members, judged from counts (null: the
        /// heaps, or a type without a median).</summary>
        private ThresholdMedian? _largeMedian;
        private Func<IEnumerable<double>> Numbers => () => _members.All().Select(m => m.Number);
        /// <summary>value_count in consecutive windows: the distinct values passed an upper bound, so the window fails
        /// whatever comes, and its values are no longer kept.</summary>
        private bool _hopeless;
        private readonly bool _canGiveUp = !plain && cc.Correlation.Type == CorrelationType.ValueCount
            && cc.Correlation.Condition.Any(b => b.Op is "lt" or "lte" or "eq") && !cc.Correlation.Condition.Any(b => b.Op == "neq");
        /// <summary>A consecutive window's distinct values past <see cref="MemberStore.ValueCap"/>: one row per value (or, for
        /// those kept before, per distinct value with its count), sorted by the value's hash when the window is judged.</summary>
        private ExternalSorter<SpilledValue>? _spilled;
        /// <summary>Consecutive windows that read values (value_percentile; value_count with an upper bound): their members
        /// never leave before the window is judged, so their values need no slots.</summary>
        private readonly bool _canSpill = !plain && consecutive && cc.Correlation.Type is CorrelationType.ValuePercentile or CorrelationType.ValueCount;

        /// <summary>Where a value's text can be read back (the streaming evaluation's text file: its place and length), so
        /// that a consecutive window's values can go to a sort past <see cref="MemberStore.ValueCap"/>; null: they stay in
        /// memory.</summary>
        public Func<long, int, string>? ReadText { get; init; }

        /// <summary><see cref="Satisfied"/> of a window whose values went to a sort: the values come back grouped by hash, each
        /// with its count, and the facts keep the first <see cref="MaxListedEvents"/> texts in ordinal order (read back from
        /// the text file), as the in-memory judgment lists them.</summary>
        private bool SpilledSatisfied(int n, [NotNullWhen(true)] out List<(string Name, FieldValue Value)>? facts)
        {
            facts = null;
            bool percentile = _c.Type == CorrelationType.ValuePercentile;
            // The smallest texts so far (ordinal), with their counts.
            var smallest = new List<(string Text, long Count)>(MaxListedEvents + 1);
            long distinct = 0, picked = 0;
            UInt128 hash = default;
            long at = -1, count = 0;
            int chars = 0;
            void Close()
            {
                if (count == 0) return;
                distinct++;
                if (percentile && !Holds(100.0 * count / n)) return;
                picked++;
                var text = ReadText!(at, chars);
                int i = smallest.BinarySearch((text, 0), TextOrder);
                if (i < 0) i = ~i;
                if (i >= MaxListedEvents) return;
                smallest.Insert(i, (text, count));
                if (smallest.Count > MaxListedEvents) smallest.RemoveAt(MaxListedEvents);
            }
            foreach (var v in _spilled!.Sorted())
            {
                if (count > 0 && v.Hash != hash) Close();
                if (count == 0 || v.Hash != hash) (hash, at, chars, count) = (v.Hash, v.TextAt, v.Chars, 0);
                count += v.Count;
            }
            if (count > 0) Close();
            string List() => string.Join(", ", smallest.Select(x => x.Text.Replace('\u001f', '|')));
            if (percentile)
            {
                if (picked == 0) return false;
                facts = [("values", FieldValue.FromString(List())), ("value_percent", FieldValue.FromDouble(100.0 * smallest[0].Count / n))];
                return true;
            }
            if (!Holds(distinct)) return false;
            facts = [("value_count", FieldValue.FromInt64(distinct)), ("values", FieldValue.FromString(List()))];
            return true;
        }

        private static readonly Comparer<(string Text, long Count)> TextOrder = Comparer<(string Text, long Count)>.Create(
            static (a, b) => string.CompareOrdinal(a.Text, b.Text));

        /// <summary>Whether <paramref name="distinct"/> values fail an upper bound that no larger count can meet.</summary>
        private bool PastUpperBound(int distinct)
        {
            for (int i = 0; i < _c.Condition.Count; i++)
            {
                var b = _c.Condition[i];
                if (b.Op == "lt" ? distinct >= b.Value : b.Op is "lte" or "eq" && distinct > b.Value) return true;
            }
            return false;
        }

        private static long[] NewStarts(int inputs)
        {
            var s = new long[inputs];
            Array.Fill(s, -1);
            return s;
        }

        public MemberStore Store => store;
        public int Count => _members.Count;
        public MemberQueue Members => _members;
        public long FirstTicks => _members.First.Ticks;
        /// <summary>The newest member's time, computer, channel and place: the found detection's.</summary>
        public long LastTicks { get; private set; }
        public string LastComputer { get; private set; } = "";
        public string LastChannel { get; private set; } = "";
        public EventOrigin LastOrigin => new(store.Sources[_lastSource], _lastOffset, _lastLine);
        private int _lastSource;
        private long _lastOffset, _lastLine;
        /// <summary>The group-by values of the window's group.</summary>
        public string[] Group { get; set; } = [];

        public void Clear()
        {
            Array.Clear(_perInput);
            _values?.Clear();
            _members.Clear();
            _inputsSeen = 0;
            _sum = 0;
            _added = 0;
            if (_orderedStart != null) Array.Fill(_orderedStart, -1);
            _median?.Clear();
            _largeMedian = null;
            _hopeless = false;
            _spilled?.Dispose();
            _spilled = null;
        }

        /// <summary>A match enters: its time, input, number, value (null: the correlation reads none) and event;
        /// <paramref name="valueAt"/>: where the value's text is for <see cref="ReadText"/> (-1: not known).</summary>
        public void Add(long ticks, int input, double number, string? value, int source, long offset, long line, string computer, string channel,
            long valueAt = -1)
        {
            int slot = -1;
            if (value != null && !_hopeless)
            {
                if (_spilled != null) _spilled.Add(new SpilledValue(TextHash.Of(value), valueAt, value.Length, 1));
                else
                {
                    slot = (_values ??= new()).Add(value, valueAt);
                    store.NoteValues(_values.Count);
                    if (_canSpill && _values.Count > store.ValueCap && ReadText != null && valueAt >= 0)
                    {
                        // Too many distinct values to keep: they go to a sort, each with its count, and so do later ones.
                        _spilled = new ExternalSorter<SpilledValue>("correlation-window-values", SpilledValue.Compare, store.ValueRunRows);
                        store.ValueSpills++;
                        foreach (var (text, at, count) in _values.Entries()) _spilled.Add(new SpilledValue(TextHash.Of(text), at, text.Length, count));
                        _values.Clear();
                        slot = -1;
                    }
                }
            }
            if (_canGiveUp && slot >= 0 && PastUpperBound(_values!.Count))
            {
                // An upper bound fails, and more distinct values cannot make it hold again (members never leave a
                // consecutive window before it closes).
                _hopeless = true;
                _values.Clear();
                slot = -1;
            }
            long seq = _added++;
            if (_orderedStart != null)
            {
                if (input == 0) _orderedStart[0] = seq;
                else if (_orderedStart[input - 1] > _orderedStart[input]) _orderedStart[input] = _orderedStart[input - 1];
            }
            if (_largeMedian != null) _largeMedian.Add(number, seq);
            else _median?.Add(number, seq);
            _members.Add(new WindowMember
            {
                Ticks = ticks, Offset = offset, Line = line, Number = number, Input = input, Source = source, Value = slot,
            });
            if (_median != null && _largeMedian == null && _members.Count > store.MedianCap)
            {
                // Too many members for the heaps: the median is judged from counts, its members read from the queue.
                _largeMedian = new ThresholdMedian(_c.Condition, store.BlockRows);
                long first = _added - _members.Count;
                foreach (var m in _members.All()) _largeMedian.Add(m.Number, first++);
                _median.Clear();
                store.LargeMedians++;
            }
            if (_perInput[input]++ == 0) _inputsSeen++;
            _sum += number;
            LastTicks = ticks;
            LastComputer = computer;
            LastChannel = channel;
            _lastSource = source;
            _lastOffset = offset;
            _lastLine = line;
        }

        /// <summary>Removes the oldest member (sliding windows only drop from the front).</summary>
        public void RemoveFirst()
        {
            long seq = _added - _members.Count;
            var m = _members.RemoveFirst();
            if (--_perInput[m.Input] == 0) _inputsSeen--;
            if (m.Value >= 0 && !_hopeless) _values!.Remove(m.Value);
            _sum -= m.Number;
            if (_largeMedian != null) _largeMedian.RemoveOldest(m.Number, seq);
            else _median?.RemoveOldest(m.Number, seq);
        }

        private bool Holds(double x)
        {
            for (int i = 0; i < _c.Condition.Count; i++) if (!_c.Condition[i].Holds(x)) return false;
            return true;
        }

        /// <summary>Whether the window satisfies the condition, and then the facts its found detection reports (the
        /// facts are made only then: a window is judged at every match, and most judgments fail).</summary>
        public bool Satisfied([NotNullWhen(true)] out List<(string Name, FieldValue Value)>? facts)
        {
            facts = null;
            int n = _members.Count;
            switch (_c.Type)
            {
                case CorrelationType.EventCount:
                    if (!Holds(n)) return false;
                    facts = [];
                    return true;
                case CorrelationType.ValueCount:
                {
                    if (_hopeless) return false;
                    if (_spilled != null) return SpilledSatisfied(n, out facts);
                    int distinct = _values?.Count ?? 0;
                    if (!Holds(distinct)) return false;
                    var texts = _values?.Texts ?? [];
                    facts = [("value_count", FieldValue.FromInt64(distinct)),
                        ("values", FieldValue.FromString(string.Join(", ", texts.Order(StringComparer.Ordinal).Take(MaxListedEvents).Select(v => v.Replace('\u001f', '|')))))];
                    return true;
                }
                case CorrelationType.ValueSum:
                    if (!Holds(_sum)) return false;
                    facts = [("value_sum", FieldValue.FromDouble(_sum))];
                    return true;
                case CorrelationType.ValueAvg:
                    if (!Holds(_sum / n)) return false;
                    facts = [("value_avg", FieldValue.FromDouble(_sum / n))];
                    return true;
                case CorrelationType.ValueMedian:
                {
                    double median;
                    if (_largeMedian != null)
                    {
                        if (!_largeMedian.Holds(Numbers)) return false;
                        median = _largeMedian.Median(Numbers);
                    }
                    else if (_median != null) median = _median.Median;
                    else median = ThresholdMedian.Sorted(_members.All().Select(m => m.Number));
                    if (!Holds(median)) return false;
                    facts = [("value_median", FieldValue.FromDouble(median))];
                    return true;
                }
                case CorrelationType.ValuePercentile:
                {
                    // The share (in percent) of the window's matches that carry each value; the condition picks values
                    // by their share (e.g. lte 1: a value seen in at most 1% of the matches, a rare one).
                    if (_spilled != null) return SpilledSatisfied(n, out facts);
                    var values = _values;
                    if (values == null) return false;
                    var picked = values.Texts.Where(v => Holds(100.0 * values.CountOf(v) / n)).Order(StringComparer.Ordinal).ToList();
                    if (picked.Count == 0) return false;
                    facts = [("values", FieldValue.FromString(string.Join(", ", picked.Take(MaxListedEvents).Select(v => v.Replace('\u001f', '|'))))),
                        ("value_percent", FieldValue.FromDouble(100.0 * values.CountOf(picked[0]) / n))];
                    return true;
                }
                case CorrelationType.Temporal:
                    if (!(_c.Condition.Count == 0 ? _inputsSeen == _perInput.Length : Holds(_inputsSeen))) return false;
                    facts = [("rules_matched", FieldValue.FromInt64(_inputsSeen))];
                    return true;
                case CorrelationType.TemporalOrdered:
                {
                    // Longest prefix of the rule list found in order: greedy earliest match of each next rule is
                    // optimal for subsequence search, so this is exact.
                    int k = 0;
                    if (_orderedStart != null)
                    {
                        long oldest = _added - n;
                        while (k < _orderedStart.Length && _orderedStart[k] >= oldest) k++;
                    }
                    else
                        foreach (var m in _members.All())
                        {
                            if (m.Input == k) k++;
                            if (k == _perInput.Length) break;
                        }
                    if (!(_c.Condition.Count == 0 ? k == _perInput.Length : Holds(k))) return false;
                    facts = [("rules_in_order", FieldValue.FromInt64(k))];
                    return true;
                }
                default:
                    return false;
            }
        }
    }

    /// <summary>One value of a consecutive window past its memory: the text's hash, its place and length in the text file,
    /// and how many members carry it (1, or the count a value had before the window's values went to the sort).</summary>
    private readonly record struct SpilledValue(UInt128 Hash, long TextAt, int Chars, long Count)
    {
        public static int Compare(SpilledValue a, SpilledValue b) => a.Hash.CompareTo(b.Hash);
    }

    /// <summary>
    /// The same correlations as <see cref="Apply(IReadOnlyList{Detection}, IReadOnlyList{CompiledCorrelation}, Func{SigmaRule, bool}, Func{SigmaRule, bool}?)"/>
    /// over detections that arrive already sorted (<see cref="Detection.Compare"/>, ties in the order they were found, as a
    /// <see cref="DetectionSpool"/> drains them), in memory that does not grow with the input: each correlation writes its
    /// matches as rows to an external sort by group, then judges one group at a time, in one window whose members spill to
    /// a file past two blocks (<see cref="GroupedCorrelation"/>). Neither the matches in one timespan nor the groups open
    /// at once are held: a SYN flood from 1.5M spoofed addresses made a window per address.
    /// <para>Correlations of correlations (chains) read their inputs, the detections of the rules they read directly and
    /// the found detections of the correlations they read, back in time order from a spool of their own, after the
    /// correlations they read are done (in <see cref="CompiledCorrelation.Order"/>).</para>
    /// <para>Results: the same detections as <c>Apply</c>, found ones only (base detections are the caller's). Found
    /// detections go to <paramref name="output"/> group by group after the input is read, not sorted: the caller's spool
    /// sorts them.</para>
    /// </summary>
    /// <param name="spool">Options of the chains' spools (their temporary folder and buffer).</param>
    /// <returns>Base-rule matches without a timestamp, counted as <c>Apply</c> counts them.</returns>
    public static long ApplySorted(IEnumerable<Detection> sorted, IReadOnlyList<CompiledCorrelation> correlations, Func<SigmaRule, bool> generates,
        Func<SigmaRule, bool>? emit, Action<Detection> output, SpoolOptions? spool = null)
    {
        using var store = new MemberStore();
        return ApplySorted(sorted, correlations, generates, emit, output, store, ExternalSorter<GroupedMatch>.DefaultRunRows, spool: spool);
    }

    /// <param name="store">Where the windows' members go (tests choose its block size and read its counts).</param>
    /// <param name="runRows">Matches per sorted run of each correlation's sort by group (tests spill after a few).</param>
    /// <param name="groupHash">Tests: the group keys' hash (a constant makes every key collide).</param>
    internal static long ApplySorted(IEnumerable<Detection> sorted, IReadOnlyList<CompiledCorrelation> correlations, Func<SigmaRule, bool> generates,
        Func<SigmaRule, bool>? emit, Action<Detection> output, MemberStore store, int runRows, Func<string, UInt128>? groupHash = null,
        SpoolOptions? spool = null)
    {
        var owned = new List<IDisposable>();
        try
        {
            bool Emitted(SigmaRule meta) => generates(meta) && (emit == null || emit(meta));
            var ordered = correlations.OrderBy(c => c.Order).ToList();
            var chained = ordered.Where(c => c.Inputs.Any(i => i.Chained != null)).ToList();
            // Each chain's spool, and the spools that each rule's detections (base or found) go to.
            var chainSpools = new Dictionary<CompiledCorrelation, DetectionSpool>(ReferenceEqualityComparer.Instance);
            var readers = new Dictionary<SigmaRule, List<DetectionSpool>>(ReferenceEqualityComparer.Instance);
            foreach (var c in chained)
            {
                var sp = new DetectionSpool(spool);
                owned.Add(sp);
                chainSpools[c] = sp;
                foreach (var i in c.Inputs)
                {
                    if (!readers.TryGetValue(i.Source, out var l)) readers[i.Source] = l = [];
                    if (!l.Contains(sp)) l.Add(sp);
                }
            }
            // A correlation's found detections go to the output if it reports its own, and to the chains that read it.
            GroupedCorrelation Grouped(CompiledCorrelation c)
            {
                bool emitted = Emitted(c.Meta);
                readers.TryGetValue(c.Meta, out var chains);
                Action<Detection> found = chains == null ? (emitted ? output : static _ => { })
                    : d => { if (emitted) output(d); foreach (var sp in chains) sp.Add(d); };
                var sc = new GroupedCorrelation(c, store, runRows, groupHash, found);
                owned.Add(sc);
                return sc;
            }
            var plain = new List<GroupedCorrelation>();
            var byRule = new Dictionary<SigmaRule, List<GroupedCorrelation>>(ReferenceEqualityComparer.Instance);
            foreach (var c in ordered.Where(c => c.Inputs.All(i => i.Chained == null)))
            {
                var sc = Grouped(c);
                plain.Add(sc);
                foreach (var i in c.Inputs)
                {
                    if (!byRule.TryGetValue(i.Source, out var l)) byRule[i.Source] = l = [];
                    if (!l.Contains(sc)) l.Add(sc);
                }
            }
            long untimed = Feed(sorted, byRule, readers.Count == 0 ? null : d =>
            {
                if (readers.TryGetValue(d.Rule, out var l)) foreach (var sp in l) sp.Add(d);
            });
            foreach (var sc in plain) sc.Finish();
            foreach (var c in chained)
            {
                var sc = Grouped(c);
                var inputs = new Dictionary<SigmaRule, List<GroupedCorrelation>>(ReferenceEqualityComparer.Instance);
                foreach (var i in c.Inputs) inputs[i.Source] = [sc];
                untimed += Feed(chainSpools[c].Drain(), inputs, null);
                sc.Finish();
                chainSpools[c].Dispose();
            }
            return untimed;
        }
        finally
        {
            foreach (var o in owned) o.Dispose();
        }
    }

    /// <summary>Hands each event's detections (adjacent in sorted order: same time and place) to the correlations that read
    /// any of their rules, and each detection to <paramref name="each"/>; the untimed matches counted.</summary>
    private static long Feed(IEnumerable<Detection> sorted, Dictionary<SigmaRule, List<GroupedCorrelation>> byRule, Action<Detection>? each)
    {
        var run = new List<Detection>();
        var touched = new List<GroupedCorrelation>();
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
            each?.Invoke(d);
            // One event's detections are adjacent (same time and place; Compare orders them by rule).
            if (run.Count > 0 && !(run[0].TimestampTicks == d.TimestampTicks && run[0].Origin.Offset == d.Origin.Offset
                && run[0].Origin.Line == d.Origin.Line && string.Equals(run[0].Origin.Source, d.Origin.Source, StringComparison.Ordinal))) Flush();
            run.Add(d);
        }
        Flush();
        return untimed;
    }

    /// <summary>The found detection of window <paramref name="w"/>: its group, count and facts, the rules in the order they
    /// first appear in it and its first events; at the time and place of its newest member.</summary>
    private static Detection Emit(CompiledCorrelation cc, Window w, List<(string Name, FieldValue Value)> facts)
    {
        var c = cc.Correlation;
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
        fields.Add(new("window_end", FieldValue.FromDateTime(new DateTime(w.LastTicks, DateTimeKind.Utc))));
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
                events.Add($"{Detection.FormatTimestamp(m.Ticks)} {r} {new EventOrigin(w.Store.Sources[m.Source], m.Offset, m.Line)}");
            // The rest of a long window can add neither an event nor a rule.
            else if (inputs == inputSeen.Length || rules.Count == distinctInputs) break;
        }
        if (count > MaxListedEvents) events.Add($"… {count - MaxListedEvents} more");
        fields.Add(new("rules", FieldValue.FromString(string.Join(", ", rules))));
        fields.Add(new("events", FieldValue.FromString(string.Join("\n", events))));
        return new Detection
        {
            Rule = c.Meta,
            TimestampTicks = w.LastTicks,
            Computer = w.LastComputer,
            Channel = w.LastChannel,
            Origin = w.LastOrigin,
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
