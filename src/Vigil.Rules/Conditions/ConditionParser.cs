namespace Vigil.Rules.Conditions;

/// <summary>Thrown for a malformed condition; <see cref="Position"/> is the character offset in the condition text.</summary>
internal sealed class ConditionException(string message, int position) : Exception(message)
{
    public int Position { get; } = position;
}

internal enum TokenKind : byte { Ident, And, Or, Not, Of, Them, All, Number, LParen, RParen, End }

internal readonly record struct Token(TokenKind Kind, string Text, int Position);

/// <summary>Splits a condition into tokens. Keywords are case-insensitive; identifiers keep their case.</summary>
internal static class ConditionTokenizer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '(') { tokens.Add(new(TokenKind.LParen, "(", i)); i++; continue; }
            if (c == ')') { tokens.Add(new(TokenKind.RParen, ")", i)); i++; continue; }
            if (c == '|')
                throw new ConditionException("aggregation expressions ('| count() …') are not supported; use a correlation rule", i);
            if (IsIdentChar(c))
            {
                int start = i;
                while (i < text.Length && IsIdentChar(text[i])) i++;
                string word = text[start..i];
                var kind = word.ToLowerInvariant() switch
                {
                    "and" => TokenKind.And,
                    "or" => TokenKind.Or,
                    "not" => TokenKind.Not,
                    "of" => TokenKind.Of,
                    "them" => TokenKind.Them,
                    "all" => TokenKind.All,
                    _ => word.All(char.IsAsciiDigit) ? TokenKind.Number : TokenKind.Ident,
                };
                tokens.Add(new(kind, word, start));
                continue;
            }
            throw new ConditionException($"unexpected character '{c}' in condition", i);
        }
        tokens.Add(new(TokenKind.End, "", text.Length));
        return tokens;
    }

    private static bool IsIdentChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '*' or '-' or '.' or '?';
}

/// <summary>
/// Recursive-descent parser. Precedence from loosest to tightest: or, and, not, "x of", parentheses
/// (Sigma specification, "Condition"). Binary operators are left-associative.
/// </summary>
internal sealed class ConditionParser
{
    private readonly List<Token> _tokens;
    private int _pos;

    private ConditionParser(List<Token> tokens) { _tokens = tokens; }

    public static CondNode Parse(string text)
    {
        var p = new ConditionParser(ConditionTokenizer.Tokenize(text));
        if (p.Peek.Kind == TokenKind.End) throw new ConditionException("empty condition", 0);
        var node = p.ParseOr();
        if (p.Peek.Kind != TokenKind.End)
            throw new ConditionException($"unexpected '{p.Peek.Text}' after a complete expression", p.Peek.Position);
        return node;
    }

    private Token Peek => _tokens[_pos];
    private Token Next() => _tokens[_pos++];

    private CondNode ParseOr()
    {
        var left = ParseAnd();
        while (Peek.Kind == TokenKind.Or)
        {
            var op = Next();
            left = new CondOr(left, ParseAnd(), op.Position);
        }
        return left;
    }

    private CondNode ParseAnd()
    {
        var left = ParseNot();
        while (Peek.Kind == TokenKind.And)
        {
            var op = Next();
            left = new CondAnd(left, ParseNot(), op.Position);
        }
        return left;
    }

    private CondNode ParseNot()
    {
        if (Peek.Kind == TokenKind.Not)
        {
            var op = Next();
            return new CondNot(ParseNot(), op.Position);
        }
        return ParsePrimary();
    }

    private CondNode ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.LParen:
                var inner = ParseOr();
                if (Peek.Kind != TokenKind.RParen)
                    throw new ConditionException($"expected ')' to close '(' at offset {t.Position}, found '{Describe(Peek)}'", Peek.Position);
                Next();
                return inner;
            case TokenKind.Number:
            case TokenKind.All:
                // "x of search-identifier" (spec, operator precedence): x is "all" or a count; N means at least N
                // of the matched identifiers, as pySigma reads it.
                int count = 1;
                if (t.Kind == TokenKind.Number && (!int.TryParse(t.Text, out count) || count < 1))
                    throw new ConditionException($"'{t.Text} of' needs a count of at least 1", t.Position);
                if (Peek.Kind != TokenKind.Of)
                    throw new ConditionException($"expected 'of' after '{t.Text}', found '{Describe(Peek)}'", Peek.Position);
                Next();
                var target = Next();
                if (target.Kind == TokenKind.Them) return new CondOf(t.Kind == TokenKind.All, null, t.Position, count);
                if (target.Kind == TokenKind.Ident) return new CondOf(t.Kind == TokenKind.All, target.Text, t.Position, count);
                throw new ConditionException($"expected 'them' or a search identifier pattern after 'of', found '{Describe(target)}'", target.Position);
            case TokenKind.Ident:
                return new CondIdent(t.Text, t.Position);
            default:
                throw new ConditionException($"expected a search identifier, 'not', '(' or 'x of', found '{Describe(t)}'", t.Position);
        }
    }

    private static string Describe(Token t) => t.Kind == TokenKind.End ? "end of condition" : t.Text;
}
