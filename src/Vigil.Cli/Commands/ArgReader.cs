namespace Vigil.Cli.Commands;

/// <summary>
/// A small, strict argument reader: options are declared by each command, unknown options and
/// missing values are usage errors (exit 1). Accepts "--opt value" and "--opt=value".
/// </summary>
public sealed class ArgReader
{
    private readonly List<string> _positional = [];
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    public ArgReader(IReadOnlyList<string> args, IEnumerable<string> valueOptions, IEnumerable<string> flagOptions)
    {
        var valueSet = new HashSet<string>(valueOptions, StringComparer.Ordinal);
        var flagSet = new HashSet<string>(flagOptions, StringComparer.Ordinal);
        bool onlyPositional = false;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (onlyPositional || !a.StartsWith('-') || a == "-") { _positional.Add(a); continue; }
            if (a == "--") { onlyPositional = true; continue; }
            string name = a;
            string? value = null;
            int eq = a.IndexOf('=');
            if (eq > 0) { name = a[..eq]; value = a[(eq + 1)..]; }
            if (flagSet.Contains(name))
            {
                if (value is not null) throw new UsageException($"option {name} takes no value");
                _flags.Add(name);
            }
            else if (valueSet.Contains(name))
            {
                if (value is null)
                {
                    if (i + 1 >= args.Count) throw new UsageException($"option {name} needs a value");
                    value = args[++i];
                }
                if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
                list.Add(value);
            }
            else throw new UsageException($"unknown option '{name}'");
        }
    }

    public IReadOnlyList<string> Positional => _positional;
    public bool Flag(string name) => _flags.Contains(name);
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var l) ? l : [];
    public string? Value(string name) => _values.TryGetValue(name, out var l) ? l[^1] : null;

    public long? Long(string name)
    {
        var v = Value(name);
        if (v is null) return null;
        return long.TryParse(v, out long n) ? n : throw new UsageException($"option {name} needs a whole number, got '{v}'");
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        var v = Value(name) ?? fallback;
        if (Array.IndexOf(allowed, v) < 0)
            throw new UsageException($"option {name} must be one of {string.Join(", ", allowed)}, got '{v}'");
        return v;
    }
}
