namespace Datapath.Engine;

/// <summary>
/// The nodes of one emulated cluster, joined by an underlay, found by name. A frame's way
/// between them (a GENEVE frame one node sends on its tunnel port, delivered to the node whose IPv4 or IPv6
/// underlay address is the outer destination) is a <see cref="Journey"/> over the cluster, which keeps the
/// nodes by underlay address.
/// </summary>
public sealed class Cluster
{
    private readonly List<Node> _nodes;

    public Cluster(IEnumerable<Node> nodes) => _nodes = [.. nodes];

    public IReadOnlyList<Node> Nodes => _nodes;

    public Node GetNode(string name)
        => _nodes.Find(n => n.Name == name) ?? throw new ArgumentException($"no node named '{name}' (have: {string.Join(", ", _nodes.Select(n => n.Name))})", nameof(name));
}
