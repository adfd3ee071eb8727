using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Vigil.Simulation;

/// <summary>
/// Writes the simulated day as real Windows event log files, one per host and channel, laid out as a
/// collection from each machine would be: <c>logs/&lt;HOST&gt;/&lt;Channel&gt;.evtx</c> (Security.evtx,
/// Microsoft-Windows-Sysmon%4Operational.evtx, System.evtx, Microsoft-Windows-PowerShell%4Operational.evtx).
/// A real .evtx file comes from one machine and its EventRecordIDs run consecutively through it; the simulator
/// numbers records per host and channel, so one file per host and channel keeps the ids consistent per file.
/// Files are created on a host's first event in that channel (a file without records would have no chunk).
///
/// Every event carries the System section Windows writes (Provider Name/Guid, EventID, Version, Level, Task,
/// Opcode, Keywords, TimeCreated, EventRecordID, Correlation, Execution, Channel, Computer, Security UserID)
/// and its EventData as &lt;Data Name="X"&gt; items. EventData values are UTF-16 strings, exactly the text of the
/// JSON lines output, so that hunting either format gives the same results; System values are typed.
/// Memory is bounded: each open file holds one 64 KiB chunk buffer.
/// </summary>
internal sealed class EvtxSink : IEventSink
{
    private readonly string _dir;
    private readonly Company _co;
    private readonly Dictionary<Host, int> _hostIndex = new(ReferenceEqualityComparer.Instance);
    private readonly EvtxFileWriter?[] _writers;
    private readonly Dictionary<string, byte[]> _sids = new(StringComparer.Ordinal);

    public EvtxSink(string dir, Company co)
    {
        _dir = dir;
        _co = co;
        for (int i = 0; i < co.Hosts.Count; i++) _hostIndex[co.Hosts[i]] = i;
        _writers = new EvtxFileWriter?[co.Hosts.Count * LogFiles.Count];
    }

    /// <summary>"Security.evtx", "Microsoft-Windows-Sysmon%4Operational.evtx": the channel name with '/' as
    /// "%4", which is how Windows names the files in System32\winevt\Logs.</summary>
    public static string EvtxFileName(LogFile f) => LogFiles.Channel(f).Replace("/", "%4", StringComparison.Ordinal) + ".evtx";

    public string FileLabel(SimEvent e) => e.Host.Name + "/" + EvtxFileName(e.File);

    public IReadOnlyList<(string Label, string Path, long Count)> Files =>
        _writers.Where(w => w is not null).Select(w => (w!.Label, w.Path, w.Records)).ToList();

    public long Write(SimEvent e, long recordId)
    {
        int slot = _hostIndex[e.Host] * LogFiles.Count + (int)e.File;
        var w = _writers[slot];
        if (w is null)
        {
            string hostDir = Path.Combine(_dir, e.Host.Name);
            Directory.CreateDirectory(hostDir);
            string name = EvtxFileName(e.File);
            w = _writers[slot] = new EvtxFileWriter(Path.Combine(hostDir, name), e.Host.Name + "/" + name,
                LogFiles.Channel(e.File), e.Host.Fqdn);
        }
        var sys = EvtxSystemInfo.Describe(e, recordId, this);
        w.Write(e, recordId, sys);
        return 0;
    }

    /// <summary>Binary form of a SID string (cached; a day uses a few hundred distinct SIDs).</summary>
    internal byte[] Sid(string sid)
    {
        if (_sids.TryGetValue(sid, out var b)) return b;
        b = EncodeSid(sid);
        _sids[sid] = b;
        return b;
    }

    /// <summary>"S-1-5-21-1-2-3-500" to revision, sub-authority count, 48-bit big-endian authority and
    /// little-endian 32-bit sub-authorities (the layout of a Windows SID).</summary>
    internal static byte[] EncodeSid(string sid)
    {
        var parts = sid.Split('-');
        if (parts.Length < 3 || parts[0] != "S" || !byte.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out byte rev)
            || !ulong.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong authority) || authority >= 1UL << 48 || parts.Length - 3 > 15)
            throw new InvalidOperationException($"simulate: '{sid}' is not a SID");
        var b = new byte[8 + 4 * (parts.Length - 3)];
        b[0] = rev;
        b[1] = (byte)(parts.Length - 3);
        for (int i = 0; i < 6; i++) b[2 + i] = (byte)(authority >> (8 * (5 - i)));
        for (int i = 3; i < parts.Length; i++)
        {
            if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out uint sub))
                throw new InvalidOperationException($"simulate: '{sid}' is not a SID");
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8 + 4 * (i - 3)), sub);
        }
        return b;
    }

    public void Complete()
    {
        foreach (var w in _writers) w?.Complete();
    }

    public void Dispose()
    {
        foreach (var w in _writers) w?.Dispose();
    }
}

/// <summary>The typed System values of one event.</summary>
internal struct EvtxSystem
{
    public byte Level, Opcode, Version;
    public ushort Task;
    public ulong Keywords;
    public Guid ProviderGuid;
    public uint ProcessId, ThreadId;
    /// <summary>Security/@UserID, or null when Windows writes &lt;Security/&gt; without it (Security channel).</summary>
    public byte[]? UserSid;
}

/// <summary>
/// The System section values Windows writes for the simulated event types: provider GUIDs, levels, tasks,
/// opcodes, keywords and versions as in the providers' manifests. Execution ProcessID is the logging process
/// (lsass for Security, services.exe for the Service Control Manager, the script's process for PowerShell, a
/// per-host Sysmon service process); ThreadID is derived from the host and record id, so output stays
/// deterministic without drawing from the simulator's random streams (which would change the JSON output).
/// </summary>
internal static class EvtxSystemInfo
{
    private static readonly Guid SecurityAuditing = new("54849625-5478-4994-a5ba-3e3b0328c30d");
    private static readonly Guid Sysmon = new("5770385f-c22a-43e0-bf4c-06f5698ffbd9");
    private static readonly Guid PowerShell = new("a0c1853b-5c40-4b15-8766-3cf1c58f985a");
    private static readonly Guid ServiceControlManager = new("555908d1-a6d7-4695-8e1e-26931d2012f4");
    private static readonly byte[] LocalSystem = EvtxSink.EncodeSid("S-1-5-18");

    public static EvtxSystem Describe(SimEvent e, long recordId, EvtxSink sink)
    {
        var s = new EvtxSystem { ThreadId = (uint)(Mix(e.Host.Name, recordId) % 2000 + 100) * 4 };
        switch (e.File)
        {
            case LogFile.Security:
                s.ProviderGuid = SecurityAuditing;
                s.Keywords = e.EventId == 4625 ? 0x8010000000000000UL : 0x8020000000000000UL; // audit failure / success
                s.ProcessId = (uint)e.Host.Lsass.Pid;
                (s.Task, s.Version) = e.EventId switch
                {
                    4624 => ((ushort)12544, (byte)2),
                    4625 or 4648 => ((ushort)12544, (byte)0),
                    4634 => ((ushort)12545, (byte)0),
                    4672 => ((ushort)12548, (byte)0),
                    4688 => ((ushort)13312, (byte)2),
                    4720 or 4722 => ((ushort)13824, (byte)0),
                    4728 or 4732 => ((ushort)13826, (byte)0),
                    4768 => ((ushort)14339, (byte)0),
                    4769 => ((ushort)14337, (byte)0),
                    5140 => ((ushort)12808, (byte)1),
                    5145 => ((ushort)12811, (byte)0),
                    _ => ((ushort)0, (byte)0),
                };
                break;
            case LogFile.Sysmon:
                s.ProviderGuid = Sysmon;
                s.Level = 4;
                s.Task = (ushort)e.EventId;
                s.Keywords = 0x8000000000000000UL;
                s.Version = e.EventId switch { 1 or 3 => 5, 10 => 3, _ => 2 };
                s.ProcessId = (uint)(Mix(e.Host.Name, -1) % 900 + 500) * 4;
                s.UserSid = LocalSystem;
                break;
            case LogFile.System:
                s.ProviderGuid = ServiceControlManager;
                s.Level = 4;
                s.Keywords = e.EventId == 7045 ? 0x8080000000000000UL : 0x8000000000000000UL;
                s.ProcessId = (uint)e.Host.Services.Pid;
                s.UserSid = LocalSystem;
                break;
            case LogFile.PowerShell:
                s.ProviderGuid = PowerShell;
                s.Level = 5; // 4104 script block logging is Verbose
                s.Task = 2;
                s.Opcode = 15;
                s.Version = 1;
                s.Keywords = 0;
                foreach (var kv in e.Data)
                {
                    if (kv.Key == "ProcessID" && uint.TryParse(kv.Value, NumberStyles.None, CultureInfo.InvariantCulture, out uint pid)) s.ProcessId = pid;
                    else if (kv.Key == "UserID" && kv.Value.StartsWith("S-", StringComparison.Ordinal)) s.UserSid = sink.Sid(kv.Value);
                }
                break;
        }
        return s;
    }

    /// <summary>A small deterministic hash (FNV-1a over the name, then the number).</summary>
    private static ulong Mix(string name, long n)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in name) { h ^= c; h *= 1099511628211UL; }
        h ^= (ulong)n;
        h *= 1099511628211UL;
        h ^= h >> 29;
        return h;
    }
}

/// <summary>
/// One event shape: provider, event id, version and the ordered EventData names, plus the static text that
/// Windows puts into a template (provider name, channel, computer). Its GUID is a hash of all that, so the same
/// shape has the same GUID in every chunk of a file, as Windows does, and a different shape a different GUID.
/// </summary>
internal sealed class EvtxTemplate
{
    public const int SystemSubstitutions = 12;
    public required int EventId;
    public required string Provider;
    public required string[] DataNames;
    public required Guid Guid;
    public required uint Id;

    public bool Matches(SimEvent e)
    {
        if (e.EventId != EventId || e.Data.Count != DataNames.Length || !string.Equals(e.Provider, Provider, StringComparison.Ordinal)) return false;
        var data = CollectionsMarshal.AsSpan(e.Data);
        for (int i = 0; i < data.Length; i++)
            if (!string.Equals(data[i].Key, DataNames[i], StringComparison.Ordinal)) return false;
        return true;
    }

    public static EvtxTemplate For(SimEvent e, byte version, string channel, string computer)
    {
        var names = e.Data.Select(kv => kv.Key).ToArray();
        var key = new StringBuilder().Append(e.Provider).Append('|').Append(e.EventId).Append('|').Append(version)
            .Append('|').Append(channel).Append('|').Append(computer);
        foreach (var n in names) key.Append('|').Append(n);
        byte[] hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString()));
        var guid = new Guid(hash.AsSpan(0, 16));
        return new EvtxTemplate
        {
            EventId = e.EventId, Provider = e.Provider, DataNames = names, Guid = guid,
            Id = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hash),
        };
    }
}
