using Vigil.Events;

namespace Vigil.Engine.Metrics;

/// <summary>
/// Per-worker interning of field values as text: the value's characters are looked up as a span (no string made)
/// and a string is allocated only the first time a distinct text is met. Counting then works on small ints.
/// Non-text values (EVTX numbers, SIDs, GUIDs) are formatted into a reused buffer first, as Windows shows them.
/// </summary>
internal sealed class FieldText
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _texts = [];
    private char[] _buffer = new char[256];

    public FieldText()
    {
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        Id(""); // id 0: absent or empty
    }

    public string this[int id] => _texts[id];

    public int Id(ReadOnlySpan<char> text)
    {
        if (_lookup.TryGetValue(text, out int id)) return id;
        string s = text.ToString();
        id = _texts.Count;
        _texts.Add(s);
        _ids[s] = id;
        return id;
    }

    public int Id(in FieldValue v)
    {
        if (v.IsNull) return 0;
        if (v.IsText) return Id(v.TextSpan);
        if (v.TryFormat(_buffer, out int n)) return Id(_buffer.AsSpan(0, n));
        return Id(v.ToString().AsSpan());
    }

    /// <summary>The id of "DOMAIN\user" (or "user" when the domain is empty or "-"), built in the reused buffer.
    /// Account names are text in every log shape; a non-text value is formatted through a string (rare).</summary>
    public int Account(in FieldValue domain, in FieldValue user)
    {
        ReadOnlySpan<char> u = user.IsNull ? default : user.IsText ? user.TextSpan : user.ToString();
        if (u.IsEmpty) return 0;
        ReadOnlySpan<char> d = domain.IsNull ? default : domain.IsText ? domain.TextSpan : domain.ToString();
        if (d.IsEmpty || d is "-") return Id(u);
        int need = d.Length + 1 + u.Length;
        if (_buffer.Length < need) _buffer = new char[Math.Max(need, _buffer.Length * 2)];
        d.CopyTo(_buffer);
        _buffer[d.Length] = '\\';
        u.CopyTo(_buffer.AsSpan(d.Length + 1));
        return Id(_buffer.AsSpan(0, need));
    }
}

/// <summary>A field known under several names in different log shapes: the first present one is used
/// (EVTX and OTRF name it like Windows does, Winlogbeat under winlog.*, ECS under host./event.).</summary>
internal sealed class FieldChoice(params string[] names)
{
    private readonly int[] _ids = names.Select(FieldNames.Intern).ToArray();

    public bool TryGet(Event e, out FieldValue value)
    {
        foreach (int id in _ids)
            if (e.TryGet(id, out value) && !value.IsNull) return true;
        value = default;
        return false;
    }

    public int Text(Event e, FieldText texts) => TryGet(e, out var v) ? texts.Id(v) : 0;

    /// <summary>The value as a whole number, if present and numeric (EVTX numbers, JSON numbers or digit strings).</summary>
    public bool TryGetNumber(Event e, out long n)
    {
        if (TryGet(e, out var v) && v.TryGetDouble(out double d) && d == Math.Floor(d) && Math.Abs(d) < 1e18) { n = (long)d; return true; }
        n = 0;
        return false;
    }
}

/// <summary>The names under which the metrics commands read the facts they count.</summary>
internal static class MetricFields
{
    public static readonly FieldChoice EventId = new("EventID", "winlog.event_id", "event.code", "event_id");
    public static readonly FieldChoice Channel = new("Channel", "winlog.channel", "log_name");
    // winlog.computer_name before host.name: with forwarded events (WEF) host.name is the collector running the beat,
    // winlog.computer_name the machine that logged the event.
    public static readonly FieldChoice Computer = new("Computer", "Hostname", "winlog.computer_name", "host.name", "ComputerName");
    public static readonly FieldChoice Provider = new("Provider_Name", "SourceName", "winlog.provider_name", "event.provider", "ProviderName");
    public static readonly FieldChoice TargetUserName = new("TargetUserName", "winlog.event_data.TargetUserName");
    public static readonly FieldChoice TargetDomainName = new("TargetDomainName", "winlog.event_data.TargetDomainName");
    public static readonly FieldChoice LogonType = new("LogonType", "winlog.event_data.LogonType");
    public static readonly FieldChoice IpAddress = new("IpAddress", "winlog.event_data.IpAddress", "source.ip");
    public static readonly FieldChoice WorkstationName = new("WorkstationName", "winlog.event_data.WorkstationName", "source.domain");
}
