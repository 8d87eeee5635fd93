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
// Lines are split on LF only, as iptables-restore's fgets does, and each line is read by the tool's rules:
// a line is a comment only when '#' is its first character, blank only when it is empty, `COMMIT` is the
// whole line, and words are split on space, tab and LF (RuleTokenizer). So a CRLF file is refused at its
// table line (`*filter\r` names no table), a UTF-8 byte-order mark before `*filter` is refused, and an
// indented `  COMMIT` is refused, exactly where iptables-restore refuses them.
//
// Invariants
// ----------
//  - Every error is an InputException at FILE:LINE:COL, COL the first character of the offending word;
//    a module or target we do not implement is an error ("unsupported match 'X'"), never ignored.
//  - What iptables-restore accepts we accept, except what we do not implement; what it refuses we refuse
//    (KernelVerdictTests runs the tool on a table of mutated lines and compares).
//  - Rule numbers are 1-based positions in the chain after COMMIT.
public static class IptablesSaveParser
{
    private static readonly HashSet<string> s_knownUnsupportedTargets =
    [
        "CONNMARK", "CT", "NOTRACK", "NFLOG", "NFQUEUE", "QUEUE", "TCPMSS", "TPROXY", "REDIRECT", "CLASSIFY",
        "DSCP", "TOS", "TTL", "HL", "HMARK", "CHECKSUM", "SECMARK", "CONNSECMARK", "AUDIT", "IDLETIMER", "LED",
        "NETMAP", "SET", "SYNPROXY", "TEE", "ULOG", "CLUSTERIP", "ECN", "RATEEST", "SNPT", "DNPT", "TCPOPTSTRIP",
    ];

    private static readonly string[] s_tables = ["raw", "mangle", "nat", "filter"];

    /// <summary>Reads the file byte for byte (a byte-order mark is kept, so it is refused as iptables-restore refuses it).</summary>
    public static RuleSet ParseFile(string path, RuleSet? into = null)
    {
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false), detectEncodingFromByteOrderMarks: false);
        return Parse(reader, path, into);
    }

    public static RuleSet ParseText(string text, string file = "<input>", RuleSet? into = null)
        => Parse(new StringReader(text), file, into);

    /// <exception cref="InputException">A line iptables-restore would refuse, or one using what we do not implement.</exception>
    public static RuleSet Parse(TextReader reader, string file = "<input>", RuleSet? into = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rules = into ?? new RuleSet();
        var words = new List<string>();
        var columns = new List<int>();
        NetfilterTable? table = null;
        int tableLine = 0;
        var pending = new List<(Rule Rule, string? JumpName)>();
        int lineNumber = 0;
        foreach (string line in RuleTokenizer.Lines(reader))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line[0] == '\uFEFF')
                throw new InputException(file, lineNumber, 1, "the line starts with a UTF-8 byte-order mark, which iptables-restore refuses",
                    "save the file without a BOM (UTF-8 without signature)");
            if (line[0] == '*')
            {
                if (table is not null)
                    throw new InputException(file, lineNumber, 1, $"table '{table.Name}' (line {tableLine}) has no COMMIT before '{Shorten(line)}'");
                string name = FirstWord(line, 1, out int nameColumn);
                if (name.Length == 0)
                    throw new InputException(file, lineNumber, 2, "table name missing after '*'");
                if (Array.IndexOf(s_tables, name) < 0)
                {
                    throw name == "security"
                        ? new InputException(file, lineNumber, nameColumn, "unsupported table 'security' (raw, mangle, nat and filter are implemented)")
                        : new InputException(file, lineNumber, nameColumn, $"table name '{Visible(name)}' invalid", TableHint(name));
                }
                table = new NetfilterTable(name);
                tableLine = lineNumber;
                pending.Clear();
                continue;
            }
            if (table is null)
                throw new InputException(file, lineNumber, 1, $"'{Shorten(line)}' outside a table (expected '*raw', '*mangle', '*nat' or '*filter')");
            if (line == "COMMIT")
            {
                Commit(table, pending, file);
                rules.ReplaceTable(table);
                table = null;
                continue;
            }
            if (line[0] == ':')
            {
                DeclareChain(table, line, file, lineNumber);
                continue;
            }
            ParseRuleLine(rules, table, words, columns, line, file, lineNumber, pending);
        }
        if (table is not null)
            throw new InputException(file, lineNumber + 1, 0, $"COMMIT expected: table '{table.Name}' (line {tableLine}) ends without COMMIT");
        return rules;
    }

    private static string Shorten(string s) => Visible(s.Length > 40 ? s[..40] + "..." : s);

    /// <summary>The text with a carriage return shown as \r (it would otherwise end the message's line).</summary>
    private static string Visible(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal);

    private static string? TableHint(string name)
        => name.EndsWith('\r') ? "the line ends with CR: iptables-restore reads LF line ends only (convert the file from CRLF)"
            : DidYouMean.Closest(name, s_tables) is { } t ? $"did you mean '{t}'?" : "the tables are raw, mangle, nat and filter";

    /// <summary>The first word after <paramref name="from"/> split on space, tab and LF (strtok in iptables-restore).</summary>
    private static string FirstWord(string line, int from, out int column)
    {
        int i = from;
        while (i < line.Length && line[i] is ' ' or '\t')
            i++;
        int start = i;
        while (i < line.Length && line[i] is not (' ' or '\t'))
            i++;
        column = start + 1;
        return line[start..i];
    }

    private static void DeclareChain(NetfilterTable table, string text, string file, int line)
    {
        // iptables-restore: name, policy and counters by strtok; anything after the counters is ignored.
        string name = FirstWord(text, 1, out int nameColumn);
        string policyText = FirstWord(text, nameColumn - 1 + name.Length, out int policyColumn);
        string counters = FirstWord(text, policyColumn - 1 + policyText.Length, out int countersColumn);
        if (name.Length == 0)
            throw new InputException(file, line, 2, "chain name missing after ':'");
        if (name.StartsWith('-'))
            throw new InputException(file, line, nameColumn, $"chain name '{name}' is not allowed to start with '-'");
        if (name.Length > 28)
            throw new InputException(file, line, nameColumn + 28, $"chain name '{name}' is too long (must be under 29 characters)");
        if (policyText.Length == 0)
            throw new InputException(file, line, nameColumn + name.Length, $"chain '{name}' has no policy", "write ':NAME ACCEPT|DROP [0:0]' for a built-in chain, ':NAME - [0:0]' for a user chain");
        long packets = 0, bytes = 0;
        if (counters.Length > 0 && !TryParsePolicyCounters(counters, out packets, out bytes))
            throw new InputException(file, line, countersColumn, $"invalid policy counters '{Visible(counters)}' for chain '{name}'", "write them as [packets:bytes]");
        bool builtin = table.TryGetChain(name, out var existing) && existing.IsBuiltin;
        if (builtin)
        {
            var policy = policyText switch
            {
                "ACCEPT" => NetfilterVerdict.Accept,
                "DROP" => NetfilterVerdict.Drop,
                _ => throw new InputException(file, line, policyColumn, $"built-in chain '{name}' needs policy ACCEPT or DROP, not '{Visible(policyText)}'"),
            };
            existing!.Policy = policy;
            existing.SetPolicyCounters(packets, bytes);
            return;
        }
        if (IsTargetName(name))
            throw new InputException(file, line, nameColumn, $"chain name '{name}' clashes with the target of that name");
        if (policyText != "-")
            throw new InputException(file, line, policyColumn, $"user chain '{name}' cannot have a policy ('{Visible(policyText)}'; write '-')");
        if (existing is not null)
            throw new InputException(file, line, nameColumn, $"chain '{name}' is declared twice");
        table.AddChain(name, builtin: false, NetfilterVerdict.Accept);
    }

    private static bool IsTargetName(string name)
        => name is "ACCEPT" or "DROP" or "RETURN" or "QUEUE" or "REJECT" or "MARK" or "DNAT" or "SNAT" or "MASQUERADE" or "TRACE" or "LOG"
            || s_knownUnsupportedTargets.Contains(name);

    /// <summary><c>[packets:bytes]</c> as sscanf("[%llu:%llu]") reads it: trailing characters are ignored.</summary>
    private static bool TryParsePolicyCounters(string text, out long packets, out long bytes)
    {
        packets = bytes = 0;
        int close = text.IndexOf(']', StringComparison.Ordinal);
        return close > 0 && TryParseCounterPair(text[1..close], out packets, out bytes) && text[0] == '[';
    }

    private static bool TryParseCounterPair(string text, out long packets, out long bytes)
    {
        packets = bytes = 0;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0
            && long.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out packets)
            && long.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bytes);
    }

    private static void ParseRuleLine(RuleSet rules, NetfilterTable table, List<string> words, List<int> columns, string text, string file, int line,
        List<(Rule, string?)> pending)
    {
        long packets = 0, bytes = 0;
        bool counters = false;
        int specFrom = 0;
        if (text[0] == '[')
        {
            // iptables-restore -c: "[packets:bytes]" at the very start of the line, the rule right after ']'.
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
                throw new InputException(file, line, 1, "a counter pair needs ']'", "write [packets:bytes] before the rule");
            if (!TryParseCounterPair(text[1..close], out packets, out bytes))
                throw new InputException(file, line, 2, $"'{Visible(text[..(close + 1)])}' is not a counter pair [packets:bytes]");
            counters = true;
            specFrom = close + 1;
        }
        RuleTokenizer.TokenizeIptables(text[specFrom..], words, columns);
        for (int c = 0; c < columns.Count; c++)
            columns[c] += specFrom;
        if (words.Count == 0)
            throw new InputException(file, line, counters ? specFrom + 1 : 1, "no command specified", "a rule line is '-A CHAIN rule-spec'");
        int i = 0;
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
            case "-D" or "--delete" or "-R" or "--replace" or "-N" or "--new-chain" or "-X" or "--delete-chain" or "-F" or "--flush"
                or "-Z" or "--zero" or "-P" or "--policy" or "-E" or "--rename-chain":
                throw new InputException(file, line, columns[0], $"unsupported command '{command}' (iptables-save files hold -A and -I rules)");
            default:
                throw new InputException(file, line, columns[0], $"bad argument '{Visible(command)}'", "a rule line is '-A CHAIN rule-spec'");
        }
        if (i >= words.Count)
            throw new InputException(file, line, columns[0], $"option '{command}' requires an argument (the chain)");
        string chainName = words[i];
        int chainColumn = columns[i++];
        if (!table.TryGetChain(chainName, out var chain))
        {
            string? near = DidYouMean.Closest(chainName, table.Chains.Select(c => c.Name));
            throw new InputException(file, line, chainColumn, $"chain '{Visible(chainName)}' does not exist in table '{table.Name}'",
                near is null ? $"declare it with ':{chainName} - [0:0]' after '*{table.Name}'" : $"did you mean '{near}'?");
        }
        int insertAt = 1;
        if (insert && i < words.Count && int.TryParse(words[i], NumberStyles.None, CultureInfo.InvariantCulture, out insertAt))
        {
            if (insertAt < 1)
                throw new InputException(file, line, columns[i], $"invalid rule number '{words[i]}'", "rule numbers start at 1");
            if (insertAt > chain!.PendingRules.Count + 1)
                throw new InputException(file, line, columns[i], $"index {insertAt} is out of range for chain '{chainName}' (it has {chain.PendingRules.Count} rules)");
            i++;
        }
        int specStart = chainColumn - 1 + chainName.Length;
        var rule = new Rule(chain!, file, line, text[Math.Min(specStart, text.Length)..].Trim(' ', '\t'));
        var parser = new RuleSpecParser(rules, table, rule, words, columns, i, file, line);
        string? jump = parser.Parse();
        if (counters)
            rule.SetCounters(packets, bytes);
        if (insert)
            chain!.PendingRules.Insert(insertAt - 1, rule);
        else
            chain!.PendingRules.Add(rule);
        pending.Add((rule, jump));
    }

    private static void Commit(NetfilterTable table, List<(Rule Rule, string? JumpName)> pending, string file)
    {
        foreach (var (rule, jump) in pending)
        {
            if (jump is null)
                continue;
            if (!table.TryGetChain(jump, out var target))
            {
                string? near = DidYouMean.Closest(jump, table.Chains.Where(c => !c.IsBuiltin).Select(c => c.Name)
                    .Concat(["ACCEPT", "DROP", "RETURN", "REJECT", "MARK", "DNAT", "SNAT", "MASQUERADE", "TRACE", "LOG"]));
                throw new InputException(file, rule.Line, rule.TargetColumn, $"chain '{Visible(jump)}' does not exist in table '{table.Name}'",
                    near is null ? null : $"did you mean '{near}'?");
            }
            if (target.IsBuiltin)
                throw new InputException(file, rule.Line, rule.TargetColumn, $"cannot jump to built-in chain '{jump}'");
            rule.Target.Chain = target;
        }
        // nf_tables handles, as iptables-nft-restore's batch creates the objects: the chains in declaration order, then
        // the rules in the order of their lines (xtables-monitor --trace prints rule:0xHANDLE).
        ulong handle = 0;
        foreach (var chain in table.Chains)
            chain.Handle = ++handle;
        foreach (var (rule, _) in pending)
            rule.Handle = ++handle;
        table.LastHandle = handle;
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
                        throw new InputException(file, r.Line, r.TargetColumn, $"jump to '{next.Name}' makes a loop");
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
            throw new InputException(file, r.Line, r.TargetColumn,
                $"target '{r.Target.Name}' is not valid in a chain reached from {NetfilterTable.HookChainName(hook)}");
        }
    }

    internal static bool IsKnownUnsupportedTarget(string name) => s_knownUnsupportedTargets.Contains(name);
}
