namespace Datapath.Packets;

/// <summary>
/// The "did you mean" of every reader of user input (flow fields, iptables options, YAML keys, command-line
/// options and commands): the candidate closest to a misspelt word by Levenshtein distance, compared
/// case-insensitively, when it is close enough to be a typo — at most one edit for words of up to five
/// characters, two for longer ones. Ties go to the first candidate in order, so callers list the canonical
/// spelling first.
/// </summary>
public static class DidYouMean
{
    /// <summary>The closest candidate to <paramref name="word"/>, or null when none is within the typo distance.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        string lower = word.ToLowerInvariant();
        foreach (string c in candidates)
        {
            int d = Distance(lower, c.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        int limit = word.Length <= 5 ? 1 : 2;
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, each costing one.</summary>
    public static int Distance(string a, string b)
    {
        Span<int> prev = b.Length < 256 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        Span<int> cur = b.Length < 256 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            cur.CopyTo(prev);
        }
        return prev[b.Length];
    }
}
