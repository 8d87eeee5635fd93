namespace Datapath.Packets;

/// <summary>
/// The header fields <see cref="PacketEditor.ApplyFields"/> rewrites in place: the fields a datapath <c>set(...)</c>
/// action writes (OVS's set(eth), set(vlan), set(arp), set(mpls), set(ipv4), set(ipv6), set(tcp/udp), set(icmp)).
/// Which apply is found by <see cref="PacketEditor.Diff"/> from two keys; the flow cache finds it once per megaflow.
/// </summary>
[Flags]
public enum HeaderFields : uint
{
    None = 0,
    EthSrc = 1 << 0,
    EthDst = 1 << 1,
    /// <summary>The outer tag's TCI (both keys have the tag).</summary>
    VlanTci = 1 << 2,
    ArpOp = 1 << 3,
    ArpSha = 1 << 4,
    ArpTha = 1 << 5,
    ArpSpa = 1 << 6,
    ArpTpa = 1 << 7,
    /// <summary>The top MPLS label stack entry.</summary>
    MplsLse = 1 << 8,
    Ipv4Src = 1 << 9,
    Ipv4Dst = 1 << 10,
    Ipv6Src = 1 << 11,
    Ipv6Dst = 1 << 12,
    Ipv6Label = 1 << 13,
    /// <summary>The DSCP bits (IPv4 TOS or IPv6 traffic class).</summary>
    NwTos = 1 << 14,
    NwEcn = 1 << 15,
    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    NwTtl = 1 << 16,
    /// <summary>TCP/UDP/SCTP source port or ICMP type.</summary>
    TpSrc = 1 << 17,
    /// <summary>TCP/UDP/SCTP destination port or ICMP code.</summary>
    TpDst = 1 << 18,
}
