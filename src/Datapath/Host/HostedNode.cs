namespace Datapath.Engine.Host;

/// <summary>One node of a <see cref="HostedCluster"/>: its bridge (the engine's <see cref="Engine.Node"/>) and its Linux host behind the gateway port.</summary>
public sealed class HostedNode
{
    internal HostedNode(Node node, HostStack host)
    {
        Node = node;
        Host = host;
        Gateway = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Gateway)
            ?? throw new ArgumentException($"node {node.Name}: the bridge has no gateway port", nameof(node));
        Tunnel = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Tunnel);
        if (!host.TryGetInterface(Gateway.Name, out var gw))
            throw new ArgumentException($"node {node.Name}: the host has no interface '{Gateway.Name}' for the bridge's gateway port", nameof(host));
        GatewayInterface = gw;
    }

    public string Name => Node.Name;
    public Node Node { get; }
    public HostStack Host { get; }
    /// <summary>The bridge's gateway port (antrea-gw0, ofport 2).</summary>
    public BridgePort Gateway { get; }
    /// <summary>The host's side of the gateway port: same name, the host's address and the gateway MAC.</summary>
    public HostInterface GatewayInterface { get; }
    /// <summary>The bridge's GENEVE tunnel port, if any.</summary>
    public BridgePort? Tunnel { get; }

    public override string ToString() => Name;
}
