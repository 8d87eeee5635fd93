using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// The VXLAN side of a host interface of kind <see cref="HostInterfaceKind.Vxlan"/>, as Calico creates
/// vxlan.calico (<c>ip link add vxlan.calico type vxlan id 4096 local NODE-IP dev eth0 dstport 4789 nolearning</c>)
/// and programs it: one forwarding-database entry per remote node (<c>bridge fdb show dev vxlan.calico</c>:
/// <c>66:f8:2d:91:be:9a dst 192.168.1.89 self permanent</c>), the remote VTEP's MAC → its node address. The host's
/// neighbour table holds the other half (<c>10.42.54.193 dev vxlan.calico lladdr 66:f8:2d:91:be:9a PERMANENT</c>).
/// </summary>
/// <remarks>
/// Sending: the inner frame's destination MAC picks the FDB entry; no entry is a drop (learning is off, so the
/// kernel has nowhere to send it). Receiving: a UDP datagram to <see cref="UdpPort"/> on one of the host's
/// addresses, with this <see cref="Vni"/>, is this device's frame. Thread-safety: built before traffic, then read only.
/// </remarks>
public sealed class VxlanDevice
{
    private readonly Dictionary<MacAddress, Ipv4Address> _fdb = [];

    /// <param name="vni">The VXLAN network identifier (24 bits; Calico's 4096).</param>
    /// <param name="local">The outer source address (<c>local</c>: the node's underlay address).</param>
    /// <param name="udpPort">The destination UDP port (<c>dstport</c>: 4789).</param>
    public VxlanDevice(uint vni, Ipv4Address local, ushort udpPort = Geneve.VxlanHeader.UdpPort)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vni, Geneve.VxlanHeader.MaxVni);
        Vni = vni;
        Local = local;
        UdpPort = udpPort;
    }

    public uint Vni { get; }
    public Ipv4Address Local { get; }
    public ushort UdpPort { get; }

    /// <summary>Adds <c>bridge fdb append MAC dev vxlan.calico dst REMOTE</c> (construction only).</summary>
    public void AddFdb(MacAddress mac, Ipv4Address remote) => _fdb[mac] = remote;

    public bool TryGetRemote(MacAddress mac, out Ipv4Address remote) => _fdb.TryGetValue(mac, out remote);

    /// <summary><c>bridge fdb show dev DEV</c> lines, by MAC.</summary>
    public IEnumerable<string> DumpFdb(string device)
        => _fdb.OrderBy(e => e.Key.Value).Select(e => $"{e.Key} dev {device} dst {e.Value} self permanent");
}
