using Datapath.Engine.Tracing;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine.Tests;

/// <summary>
/// The tunnel port over an IPv6 underlay: set_field:...->tun_ipv6_dst makes the port send GENEVE
/// in IPv6, and the receiving node decapsulates it with tun_ipv6_src/dst set for its tables.
/// </summary>
public sealed class TunnelIpv6Tests : IDisposable
{
    private static readonly MacAddress MacA = MacAddress.Parse("02:00:00:00:01:01");
    private static readonly MacAddress MacB = MacAddress.Parse("02:00:00:00:02:02");
    private static readonly Ipv6Address IpA = Ipv6Address.Parse("fd00:79::1");
    private static readonly Ipv6Address IpB = Ipv6Address.Parse("fd00:79::2");
    private readonly Node _a;
    private readonly Node _b;

    public TunnelIpv6Tests()
    {
        _a = MakeNode("a", "192.0.2.1", MacA, IpA);
        _b = MakeNode("b", "192.0.2.2", MacB, IpB);
        _a.AddNeighbor(IpB, MacB);
        Load(_a, "table=0,in_port=1,ip,actions=set_field:fd00:79::2->tun_ipv6_dst,set_field:0x2a->tun_id,output:2");
        Load(_b, "table=0,in_port=2,tun_ipv6_src=fd00:79::1,tun_ipv6_dst=fd00:79::2,tun_id=0x2a,ip,actions=output:1");
    }

    private static Node MakeNode(string name, string ip4, MacAddress mac, Ipv6Address ip6)
    {
        var br = new Bridge();
        br.AddPort(1, "pod", MacAddress.Parse("02:00:00:00:00:0a"), PortKind.Pod);
        br.AddPort(2, "tun0", mac, PortKind.Tunnel);
        return new Node(name, br, Ipv4Address.Parse(ip4), mac) { NodeIp6 = ip6 };
    }

    private static void Load(Node n, string flows)
    {
        using var r = new StringReader(flows);
        n.Bridge.LoadFlows(r, "test.flows");
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static byte[] Inner() => PacketBuilder.Tcp(MacAddress.Parse("02:00:00:00:00:0a"), MacAddress.Parse("02:00:00:00:00:0b"),
        Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.1.1"), 1234, 80, TcpFlags.Syn);

    [Fact]
    public void Set_field_tun_ipv6_dst_sends_ipv6_geneve_that_the_peer_decapsulates()
    {
        var trace = new Trace();
        var inner = Inner();
        Assert.Equal(1, _a.Process(1, inner, null, 0, trace).Outputs);
        byte[] outer = trace.Outputs[0].Frame;
        Assert.Equal(GeneveOuterFrame.Ipv6HeadersLength + 8 + inner.Length, outer.Length);
        Assert.Equal(MacB, MacAddress.Read(outer));
        Assert.Equal(MacA, MacAddress.Read(outer.AsSpan(6)));
        var key = default(FlowKey);
        Assert.True(GeneveDecapsulator.TryDecapsulate(outer, TlvMap.Empty, out int offset, ref key, out var reason), reason.ToString());
        Assert.Equal(IpA, key.TunIpv6Src);
        Assert.Equal(IpB, key.TunIpv6Dst);
        Assert.Equal(0x2aul, key.TunId);
        Assert.Equal(inner, outer[offset..]);
        Assert.Contains(trace.Steps, s => s.Kind == TraceKind.Tunnel && s.Summary!.Contains("fd00:79::1 > fd00:79::2", StringComparison.Ordinal));

        var back = new Trace();
        Assert.Equal(1, _b.Process(2, outer, null, 0, back).Outputs);
        Assert.Equal(inner, back.Outputs[0].Frame);
        Assert.Contains(back.Steps, s => s.Kind == TraceKind.Ingress && s.Summary!.Contains("tun_ipv6_dst=fd00:79::2", StringComparison.Ordinal));
    }

    [Fact]
    public void Geneve_drops_name_their_reason_as_precisely_as_the_trace()
    {
        var trace = new Trace();
        _a.Process(1, Inner(), null, 0, trace);
        byte[] outer = trace.Outputs[0].Frame;
        int geneve = GeneveOuterFrame.Ipv6HeadersLength;

        // A flipped payload byte: the IPv6 UDP checksum (mandatory, RFC 8200 §8.1) no longer verifies.
        byte[] corrupt = (byte[])outer.Clone();
        corrupt[^1] ^= 0xff;
        Assert.Equal((DropReason?)DropReason.TunnelBadChecksum, _b.Process(2, corrupt, null, 0).DropReason);

        // GENEVE version 1 with the checksum made right again: RFC 8926 §3.4 says drop.
        byte[] version1 = (byte[])outer.Clone();
        version1[geneve] |= 0x40;
        FixUdpChecksum(version1);
        Assert.Equal((DropReason?)DropReason.TunnelBadVersion, _b.Process(2, version1, null, 0).DropReason);
        Assert.Equal("tunnel-bad-version", DropReasonNames.Name(DropReason.TunnelBadVersion));
        Assert.Equal(1, _b.Bridge.Drops.Get(DropReason.TunnelBadChecksum));
    }

    /// <summary>Recomputes the UDP checksum of an Ethernet/IPv6/UDP frame (RFC 8200 §8.1 pseudo-header).</summary>
    private static void FixUdpChecksum(byte[] frame)
    {
        const int Ip = EthernetHeader.Length, Udp = Ip + 40;
        int udpLength = frame.Length - Udp;
        frame[Udp + 6] = frame[Udp + 7] = 0;
        uint sum = 0;
        for (int i = Ip + 8; i < Ip + 40; i += 2)
            sum += (uint)(frame[i] << 8 | frame[i + 1]);
        sum += (uint)udpLength + IpProtocols.Udp;
        for (int i = Udp; i < frame.Length; i += 2)
            sum += (uint)(frame[i] << 8 | (i + 1 < frame.Length ? frame[i + 1] : 0));
        while (sum > 0xffff)
            sum = (sum & 0xffff) + (sum >> 16);
        ushort c = (ushort)~sum;
        if (c == 0)
            c = 0xffff;
        frame[Udp + 6] = (byte)(c >> 8);
        frame[Udp + 7] = (byte)c;
    }

    [Fact]
    public void Ipv6_geneve_for_another_address_or_without_a_neighbour_is_a_counted_drop()
    {
        var trace = new Trace();
        _a.Process(1, Inner(), null, 0, trace);
        byte[] outer = trace.Outputs[0].Frame;
        // Node a receiving its own frame: the outer destination is b, not a.
        Assert.Equal((DropReason?)DropReason.TunnelNotForNode, _a.Process(2, outer, null, 0).DropReason);
        Assert.Equal(1, _a.Bridge.Drops.Get(DropReason.TunnelNotForNode));

        Load(_b, "table=0,in_port=1,ip,actions=set_field:fd00:79::9->tun_ipv6_dst,output:2");
        Assert.Equal((DropReason?)DropReason.TunnelEncap, _b.Process(1, Inner(), null, 0).DropReason);
        var noV6 = MakeNode("c", "192.0.2.3", MacB, default);
        using (noV6)
        {
            Load(noV6, "table=0,in_port=1,ip,actions=set_field:fd00:79::1->tun_ipv6_dst,output:2");
            noV6.AddNeighbor(IpA, MacA);
            Assert.Equal((DropReason?)DropReason.TunnelEncap, noV6.Process(1, Inner(), null, 0).DropReason);
        }
    }

    [Fact]
    public void A_cluster_journey_follows_geneve_over_the_ipv6_underlay_to_the_peer()
    {
        using var journey = new Journey(new Cluster([_a, _b]), [], JourneyScope.Cluster);
        var rec = new JourneyRecorder();
        var trace = new Trace();
        var r = journey.Run(journey.GetNode("a"), 1, Inner(), rec, 0, trace);
        Assert.Equal(new JourneyResult(Outputs: 1, Drops: 0, Delivered: 0, Transits: 1, Hops: 2), r);
        var transit = Assert.Single(rec.Transits);
        Assert.Equal(("a", "tun0"), (transit.Node, transit.Port));
        Assert.Equal(EtherTypes.IPv6, (ushort)((transit.Frame[12] << 8) | transit.Frame[13]));
        var o = Assert.Single(rec.Outputs);
        Assert.Equal(("b", "pod"), (o.Node, o.Port));
        Assert.Equal(Inner().AsSpan(12).ToArray(), o.Frame.AsSpan(12).ToArray());
        Assert.Contains(trace.Steps, s => s.Node == "b" && s.Kind == TraceKind.Tunnel && s.Summary!.Contains("tun_src=fd00:79::1", StringComparison.Ordinal));

        // One node's journey stops at the uplink.
        using var single = new Journey(new Cluster([_a, _b]), [], JourneyScope.Node);
        rec.Clear();
        single.Run(single.GetNode("a"), 1, Inner(), rec, 0);
        Assert.Equal(("a", "tun0"), (Assert.Single(rec.Outputs).Node, rec.Outputs[0].Port));
    }
}
