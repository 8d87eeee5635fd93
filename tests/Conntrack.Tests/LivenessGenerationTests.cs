namespace Datapath.Conntrack.Tests;

/// <summary>
/// ConnectionTracker.LivenessGeneration, which the replay's dispatcher trusts to keep a parallel verdict: it stands
/// still while connections only live on (packets pushing their expiry later) and moves when one leaves or its expiry
/// moves earlier.
/// </summary>
public class LivenessGenerationTests
{
    [Fact]
    public void Packets_that_push_the_expiry_later_leave_it_alone()
    {
        var t = Trackers.Ovs();
        var cmd = Pkt.Commit(5);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 0);
        long g = t.LivenessGeneration;
        for (int ms = 1000; ms < 10_000; ms += 1000)
            Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, ms);
        Assert.Equal(g, t.LivenessGeneration);
    }

    [Fact]
    public void A_reply_that_shortens_the_timeout_moves_it()
    {
        // udp_first/single 60 s, then the reply makes the connection bidirectional: udp_multiple 30 s (TimeoutTests).
        var t = Trackers.Ovs();
        var cmd = Pkt.Commit(5);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 0);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 1000);
        long g = t.LivenessGeneration;
        Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1).Ct(t, cmd, 3000);
        Assert.Equal(33_000, Assert.Single(t.Entries()).ExpirationMs);
        Assert.True(t.LivenessGeneration > g);
    }

    [Fact]
    public void A_clock_going_back_moves_it()
    {
        var t = Trackers.Ovs();
        var cmd = Pkt.Commit(5);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 5000);
        long g = t.LivenessGeneration;
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 1000); // a capture replayed from its start again
        Assert.True(t.LivenessGeneration > g);
    }

    [Fact]
    public void A_flush_moves_it()
    {
        var t = Trackers.Ovs();
        var cmd = Pkt.Commit(5);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 0);
        long g = t.LivenessGeneration;
        Assert.Equal(1, t.Flush());
        Assert.True(t.LivenessGeneration > g);
    }
}
