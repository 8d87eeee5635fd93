using System.Globalization;

namespace Datapath.Classifier;

/// <summary>
/// Finds the <c>conjunction(id,k/n)</c> actions in an action string and checks them as OVS does
/// (ovs-actions(7) "The conjunction action"; lib/ofp-actions.c parse_CONJUNCTION).
/// </summary>
internal static class ConjunctionActions
{
    /// <summary>The conjunctions; empty when there are none.  Throws FormatException with OVS's wording.</summary>
    public static IReadOnlyList<Conjunction> Extract(string actions)
    {
        if (!actions.Contains("conjunction", StringComparison.Ordinal))
            return [];
        var list = new List<Conjunction>();
        string? other = null;
        foreach (string action in SplitTopLevel(actions))
        {
            string a = action.Trim();
            if (a.Length == 0)
                continue;
            int end = a.IndexOfAny(['(', ':', '=']);
            string name = (end < 0 ? a : a[..end]).Trim();
            if (name == "conjunction")
            {
                if (end < 0 || a[end] != '(' || a[^1] != ')')
                    throw new FormatException("\"conjunction\" syntax is \"conjunction(id,i/n)\"");
                list.Add(ParseOne(a[(end + 1)..^1]));
            }
            else if (name != "note")
            {
                other ??= name;
            }
        }
        if (list.Count > 0 && other is not null)
        {
            throw new FormatException(
                $"\"conjunction\" actions may be used along with \"note\" but not any other kind of action (such as the \"{other}\" action used here)");
        }
        return list;
    }

    private static Conjunction ParseOne(string arg)
    {
        // ovs_scan(arg, "%"SCNi32" , %"SCNu8" / %"SCNu8" %n") and nothing after.
        int comma = arg.IndexOf(',', StringComparison.Ordinal);
        int slash = arg.IndexOf('/', StringComparison.Ordinal);
        if (comma < 0 || slash < comma
            || !TryParseCInt(arg[..comma].Trim(), out ulong id) || id > uint.MaxValue
            || !byte.TryParse(arg[(comma + 1)..slash].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out byte k)
            || !byte.TryParse(arg[(slash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out byte n))
        {
            throw new FormatException("\"conjunction\" syntax is \"conjunction(id,i/n)\"");
        }
        if (n < 2)
            throw new FormatException("conjunction must have at least 2 clauses");
        if (n > 64)
            throw new FormatException("conjunction must have at most 64 clauses");
        if (k < 1)
            throw new FormatException("clause index must be positive");
        if (k > n)
            throw new FormatException("clause index must be less than or equal to number of clauses");
        return new Conjunction((uint)id, k, n);
    }

    // %i: decimal, 0x hex or 0 octal.
    private static bool TryParseCInt(string s, out ulong v)
    {
        v = 0;
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v);
        if (s.Length > 1 && s[0] == '0')
        {
            foreach (char c in s.AsSpan(1))
            {
                if (c is < '0' or > '7')
                    return false;
                v = (v * 8) + (ulong)(c - '0');
            }
            return true;
        }
        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
    }

    /// <summary>Splits at commas outside parentheses, brackets and quotes.</summary>
    internal static IEnumerable<string> SplitTopLevel(string s)
    {
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (quoted)
            {
                if (c == '"')
                    quoted = false;
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': depth--; break;
                case ',' when depth == 0:
                    yield return s[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return s[start..];
    }
}
