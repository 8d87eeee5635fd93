using YamlDotNet.Serialization;

namespace Datapath.Antrea;

/// <summary>cluster.yaml of a scenario directory (the seed lab's layout), as YamlDotNet reads it.</summary>
public sealed class ScenarioModel
{
    [YamlMember(Alias = "cluster")] public ClusterModel Cluster { get; set; } = new();
    [YamlMember(Alias = "nodes")] public List<NodeModel> Nodes { get; set; } = [];
    [YamlMember(Alias = "services")] public List<ServiceModel> Services { get; set; } = [];
    /// <summary>Frames quoted in the articles (tcpdump lines), by name.</summary>
    [YamlMember(Alias = "packets")] public Dictionary<string, string> Packets { get; set; } = [];
}

public sealed class ClusterModel
{
    [YamlMember(Alias = "podCIDR")] public string? PodCidr { get; set; }
    [YamlMember(Alias = "serviceCIDR")] public string? ServiceCidr { get; set; }
    [YamlMember(Alias = "globalVirtualMAC")] public string? GlobalVirtualMac { get; set; }
    [YamlMember(Alias = "tunnel")] public TunnelConfigModel Tunnel { get; set; } = new();
    [YamlMember(Alias = "ctZone")] public ushort CtZone { get; set; } = AntreaFields.CtZone;
}

public sealed class TunnelConfigModel
{
    [YamlMember(Alias = "type")] public string Type { get; set; } = "geneve";
    [YamlMember(Alias = "udpPort")] public int UdpPort { get; set; } = 6081;
    [YamlMember(Alias = "vni")] public uint Vni { get; set; }
    [YamlMember(Alias = "csum")] public bool Csum { get; set; } = true;
}

public sealed class NodeModel
{
    [YamlMember(Alias = "name")] public string Name { get; set; } = "";
    [YamlMember(Alias = "nodeIP")] public string NodeIp { get; set; } = "";
    [YamlMember(Alias = "nodeMAC")] public string NodeMac { get; set; } = "";
    [YamlMember(Alias = "uplink")] public string? Uplink { get; set; }
    [YamlMember(Alias = "podCIDR")] public string? PodCidr { get; set; }
    [YamlMember(Alias = "gateway")] public PortModel? Gateway { get; set; }
    [YamlMember(Alias = "tunnel")] public PortModel? Tunnel { get; set; }
    [YamlMember(Alias = "pods")] public List<PodModel> Pods { get; set; } = [];
    [YamlMember(Alias = "routes")] public List<string> Routes { get; set; } = [];
    [YamlMember(Alias = "neighbors")] public List<NeighborModel> Neighbors { get; set; } = [];
    [YamlMember(Alias = "flows")] public string? Flows { get; set; }
    [YamlMember(Alias = "groups")] public string? Groups { get; set; }
    [YamlMember(Alias = "iptables")] public string? Iptables { get; set; }
    [YamlMember(Alias = "ipsets")] public string? Ipsets { get; set; }
}

public sealed class PortModel
{
    [YamlMember(Alias = "name")] public string? Name { get; set; }
    [YamlMember(Alias = "ofport")] public uint OfPort { get; set; }
    /// <summary>The gateway's address with its prefix (10.222.1.1/24).</summary>
    [YamlMember(Alias = "ip")] public string? Ip { get; set; }
    [YamlMember(Alias = "mac")] public string? Mac { get; set; }
    [YamlMember(Alias = "mtu")] public int Mtu { get; set; }
}

public sealed class PodModel
{
    [YamlMember(Alias = "pod")] public string Pod { get; set; } = "";
    [YamlMember(Alias = "ofport")] public uint OfPort { get; set; }
    [YamlMember(Alias = "port")] public string Port { get; set; } = "";
    /// <summary>The host side of the veth: the OVS port's MAC.</summary>
    [YamlMember(Alias = "portMAC")] public string PortMac { get; set; } = "";
    [YamlMember(Alias = "ip")] public string Ip { get; set; } = "";
    /// <summary>The pod's own MAC (inside the pod).</summary>
    [YamlMember(Alias = "mac")] public string Mac { get; set; } = "";
    [YamlMember(Alias = "labels")] public Dictionary<string, string> Labels { get; set; } = [];
}

public sealed class NeighborModel
{
    [YamlMember(Alias = "ip")] public string Ip { get; set; } = "";
    [YamlMember(Alias = "mac")] public string Mac { get; set; } = "";
    [YamlMember(Alias = "dev")] public string Dev { get; set; } = "";
}

public sealed class ServiceModel
{
    [YamlMember(Alias = "name")] public string Name { get; set; } = "";
    [YamlMember(Alias = "clusterIP")] public string ClusterIp { get; set; } = "";
    [YamlMember(Alias = "port")] public int Port { get; set; }
    [YamlMember(Alias = "nodePort")] public int NodePort { get; set; }
    [YamlMember(Alias = "protocol")] public string Protocol { get; set; } = "TCP";
    [YamlMember(Alias = "endpoints")] public List<string> Endpoints { get; set; } = [];
}
