namespace Datapath.Engine;

/// <summary>OpenFlow group types (ovs-ofctl(8) "Group Syntax").</summary>
public enum GroupType
{
    /// <summary>Every bucket, each on its own copy of the packet.</summary>
    All,
    /// <summary>One bucket, chosen by a hash of the flow weighted by bucket weight.</summary>
    Select,
    /// <summary>The single bucket.</summary>
    Indirect,
    /// <summary>The first bucket whose watch port is live (all our ports are live).</summary>
    FastFailover,
}
