using BenchmarkDotNet.Attributes;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Benchmarks.Netfilter;

/// <summary>
/// First-packet NAT decisions: a SYN to a ClusterIP runs nat PREROUTING (KUBE-SERVICES → KUBE-SVC-* → statistic →
/// KUBE-SEP-* → DNAT) on the stateless engine, as the kernel does for a connection's first packet. Every packet
/// goes to a uniformly random one of ALL the services and is a new connection (a new source port and address),
/// so the caches see the whole rule set as the working set, not a few hot services. The keys are made in the
/// loop (a few stores into one reused key, as a parsed packet would be in L1), not read from a big array.
/// Baseline: the same rules scanned linearly (dispatch segments removed), as iptables does.
/// The cost per decision should stay flat from 10 to 10 000 services with indexed dispatch.
/// </summary>
[MemoryDiagnoser]
public class NatDecisionBenchmarks
{
    private const int Batch = 1024;
    private NetfilterEngine _indexed = null!;
    private NetfilterEngine _linear = null!;
    private ulong _rng;
    private ushort _sourcePort;

    [Params(10, 1_000, 10_000)]
    public int Services { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string text = KubeProxyRuleGenerator.Generate(Services);
        _indexed = new NetfilterEngine(IptablesSaveParser.ParseText(text, "kube-proxy"), new NetfilterEngineOptions { RandomSeed = 42 });
        var linearRules = IptablesSaveParser.ParseText(text, "kube-proxy");
        foreach (var chain in linearRules.Nat!.Chains)
            ChainCompiler.Linearize(chain);
        _linear = new NetfilterEngine(linearRules, new NetfilterEngineOptions { RandomSeed = 42 });
        _rng = 0x9E3779B97F4A7C15UL;
        _sourcePort = 1024;
    }

    private uint Run(NetfilterEngine engine)
    {
        uint sum = 0;
        ulong rng = _rng;
        ushort sport = _sourcePort;
        uint services = (uint)Services;
        var key = default(FlowKey);
        key.EthType = EtherTypes.IPv4;
        key.TcpFlags = (ushort)TcpFlags.Syn;
        for (int i = 0; i < Batch; i++)
        {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            uint r = (uint)rng;
            int s = (int)(((ulong)r * services) >> 32);
            key.NwSrc = 0x0ADE0100u + ((r >> 24) & 127); // 10.222.1.x: a pod, no KUBE-MARK-MASQ
            key.NwDst = KubeProxyRuleGenerator.ClusterIp(s);
            key.NwProto = KubeProxyRuleGenerator.IsUdp(s) ? IpProtocols.Udp : IpProtocols.Tcp;
            key.TpSrc = sport++;
            key.TpDst = KubeProxyRuleGenerator.Port(s);
            key.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.New);
            var packet = new NetfilterPacket(ref key) { InInterface = "antrea-gw0", Length = 60 };
            engine.Run(NetfilterHook.Prerouting, ref packet);
            sum += key.NwDst;
        }
        _rng = rng;
        _sourcePort = sport;
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public uint LinearScan() => Run(_linear);

    [Benchmark(OperationsPerInvoke = Batch)]
    public uint IndexedDispatch() => Run(_indexed);
}
