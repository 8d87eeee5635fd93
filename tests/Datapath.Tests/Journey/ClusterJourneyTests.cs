using System.Text;
using Datapath.Engine.Host;
using Datapath.Engine.Tests.Host;
using Datapath.Engine.Tracing;
using Datapath.Packets;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests;

/// <summary>The seed lab's two workers, bridges and hosts, joined by the GENEVE underlay: the articles' four phases as journeys.</summary>
public sealed class ClusterJourneyTests
{
    private static ulong SeedFor(string backendPort) => SeedReaching(backendPort);

    /// <summary>Runs one journey from (node, port) and keeps what it came to; <paramref name="seed"/> reseeds the hosts first.</summary>
    internal static JourneyRecorder Inject(Journey c, string node, string port, byte[] frame, long nowMs, Trace? trace = null, ulong? seed = null)
    {
        if (seed is { } s)
            c.Reseed(s);
        var r = new JourneyRecorder();
        c.Inject(node, port, frame, r, nowMs, trace);
        return r;
    }

    private static RecordedExit Single(JourneyRecorder r, string node, string port)
    {
        Assert.Empty(r.Drops);
        var o = Assert.Single(r.Outputs);
        Assert.Equal(node, o.Node);
        Assert.Equal(port, o.Port);
        return o;
    }

    [Fact]
    public void Phase_1_to_3_the_syn_is_dnated_to_backend2_and_crosses_the_tunnel()
    {
        ulong seed = SeedFor(Backend2Port);
        var c = SeedJourney();
        var trace = new Trace();
        var r = Inject(c, "worker1", FrontendPort, Phase1Syn(), 1000, trace, seed);
        var o = Single(r, "worker2", Backend2Port);
        Assert.Equal(35u, o.OfPort);
        var k = Key(o.Frame);
        // Seed README: reaches port 35 as 02:d8:4e:3f:92:1d > c6:f4:b5:76:10:38, TTL 61.
        Assert.Equal(Gw2Mac, k.DlSrc);
        Assert.Equal(Backend2Mac, k.DlDst);
        Assert.Equal(Frontend, k.Ipv4Src);
        Assert.Equal(Backend2, k.Ipv4Dst);
        Assert.Equal(56670, k.TpSrc);
        Assert.Equal(80, k.TpDst);
        Assert.Equal(61, k.NwTtl);
        // The walk: worker1's tables, iptables, routing, the neighbour, the tunnel, worker2's tables.
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == TraceKind.OpenFlow);
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == HostTrace.Netfilter && s.Summary!.StartsWith("nat:KUBE-SERVICES:rule:", StringComparison.Ordinal));
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == HostTrace.Route && s.Summary!.Contains("via 10.222.2.1 dev antrea-gw0", StringComparison.Ordinal));
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == HostTrace.Neighbor && s.Summary!.Contains("aa:bb:cc:dd:ee:ff", StringComparison.Ordinal));
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == TraceKind.Tunnel);
        Assert.Contains(trace.Steps, s => s.Node == "worker2" && s.Kind == TraceKind.OpenFlow);
        var output = Assert.Single(trace.Outputs);
        Assert.Equal("worker2", output.Node);
        Assert.Equal(Backend2Port, output.Port);
    }

    [Fact]
    public void Phase_4_the_syn_ack_returns_through_table_31_and_the_host_undoes_the_dnat()
    {
        ulong seed = SeedFor(Backend2Port);
        var c = SeedJourney();
        Single(Inject(c, "worker1", FrontendPort, Phase1Syn(), 1000, seed: seed), "worker2", Backend2Port);
        var synAck = PacketBuilder.Tcp(Backend2Mac, Gw2Mac, Backend2, Frontend, 80, 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 3000, ack: 569506856, window: 64308);
        var trace = new Trace();
        var r = Inject(c, "worker2", Backend2Port, synAck, 1001, trace);
        var o = Single(r, "worker1", FrontendPort);
        var k = Key(o.Frame);
        Assert.Equal(ServiceIp, k.Ipv4Src);
        Assert.Equal(80, k.TpSrc);
        Assert.Equal(Frontend, k.Ipv4Dst);
        Assert.Equal(56670, k.TpDst);
        Assert.Equal(FrontendMac, k.DlDst);
        Assert.Contains(trace.TableSteps("worker1"), s => s.Table == 31 && s.RuleText is { } t && t.Contains("ct_mark=0x20", StringComparison.Ordinal));
        Assert.Contains(trace.Steps, s => s.Node == "worker1" && s.Kind == HostTrace.Route && s.Summary!.StartsWith("route 10.222.1.48", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Backend2Port)]
    [InlineData(Backend1Port)]
    public void A_whole_http_exchange_completes_through_the_cluster(string backendPort)
    {
        ulong seed = SeedFor(backendPort);
        var c = SeedJourney();
        c.Reseed(seed);
        bool remote = backendPort == Backend2Port;
        string backendNode = remote ? "worker2" : "worker1";
        var client = new TcpEndpoint("worker1", FrontendPort, FrontendMac, Gw1Mac, Frontend, 56670, ServiceIp, 80, 569506855);
        var server = new TcpEndpoint(backendNode, backendPort, remote ? Backend2Mac : Backend1Mac, remote ? Gw2Mac : Gw1Mac,
            remote ? Backend2 : Backend1, 80, Frontend, 56670, 77000);
        long now = 1000;

        void Send(TcpEndpoint from, TcpEndpoint to, byte[] frame)
        {
            var r = Inject(c, from.Node, from.Port, frame, now++);
            to.Receive(Single(r, to.Node, to.Port).Frame);
        }

        Send(client, server, client.Segment(TcpFlags.Syn));
        Send(server, client, server.Segment(TcpFlags.Syn | TcpFlags.Ack));
        Send(client, server, client.Segment(TcpFlags.Ack));
        var get = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: backendsvc\r\nUser-Agent: curl/7.68.0\r\nAccept: */*\r\n\r\n");
        Send(client, server, client.Segment(TcpFlags.Psh | TcpFlags.Ack, get));
        var response = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello world\n");
        Send(server, client, server.Segment(TcpFlags.Psh | TcpFlags.Ack, response));
        Send(client, server, client.Segment(TcpFlags.Ack));
        Send(client, server, client.Segment(TcpFlags.Fin | TcpFlags.Ack));
        Send(server, client, server.Segment(TcpFlags.Fin | TcpFlags.Ack));
        Send(client, server, client.Segment(TcpFlags.Ack));

        Assert.Equal(get, server.Received[2]);
        Assert.Equal(response, client.Received[1]);
        var w1 = c.GetNode("worker1").Host!;
        Assert.Equal(0, w1.TotalDrops);
        Assert.Equal(9, w1.Forwarded);
    }

    [Fact]
    public void Backend_split_over_10k_connections_passes_chi_square()
    {
        var c = SeedJourney();
        c.Reseed(20261122);
        const int N = 10_000;
        int b1 = 0, b2 = 0;
        for (int i = 0; i < N; i++)
        {
            var r = Inject(c, "worker1", FrontendPort, Phase1Syn((ushort)(20000 + i)), 1000 + i);
            // Over these 10 s, backend1's entry ages (STALE, used: DELAY, then PROBE): its unicast ARP requests go out beside a SYN.
            var o = Assert.Single(r.IpOutputs);
            if (o.Port == Backend1Port)
                b1++;
            else if (o.Port == Backend2Port)
                b2++;
            else
                Assert.Fail($"SYN {i} left on {o}");
        }
        double e = N / 2.0;
        double chi2 = ((b1 - e) * (b1 - e) / e) + ((b2 - e) * (b2 - e) / e);
        Assert.True(chi2 < 6.635, $"chi-square {chi2:F3} (backend1 {b1}, backend2 {b2}) has p <= 0.01 at 1 degree of freedom");
    }

    [Fact]
    public void Pod_pings_its_gateway_through_the_bridge()
    {
        var c = SeedJourney();
        ArpForGateway(c);
        var request = PacketBuilder.IcmpEcho(CorednsMac, Gw1Mac, Coredns, Gw1, reply: false, id: 4242, seq: 1, "abcdefgh"u8);
        var r = Inject(c, "worker1", CorednsPort, request, 1000);
        var o = Single(r, "worker1", CorednsPort);
        var k = Key(o.Frame);
        Assert.Equal(IcmpHeader.TypeEchoReply, k.IcmpType);
        Assert.Equal(Gw1, k.Ipv4Src);
        Assert.Equal(Coredns, k.Ipv4Dst);
        Assert.Equal(CorednsMac, k.DlDst);
        Assert.Single(r.Delivered);
    }

    /// <summary>coredns resolves its gateway first (as a pod does before its first packet): the host learns its MAC.</summary>
    private static void ArpForGateway(Journey c)
    {
        var arp = PacketBuilder.Arp(ArpPacket.OpRequest, CorednsMac, Coredns, MacAddress.Zero, Gw1, CorednsMac, MacAddress.Broadcast);
        Assert.Single(Inject(c, "worker1", CorednsPort, arp, 999).OutputsOn("worker1", CorednsPort));
    }

    [Fact]
    public void Echo_reply_to_a_pod_the_host_has_no_neighbour_for_waits_for_the_pods_arp_answer()
    {
        // worker1's `arp -a` has no entry for coredns (10.222.1.2): the host asks (who-has 10.222.1.2 tell 10.222.1.1,
        // flooded by table 20's NORMAL to every pod port), coredns answers through the bridge, and the reply goes out.
        var c = SeedJourney(Antrea.AntreaScenario.LoadEmbedded(), JourneyScope.Cluster, announced: false);
        var request = PacketBuilder.IcmpEcho(CorednsMac, Gw1Mac, Coredns, Gw1, reply: false, id: 1, seq: 1);
        var r = Inject(c, "worker1", CorednsPort, request, 1000);
        Assert.Empty(r.Drops);
        Assert.Equal(2, r.Delivered.Count); // the echo request, then coredns's ARP reply
        var asks = r.Outputs.Where(o => IsArp(o.Frame)).ToList();
        Assert.Equal(["coredns--3e3abf", "antrea-o-830766", "backend1-bab86f", "frontend-a3ba2f"], asks.Select(o => o.Port));
        Assert.All(asks, o => Assert.Equal(PacketBuilder.Arp(ArpPacket.OpRequest, Gw1Mac, Gw1, MacAddress.Zero, Coredns, Gw1Mac, MacAddress.Broadcast), o.Frame));
        var answer = Assert.Single(r.Answers);
        Assert.Equal(CorednsPort, answer.Port);
        Assert.Equal(PacketBuilder.Arp(ArpPacket.OpReply, CorednsMac, Coredns, Gw1Mac, Gw1, CorednsMac, Gw1Mac), answer.Frame);
        var reply = Key(Assert.Single(r.IpOutputs).Frame);
        Assert.Equal((IcmpHeader.TypeEchoReply, Gw1Mac, CorednsMac), (reply.IcmpType, reply.DlSrc, reply.DlDst));
        Assert.True(c.GetNode("worker1").Host!.Neighbors.TryGetEntry("antrea-gw0", Coredns, out var entry));
        Assert.Equal("10.222.1.2 dev antrea-gw0 lladdr f2:82:cc:96:da:bd REACHABLE", entry.IpNeigh);
    }

    [Fact]
    public void Frontend_ping_is_dropped_by_its_egress_policy_before_the_host()
    {
        var c = SeedJourney();
        var request = PacketBuilder.IcmpEcho(FrontendMac, Gw1Mac, Frontend, Gw1, reply: false, id: 4242, seq: 1, "abcdefgh"u8);
        var r = Inject(c, "worker1", FrontendPort, request, 1000);
        Assert.Empty(r.Outputs);
        Assert.Equal(("worker1", "br-int table 60", "drop-action"), Assert.Single(r.DropNames));
        Assert.Empty(r.Delivered);
    }

    [Fact]
    public void Pod_arp_for_its_gateway_is_answered_as_the_articles_arp_tables_imply()
    {
        var c = SeedJourney();
        var request = PacketBuilder.Arp(ArpPacket.OpRequest, FrontendMac, Frontend, MacAddress.Zero, Gw1, FrontendMac, MacAddress.Broadcast);
        var r = Inject(c, "worker1", FrontendPort, request, 1000);
        // NORMAL floods the request to the other local ports; the host answers through antrea-gw0.
        var replies = r.OutputsOn("worker1", FrontendPort).ToList();
        var reply = Assert.Single(replies);
        Assert.Equal(PacketBuilder.Arp(ArpPacket.OpReply, Gw1Mac, Gw1, FrontendMac, Frontend, Gw1Mac, FrontendMac), reply.Frame);
        Assert.DoesNotContain(r.Outputs, o => o.Port == "antrea-tun0");
        Assert.Single(r.Delivered);
        // Every other copy is the flooded request (a pod ignores an ARP request for an address it does not have).
        Assert.All(r.Outputs.Where(o => o.Port != FrontendPort), o => Assert.Equal(request, o.Frame));
    }

    [Fact]
    public void Unroutable_destination_is_a_counted_drop()
    {
        var s = Antrea.AntreaScenario.LoadEmbedded();
        var configs = s.Cluster.Nodes.Select(n => Config(s, n.Name)).ToList();
        foreach (var cfg in configs)
            cfg.Routes.RemoveAll(l => l.StartsWith("default", StringComparison.Ordinal));
        var c = Journey.Build(s.Cluster, configs, JourneyScope.Cluster);
        ArpForGateway(c);
        var syn = PacketBuilder.Tcp(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("192.0.2.9"), 40000, 80, TcpFlags.Syn, seq: 1);
        var r = Inject(c, "worker1", CorednsPort, syn, 1000);
        Assert.Equal(("worker1", "host", "no-route"), Assert.Single(r.DropNames));
        // The host's ICMP network unreachable comes back to the pod.
        var icmp = Key(Assert.Single(r.OutputsOn("worker1", CorednsPort)).Frame);
        Assert.Equal(IcmpHeader.TypeDestinationUnreachable, icmp.IcmpType);
        Assert.Equal(1, c.GetNode("worker1").Host!.GetDrops(DropReason.NoRoute));
    }

    [Fact]
    public void Pod_to_external_leaves_the_uplink_masqueraded()
    {
        var c = SeedJourney();
        var syn = PacketBuilder.Tcp(CorednsMac, Gw1Mac, Coredns, Ipv4Address.Parse("93.184.216.34"), 40000, 443, TcpFlags.Syn, seq: 1);
        var o = Single(Inject(c, "worker1", CorednsPort, syn, 1000), "worker1", "ens160");
        Assert.Equal(0u, o.OfPort);
        Assert.Equal(Ipv4Address.Parse("10.79.1.201"), Key(o.Frame).Ipv4Src);
    }

    [Fact]
    public void Same_seed_same_choices()
    {
        string Run(ulong seed)
        {
            var c = SeedJourney();
            c.Reseed(seed);
            return string.Concat(Enumerable.Range(0, 32).Select(i => Inject(c, "worker1", FrontendPort, Phase1Syn((ushort)(30000 + i)), 1000).Outputs.Single().Port[7]));
        }
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void Unknown_port_is_an_argument_error()
    {
        var c = SeedJourney();
        Assert.Throws<ArgumentException>(() => Inject(c, "worker1", "nope", Phase1Syn(), 1));
        Assert.Throws<ArgumentException>(() => Inject(c, "worker9", FrontendPort, Phase1Syn(), 1));
    }

    /// <summary>The seed's `arp -a` mystery: table 20 answers the host's ARP for 10.222.2.1 out antrea-gw0, and the host takes the reply: the trace's verdict says so.</summary>
    [Fact]
    public void The_hosts_arp_for_the_peer_gateway_is_answered_and_the_trace_shows_the_delivery()
    {
        var c = SeedJourney();
        var trace = new Trace();
        var request = PacketBuilder.Arp(1, Gw1Mac, Gw1, default, Gw2, Gw1Mac, MacAddress.Broadcast);
        var r = Inject(c, "worker1", "antrea-gw0", request, 1000, trace);

        Assert.Empty(r.Drops);
        Assert.Single(r.Delivered);
        var delivery = Assert.Single(trace.Deliveries);
        Assert.Equal("worker1", delivery.Node);
        Assert.Equal(42, delivery.Length);
        Assert.Contains("delivered to worker1's host stack (INPUT), 42 bytes", TraceTextRenderer.Render(trace), StringComparison.Ordinal);
    }
}
