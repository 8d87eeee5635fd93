using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using Datapath.Packets;
using PacketDotNet;
using ArpPacket = PacketDotNet.ArpPacket;

namespace Datapath.Tests.Shared;

/// <summary>
/// The second independent judge of the frames our commands write (tshark is the first): PacketDotNet parses
/// each frame, and the judge checks every layer it finds: Ethernet, 802.1Q tags, ARP, IPv4 (lengths, header
/// checksum), IPv6, TCP and UDP (lengths, checksum over the pseudo-header), ICMP and ICMPv6 (checksum).
/// GENEVE (UDP 6081, RFC 8926) and VXLAN (UDP 4789, RFC 7348) it reads itself, PacketDotNet having no GENEVE
/// decoder, and judges the inner Ethernet frame the same way. Every header PacketDotNet read is compared with
/// <see cref="FlowKey.Extract"/>, our own parser's view (MACs, VLAN, EtherType, ARP, IPs, TTL, protocol, ports,
/// TCP flags, ICMP type and code), so that a disagreement between the two parsers is a problem too.
/// </summary>
/// <remarks>
/// PacketDotNet limitations the judge works around, narrowly:
///  - A UDP checksum of 0 means "none" over IPv4 (RFC 768), and over IPv6 for tunnel ports (RFC 6935, which
///    RFC 8926 allows for GENEVE); PacketDotNet's ValidUdpChecksum reports it invalid, so the judge accepts it there.
///  - PacketDotNet throws (IndexOutOfRangeException) on a frame cut inside its IP or TCP header instead of reporting
///    it; the exception is a problem, named.
///  - An IPv4 or IPv6 fragment, first or later, has no transport checksum PacketDotNet can verify over the
///    fragment (it checks the first one's as if it were whole): its L4 is not judged.
/// </remarks>
internal static class PacketJudge
{
    /// <summary>GENEVE's IANA port (RFC 8926 section 3.3).</summary>
    public const ushort GenevePort = 6081;

    /// <summary>VXLAN's IANA port (RFC 7348 section 5).</summary>
    public const ushort VxlanPort = 4789;

    /// <summary>The GENEVE and VXLAN protocol type of an Ethernet payload (Transparent Ethernet Bridging).</summary>
    private const ushort TransparentEthernetBridging = 0x6558;

    private const int TunnelHeaderLength = 8;
    private const int MaxTunnelDepth = 3;

    /// <summary>
    /// Parses <paramref name="frame"/> (Ethernet) with PacketDotNet and judges it. <paramref name="outerChecksumOffloaded"/>:
    /// the frame was captured on the host that sent it through a device with checksum offload (the lab's loopback
    /// underlay), so its outermost UDP checksum holds the kernel's partial sum (CHECKSUM_PARTIAL), not a checksum;
    /// it is then read as "csum offloaded" instead of judged; every inner checksum still is.
    /// </summary>
    public static PacketVerdict Judge(ReadOnlySpan<byte> frame, bool outerChecksumOffloaded = false)
    {
        var summary = new StringBuilder();
        var problems = new List<string>();
        JudgeEthernet(frame.ToArray(), depth: 0, outerChecksumOffloaded, summary, problems);
        return new PacketVerdict(summary.ToString(), problems);
    }

    /// <summary>Fails the test, naming <paramref name="context"/> (file and frame index), unless the frame is valid; returns its summary.</summary>
    public static string AssertValid(ReadOnlySpan<byte> frame, string context, bool outerChecksumOffloaded = false)
    {
        var verdict = Judge(frame, outerChecksumOffloaded);
        if (!verdict.Valid)
            Assert.Fail($"PacketDotNet judges {context} invalid: {string.Join("; ", verdict.Problems)}\n  frame: {verdict.Summary}\n  bytes: {Convert.ToHexString(frame)}");
        return verdict.Summary;
    }

    private static void JudgeEthernet(byte[] bytes, int depth, bool checksumOffloaded, StringBuilder summary, List<string> problems)
    {
        string layer = depth == 0 ? "" : $"inner({depth}) ";
        FlowKey.Extract(bytes, 0, out var ours);
        if ((ours.Layout.Flags & ParseFlags.Truncated) != 0)
            problems.Add($"{layer}our parser: the frame ends inside a header ({bytes.Length} bytes)");
        if ((ours.Layout.Flags & ParseFlags.Malformed) != 0)
            problems.Add($"{layer}our parser: a header is malformed");
        try
        {
            if (Packet.ParsePacket(LinkLayers.Ethernet, bytes) is not EthernetPacket eth)
            {
                problems.Add($"{layer}PacketDotNet read no Ethernet header ({bytes.Length} bytes)");
                return;
            }
            var judge = new Layer(layer, ours, checksumOffloaded, summary, problems);
            judge.Judge(eth, depth);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            problems.Add($"{layer}PacketDotNet could not parse the frame: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>One Ethernet frame's judgement: what PacketDotNet read beside <see cref="_ours"/>.</summary>
    private sealed class Layer(string name, FlowKey ours, bool checksumOffloaded, StringBuilder summary, List<string> problems)
    {
        private readonly FlowKey _ours = ours;

        private void Problem(string text) => problems.Add(name + text);

        private void Same<T>(string field, T theirs, T our) where T : IEquatable<T>
        {
            if (!theirs.Equals(our))
                Problem($"{field}: PacketDotNet reads {theirs}, our parser {our}");
        }

        public void Judge(EthernetPacket eth, int depth)
        {
            summary.Append(CultureInfo.InvariantCulture, $"eth {Mac(eth.SourceHardwareAddress)}>{Mac(eth.DestinationHardwareAddress)}");
            Same("eth_src", Mac(eth.SourceHardwareAddress), _ours.DlSrc.ToString());
            Same("eth_dst", Mac(eth.DestinationHardwareAddress), _ours.DlDst.ToString());
            Packet? payload = eth.PayloadPacket;
            var type = eth.Type;
            ushort[] ourTags = [_ours.VlanTci, _ours.VlanTci2];
            for (int tag = 0; payload is Ieee8021QPacket vlan; tag++)
            {
                summary.Append(CultureInfo.InvariantCulture, $" vlan {vlan.VlanIdentifier}");
                if (tag < ourTags.Length)
                    Same("vlan_vid", (ushort)vlan.VlanIdentifier, (ushort)(ourTags[tag] & VlanTag.VidMask));
                type = vlan.Type;
                payload = vlan.PayloadPacket;
            }
            Same("eth_type", (ushort)type, _ours.EthType);
            switch (payload)
            {
                case ArpPacket arp:
                    JudgeArp(arp);
                    break;
                case IPv4Packet ip4:
                    JudgeIpv4(ip4, depth);
                    break;
                case IPv6Packet ip6:
                    JudgeIpv6(ip6, depth);
                    break;
                case null when type is EthernetType.Arp or EthernetType.IPv4 or EthernetType.IPv6:
                    Problem($"PacketDotNet read no {type} header (truncated?)");
                    break;
                default:
                    summary.Append(CultureInfo.InvariantCulture, $" type 0x{(ushort)type:x4}");
                    break;
            }
        }

        private void JudgeArp(ArpPacket arp)
        {
            summary.Append(CultureInfo.InvariantCulture, $" arp {arp.Operation} {arp.SenderProtocolAddress}>{arp.TargetProtocolAddress}");
            Same("arp_op", (ushort)arp.Operation, _ours.ArpOp);
            Same("arp_spa", V4(arp.SenderProtocolAddress), _ours.NwSrc);
            Same("arp_tpa", V4(arp.TargetProtocolAddress), _ours.NwDst);
            Same("arp_sha", Mac(arp.SenderHardwareAddress), new MacAddress(_ours.ArpSha).ToString());
            Same("arp_tha", Mac(arp.TargetHardwareAddress), new MacAddress(_ours.ArpTha).ToString());
        }

        private void JudgeIpv4(IPv4Packet ip, int depth)
        {
            summary.Append(CultureInfo.InvariantCulture, $" ipv4 {ip.SourceAddress}>{ip.DestinationAddress} ttl {ip.TimeToLive}");
            int headerBytes = ip.HeaderLength * 4;
            int available = ip.BytesSegment.Length;
            if (headerBytes < 20)
                Problem($"ipv4 header length {headerBytes} < 20");
            if (ip.TotalLength < headerBytes || ip.TotalLength > available)
                Problem($"ipv4 total length {ip.TotalLength}: the header is {headerBytes} bytes and the frame holds {available} after Ethernet");
            else if (!ip.ValidIPChecksum)
                Problem($"ipv4 header checksum 0x{ip.Checksum:x4} is wrong (0x{ip.CalculateIPChecksum():x4} expected)");
            Same("nw_src", V4(ip.SourceAddress), _ours.NwSrc);
            Same("nw_dst", V4(ip.DestinationAddress), _ours.NwDst);
            Same("nw_ttl", (byte)ip.TimeToLive, _ours.NwTtl);
            Same("nw_proto", (byte)ip.Protocol, _ours.NwProto);
            const int MoreFragments = 1;
            if (ip.FragmentOffset != 0 || (ip.FragmentFlags & MoreFragments) != 0)
            {
                summary.Append(CultureInfo.InvariantCulture, $" frag {ip.FragmentOffset * 8} {ip.Protocol}");
                return;
            }
            JudgeTransport(ip, isIpv4: true, depth);
        }

        private void JudgeIpv6(IPv6Packet ip, int depth)
        {
            summary.Append(CultureInfo.InvariantCulture, $" ipv6 {ip.SourceAddress}>{ip.DestinationAddress} hlim {ip.HopLimit}");
            int available = ip.BytesSegment.Length;
            if (40 + ip.PayloadLength > available)
                Problem($"ipv6 payload length {ip.PayloadLength}: the frame holds {available - 40} after the IPv6 header");
            Same("ipv6_src", V6(ip.SourceAddress), _ours.Ipv6Src.Value);
            Same("ipv6_dst", V6(ip.DestinationAddress), _ours.Ipv6Dst.Value);
            Same("nw_ttl", (byte)ip.HopLimit, _ours.NwTtl);
            Same("nw_proto", (byte)ip.Protocol, _ours.NwProto);
            if (ip.ExtensionHeaders.Any(h => h.Header == ProtocolType.IPv6FragmentHeader))
            {
                summary.Append(CultureInfo.InvariantCulture, $" frag {ip.Protocol}");
                return;
            }
            JudgeTransport(ip, isIpv4: false, depth);
        }

        private void JudgeTransport(IPPacket ip, bool isIpv4, int depth)
        {
            switch (ip.PayloadPacket)
            {
                case TcpPacket tcp:
                    JudgeTcp(tcp);
                    break;
                case UdpPacket udp:
                    JudgeUdp(udp, isIpv4, depth);
                    break;
                case IcmpV4Packet icmp:
                    summary.Append(CultureInfo.InvariantCulture, $" icmp {(ushort)icmp.TypeCode >> 8}/{(ushort)icmp.TypeCode & 0xff}");
                    if (!icmp.ValidIcmpChecksum)
                        Problem($"icmp checksum 0x{icmp.Checksum:x4} is wrong (0x{icmp.CalculateIcmpChecksum():x4} expected)");
                    Same("icmp_type", (ushort)((ushort)icmp.TypeCode >> 8), _ours.TpSrc);
                    Same("icmp_code", (ushort)((ushort)icmp.TypeCode & 0xff), _ours.TpDst);
                    break;
                case IcmpV6Packet icmp6:
                    summary.Append(CultureInfo.InvariantCulture, $" icmp6 {(byte)icmp6.Type}/{icmp6.Code}");
                    if (!icmp6.ValidIcmpChecksum)
                        Problem($"icmp6 checksum 0x{icmp6.Checksum:x4} is wrong (0x{icmp6.CalculateIcmpChecksum():x4} expected)");
                    Same("icmpv6_type", (ushort)icmp6.Type, _ours.TpSrc);
                    Same("icmpv6_code", (ushort)icmp6.Code, _ours.TpDst);
                    break;
                case null when ip.Protocol is ProtocolType.Tcp or ProtocolType.Udp or ProtocolType.Icmp or ProtocolType.IcmpV6:
                    Problem($"PacketDotNet read no {ip.Protocol} header (truncated?)");
                    break;
                default:
                    summary.Append(CultureInfo.InvariantCulture, $" proto {(byte)ip.Protocol}");
                    break;
            }
        }

        private void JudgeTcp(TcpPacket tcp)
        {
            summary.Append(CultureInfo.InvariantCulture, $" tcp {tcp.SourcePort}>{tcp.DestinationPort} [{TcpFlagLetters(tcp)}]");
            int headerBytes = tcp.DataOffset * 4;
            if (headerBytes < 20 || headerBytes > tcp.BytesSegment.Length)
                Problem($"tcp data offset {headerBytes}: the segment holds {tcp.BytesSegment.Length} bytes");
            else if (!tcp.ValidTcpChecksum)
                Problem($"tcp checksum 0x{tcp.Checksum:x4} is wrong (0x{tcp.CalculateTcpChecksum():x4} expected)");
            Same("tp_src", tcp.SourcePort, _ours.TpSrc);
            Same("tp_dst", tcp.DestinationPort, _ours.TpDst);
            Same("tcp_flags", (ushort)(tcp.Flags & 0x0fff), _ours.TcpFlags);
        }

        private void JudgeUdp(UdpPacket udp, bool isIpv4, int depth)
        {
            summary.Append(CultureInfo.InvariantCulture, $" udp {udp.SourcePort}>{udp.DestinationPort}");
            Same("tp_src", udp.SourcePort, _ours.TpSrc);
            Same("tp_dst", udp.DestinationPort, _ours.TpDst);
            bool tunnel = udp.DestinationPort is GenevePort or VxlanPort;
            if (udp.Length < 8 || udp.Length > udp.BytesSegment.Length)
            {
                Problem($"udp length {udp.Length}: the datagram holds {udp.BytesSegment.Length} bytes");
                return;
            }
            if (udp.Checksum == 0 && (isIpv4 || tunnel))
                summary.Append(" csum none");
            else if (!udp.ValidUdpChecksum && checksumOffloaded)
                summary.Append(" csum offloaded");
            else if (!udp.ValidUdpChecksum)
                Problem($"udp checksum 0x{udp.Checksum:x4} is wrong (0x{udp.CalculateUdpChecksum():x4} expected)");
            if (!tunnel)
                return;
            var datagram = udp.BytesSegment;
            byte[] payload = datagram.Bytes.AsSpan(datagram.Offset + 8, udp.Length - 8).ToArray();
            if (depth >= MaxTunnelDepth)
                Problem($"tunnels nested deeper than {MaxTunnelDepth}");
            else if (udp.DestinationPort == GenevePort)
                JudgeGeneve(payload, depth);
            else
                JudgeVxlan(payload, depth);
        }

        /// <summary>RFC 8926 section 3.4: Ver(2) OptLen(6, in 4-byte words) O C Rsvd(6) ProtocolType(16) VNI(24) Rsvd(8), options, payload.</summary>
        private void JudgeGeneve(byte[] payload, int depth)
        {
            if (payload.Length < TunnelHeaderLength)
            {
                Problem($"geneve: {payload.Length} bytes, the base header is {TunnelHeaderLength}");
                return;
            }
            int version = payload[0] >> 6;
            int optionBytes = (payload[0] & 0x3f) * 4;
            ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(2));
            uint vni = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) >> 8;
            summary.Append(CultureInfo.InvariantCulture, $" geneve vni {vni}{(optionBytes > 0 ? $" opts {optionBytes}B" : "")} |");
            if (version != 0)
                Problem($"geneve version {version}, not 0");
            if (protocol != TransparentEthernetBridging)
                Problem($"geneve protocol type 0x{protocol:x4}, not Ethernet (0x{TransparentEthernetBridging:x4})");
            else if (TunnelHeaderLength + optionBytes > payload.Length)
                Problem($"geneve options of {optionBytes} bytes overrun the {payload.Length}-byte datagram");
            else
                JudgeInner(payload.AsSpan(TunnelHeaderLength + optionBytes), depth);
        }

        /// <summary>RFC 7348 section 5: flags (I = 0x08), 24 reserved bits, VNI(24), 8 reserved bits, then the inner Ethernet frame.</summary>
        private void JudgeVxlan(byte[] payload, int depth)
        {
            if (payload.Length < TunnelHeaderLength)
            {
                Problem($"vxlan: {payload.Length} bytes, the header is {TunnelHeaderLength}");
                return;
            }
            uint vni = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) >> 8;
            summary.Append(CultureInfo.InvariantCulture, $" vxlan vni {vni} |");
            if ((payload[0] & 0x08) == 0)
                Problem("vxlan I flag clear: no valid VNI");
            JudgeInner(payload.AsSpan(TunnelHeaderLength), depth);
        }

        private void JudgeInner(ReadOnlySpan<byte> inner, int depth)
        {
            summary.Append(' ');
            JudgeEthernet(inner.ToArray(), depth + 1, checksumOffloaded: false, summary, problems);
        }
    }

    private static string TcpFlagLetters(TcpPacket tcp)
    {
        var s = new StringBuilder();
        if (tcp.Finished) s.Append('F');
        if (tcp.Synchronize) s.Append('S');
        if (tcp.Reset) s.Append('R');
        if (tcp.Push) s.Append('P');
        if (tcp.Acknowledgment) s.Append('.');
        if (tcp.Urgent) s.Append('U');
        return s.ToString();
    }

    private static string Mac(PhysicalAddress address)
        => string.Join(':', address.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static uint V4(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static UInt128 V6(IPAddress address) => BinaryPrimitives.ReadUInt128BigEndian(address.GetAddressBytes());
}
