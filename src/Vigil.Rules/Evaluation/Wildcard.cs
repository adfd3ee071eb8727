using Vigil.Rules.Compilation;

namespace Vigil.Rules.Evaluation;

/// <summary>Matches text against a pre-split wildcard pattern without allocating.</summary>
internal static class Wildcard
{
    public static bool Match(ReadOnlySpan<char> text, WildcardSegment[] segs, StringComparison cmp) => MatchFrom(text, segs, 0, cmp);

    private static bool MatchFrom(ReadOnlySpan<char> text, WildcardSegment[] segs, int si, StringComparison cmp)
    {
        int pos = 0;
        while (si < segs.Length)
        {
            var seg = segs[si];
            switch (seg.Kind)
            {
                case SegmentKind.Literal:
                    if (!text[pos..].StartsWith(seg.Text, cmp)) return false;
                    pos += seg.Text.Length;
                    si++;
                    break;
                case SegmentKind.Question:
                    if (pos >= text.Length) return false;
                    pos++;
                    si++;
                    break;
                default: // Star
                    si++;
                    if (si == segs.Length) return true;   // trailing star matches the rest
                    var rest = text[pos..];
                    var next = segs[si];
                    if (next.Kind == SegmentKind.Literal)
                    {
                        // Last segment: only a suffix can match.
                        if (si == segs.Length - 1) return rest.EndsWith(next.Text, cmp);
                        // Try every occurrence of the next literal (backtracking over this star only).
                        int offset = 0;
                        while (true)
                        {
                            int idx = rest[offset..].IndexOf(next.Text, cmp);
                            if (idx < 0) return false;
                            int at = offset + idx;
                            if (MatchFrom(rest[(at + next.Text.Length)..], segs, si + 1, cmp)) return true;
                            offset = at + 1;
                            if (offset > rest.Length) return false;
                        }
                    }
                    for (int p = 0; p <= rest.Length; p++)
                        if (MatchFrom(rest[p..], segs, si, cmp)) return true;
                    return false;
            }
        }
        return pos == text.Length;
    }
}
