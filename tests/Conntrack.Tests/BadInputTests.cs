using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class BadInputTests
{
    [Fact]
    public void Every_truncation_of_a_tcp_frame_is_tracked_without_throwing()
    {
        var full = Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, TcpFlags.Syn, 1).Frame;
        var t = Trackers.Ovs();
        for (int len = 0; len < full.Length; len++)
        {
            var p = Pkt.Of(full[..len]);
            var state = p.Ct(t, Pkt.Commit(1));
            Assert.True(t.Count == 0, $"len {len} flags {p.Key.Layout.Flags} l4 {p.Key.Layout.L4Offset} proto {p.Key.NwProto} type {p.Key.EthType}");
            Assert.True((state & CtStateFlags.Tracked) != 0);
            if (len >= 14 + 20 && len < 14 + 20 + 20)
                Assert.Equal(Pkt.InvTrk, state); // IP present, TCP header cut
        }
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Ip_fragment_is_invalid()
    {
        var p = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        int l3 = p.Key.Layout.L3Offset;
        p.Frame[l3 + 6] = 0x20; // MF
        FlowKey.Extract(p.Frame, 1, out p.Key);
        Assert.NotEqual(0, p.Key.NwFrag);
        Assert.Equal(Pkt.InvTrk, p.Ct(Trackers.Ovs(), Pkt.Commit(1)));
    }

    [Fact]
    public void Unknown_ip_protocol_is_tracked_by_three_tuple()
    {
        var t = Trackers.Ovs();
        var gre = Pkt.Of(PacketBuilder.Ipv4(Pkt.MacA, Pkt.MacB, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), IpProtocols.Gre, new byte[8]));
        Assert.Equal(Pkt.NewTrk, gre.Ct(t, Pkt.Commit(1)));
        var back = Pkt.Of(PacketBuilder.Ipv4(Pkt.MacB, Pkt.MacA, Ipv4Address.Parse("10.0.0.2"), Ipv4Address.Parse("10.0.0.1"), IpProtocols.Gre, new byte[8]));
        Assert.Equal(Pkt.EstRplTrk, back.Ct(t, Pkt.Lookup(1)));
        Assert.Equal("47,orig=(src=10.0.0.1,dst=10.0.0.2,sport=0,dport=0),reply=(src=10.0.0.2,dst=10.0.0.1,sport=0,dport=0),zone=1", Assert.Single(t.Dump()));
    }

    [Fact]
    public void Non_ip_frame_is_invalid()
    {
        var arp = Pkt.Of(PacketBuilder.Arp(1, Pkt.MacA, Ipv4Address.Parse("10.0.0.1"), default, Ipv4Address.Parse("10.0.0.2"), Pkt.MacA, MacAddress.Broadcast));
        Assert.Equal(Pkt.InvTrk, arp.Ct(Trackers.Ovs(), Pkt.Commit(1)));
    }

    [Fact]
    public void Icmp_echo_reply_without_request_is_invalid_and_creates_nothing()
    {
        var t = Trackers.Ovs();
        Assert.Equal(Pkt.InvTrk, Pkt.Echo("10.0.0.2", "10.0.0.1", true, 3).Ct(t, Pkt.Commit(1)));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Icmp_error_about_an_unknown_connection_is_invalid_and_about_a_known_one_related()
    {
        var t = Trackers.Ovs();
        var udp = Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2);
        var quoted = udp.Frame.AsSpan(udp.Key.Layout.L3Offset).ToArray();
        Pkt Error() => Pkt.Of(PacketBuilder.Icmp(Pkt.MacB, Pkt.MacA, Ipv4Address.Parse("10.0.0.254"), Ipv4Address.Parse("10.0.0.1"), 11, 0, 0, quoted));
        Assert.Equal(Pkt.InvTrk, Error().Ct(t, Pkt.Commit(1)));
        udp.Ct(t, Pkt.Commit(1));
        var rel = Error();
        Assert.Equal(CtStateFlags.Related | CtStateFlags.Reply | CtStateFlags.Tracked, rel.Ct(t, Pkt.Lookup(1)));
        Assert.Equal(Ipv4Address.Parse("10.0.0.1").Value, rel.Key.CtNwSrc);
        Assert.Equal(1, t.Count);
    }

    [Fact]
    public void Ipv6_tcp_is_tracked_from_both_directions()
    {
        var t = Trackers.Ovs();
        var a = Ipv6Address.Parse("fd00::1");
        var b = Ipv6Address.Parse("fd00::2");
        var syn = Pkt.Of(PacketBuilder.Tcp6(Pkt.MacA, Pkt.MacB, a, b, 1000, 80, TcpFlags.Syn, 1));
        Assert.Equal(Pkt.NewTrk, syn.Ct(t, Pkt.Commit(1)));
        var synAck = Pkt.Of(PacketBuilder.Tcp6(Pkt.MacB, Pkt.MacA, b, a, 80, 1000, TcpFlags.Syn | TcpFlags.Ack, 9, 2));
        Assert.Equal(Pkt.EstRplTrk, synAck.Ct(t, Pkt.Lookup(1)));
        Assert.StartsWith("tcp,orig=(src=fd00::1,dst=fd00::2,sport=1000,dport=80)", Assert.Single(t.Dump()), StringComparison.Ordinal);
    }
}
