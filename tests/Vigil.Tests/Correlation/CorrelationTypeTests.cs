using Vigil.Rules;
using static Vigil.Tests.Correlation.CorrelationSupport;

namespace Vigil.Tests.Correlation;

/// <summary>Each correlation type with events that must and must not trigger, through the real reader and hunter.</summary>
public class CorrelationTypeTests
{
    private static string Corr(string type, string body, string extra = "") => $"""
        title: corr {type}
        id: 10000000-0000-0000-0000-0000000000aa
        status: test
        level: high
        tags:
            - attack.credential_access
        {extra}correlation:
            type: {type}
            rules:
        {body}
        """;

    private static string Collection(string corr, params string[] bases) => corr + "\n---\n" + string.Join("\n---\n", bases);

    private const string FailedRule = "failed";

    [Fact]
    public void EventCount_fires_per_group_only_when_enough_events_fall_in_the_timespan()
    {
        var yaml = Collection(Corr("event_count", """
                    - failed
                group-by:
                    - User
                timespan: 1m
                condition:
                    gte: 3
            """), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        // alice: 3 failures within 40 s → fires; bob: 3 failures but spread over 2 minutes → must not;
        // carol: 2 failures only → must not. The files are out of order and alice's events are split across them.
        var hunt = Run(yaml,
            ("b.jsonl", [Line(40, ("kind", "fail"), ("User", "alice")), Line(0, ("kind", "fail"), ("User", "bob")), Line(61, ("kind", "fail"), ("User", "bob"))]),
            ("a.jsonl", [Line(20, ("kind", "fail"), ("User", "alice")), Line(0, ("kind", "fail"), ("User", "alice")), Line(122, ("kind", "fail"), ("User", "bob")),
                         Line(5, ("kind", "fail"), ("User", "carol")), Line(6, ("kind", "fail"), ("User", "carol")), Line(7, ("kind", "ok"), ("User", "carol"))]));
        var d = Assert.Single(hunt.Of("corr event_count"));
        Assert.Equal("alice", Field(d, "User"));
        Assert.Equal("3", Field(d, "event_count"));
        Assert.Equal(T0.AddSeconds(40).Ticks, d.TimestampTicks);   // the window's last event
        Assert.EndsWith("b.jsonl", d.Origin.Source);
        Assert.Equal("high", d.Rule.Level);
        Assert.Contains("attack.credential_access", d.Rule.Tags);
        // generate defaults to false: the base rule's own detections are not reported.
        Assert.Empty(hunt.Of("base failed"));
    }

    [Fact]
    public void EventCount_burst_gives_one_detection_and_a_later_burst_another()
    {
        var yaml = Collection(Corr("event_count", """
                    - failed
                group-by:
                    - User
                timespan: 10s
                condition:
                    gt: 1
            """), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        var lines = new[] { 0, 1, 2, 3, 100, 101 }.Select(s => Line(s, ("kind", "fail"), ("User", "u"))).Reverse().ToArray();
        var hunt = Run(yaml, ("x.jsonl", lines));
        // 0,1 fire (consumed), 2,3 fire again, 100,101 fire: windows do not overlap after firing.
        Assert.Equal(3, hunt.Of("corr event_count").Count);
    }

    [Fact]
    public void EventCount_with_upper_bound_judges_complete_windows()
    {
        var yaml = Collection(Corr("event_count", """
                    - failed
                group-by:
                    - User
                timespan: 1m
                condition:
                    lt: 2
            """), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        // u1: a single event in its minute → fires; u2: two within a minute → must not.
        var hunt = Run(yaml, ("x.jsonl", [Line(0, ("kind", "fail"), ("User", "u1")), Line(0, ("kind", "fail"), ("User", "u2")), Line(30, ("kind", "fail"), ("User", "u2"))]));
        var d = Assert.Single(hunt.Of("corr event_count"));
        Assert.Equal("u1", Field(d, "User"));
    }

    [Fact]
    public void ValueCount_counts_distinct_values_per_group()
    {
        var yaml = Collection(Corr("value_count", """
                    - failed
                group-by:
                    - Computer
                timespan: 5m
                condition:
                    field: User
                    gte: 3
            """), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        var hunt = Run(yaml,
            ("1.jsonl", [Line(0, ("kind", "fail"), ("Computer", "dc1"), ("User", "a")), Line(10, ("kind", "fail"), ("Computer", "dc1"), ("User", "a")),
                         Line(20, ("kind", "fail"), ("Computer", "ws9"), ("User", "a")), Line(21, ("kind", "fail"), ("Computer", "ws9"), ("User", "b"))]),
            ("2.jsonl", [Line(30, ("kind", "fail"), ("Computer", "dc1"), ("User", "b")), Line(15, ("kind", "fail"), ("Computer", "dc1"), ("User", "c")),
                         Line(22, ("kind", "fail"), ("Computer", "ws9"), ("User", "b")), Line(999, ("kind", "fail"), ("Computer", "ws9"), ("User", "c"))]));
        var d = Assert.Single(hunt.Of("corr value_count"));
        Assert.Equal("dc1", Field(d, "Computer"));
        Assert.Equal("3", Field(d, "value_count"));
        Assert.Equal("dc1", d.Computer);
        Assert.Equal(T0.AddSeconds(30).Ticks, d.TimestampTicks);   // a(0), a(10), c(15), b(30): the third distinct value at 30 s
    }

    [Fact]
    public void Temporal_needs_every_rule_in_the_timespan_in_any_order()
    {
        var yaml = Collection(Corr("temporal", """
                    - recon_a
                    - recon_b
                    - recon_c
                group-by:
                    - Host
                timespan: 5m
            """),
            BaseRule("recon_a", "whoami", "20000000-0000-0000-0000-00000000000a"),
            BaseRule("recon_b", "ipconfig", "20000000-0000-0000-0000-00000000000b"),
            BaseRule("recon_c", "netstat", "20000000-0000-0000-0000-00000000000c"));
        var hunt = Run(yaml,
            ("late.jsonl", [Line(100, ("kind", "whoami"), ("Host", "h1")), Line(10, ("kind", "whoami"), ("Host", "h2"))]),
            ("early.jsonl", [Line(50, ("kind", "netstat"), ("Host", "h1")), Line(60, ("kind", "ipconfig"), ("Host", "h1")),
                             Line(10, ("kind", "netstat"), ("Host", "h2")), Line(400, ("kind", "ipconfig"), ("Host", "h2"))]));
        var d = Assert.Single(hunt.Of("corr temporal"));
        Assert.Equal("h1", Field(d, "Host"));
        Assert.Equal(T0.AddSeconds(100).Ticks, d.TimestampTicks);
        Assert.Equal("recon_c, recon_b, recon_a", Field(d, "rules"));
    }

    [Fact]
    public void TemporalOrdered_needs_the_rules_in_the_listed_order()
    {
        var yaml = Collection(Corr("temporal_ordered", """
                    - recon_a
                    - recon_b
                group-by:
                    - Host
                timespan: 5m
            """),
            BaseRule("recon_a", "whoami", "20000000-0000-0000-0000-00000000000a"),
            BaseRule("recon_b", "ipconfig", "20000000-0000-0000-0000-00000000000b"));
        // h1: a then b → fires. h2: b then a → must not. The files are given in reverse time order.
        var hunt = Run(yaml,
            ("z.jsonl", [Line(10, ("kind", "whoami"), ("Host", "h1")), Line(20, ("kind", "whoami"), ("Host", "h2"))]),
            ("a.jsonl", [Line(30, ("kind", "ipconfig"), ("Host", "h1")), Line(5, ("kind", "ipconfig"), ("Host", "h2"))]));
        var d = Assert.Single(hunt.Of("corr temporal_ordered"));
        Assert.Equal("h1", Field(d, "Host"));
        Assert.Equal(T0.AddSeconds(30).Ticks, d.TimestampTicks);
    }

    [Fact]
    public void ValueSum_adds_a_numeric_field()
    {
        var yaml = Collection(Corr("value_sum", """
                    - upload
                group-by:
                    - SourceIP
                timespan: 1h
                condition:
                    field: bytes_sent
                    gt: 1000000
            """), BaseRule("upload", "http", "20000000-0000-0000-0000-000000000003"));
        var hunt = Run(yaml,
            ("p.jsonl", [Line(0, ("kind", "http"), ("SourceIP", "10.0.0.1"), ("bytes_sent", 600000)), Line(60, ("kind", "http"), ("SourceIP", "10.0.0.2"), ("bytes_sent", 900000))]),
            ("q.jsonl", [Line(1800, ("kind", "http"), ("SourceIP", "10.0.0.1"), ("bytes_sent", "500000")), Line(7300, ("kind", "http"), ("SourceIP", "10.0.0.2"), ("bytes_sent", 900000))]));
        var d = Assert.Single(hunt.Of("corr value_sum"));
        Assert.Equal("10.0.0.1", Field(d, "SourceIP"));
        Assert.Equal("1100000", Field(d, "value_sum"));
    }

    [Fact]
    public void ValueAvg_compares_the_mean()
    {
        var yaml = Collection(Corr("value_avg", """
                    - upload
                group-by:
                    - User
                timespan: 1h
                condition:
                    field: BytesOut
                    gt: 500
            """), BaseRule("upload", "http", "20000000-0000-0000-0000-000000000003"));
        // big: 1000 alone → avg 1000 fires at once; small: 100, 200, 300 never above 500.
        var hunt = Run(yaml, ("x.jsonl", [Line(0, ("kind", "http"), ("User", "small"), ("BytesOut", 100)), Line(1, ("kind", "http"), ("User", "small"), ("BytesOut", 200)),
            Line(2, ("kind", "http"), ("User", "small"), ("BytesOut", 300)), Line(3, ("kind", "http"), ("User", "big"), ("BytesOut", 1000))]));
        var d = Assert.Single(hunt.Of("corr value_avg"));
        Assert.Equal("big", Field(d, "User"));
        Assert.Equal("1000", Field(d, "value_avg"));
    }

    [Fact]
    public void ValueMedian_compares_the_median()
    {
        var yaml = Collection(Corr("value_median", """
                    - upload
                group-by:
                    - User
                timespan: 1h
                condition:
                    field: BytesOut
                    gte: 400
            """), BaseRule("upload", "http", "20000000-0000-0000-0000-000000000003"));
        // u1: 100, then 900 (median 500) → fires at the second event. u2: a single outlier among small values
        // keeps the median low: 10, 20 (median 15) then 5000 (median 20) → never.
        var hunt = Run(yaml, ("x.jsonl", [Line(0, ("kind", "http"), ("User", "u1"), ("BytesOut", 100)), Line(10, ("kind", "http"), ("User", "u1"), ("BytesOut", 900)),
            Line(0, ("kind", "http"), ("User", "u2"), ("BytesOut", 10)), Line(1, ("kind", "http"), ("User", "u2"), ("BytesOut", 20)), Line(2, ("kind", "http"), ("User", "u2"), ("BytesOut", 5000))]));
        var d = Assert.Single(hunt.Of("corr value_median"));
        Assert.Equal("u1", Field(d, "User"));
        Assert.Equal("500", Field(d, "value_median"));
        Assert.Equal(T0.AddSeconds(10).Ticks, d.TimestampTicks);
    }

    [Fact]
    public void ValuePercentile_reports_values_rare_within_the_window()
    {
        var yaml = Collection(Corr("value_percentile", """
                    - proc
                group-by:
                    - Computer
                timespan: 24h
                condition:
                    field: Image
                    lte: 10
            """), BaseRule("proc", "proc", "20000000-0000-0000-0000-000000000004"));
        // pc1: 19 × svchost and 1 × evil (5 %) → fires naming evil; pc2: two images, 50 % each → must not.
        var lines = Enumerable.Range(0, 19).Select(i => Line(i, ("kind", "proc"), ("Computer", "pc1"), ("Image", "svchost.exe"))).ToList();
        lines.Add(Line(30, ("kind", "proc"), ("Computer", "pc1"), ("Image", "evil.exe")));
        lines.Add(Line(5, ("kind", "proc"), ("Computer", "pc2"), ("Image", "a.exe")));
        lines.Add(Line(6, ("kind", "proc"), ("Computer", "pc2"), ("Image", "b.exe")));
        var hunt = Run(yaml, ("x.jsonl", lines.ToArray()));
        var d = Assert.Single(hunt.Of("corr value_percentile"));
        Assert.Equal("pc1", Field(d, "Computer"));
        Assert.Equal("evil.exe", Field(d, "values"));
    }

    [Fact]
    public void Aliases_group_different_fields_of_different_rules()
    {
        var yaml = Collection(Corr("temporal", """
                    - internal_error
                    - new_conn
                group-by:
                    - ip
                timespan: 10s
                aliases:
                    ip:
                        internal_error: destination.ip
                        new_conn: source.ip
            """),
            BaseRule("internal_error", "err", "20000000-0000-0000-0000-000000000005"),
            BaseRule("new_conn", "conn", "20000000-0000-0000-0000-000000000006"));
        var hunt = Run(yaml, ("x.jsonl", [
            Line(0, ("kind", "err"), ("destination.ip", "10.1.1.1"), ("source.ip", "1.2.3.4")),
            Line(3, ("kind", "conn"), ("source.ip", "10.1.1.1"), ("destination.ip", "8.8.8.8")),
            Line(4, ("kind", "conn"), ("source.ip", "1.2.3.4"), ("destination.ip", "10.1.1.1"))]));
        var d = Assert.Single(hunt.Of("corr temporal"));
        Assert.Equal("10.1.1.1", Field(d, "ip"));
    }

    [Fact]
    public void Generate_true_keeps_base_detections_and_chains_feed_correlations()
    {
        var yaml = """
            title: brute force then success
            id: 10000000-0000-0000-0000-0000000000c1
            level: critical
            correlation:
                type: temporal_ordered
                rules:
                    - many_failed
                    - success
                group-by:
                    - User
                timespan: 10m
            ---
            title: many failed
            id: 10000000-0000-0000-0000-0000000000c2
            name: many_failed
            correlation:
                type: event_count
                rules:
                    - failed
                group-by:
                    - User
                timespan: 10m
                condition:
                    gte: 3
            generate: true
            ---
            """ + "\n" + BaseRule("failed", "fail", "20000000-0000-0000-0000-000000000001") + "\n---\n"
            + BaseRule("success", "ok", "20000000-0000-0000-0000-000000000002");
        var hunt = Run(yaml, ("x.jsonl", [
            Line(0, ("kind", "fail"), ("User", "v")), Line(1, ("kind", "fail"), ("User", "v")), Line(2, ("kind", "fail"), ("User", "v")),
            Line(3, ("kind", "ok"), ("User", "v")),
            Line(0, ("kind", "ok"), ("User", "w")), Line(1, ("kind", "fail"), ("User", "w")), Line(2, ("kind", "fail"), ("User", "w")), Line(3, ("kind", "fail"), ("User", "w"))]));
        var top = Assert.Single(hunt.Of("brute force then success"));   // only v succeeded after its 3 failures
        Assert.Equal("v", Field(top, "User"));
        Assert.Contains("many_failed", Field(top, "rules"));
        Assert.Empty(hunt.Of("many failed"));                           // an inner correlation of a chain does not report
        Assert.Equal(6, hunt.Of("base failed").Count);                  // many_failed says generate: true
        Assert.Empty(hunt.Of("base success"));                          // the outer correlation does not
    }

    [Fact]
    public void Group_by_fields_resolve_through_the_field_map_for_winlogbeat_json()
    {
        // The specification's example (failed logins followed by a success), over Winlogbeat JSON where the
        // group-by field is winlog.event_data.TargetUserName and EventID/Channel live under winlog.
        var yaml = """
            title: failed then success
            id: b180ead8-d58f-40b2-ae54-c8940995b9b6
            level: high
            correlation:
                type: temporal_ordered
                rules:
                    - multiple_failed_login
                    - successful_login
                group-by:
                    - TargetUserName
                timespan: 10m
            ---
            title: Multiple failed logons
            id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
            name: multiple_failed_login
            correlation:
                type: event_count
                rules:
                    - failed_login
                group-by:
                    - TargetUserName
                timespan: 10m
                condition:
                    gte: 3
            ---
            title: Single failed login
            id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
            name: failed_login
            logsource:
                product: windows
                service: security
            detection:
                selection:
                    EventID:
                        - 529
                        - 4625
                condition: selection
            ---
            title: Successful login
            id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
            name: successful_login
            logsource:
                product: windows
                service: security
            detection:
                selection:
                    EventID:
                        - 528
                        - 4624
                condition: selection
            """;
        static string Wlb(int seconds, int eid, string user) =>
            "{\"@timestamp\":\"" + T0.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)
            + "\",\"winlog\":{\"channel\":\"Security\",\"event_id\":" + eid + ",\"computer_name\":\"dc1\",\"event_data\":{\"TargetUserName\":\"" + user + "\"}}}";
        var hunt = Run(yaml,
            ("b.json", [Wlb(60, 4624, "bob"), Wlb(40, 4625, "bob"), Wlb(50, 4624, "eve")]),
            ("a.json", [Wlb(0, 4625, "bob"), Wlb(20, 4625, "bob"), Wlb(1, 4625, "eve"), Wlb(2, 4625, "eve")]));
        var d = Assert.Single(hunt.Detections);
        Assert.Equal("failed then success", d.Rule.Title);
        Assert.Equal("bob", Field(d, "TargetUserName"));
        Assert.Equal("dc1", d.Computer);
        Assert.Equal(T0.AddSeconds(60).Ticks, d.TimestampTicks);
    }

    [Fact]
    public void Untimed_matches_are_counted_not_used()
    {
        var yaml = Collection(Corr("event_count", """
                    - failed
                group-by:
                    - User
                timespan: 1m
                condition:
                    gte: 1
            """), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        var hunt = Run(yaml, ("x.jsonl", ["{\"kind\":\"fail\",\"User\":\"x\"}"]));
        Assert.Empty(hunt.Of("corr event_count"));
        Assert.Equal(1, hunt.Untimed);
    }

    [Fact]
    public void Selection_flags_keep_correlation_inputs_running()
    {
        var yaml = Collection(Corr("event_count", """
                    - failed
                group-by:
                    - User
                timespan: 1m
                condition:
                    gte: 2
            """, "generate: true\n"), BaseRule(FailedRule, "fail", "20000000-0000-0000-0000-000000000001"));
        var lines = new[] { Line(0, ("kind", "fail"), ("User", "x")), Line(1, ("kind", "fail"), ("User", "x")) };
        // --min-level high: the low base rule is not reported, but still feeds the high correlation.
        var hunt = Run(yaml, new RuleSelection { MinLevel = "high" }, ("x.jsonl", lines));
        Assert.Single(hunt.Of("corr event_count"));
        Assert.Empty(hunt.Of("base failed"));
        // Excluding the correlation by id leaves only the base rule (generate: true).
        hunt = Run(yaml, new RuleSelection { ExcludeIds = ["10000000-0000-0000-0000-0000000000AA"] }, ("x.jsonl", lines));
        Assert.Empty(hunt.Of("corr event_count"));
        Assert.Equal(2, hunt.Of("base failed").Count);
    }
}
