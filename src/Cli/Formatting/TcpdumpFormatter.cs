using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Cli.Formatting;

// tcpdump-style frame formatter
// =============================
//
// What?
// -----
// Prints a frame the way `tcpdump -en` does (tcpdump 4.99): timestamp, MACs, ethertype and length,
// then per protocol: 802.1Q tags, ARP who-has/is-at, IPv4/IPv6 addresses and ports, TCP flags,
// sequence numbers, window and options, UDP, ICMP/ICMPv6 echo and neighbour discovery, and GENEVE
// (UDP port 6081) followed by the inner frame on the same line.  Users compare our output with
// tcpdump's, so the text follows print-ether.c, print-ip.c, print-tcp.c, print-udp.c, print-icmp.c,
// print-arp.c and print-geneve.c word for word where we decode the protocol.
//
// Design
// ------
// A recursive walk over spans, as tcpdump's dissectors pass (bytes, length): `data` is what was
// captured, `length` what the headers say was on the wire, so "length N" matches tcpdump even for
// frames cut by the snap length, and a header that is cut prints tcpdump's " [|proto]" marker.
// Like tcpdump without -S, TCP sequence numbers are relative once a conversation's first ACK
// has been seen (TcpSequenceTracker), so one formatter instance must see a capture's frames in order.
// Not decoded (printed as tcpdump prints an unknown payload, or shorter): application protocols
// other than the HTTP first line, GRE, IPv6 extension header details, MPLS, LLC.
//
// Thread-safety: none (sequence state); one instance per output stream.
// Cost: allocation-free except the StringBuilder growth; not a hot path.
internal sealed partial class TcpdumpFormatter
{
    private readonly TcpSequenceTracker _sequences = new();

    /// <summary>Print absolute TCP sequence numbers (tcpdump -S).</summary>
    public bool AbsoluteSequenceNumbers { get; init; }

    /// <summary>One line (plus tcpdump's hex dump lines for an unknown payload), without a newline.</summary>
    public string FormatLine(ReadOnlySpan<byte> frame, Int128 timestampNanoseconds, int originalLength)
    {
        var sb = new StringBuilder(160);
        AppendTimestamp(sb, timestampNanoseconds);
        sb.Append(' ');
        AppendFrame(sb, frame, originalLength);
        return sb.ToString();
    }

    /// <summary>tcpdump's default time of day in UTC: HH:MM:SS.ffffff (any time, before 1970 too).</summary>
    public static void AppendTimestamp(StringBuilder sb, Int128 timestampNanoseconds)
    {
        var (seconds, nanoseconds) = CaptureTime.Split(timestampNanoseconds);
        int micro = nanoseconds / 1000;
        int secondOfDay = (int)(((seconds % 86400) + 86400) % 86400);
        sb.Append(CultureInfo.InvariantCulture, $"{secondOfDay / 3600:D2}:{secondOfDay / 60 % 60:D2}:{secondOfDay % 60:D2}.{micro:D6}");
    }

    /// <summary>The frame from its Ethernet header on: "src &gt; dst, ethertype ..., length N: ...".</summary>
    public void AppendFrame(StringBuilder sb, ReadOnlySpan<byte> frame, int originalLength)
    {
        if (!EthernetHeader.TryRead(frame, out var eth))
        {
            sb.Append("[|ether]");
            return;
        }
        sb.Append(eth.Source.ToString()).Append(" > ").Append(eth.Destination.ToString()).Append(", ");
        ushort type = eth.EtherType;
        ReadOnlySpan<byte> data = frame[EthernetHeader.Length..];
        int length = originalLength - EthernetHeader.Length;
        if (type < EthernetHeader.MinEtherType)
        {
            sb.Append("802.3, length ").Append(originalLength).Append(": ");
            HexDump.Append(sb, data);
            return;
        }
        sb.Append("ethertype ").Append(EtherTypeNames.Get(type)).Append(" (0x").Append(type.ToString("x4")).Append("), length ")
            .Append(originalLength).Append(": ");
        while (VlanTag.IsTpid(type) || type == 0x9100)
        {
            if (data.Length < VlanTag.Length)
            {
                sb.Append(" [|vlan]");
                return;
            }
            ushort tci = BinaryPrimitives.ReadUInt16BigEndian(data);
            sb.Append("vlan ").Append(tci & VlanTag.VidMask).Append(", p ").Append(tci >> 13);
            if ((tci & 0x1000) != 0)
                sb.Append(", DEI");
            sb.Append(", ");
            type = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            data = data[VlanTag.Length..];
            length -= VlanTag.Length;
            sb.Append("ethertype ").Append(EtherTypeNames.Get(type)).Append(" (0x").Append(type.ToString("x4")).Append("), ");
        }
        AppendEtherPayload(sb, type, data, length);
    }

    private void AppendEtherPayload(StringBuilder sb, ushort type, ReadOnlySpan<byte> data, int length)
    {
        switch (type)
        {
            case EtherTypes.IPv4:
                AppendIpv4(sb, data, length);
                break;
            case EtherTypes.IPv6:
                AppendIpv6(sb, data, length);
                break;
            case EtherTypes.Arp:
                AppendArp(sb, data, length);
                break;
            default:
                HexDump.Append(sb, data);
                break;
        }
    }

    private static void AppendArp(StringBuilder sb, ReadOnlySpan<byte> data, int length)
    {
        if (!ArpPacket.TryRead(data, out var arp) || arp.HardwareType != ArpPacket.HardwareTypeEthernet || arp.ProtocolType != EtherTypes.IPv4)
        {
            sb.Append(" [|arp]");
            return;
        }
        switch (arp.Operation)
        {
            case ArpPacket.OpRequest:
                sb.Append("Request who-has ").Append(arp.TargetProtocolAddress.ToString());
                if (arp.TargetHardwareAddress != MacAddress.Zero)
                    sb.Append(" (").Append(arp.TargetHardwareAddress.ToString()).Append(')');
                sb.Append(" tell ").Append(arp.SenderProtocolAddress.ToString());
                break;
            case ArpPacket.OpReply:
                sb.Append("Reply ").Append(arp.SenderProtocolAddress.ToString()).Append(" is-at ").Append(arp.SenderHardwareAddress.ToString());
                break;
            default:
                sb.Append("Unknown (").Append(arp.Operation).Append(')');
                break;
        }
        sb.Append(", length ").Append(length);
    }

    private void AppendIpv4(StringBuilder sb, ReadOnlySpan<byte> data, int length)
    {
        if (!Ipv4Header.TryRead(data, out var ip))
        {
            sb.Append(" [|ip]");
            return;
        }
        int headerLength = ip.HeaderLength;
        int totalLength = ip.TotalLength;
        int payloadLength = totalLength - headerLength;
        ReadOnlySpan<byte> payload = data[headerLength..Math.Min(data.Length, totalLength)];
        var src = ip.Source;
        var dst = ip.Destination;
        if (ip.FragmentOffsetBlocks != 0)
        {
            sb.Append(src.ToString()).Append(" > ").Append(dst.ToString()).Append(": ip-proto-").Append(ip.Protocol);
            return;
        }
        var srcKey = (UInt128)src.Value;
        var dstKey = (UInt128)dst.Value;
        switch (ip.Protocol)
        {
            case IpProtocols.Tcp:
                AppendTransportAddresses(sb, src.ToString(), dst.ToString(), payload);
                AppendTcp(sb, payload, payloadLength, srcKey, dstKey);
                break;
            case IpProtocols.Udp:
                AppendTransportAddresses(sb, src.ToString(), dst.ToString(), payload);
                AppendUdp(sb, payload, payloadLength);
                break;
            case IpProtocols.Icmp:
                sb.Append(src.ToString()).Append(" > ").Append(dst.ToString()).Append(": ");
                AppendIcmp(sb, payload, payloadLength);
                break;
            default:
                sb.Append(src.ToString()).Append(" > ").Append(dst.ToString()).Append(":  ip-proto-").Append(ip.Protocol)
                    .Append(' ').Append(payloadLength);
                break;
        }
    }

    private void AppendIpv6(StringBuilder sb, ReadOnlySpan<byte> data, int length)
    {
        if (!Ipv6Header.TryRead(data, out var ip))
        {
            sb.Append(" [|ip6]");
            return;
        }
        int payloadLength = ip.PayloadLength;
        ReadOnlySpan<byte> payload = data[Ipv6Header.Length..Math.Min(data.Length, Ipv6Header.Length + payloadLength)];
        string src = ip.Source.ToString();
        string dst = ip.Destination.ToString();
        if (!Ipv6Header.TrySkipExtensionHeaders(payload, ip.NextHeader, out byte protocol, out int upperOffset, out byte nwFrag))
        {
            sb.Append(src).Append(" > ").Append(dst).Append(": [|ip6]");
            return;
        }
        payload = payload[upperOffset..];
        payloadLength -= upperOffset;
        if (nwFrag == 3)
        {
            sb.Append(src).Append(" > ").Append(dst).Append(": ip-proto-").Append(protocol);
            return;
        }
        switch (protocol)
        {
            case IpProtocols.Tcp:
                AppendTransportAddresses(sb, src, dst, payload);
                AppendTcp(sb, payload, payloadLength, ip.Source.Value, ip.Destination.Value);
                break;
            case IpProtocols.Udp:
                AppendTransportAddresses(sb, src, dst, payload);
                AppendUdp(sb, payload, payloadLength);
                break;
            case IpProtocols.Icmpv6:
                sb.Append(src).Append(" > ").Append(dst).Append(": ");
                AppendIcmpv6(sb, payload, payloadLength);
                break;
            default:
                sb.Append(src).Append(" > ").Append(dst).Append(": ip-proto-").Append(protocol).Append(' ').Append(payloadLength);
                break;
        }
    }

    /// <summary>"a.b.c.d.sport &gt; e.f.g.h.dport: " when the ports were captured, else the addresses alone.</summary>
    private static void AppendTransportAddresses(StringBuilder sb, string src, string dst, ReadOnlySpan<byte> l4)
    {
        if (l4.Length < 4)
        {
            sb.Append(src).Append(" > ").Append(dst).Append(": ");
            return;
        }
        sb.Append(src).Append('.').Append(BinaryPrimitives.ReadUInt16BigEndian(l4)).Append(" > ")
            .Append(dst).Append('.').Append(BinaryPrimitives.ReadUInt16BigEndian(l4[2..])).Append(": ");
    }
}
