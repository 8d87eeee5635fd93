using System.Buffers.Binary;
using System.Globalization;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine.Host;

/// <summary>
/// Whole nodes joined by the GENEVE underlay: each node is its bridge and its Linux host behind the gateway port.
/// A frame the bridge outputs on antrea-gw0 goes through the host stack; what the host routes back to antrea-gw0
/// re-enters the bridge on the gateway port; a GENEVE frame output on the tunnel port is relayed to the node whose
/// address is the outer destination, on its tunnel port (the engine's <see cref="Cluster"/> knows the nodes by
/// address; the encapsulation and decapsulation stay in <see cref="Node"/>). Frames on pod ports, on the tunnel
/// towards a node not emulated, and on host devices other than the gateway (the uplink) leave the cluster.
/// </summary>
/// <remarks>
/// Accounting: every frame in ends as outputs (copies, replies and errors included), drops (each with its node,
/// place and reason) or host deliveries. Loop guard: a frame's descendants may take at most <see cref="MaxHops"/>
/// bridge/host traversals in a row, and the whole walk <see cref="MaxHops"/> × 16; beyond, a counted
/// <c>hop-limit</c> drop. The walk is deterministic: the queue is FIFO, and <c>statistic --mode random</c>
/// draws from each host's seeded generator (<see cref="Reseed"/>).
/// Thread-safety: Inject runs one walk at a time per calling thread; nodes and hosts are safe for concurrent use.
/// </remarks>
public sealed class HostedCluster
{
    private readonly List<HostedNode> _nodes = [];

    /// <summary>Joins each node of <paramref name="cluster"/> to the host of the same name.</summary>
    /// <exception cref="ArgumentException">A node has no host, or no gateway port, or its host lacks the gateway interface.</exception>
    public HostedCluster(Cluster cluster, IEnumerable<HostStack> hosts)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(hosts);
        Cluster = cluster;
        var byName = hosts.ToDictionary(h => h.Name, StringComparer.Ordinal);
        foreach (var n in cluster.Nodes)
        {
            if (!byName.TryGetValue(n.Name, out var host))
                throw new ArgumentException($"node {n.Name} has no host stack", nameof(hosts));
            _nodes.Add(new HostedNode(n, host));
        }
    }

    /// <summary>Builds each node's host from its text description (<see cref="HostStack.Create"/>).</summary>
    public static HostedCluster Build(Cluster cluster, IEnumerable<HostStackConfig> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        return new HostedCluster(cluster, hosts.Select(HostStack.Create).ToList());
    }

    public Cluster Cluster { get; }
    public IReadOnlyList<HostedNode> Nodes => _nodes;
    /// <summary>The longest chain of bridge/host traversals one frame may cause.</summary>
    public int MaxHops { get; set; } = 32;

    public HostedNode GetNode(string name)
        => _nodes.Find(n => n.Name == name) ?? throw new ArgumentException($"no node named '{name}' (have: {string.Join(", ", _nodes.Select(n => n.Name))})", nameof(name));

    /// <summary>Restarts every host's <c>statistic --mode random</c> draws from <paramref name="seed"/> (node i gets seed + i).</summary>
    public void Reseed(ulong seed)
    {
        for (int i = 0; i < _nodes.Count; i++)
            _nodes[i].Host.Reseed(seed + (ulong)i);
    }

    /// <summary>
    /// Injects <paramref name="frame"/> on <paramref name="node"/> at <paramref name="port"/> — a bridge port
    /// (name or ofport number; GENEVE frames on the tunnel port) or a host device (<c>ens160</c>) — and follows it
    /// and everything it causes through bridges, hosts and tunnels.
    /// </summary>
    /// <param name="node">The node's name.</param>
    /// <param name="port">A bridge port name or ofport, or a host device name.</param>
    /// <param name="frame">The Ethernet frame (copied).</param>
    /// <param name="nowMs">The time for both conntracks, in milliseconds.</param>
    /// <param name="seed">When given, <see cref="Reseed"/> first, so the walk's random choices are reproducible.</param>
    /// <param name="trace">When non-null, every node's steps are recorded; its outputs become the cluster's outputs.</param>
    public HostedResult Inject(string node, string port, ReadOnlySpan<byte> frame, long nowMs, Trace? trace = null, ulong? seed = null)
    {
        var n = GetNode(node);
        ArgumentException.ThrowIfNullOrEmpty(port);
        if (seed is { } s)
            Reseed(s);
        Work first;
        if (n.Node.Bridge.TryGetPort(port, out var bp)
            || (uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out uint ofp) && n.Node.Bridge.TryGetPort(ofp, out bp)))
            first = new Work(n, ToHost: false, bp.Name, bp.OfPort, frame.ToArray(), 0);
        else if (n.Host.TryGetInterface(port, out var dev))
            first = new Work(n, ToHost: true, dev.Name, 0, frame.ToArray(), 0);
        else
            throw new ArgumentException($"node {node} has no bridge port or host device '{port}'", nameof(port));
        return Walk(first, nowMs, trace);
    }

    private readonly record struct Work(HostedNode Node, bool ToHost, string Port, uint OfPort, byte[] Frame, int Hop);

    private HostedResult Walk(Work first, long nowMs, Trace? trace)
    {
        var result = new HostedResult();
        var queue = new Queue<Work>();
        queue.Enqueue(first);
        var bridgeSink = new BridgeCollector();
        var hostSink = new HostCollector();
        int budget = MaxHops * 16;
        while (queue.TryDequeue(out var w))
        {
            if (w.Hop >= MaxHops || result.Hops >= budget)
            {
                result.Drops.Add(new HostedDrop(w.Node.Name, "cluster", "hop-limit"));
                trace?.Steps.Add(new TraceStep(w.Node.Name, HostTrace.Drop, 0) { Summary = $"drop: hop-limit ({MaxHops} traversals)" }.Add("reason", "hop-limit"));
                continue;
            }
            result.Hops++;
            if (w.ToHost)
                RunHost(w, nowMs, trace, hostSink, result, queue);
            else
                RunBridge(w, nowMs, trace, bridgeSink, result, queue);
        }
        if (trace is not null)
        {
            trace.Outputs.Clear();
            foreach (var o in result.Outputs)
                trace.Outputs.Add(new TraceOutput(o.Node, o.Port, o.OfPort, o.Frame));
        }
        return result;
    }

    private void RunBridge(Work w, long nowMs, Trace? trace, BridgeCollector sink, HostedResult result, Queue<Work> queue)
    {
        sink.Frames.Clear();
        var verdict = w.Node.Node.Process(w.OfPort, w.Frame, sink, nowMs, trace);
        if (verdict.Dropped)
        {
            string where = verdict.DropTable == DropCounters.NoTable ? w.Node.Node.Bridge.Name : $"{w.Node.Node.Bridge.Name} table {verdict.DropTable}";
            result.Drops.Add(new HostedDrop(w.Node.Name, where, DropReasonNames.Name(verdict.DropReason ?? DropReason.NoOutput)));
        }
        foreach (var (port, frame) in sink.Frames)
        {
            switch (port.Kind)
            {
                case PortKind.Gateway when port == w.Node.Gateway:
                    queue.Enqueue(new Work(w.Node, ToHost: true, w.Node.GatewayInterface.Name, 0, frame, w.Hop + 1));
                    break;
                case PortKind.Tunnel when TryFindPeer(w.Node, frame, out var peer):
                    result.Transits.Add(new HostedOutput(w.Node.Name, port.Name, port.OfPort, frame));
                    queue.Enqueue(new Work(peer, ToHost: false, peer.Tunnel!.Name, peer.Tunnel.OfPort, frame, w.Hop + 1));
                    break;
                default:
                    result.Outputs.Add(new HostedOutput(w.Node.Name, port.Name, port.OfPort, frame));
                    break;
            }
        }
    }

    private static void RunHost(Work w, long nowMs, Trace? trace, HostCollector sink, HostedResult result, Queue<Work> queue)
    {
        sink.Frames.Clear();
        var verdict = w.Node.Host.Receive(w.Port, w.Frame, sink, nowMs, trace);
        if (verdict.DropReason is { } r)
            result.Drops.Add(new HostedDrop(w.Node.Name, "host", DropReasonNames.Name(r)));
        if (verdict.GeneratedDropReason is { } g)
        {
            for (int i = 0; i < verdict.GeneratedDrops; i++)
                result.Drops.Add(new HostedDrop(w.Node.Name, "host (generated)", DropReasonNames.Name(g)));
        }
        if (verdict.Delivered)
            result.Delivered++;
        foreach (var (dev, frame) in sink.Frames)
        {
            if (dev == w.Node.GatewayInterface)
                queue.Enqueue(new Work(w.Node, ToHost: false, w.Node.Gateway.Name, w.Node.Gateway.OfPort, frame, w.Hop + 1));
            else
                result.Outputs.Add(new HostedOutput(w.Node.Name, dev.Name, 0, frame));
        }
    }

    /// <summary>The emulated node a GENEVE frame is addressed to (its outer IPv4 destination), other than the sender.</summary>
    private bool TryFindPeer(HostedNode from, byte[] frame, out HostedNode peer)
    {
        peer = null!;
        if (frame.Length < EthernetHeader.Length + Ipv4Header.MinLength
            || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != EtherTypes.IPv4)
            return false;
        var dst = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(EthernetHeader.Length + 16)));
        if (!Cluster.TryGetNodeByIp(dst, out var node) || node is null || node == from.Node)
            return false;
        var found = _nodes.Find(n => n.Node == node);
        if (found?.Tunnel is null)
            return false;
        peer = found;
        return true;
    }

    private sealed class BridgeCollector : IPacketSink
    {
        public List<(BridgePort Port, byte[] Frame)> Frames { get; } = [];

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Frames.Add((port, frame.ToArray()));
    }

    private sealed class HostCollector : IHostSink
    {
        public List<(HostInterface Device, byte[] Frame)> Frames { get; } = [];

        public void Transmit(HostStack host, HostInterface device, ReadOnlySpan<byte> frame) => Frames.Add((device, frame.ToArray()));
    }
}
