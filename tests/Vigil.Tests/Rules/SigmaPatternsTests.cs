using System.Text;
using Vigil.Rules.Compilation;

namespace Vigil.Tests.Rules;

/// <summary><see cref="SigmaPatterns.Parse"/> has a fast path for values without wildcards or backslashes; it must split
/// every string exactly as the plain character loop (kept here as the reference) does.</summary>
public class SigmaPatternsTests
{
    private static List<WildcardSegment> Reference(string value)
    {
        var segs = new List<WildcardSegment>();
        var lit = new StringBuilder();
        void Flush() { if (lit.Length > 0) { segs.Add(new(SegmentKind.Literal, lit.ToString())); lit.Clear(); } }
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is '*' or '?' or '\\') { lit.Append(value[i + 1]); i++; }
            else if (c == '*') { Flush(); if (segs.Count == 0 || segs[^1].Kind != SegmentKind.Star) segs.Add(new(SegmentKind.Star, "")); }
            else if (c == '?') { Flush(); segs.Add(new(SegmentKind.Question, "")); }
            else lit.Append(c);
        }
        Flush();
        return segs;
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("\\")]
    [InlineData("a\\")]
    [InlineData("\\*")]
    [InlineData("\\\\*")]
    [InlineData("**a**")]
    [InlineData("a?b*c")]
    [InlineData("C:\\Windows\\System32\\")]
    [InlineData("\\?\\?\\\\")]
    [InlineData("*")]
    public void SplitsAsTheCharacterLoop(string value) => Assert.Equal(Reference(value), SigmaPatterns.Parse(value));

    /// <summary>Every line of every rule file of the collection, and each line's text after its first ": ", as values.</summary>
    [Fact]
    public void SplitsEveryLineOfTheCollectionAsTheCharacterLoop()
    {
        int checkedValues = 0, special = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(CollectionTests.SigmaDir, "rules"), "*.yml", SearchOption.AllDirectories))
            foreach (var line in File.ReadLines(file))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                foreach (var value in colon >= 0 ? new[] { line, line[(colon + 2)..].Trim('\'', '"', ' ') } : [line])
                {
                    var expected = Reference(value);
                    var actual = SigmaPatterns.Parse(value);
                    Assert.True(expected.SequenceEqual(actual), $"{file}: '{value}'");
                    checkedValues++;
                    if (value.AsSpan().IndexOfAny('*', '?', '\\') >= 0) special++;
                }
            }
        Assert.True(checkedValues > 50_000 && special > 5_000, $"{checkedValues} values, {special} with wildcards or backslashes");
    }
}
