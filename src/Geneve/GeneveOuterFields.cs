using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// The outer Ethernet/IPv4/UDP fields of a GENEVE frame: what the kernel adds around a socket's
/// payload, or what <see cref="GeneveOuterFrame"/> writes and reads for pcaps of the uplink.
/// </summary>
public readonly record struct GeneveOuterFields
{
    public MacAddress EthSrc { get; init; }
    public MacAddress EthDst { get; init; }
    public Ipv4Address Source { get; init; }
    public Ipv4Address Destination { get; init; }
    /// <summary>The whole outer TOS byte (DSCP and ECN).</summary>
    public byte Tos { get; init; }
    public byte Ttl { get; init; }
    public bool DontFragment { get; init; }
    public ushort IpId { get; init; }
    public ushort UdpSource { get; init; }
    public ushort UdpDestination { get; init; }
    /// <summary>Written: compute the UDP checksum. Read: the datagram carried a (verified) non-zero checksum.</summary>
    public bool UdpChecksum { get; init; }
}
