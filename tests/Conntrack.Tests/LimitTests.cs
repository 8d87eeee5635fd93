using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class LimitTests
{
    private static Pkt Flow(int i) => Pkt.Udp("10.0.0.1", (ushort)(1000 + i), "10.0.0.2", 53);

    [Fact]
    public void Default_table_limit_is_ovs_three_million()
        => Assert.Equal(3_000_000, new ConnectionTracker().ConnectionLimit);

    [Fact]
    public void Full_table_refuses_new_commits_with_a_counter_and_keeps_established_ones()
    {
        var t = Trackers.Ovs(limit: 3);
        for (int i = 0; i < 3; i++)
            Flow(i).Ct(t, Pkt.Commit(1));
        var refused = Flow(3);
        // Refused: +inv+trk, not stored, and Execute says drop it (Linux: "table full, dropping packet").
        Assert.Equal(Pkt.InvTrk, refused.Ct(t, Pkt.Commit(1)));
        Assert.Equal(0u, refused.Key.CtNwSrc);
        Assert.Equal(3, t.Count);
        Assert.Equal(1, t.Counters.Full);
        for (int i = 0; i < 3; i++)
            Assert.Equal(Pkt.EstRplTrk, Pkt.Udp("10.0.0.2", 53, "10.0.0.1", (ushort)(1000 + i)).Ct(t, Pkt.Lookup(1)));
    }

    [Fact]
    public void Expired_connections_make_room_when_the_table_is_full()
    {
        var t = Trackers.Ovs(limit: 2);
        Flow(0).Ct(t, Pkt.Commit(1), 0);
        Flow(1).Ct(t, Pkt.Commit(1), 0);
        Assert.Equal(Pkt.NewTrk, Flow(2).Ct(t, Pkt.Commit(1), 61_000));
        Assert.Equal(1, t.Count);
        Assert.Equal(0, t.Counters.Full);
    }

    [Fact]
    public void Zone_limit_counts_per_zone()
    {
        var t = new ConnectionTracker(new ConntrackOptions { ZoneLimits = { [7] = 2 } });
        for (int i = 0; i < 3; i++)
            Flow(i).Ct(t, Pkt.Commit(7));
        Flow(0).Ct(t, Pkt.Commit(8));
        Assert.Equal(2, t.CountInZone(7));
        Assert.Equal(1, t.CountInZone(8));
        Assert.Equal(1, t.Counters.ZoneFull);
        t.SetZoneLimit(7, 0);
        Flow(5).Ct(t, Pkt.Commit(7));
        Assert.Equal(3, t.CountInZone(7));
    }

    [Fact]
    public void Default_zone_limit_applies_to_zones_without_their_own()
    {
        var t = new ConnectionTracker(new ConntrackOptions { DefaultZoneLimit = 1, ZoneLimits = { [9] = 5 } });
        Flow(0).Ct(t, Pkt.Commit(1));
        Flow(1).Ct(t, Pkt.Commit(1));
        Flow(0).Ct(t, Pkt.Commit(9));
        Flow(1).Ct(t, Pkt.Commit(9));
        Assert.Equal(1, t.CountInZone(1));
        Assert.Equal(2, t.CountInZone(9));
    }
}
