namespace Datapath.Netfilter;

/// <summary>
/// "Did you mean" for the words of iptables and ipset files: the closest known word by optimal string
/// alignment distance (insertions, deletions, substitutions and swaps of neighbours each cost one, so
/// <c>--probabilty</c> is one from <c>--probability</c>), offered only when it is close for the word's length.
/// </summary>
internal static class Spelling
{
    public static string? Suggest(string word, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(word);
        ArgumentNullException.ThrowIfNull(known);
        string? best = null;
        int bestCost = int.MaxValue;
        foreach (string k in known)
        {
            if (k.Length == 0 || string.Equals(k, word, StringComparison.Ordinal))
                continue;
            int cost = Distance(word.ToUpperInvariant(), k.ToUpperInvariant());
            if (cost < bestCost)
            {
                best = k;
                bestCost = cost;
            }
        }
        int allowed = word.Length <= 4 ? 1 : word.Length <= 9 ? 2 : 3;
        return bestCost <= allowed ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                int v = Math.Min(substitution, Math.Min(d[i - 1, j], d[i, j - 1]) + 1);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    v = Math.Min(v, d[i - 2, j - 2] + 1);
                d[i, j] = v;
            }
        }
        return d[a.Length, b.Length];
    }
}
