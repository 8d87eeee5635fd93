namespace Datapath.Engine;

/// <summary>Where on a node a <see cref="JourneyDrop"/> happened.</summary>
public enum JourneyDropPlace
{
    /// <summary>In the bridge: an OpenFlow table (<see cref="JourneyDrop.Table"/>) or outside the tables (ingress, tunnel).</summary>
    Bridge,
    /// <summary>In the host stack behind antrea-gw0, on the frame it received.</summary>
    Host,
    /// <summary>In the host stack, on a packet the host generated (an ARP or echo reply, an ICMP error).</summary>
    HostGenerated,
    /// <summary>In the host stack, on a frame that waited for its neighbour (its queue overflowed, or the neighbour FAILED).</summary>
    HostQueued,
    /// <summary>Between traversals: the journey itself ended the frame (<see cref="DropReason.HopLimit"/>).</summary>
    Journey,
}
