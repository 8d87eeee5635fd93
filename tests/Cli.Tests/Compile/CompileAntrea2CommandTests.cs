using Datapath.Antrea;

namespace Datapath.Cli.Tests.Compile;

/// <summary>
/// `datapath compile --pipeline antrea-2` as a user runs it: the Antrea 2.x lab's manifests.yaml with its cluster.yaml
/// compile into a directory that loads with `--strict` and whose demo gives `demo --lab antrea-2`'s verdicts, phase by
/// phase; a third backend pod in the manifests is one YAML edit, after which backendsvc's group has three buckets and
/// a replay of 3,000 connections to its ClusterIP spreads over the three backends as Open vSwitch 3.1's dp_hash
/// table for three equal buckets deals them (6, 5 and 5 of 16 hash values; chi-square, p > 0.01).
/// </summary>
public sealed class CompileAntrea2CommandTests : IDisposable
{
    private static readonly string LabDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Antrea2");
    private readonly string _dir = Directory.CreateTempSubdirectory("compile-a2").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CompileLab(string manifests)
    {
        string dir = Path.Combine(_dir, "out");
        var (code, text, err) = CompileCommandTests.Run("compile", manifests, "--cluster", Path.Combine(LabDir, "cluster.yaml"), "--out", dir, "--pipeline", "antrea-2");
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        Assert.Contains($"wrote {Path.Combine(dir, "cluster.yaml")}, manifests.yaml, worker1.flows, worker1.groups, worker1.ipsets, worker1.iptables, worker1.meters, worker2.flows, worker2.groups, worker2.ipsets, worker2.iptables, worker2.meters", text, StringComparison.Ordinal);
        return dir;
    }

    [Fact]
    public void The_compiled_lab_loads_strictly_and_its_demo_gives_the_embedded_lab_s_verdicts()
    {
        string dir = CompileLab(Path.Combine(LabDir, "manifests.yaml"));
        Assert.Contains("    tables: antrea-2\n", File.ReadAllText(Path.Combine(dir, "cluster.yaml")), StringComparison.Ordinal);
        foreach (string node in new[] { "worker1", "worker2" })
        {
            var (dc, _, de) = CompileCommandTests.Run("dump-flows", "--scenario", dir, "--node", node, "--strict");
            Assert.True(dc == 0, de);
            Assert.Equal("", de);
            var (gc, groups, ge) = CompileCommandTests.Run("dump-groups", "--scenario", dir, "--node", node);
            Assert.True(gc == 0, ge);
            Assert.Contains("group_id=2,type=select", groups, StringComparison.Ordinal);
        }
        var embedded = CompileCommandTests.DemoVerdicts(["--lab", "antrea-2"]);
        var compiled = CompileCommandTests.DemoVerdicts(["--scenario", dir]);
        Assert.True(embedded.Count >= 7);
        Assert.Equal(embedded, compiled);
    }

    [Fact]
    public void A_third_backend_is_one_yaml_edit_gets_a_bucket_and_3000_connections_spread_over_three_backends()
    {
        string manifests = Path.Combine(_dir, "manifests.yaml");
        File.WriteAllText(manifests, File.ReadAllText(Path.Combine(LabDir, "manifests.yaml")) + BackendSpread.Backend3 + "\n");
        string dir = CompileLab(manifests);
        var model = AntreaScenario.Load(dir).Model;
        var backend3 = model.Nodes.Single(n => n.Name == "worker2").Pods.Single(p => p.Pod == "default/backend3");
        Assert.Equal(("10.222.2.2", 36u), (backend3.Ip, backend3.OfPort));   // host-local's first free address; after backend2's 35
        // worker1's backendsvc group: a bucket per backend by address, the two on worker2 marked remote (reg4[26]).
        string group = File.ReadAllLines(Path.Combine(dir, "worker1.groups")).Single(l => l.StartsWith("group_id=1,", StringComparison.Ordinal));
        Assert.Equal("group_id=1,type=select"
            + ",bucket=bucket_id:0,weight:100,actions=set_field:0xade012f->reg3,set_field:0x50/0xffff->reg4,resubmit(,EndpointDNAT)"
            + ",bucket=bucket_id:1,weight:100,actions=set_field:0x4000000/0x4000000->reg4,set_field:0xade0202->reg3,set_field:0x50/0xffff->reg4,resubmit(,EndpointDNAT)"
            + ",bucket=bucket_id:2,weight:100,actions=set_field:0x4000000/0x4000000->reg4,set_field:0xade0222->reg3,set_field:0x50/0xffff->reg4,resubmit(,EndpointDNAT)", group);
        foreach (string node in new[] { "worker1", "worker2" })
            Assert.Contains("table=EndpointDNAT, priority=200,tcp,reg3=0xade0202,reg4=0x20050/0x7ffff actions=ct(commit,table=AntreaPolicyEgressRule,zone=65520,nat(dst=10.222.2.2:80),exec(set_field:0x10/0x10->ct_mark))",
                File.ReadAllText(Path.Combine(dir, $"{node}.flows")), StringComparison.Ordinal);

        // The frontend opens 3,000 connections to backendsvc's ClusterIP, one SYN each, 1 ms apart.
        const int Connections = 3000;
        var counts = BackendSpread.Replay(dir, _dir, Connections, backend3.Port);
        Assert.Equal(Connections, counts.Values.Sum());
        // Antrea's group has no selection_method, so OVS 3.1 picks by dp_hash: three weight-100 buckets fill a table of
        // 16 hash values (n_hash = max(16, 2^ceil(log2(300/100)))), which Webster's method deals 6, 5, 5 in bucket
        // order: backend1 (10.222.1.47) 6/16, backend3 (10.222.2.2) 5/16, backend2 (10.222.2.34) 5/16, not a third
        // each.
        BackendSpread.AssertSpread(counts, new() { ["backend1"] = 6 / 16.0, ["backend3"] = 5 / 16.0, ["backend2"] = 5 / 16.0 });
    }

    [Fact]
    public void ExternalTrafficPolicy_Local_compiles_to_a_local_group_per_node_that_loads_strictly()
    {
        string manifests = Path.Combine(_dir, "local.yaml");
        File.WriteAllText(manifests, File.ReadAllText(Path.Combine(LabDir, "manifests.yaml")).Replace("  type: NodePort\n", "  type: NodePort\n  externalTrafficPolicy: Local\n", StringComparison.Ordinal));
        string dir = CompileLab(manifests);
        // frontendsvc, the third Service port: group 3 its local group (the frontend on worker1, none on worker2), 4 its cluster group.
        const string frontend = "set_field:0xade0130->reg3,set_field:0x50/0xffff->reg4,resubmit(,12)";
        var expected = new Dictionary<string, string>
        {
            ["worker1"] = $"group_id=3,type=select,bucket=bucket_id:0,weight:100,actions={frontend}",
            ["worker2"] = "group_id=3,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000/0x4000->reg0,resubmit(,12)",
        };
        foreach (var (node, local) in expected)
        {
            var (gc, groups, ge) = CompileCommandTests.Run("dump-groups", "--scenario", dir, "--node", node);
            Assert.True(gc == 0, ge);
            Assert.Contains(" " + local + "\n", groups, StringComparison.Ordinal);
            Assert.Contains($"group_id=4,type=select,bucket=bucket_id:0,weight:100,actions={(node == "worker2" ? "set_field:0x4000000/0x4000000->reg4," : "")}{frontend}\n", groups, StringComparison.Ordinal);
            var (fc, flows, fe) = CompileCommandTests.Run("dump-flows", "--scenario", dir, "--node", node, "--strict", "table=ServiceLB,tcp,tp_dst=30080");
            Assert.True(fc == 0, fe);
            Assert.Equal("", fe);
            Assert.Contains("priority=200,tcp,reg4=0x90000/0xf0000,tp_dst=30080 actions=set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0x200000/0x200000->reg4,set_field:0x3->reg7,group:3\n", flows, StringComparison.Ordinal);
            Assert.Contains("priority=210,tcp,reg4=0x10090000/0x100f0000,tp_dst=30080 actions=set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0x200000/0x200000->reg4,set_field:0x4->reg7,group:4\n", flows, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unknown_pipeline_is_named()
    {
        string manifests = Path.Combine(LabDir, "manifests.yaml");
        var (code, _, err) = CompileCommandTests.Run("compile", manifests, "--cluster", Path.Combine(LabDir, "cluster.yaml"), "--out", Path.Combine(_dir, "out"), "--pipeline", "antrea2");
        Assert.Equal(1, code);
        Assert.Contains("'antrea2' not recognized", err, StringComparison.Ordinal);
        Assert.Contains("'antrea-2'", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }
}
