using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>TCP tracking: every state of a connection's life, the pf windows, flags, pickups.</summary>
public class TcpTrackingTests
{
    private const ushort Zone = 1;
    private const TcpFlags S = TcpFlags.Syn, A = TcpFlags.Ack, F = TcpFlags.Fin, R = TcpFlags.Rst, P = TcpFlags.Psh;

    private static Pkt C(TcpFlags f, uint seq, uint ack = 0, int payload = 0) => Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, f, seq, ack, payload: payload);

    private static Pkt Srv(TcpFlags f, uint seq, uint ack = 0, int payload = 0) => Pkt.Tcp("10.0.0.2", 80, "10.0.0.1", 1000, f, seq, ack, payload: payload);

    private static CtStateFlags Go(ConnectionTracker t, Pkt p, long now = 0) => p.Ct(t, Pkt.Commit(Zone), now);

    private static CtEntry Entry(ConnectionTracker t) => Assert.Single(t.Entries(Zone));

    /// <summary>(step, expected ct_state, Linux state, dpctl state, OVS timeout seconds, kube-proxy timeout seconds)</summary>
    public static TheoryData<int, CtStateFlags, TcpState, string, int, int> Lifecycle => new()
    {
        { 0, Pkt.NewTrk, TcpState.SynSent, "SYN_SENT", 30, 120 },
        { 1, Pkt.EstRplTrk, TcpState.SynRecv, "ESTABLISHED", 30, 60 },
        { 2, Pkt.EstTrk, TcpState.Established, "ESTABLISHED", 86400, 86400 },
        { 3, Pkt.EstTrk, TcpState.Established, "ESTABLISHED", 86400, 86400 },
        { 4, Pkt.EstTrk, TcpState.FinWait, "FIN_WAIT_1", 900, 120 },
        { 5, Pkt.EstRplTrk, TcpState.CloseWait, "CLOSE_WAIT", 900, 3600 },
        { 6, Pkt.EstRplTrk, TcpState.LastAck, "LAST_ACK", 45, 30 },
        { 7, Pkt.EstTrk, TcpState.TimeWait, "TIME_WAIT", 30, 120 },
    };

    private static readonly Func<Pkt>[] Steps =
    [
        () => C(S, 100),                     // SYN
        () => Srv(S | A, 500, 101),          // SYN+ACK
        () => C(A, 101, 501),                // ACK: established
        () => C(A | P, 101, 501, 10),        // data
        () => C(F | A, 111, 501),            // client FIN
        () => Srv(A, 501, 112),              // server acknowledges the FIN
        () => Srv(F | A, 501, 112),          // server FIN
        () => C(A, 112, 502),                // last ACK
    ];

    [Theory]
    [MemberData(nameof(Lifecycle))]
    public void Every_state_of_a_connection_with_its_timeout(int step, CtStateFlags state, TcpState tcp, string dpif, int ovsSeconds, int kubeSeconds)
    {
        foreach (var (tracker, seconds) in new[] { (Trackers.Ovs(), ovsSeconds), (Trackers.Kernel(), kubeSeconds) })
        {
            const long now = 1_000_000;
            for (int i = 0; i < step; i++)
                Go(tracker, Steps[i](), now - 1000);
            Assert.Equal(state, Go(tracker, Steps[step](), now));
            var e = Entry(tracker);
            Assert.Equal(tcp, e.TcpState);
            Assert.EndsWith($"protoinfo=(state={dpif})", e.ToString(), StringComparison.Ordinal);
            Assert.Equal(seconds * 1000L, e.ExpirationMs - now);
        }
    }

    [Fact]
    public void Rst_closes_the_connection()
    {
        var t = Trackers.Kernel();
        Go(t, C(S, 100));
        Go(t, Srv(S | A, 500, 101));
        Go(t, C(A, 101, 501));
        Assert.Equal(Pkt.EstRplTrk, Go(t, Srv(R | A, 501, 101), 5));
        Assert.Equal(TcpState.Close, Entry(t).TcpState);
        Assert.Equal(10_000 + 5, Entry(t).ExpirationMs);
        Assert.EndsWith("protoinfo=(state=CLOSING)", Entry(t).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Rst_with_a_sequence_number_far_from_the_expected_one_is_invalid()
    {
        var t = Trackers.Ovs();
        Go(t, C(S, 100));
        Go(t, Srv(S | A, 500, 101));
        Go(t, C(A, 101, 501));
        Assert.Equal(Pkt.InvTrk, Go(t, Srv(R, 501 + 5000, 0)));
        Assert.Equal(TcpState.Established, Entry(t).TcpState);
    }

    [Fact]
    public void Syn_on_a_closed_connection_replaces_it_with_a_new_one()
    {
        var t = Trackers.Ovs();
        foreach (var step in Steps)
            Go(t, step());
        Assert.Equal(TcpState.TimeWait, Entry(t).TcpState);
        Assert.Equal(Pkt.NewTrk, Go(t, C(S, 90000)));
        Assert.Equal(TcpState.SynSent, Entry(t).TcpState);
        Assert.Equal(2, t.Counters.Created);
    }

    [Fact]
    public void Segment_beyond_the_window_is_invalid_unless_liberal()
    {
        var t = Trackers.Ovs();
        Go(t, C(S, 100));
        Go(t, Srv(S | A, 500, 101));
        Go(t, C(A, 101, 501));
        Assert.Equal(Pkt.InvTrk, Go(t, C(A | P, 101 + 10_000_000, 501, 10)));
        Assert.Equal(1, t.Counters.Invalid);
        t.TcpBeLiberal = true;
        Assert.Equal(Pkt.EstTrk, Go(t, C(A | P, 101 + 10_000_000, 501, 10)));
    }

    [Fact]
    public void Ack_of_data_never_sent_is_invalid()
    {
        var t = Trackers.Ovs();
        Go(t, C(S, 100));
        Go(t, Srv(S | A, 500, 101));
        Go(t, C(A, 101, 501));
        Assert.Equal(Pkt.InvTrk, Go(t, Srv(A, 501, 101 + 2_000_000)));
    }

    [Fact]
    public void Retransmitted_syn_is_still_new_in_ovs_semantics()
    {
        // conntrack-tcp.c: a SYN from an end that has sent only SYNs is CT_UPDATE_VALID_NEW (+new), until a reply.
        var t = Trackers.Ovs();
        Go(t, C(S, 100));
        Assert.Equal(Pkt.NewTrk, Go(t, C(S, 100)));
        Go(t, Srv(S | A, 500, 101));
        Assert.Equal(Pkt.EstTrk, Go(t, C(A, 101, 501)));
    }

    [Theory]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin)]
    [InlineData(TcpFlags.Syn | TcpFlags.Rst)]
    [InlineData(TcpFlags.None)]
    [InlineData(TcpFlags.Fin)]
    [InlineData(TcpFlags.Psh)]
    [InlineData(TcpFlags.Urg)]
    [InlineData(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg)]
    public void Invalid_flag_combinations_are_invalid_and_create_nothing(TcpFlags flags)
    {
        var t = Trackers.Ovs();
        Assert.Equal(Pkt.InvTrk, Go(t, C(flags, 100)));
        Assert.Equal(0, t.Count);
        // ... and on an existing connection too.
        Go(t, C(S, 100));
        Go(t, Srv(S | A, 500, 101));
        Assert.Equal(Pkt.InvTrk, Go(t, C(flags, 101, 501)));
    }

    [Fact]
    public void Syn_ack_never_creates_a_connection()
    {
        var t = Trackers.Ovs();
        Assert.Equal(Pkt.InvTrk, Go(t, Srv(S | A, 500, 101)));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Non_syn_segment_picks_up_a_connection_mid_stream()
    {
        var t = Trackers.Ovs();
        Assert.Equal(Pkt.NewTrk, Go(t, C(A | P, 5000, 9000, 100)));
        Assert.Equal(Pkt.EstRplTrk, Go(t, Srv(A, 9000, 5100)));
        Assert.Equal(Pkt.EstTrk, Go(t, C(A | P, 5100, 9000, 100)));
    }

    [Fact]
    public void Without_tcp_loose_a_non_syn_segment_creates_nothing()
    {
        var t = new ConnectionTracker(new ConntrackOptions { TcpLoose = false });
        Assert.Equal(Pkt.InvTrk, Go(t, C(A, 5000, 9000)));
        Assert.Equal(0, t.Count);
    }

    [Fact]
    public void Window_scale_from_the_syn_options_is_honoured()
    {
        var t = Trackers.Ovs();
        var opts = PacketBuilder.LinuxSynOptions(1460, 1, 0, 7);
        Go(t, Pkt.Tcp("10.0.0.1", 1000, "10.0.0.2", 80, S, 100, 0, window: 64240, options: opts));
        Go(t, Pkt.Tcp("10.0.0.2", 80, "10.0.0.1", 1000, S | A, 500, 101, window: 65160, options: opts));
        Go(t, C(A, 101, 501));
        // 1 MB ahead would be outside an unscaled 64 KB window, inside a window scaled by 2^7.
        Assert.Equal(Pkt.EstRplTrk, Go(t, Pkt.Tcp("10.0.0.2", 80, "10.0.0.1", 1000, A, 501 + 1_000_000, 101, window: 509, payload: 10)));
    }

    [Fact]
    public void Derived_linux_states_cover_the_pf_peer_combinations()
    {
        Assert.Equal(TcpState.SynSent, Connection.DeriveTcpState(PeerState.SynSent, PeerState.Closed, false));
        Assert.Equal(TcpState.SynRecv, Connection.DeriveTcpState(PeerState.Established, PeerState.SynSent, false));
        Assert.Equal(TcpState.Established, Connection.DeriveTcpState(PeerState.Established, PeerState.Established, false));
        Assert.Equal(TcpState.FinWait, Connection.DeriveTcpState(PeerState.Established, PeerState.Closing, false));
        Assert.Equal(TcpState.CloseWait, Connection.DeriveTcpState(PeerState.FinWait2, PeerState.Established, false));
        Assert.Equal(TcpState.LastAck, Connection.DeriveTcpState(PeerState.FinWait2, PeerState.Closing, false));
        Assert.Equal(TcpState.TimeWait, Connection.DeriveTcpState(PeerState.FinWait2, PeerState.FinWait2, false));
        Assert.Equal(TcpState.Close, Connection.DeriveTcpState(PeerState.TimeWait, PeerState.TimeWait, true));
    }
}
