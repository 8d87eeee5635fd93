using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The Antrea 2.x lab (<c>--lab antrea-2</c>) walked frame by frame through both workers, bridges and hosts: AntreaProxy's
/// select groups spread backendsvc over both backends (one across the tunnel), the ClientIP-affinity Service keeps one
/// backend per client through ServiceLB's learn into SessionAffinity, the NodePort reaches its endpoint from a node's own
/// stack, and the seed's NetworkPolicies drop what they do not allow, in the tables Antrea 2.x names.
/// </summary>
public sealed class Antrea2LabTests
{
    // Each test loads its own copy: a journey changes its bridges (learned flows, conntrack, counters).
    private readonly AntreaScenario _lab = AntreaScenario.LoadEmbedded("antrea-2");
    private static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5"), Worker1Gw = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly MacAddress Backend1Mac = MacAddress.Parse("f2:32:d8:07:e2:a6"), Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    private static readonly MacAddress Worker2Gw = MacAddress.Parse("02:d8:4e:3f:92:1d");
    private static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48"), Backend1 = Ipv4Address.Parse("10.222.1.47"), Backend2 = Ipv4Address.Parse("10.222.2.34");
    private static readonly Ipv4Address BackendSvc = Ipv4Address.Parse("10.104.65.133"), AffinitySvc = Ipv4Address.Parse("10.104.65.140");

    private static byte Table(string name) => (byte)AntreaTables.V2FlowTables.Single(t => t.Value == name).Key;

    private static Trace Inject(Journey journey, string node, string port, byte[] frame, long nowMs)
    {
        var trace = new Trace();
        journey.Inject(node, port, frame, sink: null, nowMs, trace);
        journey.Settle(sink: null, trace);
        return trace;
    }

    private static byte[] FrontendSyn(Ipv4Address service, ushort sport)
        => PacketBuilder.Tcp(FrontendMac, Worker1Gw, Frontend, service, sport, 80, TcpFlags.Syn, seq: 1000u + sport);

    [Fact]
    public void The_lab_loads_with_antrea_2_table_names_its_groups_and_packet_in_meters_and_no_warning()
    {
        foreach (var n in _lab.Cluster.Nodes)
        {
            Assert.Empty(n.Bridge.Tables.LoadWarnings);
            Assert.Empty(n.Bridge.LoadWarnings);
            Assert.Equal("PipelineRootClassifier", n.Bridge.TableNames!.NameOf(0));
            Assert.Equal("Output", n.Bridge.TableNames.NameOf(29));
            Assert.Equal([256u, 257u, 258u], n.Bridge.Meters.Select(m => m.Id).Order());
            Assert.Equal([1u, 2u, 3u], n.Bridge.Groups.Select(g => g.GroupId).Order());
        }
        Assert.Equal(["worker1", "worker2"], _lab.Cluster.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Each_flows_groups_and_meters_file_is_what_our_dump_prints_line_for_line()
    {
        foreach (var n in _lab.Cluster.Nodes)
        {
            Assert.Equal(Lines(_lab.ReadFile($"{n.Name}.flows")!).Order(StringComparer.Ordinal),
                n.Bridge.DumpFlows(withStats: false, names: NamesShown.PortsAndTables).Order(StringComparer.Ordinal));
            Assert.Equal(Lines(_lab.ReadFile($"{n.Name}.groups")!), n.Bridge.DumpGroups(NamesShown.PortsAndTables));
        }
    }

    [Fact]
    public void The_table_numbers_are_antrea_2s_realization_order_for_the_labs_feature_set()
    {
        // generatePipeline numbers pipelineRoot, pipelineARP, then pipelineIP in pipeline.go's order (Test_client_GetPodFlowKeys
        // sees ARPSpoofGuard 1, Classifier 3, SpoofGuard 4, L3Forwarding 17, L2ForwardingCalc 22 for the default feature set).
        Assert.Equal(1, Table("ARPSpoofGuard"));
        Assert.Equal(3, Table("Classifier"));
        Assert.Equal(4, Table("SpoofGuard"));
        Assert.Equal(9, Table("NodePortMark"));   // proxyAll adds NodePortMark after PreRoutingClassifier, shifting the rest by one
        Assert.Equal(18, Table("L3Forwarding") + 1);
        Assert.Equal(23, Table("L2ForwardingCalc") + 1);
        Assert.Equal(30, AntreaTables.V2FlowTables.Count);
    }

    [Fact]
    public void Backendsvc_reaches_both_backends_one_of_them_across_the_tunnel()
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var reached = new Dictionary<string, int>(StringComparer.Ordinal);
        for (ushort sport = 40000; sport < 40040; sport++)
        {
            var t = Inject(journey, "worker1", "frontend-a3ba2f", FrontendSyn(BackendSvc, sport), 1000 + sport);
            var o = Assert.Single(t.Outputs);
            FlowKey.Extract(o.Frame, 0, out var k);
            Assert.Equal(80, k.TpDst);
            Assert.Equal(Frontend.Value, k.NwSrc);
            if (o.Port == "backend2-202ff6")
            {
                Assert.Equal("worker2", o.Node);
                Assert.Equal(Backend2.Value, k.NwDst);
                Assert.Equal(Worker2Gw, k.DlSrc);   // L3Forwarding on worker2 rewrote the MACs after the tunnel
                Assert.Equal(Backend2Mac, k.DlDst);
                Assert.Equal(62, k.NwTtl);           // L3DecTTL on worker1 and again on worker2 (from the tunnel)
            }
            else
            {
                Assert.Equal(("worker1", "backend1-bab86f"), (o.Node, o.Port));
                Assert.Equal(Backend1.Value, k.NwDst);
                Assert.Equal(Backend1Mac, k.DlDst);
            }
            reached[o.Port] = reached.GetValueOrDefault(o.Port) + 1;
        }
        Assert.Equal(["backend1-bab86f", "backend2-202ff6"], reached.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_client_ip_affinity_service_keeps_one_backend_for_the_client_over_many_connections()
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var backends = new HashSet<string>(StringComparer.Ordinal);
        for (ushort sport = 41000; sport < 41030; sport++)
            backends.Add(Assert.Single(Inject(journey, "worker1", "frontend-a3ba2f", FrontendSyn(AffinitySvc, sport), 2000 + sport).Outputs).Port);
        Assert.Single(backends);
        // ServiceLB's learn put the choice into SessionAffinity as Antrea 2.x's learned flow reads (ovs-pipeline.md, SessionAffinity
        // flow 1, there dumped with -O OpenFlow15, which spells the loads as set_field; ovs-ofctl's OpenFlow 1.0 dump and ours as load).
        var learned = Assert.Single(_lab.GetNode("worker1").Bridge.DumpFlows(withStats: false, table: Table("SessionAffinity"), names: NamesShown.PortsAndTables),
            l => l.Contains("hard_timeout", StringComparison.Ordinal));
        string ep = backends.Single() == "backend1-bab86f" ? "0xade012f" : "0xade0222";
        string remote = backends.Single() == "backend1-bab86f" ? "0" : "0x1";
        Assert.Equal($"cookie=0x1030000000002, table=SessionAffinity, hard_timeout=10800, priority=200,tcp,nw_src=10.222.1.48,nw_dst=10.104.65.140,tp_dst=80 "
            + $"actions=load:0x50->NXM_NX_REG4[0..15],load:{remote}->NXM_NX_REG4[26],load:{ep}->NXM_NX_REG3[],load:0x2->NXM_NX_REG4[16..18],load:0x1->NXM_NX_REG0[9]", learned);
    }

    [Fact]
    public void The_nodeport_from_worker2s_own_stack_reaches_the_frontend_on_worker1_snatted_to_worker2s_gateway()
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var syn = PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Ipv4Address.Parse("10.79.1.202"), 41820, 30080, TcpFlags.Syn, seq: 7);
        var trace = new Trace();
        journey.RunLocal(journey.GetNode("worker2"), syn, sink: null, 3000, trace);
        journey.Settle(sink: null, trace);
        var o = Assert.Single(trace.Outputs);
        Assert.Equal(("worker1", "frontend-a3ba2f"), (o.Node, o.Port));
        FlowKey.Extract(o.Frame, 0, out var k);
        Assert.Equal(Frontend.Value, k.NwDst);
        Assert.Equal(80, k.TpDst);
        Assert.Equal(Ipv4Address.Parse("10.222.2.1").Value, k.NwSrc); // SNAT in zone 65521 (SNATMark's ToExternalAddressRegMark)
        Assert.Empty(trace.Drops);
    }

    [Fact]
    public void The_nodeport_from_worker1s_own_stack_reaches_the_local_frontend()
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var syn = PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Ipv4Address.Parse("10.79.1.201"), 41821, 30080, TcpFlags.Syn, seq: 8);
        var trace = new Trace();
        journey.RunLocal(journey.GetNode("worker1"), syn, sink: null, 3000, trace);
        journey.Settle(sink: null, trace);
        var o = Assert.Single(trace.Outputs);
        Assert.Equal(("worker1", "frontend-a3ba2f"), (o.Node, o.Port));
        FlowKey.Extract(o.Frame, 0, out var k);
        Assert.Equal((Frontend.Value, (ushort)80), (k.NwDst, k.TpDst));
    }

    public static TheoryData<string, string, string, string, ushort, string, string> Denied => new()
    {
        // node, in_port, src MAC, src IP, dst port, dst IP, the table that drops
        { "worker1", "backend1-bab86f", "f2:32:d8:07:e2:a6", "10.222.1.47", 80, "10.222.1.48", "EgressDefaultRule" }, // backendpolicy: no egress
        { "worker2", "backend2-202ff6", "c6:f4:b5:76:10:38", "10.222.2.34", 80, "10.222.1.48", "EgressDefaultRule" },
        { "worker1", "frontend-a3ba2f", "be:2c:bf:e4:ec:c5", "10.222.1.48", 8080, "10.222.1.47", "EgressDefaultRule" }, // frontendpolicy: backends on 80 only
        { "worker1", "frontend-a3ba2f", "be:2c:bf:e4:ec:c5", "10.222.1.99", 80, "10.222.1.47", "SpoofGuard" },
    };

    [Theory]
    [MemberData(nameof(Denied))]
    public void The_seeds_policies_drop_what_they_do_not_allow(string node, string port, string mac, string src, ushort dport, string dst, string table)
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var gw = node == "worker1" ? Worker1Gw : Worker2Gw;
        var t = Inject(journey, node, port, PacketBuilder.Tcp(MacAddress.Parse(mac), gw, Ipv4Address.Parse(src), Ipv4Address.Parse(dst), 45000, dport, TcpFlags.Syn), 4000);
        Assert.Empty(t.Outputs);
        var d = Assert.Single(t.Drops);
        Assert.Equal((node, (int?)Table(table), DropReason.ExplicitDrop), (d.Node, d.Table, d.Reason));
    }

    [Fact]
    public void Only_the_frontend_may_reach_a_backend_a_connection_from_worker2s_gateway_is_dropped_in_ingress_default_rule()
    {
        // worker2's own curl to backend1: masqueraded to worker2's gateway 10.222.2.1, tunnelled, and backendpolicy's ingress
        // admits the frontend only (the host-traffic pkt_mark that bypasses ingress rules does not cross the tunnel).
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var trace = new Trace();
        journey.RunLocal(journey.GetNode("worker2"), PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Backend1, 41900, 80, TcpFlags.Syn), sink: null, 5000, trace);
        journey.Settle(sink: null, trace);
        Assert.Empty(trace.Outputs);
        var d = Assert.Single(trace.Drops);
        Assert.Equal(("worker1", (int?)Table("IngressDefaultRule")), (d.Node, d.Table));
    }

    [Fact]
    public void A_backends_reply_is_never_dropped_by_its_egress_isolation()
    {
        using var journey = ScenarioHosts.BuildJourney(_lab, JourneyScope.Cluster, seed: 1);
        var syn = Inject(journey, "worker1", "frontend-a3ba2f", FrontendSyn(BackendSvc, 56670), 6000).Outputs.Single();
        FlowKey.Extract(syn.Frame, 0, out var k);
        var synAck = PacketBuilder.Tcp(k.DlDst, k.DlSrc, new Ipv4Address(k.NwDst), new Ipv4Address(k.NwSrc), k.TpDst, k.TpSrc, TcpFlags.Syn | TcpFlags.Ack, seq: 9,
            ack: System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(syn.Frame.AsSpan(14 + 20 + 4)) + 1);
        var back = Assert.Single(Inject(journey, syn.Node, syn.Port, synAck, 6001).Outputs);
        Assert.Equal(("worker1", "frontend-a3ba2f"), (back.Node, back.Port));
        FlowKey.Extract(back.Frame, 0, out var r);
        Assert.Equal((BackendSvc.Value, (ushort)80), (r.NwSrc, r.TpSrc)); // un-DNATed in ConntrackZone
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#'));
}
