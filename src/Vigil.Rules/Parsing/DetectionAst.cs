namespace Vigil.Rules.Parsing;

/// <summary>How a YAML scalar was written: Sigma treats an unquoted 4688 as a number, '4688' as text.</summary>
internal enum ScalarKind : byte { String, Integer, Float, Boolean, Null }

/// <summary>One value from a rule, with its position in the file.</summary>
internal readonly record struct SigmaScalar(ScalarKind Kind, string Text, long Line, long Column);

/// <summary>
/// <c>Field|mod1|mod2: value(s)</c>. <see cref="Field"/> is empty for keyword searches
/// (an unnamed list, or a <c>'|all':</c> key), which match against every field of an event.
/// Values are OR-ed unless the <c>all</c> modifier is present.
/// </summary>
internal sealed record FieldSpec(string Field, IReadOnlyList<string> Modifiers, IReadOnlyList<SigmaScalar> Values, long Line, long Column)
{
    public bool IsKeyword => Field.Length == 0;
}

/// <summary>One map of a search identifier: all its field specs are AND-ed.</summary>
internal sealed record SearchBranch(IReadOnlyList<FieldSpec> Fields);

/// <summary>A named search identifier (<c>selection</c>, <c>filter_main</c>…): its branches are OR-ed
/// (a list of maps, or a keyword list which becomes one branch with one keyword spec).</summary>
internal sealed record SearchIdentifier(string Name, IReadOnlyList<SearchBranch> Branches, long Line, long Column);
