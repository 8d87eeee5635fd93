using System.Diagnostics;
using Datapath.Antrea.Import;

namespace Datapath.Antrea.Tests;

/// <summary>
/// iproute2 and the kernel print the host dumps: in a network namespace of its own (<c>unshare -n</c>), worker1's
/// uplink and antrea-gw0 are made with the seed's MACs, MTUs, addresses, routes and neighbours (veth pairs, whose
/// peers have no IPv4 address), and what <c>ip addr</c>, <c>ip link</c>, <c>ip route show table all</c> and <c>ip
/// neigh</c> print — as text and as <c>ip -j</c> — is imported as worker1's host dumps. Both forms give the node the
/// seed's addresses, routes and permanent neighbours; the local table, the IPv6 routes and the pod's neighbour entry
/// are left out, as the import says.
/// </summary>
public sealed class ImportJudgedByLinuxTests : IDisposable
{
    private static readonly string s_seed = Path.Combine(AppContext.BaseDirectory, "Data", "import", "seed");
    private readonly string _dir = Directory.CreateTempSubdirectory("import-linux").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Host = """
        ip link set lo up
        ip link add ens160 type veth peer name uplink-peer && ip link set uplink-peer up
        ip link set ens160 address 00:50:56:8f:4e:82 mtu 1500 up && ip addr add 10.79.1.201/24 dev ens160
        ip link add antrea-gw0 type veth peer name gw-peer && ip link set gw-peer up
        ip link set antrea-gw0 address 4e:99:08:c1:53:be mtu 1450 up && ip addr add 10.222.1.1/24 dev antrea-gw0
        ip route add default via 10.79.1.1 dev ens160 proto static
        ip route add 10.222.0.0/24 via 10.222.0.1 dev antrea-gw0 onlink
        ip route add 10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink
        ip neigh add 10.79.1.1 lladdr 00:0c:29:fa:d8:a8 dev ens160 nud reachable
        ip neigh add 10.79.1.202 lladdr 00:50:56:8f:1c:f6 dev ens160 nud stale
        ip neigh add 10.222.2.1 lladdr aa:bb:cc:dd:ee:ff dev antrea-gw0 nud permanent
        ip neigh add 10.222.1.48 lladdr be:2c:bf:e4:ec:c5 dev antrea-gw0 nud reachable
        ip neigh add 10.222.1.99 dev antrea-gw0 nud failed
        for c in "addr" "link" "route show table all" "neigh"; do echo "=== $c"; ip $c; echo "=== -j $c"; ip -j $c; done
        """;

    [JudgedFact(nameof(LinuxJudge))]
    public void What_iproute2_prints_as_text_and_as_json_imports_into_the_seeds_host()
    {
        var dumps = Dumps();
        var nodes = new List<NodeModel>();
        foreach (string form in new[] { "", "-j " })
        {
            string input = Path.Combine(_dir, form.Length == 0 ? "text" : "json");
            foreach (string file in Directory.GetFiles(s_seed, "*", SearchOption.AllDirectories))
            {
                string rel = Path.GetRelativePath(s_seed, file);
                if (rel.StartsWith("worker1", StringComparison.Ordinal) && Path.GetFileName(rel).StartsWith("ip-", StringComparison.Ordinal))
                    continue;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(input, rel))!);
                File.Copy(file, Path.Combine(input, rel));
            }
            string ext = form.Length == 0 ? "" : ".json";
            File.WriteAllText(Path.Combine(input, "worker1", "ip-addr" + ext), dumps[form + "addr"]);
            File.WriteAllText(Path.Combine(input, "worker1", "ip-link" + ext), dumps[form + "link"]);
            File.WriteAllText(Path.Combine(input, "worker1", "route-table-all" + ext), dumps[form + "route show table all"]);
            File.WriteAllText(Path.Combine(input, "worker1", "neigh" + ext), dumps[form + "neigh"]);
            var result = ScenarioImporter.Import(ImportInput.Read(input));
            Assert.Contains(result.Notes, n => n.StartsWith("worker1: ip route: ", StringComparison.Ordinal) && n.Contains("of IPv6", StringComparison.Ordinal) && n.Contains("of table local", StringComparison.Ordinal));
            Assert.Contains("worker1: ip neigh: 1 entry for the node's own pods left out: the host resolves its pods by ARP, as Linux does", result.Notes);
            var scenario = result.Save(Path.Combine(input + "-scenario"));
            nodes.Add(scenario.Model.Nodes.Single(n => n.Name == "worker1"));
        }
        foreach (var w1 in nodes)
        {
            Assert.Equal(("10.79.1.201", "00:50:56:8f:4e:82", "ens160", "10.222.1.0/24"), (w1.NodeIp, w1.NodeMac, w1.Uplink, w1.PodCidr));
            Assert.Equal(("antrea-gw0", 2u, "10.222.1.1/24", "4e:99:08:c1:53:be", 1450), (w1.Gateway!.Name, w1.Gateway.OfPort, w1.Gateway.Ip, w1.Gateway.Mac, w1.Gateway.Mtu));
            Assert.Equal(
            [
                "default via 10.79.1.1 dev ens160 proto static",
                "10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201",
                "10.222.0.0/24 via 10.222.0.1 dev antrea-gw0 onlink",
                "10.222.1.0/24 dev antrea-gw0 proto kernel scope link src 10.222.1.1",
                "10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink",
            ], w1.Routes);
            Assert.Equal(
                [("10.222.2.1", "aa:bb:cc:dd:ee:ff", "antrea-gw0"), ("10.79.1.1", "00:0c:29:fa:d8:a8", "ens160"), ("10.79.1.202", "00:50:56:8f:1c:f6", "ens160")],
                w1.Neighbors.Select(n => (n.Ip, n.Mac, n.Dev)).OrderBy(n => n.Dev, StringComparer.Ordinal).ThenBy(n => n.Ip, StringComparer.Ordinal));
        }
    }

    /// <summary>What the commands print in the namespace, by command (<c>addr</c>, <c>-j addr</c>, ...).</summary>
    private static Dictionary<string, string> Dumps()
    {
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-n", "sh", "-c", Host })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && error.Result.Length == 0, $"the namespace was not made: {error.Result}");
        var dumps = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in output.Split("=== ", StringSplitOptions.RemoveEmptyEntries))
        {
            int nl = part.IndexOf('\n', StringComparison.Ordinal);
            dumps[part[..nl]] = part[(nl + 1)..];
        }
        return dumps;
    }
}
