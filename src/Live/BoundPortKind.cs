namespace Datapath.Live;

/// <summary>What a live port stands for on its node: a bridge port, a device of the node's host, or the host's own stack.</summary>
internal enum BoundPortKind
{
    /// <summary>A bridge port (a pod's OVS port): its frames enter the bridge.</summary>
    Bridge,
    /// <summary>A device of a node's host (a Calico pod's cali veth): its frames are received by the host on that device.</summary>
    HostDevice,
    /// <summary>
    /// The node's own processes (a TAP in the node's namespace): what they send leaves the host as its own packets
    /// (ip_local_out), and what the host's INPUT delivers to its local sockets is written to them.
    /// </summary>
    Local,
}
