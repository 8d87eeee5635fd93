using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Netfilter;

// iptables -L and iptables -S
// ===========================
//
// What?
// -----
// A loaded rule set as `iptables [-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers]` and
// `iptables [-t TABLE] -S [CHAIN] [-v]` print it, with the counters the engine accumulated: byte for byte
// what iptables-nft 1.8.9 (Debian 12's `iptables`) prints for the same rules after iptables-restore.
//
// Design
// ------
// The layout is iptables' own (iptables/xshared.c print_header, print_rule_details, print_ifaces,
// print_ipv4_addresses; libxtables xtables_print_num): fixed printf widths that a long target name or address
// pushes to the right rather than truncates. The matches and the target print through XtablesPrinter, in the
// order the rule wrote them. A table the rule set does not hold but iptables knows (raw, mangle, nat, filter)
// lists as iptables lists a table nobody loaded: its built-in chains, empty, policy ACCEPT.
//
// Invariants
// ----------
//  - Off the packet path; the counters are read once per rule (Volatile) while the engine may be counting.
//  - Errors are iptables' words ("iptables: No chain/target/match by that name."), returned, never thrown.
//  - Without -n, names are iptables' own tables (anywhere, all, tcp, http, echo-request, FIN,SYN); host names
//    are never resolved (iptables would try DNS).
public static class IptablesListing
{
    /// <summary>What iptables says for an unknown chain (legacy's words; iptables-nft 1.8.9 says the chain is "incompatible").</summary>
    public const string NoSuchChain = "iptables: No chain/target/match by that name.";

    private static readonly string[] s_tables = ["raw", "mangle", "nat", "filter"];

    /// <summary>The table of that name: the loaded one, an empty one for a known table nobody loaded, or an error.</summary>
    public static bool TryGetTable(RuleSet rules, string name, out NetfilterTable table, out string error)
    {
        ArgumentNullException.ThrowIfNull(rules);
        error = string.Empty;
        if (rules.Get(name) is { } loaded)
        {
            table = loaded;
            return true;
        }
        if (Array.IndexOf(s_tables, name) >= 0)
        {
            table = new NetfilterTable(name);
            return true;
        }
        table = null!;
        error = $"iptables v1.8.9 (nf_tables): table '{name}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.";
        return false;
    }

    /// <summary><c>iptables -t TABLE -L [CHAIN] ...</c>; false with iptables' message for an unknown table or chain.</summary>
    public static bool TryList(RuleSet rules, string table, string? chain, IptablesListOptions options, StringBuilder output, out string error)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!TryGetTable(rules, table, out var t, out error) || !TrySelect(t, chain, out var chains, out error))
            return false;
        bool first = true;
        foreach (var c in chains)
        {
            if (!first)
                output.Append('\n');
            first = false;
            ListChain(output, c, options);
        }
        return true;
    }

    /// <summary><c>iptables -t TABLE -S [CHAIN] [-v]</c>: the policies and chains, then the rules, as iptables-save writes them.</summary>
    public static bool TryListRules(RuleSet rules, string table, string? chain, bool counters, StringBuilder output, out string error)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!TryGetTable(rules, table, out var t, out error) || !TrySelect(t, chain, out var chains, out error))
            return false;
        foreach (var c in chains)
        {
            if (c.IsBuiltin)
            {
                output.Append("-P ").Append(c.Name).Append(' ').Append(PolicyName(c.Policy));
                if (counters)
                    output.Append(" -c ").Append(Num(c.PolicyPackets)).Append(' ').Append(Num(c.PolicyBytes));
                output.Append('\n');
            }
            else
            {
                output.Append("-N ").Append(c.Name).Append('\n');
            }
        }
        foreach (var c in chains)
        {
            foreach (var r in c.Rules)
            {
                output.Append("-A ").Append(c.Name);
                SaveRuleSpec(output, r, inlineCounters: counters);
                output.Append('\n');
            }
        }
        return true;
    }

    private static bool TrySelect(NetfilterTable table, string? chain, out IReadOnlyList<Chain> chains, out string error)
    {
        error = string.Empty;
        if (chain is null)
        {
            chains = ListingOrder(table);
            return true;
        }
        if (table.TryGetChain(chain, out var c))
        {
            chains = [c];
            return true;
        }
        chains = [];
        error = NoSuchChain;
        return false;
    }

    /// <summary>The chains as iptables lists and saves them: the built-in ones in hook order, then the user
    /// chains sorted by name (strcmp), whatever order the file declared them in.</summary>
    public static IReadOnlyList<Chain> ListingOrder(NetfilterTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var builtin = table.Chains.Where(c => c.IsBuiltin);
        var user = table.Chains.Where(c => !c.IsBuiltin).OrderBy(c => c.Name, StringComparer.Ordinal);
        return [.. builtin, .. user];
    }

    public static string PolicyName(NetfilterVerdict policy) => policy == NetfilterVerdict.Drop ? "DROP" : "ACCEPT";

    /// <summary>How many rules of the chain's table jump or go to it (the "(N references)" of a user chain).</summary>
    public static int References(Chain chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        int n = 0;
        foreach (var c in chain.Table.Chains)
        {
            foreach (var r in c.Rules)
            {
                if (r.Target.Kind is TargetKind.Jump or TargetKind.Goto && r.Target.Name == chain.Name)
                    n++;
            }
        }
        return n;
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// libxtables xtables_print_num: with -x (or in a chain header, <paramref name="table"/> false) the exact
    /// count; else up to 99999 as it is, then divided by 1000 with rounding ((n + 500) / 1000) while above 9999,
    /// suffixed K, M, G, T. In the table columns the number is right-aligned (%5 / %4 plus the suffix, %8 exact).
    /// </summary>
    public static void FormatNumber(StringBuilder sb, ulong number, bool kiloMegaGiga, bool table)
    {
        ArgumentNullException.ThrowIfNull(sb);
        if (!kiloMegaGiga)
        {
            Pad(sb, number.ToString(CultureInfo.InvariantCulture), table ? 8 : 0).Append(' ');
            return;
        }
        if (number <= 99999)
        {
            Pad(sb, number.ToString(CultureInfo.InvariantCulture), table ? 5 : 0).Append(' ');
            return;
        }
        foreach (char suffix in "KMG")
        {
            number = (number + 500) / 1000;
            if (number <= 9999)
            {
                Pad(sb, number.ToString(CultureInfo.InvariantCulture), table ? 4 : 0).Append(suffix).Append(' ');
                return;
            }
        }
        number = (number + 500) / 1000;
        Pad(sb, number.ToString(CultureInfo.InvariantCulture), table ? 4 : 0).Append('T').Append(' ');
    }

    /// <summary>The number as the table columns print it in a table column, without the trailing space.</summary>
    public static string FormatNumber(ulong number, bool kiloMegaGiga)
    {
        var sb = new StringBuilder();
        FormatNumber(sb, number, kiloMegaGiga, table: true);
        return sb.ToString(0, sb.Length - 1);
    }

    private static StringBuilder Pad(StringBuilder sb, string text, int width)
        => sb.Append(' ', Math.Max(0, width - text.Length)).Append(text);

    private static StringBuilder PadRight(StringBuilder sb, string text, int width)
        => sb.Append(text).Append(' ', Math.Max(0, width - text.Length));

    private static void ListChain(StringBuilder sb, Chain chain, IptablesListOptions o)
    {
        bool kmg = !o.Exact;
        sb.Append("Chain ").Append(chain.Name);
        if (chain.IsBuiltin)
        {
            sb.Append(" (policy ").Append(PolicyName(chain.Policy));
            if (o.Verbose)
            {
                sb.Append(' ');
                FormatNumber(sb, (ulong)chain.PolicyPackets, kmg, table: false);
                sb.Append("packets, ");
                FormatNumber(sb, (ulong)chain.PolicyBytes, kmg, table: false);
                sb.Append("bytes");
            }
            sb.Append(")\n");
        }
        else
        {
            sb.Append(" (").Append(References(chain).ToString(CultureInfo.InvariantCulture)).Append(" references)\n");
        }
        // print_header
        if (o.LineNumbers)
            PadRight(sb, "num", 4).Append(' ');
        if (o.Verbose)
        {
            Pad(sb, "pkts", kmg ? 5 : 8).Append(' ');
            Pad(sb, "bytes", kmg ? 5 : 10).Append(' ');
        }
        PadRight(sb, "target", 9).Append(' ');
        sb.Append(" prot opt");
        if (o.Verbose)
        {
            sb.Append(' ');
            PadRight(sb, "in", 6).Append(' ');
            PadRight(sb, "out", 6).Append(' ');
        }
        sb.Append(' ');
        PadRight(sb, "source", 19).Append(' ');
        sb.Append(' ');
        PadRight(sb, "destination", 19).Append(' ');
        sb.Append('\n');
        foreach (var rule in chain.Rules)
            ListRule(sb, rule, o);
    }

    private static void ListRule(StringBuilder sb, Rule rule, IptablesListOptions o)
    {
        bool kmg = !o.Exact;
        if (o.LineNumbers)
            PadRight(sb, rule.Number.ToString(CultureInfo.InvariantCulture), 4).Append(' ');
        if (o.Verbose)
        {
            FormatNumber(sb, (ulong)rule.Packets, kmg, table: true);
            FormatNumber(sb, (ulong)rule.Bytes, kmg, table: true);
        }
        var target = rule.Target;
        PadRight(sb, target.Kind == TargetKind.None ? string.Empty : target.Name, 9).Append(' ');
        sb.Append(rule.ProtocolInvert ? '!' : ' ');
        string proto = !o.Numeric && XtablesPrinter.ProtocolName(rule.Protocol) is { } name
            ? name : rule.Protocol.ToString(CultureInfo.InvariantCulture);
        PadRight(sb, proto, 4).Append(' ');
        // print_fragment
        sb.Append(rule.Fragment == 2 ? '!' : '-').Append(rule.Fragment != 0 ? 'f' : '-').Append(' ');
        if (o.Verbose)
        {
            string any = o.Numeric ? "*" : "any";
            sb.Append(' ');
            PadRight(sb, InterfaceColumn(rule.InInterface, any), 6).Append(' ');
            PadRight(sb, InterfaceColumn(rule.OutInterface, any), 6).Append(' ');
        }
        // print_ipv4_addresses
        sb.Append(rule.SourceInvert ? '!' : ' ');
        PadRight(sb, AddressColumn(rule.Source, rule.SourceMask, o.Numeric), 19).Append(' ');
        sb.Append(rule.DestinationInvert ? '!' : ' ');
        PadRight(sb, AddressColumn(rule.Destination, rule.DestinationMask, o.Numeric), 19).Append(' ');
        if (target.Kind == TargetKind.Goto)
            sb.Append("[goto] ");
        foreach (var m in rule.ListedMatches)
            XtablesPrinter.PrintMatch(sb, m, o.Numeric);
        XtablesPrinter.PrintTarget(sb, target, o.Numeric);
        sb.Append('\n');
    }

    /// <summary>The interface as iptables stores it: <c>eth+</c> for a prefix, empty for a lone <c>+</c>.</summary>
    private static string InterfaceText(InterfaceSpec spec)
    {
        string text = spec.Name + (spec.Wildcard ? "+" : "");
        return text == "+" && !spec.Invert ? string.Empty : text;
    }

    private static string InterfaceColumn(InterfaceSpec spec, string any)
    {
        string text = InterfaceText(spec);
        return (spec.Invert ? "!" : "") + (text.Length > 0 ? text : any);
    }

    private static string AddressColumn(uint address, uint mask, bool numeric)
        => mask == 0 && !numeric ? "anywhere" : new Ipv4Address(address).ToString() + XtablesPrinter.MaskSuffix(mask);

    /// <summary>
    /// The rule after <c>-A CHAIN</c> as iptables-save writes it (nft_ipv4_save_rule): -s, -d, -i, -o, -p, -f,
    /// the matches, then (for <c>iptables -S -v</c>) <c>-c PACKETS BYTES</c>, then the target.
    /// </summary>
    internal static void SaveRuleSpec(StringBuilder sb, Rule rule, bool inlineCounters)
    {
        SaveAddress(sb, 's', rule.Source, rule.SourceMask, rule.SourceInvert);
        SaveAddress(sb, 'd', rule.Destination, rule.DestinationMask, rule.DestinationInvert);
        SaveInterface(sb, 'i', rule.InInterface);
        SaveInterface(sb, 'o', rule.OutInterface);
        if (rule.Protocol != 0)
        {
            sb.Append(rule.ProtocolInvert ? " !" : "").Append(" -p ")
                .Append(XtablesPrinter.ProtocolName(rule.Protocol) ?? rule.Protocol.ToString(CultureInfo.InvariantCulture));
        }
        if (rule.Fragment != 0)
            sb.Append(rule.Fragment == 2 ? " !" : "").Append(" -f");
        foreach (var m in rule.ListedMatches)
            XtablesPrinter.SaveMatch(sb, m);
        if (inlineCounters)
            sb.Append(" -c ").Append(Num(rule.Packets)).Append(' ').Append(Num(rule.Bytes));
        XtablesPrinter.SaveTarget(sb, rule.Target);
    }

    private static void SaveAddress(StringBuilder sb, char letter, uint address, uint mask, bool invert)
    {
        if (mask == 0 && !invert && address == 0)
            return;
        int bits = XtablesPrinter.PrefixLength(mask);
        sb.Append(invert ? " !" : "").Append(" -").Append(letter).Append(' ').Append(new Ipv4Address(address).ToString()).Append('/')
            .Append(bits >= 0 ? bits.ToString(CultureInfo.InvariantCulture) : new Ipv4Address(mask).ToString());
    }

    private static void SaveInterface(StringBuilder sb, char letter, InterfaceSpec spec)
    {
        string text = InterfaceText(spec);
        if (text.Length > 0)
            sb.Append(spec.Invert ? " !" : "").Append(" -").Append(letter).Append(' ').Append(text);
    }
}
