namespace Datapath.Engine.Tracing;

/// <summary>What a trace step records (the JSON <c>kind</c>).</summary>
public enum TraceKind
{
    /// <summary>A packet entering a bridge: the flow extracted from the frame.</summary>
    Ingress,
    /// <summary>A table lookup: the rule that matched (or the miss) and what its actions did.</summary>
    OpenFlow,
    /// <summary>The packet went through conntrack: zone, commit, NAT, the resulting ct_state.</summary>
    Conntrack,
    /// <summary>The pipeline resumes at a table after conntrack (OVS's recirc/thaw).</summary>
    Recirculation,
    /// <summary>GENEVE decapsulation on the tunnel port or encapsulation for it.</summary>
    Tunnel,
    /// <summary>OVS's NORMAL action: MAC learning and the forwarding decision.</summary>
    Normal,
    /// <summary>A group and the bucket(s) it ran.</summary>
    Group,
    /// <summary>The megaflow of one pass: the bits of the flow it consulted (OVS's "Megaflow:" line).</summary>
    Megaflow,
    /// <summary>The datapath actions one pass produced (OVS's "Datapath actions:" line).</summary>
    DatapathActions,
    /// <summary>The packet was dropped before or outside the tables (detail in the summary).</summary>
    Drop,
    /// <summary>A host's netfilter: table, chain, rule and verdict, as xtables-monitor --trace prints them.</summary>
    Netfilter,
    /// <summary>A host's routing decision (or local delivery).</summary>
    Route,
    /// <summary>A host's neighbour (ARP) resolution.</summary>
    Neighbor,
}
