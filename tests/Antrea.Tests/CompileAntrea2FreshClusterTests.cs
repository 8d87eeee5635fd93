using Datapath.Antrea.Compile;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The fresh cluster of <see cref="CompileFixtures"/> compiled for Antrea 2.x: what it has that the lab has not (a
/// UDP Service fed by an Endpoints object, a Service without endpoints, a NodePort Service with ClientIP affinity, an
/// EndpointSlice, bare nodes) comes out as AntreaProxy writes it, Open vSwitch 3.1 takes every compiled flow and group
/// and prints it back as compiled, and frames walked through the compiled cluster show the affinity, the UDP DNAT out
/// of the uplink and the NodePort through the host's DNAT to the virtual NodePort IP. externalTrafficPolicy Local,
/// which the antrea-2 compile does not write, is refused at its line.
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

    [Fact]
    public void ExternalTrafficPolicy_Local_is_refused_at_its_line()
    {
        var e = Assert.Throws<InputException>(() => ClusterCompiler.Compile(_fixture.ClusterPath, [_fixture.ManifestsPath], CompilePipeline.Antrea2));
        Assert.Equal(_fixture.ManifestsPath, e.File);
        Assert.Contains("externalTrafficPolicy: Local", File.ReadAllLines(_fixture.ManifestsPath)[e.Line - 1], StringComparison.Ordinal);
        Assert.Contains("service default/web: externalTrafficPolicy Local", e.Message, StringComparison.Ordinal);
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
    [InlineData("node-a")]
    [InlineData("node-b")]
    public void Open_vSwitch_3_1_prints_every_compiled_flow_and_group_back_as_compiled(string node)
    {
        if (OvsSwitchJudge.SkipReason is { } skip)
            throw new InvalidOperationException(skip); // a theory has no skip of its own: the judge must run (CI installs it)
        var scenario = AntreaScenario.Load(CompileWithoutLocal());
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
