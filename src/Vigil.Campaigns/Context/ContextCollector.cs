using Vigil.Campaigns.Entities;
using Vigil.Engine.Hunting;
using Vigil.Events;

namespace Vigil.Campaigns.Context;

/// <summary>
/// The campaign context of a hunt: compact records of the events campaigns are built from besides detections
/// (logons, process creations, service installs, remote-administration connections, CloudTrail calls) and aggregates
/// (per address pair traffic, which host an address belongs to). Fed by the hunt as an <see cref="IHuntObserver"/>;
/// each partition extracts on its worker thread and the results are appended in input order.
/// Memory: only the event kinds above are kept, each as a small record with text capped at
/// <see cref="MaxText"/> characters; traffic is aggregated per (source, destination); every list stops growing at its
/// cap and counts what it dropped (<see cref="Dropped"/>), so a huge input cannot exhaust memory.
/// </summary>
public sealed class ContextCollector : IHuntObserver
{
    public const int MaxText = 400;
    /// <summary>Processes kept. A process costs nothing in memory (its row is in the store's file, and the build's tables with
    /// an entry per process move to files past a few million, see <see cref="Entities.SpillList{T}"/>), only ~300 bytes of
    /// temporary files across the store and the build's index and sorts: this cap only bounds that disk use (100M processes,
    /// ~30 GB: an input of ~500M events). It was 2M while the build kept 8-12 bytes per process in memory; a 12.2M-event
    /// simulated day has 2.1M processes, and the ones past the cap lost their trees.</summary>
    public int MaxProcesses { get; init; } = 100_000_000;
    /// <summary>Logons kept. Like processes, a logon's row is in the store's file and the build's indexes over logons are
    /// sorted rows in files (<see cref="Linking.LogonAddressIndex"/>); the cap bounds temporary disk (~150 bytes a logon).
    /// It was 1M while those indexes were lists in memory: a domain controller logs millions of 4624s a day. Explicit-credential
    /// logons (4648) had their own cap of 500k while the lateral linker grouped them as records and made a link object of
    /// each one no logon answered; it reads them through an index in files now and keeps those links as rows
    /// (<see cref="Linking.LateralLinks"/>).</summary>
    public int MaxLogons { get; init; } = 100_000_000;
    /// <summary>Remote-administration connections kept: rows in a file, and the lateral linker reads them through a sorted
    /// index in files (<see cref="Linking.StoreTimeIndex{T}"/>), so the cap bounds temporary disk (~100 bytes each). It was
    /// 500k while they were objects grouped in memory.</summary>
    public int MaxConnections { get; init; } = 100_000_000;
    /// <summary>CloudTrail calls kept: rows in a file (<see cref="CloudStore"/>), indexed by identity and address in files
    /// (<see cref="Linking.StoreTimeIndex{T}"/>), and the build walks a campaign's calls without listing them (the operator
    /// analysis's command rows, the theft finder's external sorts, the failure bursts' merged cursors), so the cap bounds
    /// temporary disk (~150 bytes a call). It was 1M while those were lists: a bulk theft from a bucket is millions of
    /// GetObject calls.</summary>
    public int MaxCloud { get; init; } = 100_000_000;
    /// <summary>Flow records kept: pairs merged in place plus the parts of later pairs (see <see cref="FlowStore"/>), rows in
    /// files, so the cap bounds temporary disk (~200 bytes each). It was 1M pairs while every pair's lookup was in memory: a
    /// large network's Zeek day has millions of distinct (source, destination) pairs.</summary>
    public long MaxFlows { get; init; } = 100_000_000;
    /// <summary>Process creations, compact (see <see cref="ProcStore"/>).</summary>
    public ProcStore Processes { get; }

    public ContextCollector() : this(new ProcStore(), new LogonStore()) { }

    /// <summary>A collector keeping its process creations, logons and flows in the given stores (tests: ones with tiny
    /// pages).</summary>
    internal ContextCollector(ProcStore processes, LogonStore logons, TextPool? pool = null, FlowStore? flows = null,
        AddressBook? addresses = null)
    {
        Processes = processes;
        Logons = logons;
        Pool = pool ?? new TextPool();
        Flows = flows ?? new FlowStore();
        Addresses = addresses ?? new AddressBook();
    }
    /// <summary>Logons, compact (see <see cref="LogonStore"/>).</summary>
    public LogonStore Logons { get; }
    public List<ServiceRec> Services { get; } = [];
    /// <summary>Remote-administration connections, compact (see <see cref="ConnStore"/>).</summary>
    public ConnStore Connections { get; } = new();
    /// <summary>CloudTrail calls, compact (see <see cref="CloudStore"/>).</summary>
    public CloudStore Cloud { get; } = new();
    /// <summary>Flows, one per (source, destination), compact (see <see cref="FlowStore"/>).</summary>
    public FlowStore Flows { get; }
    /// <summary>Which host each internal address belongs to: every (address, host name) the events said, counted (see
    /// <see cref="AddressBook"/>; no cap, rows in files).</summary>
    public AddressBook Addresses { get; }
    /// <summary>Records not kept because a cap was reached.</summary>
    public long Dropped { get; private set; }

    public IPartitionObserver CreatePartition() => new Partition();

    public void Consume(IPartitionObserver partition)
    {
        var p = (Partition)partition;
        // A host with Sysmon process creations has its processes from Sysmon only (see ProcessIndex): its Security 4688
        // records, the same processes again, are not kept once Sysmon showed up for it, and those kept before are dropped by
        // DropSuperseded, once, when the build starts. They were dropped here, rewriting the whole store each time a host
        // showed Sysmon after 4688: once per such host (a folder of hosts' logs read Security before Sysmon: hosts x
        // processes rows). Hosts are numbered by the process store (exact ids) and marked in bit sets by those ids.
        var hostIds = _hostIdScratch;
        hostIds.Clear();
        foreach (var r in p.Processes)
        {
            int h = Processes.HostId(r.Host);
            hostIds.Add(h);
            if (r.FromSysmon && !Has(_sysmonHosts, h))
            {
                Mark(_sysmonHosts, h);
                _superseded |= Has(_securityKept, h);
            }
        }
        // Repeated text (images, users, the same command line on many hosts) is kept once across partitions.
        int room = Math.Max(0, MaxProcesses - Processes.Count);
        for (int k = 0; k < p.Processes.Count; k++)
        {
            var r = p.Processes[k];
            int h = hostIds[k];
            if (!r.FromSysmon && Has(_sysmonHosts, h)) continue;
            if (room == 0) { Dropped++; continue; }
            room--;
            if (!r.FromSysmon) Mark(_securityKept, h);
            Processes.Add(r with { Image = Global(r.Image), ParentImage = Global(r.ParentImage),
                CommandLine = Global(r.CommandLine), User = Global(r.User) }, h);
        }
        // Logon text repeats across partitions too (accounts, hosts, workstations).
        int logonRoom = Math.Max(0, MaxLogons - Logons.Count);
        foreach (var l in p.Logons)
        {
            if (logonRoom == 0) { Dropped++; continue; }
            logonRoom--;
            Logons.Add(l with { Host = Global(l.Host), Address = Global(l.Address), Account = Global(l.Account), Workstation = Global(l.Workstation),
                TargetServer = Global(l.TargetServer), SubjectAccount = Global(l.SubjectAccount), ProcessName = Global(l.ProcessName) });
        }
        Append(p.Services, Services.Count, 100_000, Services.Add);
        Append(p.Connections, Connections.Count, MaxConnections, Connections.Add);
        Append(p.Cloud, Cloud.Count, MaxCloud, Cloud.Add);
        foreach (var f in p.Flows.Values)
            if (!Flows.Merge(f, MaxFlows)) Dropped++;
        foreach (var ((ip, host), n) in p.AddressVotes) if (!Addresses.Add(ip, host, n)) Dropped++;
    }

    /// <summary>Hosts with Sysmon process creations, by the process store's host ids (a bit each: they were a set of host
    /// names, ~90 bytes a host).</summary>
    private readonly System.Collections.BitArray _sysmonHosts = new(1024);
    /// <summary>Hosts with Security 4688 process records kept, by host id.</summary>
    private readonly System.Collections.BitArray _securityKept = new(1024);
    /// <summary>Whether some host has 4688 records kept from before its Sysmon ones (<see cref="DropSuperseded"/>).</summary>
    private bool _superseded;
    private readonly List<int> _hostIdScratch = [];

    /// <summary>Drops the 4688 records kept for hosts that showed Sysmon process creations after them, in one pass over the
    /// store (nothing to do, no pass, when no host did). The campaign build calls it before reading the processes; the
    /// process index would pass over them anyway.</summary>
    public void DropSuperseded()
    {
        if (!_superseded) return;
        Processes.RemoveWhere(i => !Processes.FromSysmon(i) && Has(_sysmonHosts, Processes.HostIdAt(i)));
        for (int h = 0; h < _securityKept.Length; h++)
            if (_securityKept[h] && Has(_sysmonHosts, h)) _securityKept[h] = false;
        _superseded = false;
    }

    private static bool Has(System.Collections.BitArray bits, int id) => id < bits.Length && bits[id];

    private static void Mark(System.Collections.BitArray bits, int id)
    {
        if (id >= bits.Length) bits.Length = Math.Max(id + 1, bits.Length * 2);
        bits[id] = true;
    }

    /// <summary>Text shared across partitions (and with the detection facts, see <see cref="CampaignCollector"/>).</summary>
    public TextPool Pool { get; }

    private string Global(string s) => Pool.Intern(s);

    /// <summary>Adds a partition's records to a list or store holding <paramref name="have"/> until it holds
    /// <paramref name="cap"/>; the rest are counted as dropped.</summary>
    private void Append<T>(List<T> from, int have, int cap, Action<T> add)
    {
        int room = Math.Max(0, cap - have);
        for (int k = 0; k < from.Count && k < room; k++) add(from[k]);
        Dropped += Math.Max(0, from.Count - room);
    }

    /// <summary>Extraction for one partition (one thread).</summary>
    private sealed class Partition : IPartitionObserver
    {
        public readonly List<ProcRec> Processes = [];
        public readonly List<LogonRec> Logons = [];
        public readonly List<ServiceRec> Services = [];
        public readonly List<ConnRec> Connections = [];
        public readonly List<CloudRec> Cloud = [];
        public readonly Dictionary<(string, string), Flow> Flows = [];
        /// <summary>(address, host) → how many of the partition's events said the host is at the address.</summary>
        public readonly Dictionary<(string Address, string Host), int> AddressVotes = [];
        private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);

        public void Observe(Event e)
        {
            long? id = EventFacts.EventId(e);
            if (id is null)
            {
                if (e.Has(F.ZeekOrig) && (e.Has(F.ConnState) || e.Has(F.OrigBytes))) Zeek(e);
                else if (e.Has(F.EventName) && e.Has(F.EventSource)) CloudTrail(e);
                return;
            }
            switch (id.Value)
            {
                case 1 when IsSysmon(e): SysmonProcess(e); break;
                case 3 when IsSysmon(e): SysmonNet(e); break;
                case 4688: SecurityProcess(e); break;
                case 4624 or 4625: Logon(e, (int)id.Value); break;
                case 4648: Explicit(e); break;
                case 4672: Privileged(e); break;
                case 7045 or 4697: Service(e); break;
                case 4698: Task(e); break;
            }
        }

        private static bool IsSysmon(Event e)
        {
            foreach (int f in F.Channels)
                if (e.TryGet(f, out var v)) return v.TextSpan.Contains("Sysmon", StringComparison.OrdinalIgnoreCase);
            foreach (int f in F.Providers)
                if (e.TryGet(f, out var v)) return v.TextSpan.Contains("Sysmon", StringComparison.OrdinalIgnoreCase);
            return false;
        }

        private readonly Dictionary<string, (string Norm, bool Internal)> _addrs = new(StringComparer.Ordinal);

        /// <summary>A field's text through the partition's pool: repeated values are looked up by span, not allocated again.</summary>
        private string PText(Event e, int[] ids, int max = MaxText)
        {
            foreach (int f in ids)
                if (e.TryGet(f, out var v) && !v.IsNull)
                {
                    if (!v.IsText) return Pool(v.ToString());
                    var t = v.TextSpan;
                    if (t.Length > max) t = t[..max];
                    if (t.Length == 0) return "";
                    var lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();
                    if (lookup.TryGetValue(t, out var have)) return have;
                    var str = new string(t);
                    if (_pool.Count < 200_000) _pool[str] = str;
                    return str;
                }
            return "";
        }

        /// <summary>An address field normalised (see <see cref="Names.Address"/>) and whether it is internal, cached per partition.</summary>
        private (string Norm, bool Internal) Addr(Event e, int[] ids)
        {
            var raw = PText(e, ids, 64);
            if (raw.Length == 0) return ("", false);
            if (_addrs.TryGetValue(raw, out var have)) return have;
            var norm = Names.Address(raw);
            var r = (norm.Length == 0 ? "" : Pool(norm), norm.Length > 0 && Names.IsInternal(norm));
            if (_addrs.Count < 100_000) _addrs[raw] = r;
            return r;
        }

        private string Pool(string s)
        {
            if (_pool.TryGetValue(s, out var have)) return have;
            if (_pool.Count < 200_000) _pool[s] = s;
            return s;
        }

        private static string Text(Event e, int[] ids, int max = MaxText)
        {
            foreach (int f in ids)
                if (e.TryGet(f, out var v) && !v.IsNull)
                {
                    var t = v.TextSpan;
                    if (v.IsText) return t.Length > max ? new string(t[..max]) : t.Length == 0 ? "" : new string(t);
                    return v.ToString();
                }
            return "";
        }

        private static long Num(Event e, int[] ids)
        {
            foreach (int f in ids)
                if (e.TryGet(f, out var v) && !v.IsNull)
                {
                    if (v.Kind is ValueKind.Int64 or ValueKind.UInt64) return v.Int64;
                    if (v.IsText) return Names.Number(v.TextSpan.ToString());
                    if (v.TryGetDouble(out double d)) return (long)d;
                }
            return -1;
        }

        private readonly Dictionary<string, string> _hosts = new(StringComparer.Ordinal);

        /// <summary>The event's computer as a NetBIOS name, normalised once per distinct spelling in the partition.</summary>
        private string HostOf(Event e)
        {
            var raw = PText(e, F.Computers, 255);
            if (raw.Length == 0) return "";
            if (_hosts.TryGetValue(raw, out var have)) return have;
            var h = Pool(Names.Host(raw));
            _hosts[raw] = h;
            return h;
        }

        private void SysmonProcess(Event e)
        {
            var host = HostOf(e);
            // The GUIDs are packed into the record (see GuidText): their text is not pooled.
            Processes.Add(new ProcRec(e.TimestampTicks, host, Text(e, F.ProcessGuid), Text(e, F.ParentProcessGuid),
                Num(e, F.ProcessId), Num(e, F.ParentProcessId), PText(e, F.Image), PText(e, F.ParentImage), PText(e, F.CommandLine),
                Pool(Names.Account(null, PText(e, F.User))), Num(e, F.LogonId), true));
        }

        private void SecurityProcess(Event e)
        {
            var host = HostOf(e);
            Processes.Add(new ProcRec(e.TimestampTicks, host, "", "", Num(e, F.NewProcessId), Num(e, F.ProcessId), PText(e, F.NewProcessName),
                PText(e, F.ParentProcessName), PText(e, F.CommandLine),
                Pool(Names.Account(Text(e, F.SubjectDomainName), Text(e, F.SubjectUserName))), Num(e, F.SubjectLogonId), false));
        }

        private void SysmonNet(Event e)
        {
            var host = HostOf(e);
            var (src, srcInternal) = Addr(e, F.SourceIp);
            var (dst, dstInternal) = Addr(e, F.DestinationIp);
            if (src.Length == 0 || dst.Length == 0) return;
            bool initiated = !e.TryGet(F.Initiated[0], out var ini) || !ini.TextSpan.Equals("false", StringComparison.OrdinalIgnoreCase);
            if (!initiated) { (src, dst) = (dst, src); (srcInternal, dstInternal) = (dstInternal, srcInternal); }
            if (initiated && host.Length > 0 && srcInternal) Vote(src, host);
            if (initiated && dstInternal)
            {
                var dstName = Names.Host(PText(e, F.DestinationHostname));
                if (dstName.Length > 0) Vote(dst, Pool(dstName));
            }
            int port = (int)Num(e, F.DestinationPort);
            AddFlow(e.TimestampTicks, src, dst, port, 0, 0, false);
            if (initiated && dstInternal && IsAdminPort(port))
                Connections.Add(new ConnRec(e.TimestampTicks, host, src, PText(e, F.ProcessGuid), PText(e, F.Image), dst, port));
        }

        private void Zeek(Event e)
        {
            var (src, srcInternal) = Addr(e, F.ZeekOrigA);
            var (dst, dstInternal) = Addr(e, F.ZeekResp);
            if (src.Length == 0 || dst.Length == 0) return;
            int port = (int)Num(e, F.ZeekRespPort);
            var state = PText(e, F.ConnStateA);
            bool failed = state is "REJ" or "S0" or "RSTOS0" or "RSTRH" or "SH" or "SHR" or "OTH";
            AddFlow(e.TimestampTicks, src, dst, port, Num(e, F.OrigBytesA), Num(e, F.RespBytes), failed);
            if (!failed && dstInternal && srcInternal && IsAdminPort(port))
                Connections.Add(new ConnRec(e.TimestampTicks, "", src, "", "", dst, port));
        }

        private void CloudTrail(Event e)
        {
            var err = Text(e, F.ErrorCode);
            var target = Text(e, F.Bucket, 200);
            var key = Text(e, F.ObjectKey, 200);
            if (key.Length > 0) target = target + "/" + key;
            Cloud.Add(new CloudRec(e.TimestampTicks, Pool(Text(e, F.Arn)), Pool(Names.Address(Text(e, F.SourceIpAddress))),
                Pool(Text(e, F.EventNameA)), Pool(Text(e, F.EventSourceA)), err.Length > 0, Math.Max(0, Num(e, F.BytesOut)), target));
        }

        private void Logon(Event e, int id)
        {
            var account = Names.Account(Text(e, F.TargetDomainName), Text(e, F.TargetUserName));
            var addr = Names.Address(Text(e, F.IpAddress));
            var ws = Names.Host(Text(e, F.WorkstationName));
            // Which host an address belongs to: the logon names the client workstation (machine logons included).
            if (id == 4624 && addr.Length > 0 && ws.Length > 0 && Names.IsInternal(addr)) Vote(addr, ws);
            // A machine account logging on from an address names the machine at that address (WS16$ from 10.10.20.36).
            var target = Text(e, F.TargetUserName);
            if (id == 4624 && addr.Length > 0 && target.Length > 1 && target[^1] == '$' && Names.IsInternal(addr)) Vote(addr, Pool(Names.Host(target[..^1])));
            if (account.Length == 0) return;
            Logons.Add(new LogonRec(e.TimestampTicks, HostOf(e), id, (int)Num(e, F.LogonType), Pool(addr), Pool(account),
                Num(e, F.TargetLogonId), Pool(ws), "", "", -1, -1, ""));
        }

        private void Explicit(Event e)
        {
            var account = Names.Account(Text(e, F.TargetDomainName), Text(e, F.TargetUserName));
            var subject = Names.Account(Text(e, F.SubjectDomainName), Text(e, F.SubjectUserName));
            var server = Names.Host(Text(e, F.TargetServerName));
            if (server.Length == 0 || account.Length == 0) return;
            var host = HostOf(e);
            if (server == host || server == "LOCALHOST") return;
            Logons.Add(new LogonRec(e.TimestampTicks, host, 4648, 0, Pool(Names.Address(Text(e, F.IpAddress))), Pool(account), -1, "",
                Pool(server), Pool(subject), Num(e, F.SubjectLogonId), Num(e, F.ProcessId), Pool(Text(e, F.ProcessName))));
        }

        private void Privileged(Event e)
        {
            var account = Names.Account(Text(e, F.SubjectDomainName), Text(e, F.SubjectUserName));
            if (account.Length == 0) return;
            Logons.Add(new LogonRec(e.TimestampTicks, HostOf(e), 4672, 0, "", Pool(account), Num(e, F.SubjectLogonId), "", "", "", -1, -1, ""));
        }

        private void Service(Event e)
        {
            Services.Add(new ServiceRec(e.TimestampTicks, HostOf(e), Pool(Text(e, F.ServiceName)), Text(e, F.ImagePath),
                Pool(Text(e, F.AccountName))));
        }

        private void Task(Event e)
        {
            // The action's command sits in the task XML: <Command>...</Command>.
            var xml = Text(e, F.TaskContent, 4000);
            int a = xml.IndexOf("<Command>", StringComparison.OrdinalIgnoreCase), b = xml.IndexOf("</Command>", StringComparison.OrdinalIgnoreCase);
            var command = a >= 0 && b > a ? xml[(a + 9)..b].Trim() : "";
            Services.Add(new ServiceRec(e.TimestampTicks, HostOf(e), Pool(Text(e, F.TaskName)), command,
                Pool(Names.Account(Text(e, F.SubjectDomainName), Text(e, F.SubjectUserName))), IsTask: true));
        }

        private void Vote(string ip, string host)
        {
            AddressVotes[(ip, host)] = AddressVotes.GetValueOrDefault((ip, host)) + 1;
        }

        private void AddFlow(long ticks, string src, string dst, int port, long orig, long resp, bool failed)
        {
            if (!Flows.TryGetValue((src, dst), out var f)) Flows[(src, dst)] = f = new Flow { Source = src, Dest = dst };
            f.Add(ticks, port, orig, resp, failed);
        }
    }

    /// <summary>Ports of remote administration and file sharing that lateral movement rides on.</summary>
    public static bool IsAdminPort(int port) => port is 22 or 135 or 139 or 445 or 3389 or 5985 or 5986 or 1433 or 5900;

    /// <summary>Field ids, each with the spellings of the formats Vigil reads (flat Windows, Winlogbeat nested).</summary>
    private static class F
    {
        private static int[] Ids(params string[] names) => names.Select(FieldNames.Intern).ToArray();
        private static int[] W(string name) => Ids(name, "winlog.event_data." + name);
        public static readonly int[] Computers = Ids("Computer", "Hostname", "host.name", "winlog.computer_name", "ComputerName");
        public static readonly int[] Channels = Ids("Channel", "winlog.channel", "log_name");
        public static readonly int[] Providers = Ids("Provider_Name", "SourceName", "winlog.provider_name");
        public static readonly int[] ProcessGuid = W("ProcessGuid");
        public static readonly int[] ParentProcessGuid = W("ParentProcessGuid");
        public static readonly int[] ProcessId = W("ProcessId");
        public static readonly int[] ParentProcessId = W("ParentProcessId");
        public static readonly int[] NewProcessId = W("NewProcessId");
        public static readonly int[] NewProcessName = W("NewProcessName");
        public static readonly int[] ParentProcessName = W("ParentProcessName");
        public static readonly int[] Image = W("Image");
        public static readonly int[] ParentImage = W("ParentImage");
        public static readonly int[] CommandLine = W("CommandLine");
        public static readonly int[] User = W("User");
        public static readonly int[] LogonId = W("LogonId");
        public static readonly int[] SubjectUserName = W("SubjectUserName");
        public static readonly int[] SubjectDomainName = W("SubjectDomainName");
        public static readonly int[] SubjectLogonId = W("SubjectLogonId");
        public static readonly int[] TargetUserName = W("TargetUserName");
        public static readonly int[] TargetDomainName = W("TargetDomainName");
        public static readonly int[] TargetLogonId = W("TargetLogonId");
        public static readonly int[] TargetServerName = W("TargetServerName");
        public static readonly int[] LogonType = W("LogonType");
        public static readonly int[] IpAddress = W("IpAddress");
        public static readonly int[] WorkstationName = W("WorkstationName");
        public static readonly int[] ProcessName = W("ProcessName");
        public static readonly int[] SourceIp = W("SourceIp");
        public static readonly int[] DestinationIp = W("DestinationIp");
        public static readonly int[] DestinationPort = W("DestinationPort");
        public static readonly int[] DestinationHostname = W("DestinationHostname");
        public static readonly int[] Initiated = W("Initiated");
        public static readonly int[] ServiceName = W("ServiceName");
        public static readonly int[] ImagePath = Ids("ImagePath", "ServiceFileName", "winlog.event_data.ImagePath", "winlog.event_data.ServiceFileName");
        public static readonly int[] TaskName = W("TaskName");
        public static readonly int[] TaskContent = W("TaskContent");
        public static readonly int[] AccountName = Ids("AccountName", "ServiceAccount", "winlog.event_data.AccountName");
        public static readonly int ZeekOrig = FieldNames.Intern("id.orig_h");
        public static readonly int[] ZeekOrigA = [ZeekOrig];
        public static readonly int[] ZeekResp = Ids("id.resp_h");
        public static readonly int[] ZeekRespPort = Ids("id.resp_p");
        public static readonly int ConnState = FieldNames.Intern("conn_state");
        public static readonly int OrigBytes = FieldNames.Intern("orig_bytes");
        public static readonly int[] ConnStateA = [ConnState];
        public static readonly int[] OrigBytesA = [OrigBytes];
        public static readonly int[] RespBytes = Ids("resp_bytes");
        public static readonly int EventName = FieldNames.Intern("eventName");
        public static readonly int EventSource = FieldNames.Intern("eventSource");
        public static readonly int[] EventNameA = [EventName];
        public static readonly int[] EventSourceA = [EventSource];
        public static readonly int[] Arn = Ids("userIdentity.arn");
        public static readonly int[] SourceIpAddress = Ids("sourceIPAddress");
        public static readonly int[] ErrorCode = Ids("errorCode");
        public static readonly int[] Bucket = Ids("requestParameters.bucketName");
        public static readonly int[] ObjectKey = Ids("requestParameters.key");
        public static readonly int[] BytesOut = Ids("additionalEventData.bytesTransferredOut");
    }
}
