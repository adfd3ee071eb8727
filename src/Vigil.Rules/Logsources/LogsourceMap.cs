using System.Globalization;
using Vigil.Events;
using Vigil.Rules.Parsing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Rules.Logsources;

/// <summary>
/// The routing constraint of one log source alternative: the event's Channel must be one of
/// <see cref="Channels"/> (when any), its EventID one of <see cref="EventIds"/> (when any), and each
/// extra field must equal its value. Checked before the detection, with int and span compares only.
/// </summary>
internal sealed class RouteConstraint
{
    public string[] Channels = [];
    public long[] EventIds = [];
    public (int FieldId, string Value)[] Fields = [];
    /// <summary>Fields that must be present (shape-recognised sources, fieldmaps.yml).</summary>
    public int[] Present = [];
    /// <summary>Shapes the event must NOT have: non-Windows rules that no shape source routes stay off events
    /// recognised as another source (a Cisco keyword rule must not fire on CloudTrail or Zeek records).
    /// Each entry is one match alternative of fieldmaps.yml: all its Equals hold and all its Present fields exist.</summary>
    public ((int FieldId, string Value)[] FieldEquals, int[] Present)[] Excluded = [];
    /// <summary>Where the Channel / EventID are read: the first present of these ids (EVTX's own names first, then
    /// the JSON shapes' names such as winlog.channel; set by the compiler from the field map).</summary>
    public int[] ChannelFields = [WellKnownFields.Channel];
    public int[] EventIdFields = [WellKnownFields.EventID];
    /// <summary>Product guard for non-Windows rules: when set, an event that has a Channel field (a Windows
    /// event log record) matches only if its Channel is one of these. Events without Channel pass.</summary>
    public string[]? ChannelAbsentOrIn;

    private static bool TryFirst(Event e, int[] ids, out FieldValue value)
    {
        foreach (int id in ids) if (e.TryGet(id, out value)) return true;
        value = default;
        return false;
    }

    public bool Matches(Event e)
    {
        foreach (int p in Present) if (!e.Has(p)) return false;
        if (ChannelAbsentOrIn != null && TryFirst(e, ChannelFields, out var foreign))
        {
            if (!foreign.IsText) return false;
            var t = foreign.TextSpan;
            bool ok = false;
            foreach (var c in ChannelAbsentOrIn)
                if (t.Equals(c, StringComparison.OrdinalIgnoreCase)) { ok = true; break; }
            if (!ok) return false;
        }
        // After the Channel guard, which already rejects Windows records cheaply.
        foreach (var (eq, present) in Excluded)
            if (HasAll(e, present) && EqualsAll(e, eq)) return false;
        if (EventIds.Length > 0)
        {
            if (!TryFirst(e, EventIdFields, out var id) || !EventIdIn(id)) return false;
        }
        if (Channels.Length > 0)
        {
            if (!TryFirst(e, ChannelFields, out var ch) || !ch.IsText) return false;
            var text = ch.TextSpan;
            bool found = false;
            foreach (var c in Channels)
                if (text.Equals(c, StringComparison.OrdinalIgnoreCase)) { found = true; break; }
            if (!found) return false;
        }
        foreach (var (fieldId, value) in Fields)
        {
            if (!e.TryGet(fieldId, out var v) || !v.IsText || !v.TextSpan.Equals(value, StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }

    private static bool HasAll(Event e, int[] ids)
    {
        foreach (int id in ids) if (!e.Has(id)) return false;
        return true;
    }

    private static bool EqualsAll(Event e, (int FieldId, string Value)[] fields)
    {
        foreach (var (fieldId, value) in fields)
            if (!e.TryGet(fieldId, out var v) || !v.IsText || !v.TextSpan.Equals(value, StringComparison.OrdinalIgnoreCase)) return false;
        return true;
    }

    private bool EventIdIn(in FieldValue v)
    {
        long id;
        switch (v.Kind)
        {
            case ValueKind.Int64: id = v.Int64; break;
            case ValueKind.UInt64: id = unchecked((long)v.UInt64); break;
            case ValueKind.String:
                if (!long.TryParse(v.TextSpan, NumberStyles.Integer, CultureInfo.InvariantCulture, out id)) return false;
                break;
            default: return false;
        }
        foreach (long x in EventIds) if (x == id) return true;
        return false;
    }

    public override string ToString() =>
        (ChannelAbsentOrIn != null ? $"no Channel or Channel in [{string.Join(", ", ChannelAbsentOrIn)}] " : "") + $"Channel in [{string.Join(", ", Channels)}] EventID in [{string.Join(", ", EventIds)}]"
        + (Fields.Length > 0 ? " " + string.Join(", ", Fields.Select(f => $"{FieldNames.Name(f.FieldId)}={f.Value}")) : "")
        + (Present.Length > 0 ? " present [" + string.Join(", ", Present.Select(FieldNames.Name)) + "]" : "")
        + (Excluded.Length > 0 ? $" not one of {Excluded.Length} known shapes" : "");
}

/// <summary>One resolved alternative: constraint plus the field renames that apply to events of that source, and
/// (for shape-recognised sources) the source's own field alternatives.</summary>
internal sealed record LogsourceRoute(RouteConstraint Constraint, IReadOnlyDictionary<string, string>? FieldMappings,
    IReadOnlyDictionary<string, string[]>? SourceFields = null);

/// <summary>
/// Maps a rule's logsource (product / category / service) to routing constraints, from the embedded
/// <c>Logsources/logsources.yml</c> (derived from SigmaHQ's thor.yml), optionally overridden by a user file.
/// Unknown log sources resolve to no constraint (the rule is evaluated against every event).
/// </summary>
internal sealed class LogsourceMap
{
    private const string ResourceName = "Vigil.Rules.Logsources.logsources.yml";

    private sealed record Alternative(string? Service, long[] EventIds, (string Field, string Value)[] Fields, IReadOnlyDictionary<string, string>? FieldMappings);

    // product -> service -> channels ; product -> category -> alternatives (keys case-insensitive)
    private readonly Dictionary<string, Dictionary<string, string[]>> _services = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Dictionary<string, List<Alternative>>> _categories = new(StringComparer.OrdinalIgnoreCase);
    // product -> the Windows-log Channels its events may carry (non-Windows products only)
    private readonly Dictionary<string, string[]> _products = new(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<LogsourceMap> BuiltinMap = new(LoadBuiltin);
    public static LogsourceMap Builtin => BuiltinMap.Value;

    private static LogsourceMap LoadBuiltin()
    {
        var map = new LogsourceMap();
        var errors = new List<RuleError>();
        map.Add(MappingFile.Embedded(ResourceName), "builtin:logsources.yml", errors);
        if (errors.Count > 0) throw new InvalidOperationException("built-in logsource mapping is invalid: " + errors[0]);
        return map;
    }

    /// <summary>A copy of the built-in map with the entries of <paramref name="yaml"/> replacing same-key entries.</summary>
    public static LogsourceMap WithOverrides(string yaml, string file, List<RuleError> errors)
    {
        var map = new LogsourceMap();
        foreach (var (p, d) in Builtin._services) map._services[p] = new Dictionary<string, string[]>(d, StringComparer.OrdinalIgnoreCase);
        foreach (var (p, d) in Builtin._categories) map._categories[p] = new Dictionary<string, List<Alternative>>(d, StringComparer.OrdinalIgnoreCase);
        foreach (var (p, c) in Builtin._products) map._products[p] = c;
        map.Add(yaml, file, errors);
        return map;
    }

    private void Add(string yaml, string file, List<RuleError> errors)
    {
        MappingFile.Read(yaml, file, errors, "logsource mapping", root =>
        {
            foreach (var (k, v) in root.Children)
            {
                string key = Str(k);
                if (key == "services")
                {
                    foreach (var (pk, pv) in Map(v).Children)
                    {
                        var dict = Get(_services, Str(pk));
                        foreach (var (sk, sv) in Map(pv).Children) dict[Str(sk)] = Strings(sv);
                    }
                }
                else if (key == "categories")
                {
                    foreach (var (pk, pv) in Map(v).Children)
                    {
                        var dict = Get(_categories, Str(pk));
                        foreach (var (ck, cv) in Map(pv).Children)
                        {
                            if (cv is not YamlSequenceNode alts) throw SigmaParser.Fail(cv, "a category maps to a list of alternatives");
                            var list = new List<Alternative>();
                            foreach (var alt in alts) list.Add(ParseAlternative(Map(alt)));
                            dict[Str(ck)] = list;
                        }
                    }
                }
                else if (key == "products")
                {
                    foreach (var (pk, pv) in Map(v).Children) _products[Str(pk)] = Strings(pv);
                }
                else throw SigmaParser.Fail(k, $"unknown key '{key}' (expected services, categories or products)");
            }
        });
    }

    private static Alternative ParseAlternative(YamlMappingNode m)
    {
        string? service = null;
        long[] ids = [];
        var fields = new List<(string, string)>();
        Dictionary<string, string>? mappings = null;
        foreach (var (k, v) in m.Children)
        {
            switch (Str(k))
            {
                case "service": service = Str(v); break;
                case "EventID":
                    ids = Strings(v).Select(s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long x) ? x
                        : throw SigmaParser.Fail(v, $"EventID '{s}' is not an integer")).ToArray();
                    break;
                case "fields":
                    foreach (var (fk, fv) in Map(v).Children) fields.Add((Str(fk), Str(fv)));
                    break;
                case "fieldmappings":
                    mappings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var (fk, fv) in Map(v).Children) mappings[Str(fk)] = Str(fv);
                    break;
                default: throw SigmaParser.Fail(k, $"unknown key '{Str(k)}' in a category alternative");
            }
        }
        return new Alternative(service, ids, fields.ToArray(), mappings);
    }

    /// <summary>The routing alternatives for a rule's log source; empty when there is no mapping for it.</summary>
    public IReadOnlyList<LogsourceRoute> Resolve(Logsource ls)
    {
        // A rule without a product (category: antivirus, proxy, webserver…) takes the Windows mapping when
        // its category/service has one; otherwise it is not a Windows log source and gets the product guard.
        string product = ls.Product ?? "windows";
        var result = new List<LogsourceRoute>();
        if (ls.Category != null && _categories.TryGetValue(product, out var cats) && cats.TryGetValue(ls.Category, out var alts))
        {
            foreach (var a in alts)
            {
                // A rule naming both category and service only takes the alternatives of that service.
                if (ls.Service != null && a.Service != null && !a.Service.Equals(ls.Service, StringComparison.OrdinalIgnoreCase)) continue;
                string[] channels = a.Service != null ? ChannelsOf(product, a.Service) : [];
                result.Add(new LogsourceRoute(new RouteConstraint
                {
                    Channels = channels,
                    EventIds = a.EventIds,
                    Fields = a.Fields.Select(f => (FieldNames.KeyOf(a.FieldMappings != null && a.FieldMappings.TryGetValue(f.Field, out var mf) ? mf : f.Field), f.Value)).ToArray(),
                }, a.FieldMappings));
            }
            if (result.Count > 0) return result;
        }
        if (ls.Service != null)
        {
            var channels = ChannelsOf(product, ls.Service);
            if (channels.Length > 0) { result.Add(new LogsourceRoute(new RouteConstraint { Channels = channels }, null)); return result; }
        }
        // No mapping. A rule for another product (linux, aws, okta…), or one without a product whose source
        // is not a Windows one (proxy, webserver, database…), must not fire on Windows event log records,
        // which are recognised by their Channel field. Windows rules with an unknown source get no constraint.
        bool windows = ls.Product != null && ls.Product.Equals("windows", StringComparison.OrdinalIgnoreCase);
        bool nothingSaid = ls.Product == null && ls.Category == null && ls.Service == null;
        if (!windows && !nothingSaid)
            result.Add(new LogsourceRoute(new RouteConstraint
            {
                ChannelAbsentOrIn = ls.Product != null && _products.TryGetValue(ls.Product, out var own) ? own : [],
            }, null));
        return result;
    }

    private string[] ChannelsOf(string product, string service) =>
        _services.TryGetValue(product, out var s) && s.TryGetValue(service, out var ch) ? ch : [];

    private static Dictionary<string, T> Get<T>(Dictionary<string, Dictionary<string, T>> d, string key)
    {
        if (!d.TryGetValue(key, out var inner)) d[key] = inner = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
        return inner;
    }

    private static string Str(YamlNode n) => MappingFile.Str(n);
    private static YamlMappingNode Map(YamlNode n) => MappingFile.Map(n);
    private static string[] Strings(YamlNode n) => MappingFile.Strings(n);
}
