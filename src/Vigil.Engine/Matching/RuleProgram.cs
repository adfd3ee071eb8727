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
    private (RouteConstraint Constraint, int ConstraintId, ProgramNode Detection)[] _routes;
    private readonly ProgramNode _unrouted;

    private RuleProgram((RouteConstraint, int, ProgramNode)[] routes, ProgramNode unrouted)
    {
        _routes = routes;
        _unrouted = unrouted;
    }

    /// <param name="atomId">Registers an atom and returns its id.</param>
    /// <param name="usedFields">Receives the field ids (-1: keyword) whose automata must be scanned.</param>
    /// <param name="constraintId">Numbers route constraints: constraints equal by <see cref="ConstraintComparer"/> must get equal ids.</param>
    public static RuleProgram Build(CompiledRule rule, Func<Atom, int> atomId, HashSet<int> usedFields, Func<RouteConstraint, int> constraintId)
    {
        var cache = new Dictionary<Node, ProgramNode>(ReferenceEqualityComparer.Instance);
        var ids = new OrderedSet();
        ProgramNode Of(Node n)
        {
            if (cache.TryGetValue(n, out var p)) return p;
            var children = n.Children.Length == 0 ? [] : new ProgramNode[n.Children.Length];
            for (int i = 0; i < children.Length; i++) children[i] = Of(n.Children[i]);
            p = new ProgramNode { Kind = n.Kind, Original = n, Children = children };
            if (n.Kind is NodeKind.Field or NodeKind.Keyword)
            {
                var t = n.Test!;
                var exact = RuleFacts.ExactAtoms(t);
                var groups = exact ?? RuleFacts.NecessaryAtoms(t);
                if (groups != null)
                {
                    p.Exact = exact != null;
                    if (n.Kind == NodeKind.Keyword) p.Names = [-1];
                    else p.Names = t.AltFieldIds is { } alts ? [t.FieldId, .. alts] : [t.FieldId];
                    // The atoms are on the test's own name; a test with other names (fieldmaps.yml) reads the first
                    // present of them, so each name gets the same atoms on itself (keywords: one set, field -1).
                    // Plain loops: this runs for some 20,000 tests x names, and LINQ's Distinct (a set per group) was most of it.
                    p.GroupsByName = new int[p.Names.Length][][];
                    for (int j = 0; j < p.Names.Length; j++)
                    {
                        int name = p.Names[j];
                        usedFields.Add(name);
                        var byGroup = new int[groups.Count][];
                        for (int g = 0; g < groups.Count; g++)
                        {
                            ids.Clear();
                            foreach (var a in groups[g]) ids.Add(atomId(a with { FieldId = name }));   // first occurrence order kept
                            byGroup[g] = [.. ids];
                        }
                        p.GroupsByName[j] = byGroup;
                    }
                }
            }
            p.Cost = CostOf(p);
            // The operators are pure and commutative (the compiler orders children by its own cost the same way), so
            // the order changes no answer: tests the marks decide go first, the evaluator's tests last.
            if (p.Kind is NodeKind.And or NodeKind.Or && p.Children.Length > 1) RuleCompiler.SortByCost(p.Children, static c => c.Cost);
            cache[n] = p;
            return p;
        }
        return new RuleProgram(rule.Routes.Select(r => (r.Constraint, constraintId(r.Constraint), Of(r.Detection))).ToArray(), Of(rule.Unrouted));
    }

    /// <summary>
    /// Replaces the atom ids the program was built with by <paramref name="atomIds"/>[id] and numbers its route
    /// constraints again with <paramref name="constraintId"/> (in route order). The matcher builds programs in parallel
    /// with rule-local ids (0, 1, ... in order of first use) and then numbers them for the whole collection, one rule
    /// after another, which gives every atom and constraint the id a serial build would have given it. Node sharing
    /// within the rule is kept: each node is renumbered once.
    /// </summary>
    public void Renumber(int[] atomIds, Func<RouteConstraint, int> constraintId)
    {
        var done = new HashSet<ProgramNode>(ReferenceEqualityComparer.Instance);
        void Visit(ProgramNode p)
        {
            if (!done.Add(p)) return;
            foreach (var c in p.Children) Visit(c);
            if (p.GroupsByName is not { } byName) return;
            foreach (var byGroup in byName)
                foreach (var group in byGroup)
                    for (int i = 0; i < group.Length; i++) group[i] = atomIds[group[i]];
        }
        for (int i = 0; i < _routes.Length; i++)
        {
            var (constraint, _, detection) = _routes[i];
            _routes[i] = (constraint, constraintId(constraint), detection);
            Visit(detection);
        }
        Visit(_unrouted);
    }

    /// <summary>The rule's compiled detection nodes in a fixed order: a walk of its routes' trees and then the unrouted
    /// tree, children in order, each shared node once. <see cref="Build"/> makes one program node per such node, so the
    /// cache (<see cref="Write"/>, <see cref="Read"/>) refers to them by their position here.</summary>
    private static List<Node> CompiledNodes(CompiledRule rule, out Dictionary<Node, int> position)
    {
        var order = new List<Node>();
        var at = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        void Visit(Node n)
        {
            if (!at.TryAdd(n, order.Count)) return;
            order.Add(n);
            foreach (var c in n.Children) Visit(c);
        }
        foreach (var r in rule.Routes) Visit(r.Detection);
        Visit(rule.Unrouted);
        position = at;
        return order;
    }

    /// <summary>A digest of what a compiled node is (its compiler cost, and for a test its field name, the number of
    /// groups, needles and exact-set entries and the needles' texts and kinds): the cache stores it per node and a read
    /// checks it against the fresh compile, so a program is never attached to nodes it was not built from.</summary>
    private static long Signature(Node n)
    {
        // FNV-1a over the parts (HashCode is seeded per process; this value is stored).
        ulong h = 14695981039346656037UL;
        void Add(long x) { for (int i = 0; i < 8; i++) { h ^= (byte)(x >> (8 * i)); h *= 1099511628211UL; } }
        void AddText(string s)
        {
            Add(s.Length);
            foreach (char c in s) { h ^= (byte)c; h *= 1099511628211UL; h ^= (byte)(c >> 8); h *= 1099511628211UL; }
        }
        Add((long)n.Kind);
        Add(n.Cost);
        Add(n.Children.Length);
        if (n.Test is { } t)
        {
            AddText(t.FieldName);
            Add((long)t.Kind);
            Add(t.Groups.Length);
            foreach (var g in t.Groups)
            {
                Add(g.Length);
                foreach (var nd in g) { Add((long)nd.Kind); AddText(nd.Text); }
            }
            Add(t.ExactSet?.Set.Count ?? -1);
        }
        return (long)h;
    }

    /// <summary>The program's nodes by the compiled node each was built from.</summary>
    private Dictionary<Node, ProgramNode> ByOriginal()
    {
        var byOriginal = new Dictionary<Node, ProgramNode>(ReferenceEqualityComparer.Instance);
        void Gather(ProgramNode p)
        {
            if (!byOriginal.TryAdd(p.Original, p)) return;
            foreach (var c in p.Children) Gather(c);
        }
        foreach (var (_, _, detection) in _routes) Gather(detection);
        Gather(_unrouted);
        return byOriginal;
    }

    /// <summary>Writes the program for the matcher cache: per compiled node (<see cref="CompiledNodes"/>) its program
    /// node's kind, cost, atom groups per name (names through <paramref name="nameIndex"/>) and children (in the
    /// program's order, by position); then each route's constraint id and detection, and the unrouted tree.</summary>
    public void Write(BinaryWriter w, CompiledRule rule, Func<int, int> nameIndex)
    {
        var nodes = CompiledNodes(rule, out var position);
        var byOriginal = ByOriginal();
        if (byOriginal.Count != nodes.Count) throw new InvalidOperationException($"program of {rule.Rule.Title}: {byOriginal.Count} nodes for {nodes.Count} compiled ones");
        w.Write(nodes.Count);
        foreach (var original in nodes)
        {
            var p = byOriginal[original];
            w.Write((byte)p.Kind);
            w.Write(Signature(original));
            w.Write(p.Cost);
            w.Write(p.Exact);
            w.Write(p.Names.Length);
            foreach (int name in p.Names) w.Write(nameIndex(name));
            if (p.GroupsByName is not { } byName) w.Write(-1);
            else
            {
                w.Write(byName.Length);
                foreach (var byGroup in byName)
                {
                    w.Write(byGroup.Length);
                    foreach (var group in byGroup)
                    {
                        w.Write(group.Length);
                        foreach (int a in group) w.Write(a);
                    }
                }
            }
            w.Write(p.Children.Length);
            foreach (var c in p.Children) w.Write(position[c.Original]);
        }
        w.Write(_routes.Length);
        foreach (var (_, id, detection) in _routes)
        {
            w.Write(id);
            w.Write(position[detection.Original]);
        }
        w.Write(position[_unrouted.Original]);
    }

    /// <summary>A text of the whole program (tests: a program read from the cache must equal the one built): per
    /// compiled node in <see cref="CompiledNodes"/> order, its program node's kind, cost, exactness, names, atom groups and
    /// children (by position, in the program's order); then the routes' constraint ids and trees.</summary>
    public string Describe(CompiledRule rule)
    {
        var nodes = CompiledNodes(rule, out var position);
        var byOriginal = ByOriginal();
        var text = new System.Text.StringBuilder();
        text.Append(nodes.Count).Append(" nodes, ").Append(byOriginal.Count).Append(" program nodes\n");
        for (int i = 0; i < nodes.Count; i++)
        {
            if (!byOriginal.TryGetValue(nodes[i], out var p)) { text.Append(i).Append(": none\n"); continue; }
            text.Append(i).Append(": ").Append(p.Kind).Append(" cost ").Append(p.Cost).Append(p.Exact ? " exact" : "")
                .Append(" names [").Append(string.Join(",", p.Names.Select(n => n < 0 ? "(keywords)" : FieldNames.Name(n)))).Append(']');
            if (p.GroupsByName is { } g)
                text.Append(" groups ").Append(string.Join(" | ", g.Select(byGroup => string.Join(";", byGroup.Select(gr => string.Join(",", gr))))));
            text.Append(" children [").Append(string.Join(",", p.Children.Select(c => position[c.Original]))).Append("]\n");
        }
        foreach (var (_, id, detection) in _routes) text.Append("route ").Append(id).Append(" -> ").Append(position[detection.Original]).Append('\n');
        text.Append("unrouted -> ").Append(position[_unrouted.Original]).Append('\n');
        return text.ToString();
    }

    /// <summary>Reads what <see cref="Write"/> wrote, over the freshly compiled <paramref name="rule"/>; throws
    /// <see cref="InvalidDataException"/> when it does not fit (another node count or kind, an id out of range).</summary>
    public static RuleProgram Read(BinaryReader r, CompiledRule rule, Func<int, int> nameKey, int atomCount, int constraintCount)
    {
        var nodes = CompiledNodes(rule, out var position);
        if (r.ReadInt32() != nodes.Count) throw new InvalidDataException("program node count");
        var pn = new ProgramNode[nodes.Count];
        for (int i = 0; i < pn.Length; i++) pn[i] = new ProgramNode { Kind = nodes[i].Kind, Original = nodes[i] };
        int Index()
        {
            int i = r.ReadInt32();
            return (uint)i < (uint)pn.Length ? i : throw new InvalidDataException("program node index");
        }
        foreach (var p in pn)
        {
            if (r.ReadByte() != (byte)p.Kind) throw new InvalidDataException("program node kind");
            if (r.ReadInt64() != Signature(p.Original)) throw new InvalidDataException("program node signature");
            p.Cost = r.ReadInt32();
            p.Exact = r.ReadBoolean();
            var names = new int[CollectionMatcher.MatcherCache.Count(r)];
            for (int j = 0; j < names.Length; j++) names[j] = nameKey(r.ReadInt32());
            p.Names = names;
            int byNameCount = r.ReadInt32();
            if (byNameCount < -1) throw new InvalidDataException("atom groups");
            if (byNameCount >= 0)
            {
                if (byNameCount != names.Length) throw new InvalidDataException("atom groups per name");
                var byName = new int[byNameCount][][];
                for (int j = 0; j < byName.Length; j++)
                {
                    var byGroup = new int[CollectionMatcher.MatcherCache.Count(r)][];
                    for (int g = 0; g < byGroup.Length; g++)
                    {
                        var group = new int[CollectionMatcher.MatcherCache.Count(r)];
                        for (int k = 0; k < group.Length; k++)
                        {
                            int a = r.ReadInt32();
                            group[k] = (uint)a < (uint)atomCount ? a : throw new InvalidDataException("atom id");
                        }
                        byGroup[g] = group;
                    }
                    byName[j] = byGroup;
                }
                p.GroupsByName = byName;
            }
            int children = CollectionMatcher.MatcherCache.Count(r);
            if (children != p.Original.Children.Length) throw new InvalidDataException("program node children");
            p.Children = children == 0 ? [] : new ProgramNode[children];
            for (int j = 0; j < children; j++) p.Children[j] = pn[Index()];
        }
        if (r.ReadInt32() != rule.Routes.Length) throw new InvalidDataException("route count");
        var routes = new (RouteConstraint, int, ProgramNode)[rule.Routes.Length];
        for (int i = 0; i < routes.Length; i++)
        {
            int id = r.ReadInt32();
            if ((uint)id >= (uint)constraintCount) throw new InvalidDataException("constraint id");
            var detection = pn[Index()];
            if (!ReferenceEquals(detection.Original, rule.Routes[i].Detection)) throw new InvalidDataException("route detection");
            routes[i] = (rule.Routes[i].Constraint, id, detection);
        }
        var unrouted = pn[Index()];
        if (!ReferenceEquals(unrouted.Original, rule.Unrouted)) throw new InvalidDataException("unrouted detection");
        return new RuleProgram(routes, unrouted);
    }

    /// <summary>
    /// Equality of route constraints by content: every member <see cref="RouteConstraint.Matches"/> reads, texts compared
    /// exactly (constraints that differ only in case get two ids, which costs a test, never a wrong answer), so equal
    /// constraints give equal answers on every event. No key strings: numbering the collection's 5,000-odd routes by
    /// key strings was most of the matcher's program build time (the tests keep that key as the reference relation).
    /// </summary>
    public sealed class ConstraintComparer : IEqualityComparer<RouteConstraint>
    {
        public static readonly ConstraintComparer Instance = new();

        public bool Equals(RouteConstraint? a, RouteConstraint? b)
        {
            if (ReferenceEquals(a, b)) return true;
            if (a is null || b is null) return false;
            if (!Texts(a.Channels, b.Channels) || !a.EventIds.AsSpan().SequenceEqual(b.EventIds) || !Pairs(a.Fields, b.Fields)
                || !a.Present.AsSpan().SequenceEqual(b.Present) || a.Excluded.Length != b.Excluded.Length
                || !a.ChannelFields.AsSpan().SequenceEqual(b.ChannelFields) || !a.EventIdFields.AsSpan().SequenceEqual(b.EventIdFields))
                return false;
            for (int i = 0; i < a.Excluded.Length; i++)
                if (!Pairs(a.Excluded[i].FieldEquals, b.Excluded[i].FieldEquals) || !a.Excluded[i].Present.AsSpan().SequenceEqual(b.Excluded[i].Present))
                    return false;
            if (a.ChannelAbsentOrIn is null || b.ChannelAbsentOrIn is null) return a.ChannelAbsentOrIn is null && b.ChannelAbsentOrIn is null;
            return Texts(a.ChannelAbsentOrIn, b.ChannelAbsentOrIn);
        }

        public int GetHashCode(RouteConstraint c)
        {
            var h = new HashCode();
            foreach (var x in c.Channels) h.Add(x, StringComparer.Ordinal);
            foreach (var x in c.EventIds) h.Add(x);
            foreach (var (f, v) in c.Fields) { h.Add(f); h.Add(v, StringComparer.Ordinal); }
            h.Add(c.Present.Length);
            h.Add(c.Excluded.Length);
            h.Add(c.ChannelFields.Length);
            h.Add(c.EventIdFields.Length);
            h.Add(c.ChannelAbsentOrIn?.Length ?? -1);
            return h.ToHashCode();
        }

        private static bool Texts(string[] a, string[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (!string.Equals(a[i], b[i], StringComparison.Ordinal)) return false;
            return true;
        }

        private static bool Pairs((int FieldId, string Value)[] a, (int FieldId, string Value)[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (a[i].FieldId != b[i].FieldId || !string.Equals(a[i].Value, b[i].Value, StringComparison.Ordinal)) return false;
            return true;
        }
    }

    /// <summary>Distinct ints in order of first addition (a list and a set, both reused).</summary>
    private sealed class OrderedSet
    {
        private readonly List<int> _list = [];
        private readonly HashSet<int> _set = [];
        public void Clear() { _list.Clear(); _set.Clear(); }
        public void Add(int x) { if (_set.Add(x)) _list.Add(x); }
        public List<int>.Enumerator GetEnumerator() => _list.GetEnumerator();
        public int Count => _list.Count;
    }

    /// <summary>Rough cost of evaluating a node here: a test the marks decide costs 1, one with necessary atoms 2 (the
    /// atoms mostly fail), a test for the evaluator 2 plus the compiler's estimate.</summary>
    private static int CostOf(ProgramNode p)
    {
        switch (p.Kind)
        {
            case NodeKind.And:
            case NodeKind.Or:
                long sum = 0;
                foreach (var c in p.Children) sum += c.Cost;
                return (int)Math.Min(sum, 1_000_000);
            case NodeKind.Not:
                return p.Children[0].Cost;
            case NodeKind.Field:
            case NodeKind.Keyword:
                if (p.GroupsByName != null) return p.Exact ? 1 : 2;
                return 2 + p.Original.Cost;
            default:
                return 0;
        }
    }

    /// <summary>Same logic as <see cref="CompiledRule.Matches"/>; route constraints answered once per event per
    /// distinct constraint (the answers are kept in <paramref name="scratch"/> under <paramref name="stamp"/>).
    /// The event's field table (<see cref="MatcherScratch.FieldStamps"/>) must be filled for <paramref name="stamp"/>.</summary>
    public bool Matches(Event e, MatcherScratch scratch, int stamp)
    {
        var routes = _routes;
        var atomStamps = scratch.AtomStamps;
        var fieldStamps = scratch.FieldStamps;
        if (routes.Length == 0) return Eval(_unrouted, e, atomStamps, fieldStamps, stamp);
        var routeStamps = scratch.RouteStamps;
        var answers = scratch.RouteAnswers;
        foreach (var (constraint, id, detection) in routes)
        {
            bool admitted;
            if (routeStamps[id] == stamp) admitted = answers[id];
            else
            {
                admitted = answers[id] = constraint.Matches(e);
                routeStamps[id] = stamp;
            }
            if (admitted && Eval(detection, e, atomStamps, fieldStamps, stamp)) return true;
        }
        return false;
    }

    private static bool Eval(ProgramNode n, Event e, int[] atomStamps, int[] fieldStamps, int stamp)
    {
        switch (n.Kind)
        {
            case NodeKind.And:
                foreach (var c in n.Children) if (!Eval(c, e, atomStamps, fieldStamps, stamp)) return false;
                return true;
            case NodeKind.Or:
                foreach (var c in n.Children) if (Eval(c, e, atomStamps, fieldStamps, stamp)) return true;
                return false;
            case NodeKind.Not:
                return !Eval(n.Children[0], e, atomStamps, fieldStamps, stamp);
            case NodeKind.Field:
            case NodeKind.Keyword:
                if (n.GroupsByName is not { } byName) return Evaluator.Eval(n.Original, e);
                int[][] groups;
                if (n.Kind == NodeKind.Keyword) groups = byName[0];
                else
                {
                    // The field test reads the first present of its names (its own, then those of fieldmaps.yml), and
                    // the atoms of that name decide. None present: the test fails, as the evaluator's does for an
                    // absent field when it has atoms (a value test without null and without neq).
                    int j = 0;
                    var names = n.Names;
                    while (j < names.Length && !((uint)names[j] < (uint)fieldStamps.Length && fieldStamps[names[j]] == stamp)) j++;
                    if (j == names.Length) return false;
                    groups = byName[j];
                }
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
        /// <summary>Per name of the test (<see cref="Names"/>), atom ids per group on that name. <see cref="Exact"/>: the
        /// test holds iff every group has a hit atom; otherwise it cannot hold unless every group has one, and then the
        /// evaluator decides. Null: ask the evaluator.</summary>
        public int[][][]? GroupsByName;
        public bool Exact;
        /// <summary>The field keys the test reads, first present wins: its own, then those of fieldmaps.yml; [-1] for a keyword test.</summary>
        public int[] Names = [];
        /// <summary>Evaluation cost estimate (<see cref="CostOf"/>), for ordering And / Or children.</summary>
        public int Cost;
    }
}
