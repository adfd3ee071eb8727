using Vigil.Events;
using Vigil.Rules.Compilation;
using Vigil.Rules.Conditions;
using Vigil.Rules.Evaluation;
using Vigil.Rules.Parsing;

namespace Vigil.Rules;

/// <summary>A problem with one rule (or one rule file), naming the file and the place in it.</summary>
public sealed record RuleError(string File, long Line, long Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>The <c>logsource</c> section of a rule. Any part may be absent.</summary>
public sealed record Logsource(string? Product, string? Category, string? Service);

/// <summary>A parsed Sigma detection rule: metadata plus the detection AST (internal), not yet compiled.</summary>
public sealed class SigmaRule
{
    public string Id { get; init; } = "";
    /// <summary>The optional <c>name</c> attribute, by which correlations may refer to the rule.</summary>
    public string? Name { get; init; }
    public string Title { get; init; } = "";
    public string Status { get; init; } = "";
    public string Level { get; init; } = "";
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Description { get; init; }
    public string? Author { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> FalsePositives { get; init; } = [];
    public Logsource Logsource { get; init; } = new(null, null, null);
    /// <summary>The file the rule came from and the line its YAML document starts on.</summary>
    public string File { get; init; } = "";
    public long Line { get; init; }
    /// <summary>True for the metadata object of a correlation rule (see <see cref="SigmaCorrelation.Meta"/>).</summary>
    public bool IsCorrelation { get; init; }

    /// <summary>Named search identifiers, in file order.</summary>
    internal IReadOnlyList<SearchIdentifier> Searches { get; init; } = [];
    /// <summary>One or more conditions (a list of conditions is OR-ed).</summary>
    internal IReadOnlyList<ParsedCondition> Conditions { get; init; } = [];

    public override string ToString() => $"{Title} ({Id}) {File}:{Line}";
}

/// <summary>
/// A rule in its evaluable form. <see cref="Matches"/> first checks the routing constraint of the
/// rule's log source (Channel / EventID), then the detection tree, cheapest checks first.
/// Thread-safe: the compiled form is immutable.
/// </summary>
public sealed class CompiledRule
{
    internal CompiledRule(SigmaRule rule, Route[] routes, Node unrouted, IReadOnlyList<IReadOnlyDictionary<string, string>>? renames = null)
    {
        Rule = rule; Routes = routes; Unrouted = unrouted; Renames = renames ?? [];
    }

    /// <summary>The logsource field renames of the rule's routes (e.g. Image → NewProcessName on Security 4688),
    /// so correlations can find a group-by field under the name the event really has.</summary>
    internal IReadOnlyList<IReadOnlyDictionary<string, string>> Renames { get; }

    /// <summary>Where the rule came from, for caches of what is derived from compiled rules (the matcher's tables):
    /// the <see cref="RuleSet.Fingerprint"/> of the load that compiled it and its index in that load's rules. Null when
    /// the load has no fingerprint.</summary>
    internal (byte[] Fingerprint, int Index)? Origin { get; set; }

    public SigmaRule Rule { get; }

    /// <summary>Alternative (constraint, detection) pairs; empty when the log source has no mapping.</summary>
    internal Route[] Routes { get; }
    /// <summary>The detection compiled with the rule's own field names, used when <see cref="Routes"/> is empty.</summary>
    internal Node Unrouted { get; }

    /// <summary>True when the rule has a routing constraint: Channel and/or EventID from its log source, or
    /// (for non-Windows products without a mapping) the guard that keeps it off Windows event log records.</summary>
    public bool HasRouting => Routes.Length > 0;

    /// <summary>The routing alternatives, for building a candidate index (an event can only match when it
    /// satisfies one of them). Empty when the rule applies to every event.</summary>
    public IReadOnlyList<RouteInfo> Routing => _routing ??= Routes.Select(r => new RouteInfo(
        r.Constraint.Channels, r.Constraint.EventIds,
        r.Constraint.Fields.Select(f => (FieldNames.Name(f.FieldId), f.Value)).ToArray(),
        r.Constraint.ChannelAbsentOrIn)
    {
        Present = r.Constraint.Present.Select(FieldNames.Name).ToArray(),
        ChannelFields = r.Constraint.ChannelFields.Select(FieldNames.Name).ToArray(),
        EventIdFields = r.Constraint.EventIdFields.Select(FieldNames.Name).ToArray(),
    }).ToArray();
    private RouteInfo[]? _routing;

    /// <summary>A readable dump of the compiled form (routes, then the detection tree with prepared needles).</summary>
    public string Describe() => Explain.Rule(this);

    public bool Matches(Event e)
    {
        var routes = Routes;
        if (routes.Length == 0) return Evaluator.Eval(Unrouted, e);
        for (int i = 0; i < routes.Length; i++)
        {
            var r = routes[i];
            if (r.Constraint.Matches(e) && Evaluator.Eval(r.Detection, e)) return true;
        }
        return false;
    }

    public override string ToString() => Rule.ToString();
}

/// <summary>
/// One routing alternative of a compiled rule. An event satisfies it when its Channel is in
/// <see cref="Channels"/> (if any), its EventID in <see cref="EventIds"/> (if any), each extra field equals its
/// value, and, when <see cref="ChannelAbsentOrIn"/> is set, it has no Channel or one of those.
/// </summary>
public sealed record RouteInfo(IReadOnlyList<string> Channels, IReadOnlyList<long> EventIds,
    IReadOnlyList<(string Field, string Value)> Fields, IReadOnlyList<string>? ChannelAbsentOrIn)
{
    /// <summary>Fields the event must have (shape-recognised sources such as Zeek or CloudTrail).</summary>
    public IReadOnlyList<string> Present { get; init; } = [];
    /// <summary>Where Channel is read: the first present of these names (Channel, then e.g. winlog.channel).</summary>
    public IReadOnlyList<string> ChannelFields { get; init; } = ["Channel"];
    /// <summary>Where EventID is read: the first present of these names (EventID, winlog.event_id, event.code).</summary>
    public IReadOnlyList<string> EventIdFields { get; init; } = ["EventID"];
}

/// <summary>The result of loading rules: what compiled, what failed (with file and line), and how many files were read.</summary>
public sealed class RuleSet
{
    public RuleSet(IReadOnlyList<CompiledRule> rules, IReadOnlyList<RuleError> errors, int filesRead,
        IReadOnlyList<CompiledCorrelation>? correlations = null, IReadOnlyList<RuleError>? warnings = null, IReadOnlyList<SigmaFilter>? filters = null)
    {
        Rules = rules; Errors = errors; FilesRead = filesRead;
        Correlations = correlations ?? []; Warnings = warnings ?? []; Filters = filters ?? [];
    }

    /// <summary>Detection rules, including those that only feed correlations (see <see cref="Generates"/>).</summary>
    public IReadOnlyList<CompiledRule> Rules { get; }
    /// <summary>Correlation rules with their references resolved, in evaluation order (chained ones last).</summary>
    public IReadOnlyList<CompiledCorrelation> Correlations { get; }
    /// <summary>Filters that were loaded (already folded into the rules they target).</summary>
    public IReadOnlyList<SigmaFilter> Filters { get; }
    public IReadOnlyList<RuleError> Errors { get; }
    /// <summary>Problems that do not stop a rule from loading (unresolved placeholders, filters naming no loaded rule).</summary>
    public IReadOnlyList<RuleError> Warnings { get; }
    public int FilesRead { get; }
    /// <summary>What the parse cache did (null when the load used none, see <see cref="RuleLoadOptions.CacheDirectory"/>).</summary>
    public Caching.RuleCacheStats? Cache { get; init; }
    /// <summary>SHA-256 of everything the compiled rules depend on: the code that parses and compiles (module version
    /// ids), each rule file's path and exact content in load order, the placeholder values and the mapping files.
    /// Two loads with equal fingerprints compile equal rules (compilation is deterministic), so it keys caches of
    /// what is derived from them. Null when some rule came from text (<see cref="RuleLoader.LoadText(string, string)"/>)
    /// or the load used no cache folder.</summary>
    internal byte[]? Fingerprint { get; init; }
    /// <summary>Where loading time went, by stage (for <c>hunt --verbose</c> and tuning).</summary>
    public string LoadTimes { get; internal set; } = "";

    /// <summary>Rule files with at least one error (a file whose rule failed to load or compile).</summary>
    public int Failed => Errors.Select(e => e.File).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Whether a rule (or a correlation's Meta) reports its own detections: false when correlations refer to
    /// it and none of them says <c>generate: true</c> (specification: by default only the correlation is generated;
    /// in a chain only the outermost correlation reports).</summary>
    public bool Generates(SigmaRule rule)
    {
        _silent ??= BuildSilent();
        return !_silent.Contains(rule);
    }
    private HashSet<SigmaRule>? _silent;

    private HashSet<SigmaRule> BuildSilent()
    {
        var referenced = new Dictionary<SigmaRule, bool>(ReferenceEqualityComparer.Instance);
        foreach (var c in Correlations)
            foreach (var i in c.Inputs)
                referenced[i.Source] = (referenced.TryGetValue(i.Source, out bool g) && g) || c.Correlation.Generate;
        var silent = new HashSet<SigmaRule>(ReferenceEqualityComparer.Instance);
        foreach (var (r, generate) in referenced) if (!generate) silent.Add(r);
        return silent;
    }
}

/// <summary>Options for <see cref="RuleLoader"/>.</summary>
public sealed class RuleLoadOptions
{
    /// <summary>Values for <c>expand</c> placeholders (<c>%name%</c>, name without the percent signs,
    /// case-insensitive). A rule using a placeholder not listed here fails to load with a RuleError.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Placeholders { get; init; }

    /// <summary>An extra logsource mapping file (same layout as the embedded Logsources/logsources.yml);
    /// its entries replace the built-in ones with the same key.</summary>
    public string? LogsourceMappingFile { get; init; }

    /// <summary>An extra field mapping file (same layout as the embedded Logsources/fieldmaps.yml): its field
    /// alternatives are tried before the built-in ones, its shapes replace built-in shapes with the same key.</summary>
    public string? FieldMappingFile { get; init; }

    /// <summary>A folder for the parse cache (<c>rules.bin</c>): the parsed form of each rule file, keyed by the file's
    /// exact content and this build, so unchanged files skip YAML parsing on the next load. Null (the default): no
    /// cache. <see cref="DefaultCacheDirectory"/> is the folder the CLI uses.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary><c>$VIGIL_CACHE_DIR</c>, else <c>$XDG_CACHE_HOME/vigil</c>, else <c>~/.cache/vigil</c>; null when
    /// <c>VIGIL_NO_RULE_CACHE</c> is set (to anything but empty or 0).</summary>
    public static string? DefaultCacheDirectory() => Caching.RuleCache.DefaultDirectory();
}
