using System.CommandLine;
using Datapath.Cli.Output;
using Datapath.Engine;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Cli.Commands;

/// <summary>
/// The netfilter trace options of trace and replay: `--iptables-add 'RULE'` (repeatable: `iptables [-t T] -A|-I ...`
/// on the nodes' hosts before the run, e.g. seed 002's `-t raw -A OUTPUT -p tcp --dport 9898 -j TRACE`),
/// `--xtables-kernel 5.15|6.18` (which kernel and xtables-monitor the output imitates), and for replay
/// `--xtables-trace FILE|-` (what `xtables-monitor --trace` prints for the packets TRACE rules select).
/// </summary>
internal sealed class XtablesTraceOptions
{
    public Option<string[]> IptablesAdd { get; } = new("--iptables-add")
    {
        HelpName = "RULE",
        Description = "Add a rule to the host's iptables before the run, as `iptables RULE` would: [-t TABLE] -A CHAIN ... or -I CHAIN [N] ... (repeatable; e.g. '-t raw -A OUTPUT -p tcp --dport 9898 -j TRACE')",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> Kernel { get; } = new("--xtables-kernel")
    {
        Description = "The xtables-monitor --trace output to imitate: 5.15 (Linux 5.15 with iptables 1.8.7, as Ubuntu 22.04 and seed 002: return events, ID=45471DF) or 6.18 (Linux 6.18 with iptables 1.8.9: no return events, a RETURN rule's verdict 0xfffffffb)",
        DefaultValueFactory = _ => "5.15",
    };

    public Option<string?> Trace { get; } = new("--xtables-trace")
    {
        HelpName = "FILE|-",
        Description = "Write what `xtables-monitor --trace` prints for the packets a raw-table TRACE rule selects (every rule, policy and return they meet, with PACKET lines) into FILE, or - for stdout",
    };

    public XtablesTraceOptions() => Kernel.AcceptOnlyFromAmong("5.15", "6.18");

    public void AddTo(Command command, bool traceFile)
    {
        command.Options.Add(IptablesAdd);
        command.Options.Add(Kernel);
        if (traceFile)
            command.Options.Add(Trace);
    }

    public XtablesTraceStyle Style(ParseResult parse) => parse.GetValue(Kernel) == "6.18" ? XtablesTraceStyle.Linux618 : XtablesTraceStyle.Linux515;

    /// <summary>Applies --iptables-add to the hosts of <paramref name="nodes"/> and rebuilds their engines; false after a
    /// located error (the option's text, its column) on stderr.</summary>
    public bool TryAddRules(ParseResult parse, IEnumerable<JourneyNode> nodes, ulong seed, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        string[] added = parse.GetValue(IptablesAdd) ?? [];
        if (added.Length == 0)
            return true;
        var hosts = nodes.Select(n => n.Host).OfType<Engine.Host.HostStack>().ToList();
        if (hosts.Count == 0)
        {
            exitCode = CliError.BadInput(stderr, "--iptables-add: no node of this run has a host stack with iptables");
            return false;
        }
        foreach (var host in hosts)
        {
            if (host.Netfilter?.Rules is not { } rules)
            {
                exitCode = CliError.BadInput(stderr, $"--iptables-add: node {host.Name} has no iptables rules to add to");
                return false;
            }
            try
            {
                foreach (string rule in added)
                    IptablesAppend.Add(rules, rule, "--iptables-add '" + rule + "'");
            }
            catch (InputException e)
            {
                exitCode = CliError.Located(stderr, e);
                return false;
            }
            host.Reseed(seed);
        }
        return true;
    }

    /// <summary>Subscribes <paramref name="monitor"/> to every host's tables of <paramref name="nodes"/>; returns how many
    /// have a raw-table TRACE rule (what selects packets unless the monitor traces every packet).</summary>
    public static int Attach(XtablesMonitor monitor, IEnumerable<JourneyNode> nodes)
    {
        int withTrace = 0;
        foreach (var n in nodes)
        {
            if (n.Host?.Netfilter?.Rules is not { } rules)
                continue;
            monitor.Attach(rules, n.Name);
            if (rules.Raw is { } raw && raw.Chains.Any(c => c.Rules.Any(r => r.Target.Kind == TargetKind.Trace)))
                withTrace++;
        }
        return withTrace;
    }

    /// <summary>The --xtables-trace output: FILE (created or truncated), stdout for <c>-</c> (not disposed with the
    /// result: the caller disposes what it gets, a wrapper for stdout), or null when the option is not given.</summary>
    public static TextWriter? OpenTrace(string? path, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        exitCode = ExitCodes.Ok;
        if (path is null)
            return null;
        if (path == "-")
            return new UnclosedWriter(stdout);
        try
        {
            return new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            exitCode = e is UnauthorizedAccessException ? CliError.Environment(stderr, $"--xtables-trace {path}: {e.Message}")
                : CliError.BadInput(stderr, $"--xtables-trace {path}: {e.Message}");
            return null;
        }
    }

    /// <summary>stdout for --xtables-trace -: flushed, never closed.</summary>
    private sealed class UnclosedWriter(TextWriter inner) : TextWriter
    {
        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value) => inner.Write(value);

        public override void Write(string? value) => inner.Write(value);

        public override void Flush() => inner.Flush();

        protected override void Dispose(bool disposing)
        {
            inner.Flush();
            base.Dispose(disposing);
        }
    }

    public static void Detach(IEnumerable<JourneyNode> nodes)
    {
        foreach (var n in nodes)
        {
            if (n.Host?.Netfilter?.Rules is { } rules)
                XtablesMonitor.Detach(rules);
        }
    }
}
