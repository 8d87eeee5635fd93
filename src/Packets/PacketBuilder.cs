using System.Buffers.Binary;

namespace Datapath.Packets;

/// <summary>
/// Builds whole, valid Ethernet frames (correct lengths and checksums) for tests, the host
/// stack and generated traffic. Not a hot path: every call allocates the frame it returns.
/// IPv4 datagrams carry Don't Fragment, as Linux sends TCP, UDP and ping.
/// </summary>
public static class PacketBuilder
{
    public const byte DefaultTtl = 64;

    /// <summary>A TCP/IPv4 segment. <paramref name="options"/> are padded with EOL to a multiple of 4 bytes.</summary>
    public static byte[] Tcp(MacAddress src, MacAddress dst, Ipv4Address sip, Ipv4Address dip, ushort sport, ushort dport,
        TcpFlags flags, uint seq = 0, uint ack = 0, ushort window = 64240, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, byte ttl = DefaultTtl, ushort ipId = 0, byte tos = 0)
    {
        var l4 = TcpSegment(sport, dport, flags, seq, ack, window, options, payload);
        return Ipv4(src, dst, sip, dip, IpProtocols.Tcp, l4, ttl, ipId, tos);
    }

    /// <summary>A UDP/IPv4 datagram; <paramref name="checksum"/> false leaves the UDP checksum 0 ("none").</summary>
    public static byte[] Udp(MacAddress src, MacAddress dst, Ipv4Address sip, Ipv4Address dip, ushort sport, ushort dport,
        ReadOnlySpan<byte> payload = default, byte ttl = DefaultTtl, ushort ipId = 0, byte tos = 0, bool checksum = true)
    {
        var l4 = UdpDatagram(sport, dport, payload);
        return Ipv4(src, dst, sip, dip, IpProtocols.Udp, l4, ttl, ipId, tos, transportChecksum: checksum);
    }

    /// <summary>An ICMP echo request (or reply) over IPv4.</summary>
    public static byte[] IcmpEcho(MacAddress src, MacAddress dst, Ipv4Address sip, Ipv4Address dip, bool reply, ushort id, ushort seq,
        ReadOnlySpan<byte> payload = default, byte ttl = DefaultTtl, ushort ipId = 0)
    {
        var l4 = new byte[IcmpHeader.Length + payload.Length];
        IcmpHeader.TryWrite(l4, reply ? IcmpHeader.TypeEchoReply : IcmpHeader.TypeEchoRequest, 0, ((uint)id << 16) | seq, out _);
        payload.CopyTo(l4.AsSpan(IcmpHeader.Length));
        return Ipv4(src, dst, sip, dip, IpProtocols.Icmp, l4, ttl, ipId, 0);
    }

    /// <summary>An ICMPv4 message of any type (e.g. destination unreachable quoting a datagram).</summary>
    public static byte[] Icmp(MacAddress src, MacAddress dst, Ipv4Address sip, Ipv4Address dip, byte type, byte code, uint restOfHeader,
        ReadOnlySpan<byte> payload = default, byte ttl = DefaultTtl, ushort ipId = 0)
    {
        var l4 = new byte[IcmpHeader.Length + payload.Length];
        IcmpHeader.TryWrite(l4, type, code, restOfHeader, out _);
        payload.CopyTo(l4.AsSpan(IcmpHeader.Length));
        return Ipv4(src, dst, sip, dip, IpProtocols.Icmp, l4, ttl, ipId, 0);
    }

    /// <summary>An Ethernet/IPv4 ARP packet (42 bytes, unpadded).</summary>
    public static byte[] Arp(ushort op, MacAddress sha, Ipv4Address spa, MacAddress tha, Ipv4Address tpa, MacAddress ethSrc, MacAddress ethDst)
    {
        var f = new byte[EthernetHeader.Length + ArpPacket.Length];
        EthernetHeader.TryWrite(f, ethDst, ethSrc, EtherTypes.Arp, out _);
        ArpPacket.TryWrite(f.AsSpan(EthernetHeader.Length), op, sha, spa, tha, tpa, out _);
        return f;
    }

    /// <summary>
    /// An IPv4 datagram around <paramref name="l4"/> (whose checksum field is filled here for TCP,
    /// UDP and ICMP unless <paramref name="transportChecksum"/> is false). <paramref name="flagsAndFragmentOffset"/>
    /// defaults to Don't Fragment.
    /// </summary>
    public static byte[] Ipv4(MacAddress src, MacAddress dst, Ipv4Address sip, Ipv4Address dip, byte protocol, ReadOnlySpan<byte> l4,
        byte ttl = DefaultTtl, ushort ipId = 0, byte tos = 0, ReadOnlySpan<byte> options = default,
        ushort flagsAndFragmentOffset = Ipv4Header.DontFragmentFlag, bool transportChecksum = true)
    {
        int ihl = Ipv4Header.MinLength + ((options.Length + 3) & ~3);
        var f = new byte[EthernetHeader.Length + ihl + l4.Length];
        EthernetHeader.TryWrite(f, dst, src, EtherTypes.IPv4, out _);
        if (!Ipv4Header.TryWrite(f.AsSpan(EthernetHeader.Length), sip, dip, protocol, (ushort)(ihl + l4.Length), ttl, tos, ipId,
            flagsAndFragmentOffset, options, out _))
            throw new ArgumentException("IPv4 options longer than 40 bytes", nameof(options));
        var seg = f.AsSpan(EthernetHeader.Length + ihl);
        l4.CopyTo(seg);
        bool firstOrWhole = (flagsAndFragmentOffset & Ipv4Header.FragmentOffsetMask) == 0;
        if (transportChecksum && firstOrWhole && protocol is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Icmp
            && seg.Length >= Checksum.ChecksumOffset(protocol) + 2)
        {
            int at = Checksum.ChecksumOffset(protocol);
            BinaryPrimitives.WriteUInt16BigEndian(seg[at..], Checksum.TransportV4(seg, sip.Value, dip.Value, protocol));
        }
        return f;
    }

    /// <summary>A TCP/IPv6 segment.</summary>
    public static byte[] Tcp6(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, ushort sport, ushort dport,
        TcpFlags flags, uint seq = 0, uint ack = 0, ushort window = 64800, ReadOnlySpan<byte> options = default,
        ReadOnlySpan<byte> payload = default, byte hopLimit = DefaultTtl, uint flowLabel = 0)
    {
        var l4 = TcpSegment(sport, dport, flags, seq, ack, window, options, payload);
        return Ipv6(src, dst, sip, dip, IpProtocols.Tcp, l4, hopLimit, flowLabel: flowLabel);
    }

    /// <summary>A UDP/IPv6 datagram.</summary>
    public static byte[] Udp6(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, ushort sport, ushort dport,
        ReadOnlySpan<byte> payload = default, byte hopLimit = DefaultTtl, uint flowLabel = 0)
        => Ipv6(src, dst, sip, dip, IpProtocols.Udp, UdpDatagram(sport, dport, payload), hopLimit, flowLabel: flowLabel);

    /// <summary>An ICMPv6 echo request (or reply).</summary>
    public static byte[] Icmpv6Echo(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, bool reply, ushort id, ushort seq,
        ReadOnlySpan<byte> payload = default, byte hopLimit = DefaultTtl)
    {
        var l4 = new byte[Icmpv6Header.Length + payload.Length];
        Icmpv6Header.TryWrite(l4, reply ? Icmpv6Header.TypeEchoReply : Icmpv6Header.TypeEchoRequest, 0, ((uint)id << 16) | seq, out _);
        payload.CopyTo(l4.AsSpan(Icmpv6Header.Length));
        return Ipv6(src, dst, sip, dip, IpProtocols.Icmpv6, l4, hopLimit);
    }

    /// <summary>
    /// A Neighbor Solicitation (<paramref name="advertisement"/> false: with a source link-layer
    /// option of <paramref name="src"/>) or Advertisement (with a target link-layer option), hop limit 255.
    /// </summary>
    public static byte[] NeighborDiscovery(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, bool advertisement,
        Ipv6Address target, MacAddress? linkLayerAddress, uint flags = 0)
    {
        byte type = advertisement ? Icmpv6Header.TypeNeighborAdvertisement : Icmpv6Header.TypeNeighborSolicitation;
        var l4 = new byte[Icmpv6Header.NdLength + (linkLayerAddress is null ? 0 : 8)];
        Icmpv6Header.TryWriteNeighborDiscovery(l4, type, flags, target, linkLayerAddress, out _);
        return Ipv6(src, dst, sip, dip, IpProtocols.Icmpv6, l4, 255);
    }

    /// <summary>
    /// An IPv6 packet around <paramref name="l4"/>, after the given extension headers (already
    /// encoded, their next-header fields chained by the caller; <paramref name="firstHeader"/> is the
    /// fixed header's next header when they are present). TCP/UDP/ICMPv6 checksums are filled.
    /// </summary>
    public static byte[] Ipv6(MacAddress src, MacAddress dst, Ipv6Address sip, Ipv6Address dip, byte protocol, ReadOnlySpan<byte> l4,
        byte hopLimit = DefaultTtl, byte trafficClass = 0, uint flowLabel = 0, ReadOnlySpan<byte> extensionHeaders = default,
        byte? firstHeader = null, bool transportChecksum = true)
    {
        var f = new byte[EthernetHeader.Length + Ipv6Header.Length + extensionHeaders.Length + l4.Length];
        EthernetHeader.TryWrite(f, dst, src, EtherTypes.IPv6, out _);
        Ipv6Header.TryWrite(f.AsSpan(EthernetHeader.Length), sip, dip, firstHeader ?? protocol, (ushort)(extensionHeaders.Length + l4.Length),
            hopLimit, trafficClass, flowLabel, out _);
        extensionHeaders.CopyTo(f.AsSpan(EthernetHeader.Length + Ipv6Header.Length));
        var seg = f.AsSpan(EthernetHeader.Length + Ipv6Header.Length + extensionHeaders.Length);
        l4.CopyTo(seg);
        if (transportChecksum && protocol is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Icmpv6
            && seg.Length >= Checksum.ChecksumOffset(protocol) + 2)
        {
            int at = Checksum.ChecksumOffset(protocol);
            BinaryPrimitives.WriteUInt16BigEndian(seg[at..], Checksum.TransportV6(seg, sip, dip, protocol));
        }
        return f;
    }

    /// <summary>Inserts an 802.1Q tag (TPID 0x8100, or 0x88a8 for an outer 802.1ad tag) after the MAC addresses.</summary>
    public static byte[] WithVlan(ReadOnlySpan<byte> frame, ushort tci, ushort tpid = EtherTypes.Vlan)
    {
        if (frame.Length < 12)
            throw new ArgumentException("frame shorter than two MAC addresses", nameof(frame));
        var f = new byte[frame.Length + VlanTag.Length];
        frame[..12].CopyTo(f);
        VlanTag.TryWrite(f.AsSpan(12), tpid, tci, out _);
        frame[12..].CopyTo(f.AsSpan(16));
        return f;
    }

    /// <summary>A TCP header + payload with a zero checksum.</summary>
    public static byte[] TcpSegment(ushort sport, ushort dport, TcpFlags flags, uint seq, uint ack, ushort window,
        ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
    {
        int hlen = TcpHeader.MinLength + ((options.Length + 3) & ~3);
        var l4 = new byte[hlen + payload.Length];
        if (!TcpHeader.TryWrite(l4, sport, dport, seq, ack, flags, window, 0, options, out _))
            throw new ArgumentException("TCP options longer than 40 bytes", nameof(options));
        payload.CopyTo(l4.AsSpan(hlen));
        return l4;
    }

    /// <summary>A UDP header + payload with a zero checksum.</summary>
    public static byte[] UdpDatagram(ushort sport, ushort dport, ReadOnlySpan<byte> payload)
    {
        var l4 = new byte[UdpHeader.Length + payload.Length];
        UdpHeader.TryWrite(l4, sport, dport, (ushort)l4.Length, out _);
        payload.CopyTo(l4.AsSpan(UdpHeader.Length));
        return l4;
    }

    /// <summary>Linux's SYN options: mss, sackOK, TS val/ecr, nop, wscale (20 bytes), as tcpdump prints them.</summary>
    public static byte[] LinuxSynOptions(ushort mss, uint tsVal, uint tsEcr, byte windowScale)
    {
        var o = new byte[20];
        var w = new TcpOptionsWriter(o);
        w.Mss(mss);
        w.SackPermitted();
        w.Timestamps(tsVal, tsEcr);
        w.Nop();
        w.WindowScale(windowScale);
        return o;
    }
}
