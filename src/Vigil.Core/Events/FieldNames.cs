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

    /// <summary>The matching key of a name: the same for every spelling that differs only in case.</summary>
    public static int KeyOf(string name) => Key(Intern(name));

    /// <summary>The matching key of an id (see the class summary).</summary>
    public static int Key(int id) => Volatile.Read(ref _keys)[id];

    /// <summary>An id for a name already seen in some spelling (the exact one if seen, else its key).</summary>
    public static bool TryGet(ReadOnlySpan<char> name, out int id) =>
        SpanIds.TryGetValue(name, out id) || SpanKeyIds.TryGetValue(name, out id);

    /// <summary>The spelling of an id.</summary>
    public static string Name(int id) => Volatile.Read(ref _names)[id];

    private static int Add(string name)
    {
        lock (Gate)
        {
            if (Ids.TryGetValue(name, out int existing)) return existing;
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
            _keys[id] = KeyIds.TryGetValue(name, out int key) ? key : id;
            KeyIds.TryAdd(name, _keys[id]);
            Volatile.Write(ref _count, id + 1);
            Ids[name] = id;
            return id;
        }
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
