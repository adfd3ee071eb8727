using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Vigil.Rules.Parsing;

namespace Vigil.Rules.Logsources;

/// <summary>Loading of Vigil's YAML mapping files (logsources.yml, fieldmaps.yml and users' overrides):
/// syntax errors and content errors become <see cref="RuleError"/>s with file, line and column.</summary>
internal static class MappingFile
{
    /// <summary>The text of a mapping file embedded in this assembly; a missing one is a build error, so it throws.</summary>
    public static string Embedded(string resourceName)
    {
        using var stream = typeof(MappingFile).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"embedded resource {resourceName} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static void Read(string yaml, string file, List<RuleError> errors, string what, Action<YamlMappingNode> read)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException ex)
        {
            errors.Add(new RuleError(file, ex.Start.Line, ex.Start.Column, "YAML syntax error: " + (ex.InnerException?.Message ?? ex.Message)));
            return;
        }
        if (stream.Documents.Count == 0) return;
        try
        {
            if (stream.Documents[0].RootNode is not YamlMappingNode root) throw SigmaParser.Fail(stream.Documents[0].RootNode, $"{what} must be a map");
            read(root);
        }
        catch (RuleParseException ex) { errors.Add(new RuleError(file, ex.Line, ex.Column, ex.Message)); }
    }

    /// <summary>A scalar's text; anything else is an error at the node's line and column.</summary>
    public static string Str(YamlNode n) => n is YamlScalarNode { Value: { } s } ? s : throw SigmaParser.Fail(n, "expected a single value");

    public static YamlMappingNode Map(YamlNode n) => n as YamlMappingNode ?? throw SigmaParser.Fail(n, "expected a map");

    /// <summary>One value or a list of values, as a list.</summary>
    public static string[] Strings(YamlNode n) => n switch
    {
        YamlScalarNode s => [Str(s)],
        YamlSequenceNode seq => seq.Children.Select(Str).ToArray(),
        _ => throw SigmaParser.Fail(n, "expected a value or a list of values"),
    };
}
