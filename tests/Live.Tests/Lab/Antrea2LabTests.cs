using Datapath.EndToEnd.Tests.Lab;

namespace Datapath.Live.Tests.Lab;

/// <summary>
/// The Antrea 2.x lab on real traffic (issue 15.6): `datapath lab up --lab antrea-2` runs worker1 and worker2 in Antrea
/// 2.x's pipeline (AntreaProxy's select groups in ServiceLB, ct(nat) in zone 65520, GENEVE between the workers), the
/// pods in namespaces of their own. Real curl and real HTTP servers judge it: the frontend's requests to backendsvc's
/// ClusterIP reach both backends, and to backendsvc-affinity's (sessionAffinity: ClientIP, learned into
/// SessionAffinity) always the same one.
/// </summary>
public sealed class Antrea2LabTests
{
    private const string Backend1 = "Praqma Network MultiTool (with NGINX) - backend1 - 10.222.1.47/24";
    private const string Backend2 = "Praqma Network MultiTool (with NGINX) - backend2 - 10.222.2.34/24";

    [LabFact]
    public void TheFrontendReachesBothBackendsThroughBackendsvcAndOneThroughTheAffinityService()
    {
        using var lab = new LiveLab(["--lab", "antrea-2"], nodes: 2);
        lab.Require();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 16 && seen.Count < 2; i++)
        {
            var (code, page, error) = lab.Curl("frontend", "http://10.104.65.133/");
            Assert.True(code == 0, $"backendsvc request {i}: curl exit {code}: {error}\n{lab.Logs()}");
            Assert.True(page is Backend1 or Backend2, $"unexpected page '{page}'");
            seen.Add(page);
        }
        Assert.Equal(2, seen.Count);

        var affinity = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 8; i++)
        {
            var (code, page, error) = lab.Curl("frontend", "http://10.104.65.140/");
            Assert.True(code == 0, $"backendsvc-affinity request {i}: curl exit {code}: {error}\n{lab.Logs()}");
            Assert.True(page is Backend1 or Backend2, $"unexpected page '{page}'");
            affinity.Add(page);
        }
        Assert.Single(affinity);
        // The learned flow that keeps the client on its backend is in SessionAffinity (table 10), as Antrea's learn writes it.
        var flows = lab.Ctl("worker1", "dump-flows", "table=SessionAffinity");
        Assert.True(flows.Code == 0, flows.Out + flows.Err);
        Assert.Contains("nw_src=10.222.1.48,nw_dst=10.104.65.140", flows.Out, StringComparison.Ordinal);

        var down = LabEnvironment.Datapath("lab", "down", "--dir", lab.Dir);
        Assert.True(down.Code == 0, down.Out + down.Err);
        Assert.Empty(lab.Leftovers());
    }
}
