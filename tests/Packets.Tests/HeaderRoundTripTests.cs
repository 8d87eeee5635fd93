namespace Datapath.Packets.Tests;

/// <summary>Every writer, then its reader: the fields come back.</summary>
public class HeaderRoundTripTests
{
    [Theory]
    [InlineData("02:00:00:00:00:01", "ff:ff:ff:ff:ff:ff", EtherTypes.Arp)]
    [InlineData("be:2c:bf:e4:ec:c5", "4e:99:08:c1:53:be", EtherTypes.IPv6)]
    public void Ethernet(string src, string dst, ushort type)
    {
        var buf = new byte[EthernetHeader.Length];
        Assert.True(EthernetHeader.TryWrite(buf, MacAddress.Parse(dst), MacAddress.Parse(src), type, out int n));
        Assert.Equal(14, n);
        Assert.True(EthernetHeader.TryRead(buf, out var h));
        Assert.Equal(src, h.Source.ToString());
        Assert.Equal(dst, h.Destination.ToString());
        Assert.Equal(type, h.EtherType);
        Assert.False(EthernetHeader.TryRead(buf.AsSpan(0, 13), out _));
        Assert.False(EthernetHeader.TryWrite(new byte[13], default, default, 0, out n));
        Assert.Equal(0, n);
    }

    [Theory]
    [InlineData(EtherTypes.Vlan, 0, false, 1)]
    [InlineData(EtherTypes.QinQ, 7, true, 4095)]
    public void Vlan(ushort tpid, byte pcp, bool dei, ushort vid)
    {
        var buf = new byte[VlanTag.Length];
        Assert.True(VlanTag.TryWrite(buf, tpid, VlanTag.MakeTci(pcp, dei, vid), out _));
        Assert.True(VlanTag.TryRead(buf, out var t));
        Assert.Equal(tpid, t.Tpid);
        Assert.Equal(pcp, t.Pcp);
        Assert.Equal(dei, t.Dei);
        Assert.Equal(vid, t.Vid);
        Assert.False(VlanTag.TryRead(Convert.FromHexString("08000001"), out _));
    }

    [Fact]
    public void Arp()
    {
        var buf = new byte[ArpPacket.Length];
        Assert.True(ArpPacket.TryWrite(buf, ArpPacket.OpRequest, TestFrames.A, TestFrames.IpA, MacAddress.Zero, TestFrames.IpB, out _));
        Assert.True(ArpPacket.TryRead(buf, out var a));
        Assert.Equal(ArpPacket.OpRequest, a.Operation);
        Assert.Equal(TestFrames.A, a.SenderHardwareAddress);
        Assert.Equal(TestFrames.IpA, a.SenderProtocolAddress);
        Assert.Equal(MacAddress.Zero, a.TargetHardwareAddress);
        Assert.Equal(TestFrames.IpB, a.TargetProtocolAddress);
        Assert.Equal(1, a.HardwareType);
        Assert.Equal(EtherTypes.IPv4, a.ProtocolType);
        Assert.False(ArpPacket.TryRead(buf.AsSpan(0, 27), out _));
    }

    [Theory]
    [InlineData("", 0x00, 64, Ipv4Header.DontFragmentFlag)]
    [InlineData("94040000", 0xb9, 1, 0)]                                  // Router Alert
    [InlineData("010101", 0x02, 255, Ipv4Header.MoreFragmentsFlag | 3)]   // 3 NOPs, padded to 4
    public void Ipv4(string optionsHex, byte tos, byte ttl, ushort frag)
    {
        byte[] options = Convert.FromHexString(optionsHex);
        var buf = new byte[60];
        Assert.True(Ipv4Header.TryWrite(buf, TestFrames.IpA, TestFrames.IpB, IpProtocols.Tcp, 60, ttl, tos, 0xbeef, frag, options, out int n));
        Assert.Equal(20 + ((options.Length + 3) & ~3), n);
        Assert.True(Ipv4Header.TryRead(buf, out var h));
        Assert.Equal(4, h.Version);
        Assert.Equal(n, h.HeaderLength);
        Assert.Equal(n / 4, h.HeaderLengthWords);
        Assert.Equal(tos, h.Tos);
        Assert.Equal(tos & 0xfc, h.Dscp);
        Assert.Equal(tos & 3, h.Ecn);
        Assert.Equal(60, h.TotalLength);
        Assert.Equal(0xbeef, h.Identification);
        Assert.Equal(frag, h.FlagsAndFragmentOffset);
        Assert.Equal((frag & Ipv4Header.MoreFragmentsFlag) != 0, h.MoreFragments);
        Assert.Equal(frag & 0x1fff, h.FragmentOffsetBlocks);
        Assert.Equal(ttl, h.Ttl);
        Assert.Equal(IpProtocols.Tcp, h.Protocol);
        Assert.Equal(TestFrames.IpA, h.Source);
        Assert.Equal(TestFrames.IpB, h.Destination);
        Assert.True(h.Options.StartsWith(options));
        Assert.True(h.IsChecksumValid);
    }

    [Theory]
    [InlineData("4500")]                                        // shorter than 20 bytes
    [InlineData("5500001400000000400600000a0000010a000002")]    // version 5
    [InlineData("4400001400000000400600000a0000010a000002")]    // IHL 4
    [InlineData("4600001400000000400600000a0000010a000002")]    // IHL 6 but only 20 bytes
    [InlineData("4500001300000000400600000a0000010a000002")]    // total length 19 < 20
    public void Ipv4_rejects_bad_headers(string hex)
        => Assert.False(Ipv4Header.TryRead(Convert.FromHexString(hex), out _));

    [Fact]
    public void Ipv6_and_extension_walker()
    {
        var buf = new byte[40 + 8 + 8];
        Assert.True(Ipv6Header.TryWrite(buf, TestFrames.Ip6A, TestFrames.Ip6B, IpProtocols.HopByHop, 16, 3, 0xb9, 0x12345, out _));
        Assert.True(Ipv6Header.TryWritePaddingExtensionHeader(buf.AsSpan(40), IpProtocols.Ipv6Fragment, 8, out _));
        Assert.True(Ipv6Header.TryWriteFragmentHeader(buf.AsSpan(48), IpProtocols.Tcp, 5, true, 77, out _));
        Assert.True(Ipv6Header.TryRead(buf, out var h));
        Assert.Equal(6, h.Version);
        Assert.Equal(0xb9, h.TrafficClass);
        Assert.Equal(0x12345u, h.FlowLabel);
        Assert.Equal(16, h.PayloadLength);
        Assert.Equal(IpProtocols.HopByHop, h.NextHeader);
        Assert.Equal(3, h.HopLimit);
        Assert.Equal(TestFrames.Ip6A, h.Source);
        Assert.Equal(TestFrames.Ip6B, h.Destination);
        Assert.True(Ipv6Header.TrySkipExtensionHeaders(buf.AsSpan(40), h.NextHeader, out byte proto, out int at, out byte frag));
        Assert.Equal(IpProtocols.Tcp, proto);
        Assert.Equal(16, at);
        Assert.Equal(3, frag);   // offset 5 blocks: a later fragment
        Assert.False(Ipv6Header.TrySkipExtensionHeaders(buf.AsSpan(40, 12), h.NextHeader, out _, out _, out _));
    }

    [Fact]
    public void Tcp_with_options()
    {
        byte[] options = PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7);
        var buf = new byte[60];
        Assert.True(TcpHeader.TryWrite(buf, 56670, 80, 569506855, 0, TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, 64860, 0, options, out int n));
        Assert.Equal(40, n);
        Assert.True(TcpHeader.TryRead(buf.AsSpan(0, n), out var t));
        Assert.Equal(56670, t.SourcePort);
        Assert.Equal(80, t.DestinationPort);
        Assert.Equal(569506855u, t.SequenceNumber);
        Assert.Equal(0u, t.AcknowledgmentNumber);
        Assert.Equal(10, t.DataOffsetWords);
        Assert.Equal(40, t.HeaderLength);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, t.Flags);
        Assert.Equal(64860, t.Window);
        Assert.True(t.OptionBytes.SequenceEqual(options));
        Assert.True(t.Options.TryGetMss(out ushort mss));
        Assert.Equal(1410, mss);
        Assert.False(TcpHeader.TryRead(buf.AsSpan(0, 39), out _));
    }

    [Fact]
    public void Udp()
    {
        var buf = new byte[8];
        Assert.True(UdpHeader.TryWrite(buf, 12445, 6081, 90, out _));
        Assert.True(UdpHeader.TryRead(buf, out var u));
        Assert.Equal(12445, u.SourcePort);
        Assert.Equal(6081, u.DestinationPort);
        Assert.Equal(90, u.DatagramLength);
        Assert.Equal(0, u.Checksum);
    }

    [Fact]
    public void Icmp()
    {
        var buf = new byte[8];
        Assert.True(IcmpHeader.TryWrite(buf, IcmpHeader.TypeEchoReply, 0, 0x00770003, out _));
        Assert.True(IcmpHeader.TryRead(buf, out var i));
        Assert.Equal(IcmpHeader.TypeEchoReply, i.Type);
        Assert.Equal(0, i.Code);
        Assert.Equal(0x77, i.Identifier);
        Assert.Equal(3, i.SequenceNumber);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Icmpv6_neighbor_discovery(bool advertisement)
    {
        byte type = advertisement ? Icmpv6Header.TypeNeighborAdvertisement : Icmpv6Header.TypeNeighborSolicitation;
        var buf = new byte[32];
        Assert.True(Icmpv6Header.TryWriteNeighborDiscovery(buf, type, advertisement ? Icmpv6Header.NdSolicitedFlag : 0, TestFrames.Ip6B,
            TestFrames.A, out int n));
        Assert.Equal(32, n);
        Assert.True(Icmpv6Header.TryRead(buf, out var h));
        Assert.Equal(type, h.Type);
        Assert.True(h.IsNeighborDiscovery);
        Assert.True(h.TryGetNdTarget(out var target));
        Assert.Equal(TestFrames.Ip6B, target);
        Assert.True(h.TryGetNdLinkLayerAddress(out var mac));
        Assert.Equal(TestFrames.A, mac);
    }

    [Fact]
    public void Icmpv6_echo()
    {
        var buf = new byte[8];
        Assert.True(Icmpv6Header.TryWrite(buf, Icmpv6Header.TypeEchoRequest, 0, 0x00090001, out _));
        Assert.True(Icmpv6Header.TryRead(buf, out var h));
        Assert.Equal(9, h.Identifier);
        Assert.Equal(1, h.SequenceNumber);
        Assert.False(h.IsNeighborDiscovery);
        Assert.False(h.TryGetNdTarget(out _));
    }
}
