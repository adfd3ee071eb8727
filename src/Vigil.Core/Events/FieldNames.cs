using System.Collections.Concurrent;

namespace Vigil.Events;

/// <summary>
/// Process-wide interning of field names to small integer ids ("slots").
/// Rules resolve their field names once at load time; readers resolve the names they meet once per
/// chunk or per distinct key. The hot loop then compares ints, never strings.
/// Lookup is case-insensitive (Sigma tools treat <c>commandline</c> and <c>CommandLine</c> alike);
/// the first spelling seen is the one reported by <see cref="Name"/>.
/// </summary>
public static class FieldNames
{
    private static readonly ConcurrentDictionary<string, int> Ids = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> SpanIds =
        Ids.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly Lock Gate = new();
    private static string[] _names = new string[256];
    private static int _count;

    /// <summary>Number of names interned so far; ids are 0..Count-1.</summary>
    public static int Count => Volatile.Read(ref _count);

    public static int Intern(string name)
    {
        if (Ids.TryGetValue(name, out int id)) return id;
        return Add(name);
    }

    public static int Intern(ReadOnlySpan<char> name)
    {
        if (SpanIds.TryGetValue(name, out int id)) return id;
        return Add(name.ToString());
    }

    public static bool TryGet(ReadOnlySpan<char> name, out int id) => SpanIds.TryGetValue(name, out id);

    public static string Name(int id) => Volatile.Read(ref _names)[id];

    private static int Add(string name)
    {
        lock (Gate)
        {
            if (Ids.TryGetValue(name, out int existing)) return existing;
            int id = _count;
            if (id == _names.Length)
            {
                var grown = new string[_names.Length * 2];
                Array.Copy(_names, grown, _names.Length);
                Volatile.Write(ref _names, grown);
            }
            _names[id] = name;
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
