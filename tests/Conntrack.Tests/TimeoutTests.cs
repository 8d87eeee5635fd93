using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class TimeoutTests
{
    [Fact]
    public void Policies_hold_the_documented_defaults()
    {
        var ovs = TimeoutPolicy.OvsDefaults;
        Assert.Equal(TimeSpan.FromHours(24), ovs.TcpEstablished);
        Assert.Equal(TimeSpan.FromSeconds(30), ovs.TcpSynSent);
        Assert.Equal(TimeSpan.FromSeconds(30), ovs.TcpSynRecv);
        Assert.Equal(TimeSpan.FromMinutes(15), ovs.TcpFinWait);
        Assert.Equal(TimeSpan.FromSeconds(45), ovs.TcpTimeWait);
        Assert.Equal(TimeSpan.FromSeconds(30), ovs.TcpClose);
        Assert.Equal((60, 60, 30, 60, 30), ((int)ovs.UdpFirst.TotalSeconds, (int)ovs.UdpSingle.TotalSeconds, (int)ovs.UdpMultiple.TotalSeconds,
            (int)ovs.IcmpFirst.TotalSeconds, (int)ovs.IcmpReply.TotalSeconds));
        var linux = TimeoutPolicy.LinuxDefaults;
        Assert.Equal(TimeSpan.FromSeconds(432000), linux.TcpEstablished);
        Assert.Equal(TimeSpan.FromSeconds(120), linux.TcpSynSent);
        Assert.Equal(TimeSpan.FromSeconds(30), linux.UdpFirst);
        Assert.Equal(TimeSpan.FromSeconds(120), linux.UdpMultiple);
        Assert.Equal(TimeSpan.FromSeconds(30), linux.IcmpFirst);
        var kube = TimeoutPolicy.KubeProxy;
        Assert.Equal(TimeSpan.FromHours(24), kube.TcpEstablished);
        Assert.Equal(TimeSpan.FromHours(1), kube.TcpCloseWait);
        Assert.Equal(TimeoutMapping.LinuxKernel, kube.Mapping);
    }

    [Fact]
    public void Udp_moves_first_multiple_bidir_and_its_timeout_follows()
    {
        var t = Trackers.Ovs();
        var cmd = Pkt.Commit(5);
        Assert.Equal(Pkt.NewTrk, Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 0));
        Assert.Equal(60_000, Assert.Single(t.Entries()).ExpirationMs);
        // OVS: the second packet one way is still +new (conntrack-other.c CT_UPDATE_VALID_NEW) ...
        Assert.Equal(Pkt.NewTrk, Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 1000));
        Assert.Equal(61_000, Assert.Single(t.Entries()).ExpirationMs);
        // ... the third is established; a reply makes it bidirectional (udp_multiple, 30 s).
        Assert.Equal(Pkt.EstTrk, Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, cmd, 2000));
        Assert.Equal(Pkt.EstRplTrk, Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1).Ct(t, cmd, 3000));
        Assert.Equal(33_000, Assert.Single(t.Entries()).ExpirationMs);
    }

    [Fact]
    public void Icmp_echo_moves_first_to_reply()
    {
        var t = Trackers.Ovs();
        Assert.Equal(Pkt.NewTrk, Pkt.Echo("10.0.0.1", "10.0.0.2", false, 9).Ct(t, Pkt.Commit(5), 0));
        Assert.Equal(60_000, Assert.Single(t.Entries()).ExpirationMs);
        Assert.Equal(Pkt.EstRplTrk, Pkt.Echo("10.0.0.2", "10.0.0.1", true, 9).Ct(t, Pkt.Commit(5), 10));
        Assert.Equal(30_010, Assert.Single(t.Entries()).ExpirationMs);
        Assert.Equal("icmp,orig=(src=10.0.0.1,dst=10.0.0.2,id=9),reply=(src=10.0.0.2,dst=10.0.0.1,id=9),zone=5", Assert.Single(t.Dump()));
    }

    [Fact]
    public void Expired_connection_is_absent_to_lookups_at_once_and_swept_later()
    {
        var t = Trackers.Ovs();
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(5), 0);
        Assert.Equal(Pkt.EstRplTrk, Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1).Ct(t, Pkt.Lookup(5), 59_999));
        // 59_999 + 30 s (bidirectional)
        Assert.Equal(Pkt.NewTrk, Pkt.Udp("10.0.0.2", 2, "10.0.0.1", 1).Ct(t, Pkt.Lookup(5), 89_999));
        Assert.Equal(1, t.Count);
        Assert.Empty(t.Dump(5, 89_999));
        Assert.Equal(1, t.Sweep(89_999));
        Assert.Equal(0, t.Count);
        Assert.Equal(1, t.Counters.Expired);
    }

    [Fact]
    public void Recommitting_an_expired_connection_replaces_it()
    {
        var t = Trackers.Ovs();
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(5), 0);
        Assert.Equal(Pkt.NewTrk, Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(5), 100_000));
        Assert.Equal(1, t.Count);
        Assert.Equal(160_000, Assert.Single(t.Entries()).ExpirationMs);
    }

    [Fact]
    public void Zone_policy_overrides_the_default_and_can_change_at_run_time()
    {
        var t = new ConnectionTracker(new ConntrackOptions { ZonePolicies = { [0] = TimeoutPolicy.KubeProxy } });
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(0), 0);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(65520), 0);
        Assert.Equal([30_000L, 60_000L], t.Entries().Select(e => e.ExpirationMs));
        t.SetZonePolicy(65520, TimeoutPolicy.OvsDefaults with { UdpSingle = TimeSpan.FromSeconds(5) });
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(65520), 0);
        Assert.Equal(5_000, t.Entries(65520).Single().ExpirationMs);
    }

    [Fact]
    public void Sweeper_runs_on_the_injected_clock()
    {
        var clock = new ManualTimeProvider();
        var t = new ConnectionTracker(new ConntrackOptions(), clock);
        Pkt.Udp("10.0.0.1", 1, "10.0.0.2", 2).Ct(t, Pkt.Commit(5), t.NowMs());
        using var sweeper = t.StartSweeper(TimeSpan.FromSeconds(10));
        clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(1, t.Count);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, t.Count);
    }
}
