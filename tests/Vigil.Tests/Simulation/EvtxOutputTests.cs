using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Vigil.Diagnostics;
using Vigil.Events;
using Vigil.Readers.Evtx;
using Vigil.Simulation;

namespace Vigil.Tests.Simulation;

/// <summary>The same simulated day (seed 11, 20,000 events) written once as JSON lines and once as EVTX.</summary>
public sealed class EvtxOutputFixture : IDisposable
{
    public const int Seed = 11;
    public const int Events = 20000;
    public string JsonlDir { get; } = Path.Combine(Path.GetTempPath(), "vigil-simj-" + Guid.NewGuid().ToString("N"));
    public string EvtxDir { get; } = Path.Combine(Path.GetTempPath(), "vigil-simx-" + Guid.NewGuid().ToString("N"));
    public SimulationResult Jsonl { get; }
    public SimulationResult Evtx { get; }
    /// <summary>JSONL events by (Computer, Channel), in file order (EventRecordID order).</summary>
    public Dictionary<(string Computer, string Channel), List<JsonElement>> JsonlByLog { get; } = new();

    public EvtxOutputFixture()
    {
        Jsonl = Simulator.Run(new SimulationOptions { OutDir = JsonlDir, Events = Events, Seed = Seed, Format = "jsonl" });
        Evtx = Simulator.Run(new SimulationOptions { OutDir = EvtxDir, Events = Events, Seed = Seed, Format = "evtx" });
        foreach (var path in Jsonl.Files)
            foreach (var line in File.ReadLines(path))
            {
                var e = JsonDocument.Parse(line).RootElement.Clone();
                var key = (e.GetProperty("Computer").GetString()!, e.GetProperty("Channel").GetString()!);
                if (!JsonlByLog.TryGetValue(key, out var list)) JsonlByLog[key] = list = [];
                list.Add(e);
            }
    }

    public void Dispose()
    {
        foreach (var d in new[] { JsonlDir, EvtxDir })
            try { Directory.Delete(d, recursive: true); } catch (IOException) { }
    }
}

public sealed partial class EvtxOutputTests(EvtxOutputFixture fx) : IClassFixture<EvtxOutputFixture>
{
    /// <summary>JSONL keys that are not EventData (System values, or JSONL-only conveniences).</summary>
    private static readonly HashSet<string> JsonlSystemKeys = new(StringComparer.Ordinal)
    {
        "@timestamp", "TimeCreated", "EventID", "EventRecordID", "Channel", "Hostname", "Computer", "SourceName", "Provider_Name",
    };

    /// <summary>Fields Vigil's reader produces from the System section of the written events.</summary>
    private static readonly HashSet<string> EvtxSystemFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "Provider_Name", "Provider_Guid", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated",
        "EventRecordID", "Execution_ProcessID", "Execution_ThreadID", "Channel", "Computer", "Security_UserID",
    };

    private static IEnumerable<(string Name, string Value)> DataFields(JsonElement e) =>
        e.EnumerateObject().Where(p => !JsonlSystemKeys.Contains(p.Name)).Select(p => (p.Name, p.Value.GetString()!));

    private (string Computer, string Channel) LogOf(string evtxPath)
    {
        string host = Path.GetFileName(Path.GetDirectoryName(evtxPath)!);
        string channel = Path.GetFileNameWithoutExtension(evtxPath).Replace("%4", "/", StringComparison.Ordinal);
        return (host + ".corp.example", channel);
    }

    [Fact]
    public void OneFilePerHostAndChannelNamedAsWindowsDoes()
    {
        Assert.True(fx.Evtx.Files.Count >= 28 * 2, $"only {fx.Evtx.Files.Count} files");
        var logDir = Path.Combine(fx.EvtxDir, Simulator.LogFolder);
        var onDisk = Directory.GetFiles(logDir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        // Besides the EVTX files: the Zeek and CloudTrail JSON lines, the same as in jsonl format.
        Assert.Equal(onDisk, fx.Evtx.Files.Concat(fx.Evtx.SideFiles).Order(StringComparer.Ordinal).ToList());
        Assert.All(fx.Evtx.SideFiles, f => Assert.DoesNotContain(".evtx", f, StringComparison.Ordinal));
        string[] names = ["Security.evtx", "Microsoft-Windows-Sysmon%4Operational.evtx", "System.evtx", "Microsoft-Windows-PowerShell%4Operational.evtx"];
        foreach (var f in fx.Evtx.Files)
        {
            Assert.Contains(Path.GetFileName(f), names);
            Assert.True(fx.JsonlByLog.ContainsKey(LogOf(f)), $"{f}: no such host and channel in the JSONL output");
        }
        // Every host and channel with events in JSONL has its file.
        Assert.Equal(fx.JsonlByLog.Count, fx.Evtx.Files.Count);
        Assert.Equal(fx.Jsonl.EventCount, fx.Evtx.EventCount);
    }

    [Fact]
    public void EvtxexportReadsEveryRecordWithoutErrors()
    {
        string exe = RequireEvtxExport();
        long total = 0;
        foreach (var path in fx.Evtx.Files)
        {
            var (code, stdout, stderr) = Run(exe, "-f", "xml", path);
            Assert.True(code == 0, $"evtxexport failed on {path} (exit {code}): {stderr}");
            var problems = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith("evtxexport ", StringComparison.Ordinal)).ToList();
            Assert.True(problems.Count == 0, $"evtxexport reported on {path}: {string.Join(" | ", problems)}");
            var expected = fx.JsonlByLog[LogOf(path)];
            var events = EventBlocks(stdout);
            Assert.Equal(expected.Count, events.Count);
            for (int i = 0; i < events.Count; i++)
            {
                string x = events[i];
                var j = expected[i];
                string where = $"{path} event {i}";
                Assert.Equal(j.GetProperty("EventRecordID").GetInt64().ToString(CultureInfo.InvariantCulture), RecordIdRx().Match(x).Groups[1].Value);
                Assert.Equal(j.GetProperty("EventID").GetInt32().ToString(CultureInfo.InvariantCulture), EventIdRx().Match(x).Groups[1].Value);
                Assert.Equal(j.GetProperty("Computer").GetString(), ElementText(x, "Computer"));
                Assert.Equal(j.GetProperty("Channel").GetString(), ElementText(x, "Channel"));
                Assert.Contains($"<Provider Name=\"{j.GetProperty("Provider_Name").GetString()}\"", x, StringComparison.Ordinal);
                // libevtx prints FILETIME with 100 ns digits: 2026-03-10T00:00:39.232000000Z.
                string iso = j.GetProperty("TimeCreated").GetString()!;
                Assert.Contains($"SystemTime=\"{iso[..^1]}000000Z\"", x, StringComparison.Ordinal);
                var data = DataRx().Matches(x).Select(m => (m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : "")).ToList();
                var want = DataFields(j).ToList();
                Assert.True(want.Count == data.Count, $"{where}: {data.Count} Data items, JSONL has {want.Count}");
                for (int k = 0; k < want.Count; k++)
                {
                    Assert.Equal(want[k].Name, data[k].Item1);
                    // evtxexport escapes &, < and > in element text (as Event Viewer's export does).
                    string text = data[k].Item2.Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal)
                        .Replace("&amp;", "&", StringComparison.Ordinal);
                    Assert.True(want[k].Value == text, $"{where}: Data {want[k].Name} is '{data[k].Item2}', JSONL has '{want[k].Value}'");
                }
            }
            total += events.Count;

            // No recovered records: the free space of every chunk is clean.
            var (codeAll, all, _) = Run(exe, "-f", "xml", "-m", "recovered", path);
            Assert.Equal(0, codeAll);
            Assert.Empty(EventBlocks(all));
        }
        Assert.Equal(fx.Jsonl.EventCount, total);
    }

    [Fact]
    public void VigilReaderReadsBackTheJsonlEventsFieldForField()
    {
        long total = 0;
        foreach (var path in fx.Evtx.Files)
        {
            var diag = new DiagnosticsCollector();
            var read = new List<Dictionary<string, List<string>>>();
            var scratch = new Event();
            foreach (var p in new EvtxFormat().Partition(path, diag))
                p.Read(scratch, e =>
                {
                    var d = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
                    for (int i = 0; i < e.Count; i++)
                    {
                        if (!d.TryGetValue(e.NameAt(i), out var l)) d[e.NameAt(i)] = l = [];
                        l.Add(e.ValueAt(i).ToString());
                    }
                    d["@ts"] = [new DateTime(e.TimestampTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)];
                    read.Add(d);
                }, diag);
            Assert.True(diag.Errors.Count == 0, $"{path}: {string.Join(" | ", diag.Errors)}");
            var expected = fx.JsonlByLog[LogOf(path)];
            Assert.Equal(expected.Count, read.Count);
            for (int i = 0; i < read.Count; i++)
            {
                var got = read[i];
                var j = expected[i];
                string where = $"{path} event {i}";
                string One(string name) { Assert.True(got.TryGetValue(name, out var v) && v.Count == 1, $"{where}: {name} missing or repeated"); return v![0]; }
                Assert.Equal(j.GetProperty("EventID").GetInt32().ToString(CultureInfo.InvariantCulture), One("EventID"));
                Assert.Equal(j.GetProperty("EventRecordID").GetInt64().ToString(CultureInfo.InvariantCulture), One("EventRecordID"));
                Assert.Equal(j.GetProperty("Channel").GetString(), One("Channel"));
                Assert.Equal(j.GetProperty("Computer").GetString(), One("Computer"));
                Assert.Equal(j.GetProperty("Provider_Name").GetString(), One("Provider_Name"));
                Assert.Equal(j.GetProperty("TimeCreated").GetString(), got["@ts"][0]);
                Assert.True(DateTime.TryParse(One("TimeCreated"), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var tc)
                    && tc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) == j.GetProperty("TimeCreated").GetString(),
                    $"{where}: TimeCreated {One("TimeCreated")}");
                var want = DataFields(j).ToList();
                foreach (var (name, value) in want)
                    Assert.True(got.TryGetValue(name, out var v) && v.Count == 1 && v[0] == value,
                        $"{where}: {name} is {(v is null ? "missing" : "'" + string.Join("', '", v) + "'")}, JSONL has '{value}'");
                // Nothing beyond the System section and the JSONL's own data fields.
                var extra = got.Keys.Where(k => k != "@ts" && !EvtxSystemFields.Contains(k) && !want.Any(w => string.Equals(w.Name, k, StringComparison.OrdinalIgnoreCase))).ToList();
                Assert.True(extra.Count == 0, $"{where}: unexpected fields {string.Join(", ", extra)}");
            }
            total += read.Count;
        }
        Assert.Equal(fx.Jsonl.EventCount, total);
    }

    [Fact]
    public void HeadersAndChecksumsAreConsistent()
    {
        foreach (var path in fx.Evtx.Files)
        {
            byte[] f = File.ReadAllBytes(path);
            Assert.True(f.Length > 4096 && (f.Length - 4096) % 65536 == 0, $"{path}: size {f.Length} is not header + whole chunks");
            int chunks = (f.Length - 4096) / 65536;
            var h = f.AsSpan(0, 4096);
            Assert.True(h[..8].SequenceEqual("ElfFile\0"u8));
            Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(h[..120]), BinaryPrimitives.ReadUInt32LittleEndian(h[124..]));
            Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(h[8..]));
            Assert.Equal((ulong)(chunks - 1), BinaryPrimitives.ReadUInt64LittleEndian(h[16..]));
            Assert.Equal(128u, BinaryPrimitives.ReadUInt32LittleEndian(h[32..]));
            Assert.Equal(4096, BinaryPrimitives.ReadUInt16LittleEndian(h[40..]));
            Assert.Equal(chunks, BinaryPrimitives.ReadUInt16LittleEndian(h[42..]));
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(h[120..])); // clean
            var expected = fx.JsonlByLog[LogOf(path)];
            long first = expected[0].GetProperty("EventRecordID").GetInt64();
            long last = expected[^1].GetProperty("EventRecordID").GetInt64();
            Assert.Equal((ulong)(last + 1), BinaryPrimitives.ReadUInt64LittleEndian(h[24..]));

            long nextId = first;
            for (int c = 0; c < chunks; c++)
            {
                var ch = f.AsSpan(4096 + c * 65536, 65536);
                string where = $"{path} chunk {c}";
                Assert.True(ch[..8].SequenceEqual("ElfChnk\0"u8), where);
                var crc = new System.IO.Hashing.Crc32();
                crc.Append(ch[..120]);
                crc.Append(ch[128..512]);
                Assert.True(crc.GetCurrentHashAsUInt32() == BinaryPrimitives.ReadUInt32LittleEndian(ch[124..]), $"{where}: header CRC");
                int free = (int)BinaryPrimitives.ReadUInt32LittleEndian(ch[48..]);
                Assert.InRange(free, 512 + 28, 65536);
                Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(ch[120..])); // as in Windows-written chunks
                Assert.True(System.IO.Hashing.Crc32.HashToUInt32(ch[512..free]) == BinaryPrimitives.ReadUInt32LittleEndian(ch[52..]), $"{where}: records CRC");
                Assert.True(ch[free..].IndexOfAnyExcept((byte)0) < 0, $"{where}: free space is not zero");
                // Walk the records: consecutive ids, sizes and size copies, last record offset.
                int off = 512, lastOff = 0;
                long firstInChunk = nextId;
                while (off < free)
                {
                    Assert.Equal(0x2a2au, BinaryPrimitives.ReadUInt32LittleEndian(ch[off..]));
                    int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(ch[(off + 4)..]);
                    Assert.Equal((uint)size, BinaryPrimitives.ReadUInt32LittleEndian(ch[(off + size - 4)..]));
                    Assert.Equal((ulong)nextId++, BinaryPrimitives.ReadUInt64LittleEndian(ch[(off + 8)..]));
                    lastOff = off;
                    off += size;
                }
                Assert.Equal(free, off);
                Assert.Equal((uint)lastOff, BinaryPrimitives.ReadUInt32LittleEndian(ch[44..]));
                Assert.Equal((ulong)firstInChunk, BinaryPrimitives.ReadUInt64LittleEndian(ch[8..]));
                Assert.Equal((ulong)firstInChunk, BinaryPrimitives.ReadUInt64LittleEndian(ch[24..]));
                Assert.Equal((ulong)(nextId - 1), BinaryPrimitives.ReadUInt64LittleEndian(ch[16..]));
                Assert.Equal((ulong)(nextId - 1), BinaryPrimitives.ReadUInt64LittleEndian(ch[32..]));
            }
            Assert.Equal(last + 1, nextId);

            // Vigil's reader checks the same checksums and reports any mismatch.
            var diag = new DiagnosticsCollector();
            var scratch = new Event();
            foreach (var p in new EvtxFormat().Partition(path, diag)) p.Read(scratch, _ => { }, diag);
            Assert.True(diag.Errors.Count == 0, $"{path}: {string.Join(" | ", diag.Errors)}");
        }
    }

    [Fact]
    public void LargeFilesSpanSeveralChunksWithTemplatesDefinedPerChunk()
    {
        int multiChunkFiles = 0, maxChunks = 0;
        foreach (var path in fx.Evtx.Files)
        {
            byte[] f = File.ReadAllBytes(path);
            int chunks = (f.Length - 4096) / 65536;
            if (chunks > 1) multiChunkFiles++;
            maxChunks = Math.Max(maxChunks, chunks);
            var guidsSeenInFile = new Dictionary<Guid, int>();
            for (int c = 0; c < chunks; c++)
            {
                var ch = f.AsSpan(4096 + c * 65536, 65536);
                int free = (int)BinaryPrimitives.ReadUInt32LittleEndian(ch[48..]);
                var defined = new Dictionary<int, Guid>();
                int off = 512, records = 0;
                while (off < free)
                {
                    int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(ch[(off + 4)..]);
                    Assert.True(size % 8 == 0, $"{path} chunk {c}: record size {size} is not a multiple of 8 (Windows pads records)");
                    int x = off + 24;
                    Assert.True(ch.Slice(x, 4).SequenceEqual(new byte[] { 0x0f, 1, 1, 0 }), $"{path} chunk {c}: fragment header");
                    Assert.Equal(0x0c, ch[x + 4]);
                    uint id = BinaryPrimitives.ReadUInt32LittleEndian(ch[(x + 6)..]);
                    int def = (int)BinaryPrimitives.ReadUInt32LittleEndian(ch[(x + 10)..]);
                    if (def == x + 14)
                    {
                        // Inline definition: next offset, GUID, size, then the body, whose first bytes are a fragment header.
                        var guid = new Guid(ch.Slice(def + 4, 16));
                        Assert.DoesNotContain(guid, defined.Values); // one definition per shape per chunk
                        Assert.Equal(id, BinaryPrimitives.ReadUInt32LittleEndian(ch[(def + 4)..]));
                        Assert.Equal(0x0f, ch[def + 24]);
                        defined[def] = guid;
                        guidsSeenInFile[guid] = guidsSeenInFile.GetValueOrDefault(guid) + 1;
                        // The template pointer table chains every definition from its bucket.
                        Assert.True(TemplateTableHolds(ch, def, guid), $"{path} chunk {c}: definition at 0x{def:x} not in the template table");
                    }
                    else
                    {
                        Assert.True(defined.ContainsKey(def), $"{path} chunk {c} record at 0x{off:x}: template reference 0x{def:x} is not a definition earlier in this chunk");
                    }
                    records++;
                    off += size;
                }
                Assert.True(records > 0, $"{path} chunk {c} is empty");
                Assert.True(CheckStringTable(ch, $"{path} chunk {c}") >= 20, $"{path} chunk {c}: string table holds too few names");
            }
            // In a multi-chunk file the common shapes are redefined in (nearly) every chunk.
            if (chunks >= 4)
                Assert.True(guidsSeenInFile.Values.Max() >= chunks - 1, $"{path}: {chunks} chunks, but no shape is defined in more than {guidsSeenInFile.Values.Max()} of them");
        }
        Assert.True(multiChunkFiles >= 10, $"only {multiChunkFiles} files span more than one chunk");
        Assert.True(maxChunks >= 10, $"the largest file has only {maxChunks} chunks");
    }

    /// <summary>Windows' hash (h = h * 65599 + unit) over UTF-16 units, or over a GUID's bytes as eight 16-bit units.</summary>
    private static uint Hash65599(ReadOnlySpan<byte> units)
    {
        uint h = 0;
        for (int i = 0; i + 1 < units.Length; i += 2) h = h * 65599 + BinaryPrimitives.ReadUInt16LittleEndian(units[i..]);
        return h;
    }

    /// <summary>Every name in the common string table sits in bucket hash % 64 with its Windows hash.</summary>
    private static int CheckStringTable(ReadOnlySpan<byte> chunk, string where)
    {
        int names = 0;
        for (int b = 0; b < 64; b++)
        {
            int at = (int)BinaryPrimitives.ReadUInt32LittleEndian(chunk[(128 + 4 * b)..]);
            for (int guard = 0; at != 0; guard++)
            {
                Assert.True(guard < 1000, $"{where}: string table bucket {b} loops");
                ushort hash = BinaryPrimitives.ReadUInt16LittleEndian(chunk[(at + 4)..]);
                int chars = BinaryPrimitives.ReadUInt16LittleEndian(chunk[(at + 6)..]);
                Assert.Equal((ushort)Hash65599(chunk.Slice(at + 8, chars * 2)), hash);
                Assert.Equal(b, hash % 64);
                names++;
                at = (int)BinaryPrimitives.ReadUInt32LittleEndian(chunk[at..]);
            }
        }
        return names;
    }

    private static bool TemplateTableHolds(ReadOnlySpan<byte> chunk, int def, Guid guid)
    {
        Span<byte> g = stackalloc byte[16];
        guid.TryWriteBytes(g);
        int at = (int)BinaryPrimitives.ReadUInt32LittleEndian(chunk[(384 + 4 * (int)((Hash65599(g) & 0xffff) % 32))..]);
        for (int guard = 0; at != 0 && guard < 1000; guard++)
        {
            if (at == def) return true;
            at = (int)BinaryPrimitives.ReadUInt32LittleEndian(chunk[at..]);
        }
        return false;
    }

    [Fact]
    public void TruthMatchesTheJsonlTruthExceptFileNames()
    {
        var tj = fx.Jsonl.Truth;
        var tx = fx.Evtx.Truth;
        Assert.Equal(tj.IntrusionStart, tx.IntrusionStart);
        Assert.Equal(tj.IntrusionEnd, tx.IntrusionEnd);
        Assert.Equal(tj.CompromisedHosts, tx.CompromisedHosts);
        Assert.Equal(tj.CompromisedAccounts, tx.CompromisedAccounts);
        Assert.Equal(tj.CreatedAccounts, tx.CreatedAccounts);
        Assert.Equal(tj.ExternalIps, tx.ExternalIps);
        Assert.Equal(tj.FootholdIp, tx.FootholdIp);
        var channelOfJsonl = new Dictionary<string, string>
        {
            ["security.jsonl"] = "Security", ["sysmon.jsonl"] = "Microsoft-Windows-Sysmon%4Operational",
            ["system.jsonl"] = "System", ["powershell.jsonl"] = "Microsoft-Windows-PowerShell%4Operational",
        };
        // Zeek and CloudTrail records are JSON lines in both formats: their labels are identical.
        static bool Win(LabelledEvent l) => l.Source == "windows";
        Assert.Equal(tj.IntrusionEvents.Where(l => !Win(l)).Select(l => (l.File, l.Line, l.RecordId, l.Timestamp, l.Step)),
            tx.IntrusionEvents.Where(l => !Win(l)).Select(l => (l.File, l.Line, l.RecordId, l.Timestamp, l.Step)));
        var pairs = tj.IntrusionEvents.Where(Win).Zip(tx.IntrusionEvents.Where(Win)).Concat(tj.BenignLookalikes.Where(Win).Zip(tx.BenignLookalikes.Where(Win))).ToList();
        Assert.Equal(tj.IntrusionEvents.Count(Win) + tj.BenignLookalikes.Count(Win), pairs.Count);
        Assert.Equal(tx.IntrusionEvents.Count(Win) + tx.BenignLookalikes.Count(Win), pairs.Count);
        var evtxRoot = Path.Combine(fx.EvtxDir, Simulator.LogFolder);
        var byFile = new Dictionary<string, Dictionary<long, string>>();
        foreach (var (j, x) in pairs)
        {
            Assert.Equal((j.EventRecordID, j.Hostname, j.EventID, j.Timestamp, j.Kind, j.Technique, j.Tactic, j.Step),
                (x.EventRecordID, x.Hostname, x.EventID, x.Timestamp, x.Kind, x.Technique, x.Tactic, x.Step));
            string host = j.Hostname[..j.Hostname.IndexOf('.')];
            Assert.Equal($"{host}/{channelOfJsonl[j.File]}.evtx", x.File);
            // The labelled record exists in that file with that EventID (read with Vigil).
            if (!byFile.TryGetValue(x.File, out var ids))
            {
                ids = byFile[x.File] = [];
                var diag = new DiagnosticsCollector();
                var scratch = new Event();
                foreach (var p in new EvtxFormat().Partition(Path.Combine(evtxRoot, x.File), diag))
                    p.Read(scratch, e => ids[long.Parse(e.GetString(WellKnownFields.EventRecordID)!, CultureInfo.InvariantCulture)] = e.GetString(WellKnownFields.EventID)!, diag);
                Assert.Equal(0, diag.Count);
            }
            Assert.True(ids.TryGetValue(x.EventRecordID, out var eid) && eid == x.EventID.ToString(CultureInfo.InvariantCulture),
                $"truth names {x.File} record {x.EventRecordID} (EventID {x.EventID}), which is not there");
        }
        // Per-file counts add up to the same per-channel totals.
        Assert.Equal(tj.EventsPerFile.Values.Sum(), tx.EventsPerFile.Values.Sum());
        foreach (var (jf, ch) in channelOfJsonl)
            Assert.Equal(tj.EventsPerFile.GetValueOrDefault(jf), tx.EventsPerFile.Where(k => k.Key.EndsWith("/" + ch + ".evtx", StringComparison.Ordinal)).Sum(k => k.Value));
        Assert.Contains("\"file\": \"", File.ReadAllText(fx.Evtx.TruthPath), StringComparison.Ordinal);
    }

    [Fact]
    public void SameSeedGivesByteIdenticalEvtxAndOtherSeedDiffers()
    {
        string a = TempDir(), b = TempDir(), c = TempDir();
        try
        {
            var ra = Simulator.Run(new SimulationOptions { OutDir = a, Events = 4000, Seed = 5, Format = "evtx" });
            var rb = Simulator.Run(new SimulationOptions { OutDir = b, Events = 4000, Seed = 5, Format = "evtx" });
            Simulator.Run(new SimulationOptions { OutDir = c, Events = 4000, Seed = 6, Format = "evtx" });
            var names = ra.Files.Select(f => Path.GetRelativePath(a, f)).Append("truth.json").ToList();
            Assert.Equal(names, rb.Files.Select(f => Path.GetRelativePath(b, f)).Append("truth.json").ToList());
            foreach (var n in names)
                Assert.True(File.ReadAllBytes(Path.Combine(a, n)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, n))), $"{n} differs between two runs with seed 5");
            string sec = Path.Combine("logs", "DC01", "Security.evtx");
            Assert.False(File.ReadAllBytes(Path.Combine(a, sec)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(c, sec))), "seeds 5 and 6 gave the same DC01 Security.evtx");
        }
        finally
        {
            foreach (var d in new[] { a, b, c }) if (Directory.Exists(d)) Directory.Delete(d, true);
        }
    }

    // ---- helpers ----

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "vigil-simx-" + Guid.NewGuid().ToString("N"));

    private static string RequireEvtxExport()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "evtxexport");
            if (File.Exists(p)) return p;
        }
        Assert.Fail("evtxexport (libevtx-utils) is not installed; the simulator's EVTX output is checked against it. Install with: apt-get install -y libevtx-utils");
        return "";
    }

    private static (int Code, string Stdout, string Stderr) Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        var err = proc.StandardError.ReadToEndAsync();
        string output = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        return (proc.ExitCode, output, err.Result);
    }

    /// <summary>The text of each &lt;Event&gt; document evtxexport printed, in order.</summary>
    private static List<string> EventBlocks(string output)
    {
        var list = new List<string>();
        int pos = 0;
        while ((pos = output.IndexOf("<Event xmlns", pos, StringComparison.Ordinal)) >= 0)
        {
            int end = output.IndexOf("</Event>", pos, StringComparison.Ordinal);
            if (end < 0) throw new InvalidOperationException("evtxexport output ends inside an event");
            list.Add(output[pos..(end + 8)]);
            pos = end + 8;
        }
        return list;
    }

    private static string ElementText(string xml, string element)
    {
        var m = Regex.Match(xml, $"<{element}>(.*?)</{element}>", RegexOptions.Singleline);
        return m.Success ? m.Groups[1].Value : "";
    }

    [GeneratedRegex(@"<EventRecordID>(\d+)</EventRecordID>")] private static partial Regex RecordIdRx();
    [GeneratedRegex(@"<EventID>(\d+)</EventID>")] private static partial Regex EventIdRx();
    // <Data Name="X">value</Data> or <Data Name="X"/> (empty); values may span lines.
    [GeneratedRegex("<Data Name=\"([^\"]*)\"(?:/>|>(.*?)</Data>)", RegexOptions.Singleline)] private static partial Regex DataRx();
}

/// <summary>Hunting the EVTX output finds exactly what hunting the JSON lines of the same day finds.</summary>
public sealed class EvtxHuntParityTests
{
    [Fact]
    public void HuntingEvtxAndJsonlOfTheSameSeedGivesTheSameDetections()
    {
        string j = Vigil.Tests.Cli.CliRunner.TempDir("sim-parity-j"), x = Vigil.Tests.Cli.CliRunner.TempDir("sim-parity-x");
        Assert.Equal(0, Vigil.Tests.Cli.CliRunner.Run("simulate", "--out", j, "--events", "6000", "--seed", "5", "-q").ExitCode);
        var sim = Vigil.Tests.Cli.CliRunner.Run("simulate", "--out", x, "--events", "6000", "--seed", "5", "--format", "evtx");
        Assert.Equal(0, sim.ExitCode);
        Assert.Contains("files, one per host and channel", sim.Error, StringComparison.Ordinal);

        List<JsonElement> Hunt(string dir)
        {
            var r = Vigil.Tests.Cli.CliRunner.Run("hunt", Path.Combine(dir, "logs"), "--format", "jsonl");
            Assert.True(r.ExitCode == 0, r.Error);
            return r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        }
        // Zeek and CloudTrail detections (the same JSON files in both formats) have no event or record id.
        static (string, string, string, string, string, string) Key(JsonElement d) => (d.GetProperty("rule_id").GetString()!, d.GetProperty("computer").GetString()!,
            d.GetProperty("channel").GetString()!, d.GetProperty("event_id").GetRawText(), d.GetProperty("record_id").GetRawText(), d.GetProperty("timestamp").GetString()!);
        var fromJsonl = Hunt(j);
        var fromEvtx = Hunt(x);
        Assert.True(fromJsonl.Count > 20, $"only {fromJsonl.Count} detections");
        Assert.Equal(fromJsonl.Select(Key).Order().ToList(), fromEvtx.Select(Key).Order().ToList());

        // Every serious EVTX detection is a labelled intrusion event, found by the truth's file name and record id.
        var truth = JsonDocument.Parse(File.ReadAllText(Path.Combine(x, "truth.json"))).RootElement;
        // Windows events are named by file and record id, Zeek and CloudTrail records by file and line.
        var intrusion = truth.GetProperty("intrusionEvents").EnumerateArray()
            .Select(e => (e.GetProperty("file").GetString()!, e.TryGetProperty("EventRecordID", out var rid) ? rid.GetInt64() : -e.GetProperty("line").GetInt64())).ToHashSet();
        string logs = Path.Combine(x, "logs");
        var serious = fromEvtx.Where(d => d.GetProperty("level").GetString() is "high" or "critical").ToList();
        Assert.NotEmpty(serious);
        foreach (var d in serious)
        {
            string file = Path.GetRelativePath(logs, d.GetProperty("source").GetString()!).Replace('\\', '/');
            long id = d.GetProperty("record_id").ValueKind == JsonValueKind.Number ? d.GetProperty("record_id").GetInt64() : -d.GetProperty("line").GetInt64();
            Assert.True(intrusion.Contains((file, id)), $"serious detection not labelled as intrusion: {file} {d}");
        }
    }
}
