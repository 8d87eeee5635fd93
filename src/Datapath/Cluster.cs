using System.Buffers.Binary;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Nodes joined by an underlay: a GENEVE frame one node sends out of its tunnel port is delivered
/// to the node whose address is the outer destination, on that node's tunnel port — the packet
/// walk of the seed articles across worker1 and worker2.
/// </summary>
public sealed class Cluster
{
    private readonly List<Node> _nodes;

    public Cluster(IEnumerable<Node> nodes) => _nodes = [.. nodes];

    public IReadOnlyList<Node> Nodes => _nodes;

    public Node GetNode(string name)
        => _nodes.Find(n => n.Name == name) ?? throw new ArgumentException($"no node named '{name}' (have: {string.Join(", ", _nodes.Select(n => n.Name))})", nameof(name));

    public bool TryGetNodeByIp(Ipv4Address ip, out Node? node)
    {
        node = _nodes.Find(n => n.NodeIp == ip);
        return node is not null;
    }

    /// <summary>
    /// Runs a frame on <paramref name="node"/>; when <paramref name="followTunnels"/>, every GENEVE frame
    /// it sends to another node of the cluster is run there too (up to 8 hops). Returns each node's verdict in order.
    /// </summary>
    public IReadOnlyList<(Node Node, PacketVerdict Verdict)> Process(Node node, uint inPort, ReadOnlySpan<byte> frame, IPacketSink? sink,
        long nowMs, Trace? trace = null, bool followTunnels = true)
    {
        ArgumentNullException.ThrowIfNull(node);
        var results = new List<(Node, PacketVerdict)>();
        var relay = new RelaySink(sink);
        results.Add((node, node.Process(inPort, frame, relay, nowMs, trace)));
        int hops = 0;
        while (followTunnels && relay.Pending.Count > 0 && hops++ < 8)
        {
            var (from, bytes) = relay.Pending.Dequeue();
            if (bytes.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(12)) != EtherTypes.IPv4)
                continue;
            var dst = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(30)));
            if (!TryGetNodeByIp(dst, out var next) || next is null || next == from)
                continue;
            var tunnel = next.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Tunnel);
            if (tunnel is null)
                continue;
            results.Add((next, next.Process(tunnel.OfPort, bytes, relay, nowMs, trace)));
        }
        return results;
    }

    private sealed class RelaySink(IPacketSink? inner) : IPacketSink
    {
        public Queue<(Node, byte[])> Pending { get; } = new();

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame)
        {
            inner?.Output(node, port, frame);
            if (port.Kind == PortKind.Tunnel)
                Pending.Enqueue((node, frame.ToArray()));
        }
    }
}
