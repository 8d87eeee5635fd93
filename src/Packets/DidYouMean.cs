namespace Datapath.Packets;

/// <summary>
/// The "did you mean" of every reader of user input (flow fields, iptables and ipset words, YAML keys,
/// command-line options and commands): the candidate closest to a misspelt word by optimal string
/// alignment distance (insertions, deletions, substitutions and swaps of two neighbours each cost one, so
/// <c>--probabilty</c> is one from <c>--probability</c>), compared case-insensitively, offered only when it
/// is close for the word's length: one edit up to four characters, two up to nine, three beyond. Ties go
/// to the first candidate in order, so callers list the canonical spelling first; the word itself and
/// empty candidates are never offered.
/// </summary>
public static class DidYouMean
{
    /// <summary>The closest candidate to <paramref name="word"/>, or null when none is within the typo distance.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        int bestDistance = int.MaxValue;
        string lower = word.ToLowerInvariant();
        foreach (string c in candidates)
        {
            if (c.Length == 0 || string.Equals(c, word, StringComparison.Ordinal))
                continue;
            int d = Distance(lower, c.ToLowerInvariant());
            if (d < bestDistance)
            {
                best = c;
                bestDistance = d;
            }
        }
        return bestDistance <= Allowed(word.Length) ? best : null;
    }

    /// <summary>Edits a word of <paramref name="length"/> characters may be away from what was meant.</summary>
    public static int Allowed(int length) => length <= 4 ? 1 : length <= 9 ? 2 : 3;

    /// <summary>Optimal string alignment distance between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int v = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                d[i, j] = v;
            }
        }
        return d[a.Length, b.Length];
    }
}
