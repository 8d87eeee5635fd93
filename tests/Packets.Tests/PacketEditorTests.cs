namespace Datapath.Packets.Tests;

public class PacketEditorTests
{
    [Fact]
    public void ApplyKey_turns_the_phase1_syn_into_the_phase2_frame()
    {
        // kube-proxy's DNAT to 10.222.2.34 plus Antrea's L3 forwarding MAC rewrite (seed 001).
        byte[] f = SeedFrames.Phase1SynOnGw0();
        FlowKey.Extract(f, 2, out var original);
        var modified = original;
        modified.Ipv4Dst = Ipv4Address.Parse("10.222.2.34");
        modified.DlSrc = SeedFrames.Gw0Mac;
        modified.DlDst = SeedFrames.GlobalVirtualMac;
        Assert.True(PacketEditor.ApplyKey(f, original, modified));
        Assert.Equal(Convert.ToHexString(SeedFrames.Phase2AfterDnatOnGw0()), Convert.ToHexString(f));
    }

    [Fact]
    public void SetIpv4Dst_fixes_ip_and_tcp_checksums()
    {
        byte[] f = SeedFrames.Phase1SynOnGw0();
        FlowKey.Extract(f, 2, out var k);
        Assert.True(PacketEditor.SetIpv4Dst(f, k.Layout, Ipv4Address.Parse("10.222.2.34").Value));
        Assert.True(Ipv4Header.TryRead(f.AsSpan(14), out var ip));
        Assert.True(ip.IsChecksumValid);
        Assert.Equal(Checksum.TransportV4(f.AsSpan(34), ip.Source.Value, ip.Destination.Value, 6), new TcpHeaderChecksum(f, 34).Value);
    }

    [Fact]
    public void Udp_checksum_zero_stays_zero()
    {
        byte[] f = PacketBuilder.Udp(MacAddress.Zero, MacAddress.Broadcast, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"),
            1000, 53, "hello"u8, checksum: false);
        FlowKey.Extract(f, 1, out var k);
        Assert.True(PacketEditor.SetIpv4Src(f, k.Layout, 0x0a000009));
        Assert.True(PacketEditor.SetTpDst(f, k.Layout, 5353));
        Assert.Equal(0, f[40] | f[41]);
        Assert.True(Ipv4Header.TryRead(f.AsSpan(14), out var ip));
        Assert.True(ip.IsChecksumValid);
    }

    private readonly struct TcpHeaderChecksum(byte[] frame, int l4)
    {
        public ushort Value => (ushort)((frame[l4 + 16] << 8) | frame[l4 + 17]);
    }
}

public class PacketEditorFieldTests
{
    [Fact]
    public void ApplyKey_rewrites_arp_fields()
    {
        byte[] f = TestFrames.Arp();
        FlowKey.Extract(f, 1, out var k);
        var m = k;
        m.ArpOp = ArpPacket.OpRequest;
        m.ArpSha = 0x0200000000ee;
        m.ArpTha = 0;
        m.NwSrc = 0x0a0a0a0a;
        m.NwDst = 0x0b0b0b0b;
        Assert.True(PacketEditor.ApplyKey(f, k, m));
        FlowKey.Extract(f, 1, out var after);
        Assert.True(m.Bytes.SequenceEqual(after.Bytes));
    }

    [Fact]
    public void ApplyKey_rewrites_the_vlan_tci_without_cfi_on_the_wire()
    {
        byte[] f = TestFrames.VlanTcp();
        FlowKey.Extract(f, 1, out var k);
        var m = k;
        m.VlanTci = VlanTag.Cfi | 0x2000 | 42;
        Assert.True(PacketEditor.ApplyKey(f, k, m));
        Assert.Equal(0x20, f[14]);   // PCP 1, DEI 0, VID 42
        Assert.Equal(42, f[15]);
        FlowKey.Extract(f, 1, out var after);
        Assert.Equal(m.VlanTci, after.VlanTci);
    }

    [Fact]
    public void ApplyKey_reports_differences_it_cannot_write_in_place()
    {
        byte[] f = TestFrames.Tcp();
        FlowKey.Extract(f, 1, out var k);
        var pushVlan = k;
        pushVlan.VlanTci = VlanTag.Cfi | 5;
        Assert.False(PacketEditor.ApplyKey(f, k, pushVlan));
        var otherProto = k;
        otherProto.NwProto = IpProtocols.Udp;
        Assert.False(PacketEditor.ApplyKey(f, k, otherProto));
        Assert.Equal(TestFrames.Tcp(), f);
    }

    [Fact]
    public void Setters_refuse_frames_without_the_header()
    {
        byte[] arp = TestFrames.Arp();
        FlowKey.Extract(arp, 1, out var ka);
        Assert.False(PacketEditor.SetIpv4Src(arp, ka.Layout, 1));
        Assert.False(PacketEditor.SetTpDst(arp, ka.Layout, 1));
        Assert.False(PacketEditor.SetIpTtl(arp, ka.Layout, 1));

        byte[] later = TestFrames.Ipv4LaterFragment();
        FlowKey.Extract(later, 1, out var kl);
        Assert.False(PacketEditor.SetTpSrc(later, kl.Layout, 1));
        Assert.True(PacketEditor.SetIpv4Dst(later, kl.Layout, 0x01020304));
        Assert.True(Ipv4Header.TryRead(later.AsSpan(14), out var ip));
        Assert.True(ip.IsChecksumValid);

        byte[] udp6 = TestFrames.Udp6();
        FlowKey.Extract(udp6, 1, out var k6);
        Assert.False(PacketEditor.SetIpv4Src(udp6, k6.Layout, 1));
        Assert.False(PacketEditor.SetArpOp(udp6, k6.Layout, 1));
        Assert.False(PacketEditor.SetVlanTci(udp6, k6.Layout, 1));
    }

    [Fact]
    public void Icmp_type_rewrite_fixes_the_icmp_checksum()
    {
        byte[] f = TestFrames.Icmp();
        FlowKey.Extract(f, 1, out var k);
        Assert.True(PacketEditor.SetTpSrc(f, k.Layout, IcmpHeader.TypeEchoReply));
        Assert.Equal(0, Checksum.Fold(Checksum.Add(f.AsSpan(34))));
    }

    [Fact]
    public void Ipv6_hop_limit_tos_and_label()
    {
        byte[] f = TestFrames.Tcp6();
        FlowKey.Extract(f, 1, out var k);
        Assert.True(PacketEditor.SetIpTtl(f, k.Layout, 3));
        Assert.True(PacketEditor.SetIpTos(f, k.Layout, 0xb8));
        Assert.True(PacketEditor.SetIpEcn(f, k.Layout, 2));
        Assert.True(PacketEditor.SetIpv6Label(f, k.Layout, 0x54321));
        Assert.True(Ipv6Header.TryRead(f.AsSpan(14), out var h));
        Assert.Equal(3, h.HopLimit);
        Assert.Equal(0xba, h.TrafficClass);
        Assert.Equal(0x54321u, h.FlowLabel);
    }
}
