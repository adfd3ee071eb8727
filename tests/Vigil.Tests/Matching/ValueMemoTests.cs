using Vigil.Engine.Matching;
using Xunit.Abstractions;

namespace Vigil.Tests.Matching;

/// <summary>
/// The value memo (<see cref="ValueMemo"/>) must leave, event by event, exactly what scanning every value leaves: the
/// same marked atoms, the same candidate rules and the same detections, over the real corpora with the full collection.
/// And the memo itself: a value is found only under its hash with its exact text, never after its text or its atoms
/// were overwritten in the rings, and a memo without repeats pauses.
/// </summary>
public class ValueMemoTests(CollectionFixture fx, ITestOutputHelper output) : IClassFixture<CollectionFixture>
{
    public static TheoryData<string> CorpusNames => MatcherEquivalenceTests.CorpusNames;

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void MemoLeavesTheSameMarksCandidatesAndDetectionsAsScanning(string corpus)
    {
        var events = fx.Corpora[corpus];
        var scanning = new CollectionMatcher(fx.Rules, new MatcherOptions(UseValueMemo: false));
        var memo = new CollectionMatcher(fx.Rules);
        var s1 = scanning.CreateScratch();
        var s2 = memo.CreateScratch();
        var h1 = new List<int>();
        var h2 = new List<int>();
        var diffs = new List<string>();
        long marks = 0, candidates = 0;
        // Twice over the corpus: the second pass finds most values in the memo.
        for (int pass = 0; pass < 2; pass++)
            foreach (var e in events)
            {
                h1.Clear();
                h2.Clear();
                scanning.Match(e, s1, h1);
                memo.Match(e, s2, h2);
                var m1 = Marked(s1);
                var m2 = Marked(s2);
                marks += m1.Count;
                candidates += s1.Candidates.Count;
                if ((!h1.SequenceEqual(h2) || !m1.SequenceEqual(m2) || !s1.Candidates.SequenceEqual(s2.Candidates)) && diffs.Count < 10)
                    diffs.Add($"{e.Origin}: rules [{string.Join(",", h1)}] vs [{string.Join(",", h2)}], marks {m1.Count} vs {m2.Count}, "
                        + $"candidates {s1.Candidates.Count} vs {s2.Candidates.Count}");
            }
        var (found, kept, _) = s2.MemoCounts();
        output.WriteLine($"{corpus}: {events.Count} events twice, {marks} marks, {candidates} candidates; memo: {found} values found, {kept} kept");
        foreach (var d in diffs) output.WriteLine(d);
        Assert.Empty(diffs);
        Assert.True(marks > 0 && candidates > 0, "nothing marked: the comparison would prove nothing");
        Assert.True(found > events.Count / 10, $"the memo found only {found} values: it was hardly used");
    }

    /// <summary>The atoms the scratch's last event marked, in id order.</summary>
    private static List<int> Marked(MatcherScratch s)
    {
        var result = new List<int>();
        var stamps = s.AtomStamps.AsSpan();
        int stamp = s.Stamp;
        for (int at = 0; ;)
        {
            int k = stamps[at..].IndexOf(stamp);
            if (k < 0) break;
            result.Add(at + k);
            at += k + 1;
        }
        return result;
    }

    private static string Text(char c, int length) => new(c, length);

    [Fact]
    public void AValueIsFoundOnlyWithItsHashAndItsExactText()
    {
        var memo = new ValueMemo();
        string a = "C:\\Windows\\System32\\svchost.exe -k netsvcs";
        ulong h = ValueMemo.Hash(a);
        Assert.False(memo.TryGet(h, a, out _));
        memo.Store(h, a, [3, 1, 4]);
        Assert.True(memo.TryGet(h, a, out var atoms));
        Assert.Equal([3, 1, 4], atoms.ToArray());
        // The same hash with another text of the same length (a collision) is not the value.
        string b = "C:\\Windows\\System32\\svchost.exe -k netsvcz";
        Assert.False(memo.TryGet(h, b, out _));
        // Nor a prefix of it, nor the value under another hash.
        Assert.False(memo.TryGet(h, a.AsSpan(0, a.Length - 1), out _));
        Assert.False(memo.TryGet(h ^ 1, a, out _));
        // A value whose hash falls in the same entry replaces it.
        ulong same = (h & 0xFF00_0000_0000_0000) | 0x1234;
        memo.Store(same, b, [7]);
        Assert.False(memo.TryGet(h, a, out _));
        Assert.True(memo.TryGet(same, b, out atoms));
        Assert.Equal([7], atoms.ToArray());
        Assert.Equal(2, memo.Hits);
        Assert.Equal(2, memo.Stores);
    }

    [Fact]
    public void AValueIsNotFoundOnceTheRingsHaveOverwrittenItsAtomsOrItsText()
    {
        // Atoms: the value's text stays in the text ring, but four values of AtomRing / 4 atoms each (other entries)
        // overwrite its atoms. Without the check the entry would hand out those other atoms.
        var memo = new ValueMemo();
        string a = Text('a', 40);
        ulong h = ValueMemo.Hash(a);
        memo.Store(h, a, [1, 2, 3]);
        var many = Enumerable.Range(100, ValueMemo.AtomRing / 4).ToArray();
        for (int i = 0; i < 3; i++) memo.Store(OtherEntry(h, i), Text('x', 20), many);
        Assert.True(memo.TryGet(h, a, out var atoms));   // still there: 3 + 3 * 1024 ints fit the 4,096 of the ring
        Assert.Equal([1, 2, 3], atoms.ToArray());
        memo.Store(OtherEntry(h, 3), Text('x', 20), many);
        Assert.False(memo.TryGet(h, a, out _));

        // Text: values of MaxLength characters in other entries wrap the text ring over the value's text, then the
        // same text is written there again by another entry. The characters compare equal, but the entry is stale.
        memo = new ValueMemo();
        memo.Store(h, a, [1, 2, 3]);
        int fills = ValueMemo.TextRing / ValueMemo.MaxLength;
        for (int i = 0; i < fills - 1; i++) memo.Store(OtherEntry(h, i), Text('y', ValueMemo.MaxLength), []);
        Assert.True(memo.TryGet(h, a, out _));
        memo.Store(OtherEntry(h, fills), Text('y', ValueMemo.MaxLength), []);
        Assert.False(memo.TryGet(h, a, out _));
    }

    /// <summary>A hash whose entry differs from <paramref name="h"/>'s (entries are chosen by the top byte).</summary>
    private static ulong OtherEntry(ulong h, int i) => (h + ((ulong)(i + 1) << 56)) ^ (ulong)i;

    [Fact]
    public void OnlyValuesOfKeptLengthsAreKept()
    {
        Assert.False(ValueMemo.Keeps(ValueMemo.MinLength - 1));
        Assert.True(ValueMemo.Keeps(ValueMemo.MinLength));
        Assert.True(ValueMemo.Keeps(ValueMemo.MaxLength));
        Assert.False(ValueMemo.Keeps(ValueMemo.MaxLength + 1));
        // Store refuses what it could not hold.
        var memo = new ValueMemo();
        string big = Text('z', ValueMemo.MaxLength + 1);
        memo.Store(ValueMemo.Hash(big), big, [1]);
        Assert.False(memo.TryGet(ValueMemo.Hash(big), big, out _));
        Assert.Equal(0, memo.Stores);
    }

    [Fact]
    public void MemosOfOneThreadShareTheirBudget()
    {
        var budget = new System.Runtime.CompilerServices.StrongBox<long>(2 * ValueMemo.Bytes + 100);
        var memos = Enumerable.Range(0, 3).Select(_ => new ValueMemo(budget)).ToArray();
        string v = Text('b', 20);
        ulong h = ValueMemo.Hash(v);
        foreach (var m in memos) m.Store(h, v, [5]);
        Assert.True(memos[0].TryGet(h, v, out _));
        Assert.True(memos[1].TryGet(h, v, out _));
        // The third found the budget spent: it keeps nothing (and its automaton scans every value).
        Assert.False(memos[2].TryGet(h, v, out _));
        Assert.Equal(0, memos[2].Stores);
        Assert.Equal(100, budget.Value);
        // Later stores of the first two cost nothing more.
        memos[0].Store(ValueMemo.Hash(v + "x"), v + "x", [6]);
        Assert.Equal(100, budget.Value);
    }

    [Fact]
    public void AMemoWithoutRepeatsPausesThenTriesAgain()
    {
        var memo = new ValueMemo();
        for (int i = 0; i < ValueMemo.Window; i++) Assert.True(memo.Active());
        for (int i = 0; i < ValueMemo.PauseLookups; i++) Assert.False(memo.Active());
        Assert.True(memo.Active());

        // Enough repeats keep it on.
        memo = new ValueMemo();
        string v = Text('r', 32);
        ulong h = ValueMemo.Hash(v);
        memo.Store(h, v, []);
        for (int i = 0; i < 3 * ValueMemo.Window; i++)
        {
            Assert.True(memo.Active());
            if (i % ValueMemo.PauseBelowOneIn == 0) Assert.True(memo.TryGet(h, v, out _));
        }
    }
}
