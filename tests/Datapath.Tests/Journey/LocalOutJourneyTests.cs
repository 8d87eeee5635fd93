using Datapath.Engine.Tracing;
using Datapath.Packets;
using static Datapath.Engine.Tests.Host.SeedHosts;

namespace Datapath.Engine.Tests;

/// <summary>
/// Traffic from worker1's own stack (ip_local_out): `curl 10.104.65.133` on the node. The route lookup picks the
/// source (`ip route get 10.104.65.133`: the default route via ens160, src 10.79.1.201), nat OUTPUT's KUBE-SERVICES
/// marks it for masquerade (the source is outside 10.222.0.0/16) and DNATs it to a backend, the packet is re-routed
/// to antrea-gw0, KUBE-POSTROUTING masquerades it to antrea-gw0's 10.222.1.1, and the bridge carries it to the
/// backend; the backend's SYN-ACK comes back to the host, un-NATed, and is delivered through INPUT.
/// </summary>
public sealed class LocalOutJourneyTests
{
    private static readonly Ipv4Address NodeIp1 = Ipv4Address.Parse("10.79.1.201");
    private const ushort Ephemeral = 40000;

    /// <summary>kube-dns's ClusterIP: coredns has no NetworkPolicy, so the host's connection reaches the pod.</summary>
    private static readonly Ipv4Address DnsServiceIp = Ipv4Address.Parse("10.96.0.10");

    /// <summary>The SYN a process's socket sends before routing: no source address yet (the socket is not bound).</summary>
    private static byte[] HostSyn(Ipv4Address dst, ushort dport)
        => PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, new Ipv4Address(0), dst, Ephemeral, dport, TcpFlags.Syn, seq: 1000, window: 64240);

    /// <summary>The first seed whose draw in worker1's KUBE-SVC chain sends the host's SYN to <paramref name="dst"/>.</summary>
    private static ulong SeedFor(byte[] syn, Ipv4Address dst)
    {
        for (ulong seed = 1; seed < 200; seed++)
        {
            using var journey = SeedJourney(JourneyScope.Cluster, seed);
            var trace = new Trace();
            journey.RunLocal(journey.GetNode("worker1"), syn, null, 1000, trace);
            if (trace.Steps.Any(s => s.Kind == TraceKind.Route && s.Summary!.StartsWith($"re-route {dst} ", StringComparison.Ordinal)))
                return seed;
        }
        Assert.Fail($"no seed below 200 DNATs to {dst}");
        return 0;
    }

    private static int Index(Trace trace, string node, TraceKind kind, string prefix)
    {
        int i = trace.Steps.FindIndex(s => s.Node == node && s.Kind == kind && s.Summary!.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(i >= 0, $"no {kind} step on {node} starting '{prefix}' in:\n{string.Join("\n", trace.Steps.Select(s => $"{s.Node} {s.Kind} {s.Summary}"))}");
        return i;
    }

    private static string? Detail(TraceStep step, string key) => step.Details.FirstOrDefault(d => d.Key == key).Value;

    [Theory]
    [InlineData("10.222.1.47", "10.222.1.0/24 dev antrea-gw0 proto kernel scope link src 10.222.1.1", "KUBE-SEP-6PRWOLZVS5LKSHLK", "worker1")]
    [InlineData("10.222.2.34", "10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink", "KUBE-SEP-R5BOSGFC7D2XSIZA", "worker2")]
    public void Curl_from_worker1_to_the_cluster_ip_is_routed_dnated_rerouted_masqueraded_and_goes_out_antrea_gw0(
        string backend, string reroute, string sep, string backendNode)
    {
        var syn = HostSyn(ServiceIp, 80);
        using var journey = SeedJourney(JourneyScope.Cluster, SeedFor(syn, Ipv4Address.Parse(backend)));
        var trace = new Trace();
        var r = new JourneyRecorder();
        var result = journey.RunLocal(journey.GetNode("worker1"), syn, r, 1000, trace);

        // The kernel's order: route (source chosen), raw/mangle/nat/filter OUTPUT, re-route, POSTROUTING, neighbour.
        int route = Index(trace, "worker1", TraceKind.Route,
            "route 10.104.65.133 (local out): default via 10.79.1.1 dev ens160 proto static; ip route get: 10.104.65.133 via 10.79.1.1 dev ens160 src 10.79.1.201");
        int output = Index(trace, "worker1", TraceKind.Netfilter, "nat:OUTPUT:rule:1:JUMP:KUBE-SERVICES");
        int mark = Index(trace, "worker1", TraceKind.Netfilter, "nat:KUBE-MARK-MASQ:rule:1:MARK:0x4000/0x4000");
        int svc = Index(trace, "worker1", TraceKind.Netfilter, "nat:KUBE-SERVICES:rule:10:JUMP:KUBE-SVC-EKL7ZEFK3VFJKKGJ");
        int dnat = Index(trace, "worker1", TraceKind.Netfilter, $"nat:{sep}:rule:2:DNAT:{backend}:80");
        int filter = Index(trace, "worker1", TraceKind.Netfilter, "filter:OUTPUT:policy:ACCEPT");
        int again = Index(trace, "worker1", TraceKind.Route, $"re-route {backend} after DNAT (ip_route_me_harder): {reroute}");
        int post = Index(trace, "worker1", TraceKind.Netfilter, "nat:POSTROUTING:rule:1:JUMP:KUBE-POSTROUTING");
        int masq = Index(trace, "worker1", TraceKind.Netfilter, "nat:KUBE-POSTROUTING:rule:3:MASQUERADE");
        int neighbour = Index(trace, "worker1", TraceKind.Neighbor, "neighbor ");
        int bridge = Index(trace, "worker1", TraceKind.Ingress, "2(antrea-gw0): tcp,");
        int[] order = [route, output, mark, svc, dnat, filter, again, post, masq, neighbour, bridge];
        Assert.Equal(order.Order(), order);
        var reroutedStep = trace.Steps[again];
        Assert.Equal("10.79.1.201", Detail(reroutedStep, "src"));
        Assert.Equal("antrea-gw0", Detail(reroutedStep, "dev"));

        // Into br-int from antrea-gw0 as MASQUERADE left it: antrea-gw0's address, the socket's port, the backend.
        string flow = trace.Steps[bridge].Summary!;
        Assert.Contains($"nw_src=10.222.1.1,nw_dst={backend},", flow, StringComparison.Ordinal);
        Assert.Contains("tp_src=40000,tp_dst=80,tcp_flags=syn", flow, StringComparison.Ordinal);
        Assert.Contains("dl_src=4e:99:08:c1:53:be", flow, StringComparison.Ordinal);

        // The seed's NetworkPolicy admits only the frontend (10.222.1.48) to the backends: the host's SYN ends at
        // the backend node's IngressDefault table, as it would on the lab.
        var drop = Assert.Single(r.Drops);
        Assert.Equal(backendNode, drop.Node.Name);
        Assert.Equal(JourneyDropPlace.Bridge, drop.Place);
        Assert.Equal((byte)100, drop.Table);
        Assert.Equal(1, result.Drops);
        Assert.Empty(r.Outputs);
    }

    [Fact]
    public void The_hosts_connection_to_kube_dns_reaches_coredns_and_its_syn_ack_is_un_nated_and_delivered_through_input()
    {
        var syn = HostSyn(DnsServiceIp, 53);
        using var journey = SeedJourney(JourneyScope.Cluster, SeedFor(syn, Coredns));
        var worker1 = journey.GetNode("worker1");
        // The seed's `arp -a` on worker1 has no entry for coredns, and the host does not ARP (a counted no-neighbor
        // drop): the entry a first exchange would have left.
        worker1.Host!.Neighbors.Set("antrea-gw0", Coredns, CorednsMac);
        var r = new JourneyRecorder();
        journey.RunLocal(worker1, syn, r, 1000);
        Assert.Empty(r.Drops);
        var o = Assert.Single(r.Outputs);
        Assert.Equal(("worker1", CorednsPort), (o.Node, o.Port));
        var k = Key(o.Frame);
        Assert.Equal((Gw1, Coredns), (k.Ipv4Src, k.Ipv4Dst));
        Assert.Equal((Ephemeral, (ushort)53), (k.TpSrc, k.TpDst));
        Assert.Equal((Gw1Mac, CorednsMac), (k.DlSrc, k.DlDst));

        // coredns answers the address it saw; the bridge hands the SYN-ACK to antrea-gw0, the host's conntrack
        // undoes MASQUERADE (PREROUTING) and the DNAT (INPUT), and the host takes it.
        var synAck = PacketBuilder.Tcp(CorednsMac, Gw1Mac, Coredns, Gw1, 53, Ephemeral, TcpFlags.Syn | TcpFlags.Ack, seq: 5000, ack: 1001, window: 65160);
        var trace = new Trace();
        r.Clear();
        var result = journey.Run(worker1, worker1.Bridged.Bridge.GetPort(CorednsPort).OfPort, synAck, r, 1001, trace);
        Assert.Empty(r.Drops);
        Assert.Empty(r.Outputs);
        Assert.Single(r.Delivered);
        Assert.Equal(new JourneyResult(0, 0, 1, 0, result.Hops), result);
        Assert.Single(trace.Deliveries);
        // After PREROUTING the destination is the socket's own address again: the node IP, not antrea-gw0's.
        int local = Index(trace, "worker1", TraceKind.Route, "route 10.79.1.201: local (table local)");
        int input = trace.Steps.FindIndex(s => s.Kind == TraceKind.Netfilter && Detail(s, "hook") == "INPUT");
        Assert.True(input > local);
        var entry = Assert.Single(worker1.Host!.Conntrack.Dump(), l => l.Contains("dport=53)", StringComparison.Ordinal));
        Assert.Contains("orig=(src=10.79.1.201,dst=10.96.0.10,sport=40000,dport=53)", entry, StringComparison.Ordinal);
        Assert.Contains("reply=(src=10.222.1.2,dst=10.222.1.1,sport=53,dport=40000)", entry, StringComparison.Ordinal);
    }
}
