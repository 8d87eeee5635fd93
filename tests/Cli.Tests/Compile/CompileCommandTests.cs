using System.Text.Json;
using Datapath.Antrea;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Cli.Tests.Compile;

/// <summary>
/// `datapath compile` as a user runs it: the seed's manifests.yaml with its cluster.yaml compile into a directory
/// that every scenario command loads (`--strict` too) and whose demo gives the embedded lab's verdicts, phase by
/// phase; one more backend pod in the manifests is one YAML edit, after which a replay of 3,000 connections to the
/// ClusterIP spreads over three backends as kube-proxy's probabilities say (chi-square, p > 0.01).
/// </summary>
public sealed class CompileCommandTests : IDisposable
{
    private static readonly string SeedDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Scenario");
    private readonly string _dir = Directory.CreateTempSubdirectory("compile-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string CompileSeed(string manifests, string name = "out")
    {
        string dir = Path.Combine(_dir, name);
        var (code, text, err) = Run("compile", manifests, "--cluster", Path.Combine(SeedDir, "cluster.yaml"), "--out", dir);
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        Assert.Contains($"wrote {Path.Combine(dir, "cluster.yaml")}, ipsets.save, manifests.yaml, worker1.flows, worker1.iptables, worker2.flows, worker2.iptables", text, StringComparison.Ordinal);
        return dir;
    }

    [Fact]
    public void The_compiled_seed_loads_with_every_command_and_its_demo_gives_the_embedded_lab_s_verdicts()
    {
        string dir = CompileSeed(Path.Combine(SeedDir, "manifests.yaml"));
        foreach (string node in new[] { "worker1", "worker2" })
        {
            var (dc, _, de) = Run("dump-flows", "--scenario", dir, "--node", node, "--strict");
            Assert.True(dc == 0, de);
            Assert.Equal("", de);
            var (ic, saved, ie) = Run("iptables-save", "--scenario", dir, "--node", node);
            Assert.True(ic == 0, ie);
            Assert.Contains("-A KUBE-SVC-EKL7ZEFK3VFJKKGJ -m comment --comment \"default/backendsvc:\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-6PRWOLZVS5LKSHLK", saved, StringComparison.Ordinal);
        }
        var (tc, trace, te) = Run("trace", "--scenario", dir, "--node", "worker1", "--in-port", "frontend-a3ba2f", "--json",
            "tcp,dl_src=be:2c:bf:e4:ec:c5,dl_dst=4e:99:08:c1:53:be,nw_src=10.222.1.48,nw_dst=10.104.65.133,tp_src=40000,tp_dst=80,tcp_flags=syn");
        Assert.True(tc == 0, te);
        Assert.NotEmpty(Outputs(JsonDocument.Parse(trace).RootElement.GetProperty("verdict")));

        var embedded = DemoVerdicts([]);
        var compiled = DemoVerdicts(["--scenario", dir]);
        Assert.True(embedded.Count >= 6);
        Assert.Equal(embedded, compiled);
    }

    // Each phase's verdict: where its frames left, what dropped them (node, table, reason), which hosts took them.
    internal static List<string> DemoVerdicts(string[] scenario)
    {
        var (code, json, err) = Run(["demo", "--json", .. scenario]);
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        return [.. doc.RootElement.GetProperty("phases").EnumerateArray().Select(p =>
        {
            var v = p.GetProperty("trace").GetProperty("verdict");
            string drops = string.Join(",", v.GetProperty("drops").EnumerateArray().Select(d => d.ToString()));
            string delivered = string.Join(",", v.GetProperty("delivered").EnumerateArray().Select(d => d.GetProperty("node").GetString()));
            return $"{p.GetProperty("title").GetString()}: out [{string.Join(",", Outputs(v))}] drops [{drops}] delivered [{delivered}]";
        })];
    }

    private static IEnumerable<string> Outputs(JsonElement verdict)
        => verdict.GetProperty("outputs").EnumerateArray().Select(o => $"{o.GetProperty("node").GetString()}/{o.GetProperty("port").GetString()}");

    [Fact]
    public void A_third_backend_is_one_yaml_edit_and_3000_connections_spread_over_three_backends()
    {
        string manifests = Path.Combine(_dir, "manifests.yaml");
        File.WriteAllText(manifests, File.ReadAllText(Path.Combine(SeedDir, "manifests.yaml")) + BackendSpread.Backend3 + "\n");
        string dir = CompileSeed(manifests);
        var model = AntreaScenario.Load(dir).Model;
        var backend3 = model.Nodes.Single(n => n.Name == "worker2").Pods.Single(p => p.Pod == "default/backend3");
        Assert.Equal("10.222.2.3", backend3.Ip);   // host-local: the first free address after the gateway
        Assert.Equal(36u, backend3.OfPort);        // after backend2's 35
        var endpoints = model.Services.Single(s => s.Name == "default/backendsvc").Endpoints;
        Assert.True(endpoints.ToHashSet().SetEquals(["10.222.1.47:80", "10.222.2.3:80", "10.222.2.34:80"]), string.Join(", ", endpoints));

        // The frontend opens 3,000 connections to backendsvc's ClusterIP, one SYN each, 1 ms apart.
        const int Connections = 3000;
        var counts = BackendSpread.Replay(dir, _dir, Connections, backend3.Port);
        Assert.Equal(Connections, counts.Values.Sum());
        // KUBE-SVC: 0.33333333349, then 0.5 of the rest, then the rest: a third each.
        BackendSpread.AssertSpread(counts, new() { ["backend1"] = 1 / 3.0, ["backend2"] = 1 / 3.0, ["backend3"] = 1 / 3.0 });
    }
}
