using Datapath.Classifier;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// The flow-string entry point of <c>datapath trace</c>: <c>ofproto/trace</c>-style flow text
/// (<c>in_port=49,tcp,dl_src=..,nw_src=..,tp_dst=80,tcp_flags=syn</c>) to a FlowKey, and a frame
/// synthesized from it so the outputs can show real bytes. Unspecified fields are zero, except
/// nw_ttl, which is 64 (a TTL of 0 would expire at the first dec_ttl).
/// </summary>
public static class FlowText
{
    /// <summary>Parses flow text; errors throw an <see cref="InputException"/> located at <c>FLOW:1:COL</c>.</summary>
    public static FlowKey ParseKey(string text, IPortMap? ports, out FlowKey mask)
    {
        var pf = FlowParser.ParseFilter(text, ports, "FLOW", 1);
        var key = pf.Match.Value;
        mask = pf.Match.Mask;
        if (key.IsIp && mask.NwTtl == 0)
            key.NwTtl = PacketBuilder.DefaultTtl;
        return key;
    }

    /// <summary>A valid frame (correct checksums) carrying the key's headers.</summary>
    public static byte[] BuildFrame(in FlowKey key)
    {
        var src = new MacAddress(key.EthSrc);
        var dst = new MacAddress(key.EthDst);
        byte[] frame;
        if (key.IsArp)
            frame = PacketBuilder.Arp(key.ArpOp, new MacAddress(key.ArpSha), new Ipv4Address(key.NwSrc), new MacAddress(key.ArpTha), new Ipv4Address(key.NwDst), src, dst);
        else if (key.IsIpv4)
        {
            var sip = new Ipv4Address(key.NwSrc);
            var dip = new Ipv4Address(key.NwDst);
            frame = key.NwProto switch
            {
                IpProtocols.Tcp => PacketBuilder.Tcp(src, dst, sip, dip, key.TpSrc, key.TpDst, (TcpFlags)key.TcpFlags, ttl: key.NwTtl, tos: (byte)(key.NwTos | key.NwEcn)),
                IpProtocols.Udp => PacketBuilder.Udp(src, dst, sip, dip, key.TpSrc, key.TpDst, ttl: key.NwTtl, tos: (byte)(key.NwTos | key.NwEcn)),
                IpProtocols.Icmp => PacketBuilder.Icmp(src, dst, sip, dip, (byte)key.TpSrc, (byte)key.TpDst, 0, ttl: key.NwTtl),
                _ => PacketBuilder.Ipv4(src, dst, sip, dip, key.NwProto, ReadOnlySpan<byte>.Empty, ttl: key.NwTtl, tos: (byte)(key.NwTos | key.NwEcn)),
            };
        }
        else if (key.IsIpv6)
        {
            var sip = key.Ipv6Src;
            var dip = key.Ipv6Dst;
            byte tclass = (byte)(key.NwTos | key.NwEcn);
            frame = key.NwProto switch
            {
                IpProtocols.Tcp => PacketBuilder.Tcp6(src, dst, sip, dip, key.TpSrc, key.TpDst, (TcpFlags)key.TcpFlags, hopLimit: key.NwTtl, flowLabel: key.Ipv6Label),
                IpProtocols.Udp => PacketBuilder.Udp6(src, dst, sip, dip, key.TpSrc, key.TpDst, hopLimit: key.NwTtl, flowLabel: key.Ipv6Label),
                IpProtocols.Icmpv6 when key.TpSrc is 128 or 129 => PacketBuilder.Icmpv6Echo(src, dst, sip, dip, reply: key.TpSrc == 129, 0, 0, hopLimit: key.NwTtl),
                _ => PacketBuilder.Ipv6(src, dst, sip, dip, key.NwProto, ReadOnlySpan<byte>.Empty, key.NwTtl, tclass, key.Ipv6Label),
            };
        }
        else
        {
            frame = new byte[60];
            dst.Write(frame);
            src.Write(frame.AsSpan(6));
            frame[12] = (byte)(key.EthType >> 8);
            frame[13] = (byte)key.EthType;
        }
        if ((key.VlanTci & 0x1000) != 0)
            frame = PacketBuilder.WithVlan(frame, (ushort)(key.VlanTci & ~0x1000));
        return frame;
    }
}
