namespace Datapath.Engine;

/// <summary>What is behind an OVS port.</summary>
public enum PortKind
{
    /// <summary>A pod's veth (Antrea's interface_type container).</summary>
    Pod,
    /// <summary>The node's internal gateway port (antrea-gw0): frames go to the host stack.</summary>
    Gateway,
    /// <summary>A flow-based GENEVE tunnel port (remote_ip=flow, key=flow): frames leave on the uplink encapsulated.</summary>
    Tunnel,
    /// <summary>Another internal port (OVS LOCAL and the like).</summary>
    Internal,
}
