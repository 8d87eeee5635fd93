using System.Globalization;
using Datapath.Antrea;
using Datapath.Engine.Host;

namespace Datapath.Cli.Lab;

/// <summary>
/// What `lab up` builds for a scenario, decided before anything is made: the nodes that run (an Antrea scenario's
/// nodes with a bridge, every node of a Calico one), each with its underlay address, its own namespace when it has a
/// host stack, and its pods (kube-system's only with --system-pods), each pod with its namespace, its TAP and the
/// ports its HTTP server listens on (the TCP ports the scenario's Services send to it, and 22). Names: namespaces
/// PREFIX + pod (or node) name, TAPs PREFIX + tap- + a number (interface names have at most 15 characters).
/// </summary>
internal sealed class LabPlan
{
    /// <summary>The port every lab HTTP server listens on besides its Services' ports, so a policy drop of it shows as a timeout, not a refusal.</summary>
    public const int ExtraServerPort = 22;

    private LabPlan(AntreaScenario scenario, string lab, List<LabPlanNode> nodes)
    {
        Scenario = scenario;
        LabScenario = lab;
        Nodes = nodes;
    }

    public AntreaScenario Scenario { get; }

    /// <summary>The lab file's <c>scenario:</c> value (<c>embedded</c>, <c>embedded:calico</c>, or the directory).</summary>
    public string LabScenario { get; }

    public IReadOnlyList<LabPlanNode> Nodes { get; }

    public IEnumerable<LabPlanPod> Pods => Nodes.SelectMany(n => n.Pods);

    public bool IsCalico => Scenario.IsCalico;

    /// <exception cref="LabEnvironmentException">More nodes than underlay addresses, or two namespaces would have one name.</exception>
    public static LabPlan Make(AntreaScenario scenario, string labScenario, LabOptions options)
    {
        var model = scenario.Model;
        var running = model.Nodes.Where(n => scenario.IsCalico || scenario.Cluster.Nodes.Any(c => c.Name == n.Name)).ToList();
        if (running.Count == 0)
            throw new LabEnvironmentException($"the scenario ({scenario.Source}) has no node to run (no node with flows)");
        if (options.Underlay is { } given && given.Count < running.Count)
            throw new LabEnvironmentException($"--underlay gives {given.Count} address(es) for {running.Count} nodes ({string.Join(", ", running.Select(n => n.Name))})");
        var serverPorts = ServerPorts(model);
        var nodes = new List<LabPlanNode>();
        int tap = 0;
        for (int i = 0; i < running.Count; i++)
        {
            var n = running[i];
            string underlay = options.Underlay?[i] ?? $"127.0.0.{11 + i}";
            bool hasHost = ScenarioHosts.TryConfig(scenario, n.Name, 1, out _);
            var pods = new List<LabPlanPod>();
            foreach (var p in n.Pods)
            {
                if (!options.SystemPods && p.Pod.StartsWith("kube-system/", StringComparison.Ordinal))
                    continue;
                string shortName = p.Pod[(p.Pod.IndexOf('/', StringComparison.Ordinal) + 1)..];
                pods.Add(new LabPlanPod(p, n, options.Prefix + shortName, $"{options.Prefix}tap-{(tap++).ToString(CultureInfo.InvariantCulture)}",
                    serverPorts.TryGetValue(p.Ip, out var ports) ? [.. ports.Append(ExtraServerPort).Distinct().Order()] : []));
            }
            nodes.Add(new LabPlanNode(n, underlay, hasHost ? options.Prefix + n.Name : null, hasHost ? $"{options.Prefix}tap-n{i.ToString(CultureInfo.InvariantCulture)}" : null, pods));
        }
        var names = nodes.Select(n => n.Namespace).OfType<string>().Concat(nodes.SelectMany(n => n.Pods).Select(p => p.Namespace)).ToList();
        if (names.GroupBy(x => x, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } dup)
            throw new LabEnvironmentException($"two namespaces would be named {dup.Key} (a pod named like a node, or two pods of one name in different Kubernetes namespaces)");
        return new LabPlan(scenario, labScenario, nodes);
    }

    /// <summary>Pod IP → the TCP ports the scenario's Services send to it (an endpoint <c>IP:PORT</c> of a TCP Service).</summary>
    private static Dictionary<string, SortedSet<int>> ServerPorts(ScenarioModel model)
    {
        var ports = new Dictionary<string, SortedSet<int>>(StringComparer.Ordinal);
        foreach (var s in model.Services)
        {
            if (!string.Equals(s.Protocol, "TCP", StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (var e in s.Endpoints)
            {
                int colon = e.LastIndexOf(':');
                if (colon > 0 && int.TryParse(e.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    if (!ports.TryGetValue(e[..colon], out var set))
                        ports[e[..colon]] = set = [];
                    set.Add(port);
                }
            }
        }
        return ports;
    }

    /// <summary>
    /// The node's own namespace (the node's processes): its host's addresses and, for each of its host's unicast routes,
    /// a route through the node's stack with the source address the host would choose (`ip route get` semantics: the
    /// route's src, else the output device's address, else another device's), so a process there sends what a process on
    /// the node would.
    /// </summary>
    public (List<string> Addresses, List<(string Prefix, string Source)> Routes, int Mtu) NodeStack(LabPlanNode node)
    {
        if (!ScenarioHosts.TryConfig(Scenario, node.Model.Name, 1, out var config))
            throw new LabEnvironmentException($"node {node.Model.Name} has no host stack");
        using var host = HostStack.Create(config);
        var addresses = host.Interfaces.Where(i => i.Kind != HostInterfaceKind.Loopback && i.HasAddress && i.HasCarrier)
            .Select(i => i.Address.ToString()).Distinct().ToList();
        var routes = new List<(string, string)>();
        foreach (var r in host.Routes.Routes)
        {
            if (r.Type != RouteType.Unicast || r.Device is null || !host.TryGetInterface(r.Device, out var dev) || !dev.HasCarrier || r.LinkDown)
                continue;
            uint src = r.PreferredSource;
            if (src == 0 && !host.TrySelectSourceAddress(r.Device, r.Destination, out src))
                continue;
            routes.Add(($"{new Packets.Ipv4Address(r.Destination)}/{r.PrefixLength.ToString(CultureInfo.InvariantCulture)}", new Packets.Ipv4Address(src).ToString()));
        }
        int mtu = host.Interfaces.Where(i => i.Kind is HostInterfaceKind.Vxlan || (i.Kind == HostInterfaceKind.Ethernet && i.HasAddress && i.HasCarrier)).Select(i => i.Mtu).DefaultIfEmpty(1500).Min();
        return (addresses, routes, mtu);
    }
}
