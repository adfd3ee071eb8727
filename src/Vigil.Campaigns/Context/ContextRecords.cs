using Vigil.Campaigns.Entities;

namespace Vigil.Campaigns.Context;

/// <summary>A process creation (Sysmon 1, or Security 4688 where Sysmon is absent), compact: no full event copy.
/// Host is NetBIOS upper-case; Guid/ParentGuid are "" for 4688 (then Pid/ParentPid identify it).
/// <para>Memory: the GUIDs are held as <see cref="GuidText"/> (16 bytes for Sysmon's braced GUIDs) rather than as strings; a
/// long day keeps hundreds of thousands of these records, each with its own distinct GUID. <see cref="Guid"/> and
/// <see cref="ParentGuid"/> give the text back (a new string per call: index by <see cref="GuidKey"/> instead).</para></summary>
public sealed record ProcRec(long Ticks, string Host, string Guid, string ParentGuid, long Pid, long ParentPid, string Image,
    string ParentImage, string CommandLine, string User, long LogonId, bool FromSysmon)
{
    private readonly GuidText _guid = new(Guid);
    private readonly GuidText _parentGuid = new(ParentGuid);

    public string Guid { get => _guid.ToString(); init => _guid = new GuidText(value); }
    public string ParentGuid { get => _parentGuid.ToString(); init => _parentGuid = new GuidText(value); }
    /// <summary>A record from its packed GUIDs (no text to parse again).</summary>
    internal ProcRec(long ticks, string host, GuidText guid, GuidText parentGuid, long pid, long parentPid, string image, string parentImage,
        string commandLine, string user, long logonId, bool fromSysmon)
        : this(ticks, host, "", "", pid, parentPid, image, parentImage, commandLine, user, logonId, fromSysmon)
    {
        _guid = guid;
        _parentGuid = parentGuid;
    }

    public GuidText GuidKey => _guid;
    public GuidText ParentGuidKey => _parentGuid;
}

/// <summary>A logon event: 4624 success, 4625 failure, 4648 explicit credentials (TargetServer set), 4672 special privileges.</summary>
public sealed record LogonRec(long Ticks, string Host, int EventId, int LogonType, string Address, string Account, long LogonId,
    string Workstation, string TargetServer, string SubjectAccount, long SubjectLogonId, long ProcessId, string ProcessName);

/// <summary>A service installed (System 7045, Security 4697), or a scheduled task created (Security 4698, <see cref="IsTask"/>):
/// both are how remote execution lands on a host.</summary>
public sealed record ServiceRec(long Ticks, string Host, string Name, string ImagePath, string Account, bool IsTask = false);

/// <summary>One connection worth keeping on its own: an internal destination on a remote-administration port
/// (SMB, RPC, WinRM, RDP, SSH), the kind that precedes lateral movement.</summary>
public sealed record ConnRec(long Ticks, string Host, string SourceAddress, string ProcessGuid, string Image, string DestAddress, int DestPort);

/// <summary>All traffic from one source address to one destination address, aggregated (Sysmon 3 and Zeek conn).</summary>
public sealed class Flow
{
    public required string Source { get; init; }
    public required string Dest { get; init; }
    public long First = long.MaxValue;
    public long Last = long.MinValue;
    public long Count;
    /// <summary>Bytes sent by the source (Zeek orig_bytes); 0 when only Sysmon saw it.</summary>
    public long OrigBytes;
    public long RespBytes;
    /// <summary>Connections Zeek saw refused or unanswered (REJ, S0, RSTO...): sweep evidence.</summary>
    public long Failed;
    /// <summary>Up to <see cref="MaxPorts"/> destination ports, in the order first seen.</summary>
    public ArraySegment<int> Ports => _ports is null ? ArraySegment<int>.Empty : new ArraySegment<int>(_ports, 0, _portCount);
    public const int MaxPorts = 32;
    // An array grown from one port (most flows have one or two) instead of a list: a large network's day has a million flows.
    private int[]? _ports;
    private int _portCount;

    internal void AddPort(int port)
    {
        if (_portCount == MaxPorts || (_ports is not null && Array.IndexOf(_ports, port, 0, _portCount) >= 0)) return;
        if (_ports is null) _ports = new int[1];
        else if (_portCount == _ports.Length) Array.Resize(ref _ports, Math.Min(MaxPorts, _ports.Length * 2));
        _ports[_portCount++] = port;
    }

    public void Add(long ticks, int port, long orig, long resp, bool failed)
    {
        if (ticks != 0) { if (ticks < First) First = ticks; if (ticks > Last) Last = ticks; }
        Count++;
        OrigBytes += Math.Max(0, orig);
        RespBytes += Math.Max(0, resp);
        if (failed) Failed++;
        if (port > 0) AddPort(port);
    }

    public void Merge(Flow o)
    {
        if (o.First < First) First = o.First;
        if (o.Last > Last) Last = o.Last;
        Count += o.Count; OrigBytes += o.OrigBytes; RespBytes += o.RespBytes; Failed += o.Failed;
        foreach (var p in o.Ports) AddPort(p);
    }
}

/// <summary>A CloudTrail API call: who (ARN), from where, what, and bytes out when the log says.</summary>
public sealed record CloudRec(long Ticks, string Arn, string SourceAddress, string EventName, string EventSource, bool Failed, long Bytes, string Target);
