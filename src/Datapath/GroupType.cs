namespace Datapath.Engine;

/// <summary>OpenFlow group types (ovs-ofctl(8) "Group Syntax").</summary>
public enum GroupType
{
    /// <summary>Every bucket, each on its own copy of the packet.</summary>
    All,
    /// <summary>One bucket, chosen as OVS chooses it (dp_hash, hash of fields, or the default method; see FlowGroup).</summary>
    Select,
    /// <summary>The single bucket.</summary>
    Indirect,
    /// <summary>The first live bucket: its watched port is on the bridge, or its watched group has a live bucket.</summary>
    FastFailover,
}
