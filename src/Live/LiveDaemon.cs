using System.Globalization;
using Datapath.Antrea;
using Datapath.Conntrack;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Packets;

namespace Datapath.Live;

/// <summary>
/// `datapath run`: the nodes of a lab file (all of them, or one with --node) built from the
/// scenario, bound to their live ports and underlay sockets, each with its control socket. A node
/// of a Calico scenario has no bridge: its host is built alone and its bindings name host devices
/// (the pods' cali veths); its underlay carries vxlan.calico's datagrams.
/// Build checks everything it can before opening anything (errors name LAB:LINE:COL); Start
/// opens and starts; Stop undoes it all (loops stopped, TAPs we created gone, sockets closed and
/// their files removed).
/// </summary>
public sealed class LiveDaemon : IDisposable
{
    private readonly List<(LiveNode Node, ControlServer Server)> _running = [];
    private readonly List<(Node? Node, LabNode Lab, Dictionary<uint, Ipv4Address> Peers, HostStackConfig? Host)> _plan;
    private readonly Dictionary<uint, MacAddress> _nodeMacs;
    private readonly Action<string> _log;

    private LiveDaemon(LabFile lab, List<(Node?, LabNode, Dictionary<uint, Ipv4Address>, HostStackConfig?)> plan, Dictionary<uint, MacAddress> nodeMacs, Action<string> log)
    {
        Lab = lab;
        _plan = plan;
        _nodeMacs = nodeMacs;
        _log = log;
    }

    internal LabFile Lab { get; }

    internal IEnumerable<LiveNode> Nodes => _running.Select(r => r.Node);

    /// <summary>
    /// Run passes from the flow cache (the default) or translate every one (<c>run --no-cache</c>); set
    /// before <see cref="Start"/>. Results are the same either way.
    /// </summary>
    public bool UseFlowCache
    {
        get => _plan.All(p => p.Node?.UseFlowCache ?? true);
        set
        {
            foreach (var p in _plan)
            {
                if (p.Node is { } n)
                    n.UseFlowCache = value;
            }
        }
    }

    /// <summary>Receive threads per bound port (<c>run --workers N</c>; TAP queues or AF_PACKET fanout sockets); set before <see cref="Start"/>.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>Connection limits for every node's bridge and host connection tables (<c>run --ct-limit</c>); set before <see cref="Start"/>.</summary>
    public Conntrack.ConntrackLimits ConntrackLimits { get; set; } = Conntrack.ConntrackLimits.None;

    /// <summary>Where to serve the nodes' counters in Prometheus text format (<c>run --metrics</c>), or null; set before <see cref="Start"/>.</summary>
    public MetricsEndpoint? Metrics { get; set; }

    /// <summary>The URL the metrics are served at once started, or null.</summary>
    public string? MetricsUrl => _metrics is null ? null : Metrics?.Url;

    private LiveMetrics? _metrics;

    /// <summary>The nodes started: name and control socket, in the order of the lab file.</summary>
    public IEnumerable<(string Name, string ControlSocket)> Running => _running.Select(r => (r.Node.Name, r.Node.Lab.ControlSocket));

    /// <summary>Builds the engine nodes of <paramref name="lab"/> (only <paramref name="onlyNode"/> if given) and checks every binding.</summary>
    /// <exception cref="InputException">A binding, peer or node is wrong (position given), the scenario does not load, or a node's own flows do not parse.</exception>
    public static LiveDaemon Build(LabFile lab, string? onlyNode, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(lab);
        AntreaScenario? scenario = lab.Scenario switch
        {
            "none" => null,
            "embedded" => AntreaScenario.LoadEmbedded(),
            var e when e.StartsWith(LabFileParser.EmbeddedPrefix, StringComparison.Ordinal) => AntreaScenario.LoadEmbedded(e[LabFileParser.EmbeddedPrefix.Length..]),
            _ => AntreaScenario.Load(lab.Scenario),
        };
        var selected = lab.Nodes.Where(n => onlyNode is null || n.Name == onlyNode).ToList();
        if (selected.Count == 0)
            throw InputException.InFile(lab.Path, $"no node named '{onlyNode}' in the lab (have: {string.Join(", ", lab.Nodes.Select(n => n.Name))})");

        // Node IPs of every lab node with an underlay: each one's peers by default.
        var nodeIps = new Dictionary<string, Ipv4Address>(StringComparer.Ordinal);
        var nodeMacs = new Dictionary<uint, MacAddress>();
        if (scenario is not null)
        {
            foreach (var n in scenario.Cluster.Nodes)
                nodeIps[n.Name] = n.NodeIp;
            foreach (var n in scenario.Model.Nodes)
            {
                if (Ipv4Address.TryParse(n.NodeIp, out var ip))
                {
                    nodeIps.TryAdd(n.Name, ip);
                    if (MacAddress.TryParse(n.NodeMac, out var mac))
                        nodeMacs[ip.Value] = mac;
                }
            }
        }

        var plan = new List<(Node?, LabNode, Dictionary<uint, Ipv4Address>, HostStackConfig?)>();
        foreach (var ln in selected)
        {
            Node? node = scenario is { IsCalico: true } calico ? CheckHostNode(lab, ln, calico) : BuildNode(lab, ln, scenario);
            // What the flows loaded with that OVS would accept silently (each with FILE:LINE).
            foreach (var w in node?.Bridge.Tables.LoadWarnings ?? [])
                log($"{ln.Name}: warning: {w.File}:{w.Line}: {w.Message}");
            foreach (string w in node?.Bridge.LoadWarnings ?? [])
                log($"{ln.Name}: warning: {w}");
            var peers = new Dictionary<uint, Ipv4Address>();
            if (ln.Underlay is not null)
            {
                foreach (var other in lab.Nodes)
                {
                    if (other != ln && other.Underlay is { } ep && nodeIps.TryGetValue(other.Name, out var ip))
                        peers[ip.Value] = Ipv4Address.Read(ep.Address.GetAddressBytes());
                }
                foreach (var p in ln.Peers)
                {
                    Ipv4Address peerIp;
                    if (nodeIps.TryGetValue(p.NodeOrIp, out var byName))
                        peerIp = byName;
                    else if (!Ipv4Address.TryParse(p.NodeOrIp, out peerIp))
                        throw new InputException(lab.Path, p.Line, p.Column, $"node {ln.Name}: peer '{p.NodeOrIp}' is neither a node of the scenario ({string.Join(", ", nodeIps.Keys)}) nor an IPv4 address");
                    peers[peerIp.Value] = Ipv4Address.Read(p.Endpoint.Address.GetAddressBytes());
                }
            }
            var hostConfig = ln.Host && scenario is not null ? HostConfig(scenario, ln.Name) : null;
            if (ln.Local is { } local && hostConfig is null)
                throw new InputException(lab.Path, local.Line, local.Column, $"node {ln.Name}: local: binds the node's own stack, but the node runs no host stack ({(ln.Host ? "the scenario gives it no gateway address" : "host: false")})");
            plan.Add((node, ln, peers, hostConfig));
        }
        return new LiveDaemon(lab, plan, nodeMacs, log);
    }

    /// <summary>
    /// A node of a Calico scenario: no bridge (null), its host the whole node. Its bindings name the host's devices (the
    /// pods' cali veths), never the uplink (the underlay carries it) or vxlan.calico (its datagrams are the underlay's).
    /// </summary>
    private static Node? CheckHostNode(LabFile lab, LabNode ln, AntreaScenario scenario)
    {
        var model = scenario.Model.Nodes.FirstOrDefault(n => n.Name == ln.Name)
            ?? throw new InputException(lab.Path, ln.Line, ln.Column, $"node {ln.Name} is not in the scenario (it has {string.Join(", ", scenario.Model.Nodes.Select(n => n.Name))})");
        string where = $"node {ln.Name} has no bridge (a Calico node: its host is the node)";
        if (ln.FlowsText is not null || ln.AddFlowsText is not null)
            throw new InputException(lab.Path, ln.Line, ln.Column, $"{where}: it takes no flows");
        if (!ln.Host)
            throw new InputException(lab.Path, ln.Line, ln.Column, $"{where}: host: false would leave nothing to run");
        var devices = model.Pods.Select(p => p.Port).ToList();
        foreach (var b in ln.Ports)
        {
            if (b.OfPort is not null)
                throw new InputException(lab.Path, b.Line, b.Column, $"{where}: port '{b.Port}' takes no ofport");
            if (!devices.Contains(b.Port))
            {
                string? near = DidYouMean.Closest(b.Port, devices);
                throw new InputException(lab.Path, b.Line, b.Column, $"{where}: '{b.Port}' is none of its pods' veths{(near is null ? "" : $" (did you mean '{near}'?)")}",
                    $"its pods' veths are {string.Join(", ", devices)}; the uplink and vxlan.calico are carried by 'underlay'");
            }
        }
        return null;
    }

    /// <summary>The Linux host behind a scenario node's gateway (interfaces, routes, neighbours, iptables, ipsets), or null when it has none.</summary>
    private static HostStackConfig? HostConfig(AntreaScenario scenario, string name)
        => ScenarioHosts.TryConfig(scenario, name, seed: 1, out var config) ? config : null;

    private static Node BuildNode(LabFile lab, LabNode ln, AntreaScenario? scenario)
    {
        var node = BuildBridge(lab, ln, scenario);
        if (ln.AddFlowsText is not null)
        {
            using var reader = new StringReader(ln.AddFlowsText);
            node.Bridge.LoadFlows(reader, ln.AddFlowsSource ?? lab.Path);
        }
        return node;
    }

    private static Node BuildBridge(LabFile lab, LabNode ln, AntreaScenario? scenario)
    {
        Node? node = scenario?.Cluster.Nodes.FirstOrDefault(n => n.Name == ln.Name);
        if (node is not null)
        {
            if (ln.FlowsText is not null)
                throw new InputException(lab.Path, ln.Line, ln.Column, $"node {ln.Name} comes from the scenario, which gives its flows; 'flows' is for nodes the lab defines itself (change them live with `datapath ctl SOCKET add-flow`)");
            foreach (var b in ln.Ports)
            {
                if (!node.Bridge.TryGetPort(b.Port, out var port))
                    throw new InputException(lab.Path, b.Line, b.Column, $"node {ln.Name} has no port '{b.Port}' (ports: {string.Join(", ", node.Bridge.Ports.Select(p => p.Name))})");
                if (port.Kind == PortKind.Tunnel)
                    throw new InputException(lab.Path, b.Line, b.Column, $"node {ln.Name}: port '{b.Port}' is the tunnel port; give the node an 'underlay' address instead");
                if (b.OfPort is { } of && of != port.OfPort)
                    throw new InputException(lab.Path, b.Line, b.Column, $"node {ln.Name}: port '{b.Port}' is ofport {port.OfPort} in the scenario, not {of}");
            }
            return node;
        }
        if (ln.FlowsText is null)
        {
            string known = scenario is null ? "the lab says 'scenario: none'" : $"the scenario has {string.Join(", ", scenario.Cluster.Nodes.Select(n => n.Name))}";
            throw new InputException(lab.Path, ln.Line, ln.Column, $"node {ln.Name} is not in the scenario ({known}): give it 'ports' with ofports and 'flows' or 'flowsText'");
        }
        var bridge = new Bridge("br0");
        foreach (var b in ln.Ports)
        {
            if (b.OfPort is not { } of)
                throw new InputException(lab.Path, b.Line, b.Column, $"node {ln.Name}: port '{b.Port}' needs an 'ofport' (the node defines its own bridge)");
            var mac = b.Mac is { } m ? MacAddress.Parse(m) : MacAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"02:00:00:00:{of >> 8:x2}:{of & 0xff:x2}"));
            try
            {
                bridge.AddPort(of, b.Port, mac, PortKind.Pod);
            }
            catch (InvalidOperationException e)
            {
                throw new InputException(lab.Path, b.Line, b.Column, $"node {ln.Name}: {e.Message}");
            }
        }
        using (var reader = new StringReader(ln.FlowsText))
            bridge.LoadFlows(reader, ln.FlowsSource ?? lab.Path);
        return new Node(ln.Name, bridge, new Ipv4Address(0), default, new ConnectionTracker(new ConntrackOptions()));
    }

    /// <summary>Opens every node's ports, underlay and control socket and starts the loops. On failure, closes what it opened and rethrows.</summary>
    public void Start(TimeProvider time)
    {
        try
        {
            foreach (var (node, lab, peers, hostConfig) in _plan)
            {
                string prefix = lab.Name;
                Action<string> log = m => _log($"{prefix}: {m}");
                var host = hostConfig is null ? null : HostStack.Create(hostConfig);
                if (node is not null)
                    ConntrackLimits.ApplyTo(node.Conntrack);
                if (host is not null)
                    ConntrackLimits.ApplyTo(host.Conntrack);
                LiveNode live;
                try
                {
                    live = LiveNode.Open(node, lab, peers, host, log, Workers, _nodeMacs);
                }
                catch
                {
                    host?.Dispose();
                    throw;
                }
                ControlServer server;
                try
                {
                    var commands = new ControlCommands(live, time);
                    server = ControlServer.Start(lab.ControlSocket, commands.Execute, log);
                }
                catch
                {
                    live.Dispose();
                    throw;
                }
                _running.Add((live, server));
                live.Start();
                log($"running: {string.Join(", ", live.Ports.Select(p => p.BridgePort is { } bp ? $"{bp.OfPort}({bp.Name})={p.Binding.Describe()}" : $"{p.Name}={p.Binding.Describe()}"))}; "
                    + $"host stack {(live.Host is null ? "none" : node is null ? "(the whole node, no bridge)" : "behind " + (node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Gateway)?.Name ?? "?"))}; "
                    + (live.Local is { } lp ? $"local stack {lp.Binding.Describe()}; " : "")
                    + $"underlay {live.DescribeUnderlay()}{(peers.Count > 0 ? " peers " + string.Join(", ", peers.Select(kv => $"{new Ipv4Address(kv.Key)}->{kv.Value}")) : "")}; control {server.Path}");
            }
            if (Metrics is { } endpoint)
            {
                _metrics = LiveMetrics.Start([.. _running.Select(r => r.Node)], endpoint);
                _log($"metrics: {endpoint.Url}");
            }
        }
        catch
        {
            Stop();
            throw;
        }
    }

    /// <summary>Stops every node: control sockets first (no more commands), then loops, ports and sockets.</summary>
    public void Stop()
    {
        _metrics?.Dispose();
        _metrics = null;
        foreach (var (live, server) in _running)
        {
            server.Dispose();
            live.Dispose();
            _log($"{live.Name}: stopped");
        }
        _running.Clear();
    }

    public void Dispose()
    {
        Stop();
        foreach (var (node, _, _, _) in _plan)
            node?.Dispose();
    }
}
