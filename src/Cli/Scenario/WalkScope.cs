namespace Datapath.Cli.Scenario;

/// <summary>How far a frame is followed.</summary>
internal enum WalkScope
{
    /// <summary>Inside one bridge, stopping at its ports (ofproto/trace).</summary>
    Bridge,
    /// <summary>One whole node: its bridge and the host stack behind antrea-gw0; the tunnel port is the uplink.</summary>
    Node,
    /// <summary>Every node: GENEVE frames continue on the peer node.</summary>
    Cluster,
}
