using Datapath.Antrea.Import;
using Datapath.Packets;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Partial and broken dumps (issue 16.6): the seed lab's dumps (tests/Data/import/seed) with one file taken away
/// import with a note saying what that costs, and the scenario still loads; with one line broken, the import stops
/// at that file, line and column, as every reader of user input does (InputException).
/// </summary>
public sealed class ImportDumpsTests : IDisposable
{
    private static readonly string s_seed = Path.Combine(AppContext.BaseDirectory, "Data", "import", "seed");
    private readonly string _dir = Directory.CreateTempSubdirectory("import-dumps").FullName;

    public ImportDumpsTests()
    {
        foreach (string file in Directory.GetFiles(s_seed, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(_dir, Path.GetRelativePath(s_seed, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string file) => Path.Combine(_dir, file);

    public static TheoryData<string, string> MissingFiles => new()
    {
        { "worker1/dump-tlv-map", "worker1: no dump-tlv-map: tun_metadata0 is assumed mapped as Antrea maps it ({class=0xffff,type=0,len=4}->tun_metadata0)" },
        { "worker1/ip-neigh", "worker1: no ip neigh: neighbours will be resolved by ARP; the other nodes' uplink MACs (2) are taken from their own ip addr" },
        { "worker1/iptables-save", "worker1: no iptables-save: the host has no rules (no kube-proxy DNAT: a ClusterIP is routed as it is, and nothing is tracked)" },
        { "worker1/ip-route-table-all", "worker1: no ip route: the routes are made as Linux and Antrea make them (kernel routes for the addresses, a route per other node's pod CIDR via its gateway); no default route" },
        { "worker1/ip-addr", "worker1: no ip addr or ip link: the devices' addresses, MACs and MTUs are unknown" },
        { "worker2/dump-flows", "worker2: no ovs-ofctl dump-flows: the node has no bridge here, so nothing runs on it" },
        { "kubectl.yaml", "no kubectl YAML (pods, services, endpointslices): pods are named after their OVS ports, and the scenario lists no services" },
    };

    [Theory]
    [MemberData(nameof(MissingFiles))]
    public void A_missing_dump_is_reported_with_what_it_costs_and_the_scenario_still_loads(string file, string note)
    {
        File.Delete(PathOf(file));
        var result = ScenarioImporter.Import(ImportInput.Read(_dir));
        Assert.Contains(result.Notes, n => n.StartsWith(note, StringComparison.Ordinal));
        var scenario = result.Save(Path.Combine(_dir, "out"));
        Assert.Contains(scenario.Model.Nodes, n => n.Name == "worker1" && n.Flows is not null);
    }

    [Fact]
    public void Without_ip_addr_the_node_keeps_its_addresses_from_the_kernel_routes_and_makes_up_the_uplink_MAC()
    {
        File.Delete(PathOf("worker1/ip-addr"));
        var result = ScenarioImporter.Import(ImportInput.Read(_dir));
        var w1 = result.Model.Nodes.Single(n => n.Name == "worker1");
        Assert.Equal("10.79.1.201", w1.NodeIp);
        Assert.Equal("10.222.1.1/24", w1.Gateway!.Ip);
        Assert.Equal("4e:99:08:c1:53:be", w1.Gateway.Mac); // from ovs-ofctl show
        Assert.Contains(result.Notes, n => n.StartsWith($"worker1: the uplink's MAC is unknown (no ip addr or ip link): {w1.NodeMac} is made up", StringComparison.Ordinal));
        Assert.Contains(result.Notes, n => n == "worker1: no ip link for antrea-gw0: its MTU is taken as 1500");
    }

    [Fact]
    public void Without_kubectl_the_pods_are_named_after_their_OVS_ports()
    {
        File.Delete(PathOf("kubectl.yaml"));
        var result = ScenarioImporter.Import(ImportInput.Read(_dir));
        var pod = result.Model.Nodes.Single(n => n.Name == "worker1").Pods.Single(p => p.OfPort == 49);
        Assert.Equal(("frontend-a3ba2f", "10.222.1.48", "be:2c:bf:e4:ec:c5"), (pod.Pod, pod.Ip, pod.Mac)); // IP and MAC from SpoofGuard's flow
        Assert.Empty(result.Model.Services);
    }

    [Fact]
    public void Without_its_SpoofGuard_flows_a_pod_takes_its_IP_from_kubectl_and_its_MAC_from_ip_neigh()
    {
        string flows = PathOf("worker1/dump-flows");
        File.WriteAllLines(flows, File.ReadAllLines(flows).Where(l => !(l.Contains("table=10,", StringComparison.Ordinal) && l.Contains("frontend-a3ba2f", StringComparison.Ordinal))));
        var result = ScenarioImporter.Import(ImportInput.Read(_dir));
        var pod = result.Model.Nodes.Single(n => n.Name == "worker1").Pods.Single(p => p.Port == "frontend-a3ba2f");
        Assert.Equal(("default/frontend", "10.222.1.48", "be:2c:bf:e4:ec:c5"), (pod.Pod, pod.Ip, pod.Mac)); // Antrea's port name: the pod's first 8 characters and a hash

        File.Delete(PathOf("worker1/ip-neigh"));
        result = ScenarioImporter.Import(ImportInput.Read(_dir));
        Assert.Contains("worker1: port frontend-a3ba2f (ofport 49): no SpoofGuard flow gives its pod's IP and MAC (kubectl gives 10.222.1.48, ip neigh no MAC): it is left out, and flows naming it will not load", result.Notes);
        var e = Assert.Throws<InputException>(() => result.Save(Path.Combine(_dir, "out")));
        Assert.Equal(flows, e.File);
    }

    [Fact]
    public void Without_show_a_node_with_flows_cannot_import()
    {
        File.Delete(PathOf("worker1/show"));
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(ImportInput.Read(_dir)));
        Assert.Equal(PathOf("worker1"), e.File);
        Assert.Contains("no ovs-ofctl show (or dump-ports-desc): the bridge's ports and ofports are unknown, so its flows cannot load", e.What, StringComparison.Ordinal);
        Assert.Equal("collect `ovs-ofctl show br-int` on the node", e.Hint);
    }

    [Fact]
    public void Without_ipset_save_rules_naming_sets_are_reported_and_refused_where_they_stand()
    {
        File.Delete(PathOf("worker1/ipset-save"));
        var result = ScenarioImporter.Import(ImportInput.Read(_dir));
        Assert.Contains("worker1: no ipset save, and iptables-save's rules name sets: those rules cannot load (collect `ipset save`)", result.Notes);
        var e = Assert.Throws<InputException>(() => result.Save(Path.Combine(_dir, "out")));
        Assert.Equal(PathOf("worker1/iptables-save"), e.File);
        Assert.Equal(File.ReadAllLines(PathOf("worker1/iptables-save")).ToList().FindIndex(l => l.Contains("--match-set", StringComparison.Ordinal)) + 1, e.Line);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
    }

    public static TheoryData<string, string, string, int, string> BrokenLines => new()
    {
        // file, text found once, its replacement, the column of the error, what the error says
        { "worker1/show", " 2(antrea-gw0): addr:4e:99:08:c1:53:be", " 2(antrea-gw0): addr:4e:99:08:c1:53", 22, "'4e:99:08:c1:53' is not a MAC address" },
        { "worker1/show", " 2(antrea-gw0): addr:4e:99:08:c1:53:be", " 2(antrea gw0): addr:4e:99:08:c1:53:be", 2, "not a port line as ovs-ofctl show prints it" },
        { "worker1/show", " 3(coredns--3e3abf): addr:", " 2(coredns--3e3abf): addr:", 2, "port 2(coredns--3e3abf) repeats ofport 2 of line 9" },
        { "worker1/show", " 3(coredns--3e3abf): addr:", " 3(coredns/3e3abf): addr:", 4, "port name 'coredns/3e3abf' " },
        { "worker1/ip-addr", "6: antrea-gw0: <BROADCAST", "6 antrea-gw0 <BROADCAST", 1, "not a device line as ip addr prints it" },
        { "worker1/ip-addr", "    inet 10.222.1.1/24 brd", "    inet 10.222.1.300/24 brd", 10, "inet '10.222.1.300/24' is not an IPv4 address with its prefix" },
        { "worker1/ip-neigh", "10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 REACHABLE", "10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8 REACHABLE", 29, "lladdr '00:0c:29:fa:d8' is not a MAC address" },
        { "worker1/ip-neigh", "10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 REACHABLE", "10.79.1.1 dev ens160 lladdr 00:0c:29:fa:d8:a8 REACHABLEE", 47, "'REACHABLEE' is not a word ip neigh prints" },
        { "worker1/ip-route-table-all", "10.79.1.0/24 dev ens160 proto kernel", "10.79.1.0/24 dev ens160 protocol kernel", 25, "unsupported route keyword 'protocol'" },
        { "worker1/dump-flows", "priority=190,in_port=\"backend1-bab86f\"", "priority=190,in_port=\"backend1-bab86g\"", 0, "backend1-bab86g" },
        { "worker1/dump-tlv-map", " 0xffff\t   0\t     4\ttun_metadata0", " 0xfffff\t   0\t     4\ttun_metadata0", 2, "not a mapping row as dump-tlv-map prints it" },
        { "kubectl.yaml", "    podIP: 10.222.1.48", "    podIP: [10.222.1.48]", 12, "" },
        { "worker2/ip-j-neigh.json", "\"lladdr\": \"c6:f4:b5:76:10:38\"", "\"lladdr\": \"c6:f4:b5:76:10\"", 2, "entry 10.222.2.34: \"lladdr\" 'c6:f4:b5:76:10' is not a MAC address" },
        { "worker2/ip-j-route.json", "\"flags\": []}, {\"dst\": \"10.79.1.0/24\"", "\"flags\": []} {\"dst\": \"10.79.1.0/24\"", 0, "not JSON as ip -j prints it" },
    };

    [Theory]
    [MemberData(nameof(BrokenLines))]
    public void A_malformed_line_is_an_error_at_its_file_line_and_column(string file, string find, string replace, int column, string what)
    {
        string path = PathOf(file);
        string text = File.ReadAllText(path);
        int at = text.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0 && text.IndexOf(find, at + 1, StringComparison.Ordinal) < 0, $"'{find}' occurs once in {file}");
        File.WriteAllText(path, string.Concat(text.AsSpan(0, at), replace, text.AsSpan(at + find.Length)));
        int line = text[..at].Count(c => c == '\n') + 1;

        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(ImportInput.Read(_dir)).Save(Path.Combine(_dir, "out")));
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        if (column > 0)
            Assert.Equal(column, e.Column);
        Assert.Contains(what, e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_iptables_line_is_refused_at_the_dumps_line_when_the_scenario_loads()
    {
        string path = PathOf("worker1/iptables-save");
        var lines = File.ReadAllLines(path).ToList();
        int i = lines.FindIndex(l => l.StartsWith("[0:0] -A KUBE-SERVICES", StringComparison.Ordinal));
        lines[i] = lines[i].Replace("-A KUBE-SERVICES", "-A KUBE-SERVICEZ", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);
        var e = Assert.Throws<InputException>(() => ScenarioImporter.Import(ImportInput.Read(_dir)).Save(Path.Combine(_dir, "out")));
        Assert.Equal(path, e.File);
        Assert.Equal(i + 1, e.Line);
        Assert.Contains("KUBE-SERVICEZ", e.What, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_of_one_nodes_files_is_that_node()
    {
        var input = ImportInput.Read(PathOf("worker2"));
        var node = Assert.Single(input.Nodes);
        Assert.Equal("worker2", node.Name);
        Assert.Equal([DumpKind.Flows, DumpKind.Show, DumpKind.TlvMap, DumpKind.Iptables, DumpKind.Ipsets, DumpKind.IpAddr, DumpKind.IpRoute, DumpKind.IpNeigh], node.Files.Keys.Order());
    }

    [Fact]
    public void A_node_given_twice_is_an_error_naming_both()
    {
        Directory.CreateDirectory(PathOf("agent_worker1"));
        File.Copy(PathOf("worker1/show"), PathOf("agent_worker1/ovsports"));
        var e = Assert.Throws<InputException>(() => ImportInput.Read(_dir));
        Assert.Equal((PathOf("worker1"), $"node worker1's dumps are also in {PathOf("agent_worker1")}"), (e.File, e.What));
    }

    [Fact]
    public void A_directory_without_nodes_and_a_file_given_as_one_are_whole_file_errors()
    {
        string empty = Directory.CreateTempSubdirectory("import-empty").FullName;
        try
        {
            var e = Assert.Throws<InputException>(() => ImportInput.Read(empty));
            Assert.Equal((empty, "holds no node's dumps"), (e.File, e.What));
            var f = Assert.Throws<InputException>(() => ImportInput.Read(PathOf("kubectl.yaml")));
            Assert.Equal("is a file, not a directory of node dumps or a support bundle", f.What);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }
}
