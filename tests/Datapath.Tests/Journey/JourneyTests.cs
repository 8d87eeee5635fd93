using Datapath.Antrea;
using Datapath.Engine.Tracing;
using Datapath.Packets;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests;

/// <summary>
/// The journey of one frame as the seed articles walk it — frontend-a3ba2f on worker1 to the backendsvc
/// ClusterIP, through antrea-gw0 and kube-proxy's DNAT, over GENEVE to backend2-202ff6 on worker2 — and the
/// journey's own promises: one hop budget, every frame accounted, IPv6 underlays, the drop vocabulary.
/// </summary>
public sealed class JourneyTests
{
    [Fact]
    public void The_dnated_syn_crosses_worker1s_tunnel_and_reaches_backend2_in_three_hops()
    {
        // Seed 001 §9.10: the SYN after kube-proxy's DNAT comes back into OVS on antrea-gw0, leaves worker1 on
        // antrea-tun0 (table 70 sets tun_dst 10.79.1.202), and worker2's table 0 takes it from the tunnel.
        using var journey = SeedJourney();
        var w1 = journey.GetNode("worker1");
        var rec = new JourneyRecorder();
        var r = journey.Run(w1, w1.Gateway!.OfPort, Phase2SynToBackend2(), rec, 1000);
        Assert.Equal(new JourneyResult(Outputs: 1, Drops: 0, Delivered: 0, Transits: 1, Hops: 2), r);
        var transit = Assert.Single(rec.Transits);
        Assert.Equal(("worker1", "antrea-tun0"), (transit.Node, transit.Port));
        var o = Assert.Single(rec.Outputs);
        Assert.Equal(("worker2", Backend2Port, 35u), (o.Node, o.Port, o.OfPort));
        Assert.Equal(61, Key(o.Frame).NwTtl);
    }

    [Fact]
    public void The_frontends_syn_to_the_cluster_ip_goes_bridge_host_bridge_tunnel_bridge()
    {
        // kube-proxy's statistic --mode random picks the backend: a seed that picks backend2 on worker2.
        using var journey = SeedJourney(JourneyScope.Cluster, SeedReaching(Backend2Port));
        var rec = new JourneyRecorder();
        var trace = new Trace();
        var r = journey.Inject("worker1", FrontendPort, Phase1Syn(), rec, 1000, trace);
        Assert.Equal(4, r.Hops);
        Assert.Equal(1, r.Events);
        Assert.Equal(("worker2", Backend2Port), (rec.Outputs[0].Node, rec.Outputs[0].Port));
        // The trace is the same journey: worker1's tables, the host's nat table, the tunnel, worker2's tables;
        // its outputs are the journey's exits only (not antrea-gw0, not the tunnel towards worker2).
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == TraceKind.Netfilter && s.Summary!.StartsWith("nat:KUBE-SERVICES:rule:", StringComparison.Ordinal));
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == TraceKind.Tunnel);
        Assert.Contains(trace.Steps, s => s.Node == "worker2" && s.Kind == TraceKind.OpenFlow);
        var exit = Assert.Single(trace.Outputs);
        Assert.Equal(("worker2", Backend2Port), (exit.Node, exit.Port));
        Assert.Empty(trace.Drops);
    }

    [Fact]
    public void Bridge_scope_stops_at_antrea_gw0_as_ofproto_trace_does()
    {
        using var journey = SeedJourney(JourneyScope.Bridge);
        var rec = new JourneyRecorder();
        var trace = new Trace();
        var r = journey.Inject("worker1", FrontendPort, Phase1Syn(), rec, 1000, trace);
        Assert.Equal(new JourneyResult(1, 0, 0, 0, 1), r);
        Assert.Equal(("worker1", "antrea-gw0", 2u), (rec.Outputs[0].Node, rec.Outputs[0].Port, rec.Outputs[0].OfPort));
        Assert.DoesNotContain(trace.Steps, s => s.Kind == TraceKind.Netfilter);
        Assert.Equal("antrea-gw0", Assert.Single(trace.Outputs).Port);
    }

    [Fact]
    public void Node_scope_ends_at_the_tunnel_port_the_uplink()
    {
        using var journey = SeedJourney(JourneyScope.Node);
        var rec = new JourneyRecorder();
        var w1 = journey.GetNode("worker1");
        var r = journey.Run(w1, w1.Gateway!.OfPort, Phase2SynToBackend2(), rec, 1000);
        Assert.Equal(new JourneyResult(1, 0, 0, 0, 1), r);
        Assert.Equal(("worker1", "antrea-tun0"), (rec.Outputs[0].Node, rec.Outputs[0].Port));
    }

    /// <summary>
    /// A routing loop: worker1's host routes 198.51.100.0/24 back out of antrea-gw0, and a rule in table 0 sends
    /// what the host forwards there straight back (IN_PORT). TTL would end it only after 64 host traversals.
    /// </summary>
    [Fact]
    public void The_hop_limit_ends_a_routing_loop_with_one_hop_limit_drop()
    {
        var s = AntreaScenario.LoadEmbedded();
        s.GetNode("worker1").Bridge.AddFlow("table=0,priority=300,in_port=antrea-gw0,ip,nw_dst=198.51.100.0/24,actions=set_field:4e:99:08:c1:53:be->eth_dst,IN_PORT");
        using var journey = SeedJourney(s, JourneyScope.Cluster, edit: c =>
        {
            if (c.Name == "worker1")
                c.Routes.Add("198.51.100.0/24 via 10.222.2.1 dev antrea-gw0 onlink");
        });
        var rec = new JourneyRecorder();
        var trace = new Trace();
        var syn = PacketBuilder.Tcp(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("198.51.100.7"), 40000, 80, TcpFlags.Syn, seq: 1);
        var r = journey.Inject("worker1", CorednsPort, syn, rec, 1000, trace);

        Assert.Equal(Journey.MaxHops, r.Hops);
        Assert.Empty(rec.Outputs);
        Assert.Equal(("worker1", "cluster", "hop-limit"), Assert.Single(rec.DropNames));
        Assert.Equal(1, journey.HopLimitDrops);
        Assert.Equal(DropReason.HopLimit, Assert.Single(trace.Drops).Reason);
        Assert.Contains(trace.Steps, st => st.Kind == TraceKind.Drop && st.Summary!.Contains("hop-limit", StringComparison.Ordinal));
        // The loop really went round: the host forwarded the SYN on every other hop.
        Assert.Equal(Journey.MaxHops / 2, journey.GetNode("worker1").Host!.Forwarded);
    }

    public static TheoryData<string, string, byte[]> SeedFramesIn => new()
    {
        { "worker1", FrontendPort, Phase1Syn() },
        { "worker1", "antrea-gw0", Phase2SynToBackend2() },
        { "worker1", FrontendPort, PacketBuilder.Arp(ArpPacket.OpRequest, FrontendMac, Frontend, MacAddress.Zero, Gw1, FrontendMac, MacAddress.Broadcast) },
        { "worker1", FrontendPort, PacketBuilder.IcmpEcho(FrontendMac, Gw1Mac, Frontend, Gw1, reply: false, id: 1, seq: 1) },
        { "worker1", CorednsPort, PacketBuilder.IcmpEcho(CorednsMac, Gw1Mac, Coredns, Gw1, reply: false, id: 1, seq: 1) },
        { "worker1", CorednsPort, PacketBuilder.Tcp(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("93.184.216.34"), 40000, 443, TcpFlags.Syn, seq: 1) },
        { "worker1", FrontendPort, PacketBuilder.Tcp(FrontendMac, Gw1Mac, Ipv4Address.Parse("10.222.1.99"), ServiceIp, 40000, 80, TcpFlags.Syn) },
        { "worker2", Backend2Port, PacketBuilder.Tcp(Backend2Mac, Gw2Mac, Backend2, Frontend, 80, 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 1, ack: 1) },
        { "worker1", "ens160", PacketBuilder.Tcp(MacAddress.Parse("00:0c:29:fa:d8:a8"), MacAddress.Parse("00:50:56:8f:4e:82"), Ipv4Address.Parse("10.79.1.5"), ServiceIp, 40000, 80, TcpFlags.Syn) },
        { "worker2", "antrea-tun0", Phase2SynToBackend2() },
    };

    [Theory]
    [MemberData(nameof(SeedFramesIn))]
    public void Every_frame_in_is_accounted_and_every_drop_counted_once_where_it_happens(string node, string port, byte[] frame)
    {
        using var journey = SeedJourney();
        long DropsCounted() => journey.Nodes.Sum(n => n.Bridged.Bridge.Drops.Total + (n.Host?.TotalDrops ?? 0)) + journey.HopLimitDrops;
        var rec = new JourneyRecorder();
        long before = DropsCounted();
        var r = journey.Inject(node, port, frame, rec, 1000);

        Assert.True(r.Events >= 1, $"the frame came to nothing: {rec}");
        Assert.Equal((rec.Outputs.Count, rec.Drops.Count, rec.Delivered.Count, rec.Transits.Count), (r.Outputs, r.Drops, r.Delivered, r.Transits));
        Assert.Equal(r.Drops, DropsCounted() - before);
        Assert.InRange(r.Hops, 1, Journey.MaxHops);
    }

    [Fact]
    public void Host_drops_come_out_with_the_names_they_had()
    {
        // worker1's `arp -a` has no entry for coredns (10.222.1.2), and here no pod answers ARP: the host answers the
        // ping, asks three times for coredns, and when its timers give up the waiting reply is a no-neighbor drop.
        using var journey = SeedJourney(AntreaScenario.LoadEmbedded(), JourneyScope.Cluster, announced: false, endpoints: false);
        var rec = new JourneyRecorder();
        var trace = new Trace();
        var r = journey.Inject("worker1", CorednsPort, PacketBuilder.IcmpEcho(CorednsMac, Gw1Mac, Coredns, Gw1, reply: false, id: 1, seq: 1), rec, 1000, trace);
        Assert.Empty(rec.Drops);
        Assert.Equal(1, journey.WaitingFrames);
        journey.Settle(rec, trace);
        Assert.Equal(0, journey.WaitingFrames);
        Assert.Equal(("worker1", "host (neighbour queue)", "no-neighbor"), Assert.Single(rec.DropNames));
        Assert.Contains("\"reason\": \"no-neighbor\"", TraceJsonWriter.Write(trace, indented: true), StringComparison.Ordinal);

        // Without a default route, a SYN to the Internet is no-route in the host (and ICMP unreachable comes back).
        var s = AntreaScenario.LoadEmbedded();
        using var noDefault = SeedJourney(s, JourneyScope.Cluster, edit: c => c.Routes.RemoveAll(l => l.StartsWith("default", StringComparison.Ordinal)));
        rec.Clear();
        noDefault.Inject("worker1", "ens160", PacketBuilder.Tcp(MacAddress.Parse("00:0c:29:fa:d8:a8"), MacAddress.Parse("00:50:56:8f:4e:82"),
            Ipv4Address.Parse("10.79.1.5"), Ipv4Address.Parse("192.0.2.9"), 40000, 80, TcpFlags.Syn), rec, 1000);
        Assert.Contains(("worker1", "host", "no-route"), rec.DropNames);
        Assert.Equal(1, noDefault.GetNode("worker1").Host!.GetDrops(DropReason.NoRoute));
        // A frame for another MAC on the uplink: other-host, as before.
        rec.Clear();
        noDefault.Inject("worker1", "ens160", PacketBuilder.Tcp(MacAddress.Parse("00:0c:29:fa:d8:a8"), MacAddress.Parse("02:00:00:00:00:99"),
            Ipv4Address.Parse("10.79.1.5"), Ipv4Address.Parse("10.79.1.201"), 40000, 80, TcpFlags.Syn), rec, 1000);
        Assert.Equal(("worker1", "host", "other-host"), Assert.Single(rec.DropNames));
    }

    [Fact]
    public void The_steady_state_journey_allocates_nothing()
    {
        using var journey = SeedJourney();
        var w1 = journey.GetNode("worker1");
        var frame = Phase2SynToBackend2();
        var sink = new CountingSink();
        for (int i = 0; i < 100; i++)
            journey.Run(w1, 2, frame, sink, 1000 + i);
        long best = long.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
                journey.Run(w1, 2, frame, sink, 2000);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(100 + 3 * 1000, sink.Outputs); // every run reached backend2-202ff6 on worker2
        Assert.Equal(0, best);
    }

    private sealed class CountingSink : IJourneySink
    {
        public long Outputs;

        public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame) => Outputs++;
        public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame) { }
        public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame) { }
        public void Drop(in JourneyDrop drop) { }
    }
}
