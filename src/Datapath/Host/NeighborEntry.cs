using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>One neighbour (ARP cache) entry as <c>arp -a</c> shows it: <c>? (10.222.2.1) at aa:bb:cc:dd:ee:ff [ether] on antrea-gw0</c>.</summary>
public readonly record struct NeighborEntry(Ipv4Address Address, MacAddress Mac, string Device)
{
    public override string ToString() => $"? ({Address}) at {Mac} [ether] on {Device}";
}
