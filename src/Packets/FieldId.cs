namespace Datapath.Packets;

/// <summary>Every field of <see cref="FlowKey"/> that rules can match or actions can write, in OVS's order.</summary>
public enum FieldId
{
    TunId, TunSrc, TunDst, TunIpv6Src, TunIpv6Dst, TunFlags, TunTos, TunTtl,
    TunMetadata0, TunMetadata1, TunMetadata2, TunMetadata3, TunMetadata4, TunMetadata5, TunMetadata6, TunMetadata7,
    Metadata,
    Reg0, Reg1, Reg2, Reg3, Reg4, Reg5, Reg6, Reg7, Reg8, Reg9, Reg10, Reg11, Reg12, Reg13, Reg14, Reg15,
    Xreg0, Xreg1, Xreg2, Xreg3, Xreg4, Xreg5, Xreg6, Xreg7,
    Xxreg0, Xxreg1, Xxreg2, Xxreg3,
    InPort, RecircId,
    CtState, CtZone, CtMark, CtLabel, CtNwSrc, CtNwDst, CtTpSrc, CtTpDst, CtNwProto,
    ConjId, PktMark,
    EthSrc, EthDst, EthType, VlanTci,
    ArpOp, ArpSpa, ArpTpa, ArpSha, ArpTha,
    NwSrc, NwDst, Ipv6Src, Ipv6Dst, Ipv6Label, NdTarget, NdSll, NdTll,
    NwProto, NwTos, NwEcn, NwTtl, NwFrag,
    TpSrc, TpDst, TcpFlags, IcmpType, IcmpCode, Icmpv6Type, Icmpv6Code,
    /// <summary>The top MPLS label stack entry's fields (see <see cref="FlowKey"/>: they share the storage of L3 fields an MPLS packet does not have).</summary>
    MplsLabel, MplsTc, MplsBos, MplsTtl,
}

/// <summary>What a rule must also match before it may match a field (ovs-fields(7) "Prerequisites").</summary>
public enum FieldPrerequisite
{
    None,
    /// <summary>dl_type is 0x0806 (arp) or 0x8035 (rarp).</summary>
    Arp,
    /// <summary>dl_type is 0x0800.</summary>
    Ipv4,
    /// <summary>dl_type is 0x0800 or, for the nw_src/nw_dst family, ARP (whose spa/tpa share the storage).</summary>
    Ipv4OrArp,
    /// <summary>dl_type is 0x86dd.</summary>
    Ipv6,
    /// <summary>dl_type is 0x0800 or 0x86dd.</summary>
    IpAny,
    /// <summary>IP and nw_proto is 6.</summary>
    Tcp,
    /// <summary>IP and nw_proto is 6, 17 or 132.</summary>
    TcpUdpSctp,
    /// <summary>IPv4 and nw_proto is 1.</summary>
    Icmpv4,
    /// <summary>IPv6 and nw_proto is 58.</summary>
    Icmpv6,
    /// <summary>ICMPv6 and icmp_type is 135 or 136 (neighbour discovery).</summary>
    Nd,
    /// <summary>ct_state has +trk and dl_type is IPv4 (ct_nw_*, ct_tp_*, ct_nw_proto).</summary>
    CtTracked,
    /// <summary>dl_type is 0x8847 (mpls) or 0x8848 (mplsm).</summary>
    Mpls,
}

/// <summary>How a field's value is written in OpenFlow flow syntax.</summary>
public enum FieldFormat
{
    Decimal,
    Hex,
    Mac,
    Ipv4,
    Ipv6,
    /// <summary>ct_state flags: +new-est+trk.</summary>
    CtState,
    /// <summary>tcp_flags: +syn-ack or a hex value.</summary>
    TcpFlags,
    /// <summary>nw_frag: no, yes, first, later, not_later.</summary>
    Frag,
    /// <summary>An OpenFlow port: a number or a port name.</summary>
    Port,
    /// <summary>tun_flags: +oam.</summary>
    TunFlags,
}
