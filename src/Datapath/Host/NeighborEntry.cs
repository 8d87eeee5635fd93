using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// One neighbour (ARP cache) entry: its address, link-layer address, device and NUD state. <see cref="ToString"/> is
/// <c>arp -a</c>'s line (<c>? (10.222.2.1) at aa:bb:cc:dd:ee:ff [ether] PERM on antrea-gw0</c>), <see cref="IpNeigh"/>
/// <c>ip neigh show</c>'s (<c>10.222.1.47 dev antrea-gw0 lladdr f2:32:d8:07:e2:a6 REACHABLE</c>; no lladdr unless the
/// state is valid, as the kernel sends NDA_LLADDR only then).
/// </summary>
public readonly record struct NeighborEntry(Ipv4Address Address, MacAddress Mac, string Device, NudState State = NudState.Permanent)
{
    public override string ToString()
        => NudStates.IsValid(State) ? $"? ({Address}) at {Mac} [ether]{(State == NudState.Permanent ? " PERM" : "")} on {Device}" : $"? ({Address}) at <incomplete> on {Device}";

    /// <summary>The line <c>ip neigh show</c> prints for the entry (iproute2 6.1, without its trailing space).</summary>
    public string IpNeigh => NudStates.IsValid(State)
        ? $"{Address} dev {Device} lladdr {Mac} {NudStates.Name(State)}"
        : $"{Address} dev {Device} {NudStates.Name(State)}";
}
