namespace Datapath.Engine;

/// <summary>How far a <see cref="Journey"/> follows a frame.</summary>
public enum JourneyScope
{
    /// <summary>Inside one bridge, stopping at its ports (as <c>ovs-appctl ofproto/trace</c>): antrea-gw0 and the tunnel port are exits.</summary>
    Bridge,
    /// <summary>One whole node: the bridge and the host stack behind antrea-gw0; the tunnel port is the uplink (an exit).</summary>
    Node,
    /// <summary>Every node: GENEVE frames on a tunnel port continue on the node whose underlay address is the outer destination.</summary>
    Cluster,
}
