using System.Collections.Concurrent;

namespace Vigil.Events;

/// <summary>
/// Process-wide interning of field names to small integer ids ("slots").
/// Rules resolve their field names once at load time; readers resolve the names they meet once per
/// chunk or per distinct key. The hot loop then compares ints, never strings.
/// <para>
/// Every distinct spelling gets its own id, so outputs write names exactly as the log spelled them
/// (CloudTrail's <c>eventID</c> stays <c>eventID</c> beside Windows' <c>EventID</c>). Matching is
/// case-insensitive, as Sigma tools treat <c>commandline</c> and <c>CommandLine</c> alike: each id has a
/// <see cref="Key"/>, the id of the first spelling seen of its case-insensitive class, and lookups and
/// rules compare keys.
/// </para>
/// <para>
/// The table is bounded: readers add names through <see cref="Resolve"/>, which stops adding once the table holds
/// <see cref="MaxNames"/> names or <see cref="MaxChars"/> characters of them (a JSON file whose keys are ids or hashes
/// brings a new name on every line). A name met after that is <see cref="Unlisted"/>: the event carries its spelling
/// itself (<see cref="Event"/>'s declared names), and it matches as the name of its case-insensitive class when that
/// class is already listed, so every name a rule uses (interned when the rules load) still matches in any spelling.
/// Names interned by <see cref="Intern(string)"/> (rules, well-known fields) are always added.
/// </para>
/// </summary>
public static class FieldNames
{
    private static readonly ConcurrentDictionary<string, int> Ids = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> SpanIds =
        Ids.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly ConcurrentDictionary<string, int> KeyIds = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> SpanKeyIds =
        KeyIds.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Lock Gate = new();
    private static string[] _names = new string[256];
    private static int[] _keys = new int[256];
    private static int _count;
    private static long _chars;

    /// <summary>The id of every field whose name was met after the table filled: its spelling is the event's, not the
    /// table's. It is reachable by no name (never in the lookups), so no log's spelling resolves to it, and it is its
    /// own key, which no rule uses.</summary>
    public static readonly int Unlisted = Reserve("(unlisted)");

    /// <summary>Names readers may list (<see cref="Resolve"/>); a test may lower it (with nothing else running).</summary>
    public static int MaxNames { get; set; } = 65_536;

    /// <summary>Characters of listed names readers may add to (<see cref="Resolve"/>).</summary>
    public static long MaxChars { get; set; } = 2 * 1024 * 1024;

    /// <summary>A test of the unlisted path over real data: <see cref="Resolve"/> lists nothing and finds nothing, so
    /// every name a reader meets is carried by its event, matching through its listed case class.</summary>
    internal static bool UnlistEvery { get; set; }

    /// <summary>Number of names interned so far; ids are 0..Count-1.</summary>
    public static int Count => Volatile.Read(ref _count);

    /// <summary>The id of this exact spelling.</summary>
    public static int Intern(string name)
    {
        if (Ids.TryGetValue(name, out int id)) return id;
        return Add(name);
    }

    /// <summary>The id of this exact spelling.</summary>
    public static int Intern(ReadOnlySpan<char> name)
    {
        if (SpanIds.TryGetValue(name, out int id)) return id;
        return Add(name.ToString());
    }

    /// <summary>
    /// A reader's lookup of a name it met: its id, added while the table has room; -1 when the table is full and the
    /// spelling is not listed. <paramref name="key"/> is then the key it matches as: its case-insensitive class's, or
    /// <see cref="Unlisted"/>'s when none is listed.
    /// </summary>
    public static int Resolve(ReadOnlySpan<char> name, out int key)
    {
        if (!UnlistEvery && SpanIds.TryGetValue(name, out int id)) { key = Key(id); return id; }
        if (!UnlistEvery && Volatile.Read(ref _count) < MaxNames && Volatile.Read(ref _chars) + name.Length <= MaxChars)
        {
            id = Add(name.ToString());
            key = Key(id);
            return id;
        }
        key = SpanKeyIds.TryGetValue(name, out int k) ? k : Unlisted;
        return -1;
    }

    /// <summary>The matching key of a name: the same for every spelling that differs only in case.</summary>
    public static int KeyOf(string name) => Key(Intern(name));

    /// <summary>The matching key of an id (see the class summary).</summary>
    public static int Key(int id) => Volatile.Read(ref _keys)[id];

    /// <summary>An id for a name already seen in some spelling (the exact one if seen, else its key).</summary>
    public static bool TryGet(ReadOnlySpan<char> name, out int id) =>
        SpanIds.TryGetValue(name, out id) || SpanKeyIds.TryGetValue(name, out id);

    /// <summary>The spelling of an id.</summary>
    public static string Name(int id) => Volatile.Read(ref _names)[id];

    /// <summary>The spelling of a field whose declared name (for <see cref="Unlisted"/>) sits beside its id, as a
    /// detection's copy decodes them.</summary>
    public static string Name(int id, in FieldValue declared) => id == Unlisted ? declared.ToString() : Name(id);

    private static int Add(string name)
    {
        lock (Gate)
        {
            if (Ids.TryGetValue(name, out int existing)) return existing;
            int id = Slot(name);
            _keys[id] = KeyIds.TryGetValue(name, out int key) ? key : id;
            KeyIds.TryAdd(name, _keys[id]);
            Volatile.Write(ref _chars, _chars + name.Length);
            Volatile.Write(ref _count, id + 1);
            Ids[name] = id;
            return id;
        }
    }

    /// <summary>An id reachable by no name (see <see cref="Unlisted"/>).</summary>
    private static int Reserve(string name)
    {
        lock (Gate)
        {
            int id = Slot(name);
            _keys[id] = id;
            Volatile.Write(ref _count, id + 1);
            return id;
        }
    }

    /// <summary>The next id, its name stored (under <see cref="Gate"/>); the caller sets its key and publishes the count.</summary>
    private static int Slot(string name)
    {
        int id = _count;
        if (id == _names.Length)
        {
            var names = new string[_names.Length * 2];
            var keys = new int[_keys.Length * 2];
            Array.Copy(_names, names, _names.Length);
            Array.Copy(_keys, keys, _keys.Length);
            Volatile.Write(ref _names, names);
            Volatile.Write(ref _keys, keys);
        }
        _names[id] = name;
        return id;
    }
}

/// <summary>Ids of the fields every reader and the engine refer to, interned at start-up.</summary>
public static class WellKnownFields
{
    public static readonly int EventID = FieldNames.Intern("EventID");
    public static readonly int EventIDQualifiers = FieldNames.Intern("EventID_Qualifiers");
    public static readonly int Version = FieldNames.Intern("Version");
    public static readonly int Level = FieldNames.Intern("Level");
    public static readonly int Task = FieldNames.Intern("Task");
    public static readonly int Opcode = FieldNames.Intern("Opcode");
    public static readonly int Keywords = FieldNames.Intern("Keywords");
    public static readonly int TimeCreated = FieldNames.Intern("TimeCreated");
    public static readonly int EventRecordID = FieldNames.Intern("EventRecordID");
    public static readonly int Channel = FieldNames.Intern("Channel");
    public static readonly int Computer = FieldNames.Intern("Computer");
    public static readonly int ProviderName = FieldNames.Intern("Provider_Name");
    public static readonly int ProviderGuid = FieldNames.Intern("Provider_Guid");
    public static readonly int ProviderEventSourceName = FieldNames.Intern("Provider_EventSourceName");
    public static readonly int CorrelationActivityID = FieldNames.Intern("Correlation_ActivityID");
    public static readonly int CorrelationRelatedActivityID = FieldNames.Intern("Correlation_RelatedActivityID");
    public static readonly int ExecutionProcessID = FieldNames.Intern("Execution_ProcessID");
    public static readonly int ExecutionThreadID = FieldNames.Intern("Execution_ThreadID");
    public static readonly int SecurityUserID = FieldNames.Intern("Security_UserID");
    public static readonly int Data = FieldNames.Intern("Data");
}
