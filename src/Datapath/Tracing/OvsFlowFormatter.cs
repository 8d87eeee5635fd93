using System.Globalization;
using System.Text;
using Datapath.Classifier;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine.Tracing;

/// <summary>
/// A FlowKey as Open vSwitch 3.1's flow_format prints it in ofproto/trace (<c>Flow:</c>, <c>Final flow:</c>):
/// match_format of the packet's exact match with the all-zero context fields left out — recirc_id, ct_*,
/// <c>eth</c> after a recirc_id, the protocol, registers, the tunnel (every tun_* OVS keeps once tun_dst is set;
/// tun_id only with the key flag), in_port as a number, vlan_tci=0x0000, then the headers.
/// The ct_nw_*/ct_tp_* tuple is not printed: OVS's trace runs no conntrack, so its flows never have it.
/// </summary>
public static class OvsFlowFormatter
{
    public static string Format(in FlowKey key)
    {
        var sb = new StringBuilder();
        if (key.RecircId != 0)
            sb.Append("recirc_id=0x").Append(key.RecircId.ToString("x", CultureInfo.InvariantCulture)).Append(',');
        if (key.CtState != 0)
            sb.Append("ct_state=").Append(FlowFormatter.FormatCtState(key.CtState)).Append(',');
        if (key.CtZone != 0)
            sb.Append("ct_zone=").Append(key.CtZone).Append(',');
        if (key.CtMark != 0)
            sb.Append("ct_mark=").Append(FieldSyntax.CHex(key.CtMark)).Append(',');
        if (key.CtLabel != 0)
            sb.Append("ct_label=").Append(FieldSyntax.CHex(key.CtLabel)).Append(',');
        if (key.RecircId != 0)
            sb.Append("eth,");
        if (Shorthand(in key) is { } shorthand)
            sb.Append(shorthand).Append(',');
        for (int i = 0; i < 16; i++)
        {
            if (key.Regs[i] != 0)
                sb.Append("reg").Append(i).Append('=').Append(FieldSyntax.CHex(key.Regs[i])).Append(',');
        }
        Tunnel(sb, in key);
        if (key.Metadata != 0)
            sb.Append("metadata=").Append(FieldSyntax.CHex(key.Metadata)).Append(',');
        if (key.InPort != 0)
            sb.Append("in_port=").Append(OpenFlowPorts.ReservedName(key.InPort) ?? key.InPort.ToString(CultureInfo.InvariantCulture)).Append(',');
        sb.Append("vlan_tci=0x").Append(key.VlanTci.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
        if ((key.VlanTci & 0x1000) != 0 && key.VlanTci2 != 0)
            sb.Append("vlan_tci1=0x").Append(key.VlanTci2.ToString("x4", CultureInfo.InvariantCulture)).Append(',');
        sb.Append("dl_src=").Append(new MacAddress(key.EthSrc)).Append(",dl_dst=").Append(new MacAddress(key.EthDst)).Append(',');
        if (key.IsArp)
        {
            sb.Append("arp_spa=").Append(new Ipv4Address(key.NwSrc)).Append(",arp_tpa=").Append(new Ipv4Address(key.NwDst))
              .Append(",arp_op=").Append(key.ArpOp).Append(",arp_sha=").Append(new MacAddress(key.ArpSha)).Append(",arp_tha=").Append(new MacAddress(key.ArpTha));
            return sb.ToString();
        }
        if (!key.IsIp)
        {
            sb.Append("dl_type=0x").Append(key.EthType.ToString("x4", CultureInfo.InvariantCulture));
            return sb.ToString();
        }
        if (key.IsIpv4)
            sb.Append("nw_src=").Append(new Ipv4Address(key.NwSrc)).Append(",nw_dst=").Append(new Ipv4Address(key.NwDst)).Append(',');
        else
            sb.Append("ipv6_src=").Append(key.Ipv6Src).Append(",ipv6_dst=").Append(key.Ipv6Dst)
              .Append(",ipv6_label=0x").Append(key.Ipv6Label.ToString("x5", CultureInfo.InvariantCulture)).Append(',');
        if (Shorthand(in key) is "ip" or "ipv6")
            sb.Append("nw_proto=").Append(key.NwProto).Append(',');
        sb.Append("nw_tos=").Append(key.NwTos).Append(",nw_ecn=").Append(key.NwEcn).Append(",nw_ttl=").Append(key.NwTtl)
          .Append(",nw_frag=").Append(FieldSyntax.FormatValue(FieldRegistry.Get(FieldId.NwFrag), key.NwFrag, null));
        switch (key.NwProto)
        {
            case IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp:
                sb.Append(",tp_src=").Append(key.TpSrc).Append(",tp_dst=").Append(key.TpDst);
                if (key.NwProto == IpProtocols.Tcp)
                    sb.Append(",tcp_flags=").Append(FieldSyntax.FormatValue(FieldRegistry.Get(FieldId.TcpFlags), key.TcpFlags, null));
                break;
            case IpProtocols.Icmp or IpProtocols.Icmpv6:
                sb.Append(",icmp_type=").Append(key.TpSrc).Append(",icmp_code=").Append(key.TpDst);
                break;
        }
        return sb.ToString();
    }

    /// <summary>format_flow_tunnel over flow_wildcards_init_for_packet's tunnel mask.</summary>
    private static void Tunnel(StringBuilder sb, in FlowKey key)
    {
        if (key.TunDst == 0 && key.TunIpv6DstLo == 0 && key.TunIpv6DstHi == 0)
        {
            if (key.TunId != 0)
                sb.Append("tun_id=").Append(FieldSyntax.CHex(key.TunId)).Append(',');
            return;
        }
        if ((key.TunFlags & GeneveTunnelFlags.Key) != 0)
            sb.Append("tun_id=").Append(FieldSyntax.CHex(key.TunId)).Append(',');
        sb.Append("tun_src=").Append(new Ipv4Address(key.TunSrc)).Append(",tun_dst=").Append(new Ipv4Address(key.TunDst))
          .Append(",tun_ipv6_src=").Append(key.TunIpv6Src).Append(",tun_ipv6_dst=").Append(key.TunIpv6Dst)
          .Append(",tun_gbp_id=0,tun_gbp_flags=0,tun_tos=").Append(key.TunTos.ToString("x", CultureInfo.InvariantCulture))
          .Append(",tun_ttl=").Append(key.TunTtl).Append(",tun_erspan_ver=0,gtpu_flags=0,gtpu_msgtype=0,tun_flags=")
          .Append(TunnelFlags(key.TunFlags)).Append(',');
        for (int i = 0; i < 8; i++)
        {
            if ((key.TunMetadataPresent & (1u << i)) != 0)
                sb.Append("tun_metadata").Append(i).Append('=').Append(FieldSyntax.CHex(key.TunMetadata[i])).Append(',');
        }
    }

    /// <summary>OVS's flow_tun_flag_to_string order: df, csum, key, oam.</summary>
    public static string TunnelFlags(ushort flags)
    {
        if ((flags & (GeneveTunnelFlags.DontFragment | GeneveTunnelFlags.Csum | GeneveTunnelFlags.Key | GeneveTunnelFlags.Oam)) == 0)
            return "0";
        var parts = new List<string>(4);
        if ((flags & GeneveTunnelFlags.DontFragment) != 0) parts.Add("df");
        if ((flags & GeneveTunnelFlags.Csum) != 0) parts.Add("csum");
        if ((flags & GeneveTunnelFlags.Key) != 0) parts.Add("key");
        if ((flags & GeneveTunnelFlags.Oam) != 0) parts.Add("oam");
        return string.Join('|', parts);
    }

    private static string? Shorthand(in FlowKey key)
    {
        if (key.IsIpv4)
            return key.NwProto switch { IpProtocols.Tcp => "tcp", IpProtocols.Udp => "udp", IpProtocols.Icmp => "icmp", IpProtocols.Sctp => "sctp", _ => "ip" };
        if (key.IsIpv6)
            return key.NwProto switch { IpProtocols.Tcp => "tcp6", IpProtocols.Udp => "udp6", IpProtocols.Icmpv6 => "icmp6", IpProtocols.Sctp => "sctp6", _ => "ipv6" };
        if (key.IsArp)
            return key.EthType == EtherTypes.Rarp ? "rarp" : "arp";
        return null;
    }
}
