using System.Diagnostics.CodeAnalysis;
using Datapath.Engine;
using Datapath.Engine.Host;

namespace Datapath.Antrea;

/// <summary>
/// The seed scenario's Linux hosts: each node's antrea-gw0 and uplink, `ip route` lines, the permanent
/// neighbours cluster.yaml lists, iptables-save and ipset save documents from cluster.yaml and the files it names,
/// joined with the bridges into a <see cref="Journey"/> — whole nodes, as the articles walk them. The scenario's
/// neighbours are PERMANENT entries; its pods are endpoints that answer ARP (<see cref="PodEndpoint"/>), so the hosts
/// resolve them as the lab's do.
/// </summary>
public static class ScenarioHosts
{
    /// <summary>The host stack description of one node, or false when the node has no gateway (no host behind it).</summary>
    public static bool TryConfig(AntreaScenario scenario, string node, ulong seed, [NotNullWhen(true)] out HostStackConfig? config)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        config = null;
        var n = scenario.Model.Nodes.FirstOrDefault(x => x.Name == node);
        if (n?.Gateway is not { Ip: { } gatewayCidr } gw)
            return false;
        config = HostStackConfig.ForNode(n.Name, gw.Name ?? "antrea-gw0", gw.Mac ?? "", gatewayCidr, gw.Mtu, n.Uplink ?? "eth0", n.NodeMac, n.NodeIp,
            n.Routes, n.Neighbors.Select(nb => (nb.Ip, nb.Mac, nb.Dev)),
            n.Iptables is { } ipt ? scenario.ReadFile(ipt) : null, n.Iptables ?? "<iptables>",
            n.Ipsets is { } ips ? scenario.ReadFile(ips) : null, n.Ipsets ?? "<ipsets>",
            new HostStackOptions { Seed = seed });
        return true;
    }

    /// <summary>
    /// The journey of <paramref name="scope"/> over every node of the scenario, each with its bridge and (when it has a
    /// gateway) its host, joined by the GENEVE underlay; the hosts' random draws start from <paramref name="seed"/>.
    /// A bridge-only journey never reaches a host, so none is built for it.
    /// </summary>
    public static Journey BuildJourney(AntreaScenario scenario, JourneyScope scope, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var hosts = new List<HostStackConfig>();
        foreach (var n in scenario.Cluster.Nodes)
        {
            if (scope != JourneyScope.Bridge && TryConfig(scenario, n.Name, seed, out var config))
                hosts.Add(config);
        }
        var journey = Journey.Build(scenario.Cluster, hosts, scope);
        if (scope != JourneyScope.Bridge)
            AddPodEndpoints(scenario, journey);
        return journey;
    }

    /// <summary>The scenario's pods are known endpoints: each answers ARP for its address at its port, as its kernel would (<see cref="PodEndpoint"/>).</summary>
    public static void AddPodEndpoints(AntreaScenario scenario, Journey journey)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(journey);
        foreach (var n in scenario.Model.Nodes)
        {
            if (n.Flows is null || journey.Nodes.FirstOrDefault(j => j.Name == n.Name) is not { Host: not null } jn)
                continue;
            foreach (var p in n.Pods)
                jn.AddEndpoint(p.OfPort, new PodEndpoint(p.Pod, Packets.Ipv4Address.Parse(p.Ip), Packets.MacAddress.Parse(p.Mac)));
        }
    }
}
