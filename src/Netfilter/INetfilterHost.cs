namespace Datapath.Netfilter;

/// <summary>
/// What the rules need to know about the node they run on: the type of an address as the node's
/// routing tables classify it (<c>-m addrtype</c>), and the address MASQUERADE uses on an egress interface.
/// The host stack implements it; <see cref="StaticNetfilterHost"/> is a fixed list for tests and tools.
/// </summary>
public interface INetfilterHost
{
    /// <summary>The type of <paramref name="address"/> (host order); with <paramref name="limitInterface"/>
    /// set, as seen through that interface only (<c>--limit-iface-in/out</c>).</summary>
    AddressTypes Classify(uint address, string? limitInterface);

    /// <summary>The source address MASQUERADE picks on <paramref name="outInterface"/> for a packet to
    /// <paramref name="destination"/> (the kernel's inet_select_addr). False when the interface has no address.</summary>
    bool TrySelectSourceAddress(string outInterface, uint destination, out uint address);
}
