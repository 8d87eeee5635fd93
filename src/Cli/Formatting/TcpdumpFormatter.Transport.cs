using System.Buffers.Binary;
using System.Text;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Cli.Formatting;

internal sealed partial class TcpdumpFormatter
{
    /// <summary>print-tcp.c: Flags [S.], seq, ack, win, urg, options [...], length, and the HTTP first line.</summary>
    private void AppendTcp(StringBuilder sb, ReadOnlySpan<byte> segment, int length, UInt128 src, UInt128 dst)
    {
        if (!TcpHeader.TryRead(segment, out var tcp))
        {
            sb.Append(" [|tcp]");
            return;
        }
        TcpFlags flags = tcp.Flags;
        sb.Append("Flags [");
        AppendTcpFlags(sb, flags);
        sb.Append(']');
        uint seq = tcp.SequenceNumber;
        uint ack = tcp.AcknowledgmentNumber;
        (uint seqBase, uint ackBase) = AbsoluteSequenceNumbers
            ? (0u, 0u)
            : _sequences.Observe(src, tcp.SourcePort, dst, tcp.DestinationPort, (flags & TcpFlags.Ack) != 0, (flags & TcpFlags.Syn) != 0, seq, ack);
        seq -= seqBase;
        ack -= ackBase;
        int headerLength = tcp.HeaderLength;
        if (headerLength > length)
        {
            sb.Append(" [bad hdr length ").Append(headerLength).Append(" - too long, > ").Append(length).Append(']');
            return;
        }
        int dataLength = length - headerLength;
        if (dataLength > 0 || (flags & (TcpFlags.Syn | TcpFlags.Fin | TcpFlags.Rst)) != 0)
        {
            sb.Append(", seq ").Append(seq);
            if (dataLength > 0)
                sb.Append(':').Append(unchecked(seq + (uint)dataLength));
        }
        if ((flags & TcpFlags.Ack) != 0)
            sb.Append(", ack ").Append(ack);
        sb.Append(", win ").Append(tcp.Window);
        if ((flags & TcpFlags.Urg) != 0)
            sb.Append(", urg ").Append(tcp.UrgentPointer);
        if (headerLength > TcpHeader.MinLength)
        {
            sb.Append(", options [");
            AppendTcpOptions(sb, tcp.OptionBytes, ackBase);
            sb.Append(']');
        }
        sb.Append(", length ").Append(dataLength);
        if (dataLength > 0 && (tcp.SourcePort is 80 or 8080 || tcp.DestinationPort is 80 or 8080))
            AppendHttp(sb, segment[headerLength..]);
    }

    private static void AppendTcpFlags(StringBuilder sb, TcpFlags flags)
    {
        // print-tcp.c tcp_flag_values order: F S R P . U E W
        int start = sb.Length;
        if ((flags & TcpFlags.Fin) != 0) sb.Append('F');
        if ((flags & TcpFlags.Syn) != 0) sb.Append('S');
        if ((flags & TcpFlags.Rst) != 0) sb.Append('R');
        if ((flags & TcpFlags.Psh) != 0) sb.Append('P');
        if ((flags & TcpFlags.Ack) != 0) sb.Append('.');
        if ((flags & TcpFlags.Urg) != 0) sb.Append('U');
        if ((flags & TcpFlags.Ece) != 0) sb.Append('E');
        if ((flags & TcpFlags.Cwr) != 0) sb.Append('W');
        if (sb.Length == start)
            sb.Append("none");
    }

    private static void AppendTcpOptions(StringBuilder sb, ReadOnlySpan<byte> options, uint ackBase)
    {
        bool first = true;
        var e = new TcpOptions(options).GetEnumerator();
        while (e.MoveNext())
        {
            var o = e.Current;
            if (!first)
                sb.Append(',');
            first = false;
            ReadOnlySpan<byte> d = o.Data;
            switch (o.Kind)
            {
                case TcpOptionKinds.EndOfList:
                    sb.Append("eol");
                    break;
                case TcpOptionKinds.Nop:
                    sb.Append("nop");
                    break;
                case TcpOptionKinds.Mss when d.Length == 2:
                    sb.Append("mss ").Append(BinaryPrimitives.ReadUInt16BigEndian(d));
                    break;
                case TcpOptionKinds.WindowScale when d.Length == 1:
                    sb.Append("wscale ").Append(d[0]);
                    break;
                case TcpOptionKinds.SackPermitted when d.Length == 0:
                    sb.Append("sackOK");
                    break;
                case TcpOptionKinds.Sack when d.Length % 8 == 0:
                    sb.Append("sack ").Append(d.Length / 8).Append(' ');
                    for (int i = 0; i < d.Length; i += 8)
                    {
                        uint s = BinaryPrimitives.ReadUInt32BigEndian(d[i..]) - ackBase;
                        uint t = BinaryPrimitives.ReadUInt32BigEndian(d[(i + 4)..]) - ackBase;
                        sb.Append('{').Append(s).Append(':').Append(t).Append('}');
                    }
                    break;
                case TcpOptionKinds.Timestamps when d.Length == 8:
                    sb.Append("TS val ").Append(BinaryPrimitives.ReadUInt32BigEndian(d)).Append(" ecr ").Append(BinaryPrimitives.ReadUInt32BigEndian(d[4..]));
                    break;
                default:
                    sb.Append("unknown-").Append(o.Kind);
                    foreach (byte b in d)
                        sb.Append(b.ToString("x2"));
                    break;
            }
        }
        if (e.Malformed)
            sb.Append(first ? "" : ",").Append("[bad opt]");
    }

    /// <summary>print-http.c without -v: ": HTTP" and, when the payload starts with a request or status line, that line.</summary>
    private static void AppendHttp(StringBuilder sb, ReadOnlySpan<byte> payload)
    {
        sb.Append(": HTTP");
        int end = payload.IndexOf("\r\n"u8);
        if (end < 0)
            return;
        string line = Encoding.ASCII.GetString(payload[..end]);
        ReadOnlySpan<string> starts = ["GET ", "PUT ", "POST ", "HEAD ", "DELETE ", "OPTIONS ", "TRACE ", "CONNECT ", "PATCH ", "HTTP/"];
        foreach (string s in starts)
        {
            if (line.StartsWith(s, StringComparison.Ordinal))
            {
                sb.Append(": ");
                foreach (char c in line)
                    sb.Append(c is >= ' ' and < (char)0x7F ? c : '.');
                return;
            }
        }
    }

    /// <summary>print-udp.c: GENEVE on port 6081, VXLAN on 4789, else "UDP, length N".</summary>
    private void AppendUdp(StringBuilder sb, ReadOnlySpan<byte> datagram, int length)
    {
        if (!UdpHeader.TryRead(datagram, out var udp))
        {
            sb.Append(" [|udp]");
            return;
        }
        int udpLength = udp.DatagramLength;
        if (udpLength < UdpHeader.Length || udpLength > length)
        {
            sb.Append("UDP, bad length ").Append(udpLength).Append(" > ").Append(length);
            return;
        }
        ReadOnlySpan<byte> payload = datagram[UdpHeader.Length..Math.Min(datagram.Length, udpLength)];
        int payloadLength = udpLength - UdpHeader.Length;
        if (udp.SourcePort == GeneveHeader.UdpPort || udp.DestinationPort == GeneveHeader.UdpPort)
        {
            AppendGeneve(sb, payload, payloadLength);
            return;
        }
        if (udp.SourcePort == VxlanHeader.UdpPort || udp.DestinationPort == VxlanHeader.UdpPort)
        {
            AppendVxlan(sb, payload, payloadLength);
            return;
        }
        sb.Append("UDP, length ").Append(payloadLength);
    }

    /// <summary>
    /// print-vxlan.c: "VXLAN, flags [I] (0x08), vni 4096" ("[invalid]" without the I bit), a line break (tcpdump prints one), and the
    /// inner frame as an Ethernet frame of its own.
    /// </summary>
    private void AppendVxlan(StringBuilder sb, ReadOnlySpan<byte> data, int length)
    {
        sb.Append("VXLAN, ");
        if (!VxlanHeader.TryRead(data, out var v))
        {
            sb.Append("[|vxlan]");
            return;
        }
        sb.Append("flags [").Append(v.HasValidVni ? "I" : "invalid").Append("] (0x").Append(v.Flags.ToString("x2"))
          .Append("), vni ").Append(v.Vni).Append('\n');
        AppendFrame(sb, data[VxlanHeader.Length..], length - VxlanHeader.Length);
    }

    /// <summary>print-geneve.c without -v: "Geneve, Flags [..], vni 0x.., proto TEB (0x6558)[, options [N bytes]]: " and the inner frame.</summary>
    private void AppendGeneve(StringBuilder sb, ReadOnlySpan<byte> data, int length)
    {
        sb.Append("Geneve");
        if (!GeneveHeader.TryRead(data, out var g))
        {
            sb.Append(" [|geneve]");
            return;
        }
        if (g.Version != GeneveHeader.CurrentVersion)
        {
            sb.Append(" ERROR: unknown-version ").Append(g.Version);
            return;
        }
        sb.Append(", Flags [");
        if (!g.Oam && !g.Critical)
            sb.Append("none");
        if (g.Oam)
            sb.Append('O');
        if (g.Critical)
            sb.Append('C');
        sb.Append("], vni 0x").Append(g.Vni.ToString("x"));
        ushort proto = g.ProtocolType;
        string name = EtherTypeNames.Get(proto);
        sb.Append(", proto ").Append(name == "Unknown" ? "unknown" : name).Append(" (0x").Append(proto.ToString("x4")).Append(')');
        if (g.OptionsLength > 0)
            sb.Append(", options [").Append(g.OptionsLength).Append(" bytes]");
        sb.Append(": ");
        ReadOnlySpan<byte> inner = data[g.HeaderLength..];
        int innerLength = length - g.HeaderLength;
        switch (proto)
        {
            case EtherTypes.TransparentEthernetBridging:
                AppendFrame(sb, inner, innerLength);
                break;
            case EtherTypes.IPv4:
                AppendIpv4(sb, inner, innerLength);
                break;
            case EtherTypes.IPv6:
                AppendIpv6(sb, inner, innerLength);
                break;
            default:
                HexDump.Append(sb, inner);
                break;
        }
    }

    /// <summary>print-icmp.c: echo request/reply with id and seq, unreachables, time exceeded.</summary>
    private static void AppendIcmp(StringBuilder sb, ReadOnlySpan<byte> message, int length)
    {
        if (!IcmpHeader.TryRead(message, out var icmp))
        {
            sb.Append("ICMP [|icmp]");
            return;
        }
        sb.Append("ICMP ");
        switch (icmp.Type)
        {
            case IcmpHeader.TypeEchoRequest or IcmpHeader.TypeEchoReply:
                sb.Append(icmp.Type == IcmpHeader.TypeEchoRequest ? "echo request" : "echo reply")
                    .Append(", id ").Append(icmp.Identifier).Append(", seq ").Append(icmp.SequenceNumber);
                break;
            case IcmpHeader.TypeDestinationUnreachable:
                AppendUnreachable(sb, icmp.Code, message[IcmpHeader.Length..]);
                break;
            case IcmpHeader.TypeTimeExceeded:
                sb.Append(icmp.Code == 0 ? "time exceeded in-transit" : icmp.Code == 1 ? "ip reassembly time exceeded" : $"time exceeded-#{icmp.Code}");
                break;
            default:
                sb.Append("type-#").Append(icmp.Type);
                break;
        }
        sb.Append(", length ").Append(length);
    }

    private static void AppendUnreachable(StringBuilder sb, byte code, ReadOnlySpan<byte> original)
    {
        if (!Ipv4Header.TryRead(original, out var ip))
        {
            sb.Append("unreachable code ").Append(code);
            return;
        }
        string dst = ip.Destination.ToString();
        ReadOnlySpan<byte> l4 = original[ip.HeaderLength..];
        switch (code)
        {
            case 0:
                sb.Append("net ").Append(dst).Append(" unreachable");
                break;
            case 1:
                sb.Append("host ").Append(dst).Append(" unreachable");
                break;
            case 2:
                sb.Append(dst).Append(" protocol ").Append(ip.Protocol).Append(" unreachable");
                break;
            case 3 when l4.Length >= 4 && ip.Protocol is IpProtocols.Tcp or IpProtocols.Udp:
                sb.Append(dst).Append(ip.Protocol == IpProtocols.Tcp ? " tcp" : " udp").Append(" port ")
                    .Append(BinaryPrimitives.ReadUInt16BigEndian(l4[2..])).Append(" unreachable");
                break;
            default:
                sb.Append(dst).Append(" unreachable - code ").Append(code);
                break;
        }
    }

    /// <summary>print-icmp6.c without -v.</summary>
    private static void AppendIcmpv6(StringBuilder sb, ReadOnlySpan<byte> message, int length)
    {
        if (!Icmpv6Header.TryRead(message, out var icmp))
        {
            sb.Append("ICMP6 [|icmp6]");
            return;
        }
        sb.Append("ICMP6, ");
        switch (icmp.Type)
        {
            case Icmpv6Header.TypeEchoRequest or Icmpv6Header.TypeEchoReply:
                sb.Append(icmp.Type == Icmpv6Header.TypeEchoRequest ? "echo request" : "echo reply")
                    .Append(", id ").Append(icmp.Identifier).Append(", seq ").Append(icmp.SequenceNumber);
                break;
            case Icmpv6Header.TypeNeighborSolicitation when icmp.TryGetNdTarget(out var target):
                sb.Append("neighbor solicitation, who has ").Append(target.ToString());
                break;
            case Icmpv6Header.TypeNeighborAdvertisement when icmp.TryGetNdTarget(out var target):
                sb.Append("neighbor advertisement, tgt is ").Append(target.ToString());
                break;
            case Icmpv6Header.TypeRouterSolicitation:
                sb.Append("router solicitation");
                break;
            case Icmpv6Header.TypeRouterAdvertisement:
                sb.Append("router advertisement");
                break;
            case 1:
                sb.Append("destination unreachable");
                break;
            case 2:
                sb.Append("packet too big");
                break;
            case 3:
                sb.Append("time exceeded in-transit");
                break;
            default:
                sb.Append("unknown icmp6 type (").Append(icmp.Type).Append(')');
                break;
        }
        sb.Append(", length ").Append(length);
    }
}
