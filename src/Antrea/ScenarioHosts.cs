using System.Diagnostics.CodeAnalysis;
using Datapath.Engine;
using Datapath.Engine.Host;

namespace Datapath.Antrea;

/// <summary>
/// A scenario's Linux hosts: each Antrea node's antrea-gw0 and uplink, or each Calico node's uplink, vxlan.calico
/// and pod veths; `ip route` lines, the permanent neighbours cluster.yaml lists, iptables-save and ipset save
/// documents from cluster.yaml and the files it names, joined with the bridges (Antrea) or alone (Calico) into a
/// <see cref="Journey"/> — whole nodes, as the articles walk them. The scenario's neighbours are PERMANENT entries;
/// its bridge pods are endpoints that answer ARP (<see cref="PodEndpoint"/>), so the hosts resolve them as the lab's do.
/// </summary>
public static class ScenarioHosts
{
    /// <summary>The host stack description of one node, or false when the node has no gateway (no host behind it).</summary>
    public static bool TryConfig(AntreaScenario scenario, string node, ulong seed, [NotNullWhen(true)] out HostStackConfig? config)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        config = null;
        var n = scenario.Model.Nodes.FirstOrDefault(x => x.Name == node);
        if (n is not null && scenario.Model.Cluster.IsCalico)
        {
            var v = n.Vxlan!;
            config = HostStackConfig.ForCalicoNode(n.Name, n.Uplink ?? "eth0", n.NodeMac, n.NodeIp,
                (v.Name ?? "vxlan.calico", v.Mac!, v.Ip!, v.Mtu, scenario.Model.Cluster.Tunnel.Vni), n.Fdb.Select(f => (f.Mac, f.Dst)),
                n.Pods.Select(p => (p.Port, p.PortMac)), n.Routes, n.Neighbors.Select(nb => (nb.Ip, nb.Mac, nb.Dev)),
                n.Iptables is { } cipt ? scenario.ReadFile(cipt) : null, n.Iptables ?? "<iptables>",
                n.Ipsets is { } cips ? scenario.ReadFile(cips) : null, n.Ipsets ?? "<ipsets>",
                new HostStackOptions { Seed = seed }, scenario.ClusterFile);
            return true;
        }
        // An Antrea node has a host when it has a bridge (flows) and a gateway address.
        if (n is not { Flows: not null, Gateway: { Ip: { } gatewayCidr } gw })
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
    /// gateway) its host, joined by the GENEVE underlay, or each Calico node's host alone, joined by VXLAN over the
    /// underlay; the hosts' random draws start from <paramref name="seed"/>. A bridge-only journey never reaches a
    /// host, so none is built for it.
    /// </summary>
    public static Journey BuildJourney(AntreaScenario scenario, JourneyScope scope, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        var hosts = new List<HostStackConfig>();
        foreach (var n in scenario.Model.Nodes)
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
