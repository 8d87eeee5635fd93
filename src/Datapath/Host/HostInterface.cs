using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// One network interface of a node's Linux host as <c>ip address</c> shows it: name, index, kind, MAC,
/// primary IPv4 address with its prefix length (0.0.0.0/0: none, as a Calico veth has), MTU and carrier.
/// antrea-gw0 is the OVS internal port the host reaches the bridge through; ens160 the uplink; docker0 a
/// bridge with no carrier (linkdown); on a Calico node, cali* are pods' veths (no address, proxy ARP
/// answering for the pods' gateway 169.254.1.1) and vxlan.calico the VXLAN device (<see cref="Vxlan"/>).
/// </summary>
public sealed class HostInterface
{
    public HostInterface(string name, MacAddress mac, Ipv4Address address, int prefixLength, int mtu = 1500, bool hasCarrier = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)prefixLength, 32u, nameof(prefixLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68, nameof(mtu));
        Name = name;
        Mac = mac;
        Address = address;
        PrefixLength = prefixLength;
        Mtu = mtu;
        HasCarrier = hasCarrier;
    }

    public string Name { get; }
    /// <summary>What the link is; <see cref="HostInterfaceKind.Vxlan"/> comes with <see cref="Vxlan"/>.</summary>
    public HostInterfaceKind Kind { get; init; }
    /// <summary>The VXLAN device's VNI, local address, port and FDB; set exactly for <see cref="HostInterfaceKind.Vxlan"/>.</summary>
    public VxlanDevice? Vxlan { get; init; }
    /// <summary><c>net.ipv4.conf.DEV.proxy_arp=1</c>: ARP requests for addresses routed out of another device are answered with this device's MAC.</summary>
    public bool ProxyArp { get; init; }
    /// <summary>The kernel's ifindex, assigned by the <see cref="HostStack"/> in the order interfaces are added (lo is 1).</summary>
    public int Index { get; internal set; }
    /// <summary>This device's number in its host's neighbour table (set by the host).</summary>
    internal int NeighborId { get; set; }
    public MacAddress Mac { get; }
    public Ipv4Address Address { get; }
    public int PrefixLength { get; }
    public int Mtu { get; }
    /// <summary>False for a device without carrier (<c>linkdown</c>): frames sent there are lost.</summary>
    public bool HasCarrier { get; }

    /// <summary>The subnet mask of <see cref="Address"/> in host order.</summary>
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    /// <summary>The subnet's directed broadcast address (none for /31 and /32).</summary>
    public uint Broadcast => PrefixLength >= 31 ? Address.Value : Address.Value | ~Mask;

    public bool OnSubnet(uint address) => HasAddress && ((address ^ Address.Value) & Mask) == 0;

    /// <summary>False for a device without an IPv4 address (a Calico veth).</summary>
    public bool HasAddress => Address.Value != 0;

    /// <summary><c>2: antrea-gw0: mtu 1450 ... link/ether 4e:99:08:c1:53:be ... inet 10.222.1.1/24</c>, shortened.</summary>
    public override string ToString()
        => $"{Index}: {Name}: mtu {Mtu}{(HasCarrier ? "" : " NO-CARRIER")} link/ether {Mac}"
            + (Vxlan is { } v ? $" vxlan id {v.Vni} local {v.Local} dstport {v.UdpPort}" : "")
            + (HasAddress ? $" inet {Address}/{PrefixLength}" : "");
}
