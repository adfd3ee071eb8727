using Vigil.Campaigns.Entities;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// The campaign input's texts in bounded memory (issue 4): a day whose command lines are all distinct kept every one of
/// them in memory (a 3M-event day peaked at 740 MB). <see cref="TextTable"/> keeps texts up to a budget and the rest in a
/// temporary file; <see cref="TextPool"/> stops pooling at its budget. Texts must read back exactly, whichever side they
/// are on, and the ids the stores compare must stay exact.
/// </summary>
public sealed class TextBudgetTests
{
    /// <summary>Texts of every shape: empty, one char, across the 32-char blocks of the file, long, surrogate pairs.</summary>
    private static List<string> Texts(int count, int seed)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        for (int i = 0; i < count; i++)
        {
            int length = random.Next(8) switch { 0 => 0, 1 => 1, 2 => 31, 3 => 32, 4 => 33, 5 => 64, _ => random.Next(2, 400) };
            var chars = new char[length];
            for (int k = 0; k < length; k++) chars[k] = (char)random.Next(0x20, 0x7f);
            if (length >= 2 && i % 5 == 0) { chars[length - 2] = '\ud83d'; chars[length - 1] = '\ude00'; }
            texts.Add(new string(chars));
            if (i % 3 == 0 && i > 0) texts.Add(texts[random.Next(texts.Count)]); // repeats, near and far
        }
        return texts;
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(2_000L)]
    [InlineData(long.MaxValue)]
    public void Texts_read_back_exactly_in_memory_and_spilled(long budget)
    {
        using var table = new TextTable("test", budget, pageRows: 2, cachePages: 1);
        var texts = Texts(3_000, 7);
        var ids = texts.Select(table.Id).ToList();
        Assert.Equal(0, table.Id(""));
        Assert.Equal(texts.Count(t => t.Length == 0), ids.Count(id => id == 0));
        if (budget == long.MaxValue) Assert.Equal(0, table.SpilledCount);
        else Assert.True(table.SpilledCount > 1_000, $"{table.SpilledCount} texts spilled");
        // In order, backwards and at random: far more blocks than the one cached page, and the last string cache.
        for (int i = 0; i < texts.Count; i++) Assert.Equal(texts[i], table[ids[i]]);
        for (int i = texts.Count - 1; i >= 0; i--) Assert.Equal(texts[i], table[ids[i]]);
        var random = new Random(3);
        for (int k = 0; k < 5_000; k++) { int i = random.Next(texts.Count); Assert.Equal(texts[i], table[ids[i]]); }
        // Within the budget equal texts have one id; every id reads back its own text.
        var firstId = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < texts.Count; i++)
        {
            if (!firstId.TryAdd(texts[i], ids[i]) && firstId[texts[i]] != ids[i])
                Assert.True(budget != long.MaxValue, $"text {i} has two ids in memory");
        }
        // Adding after reads still appends correctly (the block being filled is read from memory).
        int late = table.Id("late text that crosses a block boundary, 45 c");
        Assert.Equal("late text that crosses a block boundary, 45 c", table[late]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[table.Count]);
        table.Seal();
        Assert.True(table.IsSealed);
        Assert.Throws<InvalidOperationException>(() => table.Id("x"));
        Assert.Equal(texts[^1], table[ids[^1]]);
        table.Clear();
        Assert.Equal(1, table.Count);
        Assert.Equal(0, table.SpilledCount);
        Assert.Equal("", table[0]);
        Assert.Equal(1, table.Id("again"));
    }

    /// <summary>An exact table (hosts) numbers texts as a dictionary does, in the order first seen, whether they are in
    /// memory or spilled, with hashes that collide for every text of one length and with the real hash; <c>Find</c>
    /// gives the same ids without adding and -1 for a text never added (one sharing a hash included), also after the
    /// spill index has grown many times. With few slots in memory the index moves to a file and grows there (the
    /// colliding hash makes long probe runs that wrap past the table's end).</summary>
    [Theory]
    [InlineData(0L, true, TextTable.DefaultMemorySlots)]
    [InlineData(0L, false, TextTable.DefaultMemorySlots)]
    [InlineData(2_000L, true, TextTable.DefaultMemorySlots)]
    [InlineData(long.MaxValue, false, TextTable.DefaultMemorySlots)]
    [InlineData(0L, true, 1)]
    [InlineData(0L, false, 1)]
    [InlineData(0L, false, 64)]
    [InlineData(2_000L, true, 16)]
    public void Exact_tables_number_texts_as_a_dictionary_does(long budget, bool colliding, int memorySlots)
    {
        using var table = new TextTable("test", budget, pageRows: 2, cachePages: 1, exact: true,
            hash: colliding ? t => (ulong)t.Length * 0x9E3779B97F4A7C15UL : null, memorySlots: memorySlots);
        var texts = Texts(4_000, 11);
        var expected = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        foreach (var t in texts)
        {
            int id = table.Id(new string(t.AsSpan()));
            if (!expected.TryGetValue(t, out int want)) expected[t] = want = expected.Count;
            Assert.Equal(want, id);
        }
        Assert.Equal(expected.Count, table.Count);
        if (budget != long.MaxValue) Assert.True(table.SpilledCount > 1_000, $"{table.SpilledCount} texts spilled");
        Assert.Equal(budget != long.MaxValue && memorySlots < 1024, table.SlotsInFile);
        foreach (var (t, id) in expected)
        {
            Assert.Equal(id, table.Find(new string(t.AsSpan())));
            Assert.Equal(t, table[id]);
        }
        Assert.Equal(-1, table.Find("never added"));
        Assert.Equal(-1, table.Find(texts.First(t => t.Length == 33)[..32] + "\u0001"));
        Assert.Throws<InvalidOperationException>(() => new TextTable("plain").Find("x"));
    }

    [Fact]
    public void A_spilled_text_added_again_soon_keeps_its_id_and_exact_ids_stay_exact_past_the_budget()
    {
        using var table = new TextTable("test", memoryChars: 0, pageRows: 2, cachePages: 1);
        int a = table.Id("C:\\Windows\\system32\\cmd.exe /c whoami");
        int b = table.Id("C:\\Windows\\system32\\cmd.exe /c hostname");
        Assert.NotEqual(a, b);
        Assert.Equal(a, table.Id(new string("C:\\Windows\\system32\\cmd.exe /c whoami".AsSpan())));
        // Exact ids: equal for equal texts however many texts came between.
        int source = table.ExactId("#0");
        for (int i = 0; i < TextTable.RecentSpilled + 10; i++) table.Id("command " + i);
        Assert.Equal(source, table.ExactId(new string("#0".AsSpan())));
        Assert.Equal("#0", table[source]);
        Assert.Equal(TextTable.RecentSpilled + 13, table.SpilledCount);
    }

    [Fact]
    public void Text_pool_stops_pooling_at_its_character_budget()
    {
        var pool = new TextPool(maxChars: 2 * (10 + TextTable.TextOverheadChars));
        var a = pool.Intern(new string('a', 10));
        var b = pool.Intern(new string('b', 10));
        Assert.Equal(2, pool.Count);
        Assert.Equal(2 * (10 + TextTable.TextOverheadChars), pool.Chars);
        var c1 = pool.Intern(new string('c', 1));
        Assert.Equal("c", c1);
        Assert.NotSame(c1, pool.Intern(new string('c', 1)));
        Assert.Equal(2, pool.Count);
        Assert.Same(a, pool.Intern(new string('a', 10)));
        Assert.Same(b, pool.Intern(new string('b', 10).AsSpan()));
        pool.Clear();
        Assert.Equal(0, pool.Chars);
    }
}
