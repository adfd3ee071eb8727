using Vigil.Rules.Conditions;
using Vigil.Rules.Parsing;

namespace Vigil.Rules.Caching;

/// <summary>Thrown when a cache entry does not decode; the loader then parses the file instead.</summary>
internal sealed class CacheFormatException(string message) : Exception(message);

/// <summary>
/// <see cref="ParsedFile"/> ⇄ bytes, for the rule cache. Everything the parse stage produces is written, including
/// every line and column later stages report, except the file path: an entry is keyed by the file's content, so the
/// same bytes at another path reuse it, and <see cref="Read"/> stamps the path of the file being loaded. A round trip
/// gives a ParsedFile equal, member by member, to a fresh parse (tested by reflection over every member, so a member
/// added to the parse model without being added here fails the test).
/// </summary>
internal static class ParsedFileCodec
{
    /// <summary>Bumped by hand whenever this layout changes (the assembly stamp changes with any build anyway).</summary>
    public const int LayoutVersion = 1;

    private const int MaxConditionDepth = 1000;

    public static byte[] Write(ParsedFile file)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write7BitEncodedInt(file.Rules.Count);
            foreach (var r in file.Rules) WriteRule(w, r);
            w.Write7BitEncodedInt(file.Correlations.Count);
            foreach (var c in file.Correlations) WriteCorrelation(w, c);
            w.Write7BitEncodedInt(file.Filters.Count);
            foreach (var f in file.Filters) WriteFilter(w, f);
        }
        return ms.ToArray();
    }

    /// <summary>Decodes an entry written by <see cref="Write"/>; <paramref name="path"/> becomes every rule's File.
    /// Throws (EndOfStreamException, CacheFormatException…) on bytes it did not write.</summary>
    public static ParsedFile Read(byte[] buffer, int offset, int length, string path)
    {
        using var ms = new MemoryStream(buffer, offset, length, writable: false);
        using var r = new BinaryReader(ms, System.Text.Encoding.UTF8);
        var result = new ParsedFile();
        int n = Count(r);
        for (int i = 0; i < n; i++) result.Rules.Add(ReadRule(r, path));
        n = Count(r);
        for (int i = 0; i < n; i++) result.Correlations.Add(ReadCorrelation(r, path));
        n = Count(r);
        for (int i = 0; i < n; i++) result.Filters.Add(ReadFilter(r, path));
        if (ms.Position != length) throw new CacheFormatException("trailing bytes in a cache entry");
        return result;
    }

    // ---- rules -------------------------------------------------------------------------------------------

    private static void WriteRule(BinaryWriter w, SigmaRule r)
    {
        w.Write(r.Id);
        WriteOpt(w, r.Name);
        w.Write(r.Title);
        w.Write(r.Status);
        w.Write(r.Level);
        WriteList(w, r.Tags);
        WriteOpt(w, r.Description);
        WriteOpt(w, r.Author);
        WriteList(w, r.References);
        WriteList(w, r.FalsePositives);
        WriteOpt(w, r.Logsource.Product);
        WriteOpt(w, r.Logsource.Category);
        WriteOpt(w, r.Logsource.Service);
        w.Write7BitEncodedInt64(r.Line);
        w.Write(r.IsCorrelation);
        w.Write7BitEncodedInt(r.Searches.Count);
        foreach (var s in r.Searches) WriteSearch(w, s);
        w.Write7BitEncodedInt(r.Conditions.Count);
        foreach (var c in r.Conditions)
        {
            w.Write(c.Text);
            WriteCond(w, c.Tree);
            w.Write7BitEncodedInt64(c.Line);
            w.Write7BitEncodedInt64(c.Column);
        }
    }

    private static SigmaRule ReadRule(BinaryReader r, string path)
    {
        string id = r.ReadString();
        string? name = ReadOpt(r);
        string title = r.ReadString();
        string status = r.ReadString();
        string level = r.ReadString();
        var tags = ReadList(r);
        string? description = ReadOpt(r);
        string? author = ReadOpt(r);
        var references = ReadList(r);
        var falsePositives = ReadList(r);
        var logsource = new Logsource(ReadOpt(r), ReadOpt(r), ReadOpt(r));
        long line = r.Read7BitEncodedInt64();
        bool isCorrelation = r.ReadBoolean();
        var searches = new SearchIdentifier[Count(r)];
        for (int i = 0; i < searches.Length; i++) searches[i] = ReadSearch(r);
        var conditions = new ParsedCondition[Count(r)];
        for (int i = 0; i < conditions.Length; i++)
            conditions[i] = new ParsedCondition(r.ReadString(), ReadCond(r, 0), r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());
        return new SigmaRule
        {
            Id = id, Name = name, Title = title, Status = status, Level = level, Tags = tags,
            Description = description, Author = author, References = references, FalsePositives = falsePositives,
            Logsource = logsource, File = path, Line = line, IsCorrelation = isCorrelation,
            Searches = searches, Conditions = conditions,
        };
    }

    private static void WriteSearch(BinaryWriter w, SearchIdentifier s)
    {
        w.Write(s.Name);
        w.Write7BitEncodedInt64(s.Line);
        w.Write7BitEncodedInt64(s.Column);
        w.Write7BitEncodedInt(s.Branches.Count);
        foreach (var b in s.Branches)
        {
            w.Write7BitEncodedInt(b.Fields.Count);
            foreach (var f in b.Fields)
            {
                w.Write(f.Field);
                WriteList(w, f.Modifiers);
                w.Write7BitEncodedInt(f.Values.Count);
                foreach (var v in f.Values)
                {
                    w.Write((byte)v.Kind);
                    w.Write(v.Text);
                    w.Write7BitEncodedInt64(v.Line);
                    w.Write7BitEncodedInt64(v.Column);
                }
                w.Write7BitEncodedInt64(f.Line);
                w.Write7BitEncodedInt64(f.Column);
            }
        }
    }

    private static SearchIdentifier ReadSearch(BinaryReader r)
    {
        string name = r.ReadString();
        long line = r.Read7BitEncodedInt64(), column = r.Read7BitEncodedInt64();
        var branches = new SearchBranch[Count(r)];
        for (int b = 0; b < branches.Length; b++)
        {
            var fields = new FieldSpec[Count(r)];
            for (int f = 0; f < fields.Length; f++)
            {
                string field = r.ReadString();
                var modifiers = ReadList(r);
                var values = new SigmaScalar[Count(r)];
                for (int v = 0; v < values.Length; v++)
                {
                    byte kind = r.ReadByte();
                    if (kind > (byte)ScalarKind.Null) throw new CacheFormatException($"scalar kind {kind}");
                    values[v] = new SigmaScalar((ScalarKind)kind, r.ReadString(), r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());
                }
                fields[f] = new FieldSpec(field, modifiers, values, r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());
            }
            branches[b] = new SearchBranch(fields);
        }
        return new SearchIdentifier(name, branches, line, column);
    }

    // Condition trees: a tag byte per node, children in order.
    private const byte TagAnd = 0, TagOr = 1, TagNot = 2, TagIdent = 3, TagOf = 4;

    private static void WriteCond(BinaryWriter w, CondNode node)
    {
        switch (node)
        {
            case CondAnd a: w.Write(TagAnd); w.Write(a.Position); WriteCond(w, a.Left); WriteCond(w, a.Right); break;
            case CondOr o: w.Write(TagOr); w.Write(o.Position); WriteCond(w, o.Left); WriteCond(w, o.Right); break;
            case CondNot n: w.Write(TagNot); w.Write(n.Position); WriteCond(w, n.Operand); break;
            case CondIdent i: w.Write(TagIdent); w.Write(i.Position); w.Write(i.Name); break;
            case CondOf of: w.Write(TagOf); w.Write(of.Position); w.Write(of.All); WriteOpt(w, of.Pattern); w.Write(of.Count); break;
            default: throw new InvalidOperationException($"condition node {node.GetType().Name} has no cache encoding");
        }
    }

    private static CondNode ReadCond(BinaryReader r, int depth)
    {
        if (depth > MaxConditionDepth) throw new CacheFormatException("condition tree too deep");
        byte tag = r.ReadByte();
        int pos = r.ReadInt32();
        return tag switch
        {
            TagAnd => new CondAnd(ReadCond(r, depth + 1), ReadCond(r, depth + 1), pos),
            TagOr => new CondOr(ReadCond(r, depth + 1), ReadCond(r, depth + 1), pos),
            TagNot => new CondNot(ReadCond(r, depth + 1), pos),
            TagIdent => new CondIdent(r.ReadString(), pos),
            TagOf => new CondOf(r.ReadBoolean(), ReadOpt(r), pos, r.ReadInt32()),
            _ => throw new CacheFormatException($"condition node tag {tag}"),
        };
    }

    // ---- correlations and filters -------------------------------------------------------------------------

    private static void WriteCorrelation(BinaryWriter w, SigmaCorrelation c)
    {
        WriteRule(w, c.Meta);
        w.Write((int)c.Type);
        WriteList(w, c.RuleRefs);
        WriteList(w, c.GroupBy);
        w.Write(c.Timespan.Ticks);
        w.Write7BitEncodedInt(c.Condition.Count);
        foreach (var b in c.Condition) { w.Write(b.Op); w.Write(b.Value); }
        WriteList(w, c.ConditionFields);
        // Dictionaries are written in enumeration order (insertion order: the parser never removes), so a
        // round trip enumerates the same way.
        w.Write7BitEncodedInt(c.Aliases.Count);
        foreach (var (alias, per) in c.Aliases)
        {
            w.Write(alias);
            w.Write7BitEncodedInt(per.Count);
            foreach (var (rule, field) in per) { w.Write(rule); w.Write(field); }
        }
        w.Write(c.Generate);
    }

    private static SigmaCorrelation ReadCorrelation(BinaryReader r, string path)
    {
        var meta = ReadRule(r, path);
        int type = r.ReadInt32();
        if (!Enum.IsDefined((CorrelationType)type)) throw new CacheFormatException($"correlation type {type}");
        var refs = ReadList(r);
        var groupBy = ReadList(r);
        var timespan = new TimeSpan(r.ReadInt64());
        var bounds = new CorrelationBound[Count(r)];
        for (int i = 0; i < bounds.Length; i++) bounds[i] = new CorrelationBound(r.ReadString(), r.ReadDouble());
        var fields = ReadList(r);
        int aliasCount = Count(r);
        var aliases = new Dictionary<string, IReadOnlyDictionary<string, string>>(aliasCount, StringComparer.Ordinal);
        for (int i = 0; i < aliasCount; i++)
        {
            string alias = r.ReadString();
            int n = Count(r);
            var per = new Dictionary<string, string>(n, StringComparer.Ordinal);
            for (int j = 0; j < n; j++) per[r.ReadString()] = r.ReadString();
            aliases[alias] = per;
        }
        return new SigmaCorrelation
        {
            Meta = meta, Type = (CorrelationType)type, RuleRefs = refs, GroupBy = groupBy, Timespan = timespan,
            Condition = bounds, ConditionFields = fields, Aliases = aliases, Generate = r.ReadBoolean(),
        };
    }

    private static void WriteFilter(BinaryWriter w, SigmaFilter f)
    {
        WriteRule(w, f.Detection);
        WriteList(w, f.RuleRefs);
        w.Write7BitEncodedInt64(f.RulesLine);
        w.Write7BitEncodedInt64(f.RulesColumn);
    }

    private static SigmaFilter ReadFilter(BinaryReader r, string path) =>
        new(ReadRule(r, path), ReadList(r), r.Read7BitEncodedInt64(), r.Read7BitEncodedInt64());

    // ---- primitives ------------------------------------------------------------------------------------------

    private static void WriteOpt(BinaryWriter w, string? s)
    {
        w.Write(s != null);
        if (s != null) w.Write(s);
    }

    private static string? ReadOpt(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteList(BinaryWriter w, IReadOnlyList<string> list)
    {
        w.Write7BitEncodedInt(list.Count);
        foreach (var s in list) w.Write(s);
    }

    private static string[] ReadList(BinaryReader r)
    {
        int n = Count(r);
        if (n == 0) return [];
        var a = new string[n];
        for (int i = 0; i < n; i++) a[i] = r.ReadString();
        return a;
    }

    /// <summary>A count, checked against what is left of the entry so a corrupt count cannot allocate gigabytes.</summary>
    private static int Count(BinaryReader r)
    {
        int n = r.Read7BitEncodedInt();
        if (n < 0 || n > r.BaseStream.Length - r.BaseStream.Position) throw new CacheFormatException($"count {n} exceeds the entry");
        return n;
    }
}
