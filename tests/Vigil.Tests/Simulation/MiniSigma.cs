using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Vigil.Tests.Simulation;

/// <summary>
/// A deliberately small Sigma evaluator used only by these tests, so the builtin rules can be checked
/// against the simulated day before the real engine (Vigil.Rules/Vigil.Engine) is merged. It supports
/// exactly the subset the builtin rules are allowed to use: field maps and lists of maps, value lists,
/// the contains/startswith/endswith/all modifiers, '*'/'?' wildcards in plain values, and conditions
/// with and/or/not, parentheses, "1 of x*", "all of x*". Anything else makes it throw, so a rule using
/// an unsupported feature fails the test rather than being silently skipped.
/// Logsources: process_creation = Sysmon 1, network_connection = Sysmon 3, ps_script = PowerShell 4104,
/// service security/system = that channel.
/// </summary>
public sealed class MiniSigma
{
    public string Path { get; }
    public string Title { get; }
    public string Level { get; }
    private readonly Func<JsonElement, bool> _logsource;
    private readonly Dictionary<string, Func<JsonElement, bool>> _searches = new(StringComparer.Ordinal);
    private readonly Func<JsonElement, bool> _condition;

    private static readonly HashSet<string> Modifiers = new(StringComparer.Ordinal) { "contains", "startswith", "endswith", "all" };

    public MiniSigma(string path)
    {
        Path = path;
        var ys = new YamlStream();
        using (var r = new StreamReader(path)) ys.Load(r);
        var root = (YamlMappingNode)ys.Documents[0].RootNode;
        Title = Scalar(root, "title");
        Level = Scalar(root, "level");
        _logsource = Logsource((YamlMappingNode)root.Children[new YamlScalarNode("logsource")]);
        var detection = (YamlMappingNode)root.Children[new YamlScalarNode("detection")];
        foreach (var (k, v) in detection.Children)
        {
            string name = ((YamlScalarNode)k).Value!;
            if (name == "condition") continue;
            _searches[name] = Search(v);
        }
        string condition = ((YamlScalarNode)detection.Children[new YamlScalarNode("condition")]).Value!;
        var tokens = Regex.Matches(condition, @"\(|\)|[^\s()]+").Select(m => m.Value).ToList();
        int pos = 0;
        _condition = ParseOr(tokens, ref pos);
        if (pos != tokens.Count) throw new FormatException($"{path}: trailing tokens in condition '{condition}'");
    }

    public bool Matches(JsonElement e) => _logsource(e) && _condition(e);

    private static string Scalar(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s ? s.Value ?? "" : "";

    private Func<JsonElement, bool> Logsource(YamlMappingNode ls)
    {
        string category = Scalar(ls, "category"), service = Scalar(ls, "service");
        (string Channel, int? Id) want = (category, service) switch
        {
            ("process_creation", _) => ("Microsoft-Windows-Sysmon/Operational", 1),
            ("network_connection", _) => ("Microsoft-Windows-Sysmon/Operational", 3),
            ("ps_script", _) => ("Microsoft-Windows-PowerShell/Operational", 4104),
            (_, "security") => ("Security", null),
            (_, "system") => ("System", null),
            _ => throw new NotSupportedException($"{Path}: logsource {category}/{service} not supported by the test evaluator"),
        };
        return e => e.GetProperty("Channel").GetString() == want.Channel && (want.Id is null || e.GetProperty("EventID").GetInt32() == want.Id);
    }

    private Func<JsonElement, bool> Search(YamlNode node)
    {
        if (node is YamlMappingNode map) return FieldMap(map);
        if (node is YamlSequenceNode seq && seq.Children.All(c => c is YamlMappingNode))
        {
            var alts = seq.Children.Select(c => FieldMap((YamlMappingNode)c)).ToList();
            return e => alts.Any(a => a(e));
        }
        throw new NotSupportedException($"{Path}: keyword searches are not used by builtin rules");
    }

    private Func<JsonElement, bool> FieldMap(YamlMappingNode map)
    {
        var parts = new List<Func<JsonElement, bool>>();
        foreach (var (k, v) in map.Children)
        {
            var spec = ((YamlScalarNode)k).Value!.Split('|');
            string field = spec[0];
            var mods = spec.Skip(1).ToList();
            foreach (var m in mods)
                if (!Modifiers.Contains(m)) throw new NotSupportedException($"{Path}: modifier '{m}' is outside the allowed subset");
            bool all = mods.Contains("all");
            string kind = mods.FirstOrDefault(m => m != "all") ?? "equals";
            var values = v is YamlSequenceNode s ? s.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList() : [((YamlScalarNode)v).Value ?? ""];
            var matchers = values.Select(val => ValueMatcher(kind, val)).ToList();
            parts.Add(e =>
            {
                if (!e.TryGetProperty(field, out var p)) return false;
                string text = p.ValueKind == JsonValueKind.String ? p.GetString()! : p.GetRawText();
                return all ? matchers.All(m => m(text)) : matchers.Any(m => m(text));
            });
        }
        return e => parts.All(p => p(e));
    }

    private static Func<string, bool> ValueMatcher(string kind, string value)
    {
        // Sigma escaping: "\\" is one backslash, "\*" and "\?" are literal; other '*'/'?' are wildcards.
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is '*' or '?' or '\\') { sb.Append(Regex.Escape(value[i + 1].ToString())); i++; }
            else if (c == '*') sb.Append(".*");
            else if (c == '?') sb.Append('.');
            else sb.Append(Regex.Escape(c.ToString()));
        }
        string core = sb.ToString();
        string pattern = kind switch
        {
            "contains" => core,
            "startswith" => "^" + core,
            "endswith" => core + "$",
            _ => "^" + core + "$",
        };
        var re = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant);
        return re.IsMatch;
    }

    private Func<JsonElement, bool> ParseOr(List<string> t, ref int pos)
    {
        var left = ParseAnd(t, ref pos);
        while (pos < t.Count && t[pos] == "or")
        {
            pos++;
            var l = left; var r = ParseAnd(t, ref pos);
            left = e => l(e) || r(e);
        }
        return left;
    }

    private Func<JsonElement, bool> ParseAnd(List<string> t, ref int pos)
    {
        var left = ParseNot(t, ref pos);
        while (pos < t.Count && t[pos] == "and")
        {
            pos++;
            var l = left; var r = ParseNot(t, ref pos);
            left = e => l(e) && r(e);
        }
        return left;
    }

    private Func<JsonElement, bool> ParseNot(List<string> t, ref int pos)
    {
        if (pos < t.Count && t[pos] == "not") { pos++; var inner = ParseNot(t, ref pos); return e => !inner(e); }
        return ParsePrimary(t, ref pos);
    }

    private Func<JsonElement, bool> ParsePrimary(List<string> t, ref int pos)
    {
        if (pos >= t.Count) throw new FormatException($"{Path}: condition ends early");
        string tok = t[pos++];
        if (tok == "(")
        {
            var inner = ParseOr(t, ref pos);
            if (pos >= t.Count || t[pos++] != ")") throw new FormatException($"{Path}: missing ')'");
            return inner;
        }
        if (tok is "1" or "all")
        {
            if (pos + 1 >= t.Count || t[pos] != "of") throw new FormatException($"{Path}: expected 'of' after '{tok}'");
            string pattern = t[pos + 1];
            pos += 2;
            var names = pattern == "them" ? _searches.Keys.ToList() : _searches.Keys.Where(k => Glob(pattern, k)).ToList();
            if (names.Count == 0) throw new FormatException($"{Path}: '{pattern}' matches no search");
            var fs = names.Select(n => _searches[n]).ToList();
            return tok == "1" ? e => fs.Any(f => f(e)) : e => fs.All(f => f(e));
        }
        if (!_searches.TryGetValue(tok, out var s)) throw new FormatException($"{Path}: condition names unknown search '{tok}'");
        return s;
    }

    private static bool Glob(string pattern, string name) =>
        Regex.IsMatch(name, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$");
}
