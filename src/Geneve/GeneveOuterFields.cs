using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// The outer Ethernet/IP/UDP fields of a GENEVE frame: what the kernel adds around a socket's
/// payload, or what <see cref="GeneveOuterFrame"/> writes and reads for pcaps of the uplink.
/// The outer header is IPv4 (<see cref="Source"/>/<see cref="Destination"/>) or, when
/// <see cref="IsIpv6"/>, IPv6 (<see cref="Source6"/>/<see cref="Destination6"/>, <see cref="FlowLabel"/>);
/// the addresses of the other family are zero.
/// </summary>
public readonly record struct GeneveOuterFields
{
    public MacAddress EthSrc { get; init; }
    public MacAddress EthDst { get; init; }
    public Ipv4Address Source { get; init; }
    public Ipv4Address Destination { get; init; }
    /// <summary>The outer header is IPv6 (RFC 8200): Source6/Destination6 and FlowLabel apply, IpId and DontFragment do not.</summary>
    public bool IsIpv6 { get; init; }
    public Ipv6Address Source6 { get; init; }
    public Ipv6Address Destination6 { get; init; }
    /// <summary>The IPv6 flow label (20 bits); the encapsulator puts inner-flow entropy here (RFC 6438).</summary>
    public uint FlowLabel { get; init; }
    /// <summary>The whole outer TOS byte (DSCP and ECN), or the IPv6 traffic class.</summary>
    public byte Tos { get; init; }
    /// <summary>The IPv4 TTL or the IPv6 hop limit.</summary>
    public byte Ttl { get; init; }
    public bool DontFragment { get; init; }
    public ushort IpId { get; init; }
    public ushort UdpSource { get; init; }
    public ushort UdpDestination { get; init; }
    /// <summary>Written: compute the UDP checksum (always done over IPv6, where it is mandatory).
    /// Read: the datagram carried a (verified) non-zero checksum.</summary>
    public bool UdpChecksum { get; init; }
}
