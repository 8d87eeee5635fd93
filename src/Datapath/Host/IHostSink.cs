namespace Datapath.Engine.Host;

/// <summary>
/// Receives the frames a host stack transmits: one call per frame, with the device and the frame as it
/// leaves (Ethernet source = the device's MAC, destination = the neighbour's). The span is valid only during
/// the call; copy it to keep it.
/// </summary>
public interface IHostSink
{
    void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame);

    /// <summary>
    /// A frame that waited for a neighbour is dropped (already counted by the host): its queue overflowed, or the
    /// neighbour FAILED. It belongs to an earlier call; this tells the caller's accounting it ended.
    /// </summary>
    void Dropped(HostStack host, DropReason reason)
    {
    }

    /// <summary>
    /// An IPv4 packet INPUT delivered to the host's local sockets, as a socket reads it: NAT undone (MASQUERADE in
    /// PREROUTING, DNAT in INPUT), a VXLAN datagram's inner frame rather than the datagram. The live daemon hands it to
    /// the node's own processes (a TAP in the node's namespace). Valid only during the call.
    /// </summary>
    void Delivered(HostStack host, ReadOnlySpan<byte> frame)
    {
    }
}
