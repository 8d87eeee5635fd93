using System.Diagnostics.CodeAnalysis;
using Datapath.Conntrack;
using Datapath.Netfilter;
using Datapath.Netfilter.IpSets;
using Datapath.Packets;

namespace Datapath.Engine.Host;

// Host stack
// ==========
//
// What?
// -----
// The Linux host of one Kubernetes node as the datapath sees it from behind OVS's internal port antrea-gw0:
// its interfaces and addresses (`ip address`), the main routing table (`ip route`), the ARP cache (`ip neigh`),
// IPv4 forwarding with TTL decrement, and kube-proxy's and Antrea's iptables rules run by the netfilter engine
// with their own conntrack (the kernel's default zone, Linux timeouts as kube-proxy sets them; not OVS's zone
// 65520 table). A frame OVS outputs on antrea-gw0 is received here; what the host routes back to antrea-gw0 is
// handed to the sink, to re-enter the bridge on ofport 2 with the neighbour's MAC as destination
// (aa:bb:cc:dd:ee:ff for the remote pod subnets) and the gateway MAC as source.
// On a Calico node there is no bridge and the host is the whole node: its interfaces are of kinds
// (HostInterfaceKind) — the uplink, one veth per pod (no address, proxy ARP: HostStack.ProxyArp.cs) and
// vxlan.calico (a VxlanDevice: VNI, local address, UDP port, FDB), whose send and receive paths are
// HostStack.Vxlan.cs.
//
// Design: the kernel's path, in the kernel's order
// -------------------------------------------------
//   receive(dev)  L2 filter (our MAC, broadcast, multicast) -> ARP (answer for our addresses, learn the sender;
//                 on a proxy_arp device also for addresses routed out of another one) -> ip_rcv checks (header
//                 checksum, lengths; Ethernet padding trimmed)
//   PREROUTING    raw, conntrack in, mangle, nat (DNAT on a connection's first packet, then the binding)
//   routing       local table first (our addresses, subnet broadcasts) then main: longest prefix match
//     local  ->   INPUT (mangle, filter, nat SNAT, confirm) -> deliver: ICMP echo request -> echo reply; a UDP
//                 datagram to a VXLAN device's port is decapsulated and its inner frame received on the device
//     remote ->   ip_forward: TTL <= 1 -> ICMP time exceeded; MTU check; TTL - 1; FORWARD (mangle, filter)
//   POSTROUTING   mangle, nat (SNAT/MASQUERADE with the egress interface's address via INetfilterHost), confirm
//   neighbour     next hop = via or the destination; the output device's neighbour entry gives the MAC, or ARP
//                 resolves it while the packet waits (below)
//   transmit      eth_src = the device's MAC, eth_dst = the neighbour's; the sink gets the frame (out of a VXLAN
//                 device: encapsulated to its FDB entry's node, the outer packet through ip_local_out).
// Packets the host itself originates (SendLocal: `ctl ping`, `trace --from-host`, `replay --from-host`) and
// those it generates (echo replies, ICMP errors) run ip_local_out in the kernel's order:
//   routing       ip_route_output: local table, then main; a packet without a source (a socket not bound) gets
//                 the one `ip route get DST` shows: the route's `src`, else the output device's primary address
//                 (inet_select_addr: another device's for a device without one; the local address itself for a
//                 local destination)
//   OUTPUT        raw, conntrack, mangle, nat (kube-proxy's KUBE-SERVICES DNAT: OUTPUT jumps to it), filter
//   re-routing    ip_route_me_harder when OUTPUT's DNAT changed the destination (the source stays)
//   POSTROUTING   mangle, nat (KUBE-POSTROUTING's MASQUERADE of 0x4000-marked packets: the output device's address)
//   neighbour     as for forwarded packets, then transmission; a local destination instead goes out on lo and
//                 comes back through INPUT (PREROUTING is skipped: the packet already has its conntrack entry),
//                 delivered. Replies to the host's own connections arrive on a device like any frame; PREROUTING
//                 undoes MASQUERADE, INPUT's nat stage undoes the DNAT, and they are delivered.
// Generated packets run after the packet that caused them has finished its path, so a trace reads in order.
//
// The neighbour stage is Linux's neighbour subsystem (net/core/neighbour.c, net/ipv4/arp.c; NeighborTable holds
// the entries, HostStack.Neighbor.cs the state machine), in the host's clock (frames' timestamps in a replay, the
// wall clock live) with the kernel's defaults (NeighborParameters):
//   resolved       REACHABLE, DELAY, PROBE, PERMANENT: sent at once; a used STALE entry goes DELAY and is sent
//   unresolved     no entry (or FAILED): INCOMPLETE, probes = ucast_solicit, a broadcast ARP request now (who-has
//                  NEXTHOP tell SRC: the packet's source when it is ours, else the device's address; THA zero) and
//                  every retrans_time (1 s) up to mcast_solicit (3); the packet waits in the entry's queue, bounded
//                  by unres_qlen_bytes (each frame costs its length + 576 bytes of skb; the oldest is dropped first,
//                  neighbor-queue-full); after the last request's retrans_time: FAILED, every waiting packet dropped
//                  (no-neighbor) with an ICMP host unreachable to its sender (ipv4_link_failure)
//   ARP in         a reply to us confirms an existing entry: REACHABLE (for reachable_time, base_reachable_time
//                  30 s randomised) and its waiting packets are sent; a request for our address creates or refreshes
//                  its sender's entry STALE; other ARP only refreshes an existing entry (arp_accept=0, locktime 1 s)
//   timers         REACHABLE -> DELAY when used within delay_first_probe_time (5 s) of its expiry, else STALE;
//                  DELAY -> PROBE (ucast_solicit unicast requests to the known address) -> FAILED, unless answered
//   gc             FAILED and unused STALE entries go once the table holds more than gc_thresh1 (128) entries
// The scenario's neighbours are PERMANENT (ARP never changes them). The requests are real frames: on antrea-gw0 they
// enter the bridge (table 20's ARPResponder answers for remote gateways, NORMAL floods the rest to the pods, whose
// replies come back through the bridge); the host's timers run whenever it handles a frame and when its owner asks
// (RunTimers: the live daemon's tick, a replay's clock between frames and after its last one).
//
// Conntrack is reached through the netfilter engine's INatConntrack seam, bound to ConnectionTracker's netfilter
// API (zone 0) by Netfilter's ConntrackNatBinding; the packet's handle travels in the NetfilterPacket (a struct).
//
// Invariants
// ----------
//  - Every received frame ends as exactly one of: transmitted (forwarded), delivered locally, waiting for its
//    neighbour (Queued: later transmitted, or one counted drop reported through IHostSink.Dropped), or one counted
//    drop (DropReason). Generated replies, errors and ARP requests are counted separately (Transmitted).
//  - Every route's device is one of the host's interfaces (checked when the host is built).
//  - The host never sends an ICMP error about an ICMP error, a non-first fragment, or a broadcast/multicast packet.
//
// Thread-safety
// -------------
// Construction: single-threaded. Receive/SendLocal: any thread (one HostContext per thread; conntrack, neighbour
// table, routing table and the netfilter engine are safe for concurrent use). Reseed: between runs.
//
// Cost
// ----
// Per forwarded packet: one copy of the frame into the context buffer, one FlowKey extraction, 3 netfilter hooks
// (a conntrack lookup, the nat binding, FORWARD's rules), one hash probe per distinct prefix length in the
// routing table, one neighbour lookup (a resolved entry: one probe, no lock). No allocation unless tracing, a
// connection's first packet (its entry), or a packet that waits for its neighbour (its copy, the ARP request).
public sealed partial class HostStack : INetfilterHost, IDisposable
{
    private readonly Dictionary<string, HostInterface> _byName = new(StringComparer.Ordinal);
    private readonly List<HostInterface> _interfaces = [];
    /// <summary>The interfaces and the addresses the host receives for itself (each address, and each subnet
    /// broadcast of a prefix shorter than /31), as arrays for the per-packet loops.</summary>
    private HostInterface[] _interfaceArray = [];
    private uint[] _localAddresses = [];
    /// <summary>Each thread's working state for this host.</summary>
    private readonly PerThread<HostContext> _contexts = new(static () => new HostContext());
    private readonly ConntrackNatBinding _binding;
    private readonly RuleSet? _rules;
    private readonly IpSetCollection? _sets;
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private NetfilterEngine? _netfilter;
    private long _forwarded, _delivered, _transmitted, _arpReplies, _echoReplies, _icmpErrors;

    /// <summary>Builds a host from its parts. <c>lo</c> (127.0.0.1/8) is added first (ifindex 1).</summary>
    /// <exception cref="ArgumentException">An interface name repeats, or a route names a device the host does not have.</exception>
    public HostStack(string name, IEnumerable<HostInterface> interfaces, IEnumerable<RouteEntry> routes, IEnumerable<NeighborEntry> neighbors,
        RuleSet? rules = null, IpSetCollection? sets = null, HostStackOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(interfaces);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(neighbors);
        Name = name;
        Options = options ?? new HostStackOptions();
        Neighbors = new NeighborTable(Options.Neighbor, Options.Seed);
        Routes = new RoutingTable(d => _byName.GetValueOrDefault(d));
        AddInterface(new HostInterface("lo", MacAddress.Zero, new Ipv4Address(127, 0, 0, 1), 8, 65536) { Kind = HostInterfaceKind.Loopback });
        foreach (var i in interfaces)
            AddInterface(i);
        foreach (var r in routes)
        {
            if (r.Device is not null && !_byName.ContainsKey(r.Device))
                throw new ArgumentException($"host {name}: route '{r}' names device '{r.Device}', which the host does not have", nameof(routes));
            Routes.Add(r);
        }
        foreach (var n in neighbors)
        {
            if (!_byName.ContainsKey(n.Device))
                throw new ArgumentException($"host {name}: neighbour '{n}' is on device '{n.Device}', which the host does not have", nameof(neighbors));
            Neighbors.Set(n.Device, n.Address, n.Mac);
        }
        var ctOptions = new ConntrackOptions
        {
            DefaultPolicy = Options.ConntrackTimeouts,
            ZonePolicies = { [Options.ConntrackZone] = Options.ConntrackTimeouts },
            Seed = Options.Seed,
            ConnectionLimit = Options.ConntrackMax > 0 ? Options.ConntrackMax : ConntrackOptions.DefaultConnectionLimit,
        };
        Conntrack = new ConnectionTracker(ctOptions);
        _binding = new ConntrackNatBinding(Conntrack, Options.ConntrackZone);
        _rules = rules;
        _sets = sets;
        Reseed(Options.Seed);
    }

    /// <summary>
    /// Builds a host from text as the tools print it: <c>ip route</c> lines, permanent neighbour entries (<c>ip neigh ... nud permanent</c>), an
    /// <c>iptables-save</c> and an <c>ipset save</c> document. Interfaces that only kernel routes imply
    /// (<c>172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 linkdown</c>) are created with that
    /// address, and a given interface whose prefix length is 0 takes the prefix of its kernel route.
    /// </summary>
    /// <exception cref="InputException">A route line does not parse or names a device the host does not have,
    /// a neighbour is on such a device, or the iptables or ipset text does not parse (file, line, column).</exception>
    public static HostStack Create(HostStackConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var routes = new List<RouteEntry>();
        for (int i = 0; i < config.Routes.Count; i++)
            routes.Add(RouteParser.Parse(config.Routes[i], config.RoutesFile, config.RoutesFirstLine + i));
        var interfaces = new List<HostInterface>();
        foreach (var iface in config.Interfaces)
        {
            var kernel = !iface.HasAddress ? null : routes.FirstOrDefault(r => r.Device == iface.Name && r.Gateway == 0 && r.PreferredSource == iface.Address.Value && r.Protocol == "kernel");
            interfaces.Add(iface.PrefixLength == 0 && kernel is not null
                ? new HostInterface(iface.Name, iface.Mac, iface.Address, kernel.PrefixLength, iface.Mtu, iface.HasCarrier && !kernel.LinkDown)
                {
                    Kind = iface.Kind,
                    Vxlan = iface.Vxlan,
                    ProxyArp = iface.ProxyArp,
                }
                : iface);
        }
        foreach (var r in routes)
        {
            if (r.Device is null || r.PreferredSource == 0 || r.Gateway != 0 || interfaces.Exists(i => i.Name == r.Device))
                continue;
            interfaces.Add(new HostInterface(r.Device, SyntheticMac(r.Device), new Ipv4Address(r.PreferredSource), r.PrefixLength, 1500, !r.LinkDown));
        }
        var devices = new HashSet<string>(interfaces.Select(i => i.Name)) { "lo" };
        for (int i = 0; i < routes.Count; i++)
        {
            if (routes[i].Device is { } dev && !devices.Contains(dev))
                throw new InputException(config.RoutesFile, config.RoutesFirstLine + i, RouteParser.DeviceColumn(config.Routes[i]),
                    $"route names device '{dev}', which host {config.Name} does not have", $"its devices are {string.Join(", ", devices.Order(StringComparer.Ordinal))}");
        }
        foreach (var n in config.Neighbors)
        {
            if (!devices.Contains(n.Device))
                throw InputException.InFile(config.RoutesFile, $"neighbour {n.Address} of host {config.Name} is on device '{n.Device}', which the host does not have",
                    $"its devices are {string.Join(", ", devices.Order(StringComparer.Ordinal))}");
        }
        IpSetCollection? sets = null;
        if (config.Ipsets is { } ipsets)
            sets = IpsetSaveParser.ParseText(ipsets, config.IpsetsFile);
        RuleSet? rules = null;
        if (config.Iptables is { } iptables)
            rules = IptablesSaveParser.ParseText(iptables, config.IptablesFile);
        return new HostStack(config.Name, interfaces, routes, config.Neighbors, rules, sets, config.Options);
    }

    /// <summary>A locally administered MAC derived from the device name (for devices the scenario does not describe).</summary>
    private static MacAddress SyntheticMac(string device)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (char c in device)
            h = (h ^ c) * 0x100000001b3UL;
        return new MacAddress(((h & 0xFEFF_FFFF_FFFFUL) | 0x0200_0000_0000UL) & MacAddress.Mask);
    }

    private void AddInterface(HostInterface iface)
    {
        if (!_byName.TryAdd(iface.Name, iface))
            throw new ArgumentException($"host {Name}: interface '{iface.Name}' is given twice", nameof(iface));
        if ((iface.Kind == HostInterfaceKind.Vxlan) != (iface.Vxlan is not null))
            throw new ArgumentException($"host {Name}: interface '{iface.Name}' is of kind {iface.Kind} {(iface.Vxlan is null ? "without" : "with")} a VXLAN device", nameof(iface));
        iface.Index = _interfaces.Count + 1;
        iface.NeighborId = Neighbors.GetDeviceId(iface.Name);
        _interfaces.Add(iface);
        _interfaceArray = [.. _interfaces];
        if (iface.HasAddress)
            _localAddresses = [.. _localAddresses, iface.Address.Value, .. iface.PrefixLength < 31 ? [iface.Broadcast] : Array.Empty<uint>()];
    }

    /// <summary>The interface named <paramref name="name"/> (a scan of a handful of names: cheaper than hashing one).</summary>
    private HostInterface? FindInterface(string name)
    {
        var list = _interfaceArray;
        for (int i = 0; i < list.Length; i++)
        {
            var iface = list[i];
            if ((object)iface.Name == name || string.Equals(iface.Name, name, StringComparison.Ordinal))
                return iface;
        }
        return null;
    }

    // ---- Configuration: read any time.

    public string Name { get; }
    public HostStackOptions Options { get; }
    public IReadOnlyList<HostInterface> Interfaces => _interfaces;
    public RoutingTable Routes { get; }
    /// <summary>The ARP cache (<c>ip neigh</c>): the scenario's entries PERMANENT, the rest learned by ARP.</summary>
    public NeighborTable Neighbors { get; }
    /// <summary>The host's connection table (zone <see cref="HostStackOptions.ConntrackZone"/>): what <c>conntrack -L</c> shows.</summary>
    public ConnectionTracker Conntrack { get; }
    /// <summary>The iptables rules in force, or null when the host has none (everything is accepted, nothing is tracked).</summary>
    public NetfilterEngine? Netfilter => Volatile.Read(ref _netfilter);

    /// <summary>Releases the per-thread contexts.</summary>
    public void Dispose() => _contexts.Dispose();

    public bool TryGetInterface(string name, [NotNullWhen(true)] out HostInterface? iface) => _byName.TryGetValue(name, out iface);

    /// <summary>
    /// Restarts the <c>statistic --mode random</c> draws from <paramref name="seed"/> (a new netfilter engine over
    /// the same rules; counters, conntrack and recent lists are kept). Call between runs, not during one.
    /// </summary>
    public void Reseed(ulong seed)
    {
        if (_rules is null)
            return;
        Volatile.Write(ref _netfilter, new NetfilterEngine(_rules, new NetfilterEngineOptions
        {
            Sets = _sets,
            Conntrack = _binding,
            Host = this,
            RandomSeed = seed,
        }));
    }

    // ---- Counters: lock-free, read any time.

    public long Forwarded => Volatile.Read(ref _forwarded);
    public long Delivered => Volatile.Read(ref _delivered);
    /// <summary>Frames handed to the sink (forwarded and generated).</summary>
    public long Transmitted => Volatile.Read(ref _transmitted);
    public long ArpReplies => Volatile.Read(ref _arpReplies);
    public long EchoReplies => Volatile.Read(ref _echoReplies);
    public long IcmpErrors => Volatile.Read(ref _icmpErrors);

    public long GetDrops(DropReason reason) => Volatile.Read(ref _drops[(int)reason]);

    public long TotalDrops => _drops.Sum();

    /// <summary>The non-zero drop counters.</summary>
    public IEnumerable<(DropReason Reason, long Count)> NonZeroDrops()
    {
        for (int i = 0; i < _drops.Length; i++)
        {
            long c = Volatile.Read(ref _drops[i]);
            if (c != 0)
                yield return ((DropReason)i, c);
        }
    }

    // ---- What the tools print.

    /// <summary><c>ip route</c>.</summary>
    public IEnumerable<string> DumpRoutes() => Routes.Routes.Select(r => r.ToString());

    /// <summary><c>arp -a</c> (<see cref="DumpIpNeigh"/> is <c>ip neigh</c>).</summary>
    public IEnumerable<string> DumpNeighbors() => Neighbors.Entries.Select(e => e.ToString());

    /// <summary><c>ip -brief address</c>-like lines.</summary>
    public IEnumerable<string> DumpAddresses() => _interfaces.Select(i => i.ToString());

    // ---- INetfilterHost: what -m addrtype and MASQUERADE ask.

    /// <summary>The type of <paramref name="address"/> as the local and main tables classify it (<c>-m addrtype</c>).</summary>
    public AddressTypes Classify(uint address, string? limitInterface)
    {
        // __inet_dev_addr_type: 0/8 and the limited broadcast are BROADCAST (an IPv4 address is never UNSPEC).
        if ((address >> 24) == 0 || address == uint.MaxValue)
            return AddressTypes.Broadcast;
        if ((address & 0xF000_0000) == 0xE000_0000)
            return AddressTypes.Multicast;
        foreach (var i in _interfaces)
        {
            if ((limitInterface is not null && i.Name != limitInterface) || !i.HasAddress)
                continue;
            if (i.Address.Value == address || (i.Name == "lo" && (address >> 24) == 127))
                return AddressTypes.Local;
            if (i.PrefixLength < 31 && i.Broadcast == address)
                return AddressTypes.Broadcast;
        }
        if (limitInterface is null && Routes.TryLookup(address, out var route))
        {
            return route.Type switch
            {
                RouteType.Blackhole => AddressTypes.Blackhole,
                RouteType.Unreachable => AddressTypes.Unreachable,
                RouteType.Prohibit => AddressTypes.Prohibit,
                _ => AddressTypes.Unicast,
            };
        }
        return AddressTypes.Unicast;
    }

    /// <summary>
    /// The source MASQUERADE uses: the egress interface's primary address, preferring one whose subnet holds
    /// the next hop (the kernel's inet_select_addr(out, nexthop, RT_SCOPE_UNIVERSE)).
    /// </summary>
    public bool TrySelectSourceAddress(string outInterface, uint destination, out uint address)
    {
        address = _byName.TryGetValue(outInterface, out var iface) ? SourceAddressOf(iface) : 0;
        return address != 0;
    }

    /// <summary>
    /// inet_select_addr for a universe-scope destination out of <paramref name="device"/>: its primary address, or,
    /// for a device without one (a Calico veth), the first address of another device in ifindex order (lo's skipped);
    /// 0 when the host has none.
    /// </summary>
    private uint SourceAddressOf(HostInterface device)
    {
        if (device.HasAddress)
            return device.Address.Value;
        foreach (var i in _interfaceArray)
        {
            if (i.HasAddress && i.Kind != HostInterfaceKind.Loopback)
                return i.Address.Value;
        }
        return 0;
    }

    /// <summary>Is <paramref name="address"/> one the host receives for itself (its addresses, subnet and limited broadcast, 127/8)?</summary>
    public bool IsLocalDestination(uint address)
    {
        if (address == uint.MaxValue || (address >> 24) == 127)
            return true;
        var list = _localAddresses;
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] == address)
                return true;
        }
        return false;
    }

    private bool IsOwnUnicastAddress(uint address)
    {
        var list = _interfaces;
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].HasAddress && list[i].Address.Value == address)
                return true;
        }
        return false;
    }

    private void CountDrop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);
}
