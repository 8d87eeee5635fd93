using System.Buffers.Binary;
using System.Net.Sockets;
using Datapath.Classifier;
using Datapath.Engine;
using Datapath.Engine.Host;
using Datapath.Geneve;
using Datapath.Io.Live;
using Datapath.Io.Underlay;
using Datapath.Packets;

namespace Datapath.Live;

// Live node
// =========
//
// What?
// -----
// One emulated node running on real traffic: the engine's Node (bridge, conntrack) with its pod
// ports bound to live ports (TAP, AF_PACKET, libpcap) and its tunnel port bound to a UDP socket
// carrying GENEVE to the other nodes' sockets; or a node without a bridge (a Calico node, whose
// host is the whole node) with its pods' cali veths bound to live ports and its vxlan.calico
// underlay carried by a UDP socket.  Either may bind its host's own stack (the node's local
// processes) to a TAP in the node's namespace.  This is `datapath run`'s data plane.
//
// Design
// ------
// One LiveReceiveLoop thread per queue of each bound port and one thread for the underlay socket.
// A port has one queue, or with `run --workers N` N of them: a multi-queue TAP's queues
// (IFF_MULTI_QUEUE) or N AF_PACKET sockets in one PACKET_FANOUT_HASH group. Either way the kernel
// spreads the port's frames over the queues by a symmetric flow hash (both directions of a
// connection meet on one queue; the frames of one flow stay in order), as OVS's PMD threads each
// poll their own receive queues; pcap ports keep one reader. Each loop hands
// every frame to the engine's Journey (scope: this node — its bridge and the host behind
// antrea-gw0) on its own thread (the engine keeps one translation context and one journey walk per
// thread; conntrack and rule counters are shared and thread-safe).  The LiveNode is the
// IJourneySink of every journey, so the frames that leave go straight out:
//   - to a bound port: queued in the receiving thread's per-port transmit batch and sent with one
//     SendBatch (sendmmsg on AF_PACKET) on the port's queue of the loop's index when the received
//     batch is done, in order; outside a
//     receive loop (the underlay thread) ILivePort.Send at once (any thread may send while another receives);
//   - to the tunnel port: the engine hands us the whole outer frame (Ethernet/IPv4/UDP/GENEVE, as
//     it would leave the uplink); we send its UDP payload to the underlay address of the node
//     whose IP is the outer destination, and the kernel adds its own outer headers;
//   - the gateway port when no live port serves it is no exit: the journey takes the frame to the
//     node's HostStack (the Linux host behind antrea-gw0: ARP and ICMP for 10.222.X.1, routing,
//     kube-proxy's iptables DNAT), whose transmissions on antrea-gw0 enter the bridge again — the
//     journey's queue, copies and hop budget (Journey.MaxHops, counted as Journey.HopLimitDrops).
//     Without a host stack, gateway outputs are counted (GatewayUnhandled);
//   - to a host device other than antrea-gw0 (the uplink, not bound in a live lab): counted (HostUplink);
//   - to any other unbound port: counted (Unbound).
// HostPing (`ctl ping`) is the node itself pinging: the host stack originates echo requests
// (Journey.RunLocal) on the calling thread, they cross into the bridge like any host transmission,
// and the echo replies the host delivers to itself are matched (HostPingState).
// A datagram from the underlay is mapped back from the sender's underlay address to its node IP
// (tun_src), decapsulated against the bridge's TLV map, and its inner frame processed on the
// tunnel port with those tunnel fields (Journey.RunDecapsulated) — what the tunnel port would
// have done with the outer frame, without rebuilding it.
// A node without a bridge: a frame from a cali veth's TAP is received by the host on that device
// (Journey.RunHost); what the host transmits on a bound device goes out of its TAP.  The host's
// vxlan.calico encapsulates inside the host (HostStack.Vxlan.cs) and its outer packet leaves on the
// uplink: the daemon sends its UDP payload (the VXLAN header and the inner frame, as RFC 7348 and
// Linux put them) to the underlay address of the node whose IP is the outer destination.  A
// datagram from the underlay gets its outer IPv4/UDP headers back (the peer's node IP to this node's,
// UDP to the VXLAN device's port; GeneveOuterFrame.TryWrap) and is received on the uplink: the
// host's PREROUTING and INPUT see the underlay packet (Calico's cali-INPUT admits VXLAN from the
// cluster's nodes) and its VXLAN socket decapsulates it, as the kernel's would.  No second walker:
// the daemon only moves bytes between sockets and the engine's journey.
// The node's own stack (the `local` binding, a TAP in the node's namespace): an IPv4 frame from it is
// a packet the node's processes send (Journey.RunLocal: ip_local_out, OUTPUT, DNAT, re-routing,
// POSTROUTING/MASQUERADE); an ARP request from it is answered from LocalMac (the namespace routes
// through one on-link next hop); what INPUT delivers to the host's sockets (IJourneySink.DeliverLocal:
// NAT undone, VXLAN's inner packet) is written to the TAP, addressed to the namespace's MAC, except
// the ICMP echo requests the host answers itself (the namespace would answer a second time).
//
// Invariants
// ----------
//  - _bound[ofport] is the binding of bridge port ofport, _byIfIndex[ifindex] the binding of host
//    device ifindex, or null; never change after Open.
//  - Every frame received becomes outputs, host deliveries or counted drops (the bridge's, the
//    host's, the journey's, or LiveCounters' for the underlay edge); nothing is thrown into a loop thread.
//  - Stop stops every loop before disposing the ports and the socket (ILivePort's rule).
//
// Thread-safety
// -------------
// Open/Start/Stop: one thread (the daemon's).  Output: any thread.  Counters: any thread.
//
// Cost
// ----
// Per frame: the journey (Node.Process, and the host's traversals with one pooled copy each) plus
// one send system call; the sink allocates nothing (array index for ports, dictionary lookups keyed
// by uint for peers).  Threads: ports × workers + 1, + 1 for the host's neighbour timers.
internal sealed class LiveNode : IJourneySink, IDisposable
{
    [ThreadStatic]
    private static TransmitBatches? t_transmit;

    private readonly JourneyNode _here;
    private readonly BridgePort? _gateway;
    private readonly BoundPort?[] _bound;
    private readonly BoundPort?[] _byIfIndex;
    private readonly List<BoundPort> _ports;
    private readonly BoundPort? _local;
    private readonly HostInterface? _uplink;
    private readonly VxlanDevice? _vxlan;
    private readonly IReadOnlyDictionary<uint, MacAddress> _peerMacs;
    private readonly byte[]? _underlayFrame;
    private long _localMac;
    private readonly UdpGeneveUnderlay? _underlay;
    private readonly Dictionary<uint, Ipv4Address> _underlayByNodeIp;
    private readonly Dictionary<uint, uint> _nodeIpByUnderlay;
    private readonly uint _tunnelOfPort;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private Thread? _underlayThread;
    private Thread? _timerThread;
    private bool _stopped;
    private HostPingState? _ping;

    private LiveNode(Node? node, LabNode lab, List<BoundPort> ports, BoundPort? local, UdpGeneveUnderlay? underlay,
        Dictionary<uint, Ipv4Address> underlayByNodeIp, IReadOnlyDictionary<uint, MacAddress> peerMacs, HostStack? host, Action<string> log)
    {
        Node = node;
        Host = host;
        Lab = lab;
        _ports = ports;
        _local = local;
        _underlay = underlay;
        _underlayByNodeIp = underlayByNodeIp;
        _nodeIpByUnderlay = underlayByNodeIp.ToDictionary(kv => kv.Value.Value, kv => kv.Key);
        _peerMacs = peerMacs;
        _log = log;
        for (int i = 0; i < ports.Count; i++)
            ports[i].Slot = i;
        if (local is not null)
            local.Slot = ports.Count;
        _localMac = (long)(local?.Binding.Mac is { } m ? MacAddress.Parse(m).Value : MacAddress.Broadcast.Value);
        uint max = node?.Bridge.Ports.Select(p => p.OfPort).DefaultIfEmpty(0u).Max() ?? 0;
        _bound = new BoundPort?[max + 1];
        _byIfIndex = new BoundPort?[(host?.Interfaces.Count ?? 0) + 2];
        foreach (var b in ports)
        {
            if (b.BridgePort is { } bp)
                _bound[bp.OfPort] = b;
            else if (b.Device is { } d)
                _byIfIndex[d.Index] = b;
        }
        if (node is not null)
        {
            // dump-flows' duration and idle_age on the wall clock: the rules loaded at start exist from now,
            // and each flow-mod through the control socket is stamped when it runs.
            StartedMs = node.Conntrack.NowMs();
            node.Bridge.Tables.ClockMs = node.Conntrack.NowMs;
            node.Bridge.Tables.StartMs = StartedMs; // the loaded rules' timeouts count from the start
            _tunnelOfPort = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Tunnel)?.OfPort ?? 0;
            _gateway = node.Bridge.Ports.FirstOrDefault(p => p.Kind == PortKind.Gateway);
            if (_gateway is not null && _bound[_gateway.OfPort] is not null)
                Host = null; // the gateway is bound to a live port: a real host answers there
            Journey = new Journey(new Cluster([node]), Host is null ? [] : [Host], JourneyScope.Node);
        }
        else
        {
            var h = host ?? throw new ArgumentException($"node {lab.Name} has neither a bridge nor a host", nameof(host));
            StartedMs = h.Conntrack.NowMs();
            // The uplink is where vxlan.calico's outer packets leave and the underlay's datagrams arrive: the Ethernet
            // device holding the VXLAN device's `local` address.
            _vxlan = h.Interfaces.Select(i => i.Vxlan).FirstOrDefault(v => v is not null);
            _uplink = h.Interfaces.FirstOrDefault(i => i.Kind == HostInterfaceKind.Ethernet && _vxlan is not null && i.Address == _vxlan.Local)
                ?? h.Interfaces.FirstOrDefault(i => i.Kind == HostInterfaceKind.Ethernet && i.HasAddress);
            if (underlay is not null)
                _underlayFrame = GC.AllocateUninitializedArray<byte>(GeneveOuterFrame.Ipv4HeadersLength + 65536);
            Journey = new Journey(new Cluster([]), [h], JourneyScope.Node);
        }
        _here = Journey.Nodes[0];
    }

    /// <summary>This node's journey: its bridge and the host behind antrea-gw0; the tunnel port is the uplink.</summary>
    public Journey Journey { get; }

    /// <summary>The host stack behind the gateway port (or, without a bridge, the whole node), or null.</summary>
    public HostStack? Host { get; }

    /// <summary>The node's bridge, or null for a node without one (a Calico node: its host is the whole node).</summary>
    public Node? Node { get; }

    /// <summary>The node's name.</summary>
    public string Name => Lab.Name;

    /// <summary>The bridge, for commands that need one.</summary>
    /// <exception cref="InvalidOperationException">The node has no bridge.</exception>
    public Node Bridged => Node ?? throw new InvalidOperationException(
        $"node {Name} has no bridge (a Calico node: its host is the whole node); ask its host: iptables, iptables-save, conntrack -L, ip neigh, stats");

    /// <summary>When the daemon started the node, on the clock its frames carry (conntrack's NowMs).</summary>
    public long StartedMs { get; }

    /// <summary>Now, on that clock (the bridge's conntrack, or the host's on a node without a bridge: one wall clock).</summary>
    public long NowMs() => Node?.Conntrack.NowMs() ?? Host!.Conntrack.NowMs();

    /// <summary>The clock dump-flows measures duration and idle_age on: from the start to now.</summary>
    public FlowStatsClock StatsClock => new(StartedMs, NowMs());

    public LabNode Lab { get; }

    public LiveCounters Counters { get; } = new();

    /// <summary>The bound bridge ports and host devices.</summary>
    public IReadOnlyList<BoundPort> Ports => _ports;

    /// <summary>The node's own stack bound to a TAP (<c>local:</c>), or null.</summary>
    public BoundPort? Local => _local;

    /// <summary>The namespace side's MAC of the local binding: the frames the host delivers there are addressed to it.</summary>
    public MacAddress LocalPeerMac => new((ulong)Volatile.Read(ref _localMac));

    /// <summary>
    /// The MAC the node's stack answers with on the local binding (the next hop of the node's namespace): a locally
    /// administered address made from the node's name, stable across runs.
    /// </summary>
    public MacAddress LocalMac { get; private init; }

    public UdpGeneveUnderlay? Underlay => _underlay;

    /// <summary>Peer node IP → underlay address.</summary>
    public IReadOnlyDictionary<uint, Ipv4Address> Peers => _underlayByNodeIp;

    // ---- Construction and lifetime: the daemon's thread.

    /// <summary>
    /// Opens the live ports, the local binding and the underlay socket of <paramref name="lab"/> for <paramref name="node"/>
    /// (its bridge ports), or, for a node without a bridge (<paramref name="node"/> null), for <paramref name="host"/>'s
    /// devices. On failure everything opened so far is closed and the exception propagates
    /// (<see cref="LiveIoException"/> for a port, <see cref="SocketException"/> for the underlay).
    /// <paramref name="workers"/>: queues per TAP or afpacket port (<c>run --workers</c>); pcap ports and the local binding have one.
    /// </summary>
    public static LiveNode Open(Node? node, LabNode lab, Dictionary<uint, Ipv4Address> underlayByNodeIp, HostStack? host, Action<string> log, int workers = 1,
        IReadOnlyDictionary<uint, MacAddress>? peerMacs = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        var opened = new List<BoundPort>();
        var queues = new List<ILivePort>();
        BoundPort? local = null;
        UdpGeneveUnderlay? underlay = null;
        try
        {
            foreach (var b in lab.Ports)
            {
                OpenQueues(b, workers, queues, mac: null);
                opened.Add(node is not null
                    ? new BoundPort(node.Bridge.GetPort(b.Port), queues, b)
                    : new BoundPort(BoundPortKind.HostDevice, null, host!.TryGetInterface(b.Port, out var device) ? device : throw new ArgumentException($"host {host.Name} has no device {b.Port}"), queues, b));
                queues = [];
            }
            if (lab.Local is { } lb)
            {
                OpenQueues(lb, 1, queues, lb.Mac is { } m ? MacAddress.Parse(m) : null); // the namespace side's MAC
                local = new BoundPort(BoundPortKind.Local, null, null, queues, lb);
                queues = [];
            }
            if (lab.Underlay is { } ep)
                underlay = new UdpGeneveUnderlay(ep, remotePort: ep.Port);
            return new LiveNode(node, lab, opened, local, underlay, underlayByNodeIp, peerMacs ?? new Dictionary<uint, MacAddress>(), host, log)
            {
                LocalMac = LocalMacOf(lab.Name),
            };
        }
        catch
        {
            for (int i = queues.Count - 1; i >= 0; i--)
                queues[i].Dispose();
            foreach (var b in opened)
                b.DisposeQueues();
            local?.DisposeQueues();
            underlay?.Dispose();
            throw;
        }
    }

    /// <summary>Opens binding <paramref name="b"/>'s live port and its extra queues into <paramref name="queues"/>.</summary>
    private static void OpenQueues(LabPortBinding b, int workers, List<ILivePort> queues, MacAddress? mac)
    {
        switch (b.Kind)
        {
            case LabPortKind.Tap:
                var tap = TapPort.Open(new TapPortOptions
                {
                    Name = b.Interface,
                    Mtu = b.Mtu,
                    BringUp = true,
                    MultiQueue = workers > 1,
                    MacAddress = mac,
                });
                queues.Add(tap);
                for (int q = 1; q < workers; q++)
                    queues.Add(tap.AttachQueue());
                break;
            case LabPortKind.AfPacket:
                var first = OpenAfPacket(b, workers > 1, fanoutId: null);
                queues.Add(first);
                for (int q = 1; q < workers; q++)
                    queues.Add(OpenAfPacket(b, fanout: true, first.FanoutId));
                break;
            default:
                queues.Add(PcapPort.Open(b.Interface, new PcapPortOptions { Filter = b.Filter })); // libpcap has no fanout: one reader whatever the workers
                break;
        }
    }

    /// <summary>The local binding's MAC on the node's side: locally administered (02:), the rest a hash of the node's name.</summary>
    internal static MacAddress LocalMacOf(string node)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in node)
            h = (h ^ c) * 0x100000001b3UL;
        return new MacAddress(0x0200_0000_0000UL | (h & 0x00FF_FFFF_FFFFUL));
    }

    /// <summary>
    /// The receive ring of an afpacket port without a <c>ring:</c> key (docs/live-io.md, "PACKET_MMAP rings"):
    /// TPACKET_V2, which hands each frame over as soon as it is written, with a TPACKET_V2 transmit ring and
    /// qdisc bypass; 8192 frame slots (16 MiB) so a burst survives the thread being descheduled.
    /// (TPACKET_V3 holds a partly filled block until its retire timer, a jiffy or more: 4 ms at HZ=250.)
    /// </summary>
    public const AfPacketRxRing DefaultRing = AfPacketRxRing.V2;

    private static AfPacketPort OpenAfPacket(LabPortBinding b, bool fanout, ushort? fanoutId)
    {
        var ring = b.Ring ?? DefaultRing;
        return AfPacketPort.Open(b.Interface, new AfPacketPortOptions
        {
            RxRing = ring,
            RxFrameCount = 8192,
            TxRing = ring != AfPacketRxRing.None,
            QdiscBypass = ring != AfPacketRxRing.None,
            Fanout = fanout,
            FanoutId = fanoutId,
            Filter = b.Filter,
        });
    }

    /// <summary>Starts one receive loop per port queue (Workers per TAP or afpacket port), the local binding's, and the underlay thread.</summary>
    public void Start()
    {
        int slots = _ports.Count + 1;
        foreach (var b in _local is null ? _ports : [.. _ports, _local])
        {
            var bound = b;
            if (b.LivePort is AfPacketPort { RingFallbackReason: { } why })
                _log($"port {b.Name} ({b.Binding.Describe()}): no PACKET_MMAP ring ({why}); using recvmmsg/sendmmsg");
            for (int q = 0; q < b.Queues.Count; q++)
            {
                var queue = b.Queues[q];
                int index = q;
                queue.Faulted += (_, e) =>
                {
                    if (bound.MarkFaulted())
                        Counters.PortFault(); // a port's fault counts once, whichever of its queues saw it first
                    _log($"port {bound.Name} ({bound.Binding.Describe()}){(bound.Queues.Count > 1 ? $" queue {index}" : "")} stopped: {e.Message}; the other ports keep running");
                };
                var transmit = new TransmitBatches(this, slots, q);
                string name = b.Queues.Count > 1 ? $"{Name} rx {b.Binding.Describe()} q{q}" : $"{Name} rx {b.Binding.Describe()}";
                b.Loops.Add(LiveReceiveLoop.Start(queue, (_, batch) => OnBatch(bound, batch, transmit),
                    new LiveReceiveLoopOptions { ThreadName = name }, _stop.Token));
            }
        }
        if (_underlay is not null)
        {
            _underlayThread = new Thread(UnderlayLoop) { IsBackground = true, Name = $"{Name} rx underlay" };
            _underlayThread.Start();
        }
        if (Host is not null)
        {
            _timerThread = new Thread(NeighborTimerLoop) { IsBackground = true, Name = $"{Name} neighbour timers" };
            _timerThread.Start();
        }
    }

    /// <summary>
    /// The host's neighbour timers on the wall clock (ARP retransmissions every retrans_time, FAILED entries and the
    /// ICMP errors for what waited, REACHABLE ageing to STALE), checked every 100 ms: the host also runs them whenever a
    /// frame reaches it, this runs them when none does. What they send leaves like any host transmission.
    /// </summary>
    private void NeighborTimerLoop()
    {
        var token = _stop.Token;
        while (!token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100)))
        {
            long now = NowMs();
            if (Journey.NextTimerMs > now)
                continue;
            try
            {
                Journey.RunTimers(_here, this, now);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                if (Counters.HandlerFailures < 10)
                    _log($"neighbour timers raised {e.GetType().Name}: {e.Message}");
                Counters.HandlerFailure();
            }
        }
    }

    /// <summary>Stops the loops (draining what is queued), then closes the ports (TAPs we made disappear) and the socket.</summary>
    public void Stop()
    {
        if (_stopped)
            return;
        _stopped = true;
        _stop.Cancel();
        var all = _local is null ? _ports : [.. _ports, _local];
        foreach (var b in all)
        {
            foreach (var loop in b.Loops)
                loop.Stop();
        }
        _underlayThread?.Join();
        _timerThread?.Join();
        foreach (var b in all)
        {
            foreach (var loop in b.Loops)
                loop.Dispose();
            b.Loops.Clear();
            b.DisposeQueues();
        }
        _underlay?.Dispose();
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
        Journey.Dispose();
        Host?.Dispose();
    }

    // ---- Data plane: loop threads.

    private void OnBatch(BoundPort port, FrameBatch batch, TransmitBatches transmit)
    {
        long now = NowMs();
        t_transmit = transmit;
        try
        {
            switch (port.Kind)
            {
                case BoundPortKind.Bridge:
                    ProcessBatch(port.OfPort, batch, now);
                    break;
                case BoundPortKind.HostDevice:
                    for (int i = 0; i < batch.Count; i++)
                        Guarded(port, batch[i], now, static (self, p, frame, t) => self.Journey.RunHost(self._here, p.Device!, frame, self, t));
                    break;
                default:
                    for (int i = 0; i < batch.Count; i++)
                        Guarded(port, batch[i], now, static (self, p, frame, t) => self.ReceiveLocal(p, frame, t));
                    break;
            }
        }
        finally
        {
            t_transmit = null;
            transmit.Flush();
        }
    }

    private delegate void FrameHandler(LiveNode self, BoundPort port, ReadOnlySpan<byte> frame, long nowMs);

    /// <summary>Runs one frame; an exception (a bug: the engine reports packet problems as verdicts) is counted and logged, the port keeps running.</summary>
    private void Guarded(BoundPort port, ReadOnlySpan<byte> frame, long now, FrameHandler handler)
    {
        try
        {
            handler(this, port, frame, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (Counters.HandlerFailures < 10)
                _log($"frame on {port.Name} raised {e.GetType().Name}: {e.Message}");
            Counters.HandlerFailure();
        }
    }

    private void ProcessBatch(uint ofport, FrameBatch batch, long now)
    {
        // One batch of the engine per received batch: the flow cache's rule stats and the port tallies
        // are pushed once when it ends (dump-flows and dump-ports see them at batch boundaries).
        var node = Node!;
        using var scope = node.Batch();
        var frames = new PortFrames(ofport, batch);
        int prepared = Journey.Prepare(_here, ref frames);
        for (int i = 0; i < batch.Count; i++)
        {
            try
            {
                if (i < prepared)
                    Journey.RunPrepared(_here, i, ofport, batch[i], this, now);
                else
                    Journey.Run(_here, ofport, batch[i], this, now);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The engine reports packet problems as verdicts; an exception is a bug. Count it, keep the port running.
                if (Counters.HandlerFailures < 10)
                    _log($"frame on port {ofport} raised {e.GetType().Name}: {e.Message}");
                Counters.HandlerFailure();
            }
        }
    }

    /// <summary>
    /// A frame from the node's namespace: IPv4 is a packet the node's processes send (ip_local_out); an ARP request is
    /// answered from <see cref="LocalMac"/> (the namespace's on-link next hop: whatever it asks for is reached through the
    /// node's stack); anything else (IPv6, other ARP) is a counted drop. The sender's MAC is learnt: deliveries go there.
    /// </summary>
    private void ReceiveLocal(BoundPort port, ReadOnlySpan<byte> frame, long now)
    {
        if (frame.Length < EthernetHeader.Length)
        {
            Counters.LocalDrop();
            return;
        }
        var src = MacAddress.Read(frame[6..]);
        if (!src.IsMulticast && src.Value != 0)
            Volatile.Write(ref _localMac, (long)src.Value);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (type == EtherTypes.IPv4)
        {
            Journey.RunLocal(_here, frame, this, now);
            return;
        }
        if (type == EtherTypes.Arp && ArpPacket.TryRead(frame[EthernetHeader.Length..], out var arp) && arp.Operation == ArpPacket.OpRequest
            && arp.TargetProtocolAddress != arp.SenderProtocolAddress)
        {
            var reply = PacketBuilder.Arp(ArpPacket.OpReply, LocalMac, arp.TargetProtocolAddress, arp.SenderHardwareAddress, arp.SenderProtocolAddress,
                LocalMac, arp.SenderHardwareAddress);
            Counters.LocalArpReply();
            port.LivePort.Send(reply);
            return;
        }
        Counters.LocalDrop(); // IPv6 (the lab turns it off), gratuitous ARP, replies: the node's stack takes only IPv4 from its processes
    }

    /// <summary>A port's receive batch as the engine's <see cref="IFrameBatch"/>.</summary>
    private readonly struct PortFrames(uint ofport, FrameBatch batch) : IFrameBatch
    {
        public int Count => batch.Count;
        public uint InPort(int index) => ofport;
        public ReadOnlySpan<byte> Frame(int index) => batch[index];
    }

    private void UnderlayLoop()
    {
        var underlay = _underlay!;
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            int n = underlay.Receive(TimeSpan.FromMilliseconds(100));
            if (n == 0)
                continue;
            long now = NowMs();
            var map = Node?.Bridge.TlvMap ?? default;
            for (int i = 0; i < n; i++)
            {
                try
                {
                    if (Node is null)
                        ReceiveVxlanDatagram(underlay.ReceivedPayload(i), underlay.ReceivedSource(i), now);
                    else
                        ReceiveDatagram(underlay.ReceivedPayload(i), underlay.ReceivedSource(i), in map, now);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (Counters.HandlerFailures < 10)
                        _log($"underlay datagram raised {e.GetType().Name}: {e.Message}");
                    Counters.HandlerFailure();
                }
            }
        }
    }

    private void ReceiveDatagram(ReadOnlySpan<byte> payload, Ipv4Address source, in TlvMap map, long now)
    {
        Counters.UnderlayReceived(payload.Length);
        if (!_nodeIpByUnderlay.TryGetValue(source.Value, out uint peerNodeIp))
        {
            Counters.UnknownPeer();
            return;
        }
        var outer = new GeneveOuterFields
        {
            Source = new Ipv4Address(peerNodeIp),
            Destination = Node!.NodeIp,
            Ttl = 64,
            UdpDestination = GeneveHeader.UdpPort,
        };
        FlowKey tunnel = default;
        if (!GeneveDecapsulator.TryDecapsulatePayload(payload, in map, in outer, out int innerOffset, ref tunnel, out var reason))
        {
            Counters.DecapDrop(reason);
            return;
        }
        Journey.RunDecapsulated(_here, _tunnelOfPort, payload[innerOffset..], in tunnel, this, now);
    }

    /// <summary>
    /// A VXLAN datagram from a peer node's underlay socket (a node without a bridge): it gets the outer headers the
    /// kernel would have received it with (the peer's node IP to this node's VXLAN `local` address, UDP to the VXLAN
    /// device's port) and is received on the uplink, where the host's INPUT and its VXLAN socket take it.
    /// </summary>
    private void ReceiveVxlanDatagram(ReadOnlySpan<byte> payload, Ipv4Address source, long now)
    {
        Counters.UnderlayReceived(payload.Length);
        if (!_nodeIpByUnderlay.TryGetValue(source.Value, out uint peerNodeIp))
        {
            Counters.UnknownPeer();
            return;
        }
        if (_uplink is null || _vxlan is null)
        {
            Counters.DecapDrop(GeneveDropReason.NotVxlan); // no VXLAN device: nothing listens on the underlay port
            return;
        }
        var outer = new GeneveOuterFields
        {
            EthSrc = _peerMacs.TryGetValue(peerNodeIp, out var mac) ? mac : MacAddress.Zero,
            EthDst = _uplink.Mac,
            Source = new Ipv4Address(peerNodeIp),
            Destination = _vxlan.Local,
            Ttl = 64,
            UdpSource = (ushort)_underlay!.LocalEndPoint.Port, // the peer's socket is bound to the same port
            UdpDestination = _vxlan.UdpPort,
        };
        if (!GeneveOuterFrame.TryWrap(payload, in outer, _underlayFrame, out int length))
        {
            Counters.DecapDrop(GeneveDropReason.Truncated);
            return;
        }
        Journey.RunHost(_here, _uplink, _underlayFrame.AsSpan(0, length), this, now);
    }

    /// <summary>IJourneySink: a frame leaving the node (see the design notes).</summary>
    public void Output(in JourneyExit exit, ReadOnlySpan<byte> frame)
    {
        if (exit.Port is not { } port)
        {
            var device = exit.Device!;
            if ((uint)device.Index < (uint)_byIfIndex.Length && _byIfIndex[device.Index] is { } d)
                Send(d, frame);
            else if (device == _uplink && _underlay is not null && IsVxlanToPeer(frame))
                SendUnderlay(frame);
            else
                Counters.HostUplinkOutput(); // a host device nothing is bound to (the uplink's traffic beyond the underlay)
            return;
        }
        uint of = port.OfPort;
        if (of < (uint)_bound.Length && _bound[of] is { } b)
        {
            Send(b, frame);
            return;
        }
        switch (port.Kind)
        {
            case PortKind.Tunnel:
                SendUnderlay(frame);
                break;
            case PortKind.Gateway:
                Counters.GatewayOutput(); // no host stack behind it (else the journey took the frame there)
                break;
            default:
                Counters.UnboundOutput();
                break;
        }
    }

    /// <summary>Queued in the receiving loop's transmit batch, or (outside a loop: the underlay, the timers, ctl) sent at once.</summary>
    private void Send(BoundPort b, ReadOnlySpan<byte> frame)
    {
        if (t_transmit is { } tx && tx.Owner == this)
            tx.Add(b, frame);
        else
            b.LivePort.Send(frame); // a refused send is counted by the port (tx dropped)
    }

    /// <summary>An outer VXLAN packet on the uplink: IPv4, UDP to the VXLAN device's port, addressed to a peer node.</summary>
    private bool IsVxlanToPeer(ReadOnlySpan<byte> frame)
    {
        if (_vxlan is null || !GeneveOuterFrame.TryUnwrap(frame, out var outer, out _, out _, out _) || outer.IsIpv6)
            return false;
        return outer.UdpDestination == _vxlan.UdpPort && _underlayByNodeIp.ContainsKey(outer.Destination.Value);
    }

    /// <summary>
    /// IJourneySink: a GENEVE frame carried to a peer goes out on the underlay. (This node's journey has node scope, so
    /// its tunnel outputs arrive as exits; the peers are other daemons.)
    /// </summary>
    public void Transit(in JourneyExit via, ReadOnlySpan<byte> frame) => SendUnderlay(frame);

    /// <summary>IJourneySink: the host took a frame for itself; an echo reply to a running ping is matched here.</summary>
    public void Deliver(JourneyNode node, ReadOnlySpan<byte> frame)
    {
        if (Volatile.Read(ref _ping) is { } ping)
            ping.Observe(frame);
    }

    /// <summary>
    /// IJourneySink: what the host delivered to its local sockets goes to the node's own processes (the local binding),
    /// addressed to the namespace's MAC from <see cref="LocalMac"/>, except ICMP echo requests to the host: the host
    /// answered them itself (icmp_echo), and the namespace's kernel would answer a second time.
    /// </summary>
    public void DeliverLocal(JourneyNode node, ReadOnlySpan<byte> frame)
    {
        if (_local is null || frame.Length < EthernetHeader.Length + Ipv4Header.MinLength)
            return;
        var ip = frame[EthernetHeader.Length..];
        int ihl = (ip[0] & 0x0f) * 4;
        if (ip[9] == IpProtocols.Icmp && ihl >= Ipv4Header.MinLength && ip.Length > ihl && ip[ihl] == IcmpHeader.TypeEchoRequest)
            return;
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(frame.Length);
        try
        {
            var copy = buffer.AsSpan(0, frame.Length);
            frame.CopyTo(copy);
            LocalPeerMac.Write(copy);
            LocalMac.Write(copy[6..]);
            Counters.LocalDelivery();
            Send(_local, copy);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>IJourneySink: drops are counted where they happen (bridge, host, journey) and read from there by `ctl stats`.</summary>
    public void Drop(in JourneyDrop drop)
    {
    }

    private void SendUnderlay(ReadOnlySpan<byte> frame)
    {
        const int EthernetLength = 14, UdpLength = 8;
        if (_underlay is null)
        {
            Counters.NoPeer();
            return;
        }
        if (frame.Length < EthernetLength + 20 + UdpLength || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypes.IPv4)
        {
            Counters.BadTunnelFrame();
            return;
        }
        int ipHeaderLength = (frame[EthernetLength] & 0x0f) * 4;
        int payloadOffset = EthernetLength + ipHeaderLength + UdpLength;
        if (ipHeaderLength < 20 || payloadOffset > frame.Length)
        {
            Counters.BadTunnelFrame();
            return;
        }
        uint destination = BinaryPrimitives.ReadUInt32BigEndian(frame[(EthernetLength + 16)..]);
        if (!_underlayByNodeIp.TryGetValue(destination, out var underlayAddress))
        {
            Counters.NoPeer();
            return;
        }
        var payload = frame[payloadOffset..];
        if (_underlay.TrySend(underlayAddress, payload))
            Counters.UnderlaySent(payload.Length);
        else
            Counters.UnderlaySendError();
    }

    /// <summary>
    /// `ping` from the node itself: the host stack sends <paramref name="count"/> ICMP echo requests to
    /// <paramref name="target"/> from its address on antrea-gw0 (ip_local_out: routes, neighbours, iptables
    /// OUTPUT/POSTROUTING), they enter the bridge on the gateway port, and the echo replies the bridge hands
    /// back to the gateway port are matched by identifier and sequence. Runs on the caller's thread (the
    /// control socket's); one ping at a time. Returns the source address and each request's RTT (null: no reply).
    /// </summary>
    public (Ipv4Address Source, double?[] RttMs) HostPing(Ipv4Address target, int count, TimeSpan interval, TimeSpan wait)
    {
        if (Node is null)
            throw new InvalidOperationException($"node {Name} has no bridge to ping through (a Calico node): ping from the node's namespace instead (lab up makes one: ip netns exec PREFIX{Name} ping {target})");
        if (Host is null || _gateway is null)
            throw new InvalidOperationException($"node {Name} has no host stack behind its gateway port (host: false, or the gateway is bound to a live port)");
        if (!Host.TrySelectSourceAddress(_gateway.Name, target.Value, out uint source))
            throw new InvalidOperationException($"the host of {Name} has no address on {_gateway.Name} to ping {target} from");
        var state = new HostPingState((ushort)Random.Shared.Next(1, 0xffff), source, count);
        if (Interlocked.CompareExchange(ref _ping, state, null) is not null)
            throw new InvalidOperationException("another ping is running on this node");
        try
        {
            byte[] payload = new byte[56];
            for (int seq = 1; seq <= count; seq++)
            {
                if (seq > 1)
                    Thread.Sleep(interval);
                var request = PacketBuilder.IcmpEcho(MacAddress.Zero, MacAddress.Zero, new Ipv4Address(source), target, reply: false, state.Id, (ushort)seq, payload);
                long now = NowMs();
                state.Sent(seq);
                Journey.RunLocal(_here, request, this, now);
            }
            state.WaitAll(wait);
            return (new Ipv4Address(source), state.Rtts());
        }
        finally
        {
            Volatile.Write(ref _ping, null);
        }
    }

    /// <summary>The requests of one HostPing and the replies seen so far (written by loop threads, read by the pinger).</summary>
    private sealed class HostPingState(ushort id, uint source, int count)
    {
        private readonly long[] _sentAt = new long[count + 1];
        private readonly long[] _repliedAt = new long[count + 1];
        private int _replies;

        public ushort Id { get; } = id;

        public void Sent(int seq) => Volatile.Write(ref _sentAt[seq], System.Diagnostics.Stopwatch.GetTimestamp());

        /// <summary>An echo reply to our address with our identifier: record its arrival (once per sequence number).</summary>
        public void Observe(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < 14 + 20 + 8 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypes.IPv4)
                return;
            var ip = frame[14..];
            int ihl = (ip[0] & 0x0f) * 4;
            if (ip[9] != IpProtocols.Icmp || ihl < 20 || frame.Length < 14 + ihl + 8 || BinaryPrimitives.ReadUInt32BigEndian(ip[16..]) != source)
                return;
            var icmp = ip[ihl..];
            int seq = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
            if (icmp[0] != IcmpHeader.TypeEchoReply || BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) != Id || seq < 1 || seq >= _sentAt.Length)
                return;
            if (Interlocked.CompareExchange(ref _repliedAt[seq], System.Diagnostics.Stopwatch.GetTimestamp(), 0) == 0)
                Interlocked.Increment(ref _replies);
        }

        public void WaitAll(TimeSpan wait)
        {
            var deadline = DateTime.UtcNow + wait;
            while (Volatile.Read(ref _replies) < _sentAt.Length - 1 && DateTime.UtcNow < deadline)
                Thread.Sleep(5);
        }

        public double?[] Rtts()
        {
            var rtts = new double?[_sentAt.Length - 1];
            for (int seq = 1; seq < _sentAt.Length; seq++)
            {
                long r = Volatile.Read(ref _repliedAt[seq]);
                rtts[seq - 1] = r == 0 ? null : System.Diagnostics.Stopwatch.GetElapsedTime(_sentAt[seq], r).TotalMilliseconds;
            }
            return rtts;
        }
    }

    /// <summary>The underlay endpoint as text, or "none".</summary>
    public string DescribeUnderlay() => _underlay is { } u ? u.LocalEndPoint.ToString() : "none";

    /// <summary>
    /// One receive loop's transmit side: a FrameBatch per bound port (by its slot), filled while a received batch
    /// is processed and sent (SendBatch) when it is done, on the port's queue of the same index as the
    /// loop's (its own TAP queue or fanout socket; queue 0 for a port with fewer). Owned by one loop thread.
    /// </summary>
    private sealed class TransmitBatches(LiveNode owner, int ports, int queue)
    {
        private readonly FrameBatch?[] _bySlot = new FrameBatch?[ports];
        private readonly List<BoundPort> _dirty = [];

        public LiveNode Owner { get; } = owner;

        public void Add(BoundPort port, ReadOnlySpan<byte> frame)
        {
            var batch = _bySlot[port.Slot] ??= new FrameBatch(FrameBatch.DefaultCapacity, FrameBatch.DefaultFrameCapacity);
            if (batch.Count == 0)
                _dirty.Add(port);
            if (batch.TryAdd(frame))
                return;
            if (frame.Length > batch.FrameCapacity)
            {
                Queue(port).Send(frame); // larger than a slot: send it alone (the port counts a refusal)
                return;
            }
            Queue(port).SendBatch(batch); // full: send what we have, keep order
            batch.Clear();
            batch.TryAdd(frame);
        }

        private ILivePort Queue(BoundPort port) => queue < port.Queues.Count ? port.Queues[queue] : port.LivePort;

        public void Flush()
        {
            foreach (var port in _dirty)
            {
                var batch = _bySlot[port.Slot]!;
                if (batch.Count > 0)
                    Queue(port).SendBatch(batch);
                batch.Clear();
            }
            _dirty.Clear();
        }
    }
}
