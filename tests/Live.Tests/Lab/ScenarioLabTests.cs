using Datapath.EndToEnd.Tests.Lab;

namespace Datapath.Live.Tests.Lab;

/// <summary>
/// `datapath lab up --scenario DIR` (issue 16.5) builds what the scenario says, not a built-in list: a copy of the seed
/// scenario whose backend2 is renamed (another Kubernetes namespace, another pod name) gets a namespace of that name and a
/// server answering with it; curl works from a pod, across the tunnel and through the ClusterIP, and from the node's own
/// namespace; lab down removes exactly what up made.
/// </summary>
public sealed class ScenarioLabTests
{
    private static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Datapath.sln not found above " + AppContext.BaseDirectory);
        }
    }

    [LabFact]
    public void ARenamedPodOfACopiedSeedScenarioGetsItsNamespaceAndServesCurl()
    {
        string scenario = Directory.CreateTempSubdirectory("dpt-scenario-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(RepoRoot, "src", "Antrea", "Scenario")))
                File.Copy(f, Path.Combine(scenario, Path.GetFileName(f)));
            string cluster = Path.Combine(scenario, "cluster.yaml");
            File.WriteAllText(cluster, File.ReadAllText(cluster).Replace("pod: default/backend2,", "pod: shop/web2,", StringComparison.Ordinal));
            using var lab = new LiveLab(["--scenario", scenario], nodes: 2);
            lab.Require();
            Assert.Contains(lab.Ns("web2"), lab.UpOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(lab.Ns("backend2"), lab.UpOutput, StringComparison.Ordinal);

            const string Web2 = "Praqma Network MultiTool (with NGINX) - web2 - 10.222.2.34/24";
            const string Backend1 = "Praqma Network MultiTool (with NGINX) - backend1 - 10.222.1.47/24";
            var (code, page, error) = lab.Curl("frontend", "http://10.222.2.34/");
            Assert.True(code == 0, $"curl exit {code}: {error}\n{lab.Logs()}");
            Assert.Equal(Web2, page);
            var seen = new HashSet<string>();
            for (int i = 0; i < 16; i++)
            {
                (code, page, error) = lab.Curl("frontend", "http://10.104.65.133/");
                Assert.True(code == 0, $"ClusterIP request {i}: curl exit {code}: {error}\n{lab.Logs()}");
                Assert.True(page is Web2 or Backend1, $"unexpected page '{page}'");
                seen.Add(page);
            }
            Assert.Equal(2, seen.Count);
            // worker1's own processes: the route to its pod subnet leaves from antrea-gw0's 10.222.1.1, which Antrea's
            // local probe rule (table 90) admits to the node's pods.
            (code, page, error) = lab.Curl("worker1", "http://10.222.1.47/");
            Assert.True(code == 0, $"curl from worker1's namespace exit {code}: {error}\n{lab.Logs()}");
            Assert.Equal(Backend1, page);

            var down = LabEnvironment.Datapath("lab", "down", "--dir", lab.Dir);
            Assert.True(down.Code == 0, down.Out + down.Err);
            Assert.Empty(lab.Leftovers());
            Assert.False(Directory.Exists(lab.Dir));
        }
        finally
        {
            Directory.Delete(scenario, recursive: true);
        }
    }

    [Fact]
    public void AnUnknownLabOrBothSourcesAreRefusedWithTheWords()
    {
        var (code, _, error) = LabEnvironment.Datapath("lab", "up", "--lab", "calcio");
        Assert.Equal(1, code);
        Assert.Contains("no such embedded lab", error, StringComparison.Ordinal);
        Assert.Contains("did you mean 'calico'", error, StringComparison.Ordinal);
        (code, _, error) = LabEnvironment.Datapath("lab", "up", "--lab", "calico", "--scenario", "/tmp");
        Assert.Equal(1, code);
        Assert.Contains("give one of them", error, StringComparison.Ordinal);
    }
}
