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
