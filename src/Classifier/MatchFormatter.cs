using System.Globalization;
using System.Text;
using Datapath.Packets;

namespace Datapath.Classifier;

/// <summary>
/// Prints a match in the order and forms of Open vSwitch's <c>match_format()</c> (lib/match.c):
/// priority, pkt_mark, recirc_id, conj_id, ct_*, the dl_type/nw_proto shorthand, registers, tunnel,
/// metadata, in_port, vlan_tci, dl_src, dl_dst, dl_type, L3 addresses, nw_proto/arp_op, arp_sha/tha,
/// nw_tos/ecn/ttl, nw_frag, L4 (icmp_*, nd_*, or tp_*), tcp_flags.
/// </summary>
/// <remarks>
/// Where our FlowKey differs from OVS's struct flow the printed text stays OVS's: arp_op has its own
/// storage here but prints where OVS prints it; ICMPv6 type/code print as <c>icmp_type</c>/<c>icmp_code</c>
/// after <c>icmp6</c>, as OVS 3.1 prints and parses them.
/// </remarks>
internal static class MatchFormatter
{
    public static void Format(StringBuilder sb, Match match, IPortMap? ports, int priority)
    {
        int start = sb.Length;
        if (priority != Match.DefaultPriority)
            sb.Append("priority=").Append(priority.ToString(CultureInfo.InvariantCulture)).Append(',');

        Field(sb, match, FieldId.PktMark, ports);
        Field(sb, match, FieldId.RecircId, ports);
        Field(sb, match, FieldId.ConjId, ports);
        Field(sb, match, FieldId.CtState, ports);
        Field(sb, match, FieldId.CtZone, ports);
        Field(sb, match, FieldId.CtMark, ports);
        Field(sb, match, FieldId.CtLabel, ports);
        Field(sb, match, FieldId.CtNwSrc, ports);
        Field(sb, match, FieldId.CtNwDst, ports);
        Field(sb, match, FieldId.CtNwProto, ports);
        Field(sb, match, FieldId.CtTpSrc, ports);
        Field(sb, match, FieldId.CtTpDst, ports);

        ref readonly FlowKey v = ref match.Value;
        ref readonly FlowKey m = ref match.Mask;
        bool typeFull = m.EthType == 0xffff;
        ushort dlType = typeFull ? v.EthType : (ushort)0;
        bool protoFull = m.NwProto == 0xff;
        bool skipType = false, skipProto = false;
        if (typeFull)
        {
            skipType = true;
            string? shorthand = null;
            if (dlType == EtherTypes.IPv4)
            {
                shorthand = "ip";
                if (protoFull)
                {
                    skipProto = true;
                    switch (v.NwProto)
                    {
                        case IpProtocols.Icmp: shorthand = "icmp"; break;
                        case IpProtocols.Tcp: shorthand = "tcp"; break;
                        case IpProtocols.Udp: shorthand = "udp"; break;
                        case 132: shorthand = "sctp"; break;
                        default: skipProto = false; break;
                    }
                }
            }
            else if (dlType == EtherTypes.IPv6)
            {
                shorthand = "ipv6";
                if (protoFull)
                {
                    skipProto = true;
                    switch (v.NwProto)
                    {
                        case 58: shorthand = "icmp6"; break;
                        case IpProtocols.Tcp: shorthand = "tcp6"; break;
                        case IpProtocols.Udp: shorthand = "udp6"; break;
                        case 132: shorthand = "sctp6"; break;
                        default: skipProto = false; break;
                    }
                }
            }
            else if (dlType == EtherTypes.Arp)
            {
                shorthand = "arp";
            }
            else if (dlType == EtherTypes.Rarp)
            {
                shorthand = "rarp";
            }
            else if (dlType == EtherTypes.Mpls)
            {
                shorthand = "mpls";
            }
            else if (dlType == EtherTypes.MplsMulticast)
            {
                shorthand = "mplsm";
            }
            else
            {
                skipType = false;
            }
            if (shorthand is not null)
                sb.Append(shorthand).Append(',');
        }

        for (int i = 0; i < 16; i++)
            Field(sb, match, FieldId.Reg0 + i, ports);

        Field(sb, match, FieldId.TunId, ports);
        Field(sb, match, FieldId.TunSrc, ports);
        Field(sb, match, FieldId.TunDst, ports);
        Field(sb, match, FieldId.TunIpv6Src, ports);
        Field(sb, match, FieldId.TunIpv6Dst, ports);
        Field(sb, match, FieldId.TunTos, ports);
        Field(sb, match, FieldId.TunTtl, ports);
        Field(sb, match, FieldId.TunFlags, ports);
        for (int i = 0; i < 8; i++)
            TunMetadata(sb, match, i);
        Field(sb, match, FieldId.Metadata, ports);
        Field(sb, match, FieldId.InPort, ports);
        Vlan(sb, v.VlanTci, m.VlanTci);
        Field(sb, match, FieldId.EthSrc, ports);
        Field(sb, match, FieldId.EthDst, ports);
        if (!skipType && m.EthType != 0)
            sb.Append("dl_type=0x").Append(v.EthType.ToString("x4", CultureInfo.InvariantCulture)).Append(',');

        bool isArp = typeFull && dlType is EtherTypes.Arp or EtherTypes.Rarp;
        if (typeFull && dlType == EtherTypes.IPv6)
        {
            Field(sb, match, FieldId.Ipv6Src, ports);
            Field(sb, match, FieldId.Ipv6Dst, ports);
            if (m.Ipv6Label != 0)
            {
                sb.Append("ipv6_label=0x").Append(v.Ipv6Label.ToString("x5", CultureInfo.InvariantCulture));
                if (m.Ipv6Label != 0xfffff)
                    sb.Append("/0x").Append(m.Ipv6Label.ToString("x5", CultureInfo.InvariantCulture));
                sb.Append(',');
            }
        }
        else if (isArp)
        {
            Field(sb, match, FieldId.ArpSpa, ports);
            Field(sb, match, FieldId.ArpTpa, ports);
        }
        else
        {
            Field(sb, match, FieldId.NwSrc, ports);
            Field(sb, match, FieldId.NwDst, ports);
            // Fields that only IPv6 has, should a match carry them without dl_type=0x86dd.
            Field(sb, match, FieldId.Ipv6Src, ports);
            Field(sb, match, FieldId.Ipv6Dst, ports);
        }
        if (isArp)
            Field(sb, match, FieldId.ArpOp, ports);
        else if (!skipProto)
            Field(sb, match, FieldId.NwProto, ports);
        if (!isArp && m.ArpOp != 0)
            Field(sb, match, FieldId.ArpOp, ports);
        bool isIcmp6 = typeFull && dlType == EtherTypes.IPv6 && protoFull && v.NwProto == 58;
        if (isArp)
        {
            Field(sb, match, FieldId.ArpSha, ports);
            Field(sb, match, FieldId.ArpTha, ports);
        }
        else if (!isIcmp6)
        {
            Field(sb, match, FieldId.ArpSha, ports);
            Field(sb, match, FieldId.ArpTha, ports);
        }
        if (typeFull && EtherTypes.IsMpls(dlType))
        {
            // The top label stack entry shares the storage of nw_tos/nw_ecn/nw_ttl (FlowKey); OVS prints it here.
            Field(sb, match, FieldId.MplsLabel, ports);
            Field(sb, match, FieldId.MplsTc, ports);
            Field(sb, match, FieldId.MplsTtl, ports);
            Field(sb, match, FieldId.MplsBos, ports);
        }
        else
        {
            Field(sb, match, FieldId.NwTos, ports);
            Field(sb, match, FieldId.NwEcn, ports);
            Field(sb, match, FieldId.NwTtl, ports);
        }
        Field(sb, match, FieldId.NwFrag, ports);
        if (typeFull && dlType == EtherTypes.IPv4 && protoFull && v.NwProto == IpProtocols.Icmp)
        {
            Field(sb, match, FieldId.IcmpType, ports);
            Field(sb, match, FieldId.IcmpCode, ports);
        }
        else if (isIcmp6)
        {
            // OVS prints ICMPv6's type and code as icmp_type/icmp_code (one tp_src/tp_dst) and reads them back so.
            Field(sb, match, FieldId.Icmpv6Type, ports, name: "icmp_type");
            Field(sb, match, FieldId.Icmpv6Code, ports, name: "icmp_code");
            Field(sb, match, FieldId.NdTarget, ports);
            Field(sb, match, FieldId.NdSll, ports);
            Field(sb, match, FieldId.NdTll, ports);
        }
        else
        {
            Field(sb, match, FieldId.TpSrc, ports);
            Field(sb, match, FieldId.TpDst, ports);
        }
        Field(sb, match, FieldId.TcpFlags, ports);
        Field(sb, match, FieldId.NdTarget, ports, onlyIf: !isIcmp6);

        if (sb.Length > start && sb[^1] == ',')
            sb.Length--;
    }

    // match_format's 802.1Q tag: dl_vlan/dl_vlan_pcp when the tag's presence and whole VID and/or PCP are
    // matched, else vlan_tci with its mask (none when all ones).
    private static void Vlan(StringBuilder sb, ushort tci, ushort mask)
    {
        if (mask == 0)
            return;
        int vid = mask & 0x0fff, pcp = mask & 0xe000;
        if ((mask & VlanTag.Cfi) != 0 && (tci & VlanTag.Cfi) != 0 && vid is 0 or 0x0fff && pcp is 0 or 0xe000 && (vid | pcp) != 0)
        {
            if (vid != 0)
                sb.Append("dl_vlan=").Append((tci & 0x0fff).ToString(CultureInfo.InvariantCulture)).Append(',');
            if (pcp != 0)
                sb.Append("dl_vlan_pcp=").Append((tci >> 13).ToString(CultureInfo.InvariantCulture)).Append(',');
            return;
        }
        sb.Append("vlan_tci=0x").Append(tci.ToString("x4", CultureInfo.InvariantCulture));
        if (mask != 0xffff)
            sb.Append("/0x").Append(mask.ToString("x4", CultureInfo.InvariantCulture));
        sb.Append(',');
    }

    // tun_metadata_match_format: a match on the option's presence alone prints bare ("tun_metadata0"),
    // as ovs-ofctl prints and parses it; with value bits it prints as any field.
    private static void TunMetadata(StringBuilder sb, Match match, int index)
    {
        FieldInfo f = FieldRegistry.Get(FieldId.TunMetadata0 + index);
        if (match.GetMask(f) != 0)
            Field(sb, match, f.Id, null);
        else if ((match.Mask.TunMetadataPresent & (1u << index)) != 0)
            sb.Append(f.Name).Append(',');
    }

    private static void Field(StringBuilder sb, Match match, FieldId id, IPortMap? ports, bool onlyIf = true, string? name = null)
    {
        if (!onlyIf)
            return;
        FieldInfo f = FieldRegistry.Get(id);
        UInt128 mask = match.GetMask(f);
        if (mask == 0)
            return;
        sb.Append(name ?? f.Name).Append('=').Append(FieldSyntax.FormatMaskedValue(f, match.GetValue(f), mask, ports)).Append(',');
    }
}
