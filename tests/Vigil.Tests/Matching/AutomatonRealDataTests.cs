using Vigil.Diagnostics;
using Vigil.Engine.Matching;
using Vigil.Events;
using Vigil.Readers;
using Vigil.Rules;
using Xunit.Abstractions;

namespace Vigil.Tests.Matching;

/// <summary>The SigmaHQ collection's needle sets per field (the prefilter atoms the matcher merges, see
/// <see cref="RuleFacts.Prefilter"/>) and real field values: the sample EVTX files through the EVTX reader and
/// the OTRF JSON through the JSON reader. Loaded once for the class.</summary>
public sealed class RealNeedlesFixture
{
    /// <summary>Field id (-1: keywords) → distinct folded needles.</summary>
    public Dictionary<int, List<string>> NeedlesOfField { get; }
    /// <summary>Field key → distinct text values (at most <see cref="MaxValuesPerField"/> per field, in reading order).</summary>
    public Dictionary<int, List<string>> ValuesOfField { get; } = [];
    internal Alphabet Alphabet { get; }
    public const int MaxValuesPerField = 400;

    public RealNeedlesFixture()
    {
        var folders = new[] { "rules", "rules-emerging-threats", "rules-threat-hunting" }
            .Select(f => Path.Combine(TestPaths.Shared, "data", "sigma", f)).ToList();
        var rules = RuleLoader.Load(folders, includeBuiltin: true).Rules;
        NeedlesOfField = RuleFacts.NeedleSetsByField(rules);
        Alphabet = new Alphabet(NeedlesOfField.Values.SelectMany(n => n));

        var seen = new Dictionary<int, HashSet<string>>();
        var diag = new DiagnosticsCollector();
        var scratch = new Event();
        foreach (string dir in new[] { Path.Combine(TestPaths.Shared, "data", "evtx"), Path.Combine(TestPaths.Shared, "data", "json", "otrf") })
            foreach (var f in InputFiles.Expand([dir], LogFormats.All, diag))
                foreach (var part in f.Format.Partition(f.Path, diag))
                    part.Read(scratch, e =>
                    {
                        for (int i = 0; i < e.Count; i++)
                        {
                            ref readonly var v = ref e.ValueAt(i);
                            if (!v.IsText) continue;
                            int key = e.KeyAt(i);
                            if (!seen.TryGetValue(key, out var values)) seen[key] = values = new HashSet<string>(StringComparer.Ordinal);
                            if (values.Count < MaxValuesPerField) values.Add(v.TextSpan.ToString());
                        }
                    }, diag);
        foreach (var (key, values) in seen) ValuesOfField[key] = values.ToList();
    }
}

/// <summary>
/// The automaton on real data: for every field that has both collection needles and values in the sample EVTX
/// files and the OTRF JSON (and for the keyword needles over every field's values), every (needle, start) the
/// scan reports must be exactly what an independent search (<see cref="MemoryExtensions.IndexOf(ReadOnlySpan{char}, ReadOnlySpan{char}, StringComparison)"/>
/// with OrdinalIgnoreCase, at every start) finds, for the default layout and the paths the defaults may not take
/// on that field: only the root dense (long failure chains), hubs only (dense rows for states with two or more
/// children, no breadth-first prefix), dense and sparse states interleaved, root skip forced on, prefilter forced on.
/// </summary>
public class AutomatonRealDataTests(RealNeedlesFixture fx, ITestOutputHelper output) : IClassFixture<RealNeedlesFixture>
{
    [Fact]
    public void FieldAutomataAgreeWithAnIndependentSearchOnRealValues()
    {
        int fields = 0, skipping = 0, skippingHits = 0, hubSets = 0;
        long values = 0, hits = 0;
        var failures = new List<string>();
        foreach (var (field, needles) in fx.NeedlesOfField)
        {
            List<string> texts;
            if (field < 0) texts = fx.ValuesOfField.Values.SelectMany(v => v.Take(20)).ToList();   // keywords: any field
            else if (!fx.ValuesOfField.TryGetValue(field, out var v)) continue;
            else texts = v;
            fields++;
            var variants = new List<(string Name, NeedleAutomaton A)>
            {
                ("default", new NeedleAutomaton(needles, fx.Alphabet)),
                ("root-only-dense", new NeedleAutomaton(needles, fx.Alphabet, denseBudgetBytes: 0, prefilterMaxNeedles: -1, rootSkipMaxChars: 0, hubBudgetBytes: 0)),
                ("hubs-only", new NeedleAutomaton(needles, fx.Alphabet, denseBudgetBytes: 0, prefilterMaxNeedles: -1, rootSkipMaxChars: 0, hubBudgetBytes: 1 << 20, hubMinChildren: 2)),
                ("interleaved", new NeedleAutomaton(needles, fx.Alphabet, denseBudgetBytes: 0, prefilterMaxNeedles: -1, rootSkipMaxChars: 0, hubBudgetBytes: 1 << 14, hubMinChildren: 1)),
                ("root-skip", new NeedleAutomaton(needles, fx.Alphabet, denseBudgetBytes: 0, prefilterMaxNeedles: -1, rootSkipMaxChars: int.MaxValue, hubBudgetBytes: 0)),
                ("prefilter", new NeedleAutomaton(needles, fx.Alphabet, prefilterMaxNeedles: int.MaxValue)),
            };
            // Hubs: the hubs-only layout has dense states besides the root wherever a state has two children.
            if (variants.Single(v => v.Name == "hubs-only").A.DenseStates > 1) hubSets++;
            bool defaultSkips = variants[0].A.HasRootSkip;
            if (defaultSkips) skipping++;
            foreach (string text in texts)
            {
                var expected = Naive(needles, text);
                values++;
                hits += expected.Count;
                if (defaultSkips) skippingHits += expected.Count;
                foreach (var (name, a) in variants)
                {
                    var sink = new Collect { Hits = [] };
                    a.Scan(text, ref sink);
                    sink.Hits.Sort();
                    if (!sink.Hits.SequenceEqual(expected) && failures.Count < 10)
                        failures.Add($"field {(field < 0 ? "(keywords)" : FieldNames.Name(field))}, {name}: '{text}' gave {sink.Hits.Count} hits, expected {expected.Count}");
                }
            }
        }
        output.WriteLine($"{fields} needle sets, {values} values, {hits} occurrences; {skipping} sets take the root skip by default ({skippingHits} occurrences in their values); {hubSets} have hubs in the hubs-only layout");
        Assert.Empty(failures);
        // The data must exercise what is tested: fields with values, occurrences, and the root skip at default settings.
        Assert.True(fields > 50, $"only {fields} fields with needles and values");
        Assert.True(hits > 10_000, $"only {hits} occurrences");
        Assert.True(skipping > 0 && skippingHits > 0, "no field automaton takes the root skip by default, or none has occurrences");
        Assert.True(hubSets > 50, $"only {hubSets} needle sets have hubs in the hubs-only layout");
    }

    /// <summary>Every (needle, start) with OrdinalIgnoreCase IndexOf at every start, sorted.</summary>
    private static List<(int, int)> Naive(List<string> needles, string text)
    {
        var result = new List<(int, int)>();
        for (int id = 0; id < needles.Count; id++)
        {
            int from = 0;
            while (from <= text.Length - needles[id].Length)
            {
                int at = text.AsSpan(from).IndexOf(needles[id], StringComparison.OrdinalIgnoreCase);
                if (at < 0) break;
                result.Add((id, from + at));
                from += at + 1;
            }
        }
        result.Sort();
        return result;
    }

    private struct Collect : NeedleAutomaton.IHitSink
    {
        public List<(int, int)> Hits;
        public readonly void Hit(int needle, int start, int textLength) => Hits.Add((needle, start));
    }
}
