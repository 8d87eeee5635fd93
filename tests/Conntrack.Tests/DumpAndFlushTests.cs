using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class DumpAndFlushTests
{
    private static ConnectionTracker ThreeZones()
    {
        var t = Trackers.Ovs();
        Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, TcpFlags.Syn).Ct(t, Pkt.Commit(0));
        Pkt.Udp("10.0.0.1", 2000, "10.0.0.3", 53).Ct(t, new CtCommand(1, commit: true) { Label = 0x1, LabelMask = UInt128.MaxValue });
        Pkt.Udp("10.0.0.1", 2001, "10.0.0.3", 53).Ct(t, Pkt.Commit(1));
        return t;
    }

    [Fact]
    public void Dump_prints_dpctl_lines_zone_zero_and_zero_mark_omitted_labels_in_hex()
    {
        Assert.Equal(
        [
            "tcp,orig=(src=10.0.0.1,dst=10.0.0.2,sport=1000,dport=80),reply=(src=10.0.0.2,dst=10.0.0.1,sport=80,dport=1000),protoinfo=(state=SYN_SENT)",
            "udp,orig=(src=10.0.0.1,dst=10.0.0.3,sport=2000,dport=53),reply=(src=10.0.0.3,dst=10.0.0.1,sport=53,dport=2000),zone=1,labels=0x1",
            "udp,orig=(src=10.0.0.1,dst=10.0.0.3,sport=2001,dport=53),reply=(src=10.0.0.3,dst=10.0.0.1,sport=53,dport=2001),zone=1",
        ], ThreeZones().Dump());
    }

    [Fact]
    public void Dump_of_one_zone()
        => Assert.Equal(2, ThreeZones().Dump(1).Count());

    [Fact]
    public void Flush_all()
    {
        var t = ThreeZones();
        Assert.Equal(3, t.Flush());
        Assert.Equal(0, t.Count);
        Assert.Empty(t.Dump());
    }

    [Fact]
    public void Flush_zone()
    {
        var t = ThreeZones();
        Assert.Equal(2, t.Flush(1));
        Assert.Equal(1, t.Count);
        Assert.Equal(0, t.CountInZone(1));
    }

    [Fact]
    public void Flush_tuple_matches_the_original_or_the_reply_direction()
    {
        var t = ThreeZones();
        var reply = CtTuple.Ipv4(IpProtocols.Udp, Ipv4Address.Parse("10.0.0.3"), Ipv4Address.Parse("10.0.0.1"), 53, 2001);
        Assert.Equal(1, t.Flush(1, reply));
        Assert.Equal(0, t.Flush(0, reply));
        var orig = CtTuple.Ipv4(IpProtocols.Tcp, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1000, 80);
        Assert.Equal(1, t.Flush(0, orig));
        Assert.Equal(1, t.Count);
        // After a flush the next packet starts over.
        Assert.Equal(Pkt.NewTrk, Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, TcpFlags.Syn).Ct(t, Pkt.Lookup(0)));
    }
}
