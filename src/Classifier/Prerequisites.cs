using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// ovs-fields(7) "Field Prerequisites": a match on a field is valid only if the match also pins
/// down what makes the field meaningful (nw_src needs ip or arp; tp_dst needs tcp, udp or sctp...).
/// OVS refuses such flows with OFPBMC_BAD_PREREQ ("A prerequisite was not met"); so do we.
/// </summary>
public static class Prerequisites
{
    /// <summary>Null when <paramref name="field"/>'s prerequisite holds in <paramref name="match"/>, else the reason.</summary>
    public static string? Check(Match match, FieldInfo field)
    {
        ArgumentNullException.ThrowIfNull(match);
        ArgumentNullException.ThrowIfNull(field);
        bool ok = field.Prerequisite switch
        {
            FieldPrerequisite.None => true,
            FieldPrerequisite.Arp => DlTypeIs(match, EtherTypes.Arp) || DlTypeIs(match, EtherTypes.Rarp),
            FieldPrerequisite.Ipv4 => DlTypeIs(match, EtherTypes.IPv4),
            FieldPrerequisite.Ipv4OrArp => DlTypeIs(match, EtherTypes.IPv4) || DlTypeIs(match, EtherTypes.Arp) || DlTypeIs(match, EtherTypes.Rarp),
            FieldPrerequisite.Ipv6 => DlTypeIs(match, EtherTypes.IPv6),
            FieldPrerequisite.IpAny => IsIp(match),
            FieldPrerequisite.Tcp => IsIp(match) && ProtoIs(match, IpProtocols.Tcp),
            FieldPrerequisite.TcpUdpSctp => IsIp(match) && (ProtoIs(match, IpProtocols.Tcp) || ProtoIs(match, IpProtocols.Udp) || ProtoIs(match, IpProtocols.Sctp)),
            FieldPrerequisite.Icmpv4 => DlTypeIs(match, EtherTypes.IPv4) && ProtoIs(match, IpProtocols.Icmp),
            FieldPrerequisite.Icmpv6 => DlTypeIs(match, EtherTypes.IPv6) && ProtoIs(match, IpProtocols.Icmpv6),
            FieldPrerequisite.Nd => DlTypeIs(match, EtherTypes.IPv6) && ProtoIs(match, IpProtocols.Icmpv6)
                && match.GetMask(FieldId.Icmpv6Type) == 0xff && (uint)match.GetValue(FieldId.Icmpv6Type) is 135 or 136,
            FieldPrerequisite.CtTracked => (match.GetMask(FieldId.CtState) & (uint)CtStateFlags.Tracked) != 0
                && (match.GetValue(FieldId.CtState) & (uint)CtStateFlags.Tracked) != 0 && DlTypeIs(match, EtherTypes.IPv4),
            FieldPrerequisite.Mpls => DlTypeIs(match, EtherTypes.Mpls) || DlTypeIs(match, EtherTypes.MplsMulticast),
            _ => true,
        };
        if (ok)
            return null;
        string need = field.Prerequisite switch
        {
            FieldPrerequisite.Arp => "arp or rarp (dl_type=0x0806 or 0x8035)",
            FieldPrerequisite.Ipv4 => "ip (dl_type=0x0800)",
            FieldPrerequisite.Ipv4OrArp => "ip or arp (dl_type=0x0800, 0x0806 or 0x8035)",
            FieldPrerequisite.Ipv6 => "ipv6 (dl_type=0x86dd)",
            FieldPrerequisite.IpAny => "ip or ipv6 (dl_type=0x0800 or 0x86dd)",
            FieldPrerequisite.Tcp => "tcp or tcp6 (nw_proto=6)",
            FieldPrerequisite.TcpUdpSctp => "tcp, udp or sctp (nw_proto=6, 17 or 132, with ip or ipv6)",
            FieldPrerequisite.Icmpv4 => "icmp (dl_type=0x0800, nw_proto=1)",
            FieldPrerequisite.Icmpv6 => "icmp6 (dl_type=0x86dd, nw_proto=58)",
            FieldPrerequisite.Nd => "icmp6 with icmpv6_type=135 or 136 (neighbor discovery)",
            FieldPrerequisite.CtTracked => "ip with ct_state=+trk",
            FieldPrerequisite.Mpls => "mpls or mplsm (dl_type=0x8847 or 0x8848)",
            _ => "its prerequisite",
        };
        return $"{field.Name}: prerequisites not met (OFPBMC_BAD_PREREQ: a prerequisite was not met): {field.Name} requires {need}";
    }

    private static bool DlTypeIs(Match m, ushort type) => m.Mask.EthType == 0xffff && m.Value.EthType == type;

    private static bool IsIp(Match m) => DlTypeIs(m, EtherTypes.IPv4) || DlTypeIs(m, EtherTypes.IPv6);

    private static bool ProtoIs(Match m, byte proto) => m.Mask.NwProto == 0xff && m.Value.NwProto == proto;
}
