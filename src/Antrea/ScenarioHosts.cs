using System.Globalization;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Antrea;

/// <summary>
/// The seed scenario's Linux hosts: each node's antrea-gw0 and uplink, `ip route` lines, `arp -a`
/// neighbours, iptables-save and ipset save documents from cluster.yaml and the files it names,
/// joined with the bridges into a <see cref="HostedCluster"/> — whole nodes, as the articles walk them.
/// </summary>
public static class ScenarioHosts
{
    /// <summary>The host stack description of one node of the scenario.</summary>
    public static HostStackConfig Config(AntreaScenario scenario, string node, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var n = scenario.Model.Nodes.FirstOrDefault(x => x.Name == node)
            ?? throw new ScenarioException("cluster.yaml", 1, 1, $"no node named '{node}'");
        var gw = n.Gateway ?? throw new ScenarioException("cluster.yaml", 1, 1, $"node {node} has no gateway");
        string[] ipAndPrefix = (gw.Ip ?? throw new ScenarioException("cluster.yaml", 1, 1, $"node {node}'s gateway has no ip")).Split('/');
        int prefix = ipAndPrefix.Length > 1 ? int.Parse(ipAndPrefix[1], CultureInfo.InvariantCulture) : 24;
        return new HostStackConfig
        {
            Name = n.Name,
            Interfaces =
            [
                new HostInterface(gw.Name ?? "antrea-gw0", MacAddress.Parse(gw.Mac!), Ipv4Address.Parse(ipAndPrefix[0]), prefix, gw.Mtu > 0 ? gw.Mtu : 1500),
                new HostInterface(n.Uplink ?? "eth0", MacAddress.Parse(n.NodeMac), Ipv4Address.Parse(n.NodeIp), 0),
            ],
            Routes = n.Routes,
            RoutesFile = "cluster.yaml",
            Neighbors = [.. n.Neighbors.Select(nb => new NeighborEntry(Ipv4Address.Parse(nb.Ip), MacAddress.Parse(nb.Mac), nb.Dev))],
            Iptables = n.Iptables is { } ipt ? scenario.ReadFile(ipt) : null,
            IptablesFile = n.Iptables ?? "<none>",
            Ipsets = n.Ipsets is { } ips ? scenario.ReadFile(ips) : null,
            IpsetsFile = n.Ipsets ?? "<none>",
            Options = new HostStackOptions { Seed = seed },
        };
    }

    /// <summary>Every node of the scenario with its bridge and its host, joined by the GENEVE underlay.</summary>
    public static HostedCluster Build(AntreaScenario scenario, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        return Build(scenario, scenario.Cluster, seed);
    }

    /// <summary>The hosted cluster over <paramref name="cluster"/> (all or some of the scenario's nodes).</summary>
    public static HostedCluster Build(AntreaScenario scenario, Cluster cluster, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        return HostedCluster.Build(cluster, cluster.Nodes.Select(n => Config(scenario, n.Name, seed)).ToList());
    }
}
