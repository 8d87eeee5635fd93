using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Datapath.Engine.Host;
using Datapath.Engine.Tracing;
using Datapath.Packets;

namespace Datapath.Engine;

// Journey
// =======
//
// What?
// -----
// The way of one frame beyond one bridge: from where it enters (a bridge port, a host device, the host's own
// stack, or an already decapsulated frame from an underlay socket) to where it ends (a port or device that
// leaves the emulation, a host delivery, a drop), across bridge -> host stack behind antrea-gw0 -> bridge ->
// tunnel -> peer node.  The packet walks of the seed articles (frontend on worker1 -> ClusterIP -> antrea-gw0 ->
// kube-proxy's DNAT -> GENEVE -> backend2 on worker2) are journeys; so are replay, trace, demo, the control
// server's trace and the live daemon's bridge<->host crossings.
//
// Design
// ------
// One FIFO queue of hops per thread (JourneyWalk).  A hop is one traversal: Node.Process on a bridge port or
// HostStack.Receive on the gateway device.  The journey is the sink of both: what a traversal sends either
// continues (bridge -> antrea-gw0 -> its host; host -> antrea-gw0 -> the bridge's gateway port; in cluster
// scope, bridge -> tunnel -> the peer whose underlay address, IPv4 or IPv6, is the outer destination) and is
// queued, or leaves and goes to the caller's IJourneySink.  The bridge and the host are never re-entered (each
// keeps per-thread state for the packet in flight): a continuing frame runs after the traversal that sent it
// has returned.  FIFO makes the order deterministic: a trace reads hop by hop, and `statistic --mode random`
// draws in the same order on every run.
// Scopes (JourneyScope): Bridge stops at the bridge's ports (ofproto/trace); Node adds the host (the tunnel
// port is the uplink, an exit); Cluster follows GENEVE frames to the peer.  A node without a host has
// antrea-gw0 as an exit.
// Nodes without a bridge (Calico): the node is its host.  A hop is HostStack.Receive on any of its devices (a
// pod's cali veth, the uplink) or SendLocal; its VXLAN device encapsulates inside the host, so what reaches the
// journey is the outer frame on the uplink, and in cluster scope a frame a bridge-less host transmits on a device
// whose IPv4 destination is another bridge-less node's underlay address continues into that host on the device
// holding the address (where the peer's vxlan.calico decapsulates it): host -> underlay -> host.  What it
// transmits on any other device (a cali veth: the pod) leaves.
// A trace attached is the same journey: bridges and hosts record their steps into it; its outputs are the
// journey's exits only (the frames Node.Process recorded on antrea-gw0 and on a tunnel towards a followed
// peer are taken out again), and a hop-limit drop is a step and a drop like any other.
//
// Hop budget
// ----------
// MaxHops = 32 traversals per frame entered, the frame and everything it causes together (OVS bounds the
// work of one translation the same way with MAX_RESUBMITS, not only its depth).  The longest journey the
// Antrea pipeline makes is a frame crossing both nodes' hosts, bridge -> host -> bridge -> tunnel -> bridge ->
// host -> bridge (7), and an ICMP error about it may take as many back (14); 32 leaves more than twice that.
// TTL ends an IPv4 routing loop through the host only after 64 host traversals (128 hops), and ARP, frames
// the bridge does not dec_ttl, or a flood between hosts never end by TTL: the budget ends them after bounded
// work.  When it is spent, each frame still queued is one counted drop `hop-limit` (DropReason.HopLimit,
// place JourneyDropPlace.Journey, Journey.HopLimitDrops) — a loop, whose queue holds one frame, ends in one.
//
// Copies
// ------
// Node.Process and HostStack.Receive copy their input into per-thread buffers and hand outputs to the sink as
// spans valid only during the call.  A frame that leaves is given to the caller's sink as that span (replay
// writes it to its pcap, the live daemon to its port) — never copied.  A frame that continues is copied once
// into a buffer rented from ArrayPool<byte>.Shared and returned when its hop is done.  The first hop runs on
// the caller's span.
//
// Invariants
// ----------
//  - Every frame in ends as outputs, host deliveries and drops, at least one (JourneyResult.Events >= 1); each
//    drop is counted once where it happens (Bridge.Drops, HostStack's drops, HopLimitDrops) and reported once
//    to the sink with its node, place and reason.
//  - At most MaxHops traversals per frame entered.
//  - Every rented buffer is returned when its hop ends, or when the walk unwinds from an exception.
//
// Thread-safety
// -------------
// Construction and Reseed: single-threaded, before traffic.  Run*/Inject: any thread, any number of threads
// (one JourneyWalk per thread; nodes and hosts are safe for concurrent use); a sink must not start another
// journey from its callbacks on the same thread (InvalidOperationException).  HopLimitDrops: any thread.
//
// Cost
// ----
// Per hop: the traversal's own cost, plus for a continuing frame one rent, one copy and one enqueue; a peer
// lookup is one dictionary probe keyed by the outer destination address.  Without a trace, the steady state
// allocates nothing: the queue and the pool's buffers are reused, exits and drops are structs passed by
// reference.  What still allocates: a trace (its steps and the copies of frames that leave a host), the
// ArrayPool's first rent per size on a thread, the host's generated replies (HostStack builds them as
// arrays), and a JourneyDrop's Where text when a caller asks for it.
public sealed class Journey : IDisposable
{
    /// <summary>
    /// Bridge/host traversals one frame and everything it causes may take: more than twice the longest
    /// legitimate journey of the Antrea pipeline (see the essay above); beyond, a counted <c>hop-limit</c> drop.
    /// </summary>
    public const int MaxHops = 32;

    private readonly List<JourneyNode> _nodes = [];
    private readonly Dictionary<uint, JourneyNode> _byIpv4 = [];
    private readonly Dictionary<UInt128, JourneyNode> _byIpv6 = [];
    private readonly ThreadLocal<JourneyWalk> _walks;
    private long _hopLimitDrops;

    // ---- Construction: single-threaded.

    /// <summary>
    /// Joins each node of <paramref name="cluster"/> to the host of the same name, if any; a host that names no
    /// node of the cluster is a node without a bridge (a Calico node), reached on the underlay at the addresses of
    /// its Ethernet devices.
    /// </summary>
    /// <exception cref="ArgumentException">A node with a host has no gateway port or the host lacks its interface.</exception>
    public Journey(Cluster cluster, IEnumerable<HostStack> hosts, JourneyScope scope)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(hosts);
        Cluster = cluster;
        Scope = scope;
        var hostList = hosts.ToList();
        var byName = hostList.ToDictionary(h => h.Name, StringComparer.Ordinal);
        foreach (var n in cluster.Nodes)
        {
            var jn = new JourneyNode(n, byName.Remove(n.Name, out var host) ? host : null);
            _nodes.Add(jn);
            _byIpv4.TryAdd(n.NodeIp.Value, jn);
            if (n.NodeIp6.Value != 0)
                _byIpv6.TryAdd(n.NodeIp6.Value, jn);
        }
        foreach (var host in hostList)
        {
            if (!byName.ContainsKey(host.Name))
                continue;
            var jn = new JourneyNode(host);
            _nodes.Add(jn);
            foreach (var i in host.Interfaces)
            {
                if (i.Kind == HostInterfaceKind.Ethernet && i.HasAddress)
                    _byIpv4.TryAdd(i.Address.Value, jn);
            }
        }
        _walks = new ThreadLocal<JourneyWalk>(() => new JourneyWalk(this));
    }

    /// <summary>Builds each host from its text description (<see cref="HostStack.Create"/>).</summary>
    public static Journey Build(Cluster cluster, IEnumerable<HostStackConfig> hosts, JourneyScope scope)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        return new Journey(cluster, hosts.Select(HostStack.Create).ToList(), scope);
    }

    public Cluster Cluster { get; }
    public JourneyScope Scope { get; }
    public IReadOnlyList<JourneyNode> Nodes => _nodes;
    /// <summary>Frames ended by the hop budget since construction.</summary>
    public long HopLimitDrops => Volatile.Read(ref _hopLimitDrops);

    public JourneyNode GetNode(string name)
        => _nodes.Find(n => n.Name == name) ?? throw new ArgumentException($"no node named '{name}' (have: {string.Join(", ", _nodes.Select(n => n.Name))})", nameof(name));

    /// <summary>Restarts every host's <c>statistic --mode random</c> draws from <paramref name="seed"/> (node i gets seed + i).</summary>
    public void Reseed(ulong seed)
    {
        for (int i = 0; i < _nodes.Count; i++)
            _nodes[i].Host?.Reseed(seed + (ulong)i);
    }

    /// <summary>Releases the per-thread walks (not the nodes or hosts: their owners dispose them).</summary>
    public void Dispose() => _walks.Dispose();

    // ---- Journeys: any thread.

    /// <summary>A frame received on bridge port <paramref name="inPort"/> of <paramref name="node"/> (GENEVE frames on the tunnel port).</summary>
    /// <param name="node">Where the frame enters.</param>
    /// <param name="inPort">The bridge port (ofport) it enters on.</param>
    /// <param name="frame">The Ethernet frame; not modified, not kept.</param>
    /// <param name="sink">Receives exits, transits, deliveries and drops as they happen; null to only count.</param>
    /// <param name="nowMs">The time for every conntrack on the way, in milliseconds.</param>
    /// <param name="trace">When non-null, every node's and host's steps are recorded; its outputs are the journey's exits.</param>
    public JourneyResult Run(JourneyNode node, uint inPort, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var walk = Begin(sink, nowMs, trace);
        try
        {
            walk.Bridge(node, inPort, frame, in Unsafe.NullRef<FlowKey>());
            return walk.Drain();
        }
        finally
        {
            walk.End();
        }
    }

    /// <summary>
    /// Prepares a batch of frames entering <paramref name="node"/> on its bridge ports (<see cref="Node.Prepare{TBatch}"/>:
    /// keys, first lookups, conntrack prefetch); then run frame i of it with <see cref="RunPrepared"/>, in order, before the
    /// next Prepare on this thread. Returns the frames prepared (0: run them with <see cref="Run"/>).
    /// </summary>
    public int Prepare<TBatch>(JourneyNode node, ref TBatch batch) where TBatch : IFrameBatch, allows ref struct
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Node is { } bridged ? bridged.Prepare(ref batch) : 0;
    }

    /// <summary><see cref="Run"/> for frame <paramref name="prepared"/> of the batch the last <see cref="Prepare{TBatch}"/> on this thread prepared: the same result.</summary>
    public JourneyResult RunPrepared(JourneyNode node, int prepared, uint inPort, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(node);
        var walk = Begin(sink, nowMs, null);
        try
        {
            walk.Bridge(node, inPort, frame, in Unsafe.NullRef<FlowKey>(), prepared);
            return walk.Drain();
        }
        finally
        {
            walk.End();
        }
    }

    /// <summary>
    /// An inner frame already decapsulated on the tunnel port <paramref name="inPort"/> with these tunnel fields
    /// (the live daemon's underlay socket; <c>ofproto/trace in_port=TUNNEL,tun_src=...</c>).
    /// </summary>
    public JourneyResult RunDecapsulated(JourneyNode node, uint inPort, ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var walk = Begin(sink, nowMs, trace);
        try
        {
            walk.Bridge(node, inPort, innerFrame, in tunnelFields);
            return walk.Drain();
        }
        finally
        {
            walk.End();
        }
    }

    /// <summary>A frame received on a device of the node's host (<c>ens160</c>, or antrea-gw0 as if OVS had output it).</summary>
    /// <exception cref="InvalidOperationException">The node has no host.</exception>
    public JourneyResult RunHost(JourneyNode node, HostInterface device, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        return RunHostCore(node, device, frame, sink, nowMs, trace);
    }

    /// <summary>A packet the node's host originates (ip_local_out, e.g. `ctl ping`): its L2 header is rewritten by the host.</summary>
    /// <exception cref="InvalidOperationException">The node has no host.</exception>
    public JourneyResult RunLocal(JourneyNode node, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs, Trace? trace = null)
        => RunHostCore(node, null, frame, sink, nowMs, trace);

    /// <summary>
    /// <c>ofproto/trace</c>-style flow text (<c>in_port=49,tcp,nw_src=...,tp_dst=80,tcp_flags=syn</c>): the frame built
    /// from it enters on the flow's in_port; on the tunnel port its tun_* fields are the decapsulated metadata.
    /// </summary>
    /// <exception cref="Packets.InputException">The text does not parse (column given).</exception>
    public JourneyResult RunFlow(JourneyNode node, string flowText, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        var bridge = node.Bridged.Bridge;
        var key = FlowText.ParseKey(flowText, bridge, out _);
        byte[] frame = FlowText.BuildFrame(in key);
        return bridge.TryGetPort(key.InPort, out var port) && port.Kind == PortKind.Tunnel
            ? RunDecapsulated(node, key.InPort, frame, in key, sink, nowMs, trace)
            : Run(node, key.InPort, frame, sink, nowMs, trace);
    }

    /// <summary>
    /// A frame entering <paramref name="node"/> at <paramref name="port"/>: a bridge port by name or ofport, else a
    /// host device by name.
    /// </summary>
    /// <exception cref="ArgumentException">No such node, or it has no such port or host device.</exception>
    public JourneyResult Inject(string node, string port, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        var n = GetNode(node);
        ArgumentException.ThrowIfNullOrEmpty(port);
        var bridge = n.Node?.Bridge;
        if (bridge is not null && (bridge.TryGetPort(port, out var bp)
            || (uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out uint ofport) && bridge.TryGetPort(ofport, out bp))))
            return Run(n, bp.OfPort, frame, sink, nowMs, trace);
        if (n.Host is { } host && host.TryGetInterface(port, out var device))
            return RunHost(n, device, frame, sink, nowMs, trace);
        throw new ArgumentException($"node {node} has no {(bridge is null ? "" : "bridge port or ")}host device '{port}'", nameof(port));
    }

    /// <summary>
    /// The neighbour timers of <paramref name="node"/>'s host due by <paramref name="nowMs"/> (ARP retransmissions,
    /// FAILED neighbours and the ICMP errors for what waited, entries ageing): a journey with no frame in, whose ARP
    /// requests and errors travel like any host transmission. Hosts also run their due timers whenever they handle a
    /// frame; this runs them when no frame comes (the live daemon's tick, the end of a replay).
    /// </summary>
    /// <exception cref="InvalidOperationException">The node has no host.</exception>
    public JourneyResult RunTimers(JourneyNode node, IJourneySink? sink, long nowMs, Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Host is null)
            throw new InvalidOperationException($"node {node.Name} has no host stack");
        var walk = Begin(sink, nowMs, trace);
        try
        {
            walk.HostTimers(node);
            return walk.Drain();
        }
        finally
        {
            walk.End();
        }
    }

    /// <summary>The earliest neighbour timer of any host (<see cref="long.MaxValue"/>: none).</summary>
    public long NextTimerMs
    {
        get
        {
            long next = long.MaxValue;
            foreach (var n in _nodes)
            {
                if (n.Host is { } h && h.Neighbors.NextTimerMs < next)
                    next = h.Neighbors.NextTimerMs;
            }
            return next;
        }
    }

    /// <summary>Frames the hosts hold for neighbours being resolved.</summary>
    public int WaitingFrames
    {
        get
        {
            int waiting = 0;
            foreach (var n in _nodes)
                waiting += n.Host?.Neighbors.QueuedFrames ?? 0;
            return waiting;
        }
    }

    /// <summary>
    /// Runs every host timer due by <paramref name="nowMs"/>, each at its due time, in time order (a replay calls it
    /// before a frame of time <paramref name="nowMs"/>); <paramref name="done"/> gets each timer journey's time and result.
    /// </summary>
    public void RunTimersUntil(long nowMs, IJourneySink? sink, Action<long, JourneyResult> done)
    {
        ArgumentNullException.ThrowIfNull(done);
        for (int round = 0; round < 4096; round++)
        {
            long due = NextTimerMs;
            if (due > nowMs)
                return;
            foreach (var n in _nodes)
            {
                if (n.Host is { } h && h.Neighbors.NextTimerMs <= due)
                    done(due, RunTimers(n, sink, due));
            }
        }
    }

    /// <summary>
    /// Runs the hosts' timers on, each at its due time and in time order, until no frame waits for a neighbour: every
    /// pending resolution ends (answered, or FAILED after its requests with ICMP host unreachable to the senders), as it
    /// would on the nodes after the last frame. <paramref name="atTime"/> is told each time before its timers run (a
    /// replay stamps what they send with it). Returns the sum of the timer journeys.
    /// </summary>
    public JourneyResult Settle(IJourneySink? sink, Trace? trace = null, Action<long>? atTime = null)
    {
        int outputs = 0, drops = 0, delivered = 0, transits = 0, hops = 0, queued = 0;
        for (int round = 0; round < 4096 && WaitingFrames > 0; round++)
        {
            long due = NextTimerMs;
            if (due == long.MaxValue)
                break;
            atTime?.Invoke(due);
            foreach (var n in _nodes)
            {
                if (n.Host is not { } h || h.Neighbors.NextTimerMs > due)
                    continue;
                var r = RunTimers(n, sink, due, trace);
                outputs += r.Outputs;
                drops += r.Drops;
                delivered += r.Delivered;
                transits += r.Transits;
                hops += r.Hops;
                queued += r.Queued;
            }
        }
        return new JourneyResult(outputs, drops, delivered, transits, hops, queued);
    }

    private JourneyResult RunHostCore(JourneyNode node, HostInterface? device, ReadOnlySpan<byte> frame, IJourneySink? sink, long nowMs, Trace? trace)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Host is null)
            throw new InvalidOperationException($"node {node.Name} has no host stack");
        var walk = Begin(sink, nowMs, trace);
        try
        {
            walk.Host(node, device, frame);
            return walk.Drain();
        }
        finally
        {
            walk.End();
        }
    }

    private JourneyWalk Begin(IJourneySink? sink, long nowMs, Trace? trace)
    {
        var walk = _walks.Value!;
        walk.Begin(sink, nowMs, trace);
        return walk;
    }

    // ---- For the walks.

    internal void CountHopLimit() => Interlocked.Increment(ref _hopLimitDrops);

    /// <summary>
    /// The followed node a GENEVE frame <paramref name="from"/> sent is addressed to: its outer IPv4 or IPv6
    /// destination is that node's underlay address (and it has a tunnel port). Never the sender.
    /// </summary>
    internal bool TryFindPeer(JourneyNode from, ReadOnlySpan<byte> frame, out JourneyNode peer)
    {
        const int EtherTypeOffset = 12, Ipv4DestinationOffset = EthernetHeader.Length + 16, Ipv6DestinationOffset = EthernetHeader.Length + 24;
        peer = null!;
        if (frame.Length < EthernetHeader.Length)
            return false;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[EtherTypeOffset..]);
        bool found = etherType switch
        {
            EtherTypes.IPv4 => frame.Length >= EthernetHeader.Length + Ipv4Header.MinLength
                && _byIpv4.TryGetValue(BinaryPrimitives.ReadUInt32BigEndian(frame[Ipv4DestinationOffset..]), out peer!),
            EtherTypes.IPv6 => frame.Length >= Ipv6DestinationOffset + Ipv6Address.Length
                && _byIpv6.TryGetValue(BinaryPrimitives.ReadUInt128BigEndian(frame[Ipv6DestinationOffset..]), out peer!),
            _ => false,
        };
        return found && peer != from && peer.Tunnel is not null;
    }

    /// <summary>
    /// The bridge-less node a frame <paramref name="from"/>'s host transmitted is addressed to (its IPv4 destination
    /// is one of that node's underlay addresses), and the device holding the address. Never the sender.
    /// </summary>
    internal bool TryFindHostPeer(JourneyNode from, ReadOnlySpan<byte> frame, out JourneyNode peer, out HostInterface device)
    {
        const int EtherTypeOffset = 12, Ipv4DestinationOffset = EthernetHeader.Length + 16;
        peer = null!;
        device = null!;
        if (frame.Length < EthernetHeader.Length + Ipv4Header.MinLength || BinaryPrimitives.ReadUInt16BigEndian(frame[EtherTypeOffset..]) != EtherTypes.IPv4)
            return false;
        uint dst = BinaryPrimitives.ReadUInt32BigEndian(frame[Ipv4DestinationOffset..]);
        if (!_byIpv4.TryGetValue(dst, out peer!) || peer == from || peer.Node is not null)
            return false;
        foreach (var i in peer.Host!.Interfaces)
        {
            if (i.Kind == HostInterfaceKind.Ethernet && i.Address.Value == dst)
            {
                device = i;
                return true;
            }
        }
        return false;
    }
}
