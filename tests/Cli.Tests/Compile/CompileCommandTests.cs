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
    private static List<string> DemoVerdicts(string[] scenario)
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

    private const string Backend3 = """
        ---
        apiVersion: v1
        kind: Pod
        metadata: { name: backend3, labels: { role: backend } }
        spec:
          containers: [ { image: dumlutimuralp/networktest, name: backend3 } ]
          nodeName: worker2
        """;

    [Fact]
    public void A_third_backend_is_one_yaml_edit_and_3000_connections_spread_over_three_backends()
    {
        string manifests = Path.Combine(_dir, "manifests.yaml");
        File.WriteAllText(manifests, File.ReadAllText(Path.Combine(SeedDir, "manifests.yaml")) + Backend3 + "\n");
        string dir = CompileSeed(manifests);
        var model = AntreaScenario.Load(dir).Model;
        var backend3 = model.Nodes.Single(n => n.Name == "worker2").Pods.Single(p => p.Pod == "default/backend3");
        Assert.Equal("10.222.2.3", backend3.Ip);   // host-local: the first free address after the gateway
        Assert.Equal(36u, backend3.OfPort);        // after backend2's 35
        var endpoints = model.Services.Single(s => s.Name == "default/backendsvc").Endpoints;
        Assert.True(endpoints.ToHashSet().SetEquals(["10.222.1.47:80", "10.222.2.3:80", "10.222.2.34:80"]), string.Join(", ", endpoints));

        // The frontend opens 3,000 connections to backendsvc's ClusterIP, one SYN each, 1 ms apart.
        const int Connections = 3000;
        string capture = Path.Combine(_dir, "syns.pcapng");
        using (var w = PcapngWriter.Create(capture))
        {
            int frontend = w.AddInterface("worker1/frontend-a3ba2f");
            for (int i = 0; i < Connections; i++)
                w.WriteFrame(frontend, PacketBuilder.Tcp(MacAddress.Parse("be:2c:bf:e4:ec:c5"), MacAddress.Parse("4e:99:08:c1:53:be"),
                    Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), (ushort)(20000 + i), 80, TcpFlags.Syn, seq: (uint)i), 1_000_000_000L + i * 1_000_000L);
        }
        string replayed = Path.Combine(_dir, "replayed");
        var (code, _, err) = Run("replay", "--scenario", dir, "--cluster", capture, "--out", replayed);
        Assert.True(code == 0, err);
        var counts = new Dictionary<string, int>
        {
            ["backend1"] = Syns(Path.Combine(replayed, "worker1", "backend1-bab86f.pcap")),
            ["backend2"] = Syns(Path.Combine(replayed, "worker2", "backend2-202ff6.pcap")),
            ["backend3"] = Syns(Path.Combine(replayed, "worker2", backend3.Port + ".pcap")),
        };
        Assert.Equal(Connections, counts.Values.Sum());
        // KUBE-SVC: 0.33333333349, then 0.5 of the rest, then the rest: a third each. Two degrees of freedom: p > 0.01 <=> chi-square < 9.2103.
        double expected = Connections / 3.0;
        double chi2 = counts.Values.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 9.2103, $"chi-square {chi2:F2} (p <= 0.01): {string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}"))}");
    }

    // TCP SYNs to port 80 in a pod's capture (its ARP requests aside).
    private static int Syns(string pcap)
    {
        int n = 0;
        using var reader = PacketFileReader.Open(pcap);
        while (reader.TryReadNext(out var frame))
        {
            var f = frame.Span;
            if (f.Length < 54 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
                continue;
            int l4 = 14 + ((f[14] & 0x0f) * 4);
            if (((f[l4 + 2] << 8) | f[l4 + 3]) == 80 && (f[l4 + 13] & 0x12) == 0x02)
                n++;
        }
        return n;
    }
}
