using Datapath.EndToEnd.Tests.Lab;

namespace Datapath.Live.Tests.Lab;

/// <summary>
/// The Calico lab on real traffic (issue 17.6): `datapath lab up --lab calico` runs master, worker1 and worker2 as three
/// `datapath run --node` processes with no bridge (each node is its host stack), the pods' cali veths as TAPs moved into
/// the pods' namespaces (default via 169.254.1.1, answered by proxy ARP), vxlan.calico's VXLAN over UDP 4789 on loopback
/// addresses, and a namespace per node whose processes are the node's own. Real curl and real HTTP servers judge it: from a
/// pod and from each node to podinfo's ClusterIP (10.43.156.98:9898, two endpoints) and backend-service's
/// (10.43.199.177:8000, three endpoints).
/// </summary>
public sealed class CalicoLabTests(CalicoLabFixture fixture) : IClassFixture<CalicoLabFixture>
{
    private const string Debug = "debug"; // default/debug on worker1, 10.42.135.132

    private static readonly Dictionary<string, string> s_podinfo = new()
    {
        ["10.42.217.66"] = "frontend-podinfo-7854c7cd4c-q8wz2",
        ["10.42.54.194"] = "frontend-podinfo-7854c7cd4c-jvdx5",
    };

    private static readonly Dictionary<string, string> s_backend = new()
    {
        ["10.42.135.131"] = "simple-deployment-794f78c89-q6k4p",
        ["10.42.217.68"] = "simple-deployment-794f78c89-x4tzb",
        ["10.42.54.195"] = "simple-deployment-794f78c89-4646m",
    };

    private LiveLab Lab => fixture.Lab;

    private static string Page(string pod, string ip) => $"Praqma Network MultiTool (with NGINX) - {pod} - {ip}/32";

    /// <summary>curl URL from NS <paramref name="times"/> times; every answer must be one endpoint's page; returns the endpoints seen, with counts.</summary>
    private Dictionary<string, int> CurlService(string ns, string url, Dictionary<string, string> endpoints, int times)
    {
        var pages = endpoints.ToDictionary(e => Page(e.Value, e.Key), e => e.Key);
        var seen = new Dictionary<string, int>();
        for (int i = 0; i < times; i++)
        {
            var (code, page, error) = Lab.Curl(ns, url);
            Assert.True(code == 0, $"{ns}: curl {url} (request {i}) exit {code}: {error}\n{Lab.Logs()}");
            Assert.True(pages.TryGetValue(page, out var ip), $"{ns}: curl {url}: '{page}' is no endpoint's page");
            seen[ip] = seen.GetValueOrDefault(ip) + 1;
        }
        return seen;
    }

    [LabFact]
    public void A_PodReachesBothClusterIpsAndEveryEndpointAnswers()
    {
        Lab.Require();
        Assert.Equal(2, CurlService(Debug, "http://10.43.156.98:9898/", s_podinfo, 12).Count);
        Assert.Equal(3, CurlService(Debug, "http://10.43.199.177:8000/", s_backend, 30).Count);
        // The pod's gateway is Calico's 169.254.1.1, resolved by the cali veth's proxy ARP to ee:ee:ee:ee:ee:ee.
        Assert.Contains("169.254.1.1 dev eth0 lladdr ee:ee:ee:ee:ee:ee", LabEnvironment.Run("ip", "-n", Lab.Ns(Debug), "neigh", "show").Out, StringComparison.Ordinal);
    }

    [LabFact]
    public void B_EachNodeNamespaceReachesBothClusterIpsThroughItsOwnStack()
    {
        Lab.Require();
        foreach (var node in new[] { "master", "worker1", "worker2" })
        {
            Assert.Single(CurlService(node, "http://10.43.156.98:9898/", s_podinfo, 1));
            Assert.Single(CurlService(node, "http://10.43.199.177:8000/", s_backend, 1));
            var local = Lab.Stats(node).GetProperty("local");
            Assert.True(local.GetProperty("delivered").GetInt64() > 0, $"{node}: nothing was delivered to the node's namespace");
        }
    }

    /// <summary>
    /// Seed 002's curl from the node: master's process sends from its node IP, kube-proxy's OUTPUT DNAT picks an endpoint,
    /// and for the one on worker2 cali-POSTROUTING's MASQUERADE on vxlan.calico takes the device's /32 (10.42.217.65): the
    /// host's conntrack shows both, and the reply came back across VXLAN un-NATed to the curl in master's namespace.
    /// </summary>
    [LabFact]
    public void C_TheNodesCurlIsDnatedAndMasqueradedOntoVxlanAsInSeed002()
    {
        Lab.Require();
        bool remote = false;
        for (int i = 0; i < 20 && !remote; i++)
            remote = CurlService("master", "http://10.43.156.98:9898/", s_podinfo, 1).ContainsKey("10.42.54.194");
        Assert.True(remote, "20 requests from master never reached the endpoint on worker2");
        var conntrack = Lab.Ctl("master", "conntrack", "-L");
        Assert.Equal(0, conntrack.Code);
        Assert.Contains(conntrack.Out.Split('\n'), l => l.Contains("src=192.168.1.87 dst=10.43.156.98 ", StringComparison.Ordinal)
            && l.Contains("src=10.42.54.194 dst=10.42.217.65 ", StringComparison.Ordinal));
        var masquerade = Lab.Ctl("master", "iptables", "-t", "nat", "-L", "cali-POSTROUTING", "-n", "-v", "-x");
        Assert.Contains(masquerade.Out.Split('\n'), l => l.Contains("MASQUERADE", StringComparison.Ordinal) && l.Contains("vxlan.calico", StringComparison.Ordinal)
            && !l.TrimStart().StartsWith("0 ", StringComparison.Ordinal));
    }

    [LabFact]
    public void D_PodToPodAcrossNodesTravelsAsVxlanOverTheUnderlaySockets()
    {
        Lab.Require();
        var (code, page, error) = Lab.Curl(Debug, "http://10.42.54.194:9898/");
        Assert.True(code == 0, $"curl exit {code}: {error}\n{Lab.Logs()}");
        Assert.Equal(Page("frontend-podinfo-7854c7cd4c-jvdx5", "10.42.54.194"), page);
        var w1 = Lab.Stats("worker1");
        var w2 = Lab.Stats("worker2");
        Assert.False(w1.GetProperty("bridge").GetBoolean());
        Assert.Equal($"{Lab.Underlay[1]}:4789", w1.GetProperty("underlay").GetProperty("local").GetString());
        Assert.True(w1.GetProperty("underlay").GetProperty("tx_datagrams").GetInt64() > 0, "worker1 sent nothing on the underlay");
        Assert.True(w2.GetProperty("underlay").GetProperty("rx_datagrams").GetInt64() > 0, "worker2 received nothing on the underlay");
        Assert.True(w2.GetProperty("host").GetProperty("forwarded").GetInt64() > 0);
    }

    [LabFact]
    public void E_ACalicoNodesControlSocketServesItsHostAndRefusesBridgeCommands()
    {
        Lab.Require();
        var flows = Lab.Ctl("worker1", "dump-flows");
        Assert.Equal(1, flows.Code);
        Assert.Contains("has no bridge", flows.Out + flows.Err, StringComparison.Ordinal);
        var services = Lab.Ctl("worker1", "iptables", "-t", "nat", "-L", "KUBE-SERVICES", "-n");
        Assert.Equal(0, services.Code);
        Assert.Contains("10.43.156.98", services.Out, StringComparison.Ordinal);
        var ports = Lab.Stats("worker1").GetProperty("ports").EnumerateArray().Select(p => p.GetProperty("port").GetString()).ToList();
        Assert.Equal(["cali6847b0d64cd", "calie3ba9b96e53"], ports);
    }
}
