namespace Datapath.Geneve;

/// <summary>Why a received GENEVE or VXLAN frame or datagram was dropped; callers count these (OVS coverage counters).</summary>
public enum GeneveDropReason : byte
{
    /// <summary>Not dropped.</summary>
    None = 0,
    /// <summary>The frame ends before the outer headers or the 8-byte GENEVE header do.</summary>
    Truncated,
    /// <summary>Not IPv4 or IPv6 carrying UDP to port 6081 (IPv6 extension headers included) (the caller handed us something that is not GENEVE).</summary>
    NotGeneve,
    /// <summary>Outer IPv4 header malformed (version, IHL, total length shorter than the header), or outer IPv6 header with another version or a zero payload length.</summary>
    BadIpHeader,
    /// <summary>Outer IPv4 header checksum wrong.</summary>
    BadIpChecksum,
    /// <summary>The outer IPv4 packet is a fragment (reassembly is the host's job, not the tunnel's).</summary>
    Fragmented,
    /// <summary>UDP length shorter than its header or past the IP payload.</summary>
    BadUdpLength,
    /// <summary>Non-zero UDP checksum that does not verify.</summary>
    BadUdpChecksum,
    /// <summary>GENEVE version other than 0 (RFC 8926 §3.4: MUST drop).</summary>
    UnsupportedVersion,
    /// <summary>Opt Len past the end of the packet, or an option past the option area.</summary>
    OptionsTruncated,
    /// <summary>An option with the critical bit set that the TLV map does not know (RFC 8926 §3.5: MUST drop).</summary>
    UnknownCriticalOption,
    /// <summary>A mapped (class, type) whose data length differs from the TLV map's len (OVS treats this as an error).</summary>
    OptionLengthMismatch,
    /// <summary>The protocol type is not the one the caller can deliver (an Ethernet port needs 0x6558).</summary>
    UnsupportedProtocol,
    /// <summary>The encapsulated Ethernet frame is shorter than an Ethernet header.</summary>
    InnerTruncated,
    /// <summary>An IPv6 outer datagram with a zero UDP checksum (RFC 8200 §8.1: receivers discard it).</summary>
    ZeroUdpChecksumIpv6,
    /// <summary>Not IPv4 or IPv6 carrying UDP to port 4789 (a VXLAN receiver was handed something else).</summary>
    NotVxlan,
    /// <summary>A VXLAN header without the I flag (RFC 7348: the VNI is not valid; Linux's vxlan_rcv drops it).</summary>
    VxlanFlagNotSet,
}
