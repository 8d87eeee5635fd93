using System.Globalization;
using Datapath.Netfilter.IpSets;
using Datapath.Netfilter.Matches;
using Datapath.Packets;

namespace Datapath.Netfilter;

// iptables-save reader
// ====================
//
// What?
// -----
// Loads what `iptables-save` prints (and `iptables-restore` reads): `*table`, `:CHAIN POLICY [pkts:bytes]`,
// `[pkts:bytes] -A CHAIN rule-spec`, `-I CHAIN [n] rule-spec`, `COMMIT`, `#` comments, for the raw, mangle,
// nat and filter tables.
//
// Design
// ------
// One line at a time: words (RuleTokenizer), then the rule header options (-s -d -p -i -o -f -c), match
// modules (-m NAME and the --options after it) and the target (-j/-g NAME and its options). An option
// after -m belongs to the newest module that knows it; a protocol option without -m (`-p tcp --dport 80`)
// loads the protocol's module implicitly, as iptables does. A table becomes visible only at its COMMIT,
// where jumps are resolved, loops rejected (ELOOP in the kernel) and targets checked against the hooks that
// reach them (DNAT only from PREROUTING/OUTPUT, ...): what the kernel would refuse, we refuse.
//
// Invariants
// ----------
//  - Every error names FILE:LINE; a module or target we do not implement is an error
//    (`unsupported match 'X' at FILE:LINE`), never ignored.
//  - Rule numbers are 1-based positions in the chain after COMMIT.
public static class IptablesSaveParser
{
    private static readonly HashSet<string> s_knownUnsupportedTargets =
    [
        "CONNMARK", "CT", "NOTRACK", "NFLOG", "NFQUEUE", "QUEUE", "TCPMSS", "TPROXY", "REDIRECT", "CLASSIFY",
        "DSCP", "TOS", "TTL", "HL", "HMARK", "CHECKSUM", "SECMARK", "CONNSECMARK", "AUDIT", "IDLETIMER", "LED",
        "NETMAP", "SET", "SYNPROXY", "TEE", "ULOG", "CLUSTERIP", "ECN", "RATEEST", "SNPT", "DNPT", "TCPOPTSTRIP",
    ];

    public static RuleSet ParseFile(string path, RuleSet? into = null)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path, into);
    }

    public static RuleSet ParseText(string text, string file = "<input>", RuleSet? into = null)
        => Parse(new StringReader(text), file, into);

    public static RuleSet Parse(TextReader reader, string file = "<input>", RuleSet? into = null)
    {
        var rules = into ?? new RuleSet();
        var words = new List<string>();
        NetfilterTable? table = null;
        int tableLine = 0;
        var pending = new List<(Rule Rule, string? JumpName)>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#')
                continue;
            if (trimmed[0] == '*')
            {
                if (table is not null)
                    throw NetfilterSyntaxException.At(file, lineNumber, $"table '{table.Name}' (line {tableLine}) has no COMMIT before '{trimmed}'");
                string name = trimmed[1..];
                if (name is not ("raw" or "mangle" or "nat" or "filter"))
                    throw NetfilterSyntaxException.At(file, lineNumber, $"unsupported table '{name}' (raw, mangle, nat and filter are implemented)");
                table = new NetfilterTable(name);
                tableLine = lineNumber;
                pending.Clear();
                continue;
            }
            if (table is null)
                throw NetfilterSyntaxException.At(file, lineNumber, $"'{Shorten(trimmed)}' outside a table (expected '*raw', '*mangle', '*nat' or '*filter')");
            if (trimmed == "COMMIT")
            {
                Commit(table, pending, file);
                rules.ReplaceTable(table);
                table = null;
                continue;
            }
            if (trimmed[0] == ':')
            {
                DeclareChain(table, trimmed, file, lineNumber);
                continue;
            }
            if (!RuleTokenizer.TryTokenize(trimmed, words, out var tokError))
                throw NetfilterSyntaxException.At(file, lineNumber, tokError!);
            ParseRuleLine(rules, table, words, trimmed, file, lineNumber, pending);
        }
        if (table is not null)
            throw NetfilterSyntaxException.At(file, lineNumber, $"table '{table.Name}' (line {tableLine}) ends without COMMIT");
        return rules;
    }

    private static string Shorten(string s) => s.Length > 40 ? s[..40] + "..." : s;

    private static void DeclareChain(NetfilterTable table, string text, string file, int line)
    {
        var parts = text[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3)
            throw NetfilterSyntaxException.At(file, line, "chain declaration must be ':NAME POLICY [packets:bytes]'");
        string name = parts[0];
        if (name.Length > 28)
            throw NetfilterSyntaxException.At(file, line, $"chain name '{name}' is longer than 28 characters");
        long packets = 0, bytes = 0;
        if (parts.Length == 3 && !TryParseCounters(parts[2], out packets, out bytes))
            throw NetfilterSyntaxException.At(file, line, $"'{parts[2]}' is not a counter pair [packets:bytes]");
        bool builtin = table.TryGetChain(name, out var existing) && existing.IsBuiltin;
        if (builtin)
        {
            var policy = parts[1] switch
            {
                "ACCEPT" => NetfilterVerdict.Accept,
                "DROP" => NetfilterVerdict.Drop,
                _ => throw NetfilterSyntaxException.At(file, line, $"built-in chain '{name}' needs policy ACCEPT or DROP, not '{parts[1]}'"),
            };
            existing.Policy = policy;
            existing.SetPolicyCounters(packets, bytes);
            return;
        }
        if (parts[1] != "-")
            throw NetfilterSyntaxException.At(file, line, $"user chain '{name}' cannot have a policy ('{parts[1]}'; write '-')");
        if (existing is not null)
            throw NetfilterSyntaxException.At(file, line, $"chain '{name}' is declared twice");
        if (name.StartsWith('-') || name is "ACCEPT" or "DROP" or "RETURN" or "QUEUE")
            throw NetfilterSyntaxException.At(file, line, $"'{name}' is not a valid chain name");
        table.AddChain(name, builtin: false, NetfilterVerdict.Accept);
    }

    private static bool TryParseCounters(string text, out long packets, out long bytes)
    {
        packets = bytes = 0;
        if (text.Length < 5 || text[0] != '[' || text[^1] != ']')
            return false;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && long.TryParse(text.AsSpan(1, colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out packets)
            && long.TryParse(text.AsSpan(colon + 1, text.Length - colon - 2), NumberStyles.None, CultureInfo.InvariantCulture, out bytes);
    }

    private static void ParseRuleLine(RuleSet rules, NetfilterTable table, List<string> words, string text, string file, int line,
        List<(Rule, string?)> pending)
    {
        int i = 0;
        long packets = 0, bytes = 0;
        bool counters = false;
        if (words[0].StartsWith('['))
        {
            if (!TryParseCounters(words[0], out packets, out bytes))
                throw NetfilterSyntaxException.At(file, line, $"'{words[0]}' is not a counter pair [packets:bytes]");
            counters = true;
            i++;
        }
        if (i >= words.Count)
            throw NetfilterSyntaxException.At(file, line, "a counter pair must be followed by a rule");
        string command = words[i++];
        bool insert;
        switch (command)
        {
            case "-A":
            case "--append":
                insert = false;
                break;
            case "-I":
            case "--insert":
                insert = true;
                break;
            default:
                throw NetfilterSyntaxException.At(file, line, $"unknown command '{command}' (iptables-save files hold -A rules)");
        }
        if (i >= words.Count)
            throw NetfilterSyntaxException.At(file, line, $"'{command}' needs a chain name");
        string chainName = words[i++];
        if (!table.TryGetChain(chainName, out var chain))
            throw NetfilterSyntaxException.At(file, line, $"chain '{chainName}' does not exist in table '{table.Name}'");
        int insertAt = 1;
        if (insert && i < words.Count && int.TryParse(words[i], NumberStyles.None, CultureInfo.InvariantCulture, out insertAt))
        {
            i++;
            if (insertAt < 1 || insertAt > chain.PendingRules.Count + 1)
                throw NetfilterSyntaxException.At(file, line, $"index {insertAt} is out of range for chain '{chainName}'");
        }
        int specStart = text.IndexOf(chainName, text.IndexOf(command, StringComparison.Ordinal) + command.Length, StringComparison.Ordinal) + chainName.Length;
        var rule = new Rule(chain, file, line, text[specStart..].Trim());
        var parser = new RuleSpecParser(rules, table, rule, words, i, file, line);
        string? jump = parser.Parse();
        if (counters)
            rule.SetCounters(packets, bytes);
        if (insert)
            chain.PendingRules.Insert(insertAt - 1, rule);
        else
            chain.PendingRules.Add(rule);
        pending.Add((rule, jump));
    }

    private static void Commit(NetfilterTable table, List<(Rule Rule, string? JumpName)> pending, string file)
    {
        foreach (var (rule, jump) in pending)
        {
            if (jump is null)
                continue;
            if (!table.TryGetChain(jump, out var target))
                throw NetfilterSyntaxException.At(file, rule.Line, $"chain '{jump}' does not exist in table '{table.Name}'");
            if (target.IsBuiltin)
                throw NetfilterSyntaxException.At(file, rule.Line, $"cannot jump to built-in chain '{jump}'");
            rule.Target.Chain = target;
        }
        foreach (var chain in table.Chains)
        {
            chain.RuleArray = [.. chain.PendingRules];
            for (int n = 0; n < chain.RuleArray.Length; n++)
                chain.RuleArray[n].Number = n + 1;
        }
        CheckLoopsAndHooks(table, file);
        ChainCompiler.CompileTable(table);
    }

    private static void CheckLoopsAndHooks(NetfilterTable table, string file)
    {
        // state: 0 unvisited, 1 on stack, 2 done
        var state = new Dictionary<Chain, int>();
        var hooks = new Dictionary<Chain, int>();
        foreach (var c in table.Chains)
        {
            if (c.IsBuiltin)
            {
                int bit = 1 << (int)HookOf(c.Name);
                Visit(c, bit);
            }
        }
        foreach (var c in table.Chains)
        {
            if (!state.ContainsKey(c))
                Visit(c, 0);
        }

        void Visit(Chain c, int hookBit)
        {
            int before = hooks.GetValueOrDefault(c);
            int s = state.GetValueOrDefault(c);
            if (s == 2 && (before | hookBit) == before)
                return;
            hooks[c] = before | hookBit;
            if (s == 1)
                return;
            state[c] = 1;
            foreach (var r in c.RuleArray)
            {
                CheckHooks(r, hooks[c], file);
                if (r.Target.Chain is { } next)
                {
                    if (state.GetValueOrDefault(next) == 1)
                        throw NetfilterSyntaxException.At(file, r.Line, $"jump to '{next.Name}' makes a loop");
                    Visit(next, hooks[c]);
                }
            }
            state[c] = 2;
        }
    }

    private static NetfilterHook HookOf(string builtinChain) => builtinChain switch
    {
        "PREROUTING" => NetfilterHook.Prerouting,
        "INPUT" => NetfilterHook.Input,
        "FORWARD" => NetfilterHook.Forward,
        "OUTPUT" => NetfilterHook.Output,
        _ => NetfilterHook.Postrouting,
    };

    private static void CheckHooks(Rule r, int hookBits, string file)
    {
        const int Pre = 1 << (int)NetfilterHook.Prerouting, In = 1 << (int)NetfilterHook.Input,
            Fwd = 1 << (int)NetfilterHook.Forward, Out = 1 << (int)NetfilterHook.Output, Post = 1 << (int)NetfilterHook.Postrouting;
        int allowed = r.Target.Kind switch
        {
            TargetKind.Dnat => Pre | Out,
            TargetKind.Snat => Post | In,
            TargetKind.Masquerade => Post,
            TargetKind.Reject => In | Fwd | Out,
            _ => Pre | In | Fwd | Out | Post,
        };
        int bad = hookBits & ~allowed;
        if (bad != 0)
        {
            var hook = (NetfilterHook)System.Numerics.BitOperations.TrailingZeroCount(bad);
            throw NetfilterSyntaxException.At(file, r.Line,
                $"target '{r.Target.Name}' is not valid in a chain reached from {NetfilterTable.HookChainName(hook)}");
        }
    }

    internal static bool IsKnownUnsupportedTarget(string name) => s_knownUnsupportedTargets.Contains(name);
}
