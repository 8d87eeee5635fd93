using Datapath.Conntrack;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// Decides, for <see cref="JourneyWorkers"/>, which worker may run a frame in parallel with others, or that it
/// must run alone (<see cref="Serial"/>). See the essay of <see cref="JourneyWorkers"/> for why this keeps the
/// results those of one thread.
/// </summary>
/// <remarks>
/// <para>A frame may run in parallel when it belongs to a connection that is live now in some connection table
/// of the journey (any node's bridge or host, any zone in use): everything it will touch is that connection's
/// own state, which only the frames of the same connection change, and those all go to one worker. Its worker
/// is a symmetric hash of the connection's tuple after NAT (the reply tuple reversed), followed through every
/// table until no NAT changes it (at most <see cref="MaxTranslations"/> steps): pod -> ClusterIP, its DNATed
/// continuation pod -> backend, and backend -> pod all meet on one worker. GENEVE frames are judged by their
/// inner frame. Everything else is serial: ARP (it teaches neighbours and MACs every later frame reads), TCP SYNs and new
/// connections (NAT and <c>statistic --mode random</c> draw for them, in input order), ICMP errors, fragments,
/// non-IP and malformed frames.</para>
/// <para>Cost: one flow-key extraction and, per table and zone in use, one lock-free conntrack lookup — or, for a
/// tuple classified parallel before whose connections cannot have gone since (the tables' liveness generations
/// and the zones unchanged, none of its connections past the expiry it had), one look into the dispatcher's own
/// memo of verdicts instead (<see cref="_memo"/>).</para>
/// <para>Thread-safety: one thread (the dispatcher); <see cref="Refresh"/> between runs.</para>
/// </remarks>
internal sealed class JourneyPartitioner
{
    /// <summary>The frame must run alone, in input order, with nothing else running.</summary>
    public const int Serial = -1;

    /// <summary>NAT hops followed from a packet's tuple to its connection's identity (SNAT after DNAT is two).</summary>
    public const int MaxTranslations = 4;

    private readonly (ConnectionTracker Tracker, List<ushort> Zones, JourneyNode Node)[] _tables;
    private readonly int _slots;

    /// <param name="journey">Whose connection tables are probed.</param>
    /// <param name="slots">Hash slots: a connection's frames all get the same slot; the caller maps slots to workers.</param>
    public JourneyPartitioner(Journey journey, int slots)
    {
        _slots = slots;
        var tables = new List<(ConnectionTracker, List<ushort>, JourneyNode)>();
        foreach (var n in journey.Nodes)
        {
            if (n.Node is { } bridged)
                tables.Add((bridged.Conntrack, [], n));
            if (n.Host is { } h)
                tables.Add((h.Conntrack, [], n));
        }
        if (tables.Count > 64)
            throw new ArgumentException("more than 64 connection tables", nameof(journey));
        _tables = [.. tables];
    }

    /// <summary>
    /// Re-reads which zones hold connections. A stale list is never wrong, only slower: a connection in a zone it
    /// lacks looks unknown, and its frame runs alone.
    /// </summary>
    public void Refresh()
    {
        foreach (var (tracker, zones, _) in _tables)
        {
            zones.Clear();
            tracker.CollectZones(zones);
        }
        _zonesEpoch++;
    }

    /// <summary>The hash slot (0..slots-1) for a frame entering <paramref name="node"/> on <paramref name="inPort"/>, or <see cref="Serial"/>.</summary>
    public int Classify(JourneyNode node, uint inPort, ReadOnlySpan<byte> frame, long nowMs)
    {
        FlowKey.Extract(frame, inPort, out var key);
        if (node.Tunnel is { } tunnel && inPort == tunnel.OfPort && !TryInner(ref key, ref frame))
            return Serial;
        if (!ConnectionTracker.TryGetTuple(in key, frame, out var tuple) || OpensConnection(in key))
            return Serial;
        // Read before the probes: a table change racing with them moves it, and what they found is not kept.
        long stamp = Stamp();
        int way = MemoIndex(in tuple);
        for (int w = 0; w < 2; w++)
        {
            ref Remembered m = ref _memo[way + w];
            if (m.Node == node && m.Stamp == stamp && nowMs < m.LiveBeforeMs && m.Tuple == tuple)
            {
                RememberedHits++;
                return m.Slot;
            }
        }
        // The way to fill: one that holds nothing valid, else the one not filled last.
        ref Remembered memo = ref _memo[way + (_memo[way].Stamp != stamp ? 0 : _memo[way + 1].Stamp != stamp ? 1 : (_memo[way].Newer ? 1 : 0))];
        var first = tuple;
        ulong found = 0;
        long liveBefore = long.MaxValue;
        for (int step = 0; step < MaxTranslations; step++)
        {
            if (!TryTranslate(ref tuple, nowMs, ref found, ref liveBefore))
                break;
        }
        if (found == 0 || !KnownOnEntry(node, found))
            return Serial;
        int slot = (int)(SymmetricHash(in tuple) % (uint)_slots);
        _memo[way].Newer = _memo[way + 1].Newer = false;
        memo = new Remembered { Node = node, Tuple = first, Stamp = stamp, LiveBeforeMs = liveBefore, Slot = slot, Newer = true };
        return slot;
    }

    /// <summary>Frames classified from <see cref="_memo"/> (no conntrack probe), for tests and reports.</summary>
    public long RememberedHits { get; private set; }

    /// <summary>
    /// What changes when any verdict kept in <see cref="_memo"/> may no longer hold: every table's
    /// ConnectionTracker.LivenessGeneration (a connection left, or its expiry moved earlier) and the zones probed.
    /// </summary>
    private long Stamp()
    {
        long s = _zonesEpoch;
        foreach (var (tracker, _, _) in _tables)
            s += tracker.LivenessGeneration;
        return s;
    }

    /// <summary>Two ways of 4096 sets: 1,000 connections round-robin collide in a direct-mapped table of 4096 a fifth of the time.</summary>
    private const int MemoSlots = 8192;

    /// <summary>The first way of a tuple's set: each direction its own (a symmetric index would make a connection's two directions evict each other).</summary>
    private static int MemoIndex(in CtTuple t)
        => (int)(Mix((ulong)t.Src ^ ((ulong)(t.Src >> 64) * 3) ^ ((ulong)t.Dst * 0x9E3779B97F4A7C15UL) ^ ((ulong)t.SrcPort << 16 | t.DstPort) ^ ((ulong)t.NwProto << 40)) & (MemoSlots / 2 - 1)) * 2;

    /// <summary>
    /// The last parallel verdicts, by the packet's tuple: the slot, until the earliest expiry of the connections it
    /// was found in, while the stamp stands (every part of it only grows, so an equal sum means nothing changed).
    /// A frame of a connection classified before costs no conntrack probe — and its dispatcher reads none of the
    /// connection's cache lines, which its worker writes at every packet (measured in bench/README.md).
    /// </summary>
    private readonly Remembered[] _memo = new Remembered[MemoSlots];
    private long _zonesEpoch;

    private struct Remembered
    {
        public JourneyNode? Node;
        public CtTuple Tuple;
        public long Stamp;
        public long LiveBeforeMs;
        public int Slot;
        /// <summary>Of its set's two ways, the one filled last.</summary>
        public bool Newer;
    }

    /// <summary>
    /// Every table of the entry node that holds connections knows the frame's connection: else the frame may
    /// be new to one of them (a connection the host stack closed, or never picked up) and be committed there
    /// afresh, with NAT's and statistic's draws.
    /// </summary>
    private bool KnownOnEntry(JourneyNode node, ulong found)
    {
        for (int t = 0; t < _tables.Length; t++)
        {
            var (tracker, zones, owner) = _tables[t];
            if (owner == node && zones.Count > 0 && (found & (1UL << t)) == 0)
                return false;
        }
        return true;
    }

    /// <summary>
    /// A TCP SYN without ACK may open a connection even where one is tracked (a closed one reused, pf's window
    /// check refusing it): conntrack then commits afresh, and NAT and statistic draw for it.
    /// </summary>
    private static bool OpensConnection(in FlowKey key)
        => key.NwProto == IpProtocols.Tcp && ((TcpFlags)key.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;

    /// <summary>One NAT step: true when some live connection maps the tuple to another one.</summary>
    private bool TryTranslate(ref CtTuple tuple, long nowMs, ref ulong found, ref long liveBefore)
    {
        for (int t = 0; t < _tables.Length; t++)
        {
            var (tracker, zones, _) = _tables[t];
            if (zones.Count == 0 && tracker.Count > 0)
            {
                tracker.CollectZones(zones); // its first connections: do not wait for the next refresh
                _zonesEpoch++;
            }
            foreach (ushort zone in zones)
            {
                if (!tracker.TryFindLive(in tuple, zone, nowMs, out var translated, out long expires))
                    continue;
                found |= 1UL << t;
                liveBefore = Math.Min(liveBefore, expires);
                if (!SameConnection(in translated, in tuple))
                {
                    tuple = translated;
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>A GENEVE frame received on the tunnel port: the key and bytes of the frame it carries.</summary>
    private static bool TryInner(ref FlowKey key, ref ReadOnlySpan<byte> frame)
    {
        if (key.NwProto != IpProtocols.Udp || key.TpDst != GeneveHeader.UdpPort
            || (key.Layout.Flags & ParseFlags.L4Complete) == 0 || key.Layout.L4Offset == 0)
            return false;
        int payload = key.Layout.L4Offset + 8;
        if (payload > frame.Length || !GeneveHeader.TryRead(frame[payload..], out var geneve)
            || geneve.ProtocolType != EtherTypes.TransparentEthernetBridging)
            return false;
        frame = frame[(payload + geneve.HeaderLength)..];
        FlowKey.Extract(frame, key.InPort, out key);
        return true;
    }

    /// <summary>The same connection, in either direction (for ICMP: the same endpoints and identifier).</summary>
    private static bool SameConnection(in CtTuple a, in CtTuple b)
        => a.NwProto == b.NwProto && SymmetricHash(in a) == SymmetricHash(in b);

    /// <summary>The same for both directions: the endpoints in a fixed order.</summary>
    private static ulong SymmetricHash(in CtTuple t)
    {
        ulong a = Mix((ulong)(t.Src >> 64) ^ (ulong)t.Src ^ ((ulong)t.SrcPort << 48));
        ulong b = Mix((ulong)(t.Dst >> 64) ^ (ulong)t.Dst ^ ((ulong)t.DstPort << 48));
        // ICMP: both directions carry the identifier as SrcPort and the type in DstPort; hash the identifier only.
        if (t.NwProto is IpProtocols.Icmp or IpProtocols.Icmpv6)
        {
            a = Mix((ulong)(t.Src >> 64) ^ (ulong)t.Src);
            b = Mix((ulong)(t.Dst >> 64) ^ (ulong)t.Dst) ^ t.SrcPort;
            a ^= t.SrcPort;
        }
        return Mix(Math.Min(a, b) * 31 + Math.Max(a, b) + t.NwProto);
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDUL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53UL;
        return x ^ (x >> 33);
    }
}
