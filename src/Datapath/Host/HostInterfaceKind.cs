namespace Datapath.Engine.Host;

/// <summary>
/// What kind of link a host interface is (<c>ip -d link</c>'s type): an Ethernet device (the uplink, an OVS
/// internal port such as antrea-gw0, docker0), the host end of a veth pair whose other end is in a pod (Calico's
/// <c>cali*</c> devices: no address, proxy ARP on), or a VXLAN device (Calico's <c>vxlan.calico</c>).
/// </summary>
public enum HostInterfaceKind
{
    Ethernet,
    Loopback,
    Veth,
    Vxlan,
}
