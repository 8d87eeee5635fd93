using System.Text;

namespace Datapath.Netfilter;

/// <summary>
/// Splits a line of an iptables-restore or ipset restore file into words as the restore tools do:
/// whitespace separates, double quotes group (a quote inside is written <c>\"</c>), a backslash escapes
/// the next character inside quotes.
/// </summary>
internal static class RuleTokenizer
{
    public static bool TryTokenize(string line, List<string> words, out string? error)
    {
        words.Clear();
        error = null;
        int i = 0;
        var sb = new StringBuilder();
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
                i++;
            if (i >= line.Length)
                break;
            sb.Clear();
            bool quoted = false;
            while (i < line.Length && (quoted || !char.IsWhiteSpace(line[i])))
            {
                char c = line[i];
                if (c == '"')
                {
                    quoted = !quoted;
                    i++;
                    continue;
                }
                if (c == '\\' && quoted && i + 1 < line.Length)
                {
                    sb.Append(line[i + 1]);
                    i += 2;
                    continue;
                }
                sb.Append(c);
                i++;
            }
            if (quoted)
            {
                error = "unterminated quoted string";
                return false;
            }
            words.Add(sb.ToString());
        }
        return true;
    }
}
