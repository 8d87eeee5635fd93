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
}
