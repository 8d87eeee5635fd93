using System.Text;
using Datapath.Netfilter;

namespace Datapath.Antrea.Compile;

/// <summary>
/// An iptables-restore document being assembled by the programs that share a node's tables (kube-proxy, the Antrea
/// agent): per table its user chains and its rules in the order they were appended (a rule given with
/// <c>prepend</c> goes before the chain's earlier rules, as <c>iptables -I</c>). <see cref="Save"/> loads
/// it as iptables-restore would and prints it as iptables-save does (tables and chains in their order, options in
/// their saved order, probabilities with 11 decimals), so a compiled file reads as a dump of the node.
/// </summary>
internal sealed class IptablesRestoreText
{
    private static readonly Dictionary<string, string[]> s_builtins = new(StringComparer.Ordinal)
    {
        ["raw"] = ["PREROUTING", "OUTPUT"],
        ["mangle"] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
        ["filter"] = ["INPUT", "FORWARD", "OUTPUT"],
        ["nat"] = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
    };

    private readonly List<string> _tables = [];
    private readonly Dictionary<string, SortedSet<string>> _chains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string Chain, string Rule)>> _rules = new(StringComparer.Ordinal);

    /// <summary>Declares a user chain of <paramref name="table"/> (declaring it again is nothing).</summary>
    public void Chain(string table, string chain)
    {
        Table(table);
        if (!s_builtins[table].Contains(chain))
            _chains[table].Add(chain);
    }

    /// <summary>Appends (or with <paramref name="prepend"/>, inserts first) <c>-A CHAIN RULE</c> to a declared or built-in chain.</summary>
    public void Rule(string table, string chain, string rule, bool prepend = false)
    {
        Chain(table, chain);
        var rules = _rules[table];
        if (prepend)
        {
            int at = rules.FindIndex(r => r.Chain == chain);
            rules.Insert(at < 0 ? rules.Count : at, (chain, rule));
        }
        else
        {
            rules.Add((chain, rule));
        }
    }

    /// <summary>Whether <paramref name="table"/> has the user chain <paramref name="chain"/>.</summary>
    public bool Has(string table, string chain) => _chains.TryGetValue(table, out var c) && c.Contains(chain);

    /// <summary>The iptables-restore input: each table, its chains, its rules, COMMIT.</summary>
    public string Restore()
    {
        var sb = new StringBuilder();
        foreach (string table in _tables)
        {
            sb.Append('*').Append(table).Append('\n');
            foreach (string b in s_builtins[table])
                sb.Append(':').Append(b).Append(" ACCEPT [0:0]\n");
            foreach (string c in _chains[table])
                sb.Append(':').Append(c).Append(" - [0:0]\n");
            foreach (var (chain, rule) in _rules[table])
                sb.Append("-A ").Append(chain).Append(' ').Append(rule).Append('\n');
            sb.Append("COMMIT\n");
        }
        return sb.ToString();
    }

    /// <summary>What iptables-save prints once <see cref="Restore"/> is loaded.</summary>
    public string Save()
    {
        var rules = IptablesSaveParser.ParseText(Restore(), "compiled iptables");
        return IptablesSaveWriter.Write(rules, counters: false, table: null, out string error) ?? throw new InvalidOperationException(error);
    }

    private void Table(string table)
    {
        if (_chains.ContainsKey(table))
            return;
        if (!s_builtins.ContainsKey(table))
            throw new ArgumentException($"no table '{table}'", nameof(table));
        _tables.Add(table);
        _chains[table] = new SortedSet<string>(StringComparer.Ordinal);
        _rules[table] = [];
    }
}
