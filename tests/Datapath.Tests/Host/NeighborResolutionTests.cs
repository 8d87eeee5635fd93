using Datapath.Engine.Host;
using Datapath.Engine.Tracing;
using Datapath.Packets;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests.Host;

/// <summary>
/// worker1's host resolving a next hop as Linux's neighbour subsystem does (net.ipv4.neigh.default.*: retrans_time
/// 1 s, mcast_solicit 3, ucast_solicit 3, delay_first_probe_time 5 s, base_reachable_time 30 s, unres_qlen_bytes
/// 212992): 10.222.1.99 is on antrea-gw0's subnet and not in the ARP cache.
/// </summary>
public sealed class NeighborResolutionTests
{
    private static readonly Ipv4Address Absent = Ipv4Address.Parse("10.222.1.99");
    private static readonly MacAddress AbsentMac = MacAddress.Parse("02:00:00:00:00:99");

    private static byte[] SynTo(Ipv4Address dst, ushort sport = 40000)
        => PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, dst, sport, 80, TcpFlags.Syn, seq: 1);

    /// <summary>who-has 10.222.1.99 tell 10.222.1.1 from antrea-gw0's MAC: broadcast, or unicast to the known address (PROBE), target MAC zero as Linux sends it.</summary>
    private static byte[] Request(MacAddress? to = null)
        => PacketBuilder.Arp(ArpPacket.OpRequest, Gw1Mac, Gw1, MacAddress.Zero, Absent, Gw1Mac, to ?? MacAddress.Broadcast);

    private static byte[] Reply() => PacketBuilder.Arp(ArpPacket.OpReply, AbsentMac, Absent, Gw1Mac, Gw1, AbsentMac, Gw1Mac);

    private static string State(HostStack h)
        => h.Neighbors.TryGetEntry("antrea-gw0", Absent, out var e) ? e.IpNeigh : "(none)";

    [Fact]
    public void An_absent_neighbour_is_asked_three_times_a_second_apart_then_failed_with_icmp_host_unreachable()
    {
        using var h = SeedHost("worker1");
        var sink = new HostCapture();
        var trace = new Trace();
        var v = h.Receive("antrea-gw0", SynTo(Absent), sink, 1000, trace);
        Assert.True(v.Queued);
        Assert.Null(v.DropReason);
        Assert.Equal(Request(), Assert.Single(sink.Frames).Frame);
        Assert.Equal("10.222.1.99 dev antrea-gw0 INCOMPLETE", State(h));
        Assert.Contains(trace.Steps, s => s.Kind == TraceKind.Neighbor && s.Summary!.Contains("INCOMPLETE; ARP who-has 10.222.1.99 tell 10.222.1.1 (request 1 of 3)", StringComparison.Ordinal));

        // retrans_time 1 s: the second and third requests at 2 s and 3 s, nothing in between.
        sink.Frames.Clear();
        h.RunTimers(sink, 1999);
        Assert.Empty(sink.Frames);
        h.RunTimers(sink, 2000);
        h.RunTimers(sink, 3000);
        h.RunTimers(sink, 3999);
        Assert.Equal([Request(), Request()], sink.Frames.Select(f => f.Frame));
        Assert.Equal(0, h.GetDrops(DropReason.NoNeighbor));

        // At 4 s the third request is a second old: FAILED, the waiting SYN dropped and its sender told.
        sink.Frames.Clear();
        h.RunTimers(sink, 4000);
        Assert.Equal("10.222.1.99 dev antrea-gw0 FAILED", State(h));
        Assert.Equal(1, h.GetDrops(DropReason.NoNeighbor));
        Assert.Equal([DropReason.NoNeighbor], sink.DroppedLater);
        var (dev, icmp) = Assert.Single(sink.Frames);
        Assert.Equal("antrea-gw0", dev);
        FlowKey.Extract(icmp, 0, out var k);
        Assert.Equal((Gw1Mac, FrontendMac, Gw1.Value, Frontend.Value), (k.DlSrc, k.DlDst, k.NwSrc, k.NwDst));
        Assert.Equal((IcmpHeader.TypeDestinationUnreachable, (byte)1), (k.IcmpType, k.IcmpCode)); // host unreachable

        // A new packet for a FAILED neighbour starts again (INCOMPLETE, a new request), as __neigh_event_send does.
        sink.Frames.Clear();
        Assert.True(h.Receive("antrea-gw0", SynTo(Absent, 40001), sink, 5000).Queued);
        Assert.Equal(Request(), Assert.Single(sink.Frames).Frame);
        Assert.Equal("10.222.1.99 dev antrea-gw0 INCOMPLETE", State(h));
    }

    [Fact]
    public void The_reply_sends_the_waiting_frame_and_makes_the_entry_reachable()
    {
        using var h = SeedHost("worker1");
        var sink = new HostCapture();
        var syn = SynTo(Absent);
        Assert.True(h.Receive("antrea-gw0", syn, sink, 1000).Queued);
        Assert.Equal(0, h.Forwarded);
        sink.Frames.Clear();
        var v = h.Receive("antrea-gw0", Reply(), sink, 1200);
        Assert.True(v.Delivered);
        Assert.Equal(1, v.Released);
        var (dev, sent) = Assert.Single(sink.Frames);
        Assert.Equal("antrea-gw0", dev);
        FlowKey.Extract(sent, 0, out var k);
        Assert.Equal((Gw1Mac, AbsentMac, Frontend.Value, Absent.Value, (byte)63), (k.DlSrc, k.DlDst, k.NwSrc, k.NwDst, k.NwTtl));
        Assert.Equal(1, h.Forwarded);
        Assert.Equal("10.222.1.99 dev antrea-gw0 lladdr 02:00:00:00:00:99 REACHABLE", State(h));
        // No more requests: the timer now ages the entry.
        sink.Frames.Clear();
        h.RunTimers(sink, 5000);
        Assert.Empty(sink.Frames);
    }

    [Fact]
    public void An_unsolicited_reply_creates_no_entry()
    {
        // arp_accept=0: a reply for an address the host never asked for is not cached.
        using var h = SeedHost("worker1");
        h.Receive("antrea-gw0", Reply(), null, 1000);
        Assert.Equal("(none)", State(h));
    }

    [Fact]
    public void Frames_beyond_unres_qlen_bytes_push_the_oldest_out_as_counted_drops()
    {
        // Each waiting frame costs its length + 576 bytes of skb: 101 frames of 1514 bytes fit in 212992 (Linux's
        // unres_qlen 101); antrea-gw0's MTU is 1450, so its largest frames (1464 bytes) fit 104 times.
        Assert.Equal(101, new NeighborParameters().UnresQlenBytes / (1514 + NeighborParameters.SkbOverhead));
        using var h = SeedHost("worker1");
        var sink = new HostCapture();
        const int N = 150, Fit = 104;
        for (int i = 0; i < N; i++)
        {
            var frame = PacketBuilder.Udp(FrontendMac, Gw1Mac, Frontend, Absent, (ushort)(10000 + i), 9, new byte[1422]);
            Assert.Equal(1464, frame.Length);
            Assert.True(h.Receive("antrea-gw0", frame, sink, 1000).Queued);
        }
        Assert.Equal(N - Fit, h.GetDrops(DropReason.NeighborQueueFull));
        Assert.Equal(Enumerable.Repeat(DropReason.NeighborQueueFull, N - Fit), sink.DroppedLater);
        Assert.Equal(Fit, h.Neighbors.QueuedFrames);
        Assert.Equal("neighbor-queue-full", DropReasonNames.Name(DropReason.NeighborQueueFull));

        // The answer sends the newest, oldest first.
        sink.Frames.Clear();
        Assert.Equal(Fit, h.Receive("antrea-gw0", Reply(), sink, 1100).Released);
        var ports = sink.Frames.Select(f => { FlowKey.Extract(f.Frame, 0, out var k); return (int)k.TpSrc; }).ToList();
        Assert.Equal(Enumerable.Range(10000 + N - Fit, Fit), ports);
        Assert.Equal(0, h.Neighbors.QueuedFrames);
    }

    [Fact]
    public void A_reachable_entry_goes_stale_then_delay_probe_and_back_to_reachable_on_the_answer()
    {
        using var h = SeedHost("worker1");
        var sink = new HostCapture();
        h.Receive("antrea-gw0", SynTo(Absent), sink, 1000);
        h.Receive("antrea-gw0", Reply(), sink, 1000);
        // reachable_time is drawn in [15 s, 45 s) (base_reachable_time 30 s randomised).
        long reachable = h.Neighbors.ReachableTimeMs;
        Assert.InRange(reachable, 15_000, 44_999);
        h.RunTimers(sink, 1000 + reachable);
        Assert.EndsWith("REACHABLE", State(h), StringComparison.Ordinal);
        h.RunTimers(sink, 1001 + reachable); // (nothing was sent within delay_first_probe_time of that: STALE, not DELAY)
        Assert.Equal("10.222.1.99 dev antrea-gw0 lladdr 02:00:00:00:00:99 STALE", State(h));

        // Used while STALE: sent at once with the known address, DELAY for delay_first_probe_time 5 s...
        sink.Frames.Clear();
        long t = 50_000;
        var v = h.Receive("antrea-gw0", SynTo(Absent, 40002), sink, t);
        Assert.False(v.Queued);
        FlowKey.Extract(Assert.Single(sink.Frames).Frame, 0, out var k);
        Assert.Equal(AbsentMac, k.DlDst);
        Assert.EndsWith("DELAY", State(h), StringComparison.Ordinal);
        // ...then PROBE: ucast_solicit unicast requests to the known address, a second apart.
        sink.Frames.Clear();
        h.RunTimers(sink, t + 5000);
        Assert.EndsWith("PROBE", State(h), StringComparison.Ordinal);
        Assert.Equal(Request(to: AbsentMac), Assert.Single(sink.Frames).Frame);
        h.Receive("antrea-gw0", Reply(), sink, t + 5300);
        Assert.EndsWith("REACHABLE", State(h), StringComparison.Ordinal);

        // Unanswered probes end in FAILED after the three.
        h.RunTimers(sink, t + 5300 + 45_000);
        Assert.EndsWith("STALE", State(h), StringComparison.Ordinal);
        h.Receive("antrea-gw0", SynTo(Absent, 40003), sink, 200_000);
        sink.Frames.Clear();
        for (long at = 205_000; at <= 208_000; at += 1000)
            h.RunTimers(sink, at);
        Assert.Equal([Request(to: AbsentMac), Request(to: AbsentMac), Request(to: AbsentMac)], sink.Frames.Select(f => f.Frame));
        Assert.Equal("10.222.1.99 dev antrea-gw0 FAILED", State(h));
    }

    [Fact]
    public void A_pods_request_for_its_gateway_teaches_the_host_its_address_stale()
    {
        using var h = SeedHost("worker1", announced: false);
        Assert.False(h.Neighbors.TryGetEntry("antrea-gw0", Frontend, out _));
        h.Receive("antrea-gw0", PacketBuilder.Arp(ArpPacket.OpRequest, FrontendMac, Frontend, MacAddress.Zero, Gw1, FrontendMac, MacAddress.Broadcast), null, 1000);
        Assert.True(h.Neighbors.TryGetEntry("antrea-gw0", Frontend, out var e));
        Assert.Equal("10.222.1.48 dev antrea-gw0 lladdr be:2c:bf:e4:ec:c5 STALE", e.IpNeigh);
    }

    [Fact]
    public void Permanent_entries_are_never_changed_by_arp()
    {
        using var h = SeedHost("worker1");
        var other = MacAddress.Parse("02:00:00:00:00:01");
        h.Receive("antrea-gw0", PacketBuilder.Arp(ArpPacket.OpRequest, other, Gw2, MacAddress.Zero, Gw1, other, MacAddress.Broadcast), null, 10_000);
        Assert.True(h.Neighbors.TryGetEntry("antrea-gw0", Gw2, out var e));
        Assert.Equal("10.222.2.1 dev antrea-gw0 lladdr aa:bb:cc:dd:ee:ff PERMANENT", e.IpNeigh);
    }
}
