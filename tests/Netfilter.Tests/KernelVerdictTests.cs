using System.Text;
using System.Text.RegularExpressions;
using Datapath.Netfilter.IpSets;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>What the real tool does with a mutated line, as the table below records it.</summary>
public enum ToolVerdict
{
    /// <summary>The tool loads it, and so do we.</summary>
    Accepted,

    /// <summary>The tool refuses it, and so do we, at the tool's line.</summary>
    Refused,

    /// <summary>The tool loads it; we refuse it as unsupported (a feature we do not implement), never silently.</summary>
    Unsupported,
}

/// <summary>
/// The real tools are the judges. Each row mutates one line of a seed file (worker1.iptables, ipsets.save
/// of src/Antrea/Scenario; line 0 = the whole file) and feeds the result both to our parser and to the
/// tool in a private network namespace (<c>unshare -n</c>, so the host's tables and sets are never
/// touched, and the namespace's sets die with it): <c>ipset restore</c> of the seed sets then
/// <c>iptables-restore --counters</c> (a real commit, which also makes the checks --test skips, such as a
/// jump to a chain that does not exist; --counters because we load counters too), or <c>ipset restore</c>
/// of the mutated sets. The verdicts must agree with each other and with the table, and our refusal
/// must be an InputException on the tool's line whenever the tool names one (iptables-restore's
/// nf_tables variant names the COMMIT line for a missing jump target; iptables-legacy-restore, when
/// present, names the rule's line, which is the one we give).
/// </summary>
public sealed class KernelVerdictTests
{
    private const string Iptables = "worker1.iptables";
    private const string Ipsets = "ipsets.save";

    public static readonly TheoryData<string, int, string, string, ToolVerdict> IptablesMutations = new()
    {
        // statistic (line 90: kube-proxy's 50% endpoint pick)
        { Iptables, 90, "--probability", "--probabilty", ToolVerdict.Refused },
        { Iptables, 90, "0.50000000000", "1.5", ToolVerdict.Refused },
        { Iptables, 90, "0.50000000000", "0", ToolVerdict.Accepted },
        { Iptables, 90, "--mode random", "--mode nth", ToolVerdict.Refused },
        { Iptables, 90, "--mode random --probability 0.50000000000", "--mode nth --every 2 --packet 0", ToolVerdict.Accepted },
        { Iptables, 90, "--mode random --probability 0.50000000000", "--mode nth --every 2 --packet 2", ToolVerdict.Refused },
        // addresses (line 73: a KUBE-SERVICES masquerade rule)
        { Iptables, 73, "10.96.0.10/32", "fd00::10/128", ToolVerdict.Refused },
        { Iptables, 73, "10.96.0.10/32", "fe80::1", ToolVerdict.Refused },
        { Iptables, 73, "10.222.0.0/16", "10.222.0.0/33", ToolVerdict.Refused },
        { Iptables, 73, "10.96.0.10/32", "10.96.0.10/255.255.255.255", ToolVerdict.Accepted },
        { Iptables, 73, "10.96.0.10/32", "10.96.0.300/32", ToolVerdict.Refused },
        { Iptables, 73, "10.96.0.10/32", "\"\"", ToolVerdict.Refused },
        { Iptables, 73, "10.222.0.0/16", "10.222.0.0/16 -s 10.0.0.0/8", ToolVerdict.Refused },
        { Iptables, 38, "! -d 127.0.0.0/8", "-d 127.0.0.0/8,10.0.0.0/8", ToolVerdict.Unsupported },
        // ports, protocols, matches (line 46: a NodePort rule)
        { Iptables, 46, "--dport 31067", "--dport 65536", ToolVerdict.Refused },
        { Iptables, 46, "--dport 31067", "--dport 30000:32767", ToolVerdict.Accepted },
        { Iptables, 46, "--dport 31067", "--dport 32767:30000", ToolVerdict.Refused },
        { Iptables, 46, "--dport 31067", "--dport https", ToolVerdict.Accepted },
        { Iptables, 46, "--dport 31067", "--dport \"\"", ToolVerdict.Refused },
        { Iptables, 46, "--dport 31067", "--dprot 31067", ToolVerdict.Refused },
        { Iptables, 46, "-p tcp", "-p tpc", ToolVerdict.Refused },
        { Iptables, 46, "-p tcp", "-p TCP", ToolVerdict.Accepted },
        { Iptables, 46, "-m tcp", "-m tcpp", ToolVerdict.Refused },
        { Iptables, 46, "-p tcp ", "", ToolVerdict.Refused },
        { Iptables, 46, "-m tcp --dport 31067", "-m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", ToolVerdict.Refused },
        { Iptables, 46, "-m tcp --dport 31067", "-m multiport --dports 30000:32767,80", ToolVerdict.Accepted },
        // commands, chains, targets, words
        { Iptables, 46, "-j KUBE-MARK-MASQ", "-j KUBE-MARK-MASK", ToolVerdict.Refused },
        { Iptables, 46, "-A KUBE-NODEPORTS", "-A KUBE-NODEPORT", ToolVerdict.Refused },
        { Iptables, 46, "-A KUBE-NODEPORTS", "-I KUBE-NODEPORTS 1", ToolVerdict.Accepted },
        { Iptables, 46, "-A KUBE-NODEPORTS", "-I KUBE-NODEPORTS 5", ToolVerdict.Refused },
        { Iptables, 46, "-A KUBE-NODEPORTS", "[3:180] -A KUBE-NODEPORTS", ToolVerdict.Accepted },
        { Iptables, 46, "-A KUBE-NODEPORTS", "[3:x] -A KUBE-NODEPORTS", ToolVerdict.Refused },
        { Iptables, 46, "-A KUBE-NODEPORTS", "-a KUBE-NODEPORTS", ToolVerdict.Refused },
        { Iptables, 46, "\"kube-system/antrea-octant:\"", "\"kube-system/antrea-octant:", ToolVerdict.Accepted },
        { Iptables, 46, "-j KUBE-MARK-MASQ", "-j KUBE-MARK-MASQ extra", ToolVerdict.Refused },
        { Iptables, 46, "-j KUBE-MARK-MASQ", "-j KUBE-MARK-MASQ # mark it", ToolVerdict.Refused },
        { Iptables, 46, "-A KUBE-NODEPORTS -p tcp", "-A  KUBE-NODEPORTS\t-p tcp", ToolVerdict.Accepted },
        // interfaces (line 40: docker's masquerade)
        { Iptables, 40, "! -o docker0", "! -o \"\"", ToolVerdict.Refused },
        { Iptables, 40, "docker0", "docker0123456789", ToolVerdict.Refused },
        { Iptables, 40, "docker0", "docker+", ToolVerdict.Accepted },
        { Iptables, 40, "! -o", "! ! -o", ToolVerdict.Refused },
        { Iptables, 40, "-o docker0", "-i docker0", ToolVerdict.Refused },
        { Iptables, 43, "-i docker0", "-m physdev --physdev-in docker0", ToolVerdict.Unsupported },
        // NAT and MARK targets
        { Iptables, 40, "-j MASQUERADE", "-j MASQUERADE --to-ports 1000-2000", ToolVerdict.Refused },
        { Iptables, 52, "10.222.1.2:53", "10.222.1.2:53-52", ToolVerdict.Refused },
        { Iptables, 52, "10.222.1.2:53", "10.222.1.2-10.222.1.9:53", ToolVerdict.Accepted },
        { Iptables, 52, "10.222.1.2:53", "[fd00::2]:53", ToolVerdict.Refused },
        { Iptables, 52, "--to-destination", "--to-destinaton", ToolVerdict.Refused },
        { Iptables, 43, "-j RETURN", "-j REJECT", ToolVerdict.Refused },
        { Iptables, 44, "0x8000/0x8000", "0x1ffff/0x8000", ToolVerdict.Accepted },
        { Iptables, 44, "0x8000/0x8000", "0x100000000", ToolVerdict.Refused },
        { Iptables, 44, " --set-xmark 0x8000/0x8000", "", ToolVerdict.Refused },
        // filter table: conntrack, mark, chains, policies
        { Iptables, 106, "INVALID", "INVALID,NEW", ToolVerdict.Accepted },
        { Iptables, 106, "INVALID", "INVALD", ToolVerdict.Refused },
        { Iptables, 106, "INVALID", "\"\"", ToolVerdict.Refused },
        { Iptables, 107, "0x4000/0x4000", "0x4000/0xfoo", ToolVerdict.Refused },
        { Iptables, 107, "-m mark --mark", "! -m mark --mark", ToolVerdict.Refused },
        { Iptables, 105, "-j KUBE-FORWARD", "-j KUBE-FORWARD -j DROP", ToolVerdict.Refused },
        { Iptables, 105, "-A FORWARD -m comment", "-A FORWARD -p udp -j REJECT --reject-with tcp-reset\n-A FORWARD -m comment", ToolVerdict.Refused },
        { Iptables, 101, ":INPUT ACCEPT", ":INPUT MAYBE", ToolVerdict.Refused },
        { Iptables, 101, "[0:0]", "[x:0]", ToolVerdict.Refused },
        { Iptables, 101, "[0:0]", "[5:300] after the counters", ToolVerdict.Accepted },
        { Iptables, 104, ":KUBE-FORWARD", ":KUBE-FORWARD-AND-A-NAME-TOO-LONG", ToolVerdict.Refused },
        { Iptables, 104, ":KUBE-FORWARD", ":-KUBE-FORWARD", ToolVerdict.Refused },
        // table and COMMIT lines, whole-file edits
        { Iptables, 3, "*nat", "*natt", ToolVerdict.Refused },
        { Iptables, 3, "*nat", "*nat ", ToolVerdict.Accepted },
        { Iptables, 3, "*nat", "  *nat", ToolVerdict.Refused },
        { Iptables, 99, "COMMIT", "COMMIT ", ToolVerdict.Refused },
        { Iptables, 99, "COMMIT", "commit", ToolVerdict.Refused },
        { Iptables, 99, "COMMIT", "# COMMIT", ToolVerdict.Refused },
        { Iptables, 109, "COMMIT", "", ToolVerdict.Refused },
        { Iptables, 1, "# Generated", "  # Generated", ToolVerdict.Refused },
        { Iptables, 0, "\n", "\r\n", ToolVerdict.Refused },
        { Iptables, 0, "", "\uFEFF", ToolVerdict.Refused },
    };

    public static readonly TheoryData<string, int, string, string, ToolVerdict> IpsetMutations = new()
    {
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.0/33", ToolVerdict.Refused },
        { Ipsets, 2, "10.222.0.0/24", "fd00::/64", ToolVerdict.Refused },
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.1/24", ToolVerdict.Accepted },
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.0/0", ToolVerdict.Refused },
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.0-10.222.0.255", ToolVerdict.Accepted },
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.0/24 nomatch", ToolVerdict.Accepted },
        { Ipsets, 2, "10.222.0.0/24", "10.222.0.0/24 comment \"pods\"", ToolVerdict.Refused },
        { Ipsets, 2, "10.222.0.0/24", "\"10.222.0.0/24", ToolVerdict.Refused },
        { Ipsets, 2, "10.222.0.0/24", "", ToolVerdict.Refused },
        { Ipsets, 2, "ANTREA-POD-IP", "ANTREA-POD-IPS", ToolVerdict.Refused },
        { Ipsets, 2, "add", "ad", ToolVerdict.Accepted },
        { Ipsets, 2, "add", "  add", ToolVerdict.Accepted },
        { Ipsets, 2, "add", "# add", ToolVerdict.Accepted },
        { Ipsets, 3, "10.222.1.0/24", "10.222.0.0/24", ToolVerdict.Refused },
        { Ipsets, 4, "10.222.2.0/24", "10.222.2.0/24\nCOMMIT", ToolVerdict.Accepted },
        { Ipsets, 1, "create", "-N", ToolVerdict.Accepted },
        { Ipsets, 1, "hash:net", "hash:nett", ToolVerdict.Refused },
        { Ipsets, 1, "family inet", "familly inet", ToolVerdict.Refused },
        { Ipsets, 1, "hashsize 1024", "hashsize x", ToolVerdict.Refused },
        { Ipsets, 1, "maxelem 65536", "maxelem 65536 comment", ToolVerdict.Accepted },
        { Ipsets, 1, "maxelem 65536", "maxelem 2", ToolVerdict.Refused },
        { Ipsets, 1, "maxelem 65536", "maxelem 65536 timeout 30", ToolVerdict.Unsupported },
        { Ipsets, 1, "ANTREA-POD-IP", "ANTREA-POD-IP-AND-A-NAME-TOO-LONG", ToolVerdict.Refused },
        { Ipsets, 0, "\n", "\r\n", ToolVerdict.Accepted },
        { Ipsets, 0, "", "\uFEFF", ToolVerdict.Refused },
    };

    [NetnsTheory]
    [MemberData(nameof(IptablesMutations))]
    public void Iptables_restore_and_our_parser_agree_on_a_mutated_line(string seed, int line, string from, string to, ToolVerdict expected)
    {
        string sets = Seed(Ipsets);
        string document = Mutate(Seed(seed), line, from, to);
        var tool = Judge(document, sets, "iptables-restore");
        var ours = Ours(() => new NetfilterEngine(IptablesSaveParser.ParseText(document, seed),
            new NetfilterEngineOptions { Sets = IpsetSaveParser.ParseText(sets, Ipsets) }));
        int? legacyLine = File.Exists("/usr/sbin/iptables-legacy-restore") && tool.Line is not null
            ? Judge(document, sets, "iptables-legacy-restore").Line : null;
        Compare(expected, tool, ours, legacyLine);
    }

    [NetnsTheory]
    [MemberData(nameof(IpsetMutations))]
    public void Ipset_restore_and_our_parser_agree_on_a_mutated_line(string seed, int line, string from, string to, ToolVerdict expected)
    {
        string document = Mutate(Seed(seed), line, from, to);
        var tool = Judge(document, sets: null, tool: null);
        var ours = Ours(() => IpsetSaveParser.ParseText(document, seed));
        Compare(expected, tool, ours, legacyLine: null);
    }

    private readonly record struct Verdict(bool Refused, int? Line, string Text);

    private static void Compare(ToolVerdict expected, Verdict tool, InputException? ours, int? legacyLine)
    {
        string said = ours is null ? "accepted" : ours.ToString();
        if (expected == ToolVerdict.Unsupported)
        {
            Assert.False(tool.Refused, "the tool refused what the table says it accepts: " + tool.Text);
            Assert.True(ours is not null && ours.What.StartsWith("unsupported", StringComparison.Ordinal), "we said: " + said);
            return;
        }
        Assert.True(tool.Refused == (expected == ToolVerdict.Refused), $"the table says {expected}; the tool said: {(tool.Refused ? tool.Text : "accepted")}");
        Assert.True((ours is not null) == tool.Refused, $"the tool {(tool.Refused ? "refused: " + tool.Text : "accepted")}; we said: {said}");
        if (ours is not null && tool.Line is { } toolLine)
            Assert.True(ours.Line == toolLine || ours.Line == legacyLine, $"the tool names line {toolLine}{(legacyLine is null ? "" : $" (legacy: {legacyLine})")}; we said: {said}");
    }

    /// <summary>Our verdict: null for accepted, the InputException for refused; any other exception fails the row.</summary>
    private static InputException? Ours(Action load)
    {
        try
        {
            load();
            return null;
        }
        catch (InputException e)
        {
            Assert.True(e.Line > 0 && e.Column >= 0, "the error has no line: " + e);
            return e;
        }
    }

    private static readonly Regex s_toolLine = new(
        @"(?:Error occurred at line: |line |Bad line |COMMIT expected at line |Error in line )(\d+)", RegexOptions.CultureInvariant);

    /// <summary>The tool's verdict in a private network namespace: ipset restore of <paramref name="sets"/>, then
    /// <paramref name="tool"/> of the document (or, without a tool, ipset restore of the document).</summary>
    private static Verdict Judge(string document, string? sets, string? tool)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nf-verdict-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string doc = Path.Combine(dir, "doc"), setFile = Path.Combine(dir, "sets");
            File.WriteAllText(doc, document, new UTF8Encoding(false));
            File.WriteAllText(setFile, sets ?? string.Empty, new UTF8Encoding(false));
            string script = tool is null
                ? "ipset restore -f \"$2\"; rc=$?; ipset destroy; exit $rc"
                : $"ipset restore -f \"$1\" || exit 99; {tool} --counters \"$2\"; rc=$?; ipset destroy; exit $rc";
            string scriptFile = Path.Combine(dir, "judge.sh");
            File.WriteAllText(scriptFile, script + "\n");
            var r = Shell.Run("unshare", $"-n sh {scriptFile} {setFile} {doc}");
            Assert.True(r.ExitCode != 99, "ipset restore refused the seed sets: " + r.Error);
            var m = s_toolLine.Match(r.Error);
            return new Verdict(r.ExitCode != 0, m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null, r.Error.Trim());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Seed(string name) => File.ReadAllText(RepoPaths.Scenario(name));

    /// <summary>The seed with the first <paramref name="from"/> on line <paramref name="line"/> made <paramref name="to"/>;
    /// line 0 edits the whole file (every <paramref name="from"/>, or a prefix when it is empty).</summary>
    private static string Mutate(string seed, int line, string from, string to)
    {
        if (line == 0)
            return from.Length == 0 ? to + seed : seed.Replace(from, to, StringComparison.Ordinal);
        var lines = seed.Split('\n');
        string l = lines[line - 1];
        int at = l.IndexOf(from, StringComparison.Ordinal);
        Assert.True(at >= 0, $"line {line} of the seed does not hold '{from}': {l}");
        lines[line - 1] = l[..at] + to + l[(at + from.Length)..];
        return string.Join('\n', lines);
    }
}
