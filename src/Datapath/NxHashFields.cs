namespace Datapath.Engine;

/// <summary>
/// The fields bundle and multipath hash (OVS's <c>enum nx_hash_fields</c>), by the names ovs-actions(7) gives them.
/// <see cref="FlowHashFields"/> parses, prints and hashes them.
/// </summary>
public enum NxHashFields
{
    /// <summary><c>eth_src</c>: the Ethernet source only.</summary>
    EthSrc,
    /// <summary><c>symmetric_l4</c>: MACs, VLAN, dl_type, IP addresses, protocol, TCP/SCTP ports, each pair XORed.</summary>
    SymmetricL4,
    /// <summary><c>symmetric_l3l4</c>: IP addresses, protocol and TCP/SCTP ports, symmetric; L2 for non-IP.</summary>
    SymmetricL3L4,
    /// <summary><c>symmetric_l3l4+udp</c>: as <see cref="SymmetricL3L4"/> with UDP ports too.</summary>
    SymmetricL3L4Udp,
    /// <summary><c>nw_src</c>: the IPv4 or IPv6 source.</summary>
    NwSrc,
    /// <summary><c>nw_dst</c>: the IPv4 or IPv6 destination.</summary>
    NwDst,
    /// <summary><c>symmetric_l3</c>: the XORed IPv4 or IPv6 addresses and dl_type.</summary>
    SymmetricL3,
}
