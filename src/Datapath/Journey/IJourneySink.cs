namespace Datapath.Engine;

/// <summary>
/// Receives what a <see cref="Journey"/> comes to, as it happens: frames that leave, GENEVE frames carried to a
/// peer, frames a host consumed, drops. Frames are spans valid only during the call (copy to keep them); calls
/// come on the thread that runs the journey, never re-entering it.
/// </summary>
public interface IJourneySink
{
    /// <summary>A frame leaves the emulation, exactly as it leaves (GENEVE-encapsulated on a tunnel port).</summary>
    void Output(in JourneyExit exit, ReadOnlySpan<byte> frame);

    /// <summary>
    /// A frame one node sent that the peer node now receives, what the sender's uplink carried: a GENEVE frame on a
    /// bridge's tunnel port (<see cref="JourneyExit.Port"/>), or a bridge-less host's underlay frame (vxlan.calico's
    /// outer packet) on its uplink device (<see cref="JourneyExit.Device"/>).
    /// </summary>
    void Transit(in JourneyExit via, ReadOnlySpan<byte> frame);

    /// <summary>A host accepted <paramref name="frame"/> for itself (INPUT: an echo request or reply, an ARP request, a local socket's segment).</summary>
    void Deliver(JourneyNode node, ReadOnlySpan<byte> frame);

    /// <summary>A frame ended in a drop (already counted by the bridge, the host or the journey).</summary>
    void Drop(in JourneyDrop drop);

    /// <summary>
    /// A pod's stack behind <paramref name="exit"/>'s port answered a frame that left there (an ARP reply), and the
    /// answer now enters the bridge on that port: what a capture on the pod's veth shows next to the request.
    /// </summary>
    void Answer(in JourneyExit exit, ReadOnlySpan<byte> frame)
    {
    }

    /// <summary>
    /// What <paramref name="node"/>'s host delivered to its local sockets, as they read it (<see cref="Host.IHostSink.Delivered"/>:
    /// NAT undone, a VXLAN datagram's inner frame), during the traversal whose delivery <see cref="Deliver"/> reports. The live
    /// daemon writes it into the node's namespace, where the node's own processes (curl) run.
    /// </summary>
    void DeliverLocal(JourneyNode node, ReadOnlySpan<byte> frame)
    {
    }
}
