using Vigil.IO;

namespace Vigil.Tests.Events;

/// <summary>Tuples of texts hash by each text's length and code units: tuples that would join to the same text with a
/// separator, or without one, stay apart; equal tuples hash alike.</summary>
public sealed class TextHashTests
{
    [Fact]
    public void Tuples_that_join_to_the_same_text_hash_apart()
    {
        Assert.NotEqual(TextHash.Of("a|b", "c", "d", "e"), TextHash.Of("a", "b|c", "d", "e"));
        Assert.NotEqual(TextHash.Of("ab", "", "x", "y"), TextHash.Of("a", "b", "x", "y"));
        Assert.NotEqual(TextHash.Of("upload", "H", "d", ""), TextHash.Of("upload", "H", "", "d"));
        Assert.Equal(TextHash.Of("upload", "H", "d", "x"), TextHash.Of("upload", new string('H', 1), "d", "x"));
        Assert.NotEqual(TextHash.Of(["a"]), TextHash.Of("a".AsSpan()));
    }
}
