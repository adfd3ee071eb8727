using System.Collections;

namespace Vigil.Campaigns.Entities;

/// <summary>
/// The detection facts of a hunt, compact: one fixed-size row per detection (numbers, and int ids into one table of
/// distinct texts and one of distinct rules) in chunks of <see cref="ChunkSize"/> rows, no object per detection. Reading
/// <c>store[i]</c> builds a <see cref="DetectionFact"/> equal to the one added (texts are the same string instances; its
/// <see cref="DetectionFact.EventKey"/> is built only if read).
/// <para>
/// Memory: <see cref="RowBytes"/> bytes per detection, plus each distinct text once (command lines, accounts, hosts...) with
/// its table entry, and each distinct process GUID once (<see cref="GuidText"/>, 24 bytes), where a <see cref="DetectionFact"/>
/// object with its GUID and event key strings cost ~300 bytes. A 3M-event day has ~436,000 detections.
/// </para>
/// <para>Detections of one event are found by <see cref="FirstOfEvent"/> from the rows' (source, offset, line), which replaces
/// a key string per event.</para>
/// </summary>
public sealed class FactStore : IReadOnlyList<DetectionFact>
{
    public const int ChunkSize = 4096;

    /// <summary>One detection. Texts are ids into <see cref="_texts"/> (0 is ""); the rule's id, title, level and tags are
    /// one id into <see cref="_rules"/>.</summary>
    private struct Row
    {
        public long Ticks, ProcessId, LogonId, Bytes, Offset, Line;
        /// <summary>Ids into <see cref="_guids"/> (0 is the empty GUID text): a process's detections share one entry.</summary>
        public int ProcessGuid, ParentProcessGuid;
        public int EventId, Rule, Host, Account, TargetAccount, SourceAddress, DestAddress, DestPort, Image, Detail, ServiceName, CloudArn,
            LogonType, Workstation, TargetServer, Source;
    }

    /// <summary>Bytes of one row in memory (the struct's managed size).</summary>
    public static int RowBytes => System.Runtime.CompilerServices.Unsafe.SizeOf<Row>();

    private sealed record RuleInfo(string Id, string Title, string Level, string[] Tactics, string[] Techniques);

    private readonly List<Row[]> _chunks = [];
    private int _count;
    private readonly List<string> _texts = [""];
    private readonly List<GuidText> _guids = [default];
    private Dictionary<GuidText, int>? _guidIds = new(GuidText.Exact) { [default] = 0 };
    /// <summary>Fact ids, kept only once one is not its position + 1 (the collector numbers facts 1, 2, ... as added).</summary>
    private List<long>? _ids;
    private Dictionary<string, int>? _textIds = new(StringComparer.Ordinal) { [""] = 0 };
    private readonly List<RuleInfo> _rules = [];
    /// <summary>Rules by (id, title, level, tactics, techniques); the tag arrays compare by reference (one pair per rule).</summary>
    private Dictionary<(string, string, string, string[], string[]), int>? _ruleIds = [];

    public int Count => _count;

    /// <summary>Distinct texts held.</summary>
    public int TextCount => _texts.Count;

    /// <summary>Adds a fact. Its event is its <see cref="DetectionFact.Place"/> when it has one (facts made for a store),
    /// else its <see cref="DetectionFact.EventKey"/> (kept as a text).</summary>
    public void Add(DetectionFact f)
    {
        if (_textIds is null || _ruleIds is null || _guidIds is null) throw new InvalidOperationException("the fact store is sealed: no more facts can be added");
        var ruleKey = (f.RuleId, f.RuleTitle, f.Level, f.Tactics, f.Techniques);
        if (!_ruleIds.TryGetValue(ruleKey, out int rule))
        {
            _ruleIds[ruleKey] = rule = _rules.Count;
            _rules.Add(new RuleInfo(f.RuleId, f.RuleTitle, f.Level, f.Tactics, f.Techniques));
        }
        var place = f.Place ?? (f.EventKey, -1, -1);
        if (f.EventId is < int.MinValue or > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(f), $"detection {f.Id}: event id {f.EventId} does not fit the fact store's 32 bits");
        if (_ids is null && f.Id != _count + 1L) _ids = [.. Enumerable.Range(1, _count).Select(i => (long)i)];
        _ids?.Add(f.Id);
        var row = new Row
        {
            Ticks = f.Ticks, EventId = (int)f.EventId, ProcessId = f.ProcessId, LogonId = f.LogonId, Bytes = f.Bytes,
            Offset = place.Offset, Line = place.Line, Source = Text(place.Source),
            ProcessGuid = Guid(f.ProcessGuidKey), ParentProcessGuid = Guid(f.ParentProcessGuidKey),
            Rule = rule, Host = Text(f.Host), Account = Text(f.Account), TargetAccount = Text(f.TargetAccount),
            SourceAddress = Text(f.SourceAddress), DestAddress = Text(f.DestAddress), DestPort = f.DestPort, Image = Text(f.Image),
            Detail = Text(f.Detail), ServiceName = Text(f.ServiceName), CloudArn = Text(f.CloudArn), LogonType = f.LogonType,
            Workstation = Text(f.Workstation), TargetServer = Text(f.TargetServer),
        };
        if ((_count & (ChunkSize - 1)) == 0) _chunks.Add(new Row[ChunkSize]);
        _chunks[^1][_count & (ChunkSize - 1)] = row;
        _count++;
        // A fact without a place keeps its event key text; mark it so it reads back as given.
        if (f.Place is null) _keyTexts.Add(_count - 1);
    }

    /// <summary>Rows whose event is a key text (facts added without a place): their Source is the key itself.</summary>
    private readonly HashSet<int> _keyTexts = [];

    /// <summary>The id of a GUID text. Keyed by the exact text (GuidText's own equality ignores case, and the fact must give
    /// back its spelling).</summary>
    private int Guid(GuidText g)
    {
        if (g.IsEmpty) return 0;
        if (_guidIds!.TryGetValue(g, out int id)) return id;
        id = _guids.Count;
        _guids.Add(g);
        _guidIds[g] = id;
        return id;
    }

    private int Text(string s)
    {
        if (s.Length == 0) return 0;
        if (_textIds!.TryGetValue(s, out int id)) return id;
        id = _texts.Count;
        _texts.Add(s);
        _textIds[s] = id;
        return id;
    }

    /// <summary>No more facts: the lookup tables used while adding are dropped (the texts stay).</summary>
    public void Seal()
    {
        _textIds = null;
        _ruleIds = null;
        _guidIds = null;
        _texts.TrimExcess();
        _guids.TrimExcess();
    }

    /// <summary>Empties the store.</summary>
    public void Clear()
    {
        _chunks.Clear();
        _chunks.TrimExcess();
        _count = 0;
        _texts.Clear();
        _texts.Add("");
        _texts.TrimExcess();
        _keyTexts.Clear();
        _rules.Clear();
        _textIds = new(StringComparer.Ordinal) { [""] = 0 };
        _ruleIds = [];
        _guids.Clear();
        _guids.Add(default);
        _guids.TrimExcess();
        _guidIds = new(GuidText.Exact) { [default] = 0 };
        _ids = null;
    }

    private ref Row At(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, _count);
        return ref _chunks[i / ChunkSize][i & (ChunkSize - 1)];
    }

    public DetectionFact this[int index]
    {
        get
        {
            ref var r = ref At(index);
            var rule = _rules[r.Rule];
            bool keyText = _keyTexts.Count > 0 && _keyTexts.Contains(index);
            return new DetectionFact
            {
                Id = _ids is null ? index + 1L : _ids[index], Ticks = r.Ticks, RuleId = rule.Id, RuleTitle = rule.Title, Level = rule.Level, Tactics = rule.Tactics,
                Techniques = rule.Techniques, Host = _texts[r.Host], EventId = r.EventId, Account = _texts[r.Account],
                TargetAccount = _texts[r.TargetAccount], ProcessGuidKey = _guids[r.ProcessGuid], ParentProcessGuidKey = _guids[r.ParentProcessGuid],
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
    /// Sorting, not hashing: 8 bytes per fact while it runs, nothing per event kept.</summary>
    public int[] FirstOfEvent()
    {
        var order = new int[_count];
        for (int i = 0; i < _count; i++) order[i] = i;
        Array.Sort(order, (a, b) =>
        {
            ref var x = ref At(a);
            ref var y = ref At(b);
            int c = x.Source.CompareTo(y.Source);
            if (c == 0) c = x.Offset.CompareTo(y.Offset);
            if (c == 0) c = x.Line.CompareTo(y.Line);
            return c != 0 ? c : a.CompareTo(b);
        });
        var result = new int[_count];
        int runStart = -1;
        for (int k = 0; k < _count; k++)
        {
            int i = order[k];
            if (runStart < 0 || !SameEvent(runStart, i)) runStart = i;
            result[i] = runStart;
        }
        return result;
    }

    private bool SameEvent(int a, int b)
    {
        ref var x = ref At(a);
        ref var y = ref At(b);
        return x.Source == y.Source && x.Offset == y.Offset && x.Line == y.Line;
    }

    public IEnumerator<DetectionFact> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
