namespace Datapath.Packets.Tests;

/// <summary>FlowKey.Extract for each header kind, checked field by field against what OVS's miniflow_extract fills.</summary>
public class FlowKeyExtractKindsTests
{
    private static FlowKey Extract(byte[] f, uint inPort = 7)
    {
        FlowKey.Extract(f, inPort, out var k);
        return k;
    }

    [Fact]
    public void Tcp_with_tos_fills_dscp_ecn_and_flags()
    {
        var k = Extract(TestFrames.Tcp());
        Assert.Equal(TestFrames.A, k.DlSrc);
        Assert.Equal(TestFrames.B, k.DlDst);
        Assert.Equal(TestFrames.IpA, k.Ipv4Src);
        Assert.Equal(TestFrames.IpB, k.Ipv4Dst);
        Assert.Equal(0xb8, k.NwTos);   // tos 0xb9 = DSCP 46 (EF) << 2 | ECN 1
        Assert.Equal(1, k.NwEcn);
        Assert.Equal(64, k.NwTtl);
        Assert.Equal(40000, k.TpSrc);
        Assert.Equal(443, k.TpDst);
        Assert.Equal((ushort)(TcpFlags.Ack | TcpFlags.Psh), k.TcpFlags);
        Assert.Equal(0, k.VlanTci);
        Assert.Equal(14 + 20 + 32, k.Layout.PayloadOffset);
        Assert.Equal(ParseFlags.TcpOptions | ParseFlags.L4Complete, k.Layout.Flags);
    }

    [Fact]
    public void Tcp_flags_keep_all_12_bits()
    {
        byte[] f = TestFrames.Tcp();
        f[14 + 20 + 12] |= 0x0F;   // NS + the 3 reserved bits
        f[14 + 20 + 13] = 0xFF;    // CWR..FIN
        Assert.Equal(0x0FFF, Extract(f).TcpFlags);
    }

    [Fact]
    public void Udp_fills_ports()
    {
        var k = Extract(TestFrames.Udp());
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(5353, k.TpSrc);
        Assert.Equal(53, k.TpDst);
        Assert.Equal(17, k.NwTtl);
        Assert.Equal(0, k.TcpFlags);
        Assert.Equal(42, k.Layout.PayloadOffset);
    }

    [Fact]
    public void Icmp_type_and_code_go_to_tp_src_and_tp_dst()
    {
        var k = Extract(TestFrames.Icmp());
        Assert.Equal(IpProtocols.Icmp, k.NwProto);
        Assert.Equal(IcmpHeader.TypeEchoRequest, k.IcmpType);
        Assert.Equal(0, k.IcmpCode);
        Assert.Equal(8, k.TpSrc);
        var unreachable = PacketBuilder.Icmp(TestFrames.A, TestFrames.B, TestFrames.IpA, TestFrames.IpB,
            IcmpHeader.TypeDestinationUnreachable, 3, 0);
        var u = Extract(unreachable);
        Assert.Equal(3, u.TpSrc);
        Assert.Equal(3, u.TpDst);
    }

    [Fact]
    public void Arp_reply_fills_op_addresses_in_shared_storage()
    {
        var k = Extract(TestFrames.Arp());
        Assert.Equal(EtherTypes.Arp, k.EthType);
        Assert.Equal(ArpPacket.OpReply, k.ArpOp);
        Assert.Equal(TestFrames.A.Value, k.ArpSha);
        Assert.Equal(TestFrames.B.Value, k.ArpTha);
        Assert.Equal(TestFrames.IpA.Value, k.NwSrc);   // arp_spa
        Assert.Equal(TestFrames.IpB.Value, k.NwDst);   // arp_tpa
        Assert.Equal(0, k.NwProto);
        Assert.Equal(TestFrames.IpA.Value, (uint)FieldRegistry.Read(k, FieldRegistry.Get(FieldId.ArpSpa)));
    }

    [Fact]
    public void Arp_with_an_opcode_above_255_keeps_only_l2_as_OVS_does()
    {
        byte[] f = TestFrames.Arp();
        f[14 + 6] = 0x01;   // opcode 0x0102
        var k = Extract(f);
        Assert.Equal(EtherTypes.Arp, k.EthType);
        Assert.Equal(0, k.ArpOp);
        Assert.Equal(0u, k.NwSrc);
    }

    [Fact]
    public void Ipv4_options_are_skipped()
    {
        var k = Extract(TestFrames.Ipv4WithOptions());
        Assert.Equal(1, k.TpSrc);
        Assert.Equal(2, k.TpDst);
        Assert.Equal(14 + 24, k.Layout.L4Offset);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Ipv4Options));
    }

    [Fact]
    public void Ipv4_first_fragment_has_nw_frag_first_and_ports()
    {
        var k = Extract(TestFrames.Ipv4FirstFragment());
        Assert.Equal(1, k.NwFrag);   // nw_frag=first
        Assert.Equal(7, k.TpSrc);
        Assert.Equal(8, k.TpDst);
    }

    [Fact]
    public void Ipv4_later_fragment_has_nw_frag_later_and_no_l4()
    {
        var k = Extract(TestFrames.Ipv4LaterFragment());
        Assert.Equal(3, k.NwFrag);   // nw_frag=later
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(0, k.TpSrc);
        Assert.Equal(0, k.TpDst);
        Assert.Equal(0, k.Layout.L4Offset);
        Assert.False(k.Layout.Flags.HasFlag(ParseFlags.Truncated));
    }

    [Fact]
    public void Tcp6_fills_addresses_label_and_ports()
    {
        var k = Extract(TestFrames.Tcp6());
        Assert.Equal(EtherTypes.IPv6, k.EthType);
        Assert.Equal(TestFrames.Ip6A, k.Ipv6Src);
        Assert.Equal(TestFrames.Ip6B, k.Ipv6Dst);
        Assert.Equal(0xabcdeu, k.Ipv6Label);
        Assert.Equal(IpProtocols.Tcp, k.NwProto);
        Assert.Equal(64, k.NwTtl);
        Assert.Equal(40000, k.TpSrc);
        Assert.Equal(80, k.TpDst);
        Assert.Equal((ushort)TcpFlags.Syn, k.TcpFlags);
        Assert.Equal(0u, k.NwSrc);
        Assert.Equal(TestFrames.Ip6A.Value, FieldRegistry.Read(k, FieldRegistry.Get(FieldId.Ipv6Src)));
    }

    [Fact]
    public void Ipv6_traffic_class_splits_into_tos_and_ecn()
    {
        byte[] f = PacketBuilder.Ipv6(TestFrames.A, TestFrames.B, TestFrames.Ip6A, TestFrames.Ip6B, IpProtocols.Udp,
            PacketBuilder.UdpDatagram(1, 2, default), trafficClass: 0xb9);
        var k = Extract(f);
        Assert.Equal(0xb8, k.NwTos);
        Assert.Equal(1, k.NwEcn);
    }

    [Fact]
    public void Ipv6_extension_headers_are_skipped()
    {
        var k = Extract(TestFrames.Udp6WithExtensionHeaders());
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(1000, k.TpSrc);
        Assert.Equal(2000, k.TpDst);
        Assert.Equal(14 + 40 + 32, k.Layout.L4Offset);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Ipv6ExtensionHeaders));
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.L4Complete));
    }

    [Fact]
    public void Ipv6_first_fragment_is_first_with_ports()
    {
        var k = Extract(TestFrames.Udp6FirstFragment());
        Assert.Equal(1, k.NwFrag);
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(1000, k.TpSrc);
    }

    [Fact]
    public void Ipv6_later_fragment_is_later_without_ports()
    {
        var k = Extract(TestFrames.Udp6LaterFragment());
        Assert.Equal(3, k.NwFrag);
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(0, k.TpSrc);
        Assert.Equal(0, k.Layout.L4Offset);
    }

    [Fact]
    public void Icmpv6_echo_type_and_code()
    {
        var k = Extract(TestFrames.Icmpv6Echo());
        Assert.Equal(IpProtocols.Icmpv6, k.NwProto);
        Assert.Equal(Icmpv6Header.TypeEchoRequest, k.TpSrc);
        Assert.Equal(0, k.TpDst);
        Assert.Equal(0UL, k.NdTargetHi | k.NdTargetLo);
    }

    [Fact]
    public void Neighbor_solicitation_fills_nd_target_and_nd_sll()
    {
        var k = Extract(TestFrames.NeighborSolicitation());
        Assert.Equal(Icmpv6Header.TypeNeighborSolicitation, k.TpSrc);
        Assert.Equal(255, k.NwTtl);
        Assert.Equal(TestFrames.Ip6B.Value, FieldRegistry.Read(k, FieldRegistry.Get(FieldId.NdTarget)));
        Assert.Equal(TestFrames.A.Value, (ulong)FieldRegistry.Read(k, FieldRegistry.Get(FieldId.NdSll)));
        Assert.Equal(0UL, k.ArpTha);
    }

    [Fact]
    public void Neighbor_advertisement_fills_nd_target_and_nd_tll()
    {
        var k = Extract(TestFrames.NeighborAdvertisement());
        Assert.Equal(Icmpv6Header.TypeNeighborAdvertisement, k.TpSrc);
        Assert.Equal(TestFrames.Ip6B.Value, FieldRegistry.Read(k, FieldRegistry.Get(FieldId.NdTarget)));
        Assert.Equal(TestFrames.B.Value, (ulong)FieldRegistry.Read(k, FieldRegistry.Get(FieldId.NdTll)));
        Assert.Equal(0UL, k.ArpSha);
    }

    [Fact]
    public void Neighbor_solicitation_with_two_source_options_is_invalid_as_in_OVS()
    {
        byte[] ns = TestFrames.NeighborSolicitation();
        byte[] l4 = new byte[32 + 8];
        ns.AsSpan(14 + 40, 32).CopyTo(l4);
        ns.AsSpan(14 + 40 + 24, 8).CopyTo(l4.AsSpan(32));
        byte[] f = PacketBuilder.Ipv6(TestFrames.A, TestFrames.B, TestFrames.Ip6A, TestFrames.Ip6B, IpProtocols.Icmpv6, l4, 255);
        var k = Extract(f);
        Assert.Equal(Icmpv6Header.TypeNeighborSolicitation, k.TpSrc);
        Assert.Equal(0UL, k.NdTargetHi | k.NdTargetLo | k.ArpSha);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Malformed));
    }

    [Fact]
    public void Vlan_tag_sets_tci_with_cfi()
    {
        var k = Extract(TestFrames.VlanTcp());
        Assert.Equal(EtherTypes.IPv4, k.EthType);
        Assert.Equal(0xA000 | 0x1000 | 100, k.VlanTci);   // PCP 5, CFI, VID 100
        Assert.Equal(0, k.VlanTci2);
        Assert.Equal(18, k.Layout.L3Offset);
        Assert.Equal(443, k.TpDst);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Vlan));
    }

    [Fact]
    public void Double_tag_88a8_outer_fills_both_tcis()
    {
        var k = Extract(TestFrames.QinQUdp());
        Assert.Equal(EtherTypes.IPv4, k.EthType);
        Assert.Equal(0x6000 | 0x1000 | 200, k.VlanTci);
        Assert.Equal(0x1000 | 100, k.VlanTci2);
        Assert.Equal(22, k.Layout.L3Offset);
        Assert.Equal(53, k.TpDst);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.DoubleVlan));
    }

    [Fact]
    public void Three_tags_leave_dl_type_the_tpid()
    {
        // Outer 0x8100 (VID 300), then 0x88a8 (VID 200), then 0x8100 (VID 100): OVS parses two.
        byte[] f = PacketBuilder.WithVlan(TestFrames.QinQUdp(), 300);
        var k = Extract(f);
        Assert.Equal(0x1000 | 300, k.VlanTci);
        Assert.Equal(0x1000 | 0x6000 | 200, k.VlanTci2);
        Assert.Equal(EtherTypes.Vlan, k.EthType);
        Assert.Equal(0u, k.NwSrc);
    }

    [Fact]
    public void Sctp_fills_ports()
    {
        var k = Extract(TestFrames.Sctp());
        Assert.Equal(IpProtocols.Sctp, k.NwProto);
        Assert.Equal(3000, k.TpSrc);
        Assert.Equal(4000, k.TpDst);
    }

    [Fact]
    public void Llc_snap_frame_gives_the_snap_ethertype()
    {
        // 802.3 length, LLC aa aa 03, SNAP OUI 000000 type 0x0800, then an IPv4/UDP datagram.
        byte[] ip = TestFrames.Udp().AsSpan(14).ToArray();
        byte[] f = new byte[14 + 8 + ip.Length];
        TestFrames.B.Write(f);
        TestFrames.A.Write(f.AsSpan(6));
        f[12] = (byte)((8 + ip.Length) >> 8);
        f[13] = (byte)(8 + ip.Length);
        Convert.FromHexString("AAAA030000000800").CopyTo(f, 14);
        ip.CopyTo(f, 22);
        var k = Extract(f);
        Assert.Equal(EtherTypes.IPv4, k.EthType);
        Assert.Equal(53, k.TpDst);
        Assert.Equal(22, k.Layout.L3Offset);
    }

    [Fact]
    public void Plain_802_3_frame_has_dl_type_none()
    {
        byte[] f = Convert.FromHexString("0180c20000000200000000aa0026424203000000000080000200000000");
        var k = Extract(f);
        Assert.Equal(0x05ff, k.EthType);   // OVS's FLOW_DL_TYPE_NONE (this is an STP BPDU)
    }

    [Fact]
    public void Extract_zeroes_every_other_field()
    {
        var k = Extract(TestFrames.Udp(), 9);
        Assert.Equal(9u, k.InPort);
        Assert.Equal(0UL, k.TunId);
        Assert.Equal(0u, k.Regs[0]);
        Assert.Equal(0u, k.CtState);
    }

    [Fact]
    public void ExtractPacketFields_keeps_metadata()
    {
        FlowKey.Extract(TestFrames.Udp(), 4, out var k);
        k.Regs[3] = 0x55;
        k.CtState = (uint)CtStateFlags.Tracked;
        k.TunId = 99;
        FlowKey.ExtractPacketFields(TestFrames.Tcp(), ref k);
        Assert.Equal(4u, k.InPort);
        Assert.Equal(0x55u, k.Regs[3]);
        Assert.Equal(99UL, k.TunId);
        Assert.Equal((uint)CtStateFlags.Tracked, k.CtState);
        Assert.Equal(443, k.TpDst);
        Assert.Equal(IpProtocols.Tcp, k.NwProto);
    }

    [Theory]
    // Version 5 in an IPv4 EtherType.
    [InlineData(0, (byte)0x55)]
    // IHL 4 (16 bytes) is below the minimum of 5.
    [InlineData(0, (byte)0x44)]
    public void Bad_ipv4_version_or_ihl_is_malformed(int offset, byte value)
    {
        byte[] f = TestFrames.Udp();
        f[14 + offset] = value;
        var k = Extract(f);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Malformed));
        Assert.Equal(0u, k.NwSrc);
        Assert.Equal(0, k.TpDst);
    }

    [Fact]
    public void Ipv4_total_length_below_header_length_is_malformed()
    {
        byte[] f = TestFrames.Udp();
        f[16] = 0;
        f[17] = 19;
        Assert.True(Extract(f).Layout.Flags.HasFlag(ParseFlags.Malformed));
    }

    [Fact]
    public void Ipv4_total_length_beyond_the_frame_is_truncated_but_parsed()
    {
        byte[] f = TestFrames.Udp();
        f[16] = 0x05;   // total length 0x05xx > frame
        var k = Extract(f);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Truncated));
        Assert.Equal(53, k.TpDst);
    }

    [Fact]
    public void Ethernet_padding_after_the_datagram_is_ignored()
    {
        byte[] f = TestFrames.Arp();
        Assert.Equal(42, f.Length);
        byte[] small = PacketBuilder.Udp(TestFrames.A, TestFrames.B, TestFrames.IpA, TestFrames.IpB, 1, 2);
        Array.Resize(ref small, 60);   // padded to the Ethernet minimum
        var k = Extract(small);
        Assert.Equal(ParseFlags.L4Complete, k.Layout.Flags);
        Assert.Equal(42, k.Layout.PayloadOffset);
    }

    [Fact]
    public void Bad_ipv6_version_is_malformed()
    {
        byte[] f = TestFrames.Udp6();
        f[14] = 0x45;
        var k = Extract(f);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Malformed));
        Assert.Equal(0UL, k.Ipv6SrcHi);
    }

    [Fact]
    public void Tcp_data_offset_below_5_is_malformed()
    {
        byte[] f = TestFrames.Tcp();
        f[14 + 20 + 12] = 0x40;
        var k = Extract(f);
        Assert.True(k.Layout.Flags.HasFlag(ParseFlags.Malformed));
        Assert.Equal(0, k.TpDst);
    }
}
