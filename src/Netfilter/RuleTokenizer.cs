using System.Text;

namespace Datapath.Netfilter;

/// <summary>
/// Splits a line of an iptables-restore or ipset restore file into words exactly as each tool does, and
/// keeps the 1-based column where each word starts (so an error can point at its token).
/// <list type="bullet">
/// <item><c>iptables-restore</c> (xshared.c, add_param_to_argv): only space, tab and newline separate; a
/// double quote opens a quoted word, inside which a backslash escapes the next character and the closing
/// quote ends the word (<c>"a b"c</c> is two words, <c>""</c> one empty word); a quote left open runs to
/// the end of the line; a carriage return is an ordinary character.</item>
/// <item><c>ipset restore</c> (ipset.c, build_argv): space, tab, CR and LF separate; a double quote toggles
/// quoting, there is no escape, empty words vanish, and a quote left open is an error.</item>
/// </list>
/// </summary>
internal static class RuleTokenizer
{
    /// <summary>The lines of the text split on LF only (a CR stays in its line, as fgets keeps it); a final
    /// LF ends the last line rather than starting an empty one.</summary>
    public static IEnumerable<string> Lines(TextReader reader)
    {
        var sb = new StringBuilder();
        int c;
        bool any = false;
        while ((c = reader.Read()) >= 0)
        {
            any = true;
            if (c == '\n')
            {
                yield return sb.ToString();
                sb.Clear();
                any = false;
                continue;
            }
            sb.Append((char)c);
        }
        if (any)
            yield return sb.ToString();
    }

    public static void TokenizeIptables(string line, List<string> words, List<int> columns)
    {
        words.Clear();
        columns.Clear();
        var sb = new StringBuilder();
        bool open = false, escaped = false, inWord = false;
        int start = 0;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (open)
            {
                if (escaped)
                {
                    sb.Append(c);
                    escaped = false;
                }
                else if (c == '\\')
                {
                    escaped = true;
                }
                else if (c == '"')
                {
                    open = false;
                    Emit(i);
                }
                else
                {
                    sb.Append(c);
                }
                continue;
            }
            if (c == '"')
            {
                open = true;
                Begin(i);
                continue;
            }
            if (c is ' ' or '\t' or '\n')
            {
                if (inWord)
                    Emit(i);
                continue;
            }
            Begin(i);
            sb.Append(c);
        }
        if (inWord)
            Emit(line.Length);

        void Begin(int i)
        {
            if (!inWord)
            {
                inWord = true;
                start = i;
            }
        }

        void Emit(int end)
        {
            words.Add(sb.ToString());
            columns.Add(start + 1);
            sb.Clear();
            inWord = false;
        }
    }

    /// <summary>ipset's split; returns the 1-based column of an unclosed quote, or 0.</summary>
    public static int TokenizeIpset(string line, List<string> words, List<int> columns)
    {
        words.Clear();
        columns.Clear();
        var sb = new StringBuilder();
        bool quoted = false;
        int start = -1, quoteColumn = 0;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '"')
            {
                quoted = !quoted;
                quoteColumn = i + 1;
                if (start < 0)
                    start = i;
                continue;
            }
            if (!quoted && c is ' ' or '\t' or '\r' or '\n')
            {
                Flush();
                continue;
            }
            if (start < 0)
                start = i;
            sb.Append(c);
        }
        if (quoted)
            return quoteColumn;
        Flush();
        return 0;

        void Flush()
        {
            if (sb.Length > 0)
            {
                words.Add(sb.ToString());
                columns.Add(start + 1);
            }
            sb.Clear();
            start = -1;
        }
    }
}
