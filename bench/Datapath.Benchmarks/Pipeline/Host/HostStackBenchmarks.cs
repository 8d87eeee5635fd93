using BenchmarkDotNet.Attributes;
using Datapath.Antrea;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Benchmarks.Pipeline.Host;

/// <summary>
/// Established packets through worker1's host stack (seed lab: kube-proxy's and Antrea's iptables, conntrack in
/// zone 0): the frontend's ACK to the service address (PREROUTING with the DNAT binding applied, routing, TTL,
/// FORWARD's KUBE-FORWARD rules, POSTROUTING, the neighbour) and the backend's reply (the binding reversed).
/// Target: ≥ 3 M packets/s on one core (333 ns) and 0 bytes allocated. Baseline: the same forwarding on a host
/// without iptables (routing, TTL, neighbour only), the floor the netfilter hooks add to.
/// </summary>
[MemoryDiagnoser]
public class HostStackBenchmarks
{
    private static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    private static readonly Ipv4Address ServiceIp = Ipv4Address.Parse("10.104.65.133");

    private HostStack _host = null!;
    private HostStack _bare = null!;
    private byte[] _ack = [];
    private byte[] _reply = [];
    private byte[] _bareFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        var s = AntreaScenario.LoadEmbedded();
        _host = HostStack.Create(Config(s, withRules: true));
        _bare = HostStack.Create(Config(s, withRules: false));
        var syn = PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, ServiceIp, 56670, 80, TcpFlags.Syn, seq: 100);
        var sink = new Capture();
        _host.Receive("antrea-gw0", syn, sink, 1000);
        FlowKey.Extract(sink.Last, 0, out var k);
        var backend = k.Ipv4Dst;
        var backendMac = backend == Ipv4Address.Parse("10.222.1.47") ? MacAddress.Parse("f2:32:d8:07:e2:a6") : MacAddress.Parse("aa:bb:cc:dd:ee:ff");
        var synAck = PacketBuilder.Tcp(backendMac, Gw1Mac, backend, Frontend, 80, 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 5000, ack: 101);
        Check(_host.Receive("antrea-gw0", synAck, null, 1000));
        _ack = PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, ServiceIp, 56670, 80, TcpFlags.Ack, seq: 101, ack: 5001, payload: "0123456789"u8);
        _reply = PacketBuilder.Tcp(backendMac, Gw1Mac, backend, Frontend, 80, 56670, TcpFlags.Ack, seq: 5001, ack: 101);
        _bareFrame = PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, backend, 56670, 80, TcpFlags.Ack, seq: 101, ack: 5001, payload: "0123456789"u8);
        Check(_host.Receive("antrea-gw0", _ack, null, 1000));
        Check(_host.Receive("antrea-gw0", _reply, null, 1000));
        Check(_bare.Receive("antrea-gw0", _bareFrame, null, 1000));
    }

    private static void Check(HostVerdict v)
    {
        if (v.Dropped || v.Transmitted != 1)
            throw new InvalidOperationException($"setup packet: {v}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.Dispose();
        _bare.Dispose();
    }

    [Benchmark(Baseline = true, Description = "forward, no iptables")]
    public HostVerdict ForwardWithoutNetfilter() => _bare.Receive("antrea-gw0", _bareFrame, null, 1000);

    [Benchmark(Description = "established, to service (DNAT binding)")]
    public HostVerdict EstablishedToService() => _host.Receive("antrea-gw0", _ack, null, 1000);

    [Benchmark(Description = "established, reply (un-DNAT)")]
    public HostVerdict EstablishedReply() => _host.Receive("antrea-gw0", _reply, null, 1000);

    private static HostStackConfig Config(AntreaScenario s, bool withRules)
    {
        var n = s.Model.Nodes.Single(x => x.Name == "worker1");
        var gw = n.Gateway!;
        var parts = gw.Ip!.Split('/');
        return new HostStackConfig
        {
            Name = n.Name,
            Interfaces =
            [
                new HostInterface(gw.Name!, MacAddress.Parse(gw.Mac!), Ipv4Address.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), gw.Mtu),
                new HostInterface(n.Uplink!, MacAddress.Parse(n.NodeMac), Ipv4Address.Parse(n.NodeIp), 0),
            ],
            Routes = n.Routes,
            Neighbors = [.. n.Neighbors.Select(nb => new NeighborEntry(Ipv4Address.Parse(nb.Ip), MacAddress.Parse(nb.Mac), nb.Dev))],
            Iptables = withRules ? s.ReadFile(n.Iptables!) : null,
            Ipsets = withRules ? s.ReadFile(n.Ipsets!) : null,
        };
    }

    private sealed class Capture : IHostSink
    {
        public byte[] Last { get; private set; } = [];

        public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame) => Last = frame.ToArray();
    }
}
