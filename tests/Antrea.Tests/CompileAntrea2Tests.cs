using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Issue 16.4's Antrea 2.x part, so far: compiling the embedded Antrea 2.x lab's manifests.yaml with its cluster.yaml
/// gives AntreaProxy's Service groups (one select group per Service port, a bucket per endpoint, remote ones marked,
/// ClientIP affinity back through ServiceLB) the route client's ipsets (pod CIDRs, NodePorts) and the agent's PacketIn meters exactly as the lab's dumps hold them.
/// </summary>
public sealed class CompileAntrea2Tests
{
    private static readonly string LabDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Antrea2");

    private static CompiledScenario CompileLab()
        => ClusterCompiler.Compile(Path.Combine(LabDir, "cluster.yaml"), [Path.Combine(LabDir, "manifests.yaml")]);

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void The_lab_compiles_to_its_groups(string node)
    {
        var compiled = CompileLab();
        var n = compiled.Model.Nodes.Single(x => x.Name == node);
        Assert.Equal(File.ReadAllText(Path.Combine(LabDir, $"{node}.groups")), AntreaV2Groups.For(n, compiled.Ports));
    }

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void The_lab_compiles_to_its_ipsets(string node)
    {
        var compiled = CompileLab();
        var n = compiled.Model.Nodes.Single(x => x.Name == node);
        Assert.Equal(File.ReadAllText(Path.Combine(LabDir, $"{node}.ipsets")), AntreaV2IpSets.For(compiled.Model, n, compiled.Ports));
    }

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void The_lab_meters_are_the_agents_packet_in_meters(string node)
        => Assert.Equal(File.ReadAllText(Path.Combine(LabDir, $"{node}.meters")), AntreaV2Meters.Text());
}
