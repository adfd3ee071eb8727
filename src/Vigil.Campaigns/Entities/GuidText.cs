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
    private enum Form : byte { Empty, Lower, Upper, Text }

    private readonly Guid _value;
    /// <summary>The text when it cannot be rebuilt from <see cref="_value"/> (not a braced GUID, or mixed case).</summary>
    private readonly string? _text;
    private readonly Form _form;
    /// <summary>Whether the text is a braced GUID (then <see cref="_value"/> is its value and the equality key).</summary>
    private readonly bool _isGuid;

    public GuidText(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        if (text.Length == 38 && text[0] == '{' && Guid.TryParseExact(text, "B", out _value))
        {
            _isGuid = true;
            Span<char> lower = stackalloc char[38];
            _value.TryFormat(lower, out _, "B");
            if (text.AsSpan().SequenceEqual(lower)) { _form = Form.Lower; return; }
            Span<char> upper = stackalloc char[38];
            for (int i = 0; i < 38; i++) upper[i] = char.ToUpperInvariant(lower[i]);
            if (text.AsSpan().SequenceEqual(upper)) { _form = Form.Upper; return; }
        }
        _form = Form.Text;
        _text = text;
    }

    public bool IsEmpty => _form == Form.Empty;
    /// <summary>Whether the text is held as 16 bytes (not as a string).</summary>
    public bool IsPacked => _form is Form.Lower or Form.Upper;

    public override string ToString() => _form switch
    {
        Form.Empty => "",
        Form.Lower => _value.ToString("B"),
        Form.Upper => _value.ToString("B").ToUpperInvariant(),
        _ => _text!,
    };

    public bool Equals(GuidText other)
    {
        if (_isGuid || other._isGuid) return _isGuid && other._isGuid && _value == other._value;
        if (IsEmpty || other.IsEmpty) return IsEmpty && other.IsEmpty;
        return string.Equals(_text, other._text, StringComparison.OrdinalIgnoreCase);
    }

    public override bool Equals(object? obj) => obj is GuidText g && Equals(g);

    public override int GetHashCode() =>
        _isGuid ? _value.GetHashCode() : IsEmpty ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(_text!);

    public static bool operator ==(GuidText a, GuidText b) => a.Equals(b);
    public static bool operator !=(GuidText a, GuidText b) => !a.Equals(b);
}
