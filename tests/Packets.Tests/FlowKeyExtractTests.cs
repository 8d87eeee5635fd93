namespace Datapath.Packets.Tests;

public class FlowKeyExtractTests
{
    [Fact]
    public void Seed_phase1_syn_on_gw0()
    {
        byte[] f = SeedFrames.Phase1SynOnGw0();
        Assert.Equal(74, f.Length);   // "length 74"
        FlowKey.Extract(f, 2, out var k);
        Assert.Equal(2u, k.InPort);
        Assert.Equal("be:2c:bf:e4:ec:c5", k.DlSrc.ToString());
        Assert.Equal("4e:99:08:c1:53:be", k.DlDst.ToString());
        Assert.Equal(EtherTypes.IPv4, k.EthType);
        Assert.Equal("10.222.1.48", k.Ipv4Src.ToString());
        Assert.Equal("10.104.65.133", k.Ipv4Dst.ToString());
        Assert.Equal(IpProtocols.Tcp, k.NwProto);
        Assert.Equal(64, k.NwTtl);
        Assert.Equal(0, k.NwTos);
        Assert.Equal(0, k.NwFrag);
        Assert.Equal(56670, k.TpSrc);
        Assert.Equal(80, k.TpDst);
        Assert.Equal((ushort)TcpFlags.Syn, k.TcpFlags);
        Assert.Equal(14, k.Layout.L3Offset);
        Assert.Equal(34, k.Layout.L4Offset);
        Assert.Equal(74, k.Layout.PayloadOffset);
        Assert.Equal(ParseFlags.TcpOptions | ParseFlags.L4Complete, k.Layout.Flags);
    }

    [Fact]
    public void Seed_phase2_after_dnat_on_gw0()
    {
        byte[] f = SeedFrames.Phase2AfterDnatOnGw0();
        Assert.Equal(74, f.Length);
        FlowKey.Extract(f, 2, out var k);
        Assert.Equal("4e:99:08:c1:53:be", k.DlSrc.ToString());
        Assert.Equal("aa:bb:cc:dd:ee:ff", k.DlDst.ToString());
        Assert.Equal("10.222.1.48", k.Ipv4Src.ToString());
        Assert.Equal("10.222.2.34", k.Ipv4Dst.ToString());
        Assert.Equal(56670, k.TpSrc);
        Assert.Equal(80, k.TpDst);
        Assert.Equal((ushort)TcpFlags.Syn, k.TcpFlags);
    }

    [Fact]
    public void Seed_geneve_on_ens160_gives_the_outer_headers()
    {
        byte[] f = SeedFrames.GeneveOnEns160();
        Assert.Equal(124, f.Length);   // "length 124"
        FlowKey.Extract(f, 1, out var k);
        Assert.Equal("00:50:56:8f:4e:82", k.DlSrc.ToString());
        Assert.Equal("00:50:56:8f:1c:f6", k.DlDst.ToString());
        Assert.Equal("10.79.1.201", k.Ipv4Src.ToString());
        Assert.Equal("10.79.1.202", k.Ipv4Dst.ToString());
        Assert.Equal(IpProtocols.Udp, k.NwProto);
        Assert.Equal(12445, k.TpSrc);
        Assert.Equal(6081, k.TpDst);
        Assert.Equal(42, k.Layout.PayloadOffset);
        Assert.Equal(ParseFlags.L4Complete, k.Layout.Flags);
    }

    [Fact]
    public void Arp_request_fills_arp_fields()
    {
        var sha = MacAddress.Parse("be:2c:bf:e4:ec:c5");
        byte[] f = PacketBuilder.Arp(ArpPacket.OpRequest, sha, Ipv4Address.Parse("10.222.1.48"), MacAddress.Zero,
            Ipv4Address.Parse("10.222.1.1"), sha, MacAddress.Broadcast);
        FlowKey.Extract(f, 3, out var k);
        Assert.Equal(EtherTypes.Arp, k.EthType);
        Assert.Equal(1, k.ArpOp);
        Assert.Equal(sha.Value, k.ArpSha);
        Assert.Equal(0UL, k.ArpTha);
        Assert.Equal("10.222.1.48", k.Ipv4Src.ToString());
        Assert.Equal("10.222.1.1", k.Ipv4Dst.ToString());
        Assert.Equal(MacAddress.Broadcast, k.DlDst);
    }
}
