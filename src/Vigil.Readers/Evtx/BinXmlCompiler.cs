using System.Runtime.InteropServices;
using Vigil.Events;

namespace Vigil.Readers.Evtx;

/// <summary>Where an element sits in the event document; decides how its text and attributes are named.</summary>
internal enum Section : byte
{
    /// <summary>Top level or directly under &lt;Event&gt;: System, EventData, UserData and other sections start here.</summary>
    Event,
    /// <summary>Children of &lt;System&gt;.</summary>
    System,
    /// <summary>Children of &lt;EventData&gt; (Data, Binary).</summary>
    EventData,
    /// <summary>The wrapper element directly under &lt;UserData&gt;.</summary>
    UserDataTop,
    /// <summary>Anything deeper in System, EventData or UserData: leaves are named by their element name.</summary>
    Inner,
    /// <summary>Under another top-level section (RenderingInfo, ProcessingErrorData…): names get the section as prefix.</summary>
    Other,
}

/// <summary>The context a fragment is compiled in; part of the template cache key, because the same
/// template bytes map to different field names at top level and nested inside EventData/UserData.</summary>
internal readonly record struct CompileContext(Section Section, string? Prefix)
{
    public static readonly CompileContext Root = new(Section.Event, null);
}

internal enum PartKind : byte { Text, Subst, Char }

/// <summary>One piece of an element's or attribute's value: static UTF-16 text in the chunk, a substitution, or one char
/// (from a character or entity reference).</summary>
[StructLayout(LayoutKind.Auto)]
internal struct Part
{
    public PartKind Kind;
    public bool Optional;  // optional substitution (0x0e): a NULL value removes the attribute/element
    public int A;          // Text: chunk offset; Subst: substitution index; Char: the char
    public int B;          // Text: byte length
}

internal enum NameMode : byte
{
    /// <summary>The field id is known at compile time.</summary>
    Static,
    /// <summary>&lt;Data&gt; without a Name: Data[n] (1-based) and Data.</summary>
    UnnamedData,
    /// <summary>&lt;Data Name="%subst"&gt;: the name comes from a substitution at run time.</summary>
    Dynamic,
}

[Flags]
internal enum OpFlags : byte
{
    None = 0,
    /// <summary>System/TimeCreated/@SystemTime: also sets Event.TimestampTicks.</summary>
    TimeCreated = 1,
    /// <summary>An EventData &lt;Data&gt; item: present even when empty or NULL.</summary>
    DataElement = 2,
    /// <summary>Emit an empty string when there is no content (attributes, Data items).</summary>
    EmitEmpty = 4,
}

/// <summary>Emit one field: name (static, Data[n], or from a substitution) and value (parts).</summary>
[StructLayout(LayoutKind.Auto)]
internal struct Op
{
    public int FieldId;
    public NameMode NameMode;
    public OpFlags Flags;
    public int PartsStart, PartsCount;
    public int NamePartsStart, NamePartsCount;
    /// <summary>Context for a Binary XML substitution value nested in this element's content.</summary>
    public CompileContext Child;
}

/// <summary>A template (or a raw element fragment) compiled into a flat list of field emissions. Built once per
/// chunk per (offset, context); each record that instantiates it just runs the ops over its substitution values.</summary>
internal sealed class CompiledFragment
{
    public Op[] Ops = [];
    public Part[] Parts = [];
    /// <summary>Chunk offset just after the compiled element (raw fragments) or template body.</summary>
    public int End;
    /// <summary>Names the field-name table no longer lists (<see cref="FieldNames.Resolve"/>), with the keys they match
    /// as: an op whose <see cref="Op.FieldId"/> is <c>-2 - i</c> emits under <c>UnlistedNames[i]</c>, declared in each
    /// event it runs for (<see cref="Event.DeclareName"/>).</summary>
    public string[] UnlistedNames = [];
    public int[] UnlistedKeys = [];
    /// <summary>Set when the template could not be compiled; every record using it reports this.</summary>
    public string? Error;
    public long ErrorOffset;
}

/// <summary>
/// Compiles Binary XML (a template body or a raw element) into <see cref="CompiledFragment"/> ops.
///
/// Field naming (the mapping from the XML tree to flat fields):
/// <list type="bullet">
/// <item>System children: element text under the element name (EventID, Level, Channel…); attributes as
///   Element_Attribute (Provider_Name, Execution_ProcessID, EventID_Qualifiers…), except
///   TimeCreated/@SystemTime which is just TimeCreated (and sets the event timestamp).</item>
/// <item>EventData: &lt;Data Name="X"&gt; as X; unnamed &lt;Data&gt; as Data[1], Data[2]… and also every one under Data;
///   &lt;Binary&gt; as Binary; other elements by their name.</item>
/// <item>UserData: every element below the wrapper by its own (leaf) name, nesting flattened; attributes Element_Attribute.</item>
/// <item>Other top-level sections (RenderingInfo, ProcessingErrorData…): Section_Element and Section_Element_Attribute,
///   so that e.g. RenderingInfo's textual Level cannot shadow System's numeric Level.</item>
/// <item>xmlns attributes are dropped everywhere.</item>
/// </list>
/// </summary>
internal sealed class BinXmlCompiler
{
    private const int MaxElementDepth = 64;
    private readonly List<Op> _ops = new(64);
    private readonly List<Part> _parts = new(128);
    // Per-chunk cache: name offset -> interned field id of the plain name (cleared with the chunk).
    private readonly Dictionary<int, int> _nameIds = new();
    // Names of the fragment being compiled that the table does not list (ids -2 - index; see CompiledFragment).
    private readonly List<string> _unlistedNames = [];
    private readonly List<int> _unlistedKeys = [];
    private char[] _nameBuf = new char[256];
    // Text parts of templates are stored relative to the template body, so one compiled template serves every
    // chunk that holds the same template (same GUID and size) at whatever offset; raw fragments use absolute offsets.
    private int _textBase;
    private readonly List<Part>?[] _content = new List<Part>?[MaxElementDepth + 2];

    public void ResetChunk() => _nameIds.Clear();

    /// <summary>Compiles a template definition at <paramref name="defOffset"/> (chunk-relative).</summary>
    public CompiledFragment CompileTemplate(ReadOnlySpan<byte> chunk, int defOffset, long chunkBase, CompileContext ctx)
    {
        var result = new CompiledFragment();
        try
        {
            var head = new EvtxCursor(chunk, defOffset, chunk.Length, chunkBase);
            head.Skip(4 + 16, "template definition header (next offset, GUID)");
            uint size = head.ReadUInt32("template definition data size");
            int bodyStart = head.Position;
            _textBase = bodyStart;
            if (size > (uint)(chunk.Length - bodyStart))
                throw head.Error($"template definition data size {size} runs past the end of the chunk");
            var c = new EvtxCursor(chunk, bodyStart, bodyStart + (int)size, chunkBase);
            Begin();
            if (!CompileBody(ref c, ctx, template: true)) return Failed(result, "template definition: ");
            Finish(result);
            result.End = bodyStart + (int)size;
        }
        catch (EvtxFormatException ex)
        {
            result.Error = "template definition: " + ex.Message;
            result.ErrorOffset = ex.Offset;
        }
        return result;
    }

    /// <summary>Compiles one raw element starting at the cursor (Binary XML that is not a template instance).</summary>
    public CompiledFragment CompileElement(ReadOnlySpan<byte> chunk, int start, int limit, long chunkBase, CompileContext ctx)
    {
        var result = new CompiledFragment();
        try
        {
            var c = new EvtxCursor(chunk, start, limit, chunkBase);
            _textBase = 0;
            Begin();
            if (!CompileElement(ref c, ctx, 0, template: false)) return Failed(result, "");
            Finish(result);
            result.End = c.Position;
        }
        catch (EvtxFormatException ex)
        {
            result.Error = ex.Message;
            result.ErrorOffset = ex.Offset;
        }
        return result;
    }

    private void Begin() { _ops.Clear(); _parts.Clear(); _unlistedNames.Clear(); _unlistedKeys.Clear(); _failure = null; }

    // The common failure (a name offset pointing into overwritten data, typical of slack-space leftovers) is
    // returned rather than thrown: one exception per damaged template per chunk was most of the decode time.
    private string? _failure;
    private long _failureOffset;

    private CompiledFragment Failed(CompiledFragment result, string prefix)
    {
        result.Error = prefix + _failure;
        result.ErrorOffset = _failureOffset;
        return result;
    }

    private bool NameAt(in EvtxCursor c, int nameOffset, out ReadOnlySpan<char> name)
    {
        var d = c.Data;
        if (nameOffset < 0 || nameOffset + 8 > d.Length)
        {
            name = default;
            return Fail(c, $"name offset 0x{nameOffset:x} outside the chunk", nameOffset);
        }
        int chars = d[nameOffset + 6] | (d[nameOffset + 7] << 8);
        if (nameOffset + 8 + chars * 2 > d.Length)
        {
            name = default;
            return Fail(c, $"name at chunk offset 0x{nameOffset:x} of {chars} characters runs past the chunk end", nameOffset);
        }
        name = MemoryMarshal.Cast<byte, char>(d.Slice(nameOffset + 8, chars * 2));
        if (!IsPlausibleXmlName(name))
            return Fail(c, $"name at chunk offset 0x{nameOffset:x} is not an XML name (overwritten data?)", nameOffset);
        return true;
    }

    /// <summary>Element/attribute names are XML names. Checking that keeps the garbage "names" of damaged or
    /// stale templates out of the process-wide field-name table (and out of its case-insensitive hashing).</summary>
    private static bool IsPlausibleXmlName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty) return true; // seen in real files (libevtx renders them); harmless
        if (name.Length > 256) return false;
        char first = name[0];
        if (!(char.IsLetter(first) || first == '_' || first == ':')) return false;
        foreach (char ch in name)
            if (!(char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.' or ':')) return false;
        return true;
    }

    private bool Fail(in EvtxCursor c, string message, int chunkOffset)
    {
        _failure = $"{message} (file offset 0x{c.Base + chunkOffset:x})";
        _failureOffset = c.Base + chunkOffset;
        return false;
    }

    private void Finish(CompiledFragment f)
    {
        f.Ops = _ops.ToArray();
        f.Parts = _parts.ToArray();
        if (_unlistedNames.Count > 0)
        {
            f.UnlistedNames = _unlistedNames.ToArray();
            f.UnlistedKeys = _unlistedKeys.ToArray();
        }
    }

    private bool CompileBody(ref EvtxCursor c, CompileContext ctx, bool template)
    {
        while (!c.AtEnd)
        {
            byte tok = c.PeekByte("token");
            switch (tok & 0xbf)
            {
                case 0x0f: c.Skip(4, "fragment header"); break;
                case 0x01: if (!CompileElement(ref c, ctx, 0, template)) return false; break;
                case 0x00: c.Position++; return true;
                case 0x0c: throw c.Error("template instance inside a template definition (not supported; would allow cycles)");
                default: throw c.Error($"unexpected token 0x{tok:x2} at fragment level");
            }
        }
        return true;
    }

    private static bool PlausibleName(uint nameOffset, int position, int elementStart) =>
        nameOffset == (uint)position || (nameOffset >= 512 && nameOffset < (uint)elementStart);

    /// <summary>Reads a name reference; skips the name when it is stored inline (offset == here).</summary>
    private static int ReadNameRef(ref EvtxCursor c, string what)
    {
        uint off = c.ReadUInt32(what);
        if (off == (uint)c.Position) SkipInlineName(ref c);
        return (int)off;
    }

    private static void SkipInlineName(ref EvtxCursor c)
    {
        c.Skip(6, "inline name header");
        ushort chars = c.ReadUInt16("inline name length");
        c.Skip(chars * 2 + 2, "inline name characters");
    }

    /// <summary>Field id of a (valid, already checked) name; cached per chunk by name offset (listed names only).</summary>
    private int NameId(in EvtxCursor c, int nameOffset, ReadOnlySpan<char> name)
    {
        if (_nameIds.TryGetValue(nameOffset, out int id)) return id;
        id = FieldId(name);
        if (id >= 0) _nameIds[nameOffset] = id;
        return id;
    }

    /// <summary>The field id of a name, or, when the table is full and does not list it, the fragment's id for it
    /// (<c>-2 - index</c> into <see cref="CompiledFragment.UnlistedNames"/>).</summary>
    private int FieldId(ReadOnlySpan<char> name)
    {
        int id = FieldNames.Resolve(name, out int key);
        if (id >= 0) return id;
        for (int i = 0; i < _unlistedNames.Count; i++)
            if (name.SequenceEqual(_unlistedNames[i])) return -2 - i;
        _unlistedNames.Add(name.ToString());
        _unlistedKeys.Add(key);
        return -1 - _unlistedNames.Count;
    }

    /// <summary>
    /// An EventData &lt;Data Name="…"&gt; as a field name without its spaces: Sigma field names never contain spaces,
    /// and SigmaHQ's rules write Defender's "Source Name" / "Threat Name" as SourceName / ThreatName (as do the JSON
    /// renderings SigmaHQ's own checks use). A name of spaces only is kept as it is. Removes them in place; returns the
    /// length left.
    /// </summary>
    internal static int DataName(Span<char> name)
    {
        if (name.IndexOf(' ') < 0) return name.Length;
        int n = 0;
        foreach (char ch in name) if (ch != ' ') name[n++] = ch;
        return n > 0 ? n : name.Length;   // nothing was moved: still all spaces
    }

    private int DataNameId(ReadOnlySpan<char> name)
    {
        Span<char> buf = name.Length <= 512 ? stackalloc char[name.Length] : new char[name.Length];
        name.CopyTo(buf);
        return FieldId(buf[..DataName(buf)]);
    }

    /// <summary>"a_b" or "a_b_c" as a field id, without allocating when the name is already known.</summary>
    private int Compose(ReadOnlySpan<char> a, ReadOnlySpan<char> b, ReadOnlySpan<char> c = default)
    {
        int n = a.Length + 1 + b.Length + (c.IsEmpty ? 0 : c.Length + 1);
        if (_nameBuf.Length < n) _nameBuf = new char[n * 2];
        var s = _nameBuf.AsSpan();
        a.CopyTo(s); int p = a.Length;
        s[p++] = '_'; b.CopyTo(s[p..]); p += b.Length;
        if (!c.IsEmpty) { s[p++] = '_'; c.CopyTo(s[p..]); p += c.Length; }
        return FieldId(s[..p]);
    }

    private static bool IsXmlns(ReadOnlySpan<char> n) => n.SequenceEqual("xmlns") || n.StartsWith("xmlns:");

    private bool CompileElement(ref EvtxCursor c, CompileContext ctx, int depth, bool template)
    {
        if (depth > MaxElementDepth) throw c.Error($"elements nested deeper than {MaxElementDepth}");
        int elementStart = c.Position;
        byte tok = c.ReadByte("open start element token");
        bool hasAttributes = (tok & 0x40) != 0;

        // The 2-byte dependency identifier is absent in Binary XML nested in a substitution value
        // ([MS-EVEN6]); decide by which layout gives a plausible name offset.
        int afterToken = c.Position;
        c.Skip(2, "element dependency identifier");
        c.ReadUInt32("element data size");
        uint nameOff = c.ReadUInt32("element name offset");
        if (!PlausibleName(nameOff, c.Position, elementStart))
        {
            c.Position = afterToken;
            c.ReadUInt32("element data size");
            nameOff = c.ReadUInt32("element name offset");
            if (!PlausibleName(nameOff, c.Position, elementStart))
                throw c.ErrorAt($"element name offset 0x{nameOff:x} points neither inline nor to an earlier name", elementStart);
        }
        int nameOffset = (int)nameOff;
        if (nameOff == (uint)c.Position) SkipInlineName(ref c);
        if (!NameAt(c, nameOffset, out var name)) return false;

        // Decide naming for this element and its children.
        int textId;
        var flags = OpFlags.None;
        CompileContext child;
        bool isData = false, isDataSection = false;
        string? prefix = ctx.Prefix;
        switch (ctx.Section)
        {
            case Section.Event:
                textId = NameId(c, nameOffset, name);
                if (name.SequenceEqual("Event")) child = new(Section.Event, null);
                else if (name.SequenceEqual("System")) child = new(Section.System, null);
                else if (name.SequenceEqual("EventData")) child = new(Section.EventData, null);
                else if (name.SequenceEqual("UserData")) child = new(Section.UserDataTop, null);
                else { prefix = name.ToString(); child = new(Section.Other, prefix); }
                break;
            case Section.System:
                textId = NameId(c, nameOffset, name); child = new(Section.Inner, null); break;
            case Section.EventData:
                if (name.SequenceEqual("Data")) { isData = true; textId = WellKnownFields.Data; }
                else textId = NameId(c, nameOffset, name);
                isDataSection = true;
                child = new(Section.Inner, null);
                break;
            case Section.Other:
                textId = name.SequenceEqual(prefix) ? NameId(c, nameOffset, name) : Compose(prefix, name);
                child = ctx;
                break;
            default:
                textId = NameId(c, nameOffset, name); child = new(Section.Inner, null); break;
        }

        var mode = isData ? NameMode.UnnamedData : NameMode.Static;
        int namePartsStart = 0, namePartsCount = 0;

        if (hasAttributes)
        {
            c.ReadUInt32("attribute list size");
            while ((c.PeekByte("attribute token") & 0xbf) == 0x06)
            {
                c.Position++;
                int attrNameOffset = ReadNameRef(ref c, "attribute name offset");
                if (!NameAt(c, attrNameOffset, out var attrName)) return false;
                int ps = _parts.Count;
                if (!ReadValueParts(ref c, template)) return false;
                int pc = _parts.Count - ps;
                if (IsXmlns(attrName)) { _parts.RemoveRange(ps, pc); continue; }
                if (isData && attrName.SequenceEqual("Name"))
                {
                    // <Data Name="X">: static name -> field X at compile time; substituted name -> at run time.
                    if (pc == 1 && _parts[ps].Kind == PartKind.Text)
                    {
                        var p = _parts[ps];
                        var text = MemoryMarshal.Cast<byte, char>(c.SliceAt(p.A + _textBase, p.B, "Data Name text"));
                        if (text.Length > 256) throw c.Error($"Data Name of {text.Length} characters (damaged template?)");
                        textId = DataNameId(text);
                        mode = NameMode.Static;
                        _parts.RemoveRange(ps, pc);
                    }
                    else if (pc == 0) { mode = NameMode.UnnamedData; }
                    else { mode = NameMode.Dynamic; namePartsStart = ps; namePartsCount = pc; }
                    continue;
                }
                int attrId;
                var attrFlags = OpFlags.EmitEmpty;
                if (ctx.Section == Section.System && name.SequenceEqual("TimeCreated") && attrName.SequenceEqual("SystemTime"))
                {
                    attrId = WellKnownFields.TimeCreated;
                    attrFlags |= OpFlags.TimeCreated;
                }
                else if (ctx.Section == Section.Other && !name.SequenceEqual(prefix)) attrId = Compose(prefix, name, attrName);
                else attrId = Compose(name, attrName);
                _ops.Add(new Op
                {
                    FieldId = attrId, NameMode = NameMode.Static, Flags = attrFlags,
                    PartsStart = ps, PartsCount = pc, Child = child,
                });
            }
        }

        byte close = c.ReadByte("close element token");
        // This element's own text parts are gathered apart from its children's (which add their own ops and
        // parts while we recurse), then appended as one contiguous block.
        var own = _content[depth] ??= new List<Part>(8);
        own.Clear();
        if (close == 0x02)
        {
            // Content: child elements and text/substitutions (mixed content is concatenated).
            while (true)
            {
                byte t = c.PeekByte("element content token");
                int kind = t & 0xbf;
                if (kind == 0x04) { c.Position++; break; }
                if (kind == 0x01) { if (!CompileElement(ref c, child, depth + 1, template)) return false; continue; }
                if (kind == 0x0a)
                {
                    // Processing instruction: target name + data; not part of any field.
                    c.Position++;
                    ReadNameRef(ref c, "PI target name offset");
                    if ((c.PeekByte("PI data token") & 0xbf) == 0x0b)
                    {
                        c.Position++;
                        ushort n = c.ReadUInt16("PI data length");
                        c.Skip(n * 2, "PI data");
                    }
                    continue;
                }
                int before = _parts.Count;
                int r = ReadValuePart(ref c, template);
                if (r < 0) return false;
                if (r == 0) throw c.Error($"unexpected token 0x{t:x2} in content of element <{name}>");
                for (int k = before; k < _parts.Count; k++) own.Add(_parts[k]);
                _parts.RemoveRange(before, _parts.Count - before);
            }
        }
        else if (close != 0x03)
        {
            throw c.ErrorAt($"expected close-start (0x02) or close-empty (0x03) token after element <{name}>, found 0x{close:x2}", c.Position - 1);
        }

        int contentStart = _parts.Count;
        _parts.AddRange(own);
        int contentCount = own.Count;
        if (contentCount > 0 || isDataSection)
        {
            if (isDataSection) flags |= OpFlags.DataElement | OpFlags.EmitEmpty;
            _ops.Add(new Op
            {
                FieldId = textId, NameMode = mode, Flags = flags,
                PartsStart = contentStart, PartsCount = contentCount,
                NamePartsStart = namePartsStart, NamePartsCount = namePartsCount,
                Child = child,
            });
        }
        return true;
    }

    /// <summary>Reads consecutive value tokens (an attribute's value).</summary>
    private bool ReadValueParts(ref EvtxCursor c, bool template)
    {
        while (!c.AtEnd)
        {
            int r = ReadValuePart(ref c, template);
            if (r < 0) return false;
            if (r == 0) break;
        }
        return true;
    }

    /// <summary>Reads one value token into a part; false (cursor unchanged) when the next token is not a value.</summary>
    private int ReadValuePart(ref EvtxCursor c, bool template)
    {
        byte t = c.PeekByte("value token");
        switch (t & 0xbf)
        {
            case 0x05:
            {
                c.Position++;
                byte type = c.ReadByte("value text type");
                if (type != 0x01) throw c.Error($"value text of type 0x{type:x2} (only UTF-16 string 0x01 is defined)");
                ushort n = c.ReadUInt16("value text length");
                int at = c.Position;
                c.Skip(n * 2, "value text characters");
                if (n > 0) _parts.Add(new Part { Kind = PartKind.Text, A = at - _textBase, B = n * 2 });
                return 1;
            }
            case 0x07:
            {
                c.Position++;
                ushort n = c.ReadUInt16("CDATA length");
                int at = c.Position;
                c.Skip(n * 2, "CDATA characters");
                if (n > 0) _parts.Add(new Part { Kind = PartKind.Text, A = at - _textBase, B = n * 2 });
                return 1;
            }
            case 0x08:
            {
                c.Position++;
                ushort ch = c.ReadUInt16("character reference");
                _parts.Add(new Part { Kind = PartKind.Char, A = ch });
                return 1;
            }
            case 0x09:
            {
                c.Position++;
                int off = ReadNameRef(ref c, "entity reference name offset");
                if (!NameAt(c, off, out var n)) return -1;
                char ch = n switch { "amp" => '&', "lt" => '<', "gt" => '>', "quot" => '"', "apos" => '\'', _ => '\0' };
                if (ch != '\0') _parts.Add(new Part { Kind = PartKind.Char, A = ch });
                else
                {
                    // Unknown entity: keep it literally as &name; so nothing is lost.
                    _parts.Add(new Part { Kind = PartKind.Char, A = '&' });
                    foreach (char x in n) _parts.Add(new Part { Kind = PartKind.Char, A = x });
                    _parts.Add(new Part { Kind = PartKind.Char, A = ';' });
                }
                return 1;
            }
            case 0x0d:
            case 0x0e:
            {
                if (!template) throw c.Error("substitution token outside a template definition");
                c.Position++;
                ushort index = c.ReadUInt16("substitution identifier");
                c.ReadByte("substitution value type");
                _parts.Add(new Part { Kind = PartKind.Subst, A = index, Optional = (t & 0xbf) == 0x0e });
                return 1;
            }
            default:
                return 0;
        }
    }
}
