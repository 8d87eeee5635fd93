using BenchmarkDotNet.Attributes;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Benchmarks.Netfilter;

/// <summary>
/// First-packet NAT decisions: a SYN to a random ClusterIP runs nat PREROUTING (KUBE-SERVICES → KUBE-SVC-* →
/// statistic → KUBE-SEP-* → DNAT) on the stateless engine, as the kernel does for a connection's first packet.
/// Baseline: the same rules scanned linearly (dispatch segments removed), as iptables does.
/// The cost per decision should stay flat from 10 to 10 000 services with indexed dispatch.
/// </summary>
[MemoryDiagnoser]
public class NatDecisionBenchmarks
{
    private const int Batch = 1024;
    private NetfilterEngine _indexed = null!;
    private NetfilterEngine _linear = null!;
    private FlowKey[] _keys = null!;

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
        var rnd = new Random(7);
        _keys = new FlowKey[Batch];
        for (int i = 0; i < Batch; i++)
        {
            int s = rnd.Next(Services);
            ref var k = ref _keys[i];
            k.EthType = EtherTypes.IPv4;
            k.NwSrc = 0x0ADE0130u + (uint)rnd.Next(200); // 10.222.1.x: a pod, no KUBE-MARK-MASQ
            k.NwDst = KubeProxyRuleGenerator.ClusterIp(s);
            k.NwProto = KubeProxyRuleGenerator.IsUdp(s) ? IpProtocols.Udp : IpProtocols.Tcp;
            k.TpSrc = (ushort)(32768 + i);
            k.TpDst = KubeProxyRuleGenerator.Port(s);
            k.TcpFlags = (ushort)TcpFlags.Syn;
            k.CtState = (uint)(CtStateFlags.Tracked | CtStateFlags.New);
        }
    }

    private static uint Run(NetfilterEngine engine, FlowKey[] keys)
    {
        uint sum = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            var packet = new NetfilterPacket(ref key) { InInterface = "antrea-gw0", Length = 60 };
            engine.Run(NetfilterHook.Prerouting, ref packet);
            sum += key.NwDst;
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public uint LinearScan() => Run(_linear, _keys);

    [Benchmark(OperationsPerInvoke = Batch)]
    public uint IndexedDispatch() => Run(_indexed, _keys);
}
