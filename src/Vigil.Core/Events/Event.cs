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
/// </summary>
public sealed class Event
{
    private int[] _ids = new int[32];
    private int[] _keys = new int[32];
    private FieldValue[] _values = new FieldValue[32];
    private int _count;

    // Lookup index: an open-addressing hash table from matching key to the first and last index of that key. Events
    // with many fields (Winlogbeat JSON: ~100) get tens of lookups each from the rule evaluation, and a linear scan per
    // lookup (most of them for fields the event does not have) was a visible share of matching. The table is built on
    // demand by lookups, never by Add (readers only add), and only for events with more than LinearLimit fields and
    // after a few lookups since the last change (a reader's one or two lookups stay linear). Slots whose Gen differs
    // from _generation are empty, so Clear empties it in O(1).
    private Slot[] _slots = [];
    private int _indexed;          // fields [0, _indexed) are in _slots
    private int _generation = 1;
    private int _shift;            // 32 - log2(_slots.Length)
    private int _linearLookups;    // linear lookups since the index was last complete
    private const int LinearLimit = 16, LinearLookups = 3;

    private struct Slot { public int Gen, Key, First, Last; }

    /// <summary>The file, byte offset and (for text) line number of the event.</summary>
    public EventOrigin Origin { get; set; }

    /// <summary>The event's time in UTC ticks, or 0 when the event has none.</summary>
    public long TimestampTicks { get; set; }

    /// <summary>Short name of the format it was read from: "evtx", "json".</summary>
    public string Format { get; set; } = "";

    public int Count => _count;
    /// <summary>The id of the field's spelling as the log wrote it.</summary>
    public int IdAt(int index) => _ids[index];
    /// <summary>The field's matching key (<see cref="FieldNames.Key"/>): what rules compare.</summary>
    public int KeyAt(int index) => _keys[index];
    public ref readonly FieldValue ValueAt(int index) => ref _values[index];
    public string NameAt(int index) => FieldNames.Name(_ids[index]);

    public DateTime? Timestamp => TimestampTicks == 0 ? null : new DateTime(TimestampTicks, DateTimeKind.Utc);

    public void Clear()
    {
        // Drop references so pooled buffers are not kept alive by a stale event.
        Array.Clear(_values, 0, _count);
        _count = 0;
        TimestampTicks = 0;
        _indexed = 0;
        _linearLookups = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_slots);
            _generation = 1;
        }
    }

    public void Add(int fieldId, in FieldValue value)
    {
        if (_count == _ids.Length) Grow();
        _ids[_count] = fieldId;
        _keys[_count] = FieldNames.Key(fieldId);
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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int IndexOf(int fieldId)
    {
        int key = FieldNames.Key(fieldId);
        if ((_indexed != _count || _count <= LinearLimit) && !IndexNow()) return Array.IndexOf(_keys, key, 0, _count);
        return Find(key).First;
    }

    /// <summary>Index of the first field matching <paramref name="fieldId"/> in any spelling, or -1; <paramref name="last"/>
    /// receives the index of its last occurrence (equal to the first when the field occurs once; -1 when absent), so
    /// callers looking at every value of a field need not scan the rest of the event.</summary>
    public int IndexOf(int fieldId, out int last)
    {
        int key = FieldNames.Key(fieldId);
        if ((_indexed != _count || _count <= LinearLimit) && !IndexNow())
        {
            int first = Array.IndexOf(_keys, key, 0, _count);
            last = first < 0 ? -1 : Array.LastIndexOf(_keys, key, _count - 1, _count - first);
            return first;
        }
        var (f, l) = Find(key);
        last = l;
        return f;
    }

    /// <summary>Brings the lookup index up to date when it pays (see the fields' comment); false: scan linearly.
    /// Not thread-safe, like the rest of the class: an event is read by one thread at a time.</summary>
    private bool IndexNow()
    {
        if (_count <= LinearLimit || ++_linearLookups <= LinearLookups) return false;
        if (_slots.Length < 2 * _count)
        {
            int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(2 * _count));
            _slots = new Slot[size];
            _shift = 32 - System.Numerics.BitOperations.Log2((uint)size);
            _generation = 1;
            _indexed = 0;
        }
        var slots = _slots;
        int mask = slots.Length - 1, gen = _generation;
        for (int i = _indexed; i < _count; i++)
        {
            int key = _keys[i];
            int h = (int)(((uint)key * 0x9E3779B1u) >> _shift);
            while (true)
            {
                ref var slot = ref slots[h];
                if (slot.Gen != gen)
                {
                    slot.Gen = gen; slot.Key = key; slot.First = i; slot.Last = i;
                    break;
                }
                if (slot.Key == key) { slot.Last = i; break; }
                h = (h + 1) & mask;
            }
        }
        _indexed = _count;
        _linearLookups = 0;
        return true;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private (int First, int Last) Find(int key)
    {
        var slots = _slots;
        int mask = slots.Length - 1, gen = _generation;
        int h = (int)(((uint)key * 0x9E3779B1u) >> _shift);
        while (true)
        {
            ref var slot = ref slots[h];
            if (slot.Gen != gen) return (-1, -1);
            if (slot.Key == key) return (slot.First, slot.Last);
            h = (h + 1) & mask;
        }
    }

    /// <summary>All values of a field (in any spelling), in order.</summary>
    public ValueEnumerator GetAll(int fieldId) => new(this, FieldNames.Key(fieldId));

    private void Grow()
    {
        Array.Resize(ref _ids, _ids.Length * 2);
        Array.Resize(ref _keys, _keys.Length * 2);
        Array.Resize(ref _values, _values.Length * 2);
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
