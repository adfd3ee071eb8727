using Vigil.IO;
using System.Collections;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// The detection facts of a hunt, compact: one fixed-size row per detection (numbers, and int ids into a
/// <see cref="TextTable"/> of texts and a table of distinct rules) in a temporary file (<see cref="RowFile{T}"/>), no object
/// per detection. Reading <c>store[i]</c> builds a <see cref="DetectionFact"/> equal to the one added (texts held in memory
/// are the same string instances; its <see cref="DetectionFact.EventKey"/> is built only if read).
/// <para>
/// Memory: the rows are on disk, a bounded page cache (~2 MB) in memory; texts (command lines, accounts, hosts...) in
/// memory up to the text table's budget and the rest in its file; process GUIDs are in the rows (16 bytes each), where a
/// <see cref="DetectionFact"/> object with its GUID and event key strings cost ~300 bytes. A 3M-event day has ~436,000
/// detections.
/// </para>
/// <para>Detections of one event are found by <see cref="FirstOfEvent"/> from the rows' (source, offset, line), which replaces
/// a key string per event.</para>
/// </summary>
public sealed class FactStore : IReadOnlyList<DetectionFact>
{
    /// <summary>One detection. Texts are ids into <see cref="_texts"/> (0 is ""); the rule's id, title, level and tags are
    /// one id into <see cref="_rules"/>.</summary>
    internal struct Row
    {
        public long Ticks, ProcessId, LogonId, Bytes, Offset, Line;
        /// <summary>The process GUIDs in the row (16 bytes, a kind, and for kinds 3 and 4 of <see cref="GuidText"/> a text id),
        /// not ids into a table of distinct GUIDs: a long day's detections name ~130,000 distinct processes (3M events), and
        /// the table and its lookup grew with them (~70 bytes each while facts are added, 24 after).</summary>
        public Guid ProcessGuid, ParentProcessGuid;
        public int ProcessGuidText, ParentProcessGuidText;
        public byte ProcessGuidKind, ParentProcessGuidKind;
        public int EventId, Rule, Host, Account, TargetAccount, SourceAddress, DestAddress, DestPort, Image, Detail, ServiceName, CloudArn,
            LogonType, Workstation, TargetServer, Source;
    }

    /// <summary>Bytes of one row in memory (the struct's managed size).</summary>
    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private sealed record RuleInfo(string Id, string Title, string Level, string[] Tactics, string[] Techniques);

    /// <summary>The rows, in a temporary file with a few pages in memory (see <see cref="RowFile{T}"/>).</summary>
    private RowFile<Row> _rows;
    private readonly int _pageRows, _cachePages;

    /// <summary>Rows per page of the temporary file, and pages cached: 64 rows of 168 bytes (10.5 KB, three memory pages) keep
    /// the reads of a campaign's scattered detections short; 256 pages are 2.7 MB.</summary>
    public FactStore() : this(64, 256) { }

    /// <summary>A store with the given page size and cache (tests force tiny ones so that spilling and read-back happen).</summary>
    internal FactStore(int pageRows, int cachePages, long textChars = TextTable.DefaultMemoryChars / 2)
    {
        _texts = new TextTable("facts", textChars);
        _pageRows = pageRows;
        _cachePages = cachePages;
        _rows = new RowFile<Row>("facts", pageRows, cachePages);
    }

    /// <summary>Rows written to the temporary file so far, and pages read back from it (diagnostics).</summary>
    internal int SpilledRows => _rows.Spilled;
    /// <summary>Pages read back from the temporary file (a diagnostic).</summary>
    public long PageReads => _rows.PageReads;
    internal RowFile<Row> RowsForTest => _rows;
    private readonly TextTable _texts;
    /// <summary>Fact ids, kept only once one is not its position + 1 (the collector numbers facts 1, 2, ... as added).</summary>
    private List<long>? _ids;
    private readonly List<RuleInfo> _rules = [];
    /// <summary>Rules by (id, title, level, tactics, techniques); the tag arrays compare by reference (one pair per rule).</summary>
    private Dictionary<(string, string, string, string[], string[]), int>? _ruleIds = [];

    public int Count => _rows.Count;

    /// <summary>Whether the facts were added in time order (ticks never decreasing), as a hunt's output is sorted.</summary>
    public bool TicksAscending { get; private set; } = true;
    private long _lastTicks = long.MinValue;

    /// <summary>Texts held: each distinct one once while they fit the memory budget.</summary>
    public int TextCount => _texts.Count;
    /// <summary>Texts kept in the temporary file, past the memory budget (see <see cref="TextTable"/>).</summary>
    public int SpilledTexts => _texts.SpilledCount;


    /// <summary>Adds a fact. Its event is its <see cref="DetectionFact.Place"/> when it has one (facts made for a store),
    /// else its <see cref="DetectionFact.EventKey"/> (kept as a text).</summary>
    public void Add(DetectionFact f)
    {
        if (_texts.IsSealed || _ruleIds is null) throw new InvalidOperationException("the fact store is sealed: no more facts can be added");
        var ruleKey = (f.RuleId, f.RuleTitle, f.Level, f.Tactics, f.Techniques);
        if (!_ruleIds.TryGetValue(ruleKey, out int rule))
        {
            _ruleIds[ruleKey] = rule = _rules.Count;
            _rules.Add(new RuleInfo(f.RuleId, f.RuleTitle, f.Level, f.Tactics, f.Techniques));
        }
        var place = f.Place ?? (f.EventKey, -1, -1);
        if (f.EventId is < int.MinValue or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(f), $"detection {f.Id}: event id {f.EventId} does not fit the fact store's 32 bits");
        if (_ids is null && f.Id != Count + 1L) _ids = [.. Enumerable.Range(1, Count).Select(i => (long)i)];
        _ids?.Add(f.Id);
        var row = new Row
        {
            Ticks = f.Ticks, EventId = (int)f.EventId, ProcessId = f.ProcessId, LogonId = f.LogonId, Bytes = f.Bytes,
            Offset = place.Offset, Line = place.Line, Source = place.Source.Length == 0 ? 0 : _texts.ExactId(place.Source),
            ProcessGuid = GuidValue(f.ProcessGuidKey), ProcessGuidKind = f.ProcessGuidKey.Kind, ProcessGuidText = Text(f.ProcessGuidKey.TextPart ?? ""),
            ParentProcessGuid = GuidValue(f.ParentProcessGuidKey), ParentProcessGuidKind = f.ParentProcessGuidKey.Kind,
            ParentProcessGuidText = Text(f.ParentProcessGuidKey.TextPart ?? ""),
            Rule = rule, Host = Text(f.Host), Account = Text(f.Account), TargetAccount = Text(f.TargetAccount),
            SourceAddress = Text(f.SourceAddress), DestAddress = Text(f.DestAddress), DestPort = f.DestPort, Image = Text(f.Image),
            Detail = Text(f.Detail), ServiceName = Text(f.ServiceName), CloudArn = Text(f.CloudArn), LogonType = f.LogonType,
            Workstation = Text(f.Workstation), TargetServer = Text(f.TargetServer),
        };
        _rows.Add(row);
        if (f.Ticks < _lastTicks) TicksAscending = false;
        _lastTicks = f.Ticks;
        // A fact without a place keeps its event key text; mark it so it reads back as given.
        if (f.Place is null) _keyTexts.Add(Count - 1);
    }

    /// <summary>Rows whose event is a key text (facts added without a place): their Source is the key itself.</summary>
    private readonly HashSet<int> _keyTexts = [];

    /// <summary>The 16 bytes of a GUID text that has them (kinds 1-3), else zero.</summary>
    private static Guid GuidValue(GuidText g) => g.Kind is >= 1 and <= 3 ? g.Value : default;

    private GuidText GuidOf(Guid value, byte kind, int text) => GuidText.FromParts(kind, value, text == 0 ? null : _texts[text]);

    private int Text(string s) => s.Length == 0 ? 0 : _texts.Id(s);

    /// <summary>No more facts: the lookup tables used while adding are dropped (the texts stay).</summary>
    public void Seal()
    {
        _texts.Seal();
        _ruleIds = null;
    }

    /// <summary>Empties the store.</summary>
    public void Clear()
    {
        _rows.Dispose();
        _rows = new RowFile<Row>("facts", _pageRows, _cachePages);
        TicksAscending = true;
        _lastTicks = long.MinValue;
        _texts.Clear();
        _keyTexts.Clear();
        _rules.Clear();
        _ruleIds = [];
        _ids = null;
    }

    /// <summary>Fact <paramref name="index"/>'s time, read without building it.</summary>
    public long TicksAt(int index) => _rows[index].Ticks;

    /// <summary>Fact <paramref name="index"/>'s id, without building it.</summary>
    public long IdAt(int index) => _ids is null ? index + 1L : _ids[index];

    public DetectionFact this[int index]
    {
        get
        {
            var r = _rows[index];
            var rule = _rules[r.Rule];
            bool keyText = _keyTexts.Count > 0 && _keyTexts.Contains(index);
            return new DetectionFact
            {
                Id = _ids is null ? index + 1L : _ids[index], Ticks = r.Ticks, RuleId = rule.Id, RuleTitle = rule.Title, Level = rule.Level, Tactics = rule.Tactics,
                Techniques = rule.Techniques, Host = _texts[r.Host], EventId = r.EventId, Account = _texts[r.Account],
                TargetAccount = _texts[r.TargetAccount], ProcessGuidKey = GuidOf(r.ProcessGuid, r.ProcessGuidKind, r.ProcessGuidText),
                ParentProcessGuidKey = GuidOf(r.ParentProcessGuid, r.ParentProcessGuidKind, r.ParentProcessGuidText),
                ProcessId = r.ProcessId, LogonId = r.LogonId, SourceAddress = _texts[r.SourceAddress], DestAddress = _texts[r.DestAddress],
                DestPort = r.DestPort, Bytes = r.Bytes, Image = _texts[r.Image], Detail = _texts[r.Detail], ServiceName = _texts[r.ServiceName],
                CloudArn = _texts[r.CloudArn], LogonType = r.LogonType, Workstation = _texts[r.Workstation], TargetServer = _texts[r.TargetServer],
                EventKey = keyText ? _texts[r.Source] : null!,
                Place = keyText ? null : (_texts[r.Source], r.Offset, r.Line),
            };
        }
    }

    /// <summary>For each fact, the index of the first fact of the same event (itself when it is the first): the order the
    /// facts were added in, events compared by (source, offset, line), or by key text for facts added without a place.
    /// One sequential pass hashes each row's event; sorting (hash, index) pairs puts the detections of one event together
    /// in index order, and rows are read again only inside runs of equal hashes (one event's detections, mostly on one page)
    /// to tell events apart exactly. 12 bytes per fact while it runs, nothing per event kept.</summary>
    public int[] FirstOfEvent()
    {
        var hash = new long[Count];
        var order = new int[Count];
        for (int i = 0; i < Count; i++)
        {
            var r = _rows[i];
            hash[i] = EventHash(r.Source, r.Offset, r.Line);
            order[i] = i;
        }
        Array.Sort(hash, order);
        var result = new int[Count];
        var firsts = new List<int>();
        for (int a = 0; a < Count;)
        {
            int b = a + 1;
            while (b < Count && hash[b] == hash[a]) b++;
            if (b - a == 1) result[order[a]] = order[a];
            else
            {
                // Index order within the run (Array.Sort is not stable), then each fact joins the first earlier one of its event.
                Array.Sort(order, a, b - a);
                firsts.Clear();
                for (int k = a; k < b; k++)
                {
                    int i = order[k];
                    int first = -1;
                    foreach (int f in firsts) if (SameEvent(f, i)) { first = f; break; }
                    if (first < 0) { firsts.Add(i); first = i; }
                    result[i] = first;
                }
            }
            a = b;
        }
        return result;
    }

    private readonly record struct EventEntry(long Hash, int Index);

    /// <summary>The same as <see cref="FirstOfEvent"/>, without an array per fact: calls <paramref name="join"/>(i, first)
    /// for each fact that is not the first of its event. The (hash, index) pairs are sorted in runs of
    /// <paramref name="runRows"/> (<see cref="ExternalSorter{T}"/>); within a run of equal hashes (in index order) rows are
    /// read again to tell events apart exactly, as <see cref="FirstOfEvent"/> does.</summary>
    internal void JoinEvents(Action<int, int> join, int runRows)
    {
        using var sorter = new ExternalSorter<EventEntry>("fact-events", (a, b) => a.Hash != b.Hash ? a.Hash.CompareTo(b.Hash) : a.Index.CompareTo(b.Index), runRows);
        for (int i = 0; i < Count; i++)
        {
            var r = _rows[i];
            sorter.Add(new EventEntry(EventHash(r.Source, r.Offset, r.Line), i));
        }
        var run = new List<int>();
        var firsts = new List<int>();
        long hash = 0;
        void Flush()
        {
            if (run.Count < 2) return;
            firsts.Clear();
            foreach (int i in run)
            {
                int first = -1;
                foreach (int f in firsts) if (SameEvent(f, i)) { first = f; break; }
                if (first < 0) firsts.Add(i);
                else join(i, first);
            }
        }
        foreach (var e in sorter.Sorted())
        {
            if (run.Count > 0 && e.Hash != hash) { Flush(); run.Clear(); }
            hash = e.Hash;
            run.Add(e.Index);
        }
        Flush();
    }

    private static long EventHash(int source, long offset, long line)
    {
        ulong h = (ulong)(uint)source * 0x9E3779B97F4A7C15UL;
        h = (h ^ (ulong)offset) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 31) ^ (ulong)line) * 0x94D049BB133111EBUL;
        return (long)(h ^ (h >> 29));
    }

    private bool SameEvent(int a, int b)
    {
        var x = _rows[a];
        var y = _rows[b];
        return x.Source == y.Source && x.Offset == y.Offset && x.Line == y.Line;
    }

    public IEnumerator<DetectionFact> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
