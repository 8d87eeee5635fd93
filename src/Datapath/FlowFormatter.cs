using System.Text;
using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Prints a FlowKey the way <c>ofproto/trace</c> prints its <c>Flow:</c> line: metadata that is
/// set, then the protocol shorthand and the header fields the packet has.
/// </summary>
public static class FlowFormatter
{
    public static string Format(in FlowKey flow, IPortMap? ports)
    {
        FlowKey key = flow;
        var sb = new StringBuilder();
        void F(FieldId id, bool onlyNonZero = false)
        {
            var f = FieldRegistry.Get(id);
            UInt128 v = FieldRegistry.Read(in key, f);
            if (onlyNonZero && v == UInt128.Zero)
                return;
            if (sb.Length > 0)
                sb.Append(',');
            sb.Append(f.Name).Append('=').Append(FieldSyntax.FormatValue(f, v, ports));
        }
        void Word(string w)
        {
            if (sb.Length > 0)
                sb.Append(',');
            sb.Append(w);
        }
        if (key.CtState != 0)
        {
            Word("ct_state=" + FormatCtState(key.CtState));
            F(FieldId.CtZone, true);
            F(FieldId.CtMark, true);
            F(FieldId.CtLabel, true);
        }
        Word(Shorthand(in key));
        for (int i = 0; i < 16; i++)
            F(FieldId.Reg0 + i, true);
        if (key.TunDst != 0 || key.TunSrc != 0 || key.HasTunIpv6)
        {
            F(FieldId.TunId);
            F(FieldId.TunSrc, key.HasTunIpv6);
            F(FieldId.TunDst, key.HasTunIpv6);
            F(FieldId.TunIpv6Src, true);
            F(FieldId.TunIpv6Dst, true);
            F(FieldId.TunFlags, true);
        }
        for (int i = 0; i < 8; i++)
        {
            if ((key.TunMetadataPresent & (1u << i)) != 0)
                F(FieldId.TunMetadata0 + i);
        }
        F(FieldId.InPort);
        F(FieldId.VlanTci);
        F(FieldId.EthSrc);
        F(FieldId.EthDst);
        if (key.IsArp)
        {
            F(FieldId.ArpSpa);
            F(FieldId.ArpTpa);
            F(FieldId.ArpOp);
            F(FieldId.ArpSha);
            F(FieldId.ArpTha);
        }
        else if (key.IsIpv4 || key.IsIpv6)
        {
            if (key.IsIpv4)
            {
                F(FieldId.NwSrc);
                F(FieldId.NwDst);
            }
            else
            {
                F(FieldId.Ipv6Src);
                F(FieldId.Ipv6Dst);
            }
            F(FieldId.NwTos);
            F(FieldId.NwEcn);
            F(FieldId.NwTtl);
            F(FieldId.NwFrag);
            if (key.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
            {
                F(FieldId.TpSrc);
                F(FieldId.TpDst);
                if (key.NwProto == IpProtocols.Tcp)
                    F(FieldId.TcpFlags);
            }
            else if (key.NwProto == IpProtocols.Icmp)
            {
                F(FieldId.IcmpType);
                F(FieldId.IcmpCode);
            }
        }
        else if (!key.IsIp && !key.IsArp)
            F(FieldId.EthType);
        return sb.ToString();
    }

    private static string Shorthand(in FlowKey key)
    {
        if (key.IsArp)
            return key.EthType == EtherTypes.Rarp ? "rarp" : "arp";
        if (key.IsIpv4)
            return key.NwProto switch { IpProtocols.Tcp => "tcp", IpProtocols.Udp => "udp", IpProtocols.Icmp => "icmp", IpProtocols.Sctp => "sctp", _ => "ip" };
        if (key.IsIpv6)
            return key.NwProto switch { IpProtocols.Tcp => "tcp6", IpProtocols.Udp => "udp6", IpProtocols.Icmpv6 => "icmp6", _ => "ipv6" };
        return "eth";
    }

    /// <summary><c>new|trk</c>, as ofproto/trace prints ct_state in a flow.</summary>
    public static string FormatCtState(uint state)
    {
        if (state == 0)
            return "0";
        var parts = new List<string>(4);
        if ((state & (uint)CtStateFlags.New) != 0) parts.Add("new");
        if ((state & (uint)CtStateFlags.Established) != 0) parts.Add("est");
        if ((state & (uint)CtStateFlags.Related) != 0) parts.Add("rel");
        if ((state & (uint)CtStateFlags.Reply) != 0) parts.Add("rpl");
        if ((state & (uint)CtStateFlags.Invalid) != 0) parts.Add("inv");
        if ((state & (uint)CtStateFlags.Tracked) != 0) parts.Add("trk");
        if ((state & (uint)CtStateFlags.SrcNat) != 0) parts.Add("snat");
        if ((state & (uint)CtStateFlags.DstNat) != 0) parts.Add("dnat");
        return string.Join('|', parts);
    }

    /// <summary><c>ct_state=new|trk,ct_zone=65520,ct_mark=0x20</c>.</summary>
    public static string FormatConntrack(in FlowKey key)
    {
        var sb = new StringBuilder("ct_state=").Append(FormatCtState(key.CtState));
        sb.Append(",ct_zone=").Append(key.CtZone);
        if (key.CtMark != 0)
            sb.Append(",ct_mark=0x").Append(key.CtMark.ToString("x"));
        if (key.CtLabelLo != 0 || key.CtLabelHi != 0)
            sb.Append(",ct_label=0x").Append(key.CtLabel.ToString("x"));
        return sb.ToString();
    }
}
