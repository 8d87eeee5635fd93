namespace Datapath.Packets.Tests;

/// <summary>One valid frame per header kind the extractor knows, built with PacketBuilder (checksums correct).</summary>
internal static class TestFrames
{
    public static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly Ipv4Address IpA = Ipv4Address.Parse("10.0.0.1");
    public static readonly Ipv4Address IpB = Ipv4Address.Parse("192.168.1.2");
    public static readonly Ipv6Address Ip6A = Ipv6Address.Parse("fd00::1");
    public static readonly Ipv6Address Ip6B = Ipv6Address.Parse("fd00:1::2");

    public static byte[] Tcp() => PacketBuilder.Tcp(A, B, IpA, IpB, 40000, 443, TcpFlags.Ack | TcpFlags.Psh, seq: 1000, ack: 2000,
        options: TimestampOptions(), payload: "GET / HTTP/1.1\r\n"u8, ipId: 0x1234, tos: 0xb9);

    public static byte[] Udp() => PacketBuilder.Udp(A, B, IpA, IpB, 5353, 53, "query"u8, ttl: 17);

    public static byte[] Icmp() => PacketBuilder.IcmpEcho(A, B, IpA, IpB, false, 0x77, 3, "abcdefgh"u8);

    public static byte[] Arp() => PacketBuilder.Arp(ArpPacket.OpReply, A, IpA, B, IpB, A, B);

    public static byte[] Ipv4WithOptions() => PacketBuilder.Ipv4(A, B, IpA, IpB, IpProtocols.Udp, PacketBuilder.UdpDatagram(1, 2, "x"u8),
        options: [0x94, 0x04, 0x00, 0x00]);   // Router Alert (RFC 2113)

    public static byte[] Ipv4FirstFragment() => PacketBuilder.Ipv4(A, B, IpA, IpB, IpProtocols.Udp, PacketBuilder.UdpDatagram(7, 8, new byte[24]),
        flagsAndFragmentOffset: Ipv4Header.MoreFragmentsFlag);

    public static byte[] Ipv4LaterFragment() => PacketBuilder.Ipv4(A, B, IpA, IpB, IpProtocols.Udp, new byte[16],
        flagsAndFragmentOffset: 4);   // offset 32 bytes, last fragment

    public static byte[] Tcp6() => PacketBuilder.Tcp6(A, B, Ip6A, Ip6B, 40000, 80, TcpFlags.Syn, seq: 7,
        options: PacketBuilder.LinuxSynOptions(1440, 1, 0, 7), flowLabel: 0xabcde);

    public static byte[] Udp6() => PacketBuilder.Udp6(A, B, Ip6A, Ip6B, 546, 547, "dhcp"u8);

    public static byte[] Icmpv6Echo() => PacketBuilder.Icmpv6Echo(A, B, Ip6A, Ip6B, false, 9, 1, "ping"u8);

    public static byte[] NeighborSolicitation() => PacketBuilder.NeighborDiscovery(A, MacAddress.Parse("33:33:ff:00:00:02"), Ip6A,
        Ipv6Address.Parse("ff02::1:ff00:2"), advertisement: false, target: Ip6B, linkLayerAddress: A);

    public static byte[] NeighborAdvertisement() => PacketBuilder.NeighborDiscovery(B, A, Ip6B, Ip6A, advertisement: true, target: Ip6B,
        linkLayerAddress: B, flags: Icmpv6Header.NdSolicitedFlag | Icmpv6Header.NdOverrideFlag);

    /// <summary>UDP after hop-by-hop (8 bytes), destination options (16 bytes) and routing (8 bytes) headers.</summary>
    public static byte[] Udp6WithExtensionHeaders()
    {
        var ext = new byte[32];
        Ipv6Header.TryWritePaddingExtensionHeader(ext, IpProtocols.Ipv6DestOptions, 8, out _);
        Ipv6Header.TryWritePaddingExtensionHeader(ext.AsSpan(8), IpProtocols.Ipv6Routing, 16, out _);
        Ipv6Header.TryWritePaddingExtensionHeader(ext.AsSpan(24), IpProtocols.Udp, 8, out _);
        return PacketBuilder.Ipv6(A, B, Ip6A, Ip6B, IpProtocols.Udp, PacketBuilder.UdpDatagram(1000, 2000, "ext"u8),
            extensionHeaders: ext, firstHeader: IpProtocols.HopByHop);
    }

    public static byte[] Udp6FirstFragment()
    {
        var ext = new byte[8];
        Ipv6Header.TryWriteFragmentHeader(ext, IpProtocols.Udp, 0, moreFragments: true, identification: 0x1234, out _);
        return PacketBuilder.Ipv6(A, B, Ip6A, Ip6B, IpProtocols.Udp, PacketBuilder.UdpDatagram(1000, 2000, new byte[16]),
            extensionHeaders: ext, firstHeader: IpProtocols.Ipv6Fragment, transportChecksum: false);
    }

    public static byte[] Udp6LaterFragment()
    {
        var ext = new byte[8];
        Ipv6Header.TryWriteFragmentHeader(ext, IpProtocols.Udp, 3, moreFragments: false, identification: 0x1234, out _);
        return PacketBuilder.Ipv6(A, B, Ip6A, Ip6B, IpProtocols.Udp, new byte[16], extensionHeaders: ext,
            firstHeader: IpProtocols.Ipv6Fragment, transportChecksum: false);
    }

    public static byte[] VlanTcp() => PacketBuilder.WithVlan(Tcp(), VlanTag.MakeTci(5, false, 100));

    /// <summary>802.1ad outer tag (0x88a8, VID 200) around an 802.1Q inner tag (VID 100).</summary>
    public static byte[] QinQUdp() => PacketBuilder.WithVlan(PacketBuilder.WithVlan(Udp(), VlanTag.MakeTci(0, false, 100)),
        VlanTag.MakeTci(3, false, 200), EtherTypes.QinQ);

    public static byte[] Sctp()
    {
        var l4 = new byte[16];
        l4[0] = 0x0b; l4[1] = 0xb8;   // 3000
        l4[2] = 0x0f; l4[3] = 0xa0;   // 4000
        return PacketBuilder.Ipv4(A, B, IpA, IpB, IpProtocols.Sctp, l4);
    }

    public static byte[] TimestampOptions()
    {
        var o = new byte[12];
        var w = new TcpOptionsWriter(o);
        w.Nop();
        w.Nop();
        w.Timestamps(123456, 654321);
        return o;
    }

    /// <summary>Every kind, by name, for theories.</summary>
    public static readonly IReadOnlyDictionary<string, Func<byte[]>> All = new Dictionary<string, Func<byte[]>>
    {
        ["tcp"] = Tcp,
        ["udp"] = Udp,
        ["icmp"] = Icmp,
        ["arp"] = Arp,
        ["ipv4-options"] = Ipv4WithOptions,
        ["ipv4-first-fragment"] = Ipv4FirstFragment,
        ["ipv4-later-fragment"] = Ipv4LaterFragment,
        ["tcp6"] = Tcp6,
        ["udp6"] = Udp6,
        ["icmpv6-echo"] = Icmpv6Echo,
        ["nd-ns"] = NeighborSolicitation,
        ["nd-na"] = NeighborAdvertisement,
        ["udp6-ext"] = Udp6WithExtensionHeaders,
        ["udp6-first-fragment"] = Udp6FirstFragment,
        ["udp6-later-fragment"] = Udp6LaterFragment,
        ["vlan-tcp"] = VlanTcp,
        ["qinq-udp"] = QinQUdp,
        ["sctp"] = Sctp,
        ["seed-phase1"] = SeedFrames.Phase1SynOnGw0,
        ["seed-phase2"] = SeedFrames.Phase2AfterDnatOnGw0,
        ["seed-geneve"] = SeedFrames.GeneveOnEns160,
    };

    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var n in All.Keys)
            d.Add(n);
        return d;
    }
}
