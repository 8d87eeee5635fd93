using Datapath.Benchmarks.Netfilter;
using Datapath.Packets;

namespace Datapath.Netfilter.Tests;

/// <summary>The benchmark's generated kube-proxy rules load and decide as the seed's do.</summary>
public sealed class GeneratedRulesTests
{
    [Fact]
    public void Ten_thousand_services_load_with_kube_services_indexed_and_every_service_dnats_to_its_endpoints()
    {
        var rules = IptablesSaveParser.ParseText(KubeProxyRuleGenerator.Generate(10_000), "generated");
        var services = rules.Nat!.GetChain("KUBE-SERVICES");
        Assert.Equal(20_001, services.Rules.Count);
        Assert.Equal(1, services.IndexedSegmentCount);
        var engine = new NetfilterEngine(rules);
        foreach (int s in new[] { 0, 9, 4321, 9999 })
        {
            var key = KubeProxyRuleGenerator.IsUdp(s)
                ? Packets.Udp("10.222.1.48", 40000, new Ipv4Address(KubeProxyRuleGenerator.ClusterIp(s)).ToString(), KubeProxyRuleGenerator.Port(s))
                : Packets.Tcp("10.222.1.48", 40000, new Ipv4Address(KubeProxyRuleGenerator.ClusterIp(s)).ToString(), KubeProxyRuleGenerator.Port(s));
            var (_, trace) = Harness.Run(engine, NetfilterHook.Prerouting, ref key);
            Assert.Equal(2 * s + 2, int.Parse(trace[1].Split(':')[3], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Contains(":DNAT:10.222.", trace[^1], StringComparison.Ordinal);
            Assert.InRange(key.NwDst, 0x0ADE0002u, 0x0ADE0002u + 20_000);
        }
    }
}
