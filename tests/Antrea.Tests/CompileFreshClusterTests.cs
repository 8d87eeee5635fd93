using Datapath.Antrea.Compile;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// A cluster compiled from bare nodes and manifests (<see cref="CompileFixtures"/>) carries traffic as Kubernetes
/// would: each node got a pod CIDR, ports and routes, the pod without a nodeName was scheduled, and walking frames
/// through the compiled cluster shows ClientIP affinity (one client's connections all reach one backend),
/// externalTrafficPolicy Local (a node's NodePort reaches that node's own backends only, with the client's address
/// kept), a Service fed by an Endpoints object, and kube-proxy's REJECT for a Service without endpoints.
/// </summary>
public sealed class CompileFreshClusterTests : IDisposable
{
    private readonly CompileFixtures _fixture = new();
    private readonly AntreaScenario _scenario;

    public CompileFreshClusterTests()
    {
        var compiled = ClusterCompiler.Compile(_fixture.ClusterPath, [_fixture.ManifestsPath]);
        ScenarioWriter.WriteDirectory(_fixture.Out, compiled.Model, compiled.Files);
        _scenario = AntreaScenario.Load(_fixture.Out);
        Notes = compiled.Notes;
    }

    private IReadOnlyList<string> Notes { get; }

    public void Dispose() => _fixture.Dispose();

    private PodModel Pod(string name) => _scenario.Model.Nodes.SelectMany(n => n.Pods).Single(p => p.Pod == "default/" + name);

    private NodeModel Node(string name) => _scenario.Model.Nodes.Single(n => n.Name == name);

    [Fact]
    public void Bare_nodes_get_what_Antrea_and_the_cluster_would_give_them()
    {
        Assert.Equal(["10.10.0.0/24", "10.10.1.0/24"], _scenario.Model.Nodes.Select(n => n.PodCidr));
        var a = Node("node-a");
        Assert.Equal(("antrea-gw0", 2u, "10.10.0.1/24", 1450), (a.Gateway!.Name, a.Gateway.OfPort, a.Gateway.Ip, a.Gateway.Mtu));
        Assert.Equal(("antrea-tun0", 1u), (a.Tunnel!.Name, a.Tunnel.OfPort));
        Assert.Equal(["default via 192.168.50.1 dev eth0", "192.168.50.0/24 dev eth0 proto kernel scope link src 192.168.50.11",
            "10.10.0.0/24 dev antrea-gw0 proto kernel scope link src 10.10.0.1", "10.10.1.0/24 via 10.10.1.1 dev antrea-gw0 onlink"], a.Routes);
        Assert.Contains(Notes, n => n.StartsWith("node node-b has no default route", StringComparison.Ordinal));
        Assert.DoesNotContain(Notes, n => n.StartsWith("node node-a has no default route", StringComparison.Ordinal));
        Assert.Equal((a.NodeIp, a.NodeMac), (Node("node-b").Neighbors.Single().Ip, Node("node-b").Neighbors.Single().Mac));
        Assert.Equal(("10.10.0.2", 3u), (Pod("client").Ip, Pod("client").OfPort));
        Assert.Equal(("10.10.0.3", 4u), (Pod("web-1").Ip, Pod("web-1").OfPort));
        Assert.Equal(["default/web-2", "default/web-3"], Node("node-b").Pods.Select(p => p.Pod));
        Assert.Matches("^web-3-[0-9a-f]{6}$", Pod("web-3").Port);
        Assert.Contains(Notes, n => n.Contains("pod default/web-3 has no spec.nodeName: scheduled on node-b", StringComparison.Ordinal));
        Assert.Contains(Notes, n => n.Contains("Deployment default/web: not compiled", StringComparison.Ordinal));
        var services = _scenario.Model.Services.ToDictionary(s => s.Name);
        Assert.Equal(("10.96.0.2", 30000), (services["default/web:http"].ClusterIp, services["default/web:http"].NodePort));
        Assert.True(services["default/web:http"].Endpoints.ToHashSet().SetEquals(["10.10.0.3:8080", "10.10.1.2:8080", "10.10.1.3:8080"]));
        Assert.Equal(["192.168.50.99:53"], services["default/upstream-dns:dns"].Endpoints);
        Assert.Equal(["10.10.1.50:9000"], services["default/sliced"].Endpoints);
        Assert.Empty(services["default/idle"].Endpoints);
        Assert.All(_scenario.Cluster.Nodes, n => Assert.Empty(n.Bridge.LoadWarnings));
    }

    [Fact]
    public void ClientIP_affinity_keeps_one_client_on_one_backend()
    {
        using var journey = ScenarioHosts.BuildJourney(_scenario, JourneyScope.Cluster, seed: 5);
        var client = Pod("client");
        var backends = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 30; i++)
        {
            var sink = new CompileJourneySink();
            journey.Inject("node-a", client.Port, Syn(client, Ipv4Address.Parse("10.96.0.2"), 80, (ushort)(30000 + i)), sink, 1000 + i);
            journey.Settle(sink);
            backends.UnionWith(sink.Syns.Select(s => s.Where));
        }
        var backend = Assert.Single(backends);
        Assert.Matches("^node-[ab]/web-[123]-[0-9a-f]{6}$", backend);
    }

    [Theory]
    [InlineData("node-a", new[] { "web-1" })]
    [InlineData("node-b", new[] { "web-2", "web-3" })]
    public void A_local_NodePort_reaches_the_node_s_own_backends_with_the_client_s_address(string nodeName, string[] local)
    {
        using var journey = ScenarioHosts.BuildJourney(_scenario, JourneyScope.Cluster, seed: 9);
        var reached = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (where, src, client) in CompileJourneySink.NodePortFromOutside(journey, Node(nodeName), 30000, 40))
        {
            Assert.Equal(client, src);
            reached[where] = reached.GetValueOrDefault(where) + 1;
        }
        Assert.Equal(local.Select(p => $"{nodeName}/{Pod(p).Port}").Order(StringComparer.Ordinal), reached.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_service_without_endpoints_is_refused_and_one_fed_by_endpoints_is_DNATed()
    {
        using var journey = ScenarioHosts.BuildJourney(_scenario, JourneyScope.Cluster, seed: 1);
        var client = Pod("client");
        var sink = new CompileJourneySink();
        journey.Inject("node-a", client.Port, Syn(client, Ipv4Address.Parse("10.96.0.4"), 81, 40000), sink, 1000);
        journey.Settle(sink);
        // kube-proxy's REJECT: an ICMP port unreachable (type 3, code 3) back to the client's port.
        Assert.Contains(sink.Exits, e => e.Where == $"node-a/{client.Port}" && e.Frame.Length > 37 && e.Frame[23] == 1 && e.Frame[34] == 3 && e.Frame[35] == 3);

        // upstream-dns has no selector: its Endpoints object's address is where the query goes, out of the uplink.
        sink = new CompileJourneySink();
        journey.Inject("node-a", client.Port, PacketBuilder.Udp(MacAddress.Parse(client.Mac), MacAddress.Parse(Node("node-a").Gateway!.Mac!),
            Ipv4Address.Parse(client.Ip), Ipv4Address.Parse("10.96.0.3"), 33333, 53, new byte[12]), sink, 2000);
        journey.Settle(sink);
        var (where, frame) = Assert.Single(sink.Exits, e => e.Frame[12] == 8 && e.Frame[23] == 17);
        Assert.Equal(("node-a/eth0", Ipv4Address.Parse("192.168.50.99")), (where, Ipv4Address.Read(frame.AsSpan(30))));
    }

    private byte[] Syn(PodModel from, Ipv4Address to, ushort port, ushort sport)
        => PacketBuilder.Tcp(MacAddress.Parse(from.Mac), MacAddress.Parse(_scenario.Model.Nodes.Single(n => n.Pods.Contains(from)).Gateway!.Mac!),
            Ipv4Address.Parse(from.Ip), to, sport, port, TcpFlags.Syn);
}
