using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Antrea;

/// <summary>
/// A loaded scenario: the seed lab (embedded in this assembly) or a directory laid out like it
/// (cluster.yaml naming each node's flows, iptables and ipsets files). Every node with a bridge
/// (gateway, tunnel, flows) becomes a <see cref="Node"/> of the <see cref="Cluster"/>, its ports
/// (tunnel, gateway, pods) and flows loaded, the TLV map
/// <c>{class=0xffff,type=0,len=4}->tun_metadata0</c> installed, its uplink neighbours known.
///
/// <para>Errors. Loading either succeeds or throws an <see cref="InputException"/> (from the flow and
/// group parsers, for the files cluster.yaml names): a missing, empty or non-directory scenario, or a
/// missing, empty or directory cluster.yaml, is a whole-file error naming it; everything in cluster.yaml
/// is checked by <see cref="ScenarioReader"/> at its line and column before any bridge is built, so
/// building never meets a value it cannot use. Each node's host is built once at load too, so a fault
/// in its iptables or ipsets file is a load error (the netfilter parsers', located in that file).</para>
/// </summary>
public sealed class AntreaScenario
{
    private const string ClusterYaml = "cluster.yaml";
    private readonly ScenarioFiles _files;

    private AntreaScenario(ScenarioModel model, Cluster cluster, ScenarioFiles files)
    {
        Model = model;
        Cluster = cluster;
        _files = files;
    }

    public ScenarioModel Model { get; }
    public Cluster Cluster { get; }
    /// <summary>"embedded" or the directory it was loaded from.</summary>
    public string Source => _files.Source;

    public Node GetNode(string name) => Cluster.GetNode(name);

    /// <summary>The text of a scenario file (worker1.iptables, ipsets.save, manifests.yaml...), or null.</summary>
    public string? ReadFile(string name) => _files.Read(name);

    /// <summary>The node and pod entry of a pod by name (<c>frontend</c> or <c>default/frontend</c>).</summary>
    public (Node Node, PodModel Pod)? FindPod(string name)
    {
        foreach (var n in Model.Nodes)
        {
            foreach (var p in n.Pods)
            {
                if (p.Pod == name || p.Pod.EndsWith("/" + name, StringComparison.Ordinal))
                    return (Cluster.GetNode(n.Name), p);
            }
        }
        return null;
    }

    /// <summary>The seed lab shipped inside the binary.</summary>
    public static AntreaScenario LoadEmbedded() => Load(ScenarioFiles.Embedded);

    /// <summary>The labs shipped inside the binary, by the name <c>--lab</c> takes: <c>seed</c> (Antrea v0.10, the seed articles' cluster), <c>calico</c> and <c>antrea-2</c> (the seed's workers in Antrea 2.x's pipeline).</summary>
    public static IReadOnlyList<string> EmbeddedLabs => ScenarioFiles.EmbeddedLabs;

    /// <summary>An embedded lab by name (<see cref="EmbeddedLabs"/>).</summary>
    /// <exception cref="ArgumentException">No lab has that name.</exception>
    public static AntreaScenario LoadEmbedded(string lab) => Load(ScenarioFiles.EmbeddedLab(lab));

    /// <summary>Whether the nodes are Calico's (no bridge: the host is the node) rather than Antrea's.</summary>
    public bool IsCalico => Model.Cluster.IsCalico;

    /// <summary>The names of every node with a host stack (every node of a Calico lab; an Antrea node with flows and a gateway address).</summary>
    public IEnumerable<string> HostNodes => Model.Nodes.Where(n => ScenarioHosts.TryConfig(this, n.Name, 1, out _)).Select(n => n.Name);

    /// <summary>A directory laid out like the seed scenario (cluster.yaml and the files it names).</summary>
    /// <exception cref="InputException">The directory, cluster.yaml or a file it names is missing or wrong (located).</exception>
    public static AntreaScenario Load(string directory) => Load(ScenarioFiles.InDirectory(directory));

    /// <summary>How errors name cluster.yaml: its path in the scenario directory, or <c>cluster.yaml</c> for the embedded seed.</summary>
    public string ClusterFile => _files.PathOf(ClusterYaml);

    /// <summary>
    /// Refuses a scenario that lacks what a command walks: <paramref name="node"/> with a bridge port
    /// <paramref name="port"/>. A whole-file error on cluster.yaml, since the file is what lacks it.
    /// </summary>
    /// <exception cref="InputException">The scenario has no such node or port.</exception>
    public void Require(string node, string? port, string who)
    {
        if (IsCalico)
        {
            // A Calico node's frames enter its host: a pod's veth, the uplink, vxlan.calico, or (port null) its own stack.
            var m = Model.Nodes.FirstOrDefault(x => x.Name == node)
                ?? throw InputException.InFile(ClusterFile, $"{who} walks node '{node}', which this scenario does not have",
                    $"its nodes are {string.Join(", ", Model.Nodes.Select(x => x.Name))}");
            var devices = m.Pods.Select(p => p.Port).Append(m.Uplink ?? "eth0").Append(m.Vxlan?.Name ?? "vxlan.calico").ToList();
            if (port is not null && !devices.Contains(port))
                throw InputException.InFile(ClusterFile, $"{who} walks device '{port}' of node '{node}', which this scenario does not give it",
                    $"{node}'s devices are {string.Join(", ", devices)}");
            return;
        }
        var n = Cluster.Nodes.FirstOrDefault(x => x.Name == node)
            ?? throw InputException.InFile(ClusterFile, $"{who} walks node '{node}', which this scenario has no bridge for",
                $"the nodes with flows are {string.Join(", ", Cluster.Nodes.Select(x => x.Name))}");
        if (port is not null && !n.Bridge.TryGetPort(port, out _))
        {
            throw InputException.InFile(ClusterFile, $"{who} walks port '{port}' of node '{node}', which this scenario does not give it",
                $"{node}'s ports are {string.Join(", ", n.Bridge.Ports.Select(p => p.Name))}");
        }
    }

    private static AntreaScenario Load(ScenarioFiles files)
    {
        string file = files.PathOf(ClusterYaml);
        if (files.Problem(ClusterYaml) is { } problem)
            throw InputException.InFile(file, problem);
        var yaml = YamlInput.Parse(files.Read(ClusterYaml)!, file);
        var model = ScenarioReader.Read(yaml, files);
        var nodes = model.Nodes.Where(n => n.Flows is not null).Select(n => BuildNode(n, model, files)).ToList();
        var scenario = new AntreaScenario(model, new Cluster(nodes), files);
        // Each node's Linux host is built once here, so that its iptables and ipsets files are read (and
        // refused, at their lines) when the scenario loads, not when a command first walks a packet into it.
        foreach (var n in model.Nodes)
        {
            if (ScenarioHosts.TryConfig(scenario, n.Name, seed: 1, out var config))
                HostStack.Create(config).Dispose();
        }
        return scenario;
    }

    /// <summary>A node with a bridge; <see cref="ScenarioReader"/> has checked every value it uses.</summary>
    private static Node BuildNode(NodeModel n, ScenarioModel model, ScenarioFiles files)
    {
        var bridge = new Bridge("br-int")
        {
            TlvMap = TlvMap.Parse(AntreaFields.TlvMap),
            TableNames = n.Tables is { } tables ? new TableNameMap(tables) : null,
        };
        if (n.VlanLimit is { } vlanLimit)
            bridge.VlanLimit = vlanLimit;
        if (n.Tunnel is { } tun)
            bridge.AddPort(tun.OfPort, tun.Name ?? "antrea-tun0", MacAddress.Parse(tun.Mac!), PortKind.Tunnel);
        var gw = n.Gateway!;
        bridge.AddPort(gw.OfPort, gw.Name ?? "antrea-gw0", MacAddress.Parse(gw.Mac!), PortKind.Gateway);
        foreach (var p in n.Pods)
            bridge.AddPort(p.OfPort, p.Port, MacAddress.Parse(p.PortMac), PortKind.Pod);

        // Meters and groups first, as add-meter and add-groups before add-flows: a flow's meter and group exist.
        if (n.Meters is { } metersName)
        {
            using var mr = new StringReader(files.Read(metersName)!);
            bridge.LoadMeters(mr, metersName);
        }
        if (n.Groups is { } groupsName)
        {
            using var gr = new StringReader(files.Read(groupsName)!);
            bridge.LoadGroups(gr, groupsName);
        }
        using (var reader = new StringReader(files.Read(n.Flows!)!))
            bridge.LoadFlows(reader, n.Flows!);

        var node = new Node(n.Name, bridge, Ipv4Address.Parse(n.NodeIp), MacAddress.Parse(n.NodeMac), new ConnectionTracker(new ConntrackOptions()))
        {
            TunnelChecksum = model.Cluster.Tunnel.Csum,
        };
        foreach (var nb in n.Neighbors)
        {
            if (n.Uplink is null || nb.Dev == n.Uplink)
                node.AddNeighbor(Ipv4Address.Parse(nb.Ip), MacAddress.Parse(nb.Mac));
        }
        foreach (var r in n.Routes)
        {
            // "default via 10.79.1.1 dev ens160 ..."
            var words = r.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length >= 3 && words[0] == "default" && words[1] == "via" && Ipv4Address.TryParse(words[2], out var gwIp))
                node.UnderlayGateway = gwIp;
        }
        return node;
    }
}
