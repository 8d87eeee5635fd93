namespace Datapath.Engine.Host;

/// <summary>Why the host stack dropped a frame (the kernel's SKB_DROP_REASON_*, named for users).</summary>
public enum HostDropReason
{
    /// <summary>The frame arrived on an interface the host does not have.</summary>
    NoSuchInterface,
    /// <summary>Truncated or malformed headers, bad IPv4 header checksum or length (ip_rcv's checks).</summary>
    Malformed,
    /// <summary>The destination MAC is neither ours nor broadcast/multicast (PACKET_OTHERHOST).</summary>
    OtherHost,
    /// <summary>Not ARP or IPv4 (the emulated host speaks IPv4 only).</summary>
    UnsupportedProtocol,
    /// <summary>An ARP packet that is not a request for one of our addresses nor a reply to us.</summary>
    ArpIgnored,
    /// <summary>A netfilter hook returned DROP: a rule, a chain policy, or conntrack (no free NAT tuple, confirmation failed).</summary>
    NetfilterDrop,
    /// <summary>A netfilter hook returned REJECT (an ICMP error or TCP reset is sent back).</summary>
    NetfilterReject,
    /// <summary>No route to the destination (ICMP network unreachable is sent back).</summary>
    NoRoute,
    /// <summary>A blackhole, unreachable or prohibit route.</summary>
    RouteRejected,
    /// <summary>Forwarding is off (net.ipv4.ip_forward=0) or the source is a martian.</summary>
    NotForwarded,
    /// <summary>TTL 1 or 0 on a packet to forward (ICMP time exceeded is sent back).</summary>
    TtlExpired,
    /// <summary>The next hop has no neighbour entry (the kernel would ARP and give up: ICMP host unreachable).</summary>
    NoNeighbor,
    /// <summary>The output device has no carrier (linkdown).</summary>
    LinkDown,
    /// <summary>Larger than the output device's MTU (DF set: ICMP fragmentation needed is sent back; we do not fragment).</summary>
    MtuExceeded,
}

/// <summary>The names host drop reasons have in reports and JSON (<c>no-route</c>, <c>ttl-expired</c>...).</summary>
public static class HostDropReasonNames
{
    public static string Name(HostDropReason reason) => reason switch
    {
        HostDropReason.NoSuchInterface => "no-such-interface",
        HostDropReason.Malformed => "malformed",
        HostDropReason.OtherHost => "other-host",
        HostDropReason.UnsupportedProtocol => "unsupported-protocol",
        HostDropReason.ArpIgnored => "arp-ignored",
        HostDropReason.NetfilterDrop => "netfilter-drop",
        HostDropReason.NetfilterReject => "netfilter-reject",
        HostDropReason.NoRoute => "no-route",
        HostDropReason.RouteRejected => "route-rejected",
        HostDropReason.NotForwarded => "not-forwarded",
        HostDropReason.TtlExpired => "ttl-expired",
        HostDropReason.NoNeighbor => "no-neighbor",
        HostDropReason.LinkDown => "link-down",
        HostDropReason.MtuExceeded => "mtu-exceeded",
        _ => reason.ToString(),
    };
}
