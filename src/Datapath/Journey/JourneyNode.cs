using Datapath.Engine.Host;

namespace Datapath.Engine;

/// <summary>
/// One node of a <see cref="Journey"/>: its bridge (the engine's <see cref="Engine.Node"/>) and, when it has one,
/// its Linux host behind the gateway port (an Antrea node); or a host alone, with no bridge (a Calico node: pods on
/// routed veths, vxlan.calico to the other nodes). Without a host, antrea-gw0 is an exit like any port.
/// </summary>
public sealed class JourneyNode
{
    /// <exception cref="ArgumentException">A host is given but the bridge has no gateway port, or the host lacks the gateway interface.</exception>
    internal JourneyNode(Node node, HostStack? host)
    {
        Node = node;
        Host = host;
        Name = node.Name;
        Tunnel = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Tunnel);
        Gateway = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Gateway);
        if (host is null)
            return;
        if (Gateway is null)
            throw new ArgumentException($"node {node.Name}: the bridge has no gateway port for its host", nameof(node));
        if (!host.TryGetInterface(Gateway.Name, out var gw))
            throw new ArgumentException($"node {node.Name}: the host has no interface '{Gateway.Name}' for the bridge's gateway port", nameof(host));
        GatewayInterface = gw;
    }

    /// <summary>A node with no bridge: its host is the whole node.</summary>
    internal JourneyNode(HostStack host)
    {
        Host = host;
        Name = host.Name;
    }

    public string Name { get; }
    /// <summary>The node's bridge, or null for a node without one (a Calico node: its host is all there is).</summary>
    public Node? Node { get; }
    /// <summary>The host stack behind the gateway port (or the whole node when there is no bridge), or null.</summary>
    public HostStack? Host { get; }
    /// <summary>The bridge's gateway port (antrea-gw0, ofport 2), or null.</summary>
    public BridgePort? Gateway { get; }
    /// <summary>The host's side of the gateway port (same name, the host's address and the gateway MAC); null without a host.</summary>
    public HostInterface? GatewayInterface { get; }
    /// <summary>The bridge's GENEVE tunnel port (antrea-tun0), if any.</summary>
    public BridgePort? Tunnel { get; }

    /// <summary>The bridge, for callers that have checked the node has one.</summary>
    /// <exception cref="InvalidOperationException">The node has no bridge.</exception>
    public Node Bridged => Node ?? throw new InvalidOperationException($"node {Name} has no bridge (its host is the whole node)");

    private Dictionary<uint, PodEndpoint>? _endpoints;

    /// <summary>
    /// Puts a pod's stack behind bridge port <paramref name="ofPort"/>: it answers ARP requests for its address that
    /// leave on that port (see <see cref="PodEndpoint"/>). Construction only, before traffic.
    /// </summary>
    public void AddEndpoint(uint ofPort, PodEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        (_endpoints ??= [])[ofPort] = endpoint;
    }

    /// <summary>The pod stack behind <paramref name="ofPort"/>, if any.</summary>
    public PodEndpoint? GetEndpoint(uint ofPort) => _endpoints is { } e && e.TryGetValue(ofPort, out var p) ? p : null;

    internal bool HasEndpoints => _endpoints is not null;

    public override string ToString() => Name;
}
