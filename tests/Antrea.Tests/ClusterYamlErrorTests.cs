using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// cluster.yaml refused where it is wrong: each case changes one thing in the seed's cluster.yaml and
/// names the line and column the error must point at (the key, or the value at fault), what it must
/// say, and its hint. Whole-file problems (no file, an empty one, a directory) name the file, line 0.
/// </summary>
public sealed class ClusterYamlErrorTests
{
    [Theory]
    // unknown keys, with a did-you-mean
    [InlineData("podCIDR: 10.222.0.0/16", "podCIRD: 10.222.0.0/16", 6, 3, "cluster: unknown key 'podCIRD'", "did you mean 'podCIDR'?")]
    [InlineData("portMAC: 6a:88", "portMAK: 6a:88", 25, 89, "node worker1: pod kube-system/coredns-66bff467f8-bclzd: unknown key 'portMAK'", "did you mean 'portMAC'?")]
    [InlineData("nodeMAC: 00:50:56:8f:f7:65", "nodeMAC: 00:50:56:8f:f7:65\n    colour: blue", 15, 5, "node master: unknown key 'colour'", "the keys here are name, nodeIP")]
    // values checked where they stand
    [InlineData("podCIDR: 10.222.0.0/16", "podCIDR: 10.222.0.0/99", 6, 12, "cluster: podCIDR '10.222.0.0/99' is not a network: the prefix length is not 0..32", null)]
    [InlineData("podCIDR: 10.222.0.0/16", "podCIDR: 10.222.0.1/16", 6, 12, "bits are set after /16", null)]
    [InlineData("globalVirtualMAC: aa:bb:cc:dd:ee:ff", "globalVirtualMAC: zz", 8, 21, "cluster: globalVirtualMAC 'zz' is not a MAC address", null)]
    [InlineData("udpPort: 6081", "udpPort: 99999", 9, 36, "cluster: tunnel: udpPort 99999 is out of range (1..65535)", null)]
    [InlineData("vni: 0", "vni: 16777216", 9, 47, "vni 16777216 is out of range (0..16777215, 24 bits)", null)]
    [InlineData("type: geneve", "type: vxlan", 9, 19, "cluster: tunnel: type 'vxlan' is not run by this datapath", "geneve only")]
    [InlineData("csum: true", "csum: yes", 9, 56, "csum 'yes' is not true or false", null)]
    [InlineData("ctZone: 65520", "ctZone: 65536", 10, 11, "cluster: ctZone 65536 is out of range (0..65535)", null)]
    [InlineData("clusterIP: 10.104.65.133", "clusterIP: banana", 77, 44, "service default/backendsvc: clusterIP 'banana' is not an IPv4 address", null)]
    [InlineData("protocol: UDP", "protocol: udp", 79, 82, "protocol 'udp' is not TCP, UDP or SCTP", null)]
    [InlineData("10.222.1.47:80, 10.222.2.34:80", "10.222.1.47:99999, 10.222.2.34:80", 77, 96, "endpoint '10.222.1.47:99999' has no valid port", null)]
    [InlineData("ip: 10.222.1.1/24, mac: 4e:99:08:c1:53:be, mtu: 1450", "ip: 10.222.1.1/24, mac: 4e:99:08:c1:53:be, mtu: -5", 22, 93, "node worker1: gateway: mtu -5 is out of range (68..65535: IPv4 needs 68)", null)]
    [InlineData("gateway: { name: antrea-gw0, ofport: 2, ip: 10.222.1.1/24", "gateway: { name: antrea-gw0, ofport: 2, ip: 10.222.1.1/33", 22, 49, "ip '10.222.1.1/33' has no valid prefix length", null)]
    [InlineData("uplink: ens160\n    podCIDR: 10.222.1.0/24", "uplink: ens160/0\n    podCIDR: 10.222.1.0/24", 20, 13, "node worker1: uplink 'ens160/0' is not an interface name", null)]
    // ofports as Open vSwitch numbers them: 1..0xfeff; 0xff00 and up are reserved (65534 is OFPP_LOCAL)
    [InlineData("ofport: 48", "ofport: 99999999999", 27, 42, "node worker1: pod default/backend1: ofport 99999999999 is out of range (1..65279 (0xfeff)", "")]
    [InlineData("{ name: antrea-tun0, ofport: 1, mac: f6:02", "{ name: antrea-tun0, ofport: 65534, mac: f6:02", 23, 42, "node worker1: tunnel: ofport 65534 is out of range", "")]
    [InlineData("ofport: 48", "ofport: 65280", 27, 42, "ofport 65280 is out of range", "")]
    [InlineData("ofport: 48", "ofport: 0", 27, 42, "ofport 0 is out of range", "")]
    [InlineData("ofport: 48", "ofport: forty-eight", 27, 42, "ofport 'forty-eight' is not an integer", "")]
    [InlineData("ofport: 4, port: antrea-o", "ofport: 3, port: antrea-o", 26, 67, "node worker1: ofport 3 is given twice", "the first is at line 25")]
    [InlineData("port: antrea-o-830766", "port: coredns--3e3abf", 26, 76, "node worker1: port name coredns--3e3abf is given twice", "the first is at line 25")]
    // missing and empty values
    [InlineData("nodeIP: 10.79.1.200", "nodeIP:", 13, 5, "node master: nodeIP: empty value", null)]
    [InlineData("nodeIP: 10.79.1.200", "nodeIP: \"\"", 13, 5, "node master: nodeIP: empty value", null)]
    [InlineData("    nodeIP: 10.79.1.201\n", "", 17, 5, "node worker1: 'nodeIP' is required", null)]
    [InlineData("    nodeMAC: 00:50:56:8f:4e:82\n", "", 17, 5, "node worker1: 'nodeMAC' is required", null)]
    [InlineData("flows: worker1.flows", "flows: nosuch.flows", 44, 12, "node worker1: flows file 'nosuch.flows' is not in the scenario", null)]
    [InlineData("nodeIP: 10.79.1.202", "nodeIP: 10.79.1.201", 49, 13, "nodes: nodeIP 10.79.1.201 is given twice", "the first is at line 18")]
    [InlineData("  - name: worker2", "  - name: worker1", 48, 11, "nodes: name worker1 is given twice", "the first is at line 17")]
    [InlineData("    podCIDR: 10.222.0.0/24\n", "    podCIDR: 10.222.0.0/24\n    pods: []\n", 16, 5, "node master: 'pods' needs 'flows' (the node's bridge)", null)]
    [InlineData("    podCIDR: 10.222.0.0/24\n", "    podCIDR: 10.222.0.0/24\n    meters: worker1.flows\n", 16, 5, "node master: 'meters' needs 'flows' (the node's bridge)", null)]
    [InlineData("flows: worker1.flows", "flows: worker1.flows\n    meters: nosuch.meters", 45, 13, "node worker1: meters file 'nosuch.meters' is not in the scenario", null)]
    [InlineData("flows: worker1.flows", "flows: worker1.flows\n    vlanLimit: -1", 45, 16, "node worker1: vlanLimit -1 is out of range (0 or more: 0 means the most a flow holds, 2)", null)]
    [InlineData("flows: worker1.flows", "flows: worker1.flows\n    vlanLimit: two", 45, 16, "node worker1: vlanLimit 'two' is not an integer", null)]
    [InlineData("    podCIDR: 10.222.0.0/24\n", "    podCIDR: 10.222.0.0/24\n    vlanLimit: 2\n", 16, 5, "node master: 'vlanLimit' needs 'flows' (the node's bridge)", null)]
    [InlineData("- 10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201", "- 10.79.1.0/24 dev ens160 prto kernel scope link src 10.79.1.201", 31, 33, "node worker1: routes: a route: ", null)]
    [InlineData("- 10.79.1.0/24 dev ens160 proto kernel scope link src 10.79.1.201", "- banana dev ens160", 31, 9, "'banana' is not an IPv4 address", null)]
    [InlineData("- 10.222.2.0/24 via 10.222.2.1 dev antrea-gw0 onlink", "- 10.222.2.0/24 via 10.222.2.1 dev antrea-gw9 onlink", 34, 9, "node worker1: route '10.222.2.0/24 via 10.222.2.1 dev antrea-gw9 onlink' is on device 'antrea-gw9', which the host does not have", "the host's devices are lo, antrea-gw0, ens160, docker0")]
    [InlineData("{ ip: 10.222.2.1,  mac: aa:bb:cc:dd:ee:ff, dev: antrea-gw0 }", "{ ip: 10.222.2.1,  mac: aa:bb:cc:dd:ee:ff, dev: eth9 }", 40, 57, "node worker1: neighbour 10.222.2.1 is on device 'eth9', which the host does not have", "the host's devices are")]
    // YAML itself
    [InlineData("    nodeIP: 10.79.1.200\n", "    nodeIP: 10.79.1.200\n    nodeIP: 10.79.1.200\n", 14, 5, "duplicate key nodeIP", null)]
    [InlineData("tunnel: { type: geneve,", "tunnel: { type: geneve", 9, 33, "", null)]
    [InlineData("gateway: { ip: 10.222.0.1 }", "gateway: 10.222.0.1", 16, 14, "node master: gateway: expected a mapping (key: value), got '10.222.0.1'", null)]
    public void A_fault_in_cluster_yaml_is_refused_at_its_line_and_column(string find, string replace, int line, int column, string what, string? hint)
    {
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses(SeedScenarioCopy.SeedWith(find, replace));
        Assert.Equal((copy.ClusterYaml, line, column), (e.File, e.Line, e.Column));
        Assert.Contains(what, e.What, StringComparison.Ordinal);
        if (hint is null)
            Assert.Null(e.Hint);
        else
            Assert.Contains(hint, e.Hint ?? "(no hint)", StringComparison.Ordinal);
        Assert.StartsWith($"{copy.ClusterYaml}:{line}:{column}: ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ofport: 48", "ofport: 65279")]
    [InlineData("ofport: 48", "ofport: 0x30")]
    [InlineData("clusterIP: 10.104.65.133", "clusterIP: None")]
    [InlineData("csum: true", "csum: True")]
    [InlineData("    nodeMAC: 00:50:56:8f:f7:65\n", "")]
    [InlineData("flows: worker1.flows", "flows: \"worker1.flows\"")]
    public void Values_the_real_tools_take_still_load(string find, string replace)
    {
        using var copy = new SeedScenarioCopy();
        var s = copy.LoadWith(SeedScenarioCopy.SeedWith(find, replace));
        Assert.Equal(["worker1", "worker2"], s.Cluster.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void The_seed_copied_to_a_directory_loads_as_the_embedded_one_does()
    {
        using var copy = new SeedScenarioCopy();
        var fromDir = AntreaScenario.Load(copy.Directory);
        var embedded = AntreaScenario.LoadEmbedded();
        foreach (var n in embedded.Cluster.Nodes)
        {
            var d = fromDir.GetNode(n.Name);
            Assert.Equal(n.Bridge.Ports.Select(p => p.ToString()), d.Bridge.Ports.Select(p => p.ToString()));
            Assert.Equal(n.Bridge.Tables.Count, d.Bridge.Tables.Count);
            Assert.Equal(n.NodeIp, d.NodeIp);
        }
        Assert.Equal(embedded.Model.Services.Count, fromDir.Model.Services.Count);
        Assert.Equal(3, fromDir.Model.Packets.Count);
        Assert.Equal("role", Assert.Single(fromDir.FindPod("backend2")!.Value.Pod.Labels).Key);
        Assert.Equal("cluster.yaml", embedded.ClusterFile);
        Assert.Equal(copy.ClusterYaml, fromDir.ClusterFile);
    }

    // ---- whole files

    [Fact]
    public void A_scenario_without_cluster_yaml_names_the_file()
    {
        using var copy = new SeedScenarioCopy();
        File.Delete(copy.ClusterYaml);
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal((copy.ClusterYaml, 0), (e.File, e.Line));
        Assert.StartsWith("is not in the scenario", e.What, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("  \n\n", "is empty")]
    [InlineData("# only a comment\n", "has no YAML document (only comments)")]
    public void An_empty_cluster_yaml_is_a_whole_file_error(string text, string what)
    {
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses(text);
        Assert.Equal((copy.ClusterYaml, 0, what), (e.File, e.Line, e.What));
        Assert.Equal($"{copy.ClusterYaml}: {what}", e.Message);
    }

    [Fact]
    public void A_cluster_yaml_that_is_a_directory_names_it()
    {
        using var copy = new SeedScenarioCopy();
        File.Delete(copy.ClusterYaml);
        Directory.CreateDirectory(copy.ClusterYaml);
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal((copy.ClusterYaml, 0, "is a directory, not a file"), (e.File, e.Line, e.What));
    }

    [Fact]
    public void A_file_given_as_the_scenario_directory_names_it()
    {
        using var copy = new SeedScenarioCopy();
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.ClusterYaml));
        Assert.Equal((copy.ClusterYaml, 0, "is a file, not a scenario directory"), (e.File, e.Line, e.What));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n   \n")]
    public void An_empty_flows_file_is_refused_at_the_line_that_names_it(string flows)
    {
        using var copy = new SeedScenarioCopy();
        File.WriteAllText(copy.PathOf("worker1.flows"), flows);
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal((copy.ClusterYaml, 44, 12), (e.File, e.Line, e.Column));
        Assert.Equal("node worker1: flows file 'worker1.flows' is empty", e.What);
    }

    [Fact]
    public void A_flows_file_that_is_a_directory_is_refused_at_the_line_that_names_it()
    {
        using var copy = new SeedScenarioCopy();
        File.Delete(copy.PathOf("worker2.iptables"));
        Directory.CreateDirectory(copy.PathOf("worker2.iptables"));
        var e = Assert.Throws<InputException>(() => AntreaScenario.Load(copy.Directory));
        Assert.Equal((copy.ClusterYaml, 74, 15), (e.File, e.Line, e.Column));
        Assert.Equal("node worker2: iptables file 'worker2.iptables' is a directory, not a file", e.What);
    }

    [Fact]
    public void A_flow_mapping_cut_short_before_the_next_item_is_refused_where_the_scanner_stops()
    {
        // YamlDotNet's scanner throws InvalidOperationException on this one, not a YamlException.
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses(SeedScenarioCopy.SeedWith("role: backend } }\n      - { pod: default/frontend", "      - { pod: default/frontend"));
        Assert.Equal((copy.ClusterYaml, 28), (e.File, e.Line)); // the line after the cut one, where the scanner gives up
        Assert.Equal("not valid YAML here (an unclosed '{' or '['?)", e.What);
    }

    [Fact]
    public void A_fault_in_a_hosts_iptables_file_is_a_load_error_not_a_crash_on_the_first_walk()
    {
        using var copy = new SeedScenarioCopy();
        var lines = File.ReadAllLines(copy.PathOf("worker1.iptables"));
        int at = Array.FindIndex(lines, l => l.StartsWith("-A ", StringComparison.Ordinal));
        lines[at] = "-A NO-SUCH-CHAIN -j ACCEPT";
        File.WriteAllLines(copy.PathOf("worker1.iptables"), lines);
        var e = Record.Exception(() => AntreaScenario.Load(copy.Directory));
        Assert.NotNull(e);
        Assert.Contains($"worker1.iptables:{at + 1}", e.ToString(), StringComparison.Ordinal);
        Assert.Contains("NO-SUCH-CHAIN", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_too_deep_is_refused_before_the_tree_is_built()
    {
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses("nodes: " + new string('[', 100_000));
        Assert.Equal((copy.ClusterYaml, 1), (e.File, e.Line));
        Assert.Equal($"nested more than {YamlInput.MaxDepth} levels deep", e.What);
    }

    [Fact]
    public void A_scenario_whose_nodes_have_no_flows_is_refused_at_nodes()
    {
        using var copy = new SeedScenarioCopy();
        var e = copy.Refuses("nodes:\n  - { name: master, nodeIP: 10.79.1.200 }\n");
        Assert.Equal((2, 3), (e.Line, e.Column));
        Assert.Equal("nodes: no node has 'flows' (a bridge): there is nothing to run", e.What);
    }

    [Fact]
    public void A_walk_of_a_node_the_scenario_lacks_is_a_whole_file_error_on_cluster_yaml()
    {
        using var copy = new SeedScenarioCopy();
        var s = copy.LoadWith(SeedScenarioCopy.SeedWith("  - name: worker1", "  - name: worker3"));
        var e = Assert.Throws<InputException>(() => s.Require("worker1", "frontend-a3ba2f", "the demo"));
        Assert.Equal((copy.ClusterYaml, 0), (e.File, e.Line));
        Assert.Equal("the demo walks node 'worker1', which this scenario has no bridge for", e.What);
        Assert.Equal("the nodes with flows are worker3, worker2", e.Hint);
        e = Assert.Throws<InputException>(() => s.Require("worker2", "frontend-a3ba2f", "the demo"));
        Assert.StartsWith("the demo walks port 'frontend-a3ba2f' of node 'worker2'", e.What, StringComparison.Ordinal);
        s.Require("worker2", "backend2-202ff6", "the demo");
    }
}
