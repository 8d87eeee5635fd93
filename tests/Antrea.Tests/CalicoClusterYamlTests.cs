using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// The Calico lab's cluster.yaml (cni: calico, a node's vxlan and fdb, pods on cali veths): it loads into
/// bridge-less hosts as `ip address`, `ip route`, `ip neigh` and `bridge fdb` would show them, and a fault in one
/// of its keys is refused at its line and column, as the Antrea keys are.
/// </summary>
public sealed class CalicoClusterYamlTests : IDisposable
{
    private static readonly AntreaScenario s_lab = AntreaScenario.LoadEmbedded("calico");
    private static readonly string[] s_files = ["cluster.yaml", "master.iptables", "worker1.iptables", "worker2.iptables", "ipsets.save"];
    private readonly string _dir = Directory.CreateTempSubdirectory("calico-lab").FullName;

    public CalicoClusterYamlTests()
    {
        foreach (string f in s_files)
            File.WriteAllText(Path.Combine(_dir, f), s_lab.ReadFile(f));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_calico_lab_loads_three_bridgeless_nodes_with_veths_vxlan_calico_and_its_fdb()
    {
        Assert.True(s_lab.IsCalico);
        Assert.Empty(s_lab.Cluster.Nodes); // no bridges
        Assert.Equal(["master", "worker1", "worker2"], s_lab.HostNodes);
        using var journey = ScenarioHosts.BuildJourney(s_lab, JourneyScope.Cluster);
        var worker1 = journey.GetNode("worker1");
        Assert.Null(worker1.Node);
        var host = worker1.Host!;
        var vxlan = host.Interfaces.Single(i => i.Name == "vxlan.calico");
        Assert.Equal((HostInterfaceKind.Vxlan, 1450, "10.42.135.130/32"), (vxlan.Kind, vxlan.Mtu, $"{vxlan.Address}/{vxlan.PrefixLength}"));
        Assert.Equal((4096u, "192.168.1.88", (ushort)4789), (vxlan.Vxlan!.Vni, vxlan.Vxlan.Local.ToString(), vxlan.Vxlan.UdpPort));
        Assert.Equal(["66:2f:1b:a4:7c:01 dev vxlan.calico dst 192.168.1.87 self permanent", "66:f8:2d:91:be:9a dev vxlan.calico dst 192.168.1.89 self permanent"], host.DumpFdb());
        var veth = host.Interfaces.Single(i => i.Name == "cali6847b0d64cd");
        Assert.Equal((HostInterfaceKind.Veth, true, false, "ee:ee:ee:ee:ee:ee"), (veth.Kind, veth.ProxyArp, veth.HasAddress, veth.Mac.ToString()));
        var uplink = host.Interfaces.Single(i => i.Name == "enp3s0");
        Assert.Equal("192.168.1.88/24", $"{uplink.Address}/{uplink.PrefixLength}"); // the prefix from the kernel route
        Assert.Contains("10.42.54.192/26 via 10.42.54.193 dev vxlan.calico onlink", host.DumpRoutes());
    }

    [Theory]
    [InlineData("  cni: calico", "  cni: calicoo", 6, 8, "cluster: cni 'calicoo' is not a CNI this datapath runs (did you mean 'calico'?)")]
    [InlineData("type: vxlan, udpPort: 4789", "type: geneve, udpPort: 4789", 9, 19, "cluster: tunnel: type 'geneve' is not run by this datapath for calico")]
    [InlineData("udpPort: 4789", "udpPort: 4790", 9, 35, "cluster: tunnel: udpPort 4790: this datapath's VXLAN runs on 4789")]
    [InlineData("    nodeIP: 192.168.1.88\n", "    nodeIP: 192.168.1.88\n    flows: ipsets.save\n", 46, 5, "node worker1: 'flows' is for an Antrea node (a bridge); a Calico node has none")]
    [InlineData("    nodeIP: 192.168.1.88\n", "    nodeIP: 192.168.1.88\n    gateway: { ip: 10.42.135.129/26 }\n", 46, 5, "node worker1: 'gateway' is for an Antrea node")]
    [InlineData("port: cali6847b0d64cd, ip:", "ofport: 3, port: cali6847b0d64cd, ip:", 51, 59, "node worker1: pod default/simple-deployment-794f78c89-q6k4p: 'ofport' is for a pod on an Antrea bridge")]
    [InlineData("port: cali6847b0d64cd, ip:", "port: calie3ba9b96e53, ip:", 52, 37, "node worker1: device name calie3ba9b96e53 is given twice")]
    [InlineData("vxlan: { name: vxlan.calico, ip: 10.42.135.130/32", "vxlan: { name: vxlan.calico, ipp: 10.42.135.130/32", 49, 34, "node worker1: vxlan: unknown key 'ipp'")]
    [InlineData("ip: 10.42.135.130/32, mac: 66:85", "ip: 10.42.135.130/33, mac: 66:85", 49, 38, "ip '10.42.135.130/33' has no valid prefix length")]
    [InlineData("      - 10.42.135.131 dev cali6847b0d64cd scope link", "      - 10.42.135.131 dev cali0000 scope link", 58, 9, "node worker1: route '10.42.135.131 dev cali0000 scope link' is on device 'cali0000', which the host does not have")]
    [InlineData("      - { mac: 66:f8:2d:91:be:9a, dst: 192.168.1.89 }", "      - { mac: 66:f8:2d:91:be:9a, dst: worker2 }", 72, 40, "node worker1: fdb entry: dst 'worker2' is not an IPv4 address")]
    [InlineData("      - { mac: 66:f8:2d:91:be:9a, dst: 192.168.1.89 }", "      - { mac: 66:2f:1b:a4:7c:01, dst: 192.168.1.89 }", 72, 16, "node worker1: fdb mac 66:2f:1b:a4:7c:01 is given twice")]
    public void A_fault_in_a_calico_cluster_yaml_is_refused_at_its_line_and_column(string find, string replace, int line, int column, string what)
    {
        string yaml = s_lab.ReadFile("cluster.yaml")!;
        int at = yaml.IndexOf(find, yaml.IndexOf("name: worker1", StringComparison.Ordinal) is var w1 && line >= 44 ? w1 : 0, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{find}' is in the lab's cluster.yaml");
        File.WriteAllText(Path.Combine(_dir, "cluster.yaml"), string.Concat(yaml.AsSpan(0, at), replace, yaml.AsSpan(at + find.Length)));
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(_dir));
        Assert.Equal(Path.Combine(_dir, "cluster.yaml"), e.File);
        Assert.Contains(what, e.What, StringComparison.Ordinal);
        Assert.Equal((line, column), (e.Line, e.Column));
    }

    [Fact]
    public void Vxlan_and_fdb_on_an_antrea_node_are_refused_with_a_hint()
    {
        string seed = AntreaScenario.LoadEmbedded().ReadFile("cluster.yaml")!;
        string dir = Path.Combine(_dir, "seed");
        Directory.CreateDirectory(dir);
        foreach (string f in new[] { "worker1.flows", "worker2.flows", "worker1.iptables", "worker2.iptables", "ipsets.save", "manifests.yaml" })
            File.WriteAllText(Path.Combine(dir, f), AntreaScenario.LoadEmbedded().ReadFile(f));
        File.WriteAllText(Path.Combine(dir, "cluster.yaml"), seed.Replace("    uplink: ens160\n    podCIDR: 10.222.1.0/24\n",
            "    uplink: ens160\n    podCIDR: 10.222.1.0/24\n    fdb: []\n", StringComparison.Ordinal));
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(dir));
        Assert.Equal(("node worker1: 'fdb' is for a Calico node", "set 'cni: calico' under 'cluster' for a cluster of Calico nodes"), (e.What, e.Hint));
        Assert.Equal((22, 5), (e.Line, e.Column));
    }
}
