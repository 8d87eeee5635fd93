namespace Datapath.Antrea;

/// <summary>
/// cluster.yaml of a scenario (the seed lab's layout), as <see cref="ScenarioReader"/> reads and checks it: the
/// properties are named after its keys (<c>nodeIP</c> is <see cref="NodeModel.NodeIp"/>), and every value in
/// them has been checked (addresses parse, ofports are in range and unique per bridge).
/// </summary>
public sealed class ScenarioModel
{
    public ClusterModel Cluster { get; set; } = new();
    public List<NodeModel> Nodes { get; set; } = [];
    public List<ServiceModel> Services { get; set; } = [];
    /// <summary>Frames quoted in the articles (tcpdump lines), by name.</summary>
    public Dictionary<string, string> Packets { get; set; } = [];
}

public sealed class ClusterModel
{
    /// <summary><c>cni:</c> <c>antrea</c> (nodes with a bridge, GENEVE) or <c>calico</c> (nodes without one: routed veths, vxlan.calico).</summary>
    public string Cni { get; set; } = "antrea";
    public bool IsCalico => Cni == "calico";
    public string? PodCidr { get; set; }
    public string? ServiceCidr { get; set; }
    public string? GlobalVirtualMac { get; set; }
    public TunnelConfigModel Tunnel { get; set; } = new();
    public ushort CtZone { get; set; } = AntreaFields.CtZone;
}

public sealed class TunnelConfigModel
{
    /// <summary><c>geneve</c> (Antrea) or <c>vxlan</c> (Calico's vxlan.calico).</summary>
    public string Type { get; set; } = "geneve";
    public int UdpPort { get; set; } = 6081;
    public uint Vni { get; set; }
    public bool Csum { get; set; } = true;
}

public sealed class NodeModel
{
    public string Name { get; set; } = "";
    public string NodeIp { get; set; } = "";
    public string NodeMac { get; set; } = "";
    public string? Uplink { get; set; }
    public string? PodCidr { get; set; }
    public PortModel? Gateway { get; set; }
    public PortModel? Tunnel { get; set; }
    public List<PodModel> Pods { get; set; } = [];
    public List<string> Routes { get; set; } = [];
    public List<NeighborModel> Neighbors { get; set; } = [];
    public string? Flows { get; set; }
    public string? Groups { get; set; }
    /// <summary>The bridge's meters file (<c>ovs-ofctl add-meter</c> lines), loaded before groups and flows.</summary>
    public string? Meters { get; set; }
    public string? Iptables { get; set; }
    public string? Ipsets { get; set; }
    /// <summary>A Calico node's VXLAN device (<c>vxlan:</c> name, ip with its prefix, mac, mtu), or null.</summary>
    public PortModel? Vxlan { get; set; }
    /// <summary>A Calico node's <c>bridge fdb</c> entries on its VXLAN device: remote VTEP MAC → remote node address.</summary>
    public List<FdbModel> Fdb { get; set; } = [];
    /// <summary>The bridge's table names (<c>tables:</c>, a name set or number → name), or null: tables have numbers only.</summary>
    public List<KeyValuePair<byte, string>>? Tables { get; set; }
    /// <summary>The VLAN tags a received frame's flow holds (<c>vlanLimit:</c>, OVS's other_config:vlan-limit), or null: OVS's default, 1.</summary>
    public int? VlanLimit { get; set; }
}

public sealed class PortModel
{
    public string? Name { get; set; }
    public uint OfPort { get; set; }
    /// <summary>The gateway's address with its prefix (10.222.1.1/24).</summary>
    public string? Ip { get; set; }
    public string? Mac { get; set; }
    public int Mtu { get; set; }
}

public sealed class PodModel
{
    public string Pod { get; set; } = "";
    /// <summary>The OVS port number (Antrea); 0 on a Calico node, which has no bridge.</summary>
    public uint OfPort { get; set; }
    /// <summary>The host side of the veth: the OVS port's name (Antrea), or the cali veth (Calico).</summary>
    public string Port { get; set; } = "";
    /// <summary>The host side of the veth: the OVS port's MAC (Antrea), or the cali veth's (Calico: ee:ee:ee:ee:ee:ee).</summary>
    public string PortMac { get; set; } = "";
    public string Ip { get; set; } = "";
    /// <summary>The pod's own MAC (inside the pod).</summary>
    public string Mac { get; set; } = "";
    public Dictionary<string, string> Labels { get; set; } = [];
}

/// <summary>One <c>bridge fdb show dev vxlan.calico</c> entry: <c>MAC dst DST self permanent</c>.</summary>
public sealed class FdbModel
{
    public string Mac { get; set; } = "";
    public string Dst { get; set; } = "";
}

public sealed class NeighborModel
{
    public string Ip { get; set; } = "";
    public string Mac { get; set; } = "";
    public string Dev { get; set; } = "";
}

public sealed class ServiceModel
{
    public string Name { get; set; } = "";
    public string ClusterIp { get; set; } = "";
    public int Port { get; set; }
    public int NodePort { get; set; }
    public string Protocol { get; set; } = "TCP";
    public List<string> Endpoints { get; set; } = [];
}
