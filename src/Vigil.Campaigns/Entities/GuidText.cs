namespace Vigil.Campaigns.Entities;

/// <summary>
/// A process GUID as the logs spell it ("{05bfece1-5f04-69af-000b-000000000100}"), kept as its 16 bytes when the text is
/// the braced form in all lower or all upper case (Sysmon's), so that a long day's hundreds of thousands of distinct GUIDs
/// cost no string each. Any other text is kept as given. <see cref="ToString"/> gives back the exact text.
/// <para>Equality is that of the process index's former key: texts equal ignoring case. Two braced GUIDs are equal when
/// their values are (whatever their case); other texts compare ordinally ignoring case; the empty text equals only itself.</para>
/// </summary>
public readonly struct GuidText : IEquatable<GuidText>
{
    /// <summary>Marks a braced GUID in lower case (rebuilt from the value).</summary>
    private static readonly object Lower = new();
    private static readonly object Upper = new();

    /// <summary>A braced GUID spelled in mixed case: the value is the key, the text is kept as given.</summary>
    private sealed class Mixed(string text) { public readonly string Text = text; }

    private readonly Guid _value;
    /// <summary>null: empty; <see cref="Lower"/>/<see cref="Upper"/>: the braced GUID <see cref="_value"/> in that case;
    /// <see cref="Mixed"/>: a braced GUID in mixed case; a string: any other text (compared ignoring case). One reference
    /// instead of a text field and two flags keeps the struct at 24 bytes.</summary>
    private readonly object? _form;

    private GuidText(Guid value, object? form) { _value = value; _form = form; }

    /// <summary>The parts a compact table stores: kind (0 empty, 1 lower-case GUID, 2 upper-case GUID, 3 mixed-case GUID,
    /// 4 other text), the value (kinds 1-3) and the text (kinds 3-4).</summary>
    internal byte Kind => _form switch { null => 0, string => 4, Mixed => 3, _ => ReferenceEquals(_form, Lower) ? (byte)1 : (byte)2 };
    internal string? TextPart => _form switch { string s => s, Mixed m => m.Text, _ => null };

    internal static GuidText FromParts(byte kind, Guid value, string? text) => kind switch
    {
        0 => default,
        1 => new GuidText(value, Lower),
        2 => new GuidText(value, Upper),
        3 => new GuidText(value, new Mixed(text ?? throw new ArgumentNullException(nameof(text)))),
        4 => new GuidText(default, text ?? throw new ArgumentNullException(nameof(text))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "GUID text kind is 0-4"),
    };

    public GuidText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        if (text.Length == 38 && text[0] == '{' && Guid.TryParseExact(text, "B", out _value))
        {
            Span<char> lower = stackalloc char[38];
            _value.TryFormat(lower, out _, "B");
            if (text.AsSpan().SequenceEqual(lower)) { _form = Lower; return; }
            Span<char> upper = stackalloc char[38];
            for (int i = 0; i < 38; i++) upper[i] = char.ToUpperInvariant(lower[i]);
            _form = text.AsSpan().SequenceEqual(upper) ? Upper : new Mixed(text);
            return;
        }
        _form = text;
    }

    public bool IsEmpty => _form is null;
    /// <summary>Whether the text is held as 16 bytes (not as a string).</summary>
    public bool IsPacked => ReferenceEquals(_form, Lower) || ReferenceEquals(_form, Upper);
    /// <summary>Whether the text is a braced GUID (then <see cref="Value"/> is its value and its identity).</summary>
    public bool IsGuid => IsPacked || _form is Mixed;
    public Guid Value => _value;

    public override string ToString() => _form switch
    {
        null => "",
        string s => s,
        Mixed m => m.Text,
        _ when ReferenceEquals(_form, Lower) => _value.ToString("B"),
        _ => _value.ToString("B").ToUpperInvariant(),
    };

    public bool Equals(GuidText other)
    {
        if (IsGuid || other.IsGuid) return IsGuid && other.IsGuid && _value == other._value;
        if (IsEmpty || other.IsEmpty) return IsEmpty && other.IsEmpty;
        return string.Equals((string)_form!, (string)other._form!, StringComparison.OrdinalIgnoreCase);
    }

    public override bool Equals(object? obj) => obj is GuidText g && Equals(g);

    public override int GetHashCode() =>
        IsGuid ? _value.GetHashCode() : IsEmpty ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode((string)_form!);

    /// <summary>Equality of the exact texts (case matters), for tables that must give back each spelling.</summary>
    public static IEqualityComparer<GuidText> Exact { get; } = new ExactComparer();

    private sealed class ExactComparer : IEqualityComparer<GuidText>
    {
        public bool Equals(GuidText a, GuidText b) => a._form switch
        {
            null => b._form is null,
            string s => b._form is string t && s == t,
            Mixed m => b._form is Mixed n && m.Text == n.Text,
            _ => ReferenceEquals(a._form, b._form) && a._value == b._value,
        };

        public int GetHashCode(GuidText g) => g._form switch
        {
            null => 0,
            string s => s.GetHashCode(),
            Mixed m => m.Text.GetHashCode(),
            _ => HashCode.Combine(g._value, ReferenceEquals(g._form, Lower)),
        };
    }

    public static bool operator ==(GuidText a, GuidText b) => a.Equals(b);
    public static bool operator !=(GuidText a, GuidText b) => !a.Equals(b);
}
