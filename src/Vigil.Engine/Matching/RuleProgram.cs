using Vigil.Events;
using Vigil.Rules;
using Vigil.Rules.Compilation;
using Vigil.Rules.Evaluation;
using Vigil.Rules.Logsources;

namespace Vigil.Engine.Matching;

/// <summary>
/// A compiled rule's detection tree where field and keyword tests made only of plain text needles are
/// answered from the needle hits of the event's automaton scan (<see cref="RuleFacts.ExactAtoms"/>) instead of
/// comparing each needle again; tests with wildcards or cased needles are answered "no" when their necessary
/// atoms (<see cref="RuleFacts.NecessaryAtoms"/>) did not hit; every other test goes to the rule engine's <see cref="Evaluator"/>. Same
/// structure and operators as the original tree, so the answer is the same as <see cref="CompiledRule.Matches"/>
/// provided the fields of the rule's atom tests were scanned for the event (the caller's duty).
/// </summary>
internal sealed class RuleProgram
{
    private readonly (RouteConstraint Constraint, ProgramNode Detection)[] _routes;
    private readonly ProgramNode _unrouted;

    private RuleProgram((RouteConstraint, ProgramNode)[] routes, ProgramNode unrouted)
    {
        _routes = routes;
        _unrouted = unrouted;
    }

    /// <param name="atomId">Registers an atom and returns its id.</param>
    /// <param name="usedFields">Receives the field ids (-1: keyword) whose automata must be scanned.</param>
    public static RuleProgram Build(CompiledRule rule, Func<Atom, int> atomId, HashSet<int> usedFields)
    {
        var cache = new Dictionary<Node, ProgramNode>(ReferenceEqualityComparer.Instance);
        ProgramNode Of(Node n)
        {
            if (cache.TryGetValue(n, out var p)) return p;
            p = new ProgramNode { Kind = n.Kind, Original = n, Children = n.Children.Select(Of).ToArray() };
            if (n.Kind is NodeKind.Field or NodeKind.Keyword)
            {
                var exact = RuleFacts.ExactAtoms(n.Test!);
                var groups = exact ?? RuleFacts.NecessaryAtoms(n.Test!);
                if (groups != null)
                {
                    p.Groups = groups.Select(g => g.Select(atomId).Distinct().ToArray()).ToArray();
                    p.Exact = exact != null;
                    p.HasAlternatives = n.Test!.AltFieldIds != null;
                    foreach (var g in groups) foreach (var a in g) usedFields.Add(a.FieldId);
                }
            }
            cache[n] = p;
            return p;
        }
        return new RuleProgram(rule.Routes.Select(r => (r.Constraint, Of(r.Detection))).ToArray(), Of(rule.Unrouted));
    }

    /// <summary>Same logic as <see cref="CompiledRule.Matches"/>.</summary>
    public bool Matches(Event e, int[] atomStamps, int stamp)
    {
        var routes = _routes;
        if (routes.Length == 0) return Eval(_unrouted, e, atomStamps, stamp);
        foreach (var (constraint, detection) in routes)
            if (constraint.Matches(e) && Eval(detection, e, atomStamps, stamp)) return true;
        return false;
    }

    private static bool Eval(ProgramNode n, Event e, int[] atomStamps, int stamp)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
                foreach (var c in n.Children) if (!Eval(c, e, atomStamps, stamp)) return false;
                return true;
            case NodeKind.Or:
                foreach (var c in n.Children) if (Eval(c, e, atomStamps, stamp)) return true;
                return false;
            case NodeKind.Not:
                return !Eval(n.Children[0], e, atomStamps, stamp);
            case NodeKind.Field:
            case NodeKind.Keyword:
                if (n.Groups is not { } groups) return Evaluator.Eval(n.Original, e);
                // A test with other names (fieldmaps.yml) reads the first present of them: when its own name is
                // present that is the field the atoms were scanned on; otherwise the evaluator decides (absent
                // field, or a Winlogbeat-style name).
                if (n.HasAlternatives && e.IndexOf(n.Original.Test!.FieldId) < 0) return Evaluator.Eval(n.Original, e);
                foreach (var g in groups)
                {
                    bool any = false;
                    foreach (int a in g) if (atomStamps[a] == stamp) { any = true; break; }
                    if (!any) return false;
                }
                // Necessary atoms only (wildcards, cased needles): they hold, so the evaluator decides.
                return n.Exact || Evaluator.Eval(n.Original, e);
            default:
                return Evaluator.Eval(n.Original, e);
        }
    }

    private sealed class ProgramNode
    {
        public NodeKind Kind;
        public ProgramNode[] Children = [];
        public Node Original = null!;
        /// <summary>Atom ids per group. <see cref="Exact"/>: the test holds iff every group has a hit atom;
        /// otherwise it cannot hold unless every group has one, and then the evaluator decides. Null: ask the evaluator.</summary>
        public int[][]? Groups;
        public bool Exact;
        /// <summary>The field test has other names (fieldmaps.yml): <see cref="Groups"/> answer it only when its own name is present.</summary>
        public bool HasAlternatives;
    }
}
