namespace Vigil.Rules.Conditions;

/// <summary>A parsed condition expression. Parse-time only; the compiler turns it into matcher nodes.</summary>
internal abstract record CondNode(int Position);
internal sealed record CondAnd(CondNode Left, CondNode Right, int Position) : CondNode(Position);
internal sealed record CondOr(CondNode Left, CondNode Right, int Position) : CondNode(Position);
internal sealed record CondNot(CondNode Operand, int Position) : CondNode(Position);
internal sealed record CondIdent(string Name, int Position) : CondNode(Position);
/// <summary><c>N of pattern</c> (at least N) / <c>all of pattern</c>; <see cref="Pattern"/> is null for <c>them</c>.</summary>
internal sealed record CondOf(bool All, string? Pattern, int Position, int Count = 1) : CondNode(Position);

/// <summary>A condition string with where it was written, and its parsed tree.</summary>
internal sealed record ParsedCondition(string Text, CondNode Tree, long Line, long Column);
