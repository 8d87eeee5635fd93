using Datapath.Antrea.Compile;
using Datapath.Netfilter;

namespace Datapath.Antrea.Tests;

/// <summary>
/// kube-proxy's rules compiled from a cluster's Service ports: the seed's seven Service ports give worker1's
/// KUBE-* chains with the names, comments, probabilities and per-chain rule order kube-proxy gave them on the seed
/// cluster, and a three-endpoint Service prints its probabilities as iptables-save prints kube-proxy's.
/// </summary>
public sealed class KubeProxyIptablesTests
{
    private static readonly string SeedDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Scenario");

    private static IReadOnlyList<KubeServicePort> SeedServices()
    {
        var scenario = AntreaScenario.LoadEmbedded();
        return [.. scenario.Model.Services.Select(KubeServicePort.From)];
    }

    // The KUBE-* lines of an iptables-save document as our writer prints them (11-digit probabilities), per chain.
    internal static Dictionary<string, List<string>> KubeChains(string document, string file)
    {
        var rules = IptablesSaveParser.ParseText(document, file);
        string saved = IptablesSaveWriter.Write(rules, counters: false, table: "nat", out string error) ?? throw new InvalidOperationException(error);
        var chains = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string line in saved.Split('\n'))
        {
            if (line.StartsWith(":KUBE-", StringComparison.Ordinal))
                chains[line[1..line.IndexOf(' ', StringComparison.Ordinal)]] = [];
            else if (line.StartsWith("-A KUBE-", StringComparison.Ordinal))
                chains[line.Split(' ')[1]].Add(line);
        }
        return chains;
    }

    [Fact]
    public void The_seed_s_services_compile_to_worker1_s_kube_proxy_chains()
    {
        string seed = File.ReadAllText(Path.Combine(SeedDir, "worker1.iptables"));
        var theirs = KubeChains(seed, "worker1.iptables");
        var ours = KubeChains(KubeProxyIptables.Write(SeedServices(), "10.222.0.0/16"), "compiled");
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var (chain, rules) in theirs)
        {
            if (chain == "KUBE-SERVICES")
            {
                // kube-proxy 1.18 walked a Go map: the ClusterIP rule pairs come in any order, the NodePort jump last.
                Assert.Equal(rules.Order(StringComparer.Ordinal), ours[chain].Order(StringComparer.Ordinal));
                Assert.Equal(rules[^1], ours[chain][^1]);
            }
            else
                Assert.Equal(rules, ours[chain]);
        }
    }

    [Fact]
    public void Chain_names_are_kube_proxy_s_hashes_of_the_service_port_protocol_and_endpoint()
    {
        var backendsvc = new KubeServicePort("default", "backendsvc", "", "TCP", "10.104.65.133", 80, 0, ["10.222.1.47:80", "10.222.2.34:80"]);
        Assert.Equal("KUBE-SVC-EKL7ZEFK3VFJKKGJ", KubeProxyIptables.ServiceChain(backendsvc));
        Assert.Equal("KUBE-SEP-6PRWOLZVS5LKSHLK", KubeProxyIptables.EndpointChain(backendsvc, "10.222.1.47:80"));
        var dns = backendsvc with { Namespace = "kube-system", Name = "kube-dns", PortName = "dns", Protocol = "UDP" };
        Assert.Equal("KUBE-SVC-TCOU7JCQXEZGVUNU", KubeProxyIptables.ServiceChain(dns));
    }

    [Fact]
    public void Three_endpoints_split_a_third_a_half_and_the_rest_as_iptables_save_prints_kube_proxy_s_probabilities()
    {
        var svc = new KubeServicePort("default", "backendsvc", "", "TCP", "10.104.65.133", 80, 30080, ["10.222.2.35:80", "10.222.1.47:80", "10.222.2.34:80"]);
        string svcChain = KubeProxyIptables.ServiceChain(svc);
        var chains = KubeChains(KubeProxyIptables.Write([svc], "10.222.0.0/16"), "compiled");
        Assert.Equal(
        [
            $"-A {svcChain} -m comment --comment \"default/backendsvc:\" -m statistic --mode random --probability 0.33333333349 -j {KubeProxyIptables.EndpointChain(svc, "10.222.1.47:80")}",
            $"-A {svcChain} -m comment --comment \"default/backendsvc:\" -m statistic --mode random --probability 0.50000000000 -j {KubeProxyIptables.EndpointChain(svc, "10.222.2.34:80")}",
            $"-A {svcChain} -m comment --comment \"default/backendsvc:\" -j {KubeProxyIptables.EndpointChain(svc, "10.222.2.35:80")}",
        ], chains[svcChain]);
        Assert.Equal(
        [
            $"-A KUBE-NODEPORTS -p tcp -m comment --comment \"default/backendsvc:\" -m tcp --dport 30080 -j KUBE-MARK-MASQ",
            $"-A KUBE-NODEPORTS -p tcp -m comment --comment \"default/backendsvc:\" -m tcp --dport 30080 -j {svcChain}",
        ], chains["KUBE-NODEPORTS"]);
    }

    [Fact]
    public void A_service_port_without_endpoints_is_rejected_in_filter_as_kube_proxy_does()
    {
        var svc = new KubeServicePort("default", "idle", "web", "TCP", "10.96.9.9", 8080, 0, []);
        string doc = KubeProxyIptables.Write([svc], "10.222.0.0/16");
        Assert.Contains("-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m comment --comment \"default/idle:web has no endpoints\" -m tcp --dport 8080 -j REJECT --reject-with icmp-port-unreachable", doc, StringComparison.Ordinal);
        Assert.DoesNotContain("KUBE-SVC-", doc, StringComparison.Ordinal);
        IptablesSaveParser.ParseText(doc, "compiled"); // loads
    }
}
