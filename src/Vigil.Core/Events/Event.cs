namespace Vigil.Events;

/// <summary>Where an event came from, for the output and for error messages.</summary>
public readonly record struct EventOrigin(string Source, long Offset, long Line)
{
    /// <summary>"path:line" for line-based sources, "path@0xOFFSET" for binary ones.</summary>
    public override string ToString() => Line > 0 ? $"{Source}:{Line}" : $"{Source}@0x{Offset:x}";
}

/// <summary>
/// One log event: an ordered list of (field id, value) pairs. A field may occur more than once
/// (a JSON array, repeated unnamed EventData items); lookups return the first, <see cref="GetAll"/> all.
/// Readers reuse one instance per worker and call <see cref="Clear"/> between events, so nothing is
/// allocated per event once the arrays have grown to fit. An event and its values are valid only
/// during the callback that receives it.
/// <para>
/// A field whose name the table no longer lists (<see cref="FieldNames.Unlisted"/>) has its spelling declared in the
/// event: a reader calls <see cref="DeclareName"/> and adds the field under the token it returns. Its id is then
/// <see cref="FieldNames.Unlisted"/>, its key the one the name matches as, and <see cref="NameAt"/> its spelling.
/// </para>
/// </summary>
public sealed class Event
{
    private int[] _ids = new int[32];
    private int[] _keys = new int[32];
    private FieldValue[] _values = new FieldValue[32];
    private int _count;
    private int[] _declaredOf = [];              // by field index, for unlisted fields only: which declared name
    private FieldValue[] _declaredNames = [];
    private int[] _declaredKeys = [];
    private int _declared;

    /// <summary>The file, byte offset and (for text) line number of the event.</summary>
    public EventOrigin Origin { get; set; }

    /// <summary>The event's time in UTC ticks, or 0 when the event has none.</summary>
    public long TimestampTicks { get; set; }

    /// <summary>Short name of the format it was read from: "evtx", "json".</summary>
    public string Format { get; set; } = "";

    /// <summary>The most fields an event holds: a reader's further values are dropped and <see cref="Truncated"/> is set
    /// (a JSON line of 16 MB can hold 8M array values, ~80 bytes each here; a Windows event has hundreds of fields).</summary>
    public const int MaxFields = 65_536;

    public int Count => _count;

    /// <summary>Values were dropped at <see cref="MaxFields"/> (the reader reports it).</summary>
    public bool Truncated { get; private set; }
    /// <summary>The id of the field's spelling as the log wrote it.</summary>
    public int IdAt(int index) => _ids[index];
    /// <summary>The field's matching key (<see cref="FieldNames.Key"/>): what rules compare.</summary>
    public int KeyAt(int index) => _keys[index];
    public ref readonly FieldValue ValueAt(int index) => ref _values[index];
    /// <summary>The field's spelling (a new string only for an unlisted name).</summary>
    public string NameAt(int index) => _ids[index] == FieldNames.Unlisted ? DeclaredName(index).ToString() : FieldNames.Name(_ids[index]);
    /// <summary>Whether the field's name is carried by the event (<see cref="FieldNames.Unlisted"/>), not by the table.</summary>
    public bool IsUnlisted(int index) => _ids[index] == FieldNames.Unlisted;
    /// <summary>The spelling of an unlisted field (<see cref="IsUnlisted"/>), as text pointing into the reader's buffer.</summary>
    public ref readonly FieldValue DeclaredName(int index) => ref _declaredNames[_declaredOf[index]];

    /// <summary>
    /// Declares the spelling of a field the name table does not list (<see cref="FieldNames.Resolve"/> gave -1), with
    /// the key it matches as. Returns a token (at most -2) to pass to <see cref="Add(int, in FieldValue)"/> as the field
    /// id, for each value of that field in this event. <paramref name="name"/> must stay valid as the values do.
    /// </summary>
    public int DeclareName(in FieldValue name, int key)
    {
        if (_declared == _declaredNames.Length)
        {
            int n = Math.Max(8, _declared * 2);
            Array.Resize(ref _declaredNames, n);
            Array.Resize(ref _declaredKeys, n);
        }
        _declaredNames[_declared] = name;
        _declaredKeys[_declared] = key;
        return -2 - _declared++;
    }

    public DateTime? Timestamp => TimestampTicks == 0 ? null : new DateTime(TimestampTicks, DateTimeKind.Utc);

    public void Clear()
    {
        // Drop references so pooled buffers are not kept alive by a stale event.
        Array.Clear(_values, 0, _count);
        if (_declared > 0)
        {
            Array.Clear(_declaredNames, 0, _declared);
            _declared = 0;
        }
        _count = 0;
        Truncated = false;
        TimestampTicks = 0;
    }

    /// <summary>Adds a value of field <paramref name="fieldId"/>, or of the declared name whose token it is
    /// (<see cref="DeclareName"/>).</summary>
    public void Add(int fieldId, in FieldValue value)
    {
        if (_count == _ids.Length && !Grow()) { Truncated = true; return; }
        if (fieldId < 0) { AddDeclared(-2 - fieldId, value); return; }
        _ids[_count] = fieldId;
        _keys[_count] = FieldNames.Key(fieldId);
        _values[_count] = value;
        _count++;
    }

    private void AddDeclared(int declared, in FieldValue value)
    {
        if ((uint)declared >= (uint)_declared) throw new ArgumentOutOfRangeException(nameof(declared), "not a declared name's token");
        if (_declaredOf.Length < _ids.Length) Array.Resize(ref _declaredOf, _ids.Length);
        _ids[_count] = FieldNames.Unlisted;
        _keys[_count] = _declaredKeys[declared];
        _declaredOf[_count] = declared;
        _values[_count] = value;
        _count++;
    }

    public void Add(string name, in FieldValue value) => Add(FieldNames.Intern(name), value);

    /// <summary>Replaces the first value of a field, or adds it.</summary>
    public void Set(int fieldId, in FieldValue value)
    {
        int i = IndexOf(fieldId);
        if (i >= 0) _values[i] = value; else Add(fieldId, value);
    }

    /// <summary>Replaces the value at <paramref name="index"/> (its field stays the same), e.g. a placeholder added to keep
    /// the field's place before its value was known.</summary>
    public void SetValueAt(int index, in FieldValue value)
    {
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
        _values[index] = value;
    }

    public bool Has(int fieldId) => IndexOf(fieldId) >= 0;

    public bool TryGet(int fieldId, out FieldValue value)
    {
        int i = IndexOf(fieldId);
        if (i >= 0) { value = _values[i]; return true; }
        value = default;
        return false;
    }

    public bool TryGet(string name, out FieldValue value)
    {
        if (FieldNames.TryGet(name, out int id)) return TryGet(id, out value);
        value = default;
        return false;
    }

    /// <summary>The first value's text, or null when the field is absent.</summary>
    public string? GetString(int fieldId) => TryGet(fieldId, out var v) ? v.ToString() : null;
    public string? GetString(string name) => TryGet(name, out var v) ? v.ToString() : null;

    /// <summary>Index of the first field matching <paramref name="fieldId"/> in any spelling, or -1.</summary>
    public int IndexOf(int fieldId)
    {
        // Events hold tens of fields; a linear scan over an int array beats hashing here.
        return Array.IndexOf(_keys, FieldNames.Key(fieldId), 0, _count);
    }

    /// <summary>Index of the first field matching <paramref name="fieldId"/> in any spelling, or -1; <paramref name="last"/>
    /// receives the index of its last occurrence (equal to the first when the field occurs once; -1 when absent), so
    /// callers looking at every value of a field need not walk the rest of the event.</summary>
    public int IndexOf(int fieldId, out int last)
    {
        int key = FieldNames.Key(fieldId);
        int first = Array.IndexOf(_keys, key, 0, _count);
        last = first < 0 ? -1 : Array.LastIndexOf(_keys, key, _count - 1, _count - first);
        return first;
    }

    /// <summary>All values of a field (in any spelling), in order.</summary>
    public ValueEnumerator GetAll(int fieldId) => new(this, FieldNames.Key(fieldId));

    private bool Grow()
    {
        if (_ids.Length >= MaxFields) return false;
        Array.Resize(ref _ids, _ids.Length * 2);
        Array.Resize(ref _keys, _keys.Length * 2);
        Array.Resize(ref _values, _values.Length * 2);
        return true;
    }

    public ref struct ValueEnumerator
    {
        private readonly Event _event;
        private readonly int _key;
        private int _index;

        internal ValueEnumerator(Event e, int key) { _event = e; _key = key; _index = -1; }

        public readonly ValueEnumerator GetEnumerator() => this;
        public readonly ref readonly FieldValue Current => ref _event._values[_index];

        public bool MoveNext()
        {
            while (++_index < _event._count)
                if (_event._keys[_index] == _key) return true;
            return false;
        }
    }
}
