using System.Globalization;
using Vigil.Campaigns;
using Vigil.Campaigns.Context;
using Vigil.Campaigns.Linking;
using Vigil.Campaigns.Scoring;
using Vigil.Rules;

namespace Vigil.Tests.Campaigns;

/// <summary>
/// CloudTrail calls in the campaign context as rows (issue 4): a million S3 GetObject calls, each for its own object,
/// held ~600 MB as records. The store must give back every call, its time index the calls and order a list of records
/// gave, and bulk reads must still be found from the calls read one at a time.
/// </summary>
public sealed class CloudStoreTests
{
    /// <summary>A detection of a search for cloud keys on disk (findstr aws_secret_access_key).</summary>
    private const string KeySearchRule = """
        title: Cloud key search
        id: 30000000-0000-0000-0000-000000000002
        status: test
        level: high
        tags:
            - attack.credential-access
        logsource:
            category: process_creation
            product: windows
        detection:
            selection:
                CommandLine|contains: aws_secret_access_key
            condition: selection
        """;

    /// <summary>A rule for S3 GetObject calls that also match <paramref name="selection"/> (one YAML line of the selection).</summary>
    private static string S3ReadsRule(string title, string id, string selection) => $"""
        title: {title}
        id: {id}
        status: test
        level: medium
        tags:
            - attack.collection
        logsource:
            product: aws
            service: cloudtrail
        detection:
            selection:
                eventName: GetObject
                {selection}
            condition: selection
        """;

    /// <summary>One CloudTrail S3 GetObject record (with its bytes sent when <paramref name="bytes"/> is not negative).</summary>
    private static string GetObject(DateTime t, string identityType, string arn, string address, string bucket, string key, long bytes = -1) =>
        "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"" + identityType + "\",\"arn\":\"" + arn + "\",\"accountId\":\"993371209645\"},"
        + "\"eventTime\":\"" + t.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "\","
        + "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"eu-central-1\","
        + "\"sourceIPAddress\":\"" + address + "\",\"requestParameters\":{\"bucketName\":\"" + bucket + "\",\"key\":\"" + key + "\"},"
        + (bytes >= 0 ? "\"additionalEventData\":{\"bytesTransferredOut\":" + bytes + "}," : "") + "\"eventType\":\"AwsApiCall\"}";

    [Fact]
    public void Cloud_rows_and_their_time_index_equal_records_and_an_index_of_records()
    {
        var random = new Random(11);
        string[] arns = ["arn:aws:iam::1:user/a", "arn:aws:iam::1:user/b", "", "arn:aws:sts::1:assumed-role/r/i-1"];
        string[] addresses = ["3.92.1.1", "10.0.0.5", "", "198.51.100.7"];
        var records = new List<CloudRec>();
        for (int i = 0; i < 2_000; i++)
            records.Add(new CloudRec(TimeSpan.TicksPerSecond * random.Next(300), arns[random.Next(arns.Length)], addresses[random.Next(addresses.Length)],
                random.Next(3) == 0 ? "PutObject" : "GetObject", "s3.amazonaws.com", random.Next(10) == 0, random.Next(100_000),
                random.Next(5) == 0 ? "" : $"bucket-{i % 3}/key/{i}"));
        // Tiny pages and no text kept in memory: every row and text goes through the files.
        var store = new CloudStore(pageRows: 3, cachePages: 2, textChars: 0);
        foreach (var r in records) store.Add(r);
        Assert.Equal(records.Count, store.Count);
        Assert.True(store.SpilledRows >= records.Count - 3);
        Assert.Equal(records, store.ToList());
        for (int i = 0; i < records.Count; i += 7)
        {
            Assert.Equal(records[i].Arn, store.Arn(i));
            Assert.Equal(records[i].SourceAddress, store.SourceAddress(i));
            Assert.Equal(records[i].Ticks, store.Ticks(i));
        }
        // Many calls share a time: the order among them must be the records' index's.
        var byArn = new TimeIndex<CloudRec>(records, c => c.Arn, c => c.Ticks);
        var byAddress = new TimeIndex<CloudRec>(records, c => c.SourceAddress, c => c.Ticks);
        using var rowsByArn = new StoreTimeIndex<CloudRec>(store.Count, store.Arn, store.Ticks, i => store[i]);
        using var rowsByAddress = new StoreTimeIndex<CloudRec>(store.Count, store.SourceAddress, store.Ticks, i => store[i]);
        for (int k = 0; k < 200; k++)
        {
            long from = TimeSpan.TicksPerSecond * random.Next(-10, 300), to = from + TimeSpan.TicksPerSecond * random.Next(0, 120);
            foreach (var key in arns) Assert.Equal(byArn.In(key, from, to), rowsByArn.In(key, from, to));
            foreach (var key in addresses) Assert.Equal(byAddress.In(key, from, to), rowsByAddress.In(key, from, to));
        }
        Assert.Empty(rowsByArn.In("arn:none", long.MinValue, long.MaxValue));
        Assert.Equal(records.Count(r => r.Arn == arns[0]), rowsByArn.Positions(arns[0], long.MinValue, long.MaxValue).Distinct().Count());
    }

    /// <summary>A CloudTrail day with a burst of GetObject calls by one identity from two addresses and a snapshot shared:
    /// the campaign's theft steps, counted from the calls (all within 31 seconds, inside any campaign's window).</summary>
    [Fact]
    public void Bulk_reads_and_snapshot_sharing_are_found_from_the_stored_calls()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cloud-");
        try
        {
            var path = Path.Combine(dir.FullName, "cloudtrail.json");
            var start = new DateTime(2026, 3, 10, 1, 0, 0, DateTimeKind.Utc);
            const string arn = "arn:aws:sts::993371209645:assumed-role/backup-sync/i-09c164c98302d6e2e";
            using (var w = new StreamWriter(path))
            {
                string Line(int i, string name, string address, string request, long bytes) =>
                    "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"" + arn + "\",\"accountId\":\"993371209645\"},"
                    + "\"eventTime\":\"" + start.AddMilliseconds(100 * i).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + "\","
                    + "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"" + name + "\",\"awsRegion\":\"eu-central-1\","
                    + "\"sourceIPAddress\":\"" + address + "\",\"requestParameters\":" + request + ","
                    + "\"additionalEventData\":{\"bytesTransferredOut\":" + bytes + "},\"eventType\":\"AwsApiCall\"}";
                for (int i = 0; i < 300; i++)
                    w.WriteLine(Line(i, "GetObject", i % 3 == 0 ? "198.51.100.7" : "3.92.1.1",
                        "{\"bucketName\":\"" + (i < 10 ? "customer-payments" : i % 2 == 0 ? "wifi-logs" : "crm-exports") + "\",\"key\":\"exports/" + i + ".csv\"}", 1000 + i));
                w.WriteLine(Line(305, "ModifySnapshotAttribute", "3.92.1.1", "{\"snapshotId\":\"snap-1\"}", 0));
            }
            // A rule naming the reads from one address puts that address in the campaign: its calls are then found both by
            // identity and by address, and must count once.
            var rule = Path.Combine(dir.FullName, "reads.yml");
            File.WriteAllText(rule, S3ReadsRule("S3 reads from a watched address", "30000000-0000-0000-0000-000000000001", "sourceIPAddress: 3.92.1.1"));
            var set = RuleLoader.Load([rule], includeBuiltin: true);
            Assert.Empty(set.Errors);
            var collector = OtrfRecordings.Hunt(set, new CampaignCollector(pageRows: 3, cachePages: 2, textChars: 0), [path]);
            Assert.Equal(301, collector.Context.Cloud.Count);
            var campaigns = collector.Build();
            var theft = campaigns.SelectMany(c => c.Theft).Where(t => t.Kind == "cloud-bulk-read").ToList();
            var bulk = Assert.Single(theft);
            Assert.Contains(campaigns, c => c.ExternalAddresses.Contains("3.92.1.1") && c.Theft.Any(t => t.Kind == "cloud-bulk-read"));
            long bytes = Enumerable.Range(0, 300).Sum(i => 1000L + i);
            Assert.Equal(bytes, bulk.Bytes);
            Assert.Equal("3.92.1.1", bulk.Destination); // 200 of the 300 reads
            Assert.Equal("300 GetObject calls (up to 300 in 10 minutes) from customer-payments, wifi-logs, crm-exports, 344850 bytes", bulk.Detail);
            Assert.Equal(start, bulk.Time);
            var share = Assert.Single(campaigns.SelectMany(c => c.Theft), t => t.Kind == "snapshot-share");
            Assert.Equal("ModifySnapshotAttribute ", share.Detail);
            Assert.Equal(start.AddMilliseconds(100 * 305), share.Time);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>An agent minting a role session per few calls: seven identities read from one watched address (a rule per
    /// read, which puts them in one campaign) and from another. The campaign's identities are listed past the memory of
    /// two (Tiny) or in memory: the same campaigns, and the bulk read counts every call of every identity once.</summary>
    [Fact]
    public void Bulk_reads_by_many_identities_are_found_alike_with_identities_in_files()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cloud-ids-");
        try
        {
            var path = Path.Combine(dir.FullName, "cloudtrail.json");
            var start = new DateTime(2026, 3, 10, 1, 0, 0, DateTimeKind.Utc);
            using (var w = new StreamWriter(path))
                for (int i = 0; i < 420; i++)
                    w.WriteLine(GetObject(start.AddMilliseconds(250 * (i / 2)), "AssumedRole", "arn:aws:sts::993371209645:assumed-role/agent/session-" + (i / 3 % 7),
                        i % 4 == 0 ? "198.51.100.7" : "3.92.1.1", i % 5 == 0 ? "wifi-logs" : "customer-payments", "k/" + i, 100 + i));
            var rule = Path.Combine(dir.FullName, "reads.yml");
            File.WriteAllText(rule, S3ReadsRule("S3 reads from a watched address", "30000000-0000-0000-0000-000000000002", "sourceIPAddress: 3.92.1.1"));
            var set = RuleLoader.Load([rule], includeBuiltin: false);
            Assert.Empty(set.Errors);
            var collector = OtrfRecordings.Hunt(set, new CampaignCollector(), [path]);
            var viaFiles = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.Tiny);
            var inMemory = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.InMemory);
            Assert.Equal(OtrfRecordings.Json(inMemory), OtrfRecordings.Json(viaFiles));
            var bulk = Assert.Single(viaFiles.SelectMany(c => c.Theft), t => t.Kind == "cloud-bulk-read");
            Assert.Equal("420 GetObject calls (up to 420 in 10 minutes) from wifi-logs, customer-payments, 129990 bytes", bulk.Detail);
            Assert.Equal(Enumerable.Range(0, 420).Sum(i => 100L + i), bulk.Bytes);
            Assert.Equal("3.92.1.1", bulk.Destination);
            Assert.Equal(315, bulk.DetectionIds.Count);   // the rule's reads (from the watched address), ids ascending
            Assert.Equal(bulk.DetectionIds.Order(), bulk.DetectionIds);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A cloud identity's first use from a new address within a day after a host searched for cloud keys joins the
    /// host's campaign and the identity's. Only the first use counts: an address the identity already used before the search
    /// joins nothing, however often it is used after.</summary>
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void A_cloud_key_search_joins_the_identity_first_used_from_a_new_address_after_it(bool usedBefore, bool joined)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cloudkey-");
        try
        {
            const string arn = "arn:aws:iam::993371209645:user/payments-sync";
            var day = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);
            var s = new EventSet();
            s.Process(day.AddHours(10), "WS7", "{K-1}", "{K-0}", "C:\\Windows\\System32\\findstr.exe",
                "findstr /si aws_secret_access_key C:\\Users\\*.ini", "CORP\\eve", "0x9000", "C:\\Windows\\System32\\cmd.exe");
            var windows = s.Write(dir.FullName);
            var cloud = Path.Combine(dir.FullName, "cloudtrail.json");
            string Call(DateTime t, string address) => GetObject(t, "IAMUser", arn, address, "customer-payments", "a.csv");
            var calls = new List<string> { Call(day.AddHours(8), "198.51.100.1") };
            if (usedBefore) calls.Add(Call(day.AddHours(9), "203.0.113.9"));
            for (int i = 0; i < 5; i++) calls.Add(Call(day.AddHours(11).AddMinutes(i), "203.0.113.9"));
            File.WriteAllLines(cloud, calls);
            var rules = Path.Combine(dir.FullName, "rules.yml");
            File.WriteAllText(rules, KeySearchRule + "\n---\n" + S3ReadsRule("S3 reads from an unknown address", "30000000-0000-0000-0000-000000000003", "sourceIPAddress: 203.0.113.9"));
            var set = RuleLoader.Load([rules], includeBuiltin: false);
            Assert.Empty(set.Errors);
            var collector = OtrfRecordings.Hunt(set, new CampaignCollector(), [windows, cloud]);
            var campaigns = collector.Build();
            var host = Assert.Single(campaigns, c => c.Hosts.Contains("WS7"));
            Assert.Equal(joined, host.Users.Any(u => u.Contains("payments-sync", StringComparison.Ordinal)));
            Assert.Equal(joined ? 1 : 2, campaigns.Count);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Forty role sessions, each first used from its own address before a cloud-key search on WS7 (no join) and
    /// from a shared proxy after it (a join), and ten more that used their proxy before the search as well as after it. The identities and their first uses are joined
    /// through sorts: in 5-row runs (Tiny) and in memory, the same campaigns; the sessions first used from the proxy after
    /// the search are WS7's, the others are not.</summary>
    [Fact]
    public void Cloud_key_search_joins_many_identities_through_sorted_first_uses()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cloudkeys-");
        try
        {
            var day = new DateTime(2026, 3, 10, 0, 0, 0, DateTimeKind.Utc);
            var s = new EventSet();
            s.Process(day.AddHours(10), "WS7", "{K-1}", "{K-0}", "C:\\Windows\\System32\\findstr.exe",
                "findstr /si aws_secret_access_key C:\\Users\\*.ini", "CORP\\eve", "0x9000", "C:\\Windows\\System32\\cmd.exe");
            var windows = s.Write(dir.FullName);
            var cloud = Path.Combine(dir.FullName, "cloudtrail.json");
            string Call(DateTime t, int session, string address) =>
                GetObject(t, "AssumedRole", "arn:aws:sts::993371209645:assumed-role/agent/session-" + session, address, "customer-payments", "a.csv");
            var calls = new List<string>();
            for (int k = 0; k < 50; k++)
            {
                calls.Add(Call(day.AddHours(8).AddSeconds(k), k, "198.51.100." + k));
                // 0-39 first use the proxy after the search; 40-49 use theirs before it too, so their later calls are no
                // first use.
                if (k >= 40) calls.Add(Call(day.AddHours(9).AddSeconds(k), k, "203.0.113.10"));
                for (int j = 0; j < 3; j++) calls.Add(Call(day.AddHours(11).AddMinutes(k).AddSeconds(j), k, k < 40 ? "203.0.113.9" : "203.0.113.10"));
            }
            File.WriteAllLines(cloud, calls.OrderBy(c => c, StringComparer.Ordinal));
            var rules = Path.Combine(dir.FullName, "rules.yml");
            File.WriteAllText(rules, KeySearchRule + "\n---\n" + S3ReadsRule("S3 reads by an agent session", "30000000-0000-0000-0000-000000000005", "userIdentity.arn|contains: 'assumed-role/agent/'"));
            var set = RuleLoader.Load([rules], includeBuiltin: false);
            Assert.Empty(set.Errors);
            var collector = OtrfRecordings.Hunt(set, new CampaignCollector(), [windows, cloud]);
            var viaFiles = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.Tiny);
            var inMemory = CampaignBuilder.Build(collector.Facts, collector.Context, out _, null, ExternalBuildTests.InMemory);
            Assert.Equal(OtrfRecordings.Json(inMemory), OtrfRecordings.Json(viaFiles));
            var host = Assert.Single(viaFiles, c => c.Hosts.Contains("WS7"));
            var sessions = host.Users.Where(u => u.Contains("agent/session-", StringComparison.Ordinal))
                .Select(u => int.Parse(u[(u.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture)).Order().ToList();
            Assert.Equal(Enumerable.Range(0, 40), sessions);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Flows as rows (issue 4): merged partition by partition into the flow of their pair, equal to the dictionary of
/// flow objects they replaced, through tiny pages (every merge rewrites a row read back from the file).</summary>
public sealed class FlowStoreTests
{
    [Theory]
    [InlineData(0L)]
    [InlineData(1L << 20)]
    public void Flow_rows_merge_like_a_dictionary_of_flows_and_index_by_source_like_the_records(long textChars)
    {
        var random = new Random(9);
        var store = new FlowStore(pageRows: 3, cachePages: 2, textChars);
        var reference = new Dictionary<(string, string), Flow>();
        int droppedRows = 0, droppedRef = 0;
        const int max = 300;
        for (int partition = 0; partition < 40; partition++)
        {
            var part = new Dictionary<(string, string), Flow>();
            for (int k = 0; k < 60; k++)
            {
                var src = "10.0.0." + random.Next(20);
                var dst = random.Next(4) == 0 ? "10.0.1." + random.Next(10) : "198.51.100." + random.Next(40);
                if (!part.TryGetValue((src, dst), out var f)) part[(src, dst)] = f = new Flow { Source = src, Dest = dst };
                f.Add(random.Next(10) == 0 ? 0 : 1000L * random.Next(100_000), random.Next(5) == 0 ? 0 : 1 + random.Next(60), random.Next(5000), random.Next(5000), random.Next(4) == 0);
            }
            foreach (var f in part.Values)
            {
                if (!store.Merge(f, max)) droppedRows++;
                var copy = new Flow { Source = f.Source, Dest = f.Dest };
                copy.Merge(f);
                if (reference.TryGetValue((f.Source, f.Dest), out var have)) have.Merge(copy);
                else if (reference.Count < max) reference[(f.Source, f.Dest)] = copy;
                else droppedRef++;
            }
        }
        static string Text(Flow f) => $"{f.Source}>{f.Dest} {f.First} {f.Last} {f.Count} {f.OrigBytes} {f.RespBytes} {f.Failed} [{string.Join(",", f.Ports)}]";
        Assert.Equal(reference.Count, store.Count);
        Assert.Equal(droppedRef, droppedRows);
        Assert.True(droppedRows > 0 && store.SpilledRows > 100);
        Assert.Contains(reference.Values, f => f.Ports.Count > 3);
        Assert.Equal(reference.Values.Select(Text), store.Values.Select(Text));
        Assert.True(store.TryGetPosition("10.0.0.3", reference.Keys.First(k => k.Item1 == "10.0.0.3").Item2, out int at));
        Assert.Equal("10.0.0.3", store.Source(at));
        Assert.False(store.TryGetPosition("10.9.9.9", "10.0.0.1", out _));
        var byRecords = new TimeIndex<Flow>(reference.Values.Where(f => f.First != long.MaxValue), f => f.Source, f => f.First);
        using var byRows = CampaignBuilder.FlowIndex(store, ExternalBuildTests.Tiny);
        for (int s = 0; s < 20; s++)
            foreach (var (from, to) in new[] { (long.MinValue, long.MaxValue), (10_000_000L, 60_000_000L) })
                Assert.Equal(byRecords.In("10.0.0." + s, from, to).Select(Text), byRows.In("10.0.0." + s, from, to).Select(Text));
    }
}

/// <summary>Flows past the lookup in memory (issue 4: they were capped at 1M pairs): with 7 pairs looked up, every later
/// pair's flows are parts sorted in runs of 5 and merged at the seal. The store equals a dictionary of flow objects with
/// no cap: the same flows in the same positions (first appearance), found by pair, indexed by source alike; also when
/// most pairs share their hash with others.</summary>
public sealed class FlowOverflowTests
{
    private static string Text(Flow f) => $"{f.Source}>{f.Dest} {f.First} {f.Last} {f.Count} {f.OrigBytes} {f.RespBytes} {f.Failed} [{string.Join(",", f.Ports)}]";

    [Theory]
    [InlineData(0L, 7)]
    [InlineData(1L << 20, 7)]
    [InlineData(1L << 20, 0)]
    [InlineData(0L, 7, true)]
    [InlineData(1L << 20, 0, true)]
    [InlineData(1L << 20, 1 << 20)]
    [InlineData(0L, 1 << 20, true)]
    public void Flows_of_pairs_past_the_lookup_merge_at_the_seal_like_a_dictionary_of_flows(long textChars, int indexed, bool colliding = false)
    {
        var random = new Random(17 + indexed);
        // Colliding: a pair hash of 4 values, so most pairs share theirs with others (in the lookup and among the parts).
        var store = new FlowStore(pageRows: 3, cachePages: 2, textChars, indexedPairs: indexed, sortRunRows: 5,
            hash: colliding ? (s, d) => (UInt128)((s.Length + d.Length) % 4) : null);
        var reference = new Dictionary<(string, string), Flow>();
        for (int partition = 0; partition < 120; partition++)
        {
            var part = new Dictionary<(string, string), Flow>();
            for (int k = 0; k < 40; k++)
            {
                var src = "10.0.0." + random.Next(6);
                var dst = random.Next(4) == 0 ? "10.0.1." + random.Next(3) : "198.51.100." + random.Next(10);
                if (!part.TryGetValue((src, dst), out var f)) part[(src, dst)] = f = new Flow { Source = src, Dest = dst };
                // Many ports: a pair's port list fills up (32) across its parts, so the order parts are folded in shows.
                f.Add(random.Next(10) == 0 ? 0 : 1000L * random.Next(100_000), random.Next(5) == 0 ? 0 : 1 + random.Next(80), random.Next(5000), random.Next(5000), random.Next(4) == 0);
            }
            foreach (var f in part.Values)
            {
                Assert.True(store.Merge(f));
                var copy = new Flow { Source = f.Source, Dest = f.Dest };
                copy.Merge(f);
                if (reference.TryGetValue((f.Source, f.Dest), out var have)) have.Merge(copy);
                else reference[(f.Source, f.Dest)] = copy;
            }
        }
        if (indexed < 100) Assert.True(store.PendingParts > 500, $"only {store.PendingParts} parts waited for the seal");
        else Assert.Equal(0, store.PendingParts); // every pair in the lookup, which grew past its first 64 slots
        Assert.Contains(reference.Values, f => f.Ports.Count == Flow.MaxPorts);
        Assert.Equal(reference.Count, store.Count); // seals
        Assert.Equal(0, store.PendingParts);
        Assert.Equal(reference.Values.Select(Text), store.Values.Select(Text));
        Assert.Throws<InvalidOperationException>(() => store.Merge(new Flow { Source = "10.0.0.1", Dest = "10.0.0.2" }));
        foreach (var (pair, i) in reference.Keys.Select((k, i) => (k, i)))
        {
            Assert.True(store.TryGetPosition(pair.Item1, pair.Item2, out int at), $"{pair} not found");
            Assert.Equal(i, at);
        }
        Assert.False(store.TryGetPosition("10.9.9.9", "10.0.0.1", out _));
        Assert.False(store.TryGetPosition("10.0.0.1", "10.0.0.1", out _));
        var byRecords = new TimeIndex<Flow>(reference.Values.Where(f => f.First != long.MaxValue), f => f.Source, f => f.First);
        using var byRows = CampaignBuilder.FlowIndex(store, ExternalBuildTests.Tiny);
        for (int s = 0; s < 12; s++)
            Assert.Equal(byRecords.In("10.0.0." + s, long.MinValue, long.MaxValue).Select(Text), byRows.In("10.0.0." + s, long.MinValue, long.MaxValue).Select(Text));
    }

    /// <summary>The cap bounds indexed pairs plus waiting parts: a flow past it is refused, whether its pair is new or was
    /// first seen after the lookup filled; an indexed pair's flow still merges in place.</summary>
    [Fact]
    public void The_flow_cap_counts_indexed_pairs_and_waiting_parts()
    {
        var store = new FlowStore(pageRows: 3, cachePages: 2, indexedPairs: 2, sortRunRows: 5);
        Flow F(string dst, int port) { var f = new Flow { Source = "10.0.0.1", Dest = dst }; f.Add(1000, port, 1, 1, false); return f; }
        Assert.True(store.Merge(F("a", 1), max: 4));
        Assert.True(store.Merge(F("b", 1), max: 4));
        Assert.True(store.Merge(F("c", 1), max: 4));
        Assert.True(store.Merge(F("c", 2), max: 4));
        Assert.False(store.Merge(F("c", 3), max: 4));
        Assert.False(store.Merge(F("d", 1), max: 4));
        Assert.True(store.Merge(F("a", 2), max: 4));
        Assert.Equal(["10.0.0.1>a 1000 1000 2 2 2 0 [1,2]", "10.0.0.1>b 1000 1000 1 1 1 0 [1]", "10.0.0.1>c 1000 1000 2 2 2 0 [1,2]"],
            store.Values.Select(Text));
    }

    /// <summary>External addresses more than 3 internal hosts have flows to (infrastructure) against counts in a
    /// dictionary, the addresses' hashes sorted in runs of 5 and looked up through 3-row pages.</summary>
    [Fact]
    public void Common_external_addresses_are_those_more_than_the_threshold_of_internal_hosts_reach()
    {
        var random = new Random(5);
        var store = new FlowStore(pageRows: 3, cachePages: 2, indexedPairs: 20, sortRunRows: 5);
        var users = new Dictionary<string, int>();
        var seen = new HashSet<(string, string)>();
        for (int k = 0; k < 2_000; k++)
        {
            var src = random.Next(5) == 0 ? "203.0.113." + random.Next(10) : "10.0.0." + random.Next(30);
            var dst = random.Next(6) == 0 ? "10.0.2." + random.Next(5) : "198.51.100." + random.Next(400);
            var f = new Flow { Source = src, Dest = dst };
            f.Add(1000, 443, 1, 1, false);
            store.Merge(f);
            if (seen.Add((src, dst)) && src.StartsWith("10.", StringComparison.Ordinal) && !dst.StartsWith("10.", StringComparison.Ordinal))
                users[dst] = users.GetValueOrDefault(dst) + 1;
        }
        Assert.Equal(seen.Count, store.Count);
        using var common = new CommonAddresses(store, CampaignBuilder.RareExternalHosts, ExternalBuildTests.Tiny);
        Assert.InRange(users.Count(u => u.Value > 3), 20, 380);
        Assert.Contains(users, u => u.Value == 3);
        Assert.Equal(users.Count(u => u.Value > 3), common.Count);
        for (int a = 0; a < 420; a++)
        {
            var address = "198.51.100." + a;
            Assert.Equal(users.GetValueOrDefault(address) > 3, common.Contains(address));
        }
        Assert.False(common.Contains("10.0.2.1"));
        Assert.False(common.Contains("203.0.113.1"));
    }
}

/// <summary>Remote-administration connections as rows (issue 4: as objects they were capped at 500k): the store gives
/// back every connection through 3-row pages with no text kept in memory, and the lateral linker's index of them by host
/// gives each host's connections in a window by time, then input order, as lists per host do.</summary>
public sealed class ConnStoreTests
{
    [Fact]
    public void Connection_rows_and_their_host_index_equal_records_and_lists_per_host()
    {
        var random = new Random(3);
        string[] hosts = ["WS01", "WS02", "", "SRV1"];
        string[] sources = ["10.0.0.1", "10.0.0.2", "10.0.0.9", ""];
        var records = new List<ConnRec>();
        for (int i = 0; i < 2_000; i++)
            records.Add(new ConnRec(TimeSpan.TicksPerSecond * random.Next(300), hosts[random.Next(hosts.Length)], sources[random.Next(sources.Length)],
                $"{{{Guid.NewGuid()}}}", random.Next(2) == 0 ? @"C:\Windows\System32\net.exe" : "", $"10.0.1.{random.Next(20)}",
                random.Next(2) == 0 ? 445 : 5985));
        var store = new ConnStore(pageRows: 3, cachePages: 2, textChars: 0);
        foreach (var r in records) store.Add(r);
        Assert.Equal(records.Count, store.Count);
        Assert.True(store.SpilledRows > 0);
        for (int i = 0; i < records.Count; i++) Assert.Equal(records[i], store[i]);
        Assert.Equal(records, store.ToList());

        // The linker's key: the connection's host, else its source address's host (here: the address itself).
        string Key(ConnRec c) => c.Host.Length > 0 ? c.Host : c.SourceAddress;
        var lists = new TimeIndex<ConnRec>(records, Key, c => c.Ticks);
        using var rows = new StoreTimeIndex<ConnRec>(store.Count, i => store.Host(i) is { Length: > 0 } h ? h : store.SourceAddress(i), store.Ticks,
            i => store[i], ExternalBuildTests.Tiny);
        for (int k = 0; k < 100; k++)
        {
            long from = TimeSpan.TicksPerSecond * random.Next(-10, 300), to = from + TimeSpan.TicksPerSecond * random.Next(0, 60);
            foreach (var key in hosts.Concat(sources).Where(x => x.Length > 0))
                Assert.Equal(lists.In(key, from, to), rows.In(key, from, to));
        }
    }
}

/// <summary>The source address most bulk reads came from, by a sort (<see cref="ReadSources"/>), is the one the dictionary of
/// counts gave: the most reads, the first seen among equals; with ties, the empty address and no reads at all.</summary>
public sealed class ReadSourcesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_most_read_address_is_the_one_a_dictionary_of_counts_gave(int seed)
    {
        var rng = new Random(seed);
        var addresses = Enumerable.Range(0, 1 + rng.Next(40)).Select(i => "10.0." + i / 256 + "." + i % 256).Append("").ToList();
        int ties = 0;
        for (int round = 0; round < 40; round++)
        {
            int n = round == 0 ? 0 : rng.Next(1, 300);
            var reads = Enumerable.Range(0, n).Select(_ => addresses[rng.Next(addresses.Count)]).ToList();
            // What TheftFinder kept before: a count per address and its place among the addresses first seen.
            var counts = new Dictionary<string, (int Count, int First)>(StringComparer.Ordinal);
            foreach (var a in reads) counts[a] = counts.TryGetValue(a, out var c) ? (c.Count + 1, c.First) : (1, counts.Count);
            using var sources = new ReadSources(ExternalBuildTests.Tiny);
            for (int i = 0; i < n; i++) sources.Add(reads[i], 1_000 + i);
            int at = sources.MostReadsAt();
            if (n == 0)
            {
                Assert.Equal(-1, at);
                continue;
            }
            var ranked = counts.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Value.First).ToList();
            if (ranked.Count > 1 && ranked[1].Value.Count == ranked[0].Value.Count) ties++;
            Assert.Equal(reads.IndexOf(ranked[0].Key), at - 1_000);
        }
        Assert.True(ties > 3, $"only {ties} rounds with a tie for the most reads");
    }
}
