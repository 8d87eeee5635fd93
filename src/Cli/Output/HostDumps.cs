using System.Text;
using System.Text.Json;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Netfilter;

namespace Datapath.Cli.Output;

/// <summary>
/// What `replay --dump-iptables` and `--dump-host-conntrack` print after a replay: each node's host rules as
/// `iptables -t TABLE -L -n -v --line-numbers` lists them (every table the host loaded, with the counters the
/// replay accumulated), its connection table as `conntrack -L` prints it at the capture's latest time, and its ARP
/// cache as `ip neigh show` prints it (`--dump-neigh`).
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

    /// <summary>Each host's neighbours as <c>ip neigh show</c> prints them, prefixed with the node when there are several.</summary>
    public static void WriteNeighbors(TextWriter stdout, IReadOnlyList<JourneyNode> nodes)
    {
        foreach (var n in nodes)
        {
            if (n.Host is not { } host)
                continue;
            foreach (string line in host.DumpIpNeigh())
                stdout.WriteLine(nodes.Count > 1 ? $"{n.Name}: {line}" : line);
        }
    }

    /// <summary>The neighbours as <c>ip -j neigh show</c> writes them: dst, dev, lladdr (valid states only), state.</summary>
    public static void WriteNeighborsJson(Utf8JsonWriter w, HostStack host)
    {
        w.WriteStartArray();
        foreach (var e in host.Neighbors.Entries)
        {
            w.WriteStartObject();
            w.WriteString("dst", e.Address.ToString());
            w.WriteString("dev", e.Device);
            if (NudStates.IsValid(e.State))
                w.WriteString("lladdr", e.Mac.ToString());
            w.WriteStartArray("state");
            w.WriteStringValue(NudStates.Name(e.State));
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
