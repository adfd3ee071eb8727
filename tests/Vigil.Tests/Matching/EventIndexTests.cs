using Vigil.Events;

namespace Vigil.Tests.Matching;

/// <summary>
/// <see cref="Event.IndexOf(int, out int)"/> (first and last occurrence, used by the evaluator and the candidate index so
/// they need not walk the rest of the event) and <see cref="Event.IndexOf(int)"/> must give a plain scan's answers
/// whatever the order of adds, lookups and clears: checked against a scan of <see cref="Event.KeyAt"/> on random events
/// with repeated fields, other spellings, fields added after lookups, reuse after Clear and events larger than any before.
/// </summary>
public class EventIndexTests
{
    private static readonly int[] Names = Enumerable.Range(0, 300).Select(i => FieldNames.Intern($"EventIndexTest.Field{i}")).ToArray();
    // Other spellings of some names: the same matching key.
    private static readonly int[] Upper = Enumerable.Range(0, 300).Select(i => FieldNames.Intern($"EVENTINDEXTEST.FIELD{i}")).ToArray();

    private static (int First, int Last) Scan(Event e, int fieldId)
    {
        int key = FieldNames.Key(fieldId), first = -1, last = -1;
        for (int i = 0; i < e.Count; i++)
            if (e.KeyAt(i) == key) { if (first < 0) first = i; last = i; }
        return (first, last);
    }

    private static void CheckAll(Event e, Random rng, int lookups)
    {
        for (int k = 0; k < lookups; k++)
        {
            int id = rng.Next(3) == 0 ? Upper[rng.Next(Upper.Length)] : Names[rng.Next(Names.Length)];
            var (first, last) = Scan(e, id);
            Assert.Equal(first, e.IndexOf(id));
            Assert.Equal(first, e.IndexOf(id, out int l));
            Assert.Equal(last, l);
            Assert.Equal(first >= 0, e.Has(id));
        }
    }

    [Fact]
    public void LookupsAgreeWithAPlainScan()
    {
        var rng = new Random(12345);
        var e = new Event();
        int largeEvents = 0;
        for (int round = 0; round < 400; round++)
        {
            e.Clear();
            // Sizes around the linear limit and far above it; a pool of few names makes repeats common.
            int size = round % 7 == 0 ? rng.Next(150, 700) : rng.Next(0, 120);
            int pool = rng.Next(2) == 0 ? 20 : Names.Length;
            for (int i = 0; i < size; i++)
            {
                int n = rng.Next(pool);
                e.Add(rng.Next(4) == 0 ? Upper[n] : Names[n], FieldValue.FromString("v" + i));
                // Lookups between adds: the index must take in fields added after it was built.
                if (rng.Next(25) == 0) CheckAll(e, rng, 8);
            }
            CheckAll(e, rng, 60);
            if (size > 16) largeEvents++;
            // Set replaces the first value or appends.
            int target = Names[rng.Next(pool)];
            var (before, _) = Scan(e, target);
            e.Set(target, FieldValue.FromString("set"));
            int at = e.IndexOf(target);
            Assert.Equal(before >= 0 ? before : e.Count - 1, at);
            Assert.Equal("set", e.ValueAt(at).ToString());
            CheckAll(e, rng, 20);
        }
        Assert.True(largeEvents > 100, "too few large events");
    }

    [Fact]
    public void ClearForgetsTheFieldsOfThePreviousEvent()
    {
        var e = new Event();
        for (int i = 0; i < 100; i++) e.Add(Names[i], FieldValue.FromString("a"));
        for (int k = 0; k < 10; k++) Assert.Equal(k, e.IndexOf(Names[k]));
        e.Clear();
        for (int i = 100; i < 140; i++) e.Add(Names[i], FieldValue.FromString("b"));
        for (int k = 0; k < 10; k++)
        {
            Assert.Equal(-1, e.IndexOf(Names[k]));
            Assert.Equal(-1, e.IndexOf(Names[k], out int last));
            Assert.Equal(-1, last);
            Assert.Equal(k, e.IndexOf(Names[100 + k]));
        }
    }
}
