using System.Text;
using Datapath.Engine;
using Datapath.Netfilter;

namespace Datapath.Cli.Output;

/// <summary>
/// What `replay --dump-iptables` and `--dump-host-conntrack` print after a replay: each node's host rules as
/// `iptables -t TABLE -L -n -v --line-numbers` lists them (every table the host loaded, with the counters the
/// replay accumulated), and its connection table as `conntrack -L` prints it at the capture's latest time.
/// </summary>
internal static class HostDumps
{
    private static readonly string[] s_tables = ["raw", "mangle", "nat", "filter"];

    public static void WriteIptables(TextWriter stdout, IEnumerable<JourneyNode> nodes)
    {
        foreach (var n in nodes)
        {
            if (n.Host?.Netfilter?.Rules is not { } rules)
                continue;
            foreach (string table in s_tables)
            {
                if (rules.Get(table) is null)
                    continue;
                var sb = new StringBuilder();
                IptablesListing.TryList(rules, table, null, new IptablesListOptions(Numeric: true, Verbose: true, Exact: false, LineNumbers: true), sb, out _);
                stdout.WriteLine($"{n.Name}: iptables -t {table} -L -n -v --line-numbers");
                stdout.Write(sb.ToString());
                stdout.WriteLine();
            }
        }
    }

    /// <summary>The hosts' connections at <paramref name="nowMs"/> (the capture's clock); the entry count on stderr, as conntrack does.</summary>
    public static void WriteHostConntrack(TextWriter stdout, TextWriter stderr, IReadOnlyList<JourneyNode> nodes, long nowMs)
    {
        foreach (var n in nodes)
        {
            if (n.Host is not { } host)
                continue;
            var lines = host.Conntrack.ListConntrack(nowMs).ToList();
            foreach (string line in lines)
                stdout.WriteLine(nodes.Count > 1 ? $"{n.Name}: {line}" : line);
            stderr.WriteLine((nodes.Count > 1 ? n.Name + ": " : "") + Conntrack.ConnectionTracker.ConntrackToolsSummary(lines.Count));
        }
    }
}
