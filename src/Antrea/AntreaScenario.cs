using Datapath.Classifier;
using Datapath.Conntrack;
using Datapath.Engine;
using Datapath.Geneve;
using Datapath.Packets;
using YamlDotNet.Core;
using YamlDotNet.Serialization;

namespace Datapath.Antrea;

/// <summary>
/// A loaded scenario: the seed lab (embedded in this assembly) or a directory laid out like it
/// (cluster.yaml naming each node's flows, iptables and ipsets files). Every node with a bridge
/// (gateway, tunnel, flows) becomes a <see cref="Node"/> of the <see cref="Cluster"/>, its ports
/// (tunnel, gateway, pods) and flows loaded, the TLV map
/// <c>{class=0xffff,type=0,len=4}->tun_metadata0</c> installed, its uplink neighbours known.
/// </summary>
public sealed class AntreaScenario
{
    private const string ResourcePrefix = "Datapath.Antrea.Scenario.";
    private readonly Func<string, string?> _readFile;

    private AntreaScenario(ScenarioModel model, Cluster cluster, string source, Func<string, string?> readFile)
    {
        Model = model;
        Cluster = cluster;
        Source = source;
        _readFile = readFile;
    }

    public ScenarioModel Model { get; }
    public Cluster Cluster { get; }
    /// <summary>"embedded" or the directory it was loaded from.</summary>
    public string Source { get; }

    public Node GetNode(string name) => Cluster.GetNode(name);

    /// <summary>The text of a scenario file (worker1.iptables, ipsets.save, manifests.yaml...), or null.</summary>
    public string? ReadFile(string name) => _readFile(name);

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
    public static AntreaScenario LoadEmbedded()
        => Load(static name =>
        {
            using var s = typeof(AntreaScenario).Assembly.GetManifestResourceStream(ResourcePrefix + name);
            if (s is null)
                return null;
            using var r = new StreamReader(s);
            return r.ReadToEnd();
        }, "embedded");

    /// <summary>A directory laid out like the seed scenario (cluster.yaml and the files it names).</summary>
    public static AntreaScenario Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new ScenarioException(directory, 1, 1, "scenario directory does not exist");
        return Load(name =>
        {
            string path = Path.Combine(directory, name);
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }, directory);
    }

    private static AntreaScenario Load(Func<string, string?> readFile, string source)
    {
        string yaml = readFile("cluster.yaml") ?? throw new ScenarioException("cluster.yaml", 1, 1, $"cluster.yaml not found in {source}");
        ScenarioModel model;
        try
        {
            var deserializer = new DeserializerBuilder().IgnoreUnmatchedProperties().Build();
            model = deserializer.Deserialize<ScenarioModel>(yaml) ?? new ScenarioModel();
        }
        catch (YamlException e)
        {
            throw new ScenarioException("cluster.yaml", (int)e.Start.Line, (int)e.Start.Column, e.InnerException?.Message ?? e.Message, e);
        }
        var nodes = new List<Node>();
        foreach (var n in model.Nodes)
        {
            if (n.Flows is null || n.Gateway is null)
                continue;
            nodes.Add(BuildNode(n, model, readFile, yaml));
        }
        return new AntreaScenario(model, new Cluster(nodes), source, readFile);
    }

    private static Node BuildNode(NodeModel n, ScenarioModel model, Func<string, string?> readFile, string yaml)
    {
        var bridge = new Bridge("br-int") { TlvMap = TlvMap.Parse(AntreaFields.TlvMap) };
        if (n.Tunnel is { } tun)
            bridge.AddPort(tun.OfPort, tun.Name ?? "antrea-tun0", Mac(tun.Mac, n.Name, yaml), PortKind.Tunnel);
        var gw = n.Gateway!;
        bridge.AddPort(gw.OfPort, gw.Name ?? "antrea-gw0", Mac(gw.Mac, n.Name, yaml), PortKind.Gateway);
        foreach (var p in n.Pods)
            bridge.AddPort(p.OfPort, p.Port, Mac(p.PortMac, n.Name, yaml), PortKind.Pod);

        string flowsName = n.Flows!;
        string flows = readFile(flowsName) ?? throw new ScenarioException("cluster.yaml", Line(yaml, flowsName), 1, $"node {n.Name}: flows file '{flowsName}' not found");
        using (var reader = new StringReader(flows))
            bridge.LoadFlows(reader, flowsName);
        if (n.Groups is { } groupsName)
        {
            string groups = readFile(groupsName) ?? throw new ScenarioException("cluster.yaml", Line(yaml, groupsName), 1, $"node {n.Name}: groups file '{groupsName}' not found");
            using var gr = new StringReader(groups);
            bridge.LoadGroups(gr, groupsName);
        }

        if (!Ipv4Address.TryParse(n.NodeIp, out var nodeIp))
            throw new ScenarioException("cluster.yaml", Line(yaml, n.NodeIp), 1, $"node {n.Name}: nodeIP '{n.NodeIp}' is not an IPv4 address");
        var node = new Node(n.Name, bridge, nodeIp, Mac(n.NodeMac, n.Name, yaml), new ConnectionTracker(new ConntrackOptions()))
        {
            TunnelChecksum = model.Cluster.Tunnel.Csum,
        };
        foreach (var nb in n.Neighbors)
        {
            if (n.Uplink is not null && nb.Dev != n.Uplink)
                continue;
            if (!Ipv4Address.TryParse(nb.Ip, out var ip))
                throw new ScenarioException("cluster.yaml", Line(yaml, nb.Ip), 1, $"node {n.Name}: neighbour '{nb.Ip}' is not an IPv4 address");
            node.AddNeighbor(ip, Mac(nb.Mac, n.Name, yaml));
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

    private static MacAddress Mac(string? text, string node, string yaml)
        => MacAddress.TryParse(text, out var mac) ? mac
            : throw new ScenarioException("cluster.yaml", text is null ? 1 : Line(yaml, text), 1, $"node {node}: '{text}' is not a MAC address");

    private static int Line(string yaml, string needle)
    {
        int i = yaml.IndexOf(needle, StringComparison.Ordinal);
        if (i < 0)
            return 1;
        int line = 1;
        for (int k = 0; k < i; k++)
        {
            if (yaml[k] == '\n')
                line++;
        }
        return line;
    }

    /// <summary>Shorthand kept for the CLI: the exception text of a flow error in a scenario file.</summary>
    public static string Describe(Exception e) => e switch
    {
        InputException f => f.ToString(),
        ScenarioException s => s.ToString(),
        _ => e.Message,
    };
}
