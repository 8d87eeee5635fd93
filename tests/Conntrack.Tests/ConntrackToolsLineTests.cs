using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>
/// The host's connections as conntrack-tools 1.4.7 prints them in <c>conntrack -L</c>: the protocol padded to
/// eight, its number, the seconds left, TCP's state, both tuples, <c>[UNREPLIED]</c> before a reply tuple no
/// packet has used, <c>[ASSURED]</c> once TCP's handshake completed, mark and use. The expected lines have the
/// shape of the real tool's (run on connections in a network namespace, e.g.
/// <c>tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=57818 dport=8080 src=127.0.0.1 dst=127.0.0.1 sport=8080 dport=57818 [ASSURED] mark=0 use=1</c>).
/// </summary>
public sealed class ConntrackToolsLineTests
{
    private static ConnectionTracker Host() => new(new ConntrackOptions { Seed = 1, ZonePolicies = { [0] = TimeoutPolicy.LinuxDefaults } });

    private static void Commit(ConnectionTracker t, Pkt p, long now)
    {
        var ct = t.NfLookup(ref p.Key, p.Frame, 0, now);
        if (!ct.IsConfirmed)
            Assert.True(t.NfConfirm(ct, now, out _));
    }

    [Fact]
    public void Tcp_unreplied_then_assured()
    {
        var t = Host();
        Commit(t, Pkt.Tcp("10.222.1.48", 56670, "10.222.2.34", 80, TcpFlags.Syn, 100), 0);
        Assert.Equal("tcp      6 120 SYN_SENT src=10.222.1.48 dst=10.222.2.34 sport=56670 dport=80 [UNREPLIED] src=10.222.2.34 dst=10.222.1.48 sport=80 dport=56670 mark=0 use=1",
            Assert.Single(t.ListConntrack(0)));
        Commit(t, Pkt.Tcp("10.222.2.34", 80, "10.222.1.48", 56670, TcpFlags.Syn | TcpFlags.Ack, 7, 101), 10);
        Commit(t, Pkt.Tcp("10.222.1.48", 56670, "10.222.2.34", 80, TcpFlags.Ack, 101, 8), 20);
        Assert.Equal("tcp      6 431999 ESTABLISHED src=10.222.1.48 dst=10.222.2.34 sport=56670 dport=80 src=10.222.2.34 dst=10.222.1.48 sport=80 dport=56670 [ASSURED] mark=0 use=1",
            Assert.Single(t.ListConntrack(1000)));
    }

    [Fact]
    public void Udp_replied_is_not_assured_and_the_timeout_counts_down()
    {
        var t = Host();
        Commit(t, Pkt.Udp("10.222.1.48", 54077, "10.96.0.10", 53), 0);
        Assert.Equal("udp      17 29 src=10.222.1.48 dst=10.96.0.10 sport=54077 dport=53 [UNREPLIED] src=10.96.0.10 dst=10.222.1.48 sport=53 dport=54077 mark=0 use=1",
            Assert.Single(t.ListConntrack(500)));
        Commit(t, Pkt.Udp("10.96.0.10", 53, "10.222.1.48", 54077), 1000);
        Assert.StartsWith("udp      17 ", Assert.Single(t.ListConntrack(1000)), StringComparison.Ordinal);
        Assert.DoesNotContain("[UNREPLIED]", t.ListConntrack(1000).Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("[ASSURED]", t.ListConntrack(1000).Single(), StringComparison.Ordinal);
        Assert.Equal("conntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.", ConnectionTracker.ConntrackToolsSummary(1));
    }

    [Fact]
    public void Icmp_echo_names_type_code_and_id()
    {
        var t = Host();
        Commit(t, Pkt.Echo("10.222.1.48", "10.222.2.34", reply: false, id: 15490), 0);
        Commit(t, Pkt.Echo("10.222.2.34", "10.222.1.48", reply: true, id: 15490), 10);
        Assert.Equal("icmp     1 29 src=10.222.1.48 dst=10.222.2.34 type=8 code=0 id=15490 src=10.222.2.34 dst=10.222.1.48 type=0 code=0 id=15490 mark=0 use=1",
            Assert.Single(t.ListConntrack(500)));
    }
}
