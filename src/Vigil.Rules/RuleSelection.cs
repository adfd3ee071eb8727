namespace Vigil.Rules;

/// <summary>
/// Which rules a hunt reports (the <c>--min-level</c>, <c>--status</c>, <c>--include-id</c>, <c>--exclude-id</c>,
/// <c>--include-tag</c>, <c>--exclude-tag</c> flags). Kinds of criteria are AND-ed; values within a kind are OR-ed;
/// an exclusion always wins. Ids compare case-insensitively; a tag criterion matches a tag equal to it or
/// starting with it followed by a dot (<c>attack.t1003</c> matches <c>attack.t1003.001</c>, not <c>attack.t10030</c>),
/// case-insensitively. Correlations are selected by their own metadata; the detection rules they need still run
/// (see <see cref="RulesToRun"/>) but report only when selected themselves.
/// </summary>
public sealed class RuleSelection
{
    public static readonly string[] Levels = ["informational", "low", "medium", "high", "critical"];

    public string? MinLevel { get; init; }
    public IReadOnlyList<string> Statuses { get; init; } = [];
    public IReadOnlyList<string> IncludeIds { get; init; } = [];
    public IReadOnlyList<string> ExcludeIds { get; init; } = [];
    public IReadOnlyList<string> IncludeTags { get; init; } = [];
    public IReadOnlyList<string> ExcludeTags { get; init; } = [];

    public bool IsEmpty => MinLevel == null && Statuses.Count == 0 && IncludeIds.Count == 0 && ExcludeIds.Count == 0
                           && IncludeTags.Count == 0 && ExcludeTags.Count == 0;

    /// <summary>0 for an unknown level, 1 (informational) … 5 (critical).</summary>
    public static int LevelRank(string? level) => level == null ? 0 : Array.FindIndex(Levels, l => l.Equals(level, StringComparison.OrdinalIgnoreCase)) + 1;

    public bool Selects(SigmaRule r)
    {
        if (ExcludeIds.Any(id => id.Equals(r.Id, StringComparison.OrdinalIgnoreCase))) return false;
        if (ExcludeTags.Any(t => r.Tags.Any(rt => TagMatches(t, rt)))) return false;
        if (MinLevel != null && LevelRank(r.Level) < LevelRank(MinLevel)) return false;
        if (Statuses.Count > 0 && !Statuses.Any(s => s.Equals(r.Status, StringComparison.OrdinalIgnoreCase))) return false;
        if (IncludeIds.Count > 0 && !IncludeIds.Any(id => id.Equals(r.Id, StringComparison.OrdinalIgnoreCase))) return false;
        if (IncludeTags.Count > 0 && !IncludeTags.Any(t => r.Tags.Any(rt => TagMatches(t, rt)))) return false;
        return true;
    }

    public static bool TagMatches(string criterion, string tag) =>
        tag.Equals(criterion, StringComparison.OrdinalIgnoreCase)
        || (tag.Length > criterion.Length && tag[criterion.Length] == '.' && tag.StartsWith(criterion, StringComparison.OrdinalIgnoreCase));

    /// <summary>The selected detection rules plus every rule a selected correlation needs.</summary>
    public List<CompiledRule> RulesToRun(RuleSet set)
    {
        var run = new HashSet<CompiledRule>(ReferenceEqualityComparer.Instance);
        foreach (var r in set.Rules) if (Selects(r.Rule)) run.Add(r);
        foreach (var c in SelectedCorrelations(set)) foreach (var r in c.BaseRules()) run.Add(r);
        return set.Rules.Where(run.Contains).ToList();   // keep load order
    }

    public List<CompiledCorrelation> SelectedCorrelations(RuleSet set) => set.Correlations.Where(c => Selects(c.Meta)).ToList();
}
