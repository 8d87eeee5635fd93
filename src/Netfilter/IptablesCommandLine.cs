using System.Text;

namespace Datapath.Netfilter;

/// <summary>
/// The words of an <c>iptables</c> listing command line (<c>[-t TABLE] -L [CHAIN] [-n] [-v] [-x] [--line-numbers]</c>,
/// <c>[-t TABLE] -S [CHAIN] [-v]</c>, short flags bundled as getopt allows: <c>-nvL</c>) and of
/// <c>iptables-save [-c] [-t TABLE]</c>, run against a rule set: the same words and answers whether they come
/// from the command line (<c>datapath iptables</c>) or a node's control socket (<c>datapath ctl SOCKET iptables</c>).
/// Errors are iptables' own messages; the exit code is 1 for every mistake (iptables uses 1 and 2).
/// </summary>
public static class IptablesCommandLine
{
    private const string Try = "\nTry `iptables -h' or 'iptables --help' for more information.";

    /// <summary>Runs <c>iptables ARGS</c>; the listing goes to <paramref name="stdout"/>, a mistake to <paramref name="stderr"/>.</summary>
    public static int Run(RuleSet rules, IReadOnlyList<string> args, StringBuilder stdout, StringBuilder stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stderr);
        var r = new Request();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? value = null;
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                int eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    value = a[(eq + 1)..];
                    a = a[..eq];
                }
                char? flag = a switch
                {
                    "--table" => 't',
                    "--list" => 'L',
                    "--list-rules" => 'S',
                    "--numeric" => 'n',
                    "--verbose" => 'v',
                    "--exact" => 'x',
                    "--line-numbers" => '#',
                    _ => null,
                };
                if (flag is null)
                    return Fail(stderr, $"unknown option \"{args[i]}\"");
                if (!r.Apply(flag.Value, value, args, ref i, stderr))
                    return 1;
                continue;
            }
            if (a.Length < 2 || a[0] != '-')
                return Fail(stderr, $"Bad argument `{a}'");
            for (int k = 1; k < a.Length; k++)
            {
                char f = a[k];
                if (f is not ('t' or 'L' or 'S' or 'n' or 'v' or 'x'))
                    return Fail(stderr, $"unknown option \"-{f}\"");
                // -tnat: the rest of the word is the value of an option that takes one.
                string? inline = k + 1 < a.Length && f == 't' ? a[(k + 1)..] : null;
                if (!r.Apply(f, inline, args, ref i, stderr))
                    return 1;
                if (inline is not null)
                    break;
            }
        }
        if (r.Command == '\0')
            return Fail(stderr, "no command specified");
        var output = new StringBuilder();
        bool ok = r.Command == 'L'
            ? IptablesListing.TryList(rules, r.Table, r.Chain, new IptablesListOptions(r.Numeric, r.Verbose, r.Exact, r.LineNumbers), output, out string error)
            : IptablesListing.TryListRules(rules, r.Table, r.Chain, r.Verbose, output, out error);
        if (!ok)
        {
            stderr.Append(error).Append('\n');
            return 1;
        }
        ArgumentNullException.ThrowIfNull(stdout);
        stdout.Append(output);
        return 0;
    }

    /// <summary>What the words asked for.</summary>
    private sealed class Request
    {
        public string Table { get; private set; } = "filter";
        public char Command { get; private set; }
        public string? Chain { get; private set; }
        public bool Numeric { get; private set; }
        public bool Verbose { get; private set; }
        public bool Exact { get; private set; }
        public bool LineNumbers { get; private set; }

        public bool Apply(char flag, string? value, IReadOnlyList<string> args, ref int i, StringBuilder stderr)
        {
            switch (flag)
            {
                case 't':
                    if (value is null)
                    {
                        if (i + 1 >= args.Count)
                        {
                            Fail(stderr, "option \"-t\" requires an argument");
                            return false;
                        }
                        value = args[++i];
                    }
                    Table = value;
                    return true;
                case 'L':
                case 'S':
                    if (Command != '\0' && Command != flag)
                    {
                        Fail(stderr, $"Cannot use -{flag} with -{Command}");
                        return false;
                    }
                    Command = flag;
                    // getopt's optional argument: the next word, when it is not an option, names the chain.
                    if (value is null && i + 1 < args.Count && args[i + 1].Length > 0 && args[i + 1][0] is not ('-' or '!'))
                        value = args[++i];
                    Chain = value ?? Chain;
                    return true;
                case 'n':
                    Numeric = true;
                    return true;
                case 'v':
                    Verbose = true;
                    return true;
                case 'x':
                    Exact = true;
                    return true;
                default:
                    LineNumbers = true;
                    return true;
            }
        }
    }

    /// <summary>Runs <c>iptables-save ARGS</c> (<c>-c</c>/<c>--counters</c>, <c>-t</c>/<c>--table TABLE</c>).</summary>
    public static int RunSave(RuleSet rules, IReadOnlyList<string> args, StringBuilder stdout, StringBuilder stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        bool counters = false;
        string? table = null;
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a is "-c" or "--counters")
            {
                counters = true;
            }
            else if (a is "-t" or "--table")
            {
                if (i + 1 >= args.Count)
                {
                    stderr.Append("iptables-save: option '").Append(a).Append("' requires an argument\n");
                    return 1;
                }
                table = args[++i];
            }
            else if (a.StartsWith("--table=", StringComparison.Ordinal))
            {
                table = a["--table=".Length..];
            }
            else
            {
                stderr.Append("iptables-save: unrecognized option '").Append(a).Append("'\n");
                return 1;
            }
        }
        string? saved = IptablesSaveWriter.Write(rules, counters, table, out string error);
        if (saved is null)
        {
            stderr.Append(error).Append('\n');
            return 1;
        }
        stdout.Append(saved);
        return 0;
    }

    private static int Fail(StringBuilder stderr, string message)
    {
        stderr.Append("iptables v1.8.9 (nf_tables): ").Append(message).Append(Try).Append('\n');
        return 1;
    }
}
