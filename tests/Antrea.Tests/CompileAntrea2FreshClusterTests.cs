using Datapath.Antrea.Compile;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The fresh cluster of <see cref="CompileFixtures"/> compiled for Antrea 2.x: what it has that the lab has not (a
/// UDP Service fed by an Endpoints object, a Service without endpoints, a NodePort Service with ClientIP affinity, an
/// EndpointSlice, bare nodes) comes out as AntreaProxy writes it, Open vSwitch 3.1 takes every compiled flow and group
/// and prints it back as compiled, and frames walked through the compiled cluster show the affinity, the UDP DNAT out
/// of the uplink and the NodePort through the host's DNAT to the virtual NodePort IP. With web's externalTrafficPolicy
/// Local, each node gets AntreaProxy's local group before web's cluster group: a NodePort connection from outside
/// reaches only that node's backends with the client's address, on a node without one it goes to the agent (a
/// packet-in, which this datapath counts as a punt), and pods still reach every backend through the ClusterIP.
/// </summary>
public sealed class CompileAntrea2FreshClusterTests : IDisposable
{
    private readonly CompileFixtures _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private string CompileWithoutLocal()
    {
        string manifests = _fixture.Write("app-cluster.yaml", CompileFixtures.Manifests.Replace("  externalTrafficPolicy: Local\n", "", StringComparison.Ordinal));
        var compiled = ClusterCompiler.Compile(_fixture.ClusterPath, [manifests], CompilePipeline.Antrea2);
        ScenarioWriter.WriteDirectory(_fixture.Out, compiled.Model, compiled.Files);
        return _fixture.Out;
    }

    private string CompileWithLocal(string manifests = CompileFixtures.Manifests)
    {
        var compiled = ClusterCompiler.Compile(_fixture.ClusterPath, [_fixture.Write("app-local.yaml", manifests)], CompilePipeline.Antrea2);
        ScenarioWriter.WriteDirectory(_fixture.Out, compiled.Model, compiled.Files);
        return _fixture.Out;
    }

    [Fact]
    public void ExternalTrafficPolicy_Local_gives_each_node_a_local_group_before_the_cluster_group()
    {
        var scenario = AntreaScenario.Load(CompileWithLocal());
        string Ip(string pod) => Pod(scenario, pod).Ip;
        string Bucket(string pod, bool remote) => $"{(remote ? "set_field:0x4000000/0x4000000->reg4," : "")}set_field:0x{Ipv4Address.Parse(Ip(pod)).Value:x}->reg3,set_field:0x1f90/0xffff->reg4,resubmit(,ServiceLB)";
        string[] Group(AntreaScenario s, string node, int id) => [.. s.ReadFile($"{node}.groups")!.Split('\n').Single(l => l.StartsWith($"group_id={id},", StringComparison.Ordinal)).Split(",bucket=").Skip(1).Select(b => b[(b.IndexOf("actions=", StringComparison.Ordinal) + 8)..])];
        // web is the first Service port: group 1 its local group (this node's backends only), group 2 its cluster group.
        Assert.Equal([Bucket("web-1", remote: false)], Group(scenario, "node-a", 1));
        Assert.Equal(new[] { "web-2", "web-3" }.Select(p => Bucket(p, remote: false)).Order(StringComparer.Ordinal), Group(scenario, "node-b", 1).Order(StringComparer.Ordinal));
        Assert.Equal(3, Group(scenario, "node-a", 2).Length);
        Assert.Equal(2, Group(scenario, "node-a", 2).Count(b => b.StartsWith("set_field:0x4000000/0x4000000->reg4,", StringComparison.Ordinal)));
        Assert.Equal(5, scenario.ReadFile("node-a.groups")!.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // web's two, upstream-dns, sliced, idle
        string flows = scenario.ReadFile("node-a.flows")!;
        const string external = "actions=set_field:0x200/0x200->reg0,set_field:0x30000/0x70000->reg4,set_field:0x200000/0x200000->reg4,";
        // The ClusterIP balances over the cluster group; the NodePort over the local one, but from a local pod or the node
        // itself (FromLocalRegMark) the short circuit at priority 210 takes the cluster group.
        Assert.Contains("table=ServiceLB, priority=200,tcp,reg4=0x10000/0x70000,nw_dst=10.96.0.2,tp_dst=80 actions=set_field:0x200/0x200->reg0,set_field:0x30000/0x70000->reg4,set_field:0x2->reg7,group:2\n", flows, StringComparison.Ordinal);
        Assert.Contains($"table=ServiceLB, priority=200,tcp,reg4=0x90000/0xf0000,tp_dst=30000 {external}set_field:0x1->reg7,group:1\n", flows, StringComparison.Ordinal);
        Assert.Contains($"table=ServiceLB, priority=210,tcp,reg4=0x10090000/0x100f0000,tp_dst=30000 {external}set_field:0x2->reg7,group:2\n", flows, StringComparison.Ordinal);
        // The learn flows' cookies carry the group each balances over: the ClusterIP's 2, the NodePort's 1.
        Assert.Contains("table=ServiceLB, priority=190,tcp,reg4=0x30000/0x70000,nw_dst=10.96.0.2,tp_dst=80 actions=learn(table=SessionAffinity,hard_timeout=600,priority=200,delete_learned,cookie=0x1030000000002,", flows, StringComparison.Ordinal);
        Assert.Contains("table=ServiceLB, priority=190,tcp,reg4=0xb0000/0xf0000,tp_dst=30000 actions=learn(table=SessionAffinity,hard_timeout=600,priority=200,delete_learned,cookie=0x1030000000001,", flows, StringComparison.Ordinal);
        Assert.Contains("set_field:0x3->reg7,group:3", flows, StringComparison.Ordinal); // upstream-dns after web's two
        Assert.All(scenario.Cluster.Nodes, n => Assert.Empty(n.Bridge.LoadWarnings));
    }

    [Theory]
    [InlineData("node-a", new[] { "web-1" })]
    [InlineData("node-b", new[] { "web-2", "web-3" })]
    public void A_local_NodePort_reaches_the_node_s_own_backends_with_the_client_s_address(string node, string[] local)
    {
        var scenario = AntreaScenario.Load(CompileWithLocal());
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 9);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (where, source, client) in CompileJourneySink.NodePortFromOutside(journey, scenario.Model.Nodes.Single(n => n.Name == node), 30000, 40))
        {
            Assert.Equal(client, source); // no SNAT: the backend sees the client
            reached.Add(where);
        }
        Assert.Equal(local.Select(p => $"{node}/{Pod(scenario, p).Port}").Order(StringComparer.Ordinal), reached.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_local_NodePort_on_a_node_without_a_backend_goes_to_the_agent_and_no_pod()
    {
        // web-2 and web-3 leave web: its one backend is web-1 on node-a, and node-b's local group is empty.
        var scenario = AntreaScenario.Load(CompileWithLocal(CompileFixtures.Manifests
            .Replace("name: web-2, labels: { app: web }", "name: web-2, labels: { app: other }", StringComparison.Ordinal)
            .Replace("name: web-3, labels: { app: web }", "name: web-3, labels: { app: other }", StringComparison.Ordinal)));
        Assert.Equal("group_id=1,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000/0x4000->reg0,resubmit(,EndpointDNAT)",
            scenario.ReadFile("node-b.groups")!.Split('\n')[0]);
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 3);
        var nodeB = scenario.Model.Nodes.Single(n => n.Name == "node-b");
        var host = journey.GetNode("node-b");
        for (int i = 0; i < 5; i++)
        {
            var sink = new CompileJourneySink();
            var syn = PacketBuilder.Tcp(MacAddress.Parse("02:00:00:00:00:99"), MacAddress.Parse(nodeB.NodeMac), new Ipv4Address(0xc0a832c8u + (uint)i), Ipv4Address.Parse(nodeB.NodeIp), 5555, 30000, TcpFlags.Syn);
            journey.RunHost(host, host.Host!.Interfaces.Single(x => x.Name == "eth0"), syn, sink, 1000 + i);
            journey.Settle(sink);
            Assert.Empty(sink.Syns);
            // SvcNoEpRegMark's EndpointDNAT flow sends it to the agent, which would reject it; here that is a counted punt.
            Assert.Equal([$"node-b br-int table {AntreaTables.V2FlowTables.Single(t => t.Value == "EndpointDNAT").Key}: controller-punt"], sink.Drops);
        }
        // node-a still has web-1, and reaches it.
        var reached = CompileJourneySink.NodePortFromOutside(journey, scenario.Model.Nodes.Single(n => n.Name == "node-a"), 30000, 3);
        Assert.All(reached, r => Assert.Equal($"node-a/{Pod(scenario, "web-1").Port}", r.Where));
    }

    [Fact]
    public void Pods_reach_every_backend_through_the_ClusterIP_and_the_NodePort_s_short_circuit()
    {
        // Without affinity one client pod spreads over the backends.
        var scenario = AntreaScenario.Load(CompileWithLocal(CompileFixtures.Manifests
            .Replace("  sessionAffinity: ClientIP\n  sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }\n", "", StringComparison.Ordinal)));
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 5);
        var client = Pod(scenario, "client");
        var nodeA = scenario.Model.Nodes.Single(n => n.Name == "node-a");
        var every = new[] { "web-1", "web-2", "web-3" }.Select(p => $"{scenario.Model.Nodes.Single(n => n.Pods.Contains(Pod(scenario, p))).Name}/{Pod(scenario, p).Port}").Order(StringComparer.Ordinal);
        foreach (var (to, port, sports) in new[] { ("10.96.0.2", (ushort)80, 30000), (nodeA.NodeIp, (ushort)30000, 31000) })
        {
            var backends = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < 40; i++)
            {
                var sink = new CompileJourneySink();
                journey.Inject("node-a", client.Port, Tcp(scenario, client, to, port, (ushort)(sports + i)), sink, 1000 + i);
                journey.Settle(sink);
                Assert.True(sink.Syns.Count() == 1, $"{to}:{port}: exits {string.Join(", ", sink.Exits.Select(e => e.Where))}; drops {string.Join(", ", sink.Drops)}");
                backends.UnionWith(sink.Syns.Select(s => s.Where));
            }
            Assert.Equal(every, backends.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void Bare_nodes_get_AntreaProxy_s_routes_groups_and_flows()
    {
        var scenario = AntreaScenario.Load(CompileWithoutLocal());
        var a = scenario.Model.Nodes.Single(n => n.Name == "node-a");
        Assert.Equal(AntreaTables.V2FlowTables, a.Tables);
        Assert.Equal(["10.96.0.0/16 via 169.254.0.253 dev antrea-gw0", "169.254.0.252 via 169.254.0.253 dev antrea-gw0", "169.254.0.253 dev antrea-gw0 scope link"], a.Routes.Skip(4));
        Assert.Equal(("169.254.0.253", "aa:bb:cc:dd:ee:ff", "antrea-gw0"), (a.Neighbors[0].Ip, a.Neighbors[0].Mac, a.Neighbors[0].Dev));
        string flows = scenario.ReadFile("node-a.flows")!, groups = scenario.ReadFile("node-a.groups")!;
        // upstream-dns: UDP, its Endpoints object's address (not a pod: marked remote), DNATed in EndpointDNAT.
        Assert.Contains("table=ServiceLB, priority=200,udp,reg4=0x10000/0x70000,nw_dst=10.96.0.3,tp_dst=53 actions=set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0x2->reg7,group:2", flows, StringComparison.Ordinal);
        Assert.Contains("group_id=2,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000000/0x4000000->reg4,set_field:0xc0a83263->reg3,set_field:0x35/0xffff->reg4,resubmit(,EndpointDNAT)\n", groups, StringComparison.Ordinal);
        Assert.Contains("table=EndpointDNAT, priority=200,udp,reg3=0xc0a83263,reg4=0x20035/0x7ffff actions=ct(commit,table=AntreaPolicyEgressRule,zone=65520,nat(dst=192.168.50.99:53)", flows, StringComparison.Ordinal);
        // idle: no endpoints, so serviceEndpointGroup's one bucket marks SvcNoEpRegMark for EndpointDNAT's packet-in.
        Assert.Contains("group_id=4,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000/0x4000->reg0,resubmit(,EndpointDNAT)\n", groups, StringComparison.Ordinal);
        // web: NodePort with ClientIP affinity learns on the NodePort too, loading ToExternalAddressRegMark (reg4[21]).
        Assert.Contains("table=ServiceLB, priority=190,tcp,reg4=0xb0000/0xf0000,tp_dst=30000 actions=learn(table=SessionAffinity,hard_timeout=600,priority=200,delete_learned,cookie=0x1030000000001,", flows, StringComparison.Ordinal);
        Assert.Contains("load:0x1->NXM_NX_REG0[9],load:0x1->NXM_NX_REG4[21]),set_field:0x20000/0x70000->reg4,goto_table:EndpointDNAT", flows, StringComparison.Ordinal);
        Assert.Contains("add ANTREA-NODEPORT-IP 192.168.50.11,tcp:30000\n", scenario.ReadFile("node-a.ipsets"), StringComparison.Ordinal);
        Assert.All(scenario.Cluster.Nodes, n => Assert.Empty(n.Bridge.LoadWarnings));
    }

    [Theory]
    [InlineData("node-a", false)]
    [InlineData("node-b", false)]
    [InlineData("node-a", true)]
    [InlineData("node-b", true)]
    public void Open_vSwitch_3_1_prints_every_compiled_flow_and_group_back_as_compiled(string node, bool externalLocal)
    {
        if (OvsSwitchJudge.SkipReason is { } skip)
            throw new InvalidOperationException(skip); // a theory has no skip of its own: the judge must run (CI installs it)
        var scenario = AntreaScenario.Load(externalLocal ? CompileWithLocal() : CompileWithoutLocal());
        var bridge = scenario.GetNode(node).Bridge;
        using var ovs = Antrea2JudgedByOvsTests.StartLike(bridge);
        Antrea2JudgedByOvsTests.LoadOurDump(ovs, bridge);
        static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("NXST_", StringComparison.Ordinal) && !l.StartsWith("OFPST_", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(Lines(scenario.ReadFile($"{node}.flows")!), Lines(ovs.Ofctl("-O", "OpenFlow15", "--names", "--no-stats", "dump-flows", ovs.Bridge)));
        Assert.Equal(Lines(scenario.ReadFile($"{node}.groups")!), Lines(ovs.Ofctl("-O", "OpenFlow15", "--names", "dump-groups", ovs.Bridge)));
    }

    [Fact]
    public void ClientIP_affinity_keeps_one_client_on_one_backend()
    {
        var scenario = AntreaScenario.Load(CompileWithoutLocal());
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 5);
        var client = Pod(scenario, "client");
        var backends = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 30; i++)
        {
            var sink = new CompileJourneySink();
            journey.Inject("node-a", client.Port, Tcp(scenario, client, "10.96.0.2", 80, (ushort)(30000 + i)), sink, 1000 + i);
            journey.Settle(sink);
            Assert.True(sink.Syns.Count() == 1, $"exits {string.Join(", ", sink.Exits.Select(e => e.Where))}; drops {string.Join(", ", sink.Drops)}");
            backends.UnionWith(sink.Syns.Select(s => s.Where));
        }
        Assert.Matches("^node-[ab]/web-[123]-[0-9a-f]{6}$", Assert.Single(backends));
    }

    [Fact]
    public void A_udp_service_fed_by_endpoints_leaves_by_the_uplink_to_its_address()
    {
        var scenario = AntreaScenario.Load(CompileWithoutLocal());
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 1);
        // From web-1: the client's NetworkPolicy, which Antrea 2.x enforces after the DNAT, allows it only TCP 8080.
        var client = Pod(scenario, "web-1");
        var sink = new CompileJourneySink();
        journey.Inject("node-a", client.Port, PacketBuilder.Udp(MacAddress.Parse(client.Mac), MacAddress.Parse(Gateway(scenario, client)),
            Ipv4Address.Parse(client.Ip), Ipv4Address.Parse("10.96.0.3"), 33333, 53, new byte[12]), sink, 2000);
        journey.Settle(sink);
        var (where, frame) = Assert.Single(sink.Exits, e => e.Frame[12] == 8 && e.Frame[23] == 17);
        Assert.Equal(("node-a/eth0", Ipv4Address.Parse("192.168.50.99")), (where, Ipv4Address.Read(frame.AsSpan(30))));
    }

    [Fact]
    public void A_NodePort_from_outside_reaches_a_web_backend()
    {
        var scenario = AntreaScenario.Load(CompileWithoutLocal());
        using var journey = ScenarioHosts.BuildJourney(scenario, JourneyScope.Cluster, seed: 9);
        var reached = CompileJourneySink.NodePortFromOutside(journey, scenario.Model.Nodes.Single(n => n.Name == "node-a"), 30000, 20).Select(s => s.Where).ToHashSet(StringComparer.Ordinal);
        Assert.All(reached, r => Assert.Matches("^node-[ab]/web-[123]-[0-9a-f]{6}$", r));
        Assert.True(reached.Count >= 2, string.Join(", ", reached));
    }

    private static PodModel Pod(AntreaScenario scenario, string name) => scenario.Model.Nodes.SelectMany(n => n.Pods).Single(p => p.Pod == "default/" + name);

    private static string Gateway(AntreaScenario scenario, PodModel pod) => scenario.Model.Nodes.Single(n => n.Pods.Contains(pod)).Gateway!.Mac!;

    private static byte[] Tcp(AntreaScenario scenario, PodModel from, string to, ushort port, ushort sport)
        => PacketBuilder.Tcp(MacAddress.Parse(from.Mac), MacAddress.Parse(Gateway(scenario, from)), Ipv4Address.Parse(from.Ip), Ipv4Address.Parse(to), sport, port, TcpFlags.Syn);

    [Fact]
    public void An_affinity_longer_than_a_16_bit_hard_timeout_is_cut_to_65535_seconds()
    {
        string manifests = _fixture.Write("app-day.yaml", CompileFixtures.Manifests
            .Replace("  externalTrafficPolicy: Local\n", "", StringComparison.Ordinal)
            .Replace("timeoutSeconds: 600", "timeoutSeconds: 86400", StringComparison.Ordinal));
        var compiled = ClusterCompiler.Compile(_fixture.ClusterPath, [manifests], CompilePipeline.Antrea2);
        var learns = compiled.Files["node-a.flows"].Split('\n').Where(l => l.Contains("learn(", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, learns.Count);   // the ClusterIP's and the NodePort's
        Assert.All(learns, l => Assert.Contains("learn(table=SessionAffinity,hard_timeout=65535,", l, StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_network_endpoint_is_local_on_its_node_and_not_remote_anywhere()
    {
        string manifests = _fixture.Write("app-host.yaml", CompileFixtures.Manifests.Replace("  externalTrafficPolicy: Local\n", "", StringComparison.Ordinal) + """

            ---
            apiVersion: v1
            kind: Pod
            metadata: { name: node-agent, labels: { app: agent } }
            spec: { nodeName: node-b, hostNetwork: true, containers: [ { name: a, image: agent } ] }
            ---
            apiVersion: v1
            kind: Service
            metadata: { name: agent }
            spec: { selector: { app: agent }, ports: [ { port: 9100 } ] }
            """);
        var compiled = ClusterCompiler.Compile(_fixture.ClusterPath, [manifests], CompilePipeline.Antrea2);
        const string hairpin = "table=SNATMark, priority=190,ct_state=+new+trk,ip,nw_src=192.168.50.12,nw_dst=192.168.50.12 actions=";
        Assert.Contains(hairpin, compiled.Files["node-b.flows"], StringComparison.Ordinal);
        Assert.DoesNotContain(hairpin, compiled.Files["node-a.flows"], StringComparison.Ordinal);
        // A node's address is never RemoteEndpointRegMark'ed (AntreaProxy's nodeIPChecker), not even on the other node.
        Assert.Contains("group_id=5,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0xc0a8320c->reg3,set_field:0x238c/0xffff->reg4,resubmit(,EndpointDNAT)\n", compiled.Files["node-a.groups"], StringComparison.Ordinal);
    }
}
