using System.Diagnostics;
using System.Text.RegularExpressions;
using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The compiler's chain names are kube-proxy's: on generated Service ports they equal what an independent
/// implementation of kube-proxy's portProtoHash (Python's hashlib and base64, below) computes, and on the seeds'
/// dumps of real clusters (the Antrea seed's kube-proxy 1.18, the Calico lab's) every KUBE-SVC and KUBE-SEP chain is
/// named as the compiler names it from the rule's comment, protocol and DNAT target. (The Calico lab's newer
/// kube-proxy prints an unnamed port's ServicePortName without 1.18's trailing colon, "default/backend-service", and
/// hashes that: those chains are a later kube-proxy's names, not the 1.18 ones the compile writes, and are left out.) The compiled iptables of a
/// cluster using everything the compile writes (NodePorts, ClientIP affinity, externalTrafficPolicy Local, ports
/// without endpoints) is what the kernel's iptables-restore takes and iptables-save prints back, line for line.
/// </summary>
public sealed partial class CompileChainNameTests
{
    private static readonly string RepoSrc = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea");

    // kube-proxy's algorithm, written from its documentation rather than from our code.
    private const string PortProtoHash = """
        import base64, hashlib, sys
        for line in sys.stdin:
            kind, text = line.rstrip("\n").split("\t", 1)
            print(kind + base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16])
        """;

    [Fact]
    public void Generated_service_ports_get_the_names_an_independent_portProtoHash_gives()
    {
        var random = new Random(16);
        // DNS-1123 labels: a letter first, then letters, digits and '-'.
        string Label(int min) => new([.. Enumerable.Range(0, random.Next(min, 12)).Select(i => "abcdefghijklmnopqrstuvwxyz0123456789-"[random.Next(i == 0 ? 26 : 37)])]);
        var ports = new List<(KubeServicePort Port, string Endpoint)>();
        for (int i = 0; i < 200; i++)
        {
            string proto = new[] { "TCP", "UDP", "SCTP" }[random.Next(3)];
            string endpoint = $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}:{random.Next(1, 65536)}";
            ports.Add((new KubeServicePort(Label(1), Label(1), random.Next(3) == 0 ? "" : Label(1), proto, "10.96.0.10", 53, 0, [endpoint]), endpoint));
        }
        var input = ports.SelectMany(p => new[]
        {
            $"KUBE-SVC-\t{p.Port.ServicePortName}{p.Port.Protocol.ToLowerInvariant()}",
            $"KUBE-XLB-\t{p.Port.ServicePortName}{p.Port.Protocol.ToLowerInvariant()}",
            $"KUBE-SEP-\t{p.Port.ServicePortName}{p.Port.Protocol.ToLowerInvariant()}{p.Endpoint}",
        });
        string[] theirs = Python(PortProtoHash, input);
        string[] ours = [.. ports.SelectMany(p => new[] { KubeProxyIptables.ServiceChain(p.Port), KubeProxyIptables.LocalChain(p.Port), KubeProxyIptables.EndpointChain(p.Port, p.Endpoint) })];
        Assert.Equal(theirs, ours);
    }

    public static TheoryData<string> RealDumps => new()
    {
        "Scenario/worker1.iptables", "Scenario/worker2.iptables", "Calico/master.iptables", "Calico/worker1.iptables", "Calico/worker2.iptables",
    };

    [Theory]
    [MemberData(nameof(RealDumps))]
    public void Every_chain_of_a_real_cluster_s_dump_is_named_as_the_compiler_names_it(string dump)
    {
        int checkedChains = 0;
        foreach (string line in File.ReadLines(Path.Combine(RepoSrc, dump)))
        {
            var sep = Dnat().Match(line);
            if (sep.Success && sep.Groups["comment"].Value.Contains(':', StringComparison.Ordinal))
            {
                var port = Port(sep.Groups["comment"].Value, sep.Groups["proto"].Value);
                Assert.Equal(sep.Groups["chain"].Value, KubeProxyIptables.EndpointChain(port, sep.Groups["ep"].Value));
                checkedChains++;
            }
            var svc = ClusterIp().Match(line);
            if (svc.Success && svc.Groups["comment"].Value.Contains(':', StringComparison.Ordinal))
            {
                Assert.Equal(svc.Groups["chain"].Value, KubeProxyIptables.ServiceChain(Port(svc.Groups["comment"].Value, svc.Groups["proto"].Value)));
                checkedChains++;
            }
        }
        Assert.True(checkedChains >= 8, $"{dump}: only {checkedChains} chains checked");
    }

    private static KubeServicePort Port(string servicePortName, string proto)
    {
        int slash = servicePortName.IndexOf('/', StringComparison.Ordinal), colon = servicePortName.IndexOf(':', StringComparison.Ordinal);
        return new KubeServicePort(servicePortName[..slash], servicePortName[(slash + 1)..colon], servicePortName[(colon + 1)..], proto.ToUpperInvariant(), "10.96.0.1", 1, 0, []);
    }

    [GeneratedRegex("""^-A (?<chain>KUBE-SEP-\w+) -p (?<proto>\w+) -m comment --comment "(?<comment>[^"]+)" .*-j DNAT --to-destination (?<ep>\S+)$""")]
    private static partial Regex Dnat();

    [GeneratedRegex("""^-A KUBE-SERVICES -d \S+ -p (?<proto>\w+) -m comment --comment "(?<comment>[^"]+) cluster IP" .*-j (?<chain>KUBE-SVC-\w+)$""")]
    private static partial Regex ClusterIp();

    [JudgedFact(nameof(LinuxJudge))]
    public void The_compiled_iptables_is_what_the_kernel_restores_and_saves()
    {
        using var fixture = new CompileFixtures();
        var compiled = ClusterCompiler.Compile(fixture.ClusterPath, [fixture.ManifestsPath]);
        foreach (string node in new[] { "node-a", "node-b" })
        {
            string ours = compiled.Files[$"{node}.iptables"];
            string path = fixture.Write($"{node}.restore", ours);
            // iptables-restore needs the set the masquerade rule names.
            string saved = ExternalTools.Run("unshare", "-n", "sh", "-c",
                $"ipset create ANTREA-POD-IP hash:net && iptables-restore < '{path}' && iptables-save");
            Assert.Equal(Rules(ours), Rules(saved));
        }
        string a = compiled.Files["node-a.iptables"];
        Assert.Contains("-m recent --rcheck --seconds 600 --reap --name KUBE-SEP-", a, StringComparison.Ordinal);
        Assert.Contains("-m recent --set --name KUBE-SEP-", a, StringComparison.Ordinal);
        Assert.Contains("-j REJECT --reject-with icmp-port-unreachable", a, StringComparison.Ordinal);
        Assert.Contains("--probability 0.33333333349", a, StringComparison.Ordinal);
    }

    // The chain and rule lines (iptables-save's comments and table order aside).
    private static string[] Rules(string save) => [.. save.Split('\n').Where(l => l.StartsWith('-') || l.StartsWith(':')).Order(StringComparer.Ordinal)];

    private static string[] Python(string program, IEnumerable<string> input)
    {
        string python = ExternalTools.Require("python3", "python3");
        var psi = new ProcessStartInfo(python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(program);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        foreach (string line in input)
            p.StandardInput.Write(line + "\n");
        p.StandardInput.Close();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error.Result);
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
