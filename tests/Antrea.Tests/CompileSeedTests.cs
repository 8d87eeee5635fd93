using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The issue's check: compiling the seed's manifests.yaml with its cluster.yaml (as `datapath compile` reads them,
/// from their files) regenerates the seed's kube-proxy chains with identical names and rules, and every table of
/// worker1.flows and worker2.flows (the SEED tables the articles show and the hand-written ones) holds the same
/// flows; the compiled cluster compiled again is the same scenario.
/// </summary>
public sealed class CompileSeedTests
{
    private static readonly string SeedDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Scenario");

    private static CompiledScenario CompileSeed()
        => ClusterCompiler.Compile(Path.Combine(SeedDir, "cluster.yaml"), [Path.Combine(SeedDir, "manifests.yaml")]);

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void The_seed_compiles_to_its_flows_table_by_table(string node)
    {
        var compiled = CompileSeed();
        var ours = AntreaV010FlowsTests.Canonical(compiled.Files[$"{node}.flows"].Split('\n').Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)));
        var theirs = AntreaV010FlowsTests.Canonical(File.ReadAllLines(Path.Combine(SeedDir, $"{node}.flows")).Where(l => l.StartsWith("cookie=", StringComparison.Ordinal)));
        Assert.Equal(theirs.Keys.Order(), ours.Keys.Order());
        foreach (var (table, flows) in theirs)
            Assert.True(flows.SetEquals(ours[table]), $"{node} table {table}: only in the seed: {string.Join(" | ", flows.Except(ours[table]))}; only compiled: {string.Join(" | ", ours[table].Except(flows))}");
    }

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void The_seed_compiles_to_its_kube_proxy_chains_with_identical_names(string node)
    {
        var compiled = CompileSeed();
        var theirs = KubeProxyIptablesTests.KubeChains(File.ReadAllText(Path.Combine(SeedDir, $"{node}.iptables")), $"{node}.iptables");
        var ours = KubeProxyIptablesTests.KubeChains(compiled.Files[$"{node}.iptables"], "compiled");
        Assert.Equal(theirs.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("KUBE-SVC-EKL7ZEFK3VFJKKGJ", ours.Keys);
        foreach (var (chain, rules) in theirs)
        {
            // kube-proxy 1.18 walked a Go map for KUBE-SERVICES: its rule pairs come in any order, the NodePort jump last.
            IEnumerable<string> Ordered(List<string> r) => chain == "KUBE-SERVICES" ? r.Order(StringComparer.Ordinal) : r;
            Assert.Equal(Ordered(rules), Ordered(ours[chain]));
        }
        Assert.Contains($"-A ANTREA-POSTROUTING -s 10.222.{node[^1]}.0/24 -m comment --comment \"Antrea: masquerade pod to external packets\" -m set ! --match-set ANTREA-POD-IP dst -j MASQUERADE", compiled.Files[$"{node}.iptables"], StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(SeedDir, "ipsets.save")), compiled.Files["ipsets.save"]);
    }

    [Fact]
    public void The_seed_keeps_its_pods_and_services_and_takes_the_manifests_labels()
    {
        var seed = AntreaScenario.LoadEmbedded().Model;
        var compiled = CompileSeed();
        Assert.Empty(compiled.Notes);
        Assert.Equal(seed.Nodes.SelectMany(n => n.Pods).Select(p => $"{p.Pod} {p.OfPort} {p.Port} {p.Ip} {p.Mac} {p.PortMac} {string.Join(',', p.Labels)}"),
            compiled.Model.Nodes.SelectMany(n => n.Pods).Select(p => $"{p.Pod} {p.OfPort} {p.Port} {p.Ip} {p.Mac} {p.PortMac} {string.Join(',', p.Labels)}"));
        Assert.Equal(seed.Services.Select(s => $"{s.Name} {s.ClusterIp}:{s.Port}/{s.Protocol} {string.Join(',', s.Endpoints)}").Order(StringComparer.Ordinal),
            compiled.Model.Services.Select(s => $"{s.Name} {s.ClusterIp}:{s.Port}/{s.Protocol} {string.Join(',', s.Endpoints)}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_compiled_scenario_compiled_again_is_the_same()
        => CompileFixtures.AssertCompilesAgainTheSame(CompileSeed(), CompilePipeline.AntreaV010);
}
