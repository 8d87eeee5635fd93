namespace Datapath.Engine;

/// <summary>Why a packet left the bridge on no port (OVS's xlate errors and drop reasons, named for users).</summary>
public enum DropReason
{
    /// <summary>No rule matched in the table (OpenFlow table miss: drop).</summary>
    NoMatch,
    /// <summary>The matching rule's actions were <c>drop</c>.</summary>
    ExplicitDrop,
    /// <summary>The actions ended without any output.</summary>
    NoOutput,
    /// <summary>dec_ttl on a packet whose TTL/hop limit was 0 or 1 (which is also a counted punt: OVS sends a packet-in, OFPR_INVALID_TTL).</summary>
    TtlExpired,
    /// <summary>More than 64 nested resubmits to the same or an earlier table (OVS MAX_DEPTH).</summary>
    ResubmitDepth,
    /// <summary>More than 4096 resubmits in one translation (OVS MAX_RESUBMITS).</summary>
    TooManyResubmits,
    /// <summary>More recirculations than the datapath allows (a ct(table=) loop).</summary>
    RecirculationLimit,
    /// <summary>output to a port the bridge does not have.</summary>
    OutputPortMissing,
    /// <summary>output to the packet's own in_port without IN_PORT (OVS skips it).</summary>
    OutputToInPort,
    /// <summary>The frame arrived on a port the bridge does not have.</summary>
    IngressPortMissing,
    /// <summary>The frame is shorter than its headers say, or a header is malformed.</summary>
    Malformed,
    /// <summary>group:N with no such group, or a group with no bucket to run.</summary>
    GroupMissing,
    /// <summary>Sent to the controller, and this datapath has none (counted as a punt).</summary>
    ControllerPunt,
    /// <summary>A GENEVE frame on the tunnel port that could not be decapsulated: a truncated or malformed outer or GENEVE header (the more precise Tunnel* reasons below name the rest).</summary>
    TunnelDecap,
    /// <summary>Output to the tunnel port without a usable tun_dst (zero, our own address, no neighbour).</summary>
    TunnelEncap,
    /// <summary>An action needed header fields the packet does not have, or the frame could not be rewritten.</summary>
    ActionFailed,

    // Drops in a node's host stack (behind antrea-gw0; the kernel's SKB_DROP_REASON_*, named for users).
    // The host also uses Malformed (ip_rcv's checks) and TtlExpired (ip_forward, ICMP time exceeded sent back).
    /// <summary>A frame for a host device the host does not have.</summary>
    NoSuchInterface,
    /// <summary>Addressed to another host's MAC.</summary>
    OtherHost,
    /// <summary>A protocol the host stack does not handle.</summary>
    UnsupportedProtocol,
    /// <summary>An ARP request for an address that is not the host's.</summary>
    ArpIgnored,
    /// <summary>netfilter said DROP (or a NAT/confirm failure).</summary>
    NetfilterDrop,
    /// <summary>netfilter said REJECT.</summary>
    NetfilterReject,
    /// <summary>No route to the destination.</summary>
    NoRoute,
    /// <summary>A blackhole, unreachable or prohibit route.</summary>
    RouteRejected,
    /// <summary>IP forwarding is off.</summary>
    NotForwarded,
    /// <summary>The next hop's address could not be resolved: no answer to the ARP requests (FAILED, the kernel's SKB_DROP_REASON_NEIGH_FAILED), or the neighbour table is full.</summary>
    NoNeighbor,
    /// <summary>The egress link is down.</summary>
    LinkDown,
    /// <summary>Larger than the egress MTU with DF set.</summary>
    MtuExceeded,

    // Drops of the journey between bridges, hosts and nodes (Journey).
    /// <summary>A frame's journey took more bridge/host traversals than <c>Journey.MaxHops</c> (a loop).</summary>
    HopLimit,

    // GENEVE frames on the tunnel port, more precisely than TunnelDecap (RFC 8926 and OVS's checks).
    /// <summary>An option with the critical bit set that the TLV map does not know (RFC 8926 §3.5: MUST drop).</summary>
    TunnelCriticalOption,
    /// <summary>A GENEVE version other than 0 (RFC 8926 §3.4: MUST drop).</summary>
    TunnelBadVersion,
    /// <summary>The outer IPv4 header's or the UDP checksum does not verify, or an IPv6 outer datagram has a zero UDP checksum.</summary>
    TunnelBadChecksum,
    /// <summary>The outer destination is not this node's underlay address.</summary>
    TunnelNotForNode,

    /// <summary>ct(commit) found the connection table or the zone at its limit (<c>--ct-limit</c>, <c>--ct-zone-limit</c>): Linux and OVS's kernel datapath drop such a packet.</summary>
    CtLimit,

    /// <summary>A meter's drop band: the packet was over the band's rate (kbps or pktps, with its burst), as OVS's dp_netdev_run_meter drops it.</summary>
    Meter,
    /// <summary>A frame waiting for its next hop's ARP answer was pushed out of the neighbour's queue by newer ones (unres_qlen_bytes; SKB_DROP_REASON_NEIGH_QUEUEFULL).</summary>
    NeighborQueueFull,
}
