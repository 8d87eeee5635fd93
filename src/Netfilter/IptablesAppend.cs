using System.Text;
using Datapath.Packets;

namespace Datapath.Netfilter;

/// <summary>
/// <c>iptables [-t TABLE] -A CHAIN RULE</c> / <c>-I CHAIN [N] RULE</c> on a loaded rule set, as a user adds a TRACE
/// rule before a capture (seed 002: <c>iptables -t raw -A OUTPUT -p tcp --dport 9898 -j TRACE</c>). The table is
/// re-committed with the rule (counters kept); the existing chains and rules keep their nf_tables handles and the new
/// rule gets the table's next one, as the kernel gives it. A table the rule set did not have is created, its
/// built-in chains getting handles as they are first used (iptables-nft creates them lazily). The caller rebuilds the
/// engine over the rule set (HostStack.Reseed) before packets see the rule.
/// </summary>
public static class IptablesAppend
{
    /// <summary>Adds the rule <paramref name="command"/>; errors name <paramref name="source"/> (e.g. <c>--iptables-add</c>), line 1,
    /// and the column in <paramref name="command"/>.</summary>
    /// <exception cref="InputException">A rule iptables would refuse, or an unknown table or chain.</exception>
    public static void Add(RuleSet rules, string command, string source)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(command);
        int i = SkipBlanks(command, 0);
        string table = "filter";
        if (WordAt(command, i) is "-t" or "--table")
        {
            int nameStart = SkipBlanks(command, i + WordAt(command, i).Length);
            table = WordAt(command, nameStart);
            if (table.Length == 0)
                throw new InputException(source, 1, nameStart + 1, "option '-t' requires an argument (the table)");
            if (NetfilterTable.BuiltinChainNames(table).Count == 0)
                throw new InputException(source, 1, nameStart + 1, $"table '{table}' does not exist", "the tables are raw, mangle, nat and filter");
            i = SkipBlanks(command, nameStart + table.Length);
        }
        if (WordAt(command, i) is not ("-A" or "-I"))
            throw new InputException(source, 1, i + 1, "expected -A CHAIN RULE or -I CHAIN [N] RULE (after an optional -t TABLE)");

        bool insert = WordAt(command, i) == "-I";
        int chainStart = SkipBlanks(command, i + 2);
        string chainName = WordAt(command, chainStart);
        int numberStart = SkipBlanks(command, chainStart + chainName.Length);
        int position = insert && int.TryParse(WordAt(command, numberStart), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out int n) ? n - 1 : insert ? 0 : int.MaxValue;

        var old = rules.Get(table);
        var doc = new StringBuilder();
        if (old is not null)
        {
            string saved = IptablesSaveWriter.Write(rules, counters: true, table, out _)!;
            doc.Append(saved, 0, saved.LastIndexOf("COMMIT\n", StringComparison.Ordinal));
        }
        else
        {
            doc.Append('*').Append(table).Append('\n');
        }
        int ruleLine = doc.ToString().Count(c => c == '\n') + 1;
        doc.Append(command, i, command.Length - i).Append("\nCOMMIT\n");
        try
        {
            IptablesSaveParser.ParseText(doc.ToString(), source, rules);
        }
        catch (InputException e) when (e.Line == ruleLine)
        {
            throw new InputException(source, 1, e.Column == 0 ? 0 : e.Column + i, e.What, e.Hint);
        }
        catch (InputException e)
        {
            // COMMIT-time errors (a jump to a chain that does not exist) name the rule's line or COMMIT's.
            throw new InputException(source, 1, i + 1, e.What, e.Hint);
        }
        KeepHandles(old, rules.Get(table)!, chainName, position);
    }

    /// <summary>The re-committed table's objects get the handles they had; the new rule (at <paramref name="position"/> of
    /// <paramref name="chainName"/>, its end for -A) gets the next, after its chain's when the chain is new to nft.</summary>
    private static void KeepHandles(NetfilterTable? old, NetfilterTable table, string chainName, int position)
    {
        ulong last = old?.LastHandle ?? 0;
        foreach (var chain in table.Chains)
        {
            var before = old is not null && old.TryGetChain(chain.Name, out var c) ? c : null;
            chain.Handle = before?.Handle ?? 0;
            int added = chain.Name == chainName ? Math.Min(position, chain.Rules.Count - 1) : -1;
            for (int r = 0, o = 0; r < chain.Rules.Count; r++)
            {
                if (r == added)
                {
                    if (chain.Handle == 0)
                        chain.Handle = ++last;
                    chain.Rules[r].Handle = ++last;
                    continue;
                }
                chain.Rules[r].Handle = before!.Rules[o++].Handle;
            }
        }
        table.LastHandle = last;
    }

    private static int SkipBlanks(string s, int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t')
            i++;
        return i;
    }

    private static string WordAt(string s, int i)
    {
        int end = i;
        while (end < s.Length && s[end] is not (' ' or '\t'))
            end++;
        return s[i..end];
    }
}
