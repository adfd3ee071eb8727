using System.Text;
using Vigil.Events;

namespace Vigil.Rules.Compilation;

/// <summary>Renders a compiled rule as text, for `vigil rules` and for debugging rule behaviour.</summary>
internal static class Explain
{
    public static string Rule(CompiledRule rule)
    {
        var sb = new StringBuilder();
        sb.Append(rule.Rule.Title).Append(" (").Append(rule.Rule.Id).Append(") ").Append(rule.Rule.File).Append(':').Append(rule.Rule.Line).Append('\n');
        if (rule.Routes.Length == 0) Node(sb, rule.Unrouted, 1);
        foreach (var r in rule.Routes)
        {
            sb.Append("  route: ").Append(r.Constraint).Append('\n');
            Node(sb, r.Detection, 2);
        }
        return sb.ToString();
    }

    private static void Node(StringBuilder sb, Node n, int depth)
    {
        sb.Append(' ', depth * 2);
        switch (n.Kind)
        {
            case NodeKind.And or NodeKind.Or or NodeKind.Not:
                sb.Append(n.Kind.ToString().ToUpperInvariant()).Append('\n');
                foreach (var c in n.Children) Node(sb, c, depth + 1);
                return;
            case NodeKind.Field or NodeKind.Keyword:
                var t = n.Test!;
                sb.Append(n.Kind == NodeKind.Keyword ? "<any field>" : FieldNames.Name(t.FieldId));
                if (t.AltFieldIds is { } alts) sb.Append(" (else ").Append(string.Join(", ", alts.Select(FieldNames.Name))).Append(')');
                if (t.Kind == TestKind.Exists) { sb.Append(t.ExistsExpected ? " exists" : " absent").Append('\n'); return; }
                if (t.Part != TimePart.None) sb.Append(" [").Append(t.Part).Append(']');
                if (t.Negate) sb.Append(" neq");
                sb.Append(t.All ? " ALL of " : " any of ");
                sb.Append(string.Join(" | ", t.Groups.Select(g => string.Join(" / ", g.Select(Needle)))));
                sb.Append('\n');
                return;
            default:
                sb.Append(n.Kind).Append('\n');
                return;
        }
    }

    private static string Needle(Needle nd) => nd.Kind switch
    {
        NeedleKind.Null => "null",
        NeedleKind.Regex => $"re:{nd.Regex}",
        NeedleKind.Cidr => $"cidr:{nd.Text}",
        _ => $"{nd.Kind}:'{nd.Text}'" + (nd.HasNumber ? $"(={nd.Number})" : "") + (nd.Comparison == StringComparison.Ordinal ? " cased" : ""),
    };
}
