using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Issue 16.4's Antrea 2.x target: compiling the embedded Antrea 2.x lab's manifests.yaml with its cluster.yaml for
/// the antrea-2 pipeline gives, node by node, exactly the lab's dumps: its flows (every table of AntreaProxy with
/// proxyAll, the pods, the peer nodes, the seed's NetworkPolicies as conjunctions), AntreaProxy's Service groups,
/// the route client's ANTREA-* iptables and ipsets, and the agent's PacketIn meters; cluster.yaml names the
/// antrea-2 tables and the files, and keeps the lab's routes and neighbours.
/// </summary>
public sealed class CompileAntrea2Tests
{
    internal static readonly string LabDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Antrea2");

    internal static CompiledScenario CompileLab(string? manifests = null)
        => ClusterCompiler.Compile(Path.Combine(LabDir, "cluster.yaml"), [manifests ?? Path.Combine(LabDir, "manifests.yaml")], CompilePipeline.Antrea2);

    [Theory]
    [InlineData("worker1", "flows")]
    [InlineData("worker2", "flows")]
    [InlineData("worker1", "groups")]
    [InlineData("worker2", "groups")]
    [InlineData("worker1", "iptables")]
    [InlineData("worker2", "iptables")]
    [InlineData("worker1", "ipsets")]
    [InlineData("worker2", "ipsets")]
    [InlineData("worker1", "meters")]
    [InlineData("worker2", "meters")]
    public void The_lab_compiles_to_its_dumps(string node, string kind)
    {
        var compiled = CompileLab();
        string theirs = File.ReadAllText(Path.Combine(LabDir, $"{node}.{kind}"));
        string ours = compiled.Files[$"{node}.{kind}"];
        var missing = theirs.Split('\n').Except(ours.Split('\n')).ToList();
        var extra = ours.Split('\n').Except(theirs.Split('\n')).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0, $"{node}.{kind}: only in the lab: {string.Join(" | ", missing)}; only compiled: {string.Join(" | ", extra)}");
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void The_compiled_cluster_yaml_is_the_lab_s_nodes_with_the_antrea_2_tables()
    {
        var lab = AntreaScenario.LoadEmbedded("antrea-2").Model;
        var compiled = CompileLab();
        Assert.Empty(compiled.Notes);
        Assert.Equal(["manifests.yaml", "worker1.flows", "worker1.groups", "worker1.ipsets", "worker1.iptables", "worker1.meters",
            "worker2.flows", "worker2.groups", "worker2.ipsets", "worker2.iptables", "worker2.meters"], compiled.Files.Keys.Order(StringComparer.Ordinal));
        foreach (var (ours, theirs) in compiled.Model.Nodes.Zip(lab.Nodes))
        {
            Assert.Equal(theirs.Routes, ours.Routes);
            Assert.Equal(theirs.Neighbors.Select(n => $"{n.Ip} {n.Mac} {n.Dev}"), ours.Neighbors.Select(n => $"{n.Ip} {n.Mac} {n.Dev}"));
            Assert.Equal((theirs.Flows, theirs.Groups, theirs.Meters, theirs.Iptables, theirs.Ipsets), (ours.Flows, ours.Groups, ours.Meters, ours.Iptables, ours.Ipsets));
            Assert.Equal(theirs.Tables, ours.Tables);
        }
        Assert.Contains("    tables: antrea-2\n", ScenarioWriter.ClusterYaml(compiled.Model), StringComparison.Ordinal);
    }

    [Fact]
    public void A_compiled_lab_compiled_again_is_the_same()
        => CompileFixtures.AssertCompilesAgainTheSame(CompileLab(), CompilePipeline.Antrea2);

    [Fact]
    public void A_headless_service_gets_no_group_and_the_next_takes_its_number()
    {
        string dir = Directory.CreateTempSubdirectory("headless-a2").FullName;
        try
        {
            string manifests = Path.Combine(dir, "manifests.yaml");
            string lab = File.ReadAllText(Path.Combine(LabDir, "manifests.yaml"));
            int affinity = lab.IndexOf("apiVersion: v1\nkind: Service\nmetadata: { name: backendsvc-affinity", StringComparison.Ordinal);
            File.WriteAllText(manifests, lab[..affinity] + "apiVersion: v1\nkind: Service\nmetadata: { name: headless }\nspec: { clusterIP: None, selector: { role: backend }, ports: [ { port: 80 } ] }\n---\n" + lab[affinity..]);
            var compiled = CompileLab(manifests);
            string groups = compiled.Files["worker1.groups"];
            Assert.Equal(3, groups.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Equal(File.ReadAllText(Path.Combine(LabDir, "worker1.groups")), groups);
            Assert.DoesNotContain("nw_dst=None", compiled.Files["worker1.flows"], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
