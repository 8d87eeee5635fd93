using Datapath.Antrea;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Host;

/// <summary>
/// Builds the seed lab's hosts from the embedded scenario (cluster.yaml's gateway, node IP/MAC, uplink, routes,
/// neighbours; worker{1,2}.iptables; ipsets.save) and the journey over the scenario's bridges and hosts.
/// </summary>
internal static class SeedHosts
{
    public const string FrontendPort = "frontend-a3ba2f";
    public const string Backend1Port = "backend1-bab86f";
    public const string Backend2Port = "backend2-202ff6";
    /// <summary>coredns has no NetworkPolicy (the frontend's egress policy only allows TCP 80 to backends and UDP 53).</summary>
    public const string CorednsPort = "coredns--3e3abf";
    public static readonly MacAddress CorednsMac = MacAddress.Parse("f2:82:cc:96:da:bd");
    public static readonly Ipv4Address Coredns = Ipv4Address.Parse("10.222.1.2");
    public static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress Backend1Mac = MacAddress.Parse("f2:32:d8:07:e2:a6");
    public static readonly MacAddress Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    public static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    public static readonly MacAddress Gw2Mac = MacAddress.Parse("02:d8:4e:3f:92:1d");
    public static readonly MacAddress VirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    public static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    public static readonly Ipv4Address Backend1 = Ipv4Address.Parse("10.222.1.47");
    public static readonly Ipv4Address Backend2 = Ipv4Address.Parse("10.222.2.34");
    public static readonly Ipv4Address ServiceIp = Ipv4Address.Parse("10.104.65.133");
    public static readonly Ipv4Address Gw1 = Ipv4Address.Parse("10.222.1.1");
    public static readonly Ipv4Address Gw2 = Ipv4Address.Parse("10.222.2.1");

    public static HostStackConfig Config(AntreaScenario s, string node, ulong seed = 1)
    {
        var n = s.Model.Nodes.Single(x => x.Name == node);
        var gw = n.Gateway!;
        return HostStackConfig.ForNode(n.Name, gw.Name ?? "antrea-gw0", gw.Mac!, gw.Ip!, gw.Mtu, n.Uplink ?? "eth0", n.NodeMac, n.NodeIp,
            n.Routes, n.Neighbors.Select(nb => (nb.Ip, nb.Mac, nb.Dev)),
            s.ReadFile(n.Iptables!), n.Iptables!, s.ReadFile(n.Ipsets!), n.Ipsets!, new HostStackOptions { Seed = seed });
    }

    /// <summary>
    /// worker's host alone. With <paramref name="announced"/>, each of the node's pods has asked for its gateway first,
    /// as a pod does before its first packet: the host learnt it from the request (STALE), as the seed's `arp -a` shows.
    /// </summary>
    public static HostStack SeedHost(string node, ulong seed = 1, bool announced = true)
    {
        var s = AntreaScenario.LoadEmbedded();
        var h = HostStack.Create(Config(s, node, seed));
        if (announced)
            Announce(h, s, node);
        return h;
    }

    /// <summary>Each pod of <paramref name="node"/> asks <paramref name="h"/> for its gateway (who-has 10.222.1.1 tell POD), at time 0.</summary>
    public static void Announce(HostStack h, AntreaScenario s, string node)
    {
        var gw = s.Model.Nodes.Single(x => x.Name == node).Gateway!;
        foreach (var (_, ip, mac) in Pods(s, node))
            h.Receive(gw.Name ?? "antrea-gw0", PacketBuilder.Arp(ArpPacket.OpRequest, mac, ip, MacAddress.Zero, GatewayIp(gw), mac, MacAddress.Broadcast), null, 0);
    }

    private static Ipv4Address GatewayIp(PortModel gw) => Ipv4Address.Parse(gw.Ip![..gw.Ip!.IndexOf('/', StringComparison.Ordinal)]);

    public static bool IsArp(byte[] frame) => frame.Length >= 14 && frame[12] == 0x08 && frame[13] == 0x06;

    /// <summary>The seed cluster's bridges and hosts as one journey of <paramref name="scope"/>, the pods announced (see <see cref="SeedHost"/>).</summary>
    public static Journey SeedJourney(JourneyScope scope = JourneyScope.Cluster, ulong seed = 1)
        => SeedJourney(AntreaScenario.LoadEmbedded(), scope, seed);

    /// <summary>
    /// The journey with the scenario's pods as endpoints that answer ARP (as replay, trace and demo build it); with
    /// <paramref name="announced"/>, each pod has first asked for its gateway through the bridge (the host knows it, STALE).
    /// </summary>
    public static Journey SeedJourney(AntreaScenario s, JourneyScope scope, ulong seed = 1, Action<HostStackConfig>? edit = null, bool announced = true, bool endpoints = true)
    {
        var configs = s.Cluster.Nodes.Select(n => Config(s, n.Name, seed)).ToList();
        if (edit is not null)
            configs.ForEach(edit);
        var journey = Journey.Build(s.Cluster, configs, scope);
        if (scope == JourneyScope.Bridge)
            return journey;
        if (endpoints)
            ScenarioHosts.AddPodEndpoints(s, journey);
        if (announced)
        {
            foreach (var n in s.Model.Nodes.Where(n => n.Flows is not null))
            {
                foreach (var (port, ip, mac) in Pods(s, n.Name))
                    journey.Inject(n.Name, port, PacketBuilder.Arp(ArpPacket.OpRequest, mac, ip, MacAddress.Zero, GatewayIp(n.Gateway!), mac, MacAddress.Broadcast), null, 0);
            }
        }
        return journey;
    }

    private static IEnumerable<(string Port, Ipv4Address Ip, MacAddress Mac)> Pods(AntreaScenario s, string node)
        => s.Model.Nodes.Single(x => x.Name == node).Pods.Select(p => (p.Port, Ipv4Address.Parse(p.Ip), MacAddress.Parse(p.Mac)));

    /// <summary>The first seed whose kube-proxy DNAT (statistic --mode random) of the frontend's SYN picks <paramref name="backendPort"/>.</summary>
    public static ulong SeedReaching(string backendPort)
    {
        for (ulong seed = 1; seed < 200; seed++)
        {
            using var journey = SeedJourney(JourneyScope.Cluster, seed);
            var sink = new JourneyRecorder();
            journey.Inject("worker1", FrontendPort, Phase1Syn(), sink, 1000);
            if (sink.Outputs.Any(o => o.Port == backendPort))
                return seed;
        }
        Assert.Fail($"no seed below 200 reaches {backendPort}");
        return 0;
    }

    /// <summary>The frontend's SYN of the seed (tcpdump, seed 001 §9): be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.56670 > 10.104.65.133.80.</summary>
    public static byte[] Phase1Syn(ushort sport = 56670, byte ttl = 64)
        => PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, ServiceIp, sport, 80, TcpFlags.Syn, seq: 569506855, window: 64860,
            options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7), ttl: ttl);

    /// <summary>The same SYN after kube-proxy's DNAT to backend2, as tcpdump shows it on antrea-gw0 (seed 001 §9.10): TTL 63.</summary>
    public static byte[] Phase2SynToBackend2()
        => PacketBuilder.Tcp(Gw1Mac, VirtualMac, Frontend, Backend2, 56670, 80, TcpFlags.Syn, seq: 569506855, window: 64860,
            options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7), ttl: 63);

    public static FlowKey Key(ReadOnlySpan<byte> frame)
    {
        FlowKey.Extract(frame, 0, out var key);
        return key;
    }
}

/// <summary>Collects what a host transmits.</summary>
internal sealed class HostCapture : IHostSink
{
    public List<(string Device, byte[] Frame)> Frames { get; } = [];

    public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame) => Frames.Add((device.Name, frame.ToArray()));

    /// <summary>Frames that waited for a neighbour and were dropped later, by reason.</summary>
    public List<DropReason> DroppedLater { get; } = [];

    public void Dropped(HostStack host, DropReason reason) => DroppedLater.Add(reason);
}
