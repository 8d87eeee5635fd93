using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Datapath.Conntrack;
using Datapath.Engine.Cache;
using Datapath.Engine.Tracing;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Engine;

/// <summary>
/// One emulated Kubernetes node as the datapath sees it: its bridge, its conntrack (OVS's zones,
/// 65520 for Antrea), its underlay address and MAC, and the neighbour table used to address
/// GENEVE frames leaving the uplink. <see cref="Process(uint, ReadOnlySpan{byte}, IPacketSink?, long, Trace?)"/>
/// is the entry point: a frame in on a port becomes outputs (each given to the sink) or one
/// counted drop.
/// </summary>
/// <remarks>
/// <para>Batches: <see cref="Prepare{TBatch}"/> runs a batch's ingress, first flow-cache lookups and conntrack
/// prefetches ahead; each frame then runs in turn (<see cref="ProcessPrepared"/>) exactly as Process would run
/// it (docs/architecture.md, "Batches: prepared ahead, run in order"). A thread's prepared batch lives in its
/// XlateContext until the next Prepare on that thread.</para>
/// <para>Thread-safety: Process may run on any number of threads (one XlateContext per thread).
/// Neighbours and ports are set up before traffic.</para>
/// </remarks>
public sealed class Node : IDisposable
{
    private readonly Dictionary<uint, MacAddress> _neighbors = [];
    private readonly Dictionary<UInt128, MacAddress> _neighbors6 = [];
    private readonly PerThread<XlateContext> _contexts;
    private readonly Translator _translator;

    public Node(string name, Bridge bridge, Ipv4Address nodeIp, MacAddress nodeMac, ConnectionTracker? conntrack = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(bridge);
        Name = name;
        Bridge = bridge;
        NodeIp = nodeIp;
        NodeMac = nodeMac;
        Conntrack = conntrack ?? new ConnectionTracker(new ConntrackOptions());
        _translator = new Translator(this);
        _contexts = new(() => new XlateContext { RecircIds = bridge.RecircIds });
    }

    public string Name { get; }
    public Bridge Bridge { get; }
    /// <summary>The underlay address: the outer source of GENEVE frames.</summary>
    public Ipv4Address NodeIp { get; }
    /// <summary>The IPv6 underlay address: the outer source of GENEVE frames sent over IPv6 (tun_ipv6_dst set); zero when none.</summary>
    public Ipv6Address NodeIp6 { get; set; }
    /// <summary>The uplink MAC: the outer Ethernet source of GENEVE frames.</summary>
    public MacAddress NodeMac { get; }
    public ConnectionTracker Conntrack { get; }
    /// <summary>The underlay default gateway, used when a tunnel destination has no neighbour entry.</summary>
    public Ipv4Address? UnderlayGateway { get; set; }
    /// <summary>Set the GENEVE UDP checksum on frames sent (Antrea's tunnel csum=true).</summary>
    public bool TunnelChecksum { get; set; } = true;
    /// <summary>How many ct(table=N) recirculations one packet may take (OVS's datapath limits them too).</summary>
    public int MaxRecirculations { get; set; } = 8;

    /// <summary>
    /// Run passes from each worker's flow cache (Cache/FlowCache.cs) when they hit, the slow path
    /// only on a miss; off, every pass is translated (<c>--no-cache</c>). Results are the same either
    /// way. Traces always take the slow path.
    /// </summary>
    public bool UseFlowCache { get; set; } = true;

    /// <summary>The flow caches' counters summed over every thread that ran this node.</summary>
    public FlowCacheStats CacheStats
    {
        get
        {
            long hits = 0, front = 0, misses = 0, flushes = 0, uncacheable = 0, entries = 0, prepared = 0;
            foreach (var c in _contexts.Values)
            {
                prepared += c.PreparedTotal;
                if (c.Cache is not { } fc)
                    continue;
                hits += fc.Hits;
                front += fc.FrontHits;
                misses += fc.Misses;
                flushes += fc.Flushes;
                uncacheable += fc.Uncacheable;
                entries += fc.Count;
            }
            return new FlowCacheStats(hits, front, misses, flushes, uncacheable, entries, prepared);
        }
    }

    /// <summary>The megaflows every thread's flow cache holds for this node (tests and reports; not while traffic runs).</summary>
    internal IEnumerable<MegaflowEntry> CachedMegaflows => _contexts.Values.SelectMany(c => c.Cache?.Entries ?? []);

    /// <summary>
    /// Opens a batch on this thread: until the scope is disposed, flow cache hits are counted in
    /// their megaflows and port rx/tx in the thread's tally, and credited to the rules and ports once,
    /// when it ends (as dpif-netdev pushes a PMD's stats per batch), instead of after every Process call. Scopes nest; stats are exact again
    /// when the outermost one ends.
    /// </summary>
    public BatchScope Batch()
    {
        var ctx = _contexts.Value;
        ctx.BatchDepth++;
        return new BatchScope(ctx);
    }

    /// <summary>Ends a <see cref="Batch"/>: on the outermost, pushes the thread's cache stats to the rules.</summary>
    public readonly struct BatchScope : IDisposable
    {
        private readonly XlateContext? _ctx;

        internal BatchScope(XlateContext ctx) => _ctx = ctx;

        public void Dispose()
        {
            if (_ctx is { } c && --c.BatchDepth == 0)
                c.PushStats();
        }
    }

    /// <summary>Releases the per-thread translation contexts.</summary>
    public void Dispose() => _contexts.Dispose();

    public void AddNeighbor(Ipv4Address ip, MacAddress mac) => _neighbors[ip.Value] = mac;

    public void AddNeighbor(Ipv6Address ip, MacAddress mac) => _neighbors6[ip.Value] = mac;

    /// <summary>The MAC a frame for IPv6 underlay address <paramref name="dst"/> goes to (neighbour entries only).</summary>
    public bool TryResolveUnderlay(Ipv6Address dst, out MacAddress mac) => _neighbors6.TryGetValue(dst.Value, out mac);

    public bool TryGetNeighbor(Ipv4Address ip, out MacAddress mac) => _neighbors.TryGetValue(ip.Value, out mac);

    public IEnumerable<(Ipv4Address Ip, MacAddress Mac)> Neighbors => _neighbors.Select(kv => (new Ipv4Address(kv.Key), kv.Value));

    /// <summary>The MAC a frame for <paramref name="dst"/> goes to on the underlay: its neighbour entry or the gateway's.</summary>
    public bool TryResolveUnderlay(Ipv4Address dst, out MacAddress mac)
    {
        if (_neighbors.TryGetValue(dst.Value, out mac))
            return true;
        return UnderlayGateway is { } gw && _neighbors.TryGetValue(gw.Value, out mac);
    }

    // ---- Processing: any thread.

    /// <summary>Runs one frame received on <paramref name="inPort"/> through the bridge.</summary>
    /// <param name="inPort">The ofport it arrived on. Frames on the tunnel port are GENEVE frames from the uplink.</param>
    /// <param name="frame">The frame; not modified (the node works on its own copy).</param>
    /// <param name="sink">Receives every copy sent, or null to only count.</param>
    /// <param name="nowMs">The time for conntrack, in milliseconds.</param>
    /// <param name="trace">When non-null, every step is recorded into it.</param>
    public PacketVerdict Process(uint inPort, ReadOnlySpan<byte> frame, IPacketSink? sink, long nowMs, Trace? trace = null)
        => Run(_contexts.Value, inPort, frame, sink, nowMs, trace, in Unsafe.NullRef<FlowKey>(), prepared: -1);

    /// <summary>
    /// <see cref="Process(uint, ReadOnlySpan{byte}, IPacketSink?, long, Trace?)"/> for frame <paramref name="prepared"/>
    /// of the batch the last <see cref="Prepare{TBatch}"/> on this thread prepared (the same frame and port). The
    /// result is the one Process gives; only the work differs.
    /// </summary>
    public PacketVerdict ProcessPrepared(int prepared, uint inPort, ReadOnlySpan<byte> frame, IPacketSink? sink, long nowMs)
        => Run(_contexts.Value, inPort, frame, sink, nowMs, null, in Unsafe.NullRef<FlowKey>(), prepared);

    /// <summary>
    /// Connections this node's table must hold before <see cref="Prepare{TBatch}"/> does anything: below, the table
    /// stays in the CPU's caches and the prefetch it exists for saves nothing (measured in bench/README.md).
    /// </summary>
    public int PrepareMinConnections { get; set; } = DefaultPrepareMinConnections;

    /// <summary>The largest batch <see cref="Prepare{TBatch}"/> takes (a live port's receive batch; replay prepares 32 at a time).</summary>
    public const int MaxPreparedFrames = 64;

    /// <summary>The default of <see cref="PrepareMinConnections"/>.</summary>
    public const int DefaultPrepareMinConnections = 65536;

    /// <summary>
    /// The first stage of a batch (dpif-netdev's miniflow extraction, EMC/dpcls lookups and conntrack's
    /// prefetch over a whole dp_packet_batch): for every frame, its flow key (GENEVE decapsulated on the tunnel
    /// port), its first flow-cache lookup and, when that pass reaches a ct(), a prefetch of the connection the
    /// ct() will look up (ConnectionTracker.PrefetchHome, then PrefetchConnection for all) — so that the
    /// batch's conntrack cache misses overlap instead of costing one after another. Then each frame runs in its
    /// turn (<see cref="ProcessPrepared"/>), in order, every action as one by one: the stage only reads shared
    /// state (the connection table, the bridge) and changes the cache's hints (which of its tiers answers a later
    /// lookup, FlowCacheStats.FrontHits, may differ; the hits and misses are the same), so results are those of
    /// <see cref="Process(uint, ReadOnlySpan{byte}, IPacketSink?, long, Trace?)"/> frame after frame. A frame whose
    /// turn comes after the cache was flushed, or whose lookup missed, looks up again. Does nothing (returns 0)
    /// without the flow cache or below <see cref="PrepareMinConnections"/>. Returns the frames prepared: 0, or
    /// the batch's count (at most <see cref="MaxPreparedFrames"/>).
    /// </summary>
    public int Prepare<TBatch>(ref TBatch batch) where TBatch : IFrameBatch, allows ref struct
    {
        var ctx = _contexts.Value;
        ctx.PreparedCount = 0;
        int n = batch.Count;
        if (!UseFlowCache || n > ctx.Prepared.Length || Conntrack.Count < PrepareMinConnections)
            return 0;
        // No Revalidate here: a frame's turn does it, and one made stale by a change since Prepare redoes its
        // work (epoch mismatch), so flushes happen exactly where one-by-one runs make them.
        var cache = ctx.Cache ??= new FlowCache(Bridge);
        var map = Bridge.TlvMap;
        int prefetched = 0;
        for (int i = 0; i < n; i++)
        {
            ref PreparedFrame p = ref ctx.Prepared[i];
            ReadOnlySpan<byte> frame = batch.Frame(i);
            uint inPort = batch.InPort(i);
            p.Valid = false;
            p.InPort = inPort;
            p.Length = frame.Length;
            p.InnerOffset = 0;
            p.InnerLength = frame.Length;
            if (!Bridge.TryGetPort(inPort, out var port) || frame.Length > XlateContext.MaxFrame || frame.Length < 14)
                continue;
            bool tunnel = port.Kind == PortKind.Tunnel;
            if (tunnel)
            {
                ref FlowKey tun = ref ctx.PrepareTunnel;
                tun = default;
                if (!GeneveDecapsulator.TryDecapsulate(frame, in map, out p.InnerOffset, out p.InnerLength, ref tun, out _)
                    || (tun.HasTunIpv6 ? tun.TunIpv6Dst != NodeIp6 : tun.TunDst != NodeIp.Value))
                    continue;
            }
            ReadOnlySpan<byte> inner = frame.Slice(p.InnerOffset, p.InnerLength);
            FlowKey.Extract(inner, inPort, out p.Key, Bridge.VlanLimit);
            if ((p.Key.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed)) != 0)
                continue;
            if (tunnel)
                GeneveDecapsulator.CopyTunnelFields(in ctx.PrepareTunnel, ref p.Key);
            long hits = cache.Hits, front = cache.FrontHits, misses = cache.Misses;
            var entry = cache.Lookup(in p.Key);
            p.Hits = (int)(cache.Hits - hits);
            p.FrontHits = (int)(cache.FrontHits - front);
            p.Misses = (int)(cache.Misses - misses);
            p.Entry = entry;
            p.Epoch = cache.Flushes;
            p.Valid = true;
            if (entry is { Error: null } && PrefetchFirstCt(ctx, entry, in p.Key, inner, out ulong hash))
                ctx.PrepareHashes[prefetched++] = hash;
        }
        for (int i = 0; i < prefetched; i++)
            Conntrack.PrefetchConnection(ctx.PrepareHashes[i]);
        ctx.PreparedCount = n;
        ctx.PreparedTotal += n;
        return n;
    }

    // The connection the entry's first ct() will look up: the pass's start key with the entry's changes up to
    // that action (a hint: any mismatch with what Execute will see only wastes the prefetch).
    private bool PrefetchFirstCt(XlateContext ctx, MegaflowEntry entry, in FlowKey key, ReadOnlySpan<byte> frame, out ulong hash)
    {
        for (int i = 0; i < entry.ActionCount; i++)
        {
            ref DpAction a = ref entry.Actions[i];
            if (a.Kind != DpKind.Ct)
                continue;
            ref FlowKey ct = ref ctx.PrepareCtKey;
            ct = key;
            entry.ApplyDeltas(a.Snapshot, ref ct);
            return Conntrack.PrefetchHome(in ct, frame, a.Ct.Zone, out hash);
        }
        hash = 0;
        return false;
    }

    /// <summary>
    /// Runs an inner frame as if it had been decapsulated on the tunnel port with these tunnel fields
    /// (tun_src, tun_dst, tun_id, tun_metadata...) — what <c>ofproto/trace in_port=TUNNEL,tun_src=...</c> does.
    /// </summary>
    public PacketVerdict ProcessDecapsulated(uint inPort, ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, IPacketSink? sink, long nowMs, Trace? trace = null)
        => Run(_contexts.Value, inPort, innerFrame, sink, nowMs, trace, in tunnelFields, prepared: -1);

    /// <summary>
    /// Runs <c>ofproto/trace</c>-style flow text (<c>in_port=49,tcp,nw_src=...,tp_dst=80,tcp_flags=syn</c>):
    /// builds the FlowKey and a frame from it and processes that frame on the flow's in_port. On the
    /// tunnel port, tun_* fields in the text are taken as the decapsulated tunnel metadata.
    /// </summary>
    /// <exception cref="Packets.InputException">The text does not parse (column given).</exception>
    public PacketVerdict ProcessFlow(string flowText, IPacketSink? sink, long nowMs, Trace? trace, out byte[] frame)
    {
        var key = FlowText.ParseKey(flowText, Bridge, out _);
        frame = FlowText.BuildFrame(in key);
        if (Bridge.TryGetPort(key.InPort, out var port) && port.Kind == PortKind.Tunnel)
            return ProcessDecapsulated(key.InPort, frame, in key, sink, nowMs, trace);
        return Process(key.InPort, frame, sink, nowMs, trace);
    }

    /// <summary>One frame; outside a <see cref="Batch"/>, the cache's stats are pushed to the rules before returning.</summary>
    private PacketVerdict Run(XlateContext ctx, uint inPort, ReadOnlySpan<byte> frame, IPacketSink? sink, long nowMs, Trace? trace, ref readonly FlowKey injectedTunnel, int prepared)
    {
        var verdict = ProcessCore(ctx, inPort, frame, sink, nowMs, trace, in injectedTunnel, prepared);
        if (ctx.BatchDepth == 0)
            ctx.PushStats();
        return verdict;
    }

    // injectedTunnel: the tunnel fields of an already decapsulated frame, or a null ref (passed by
    // reference: a FlowKey is 336 bytes and this runs per frame).
    private PacketVerdict ProcessCore(XlateContext ctx, uint inPort, ReadOnlySpan<byte> frame, IPacketSink? sink, long nowMs, Trace? trace, ref readonly FlowKey injectedTunnel, int prepared)
    {
        ctx.ResetPacket(trace, Name);
        ctx.NowMs = nowMs;
        if (!Bridge.TryGetPort(inPort, out var port))
            return Drop(ctx, null, DropReason.IngressPortMissing, DropCounters.NoTable, $"no port {inPort} on {Bridge.Name}");
        ctx.PortTally.Rx(port, frame.Length);
        if (frame.Length > XlateContext.MaxFrame || frame.Length < 14)
            return Drop(ctx, port, DropReason.Malformed, DropCounters.NoTable, $"frame of {frame.Length} bytes");
        frame.CopyTo(ctx.Buffer.AsSpan(XlateContext.Headroom));
        ctx.FrameStart = XlateContext.Headroom;
        ctx.FrameLength = frame.Length;

        FlowCache? cache = UseFlowCache && ctx.Trace is null ? ctx.Cache ??= new FlowCache(Bridge) : null;
        if (nowMs > Bridge.Tables.NextExpiryMs)
        {
            // A timed rule may have expired (OVS's rule_expire, here on the packet's clock): idle times first
            // take this thread's pending cache hits, then the expiry is a flow-mod like any (the cache flushes).
            ctx.PushStats();
            Bridge.ExpireFlows(nowMs);
        }
        cache?.Revalidate();
        if ((uint)prepared < (uint)ctx.PreparedCount && cache is not null)
        {
            ref PreparedFrame pf = ref ctx.Prepared[prepared];
            if (pf.Valid && pf.InPort == inPort && pf.Length == frame.Length)
            {
                pf.Valid = false; // used once
                if (pf.Entry is null || pf.Epoch != cache.Flushes)
                    cache.Discount(pf.Hits, pf.FrontHits, pf.Misses); // the turn looks up again
                if (pf.Epoch == cache.Flushes)
                {
                    // Prepare did the ingress work (decapsulation, key extraction) under the bridge as it is
                    // now (a flush since would mean ports, TLV map or tables changed: then all is redone).
                    ctx.FrameStart += pf.InnerOffset;
                    ctx.FrameLength = pf.InnerLength;
                    ctx.Key = pf.Key;
                    ctx.PacketBytes = ctx.FrameLength;
                    ctx.AppliedIsKey();
                    return Passes(ctx, port, cache, pf.Entry, sink, nowMs);
                }
            }
        }

        ref FlowKey tun = ref ctx.Tunnel;
        bool fromTunnel = false;
        if (!Unsafe.IsNullRef(in injectedTunnel))
        {
            tun = injectedTunnel;
            fromTunnel = true;
        }
        else if (port.Kind == PortKind.Tunnel)
        {
            var map = Bridge.TlvMap;
            tun = default;
            if (!GeneveDecapsulator.TryDecapsulate(ctx.Frame, in map, out int innerOffset, out int innerLength, ref tun, out var why))
                return Drop(ctx, port, DecapDropReason(why), DropCounters.NoTable, $"GENEVE decapsulation failed: {why}");
            if (tun.HasTunIpv6 ? tun.TunIpv6Dst != NodeIp6 : tun.TunDst != NodeIp.Value)
                return Drop(ctx, port, DropReason.TunnelNotForNode, DropCounters.NoTable, $"GENEVE frame for {TunnelAddress(in tun, dst: true)}, not this node ({(tun.HasTunIpv6 ? NodeIp6.ToString() : NodeIp.ToString())})");
            if (ctx.Trace is { } tt)
                tt.Steps.Add(new TraceStep(Name, TraceKind.Tunnel, 0) { Summary = $"GENEVE decap on {port.Name}: tun_src={TunnelAddress(in tun, dst: false)} tun_dst={TunnelAddress(in tun, dst: true)} tun_id=0x{tun.TunId:x}, inner frame {innerLength} bytes" }
                    .Add("op", "decap").Add("tun_src", TunnelAddress(in tun, dst: false)).Add("tun_dst", TunnelAddress(in tun, dst: true)).Add("tun_id", "0x" + tun.TunId.ToString("x")));
            ctx.FrameStart += innerOffset;
            ctx.FrameLength = innerLength;
            fromTunnel = true;
        }

        FlowKey.Extract(ctx.Frame, inPort, out ctx.Key, Bridge.VlanLimit);
        if ((ctx.Key.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed)) != 0)
            return Drop(ctx, port, DropReason.Malformed, DropCounters.NoTable, $"frame is {((ctx.Key.Layout.Flags & ParseFlags.Truncated) != 0 ? "truncated" : "malformed")}");
        if (fromTunnel)
            GeneveDecapsulator.CopyTunnelFields(in tun, ref ctx.Key);
        ctx.PacketBytes = ctx.FrameLength;
        ctx.AppliedIsKey();
        if (ctx.Trace is { } t0)
            t0.Steps.Add(new TraceStep(Name, TraceKind.Ingress, 0) { Flow = ctx.Key, Summary = $"{port.OfPort}({port.Name}): {FlowFormatter.Format(in ctx.Key, Classifier.NameView.For(Bridge, Bridge.TableNames, t0.Names))}" }
                .Add("in_port", port.Name).Add("flow", FlowFormatter.Format(in ctx.Key, Classifier.NameView.For(Bridge, Bridge.TableNames, t0.Names))));

        return Passes(ctx, port, cache, null, sink, nowMs);
    }

    /// <summary>The frame's passes, from table 0 until it ends; <paramref name="first"/>: the first pass's megaflow if already looked up.</summary>
    private PacketVerdict Passes(XlateContext ctx, BridgePort port, FlowCache? cache, MegaflowEntry? first, IPacketSink? sink, long nowMs)
    {
        byte table = 0;
        int recirculations = 0;
        MegaflowEntry? entry = null;
        while (true)
        {
            DpAction[] actions;
            int actionCount;
            if (first is not null)
            {
                entry = first;
                first = null;
            }
            else
                entry = cache?.Lookup(in ctx.Key, entry);
            if (entry is not null)
            {
                // The fast path: the pass as the slow path made it for this megaflow.
                cache!.Credit(entry, ctx.PacketBytes, nowMs);
                if (entry.Learns.Length > 0)
                {
                    // OVS's XC_LEARN: the megaflow's learns run again for each packet (refresh, or re-add if gone).
                    bool changed = false;
                    foreach (var learned in entry.Learns)
                        changed |= Bridge.Learn(learned, nowMs) == Classifier.LearnOutcome.Added;
                    if (changed)
                        cache.Revalidate(); // the packet's next passes see the flow, as the slow path's do
                }
                if (entry.Error is { } cachedError)
                    return Drop(ctx, port, cachedError, entry.ErrorTable, null);
                if (entry.LastDrop is { } lastDrop)
                {
                    ctx.LastDrop = lastDrop;
                    ctx.LastDropTable = entry.LastDropTable;
                }
                ctx.TableId = entry.FinalTable;
                actions = entry.Actions;
                actionCount = entry.ActionCount;
            }
            else
            {
                if (!SlowPass(ctx, cache, table, out var error))
                    return Drop(ctx, port, error, ctx.ErrorTable, null);
                actions = ctx.Actions;
                actionCount = ctx.ActionCount;
            }
            int next = Execute(ctx, entry, actions, actionCount, sink, nowMs);
            if (next < 0 && (next = ResumeFork(ctx)) < 0)
                break;
            if (++recirculations > MaxRecirculations)
                return Drop(ctx, port, DropReason.RecirculationLimit, (byte)next, $"more than {MaxRecirculations} recirculations");
            table = (byte)next;
            if (ctx.Trace is { } tr)
            {
                tr.Steps.Add(new TraceStep(Name, TraceKind.Recirculation, 0)
                {
                    Table = table,
                    Flow = ctx.Key,
                    FlowText = RecirculatedFlowText(in ctx.Key, tr),
                    CtNext = tr.PendingCtNext,
                    Summary = $"recirc(0x{tr.ShownRecircId(ctx.Key.RecircId):x}): resume at table {table} with {FlowFormatter.FormatConntrack(in ctx.Key)}{(tr.PendingCtNext is null ? "" : " (--ct-next)")}",
                });
                tr.PendingCtNext = null;
            }
        }
        if (ctx.Trace is { } tf)
            tf.FinalFlows[Name] = ctx.Key;
        if (ctx.Outputs > 0)
            return new PacketVerdict(ctx.Outputs, null, 0);
        var reason = ctx.LastDrop ?? DropReason.NoOutput;
        return Drop(ctx, port, reason, ctx.LastDrop is null ? ctx.TableId : ctx.LastDropTable, null);
    }

    private PacketVerdict Drop(XlateContext ctx, BridgePort? port, DropReason reason, byte table, string? detail)
    {
        Bridge.Drops.Add(table, reason);
        port?.Counters.RxDrop();
        if (ctx.Trace is { } t)
        {
            int? tableOrNull = table == DropCounters.NoTable ? null : table;
            t.Drops.Add(new TraceDrop(Name, tableOrNull, reason));
            if (detail is not null)
                t.Steps.Add(new TraceStep(Name, TraceKind.Drop, 0) { Summary = "drop: " + detail });
        }
        return new PacketVerdict(0, reason, table);
    }

    /// <summary>
    /// The slow path for one pass from <paramref name="table"/>: translates, installs the result in
    /// <paramref name="cache"/> (when given) and, when tracing, records the pass's Megaflow and
    /// datapath actions. False when the translation failed (<paramref name="error"/>).
    /// </summary>
    private bool SlowPass(XlateContext ctx, FlowCache? cache, byte table, out DropReason error)
    {
        ctx.TrackConsulted = cache is not null || ctx.Trace is not null;
        var versions = cache?.BridgeVersions() ?? default;
        if (ctx.TrackConsulted)
            ctx.PassStart = ctx.Key;
        // A pass's own drop is what a cache entry records; an earlier pass's stands when it records none.
        DropReason? priorDrop = ctx.LastDrop;
        byte priorDropTable = ctx.LastDropTable;
        ctx.LastDrop = null;
        ctx.SeparateApplied(); // the translator edits the key; the frame still holds what Applied says
        _translator.Translate(ctx, table);
        cache?.Install(ctx, in ctx.PassStart, versions);
        if (ctx.LearnedChanges)
            cache?.Revalidate(); // a learn added a flow: the packet's next passes see it
        if (ctx.LastDrop is null)
        {
            ctx.LastDrop = priorDrop;
            ctx.LastDropTable = priorDropTable;
        }
        if (ctx.Trace is { } tm)
            TracePass(ctx, tm);
        if (ctx.Error is { } err)
        {
            if (ctx.Trace is { } te)
                te.FinalFlows[Name] = ctx.Key;
            error = err;
            return false;
        }
        error = default;
        return true;
    }

    /// <summary>The flow a recirculation resumes with, as the default trace prints it.</summary>
    private string RecirculatedFlowText(in FlowKey key, Trace trace)
    {
        FlowKey shown = key;
        shown.RecircId = trace.ShownRecircId(key.RecircId);
        return FlowFormatter.Format(in shown, Classifier.NameView.For(Bridge, Bridge.TableNames, trace.Names));
    }

    /// <summary>Records a translated pass in the trace: its Megaflow and datapath actions steps and the <see cref="Tracing.TracePass"/>.</summary>
    private void TracePass(XlateContext ctx, Trace trace)
    {
        FlowKey shown = ctx.PassStart;
        shown.RecircId = trace.ShownRecircId(shown.RecircId);
        string megaflow = Megaflow.Format(in ctx.Consulted, in shown, Bridge);
        FlowKey final = ctx.Key;
        final.RecircId = shown.RecircId;
        if (ctx.ActionCount > 0 && ctx.Actions[ctx.ActionCount - 1] is { Kind: DpKind.Ct, Recirc: true })
            Translator.ClearConntrackFields(ref final);
        string? dp = ctx.Error is null ? DescribeActions(ctx) : null;
        var names = Classifier.NameView.For(Bridge, Bridge.TableNames, trace.Names);
        string startText = FlowFormatter.Format(in shown, names), finalText = FlowFormatter.Format(in final, names);
        var pass = new TracePass
        {
            FinalFlowText = startText == finalText ? null : finalText,
            Node = Name,
            RecircId = shown.RecircId,
            Start = shown,
            Final = final,
            Megaflow = megaflow,
            DatapathActions = dp,
            OvsDatapathActions = ctx.Error is null ? OvsDatapathActions.Format(this, ctx, trace) : null,
            Error = ctx.Error,
        };
        trace.Passes.Add(pass);
        trace.Megaflows.Add(megaflow);
        trace.Steps.Add(new TraceStep(Name, TraceKind.Megaflow, 0) { Summary = megaflow, Pass = pass });
        if (dp is not null)
        {
            trace.DatapathActions.Add(dp);
            trace.Steps.Add(new TraceStep(Name, TraceKind.DatapathActions, 0) { Summary = dp });
        }
    }

    // ---- executing datapath actions

    /// <summary>
    /// Runs one pass's datapath actions on the frame; returns the table to recirculate to, or -1. Each
    /// action runs on its key snapshot: the slow path's (ctx.Snapshots), or for a cached pass
    /// (<paramref name="entry"/>) the pass's start key with the entry's changes for that snapshot.
    /// </summary>
    private int Execute(XlateContext ctx, MegaflowEntry? entry, DpAction[] actions, int count, IPacketSink? sink, long nowMs)
    {
        int applied = -1;
        // After a ct() that does not recirculate, the frame and the applied key are what conntrack left (NAT included):
        // a later snapshot writes only what the translation changed since the snapshot the ct() ran on, as OVS's
        // datapath runs the set() actions after ct(nat) on the translated packet.
        bool afterCt = false;
        bool inPlace = entry is { InPlace: true };
        for (int i = 0; i < count; i++)
        {
            ref DpAction a = ref actions[i];
            if (inPlace)
            {
                // The cached pass's snapshot steps: a few words of the applied key and the header fields that change.
                SnapshotStep step = entry!.Steps[i];
                if (step.OpCount != 0)
                {
                    Span<ulong> words = ctx.Applied.Words;
                    for (int d = step.OpStart, end = d + step.OpCount; d < end; d++)
                    {
                        KeyDelta op = entry.StepOps[d];
                        words[op.Word] = (words[op.Word] & ~op.Mask) | op.Value;
                    }
                }
                if (step.Fields != HeaderFields.None)
                    PacketEditor.ApplyFields(ctx.Frame, in ctx.Applied.Layout, in ctx.Applied, step.Fields);
            }
            else if (afterCt)
            {
                if (a.Snapshot != applied)
                {
                    ApplySinceCt(ctx, entry, applied, a.Snapshot);
                    applied = a.Snapshot;
                }
            }
            else if (a.Snapshot != applied)
            {
                ref FlowKey next = ref ctx.NextApplied;
                if (entry is null)
                    next = ctx.Snapshots[a.Snapshot];
                else
                {
                    next = ctx.Key;
                    entry.ApplyDeltas(a.Snapshot, ref next);
                }
                next.Layout = ctx.Applied.Layout;
                PacketEditor.ApplyKey(ctx.Frame, in ctx.Applied, in next);
                ctx.FlipApplied();
                applied = a.Snapshot;
            }
            switch (a.Kind)
            {
                case DpKind.Output:
                    Deliver(ctx, a.Port, sink, a.MaxLength);
                    break;
                case DpKind.Ct when a.Fork:
                    Fork(ctx, in a, nowMs);
                    break;
                case DpKind.Ct:
                    {
                        ref FlowKey ctKey = ref ctx.Applied;
                        bool tracked = Conntrack.Execute(ref ctKey, ctx.Frame, in a.Ct, nowMs);
                        afterCt = true;
                        if (ctx.Trace is { } t)
                        {
                            t.Steps.Add(new TraceStep(Name, TraceKind.Conntrack, 0)
                            {
                                Summary = $"ct(zone={a.Ct.Zone}{(a.Ct.Commit ? ",commit" : "")}{(a.Ct.Nat is { } n ? "," + n : "")}{(a.Ct.MarkMask != 0 ? $",mark=0x{a.Ct.Mark:x}" : "")}) -> {FlowFormatter.FormatConntrack(in ctKey)}",
                            }
                            .Add("zone", a.Ct.Zone.ToString(System.Globalization.CultureInfo.InvariantCulture))
                            .Add("commit", a.Ct.Commit ? "true" : "false")
                            .Add("ct_state", FlowFormatter.FormatCtState(ctKey.CtState))
                            .Add("ct_mark", "0x" + ctKey.CtMark.ToString("x")));
                        }
                        if (!tracked)
                        {
                            ctx.RecordDrop(DropReason.CtLimit);
                            ctx.Trace?.Steps.Add(new TraceStep(Name, TraceKind.Drop, 0) { Summary = $"drop: ct-limit (zone {a.Ct.Zone} or the table is at its connection limit)" }
                                .Add("reason", DropReasonNames.Name(DropReason.CtLimit)));
                            return -1;
                        }
                        if (a.Recirc)
                        {
                            // ofproto/trace --ct-next: the state the user asked the next pass to see (traces only).
                            if (ctx.Trace is { } tn && tn.TakeCtNext() is { } forced)
                            {
                                ctKey.CtState = forced;
                                tn.PendingCtNext = forced;
                            }
                            ctKey.RecircId = a.RecircId;
                            ctx.KeyIsApplied();
                            return a.RecircTable;
                        }
                        break;
                    }
                case DpKind.PushVlan:
                    if (a.EvictInnerVlan)
                        RemoveSecondVlan(ctx);
                    PushVlan(ctx, a.EtherType);
                    break;
                case DpKind.PopVlan:
                    PopVlan(ctx);
                    break;
                case DpKind.PushMpls:
                    PushMpls(ctx, a.EtherType, a.Port);
                    break;
                case DpKind.PopMpls:
                    PopMpls(ctx, a.EtherType);
                    break;
                case DpKind.Punt:
                    Bridge.CountPunt();
                    break;
                case DpKind.Meter:
                    if (Bridge.TryGetMeter(a.Port, out var meter) && !meter.Run(ctx.PacketBytes, nowMs))
                    {
                        // dp_netdev_run_meter deleted the packet: nothing after the meter runs.
                        ctx.RecordDrop(DropReason.Meter);
                        ctx.Trace?.Steps.Add(new TraceStep(Name, TraceKind.Drop, 0) { Summary = $"drop: meter {a.Port} (over a band's rate)" }
                            .Add("reason", DropReasonNames.Name(DropReason.Meter)));
                        return -1;
                    }
                    break;
            }
        }
        return -1;
    }

    /// <summary>
    /// Moves the frame and the applied key (what a ct() left) from snapshot <paramref name="from"/> to
    /// <paramref name="to"/>: the key words and header fields in which the two snapshots differ, nothing else.
    /// </summary>
    private static void ApplySinceCt(XlateContext ctx, MegaflowEntry? entry, int from, int to)
    {
        ref FlowKey a = ref ctx.SnapshotFrom, b = ref ctx.SnapshotTo;
        if (entry is null)
        {
            a = ctx.Snapshots[from];
            b = ctx.Snapshots[to];
        }
        else
        {
            a = ctx.Key;
            entry.ApplyDeltas(from, ref a);
            b = ctx.Key;
            entry.ApplyDeltas(to, ref b);
        }
        var fields = PacketEditor.Diff(in a, in b, out _);
        Span<ulong> words = ctx.Applied.Words;
        ReadOnlySpan<ulong> fa = a.Words, fb = b.Words;
        for (int w = 0; w < FlowKey.WordCount - 1; w++)
        {
            ulong changed = fa[w] ^ fb[w];
            words[w] = (words[w] & ~changed) | (fb[w] & changed);
        }
        PacketEditor.ApplyFields(ctx.Frame, in ctx.Applied.Layout, in ctx.Applied, fields);
    }

    // ct(table=N) inside clone(...): conntrack runs on a copy of the frame, kept to resume after the packet's pass
    // (OVS's datapath clone(ct(...),recirc(id))); the packet and what the frame holds stay as they were.
    private void Fork(XlateContext ctx, in DpAction a, long nowMs)
    {
        var f = ctx.AddFork(ctx.FrameLength);
        ctx.Frame.CopyTo(f.Frame);
        f.Key = ctx.Applied;
        f.Table = a.RecircTable;
        bool tracked = Conntrack.Execute(ref f.Key, f.Frame.AsSpan(0, f.Length), in a.Ct, nowMs);
        ctx.Trace?.Steps.Add(new TraceStep(Name, TraceKind.Conntrack, 0)
        {
            Summary = $"ct(zone={a.Ct.Zone}{(a.Ct.Commit ? ",commit" : "")}{(a.Ct.Nat is { } n ? "," + n : "")}) on a clone of the packet -> {FlowFormatter.FormatConntrack(in f.Key)}",
        });
        if (!tracked)
        {
            ctx.ForkCount--;
            ctx.RecordDrop(DropReason.CtLimit);
            return;
        }
        f.Key.RecircId = a.RecircId;
    }

    // The next forked copy, if any: its frame and key become the packet's; returns its table, or -1.
    private static int ResumeFork(XlateContext ctx)
    {
        if (ctx.ForkNext == ctx.ForkCount)
            return -1;
        var f = ctx.Forks[ctx.ForkNext++];
        f.Frame.AsSpan(0, f.Length).CopyTo(ctx.Buffer.AsSpan(XlateContext.Headroom));
        ctx.FrameStart = XlateContext.Headroom;
        ctx.FrameLength = f.Length;
        ctx.Applied = f.Key;
        ctx.KeyIsApplied();
        return f.Table;
    }

    private void Deliver(XlateContext ctx, uint portNumber, IPacketSink? sink, uint maxLength = 0)
    {
        if (!Bridge.TryGetPort(portNumber, out var port))
        {
            ctx.RecordDrop(DropReason.OutputPortMissing);
            return;
        }
        ReadOnlySpan<byte> frame = ctx.Frame;
        if (maxLength != 0 && frame.Length > maxLength)
            frame = frame[..(int)maxLength]; // OVS's truncate datapath action: the copy sent is cut, the packet is not
        if (port.Kind == PortKind.Tunnel)
        {
            ref FlowKey k = ref ctx.Applied;
            string? problem = null;
            MacAddress nextHop = default;
            bool ipv6 = GeneveEncapsulator.UsesIpv6Outer(in k);
            if (ipv6)
                problem = NodeIp6.Value == 0 ? "no IPv6 underlay address for tun_ipv6_dst"
                    : k.TunIpv6Dst == NodeIp6 ? "not tunneling to our own address"
                    : !TryResolveUnderlay(k.TunIpv6Dst, out nextHop) ? $"no neighbour for {k.TunIpv6Dst}" : null;
            else if (k.TunDst == 0)
                problem = "no tun_dst";
            else if (k.TunDst == NodeIp.Value)
                problem = "not tunneling to our own address";
            else if (!TryResolveUnderlay(new Ipv4Address(k.TunDst), out nextHop))
                problem = $"no neighbour for {new Ipv4Address(k.TunDst)}";
            if (problem is null)
            {
                // The outer source and flags are set on the applied key for the encapsulation and put
                // back after it (a copy of the 368-byte key per tunnel output would cost more).
                uint savedSrc = k.TunSrc;
                ulong savedSrc6Lo = k.TunIpv6SrcLo, savedSrc6Hi = k.TunIpv6SrcHi;
                ushort savedFlags = k.TunFlags;
                if (ipv6)
                    k.TunIpv6Src = NodeIp6;
                else
                    k.TunSrc = NodeIp.Value;
                k.TunFlags |= (ushort)(GeneveTunnelFlags.DontFragment | GeneveTunnelFlags.Key | (TunnelChecksum ? GeneveTunnelFlags.Csum : 0));
                var map = Bridge.TlvMap;
                if (GeneveEncapsulator.TryEncapsulate(frame, in k, in map, NodeMac, nextHop, ctx.EncapBuffer, out int n))
                {
                    frame = ctx.EncapBuffer.AsSpan(0, n);
                    if (ctx.Trace is { } tt)
                        tt.Steps.Add(new TraceStep(Name, TraceKind.Tunnel, 0) { Summary = $"GENEVE encap on {port.Name}: {TunnelAddress(in k, dst: false)} > {TunnelAddress(in k, dst: true)} vni 0x{k.TunId & 0xffffff:x}, {n} bytes, {NodeMac} > {nextHop}" }
                            .Add("op", "encap").Add("tun_src", TunnelAddress(in k, dst: false)).Add("tun_dst", TunnelAddress(in k, dst: true)).Add("tun_id", "0x" + k.TunId.ToString("x")));
                }
                else
                    problem = "GENEVE encapsulation failed";
                k.TunSrc = savedSrc;
                k.TunIpv6SrcLo = savedSrc6Lo;
                k.TunIpv6SrcHi = savedSrc6Hi;
                k.TunFlags = savedFlags;
            }
            if (problem is not null)
            {
                port.Counters.TxDrop();
                ctx.RecordDrop(DropReason.TunnelEncap);
                if (ctx.Trace is { } tt)
                    tt.Steps.Add(new TraceStep(Name, TraceKind.Tunnel, 0) { Summary = $"output to {port.Name} dropped: {problem}" });
                return;
            }
        }
        ctx.PortTally.Tx(port, frame.Length);
        ctx.Outputs++;
        sink?.Output(this, port, frame);
        ctx.Trace?.Outputs.Add(new TraceOutput(Name, port.Name, port.OfPort, frame.ToArray()));
    }

    /// <summary>tun_src or tun_dst as text, or tun_ipv6_src/dst when the tunnel's outer header is IPv6 (traces only).</summary>
    /// <summary>The drop reason of a GENEVE frame the decapsulator refused: the precise one where there is one.</summary>
    private static DropReason DecapDropReason(Geneve.GeneveDropReason why) => why switch
    {
        Geneve.GeneveDropReason.UnknownCriticalOption => DropReason.TunnelCriticalOption,
        Geneve.GeneveDropReason.UnsupportedVersion => DropReason.TunnelBadVersion,
        Geneve.GeneveDropReason.BadIpChecksum or Geneve.GeneveDropReason.BadUdpChecksum or Geneve.GeneveDropReason.ZeroUdpChecksumIpv6 => DropReason.TunnelBadChecksum,
        _ => DropReason.TunnelDecap,
    };

    private static string TunnelAddress(in FlowKey tun, bool dst)
        => tun.HasTunIpv6 && tun.TunDst == 0
            ? (dst ? tun.TunIpv6Dst : tun.TunIpv6Src).ToString()
            : new Ipv4Address(dst ? tun.TunDst : tun.TunSrc).ToString();

    private static void PushVlan(XlateContext ctx, ushort tpid)
    {
        if (ctx.FrameStart < 4)
            return;
        var buf = ctx.Buffer.AsSpan();
        buf.Slice(ctx.FrameStart, 12).CopyTo(buf.Slice(ctx.FrameStart - 4, 12));
        ctx.FrameStart -= 4;
        ctx.FrameLength += 4;
        buf[ctx.FrameStart + 12] = (byte)(tpid >> 8);
        buf[ctx.FrameStart + 13] = (byte)tpid;
        buf[ctx.FrameStart + 14] = 0;
        buf[ctx.FrameStart + 15] = 0;
        Reparse(ctx);
    }

    // The frame's second tag out, its first kept (TPID and TCI): a push that finds two tags in the flow (EvictInnerVlan).
    private static void RemoveSecondVlan(XlateContext ctx)
    {
        if ((ctx.Applied.Layout.Flags & ParseFlags.DoubleVlan) == 0 || ctx.FrameLength < EthernetHeader.Length + 2 * VlanTag.Length)
            return;
        var buf = ctx.Buffer.AsSpan();
        buf.Slice(ctx.FrameStart, 16).CopyTo(buf.Slice(ctx.FrameStart + 4, 16));
        ctx.FrameStart += 4;
        ctx.FrameLength -= 4;
        Reparse(ctx);
    }

    private static void PopVlan(XlateContext ctx)
    {
        var buf = ctx.Buffer.AsSpan();
        if (ctx.FrameLength < 18)
            return;
        buf.Slice(ctx.FrameStart, 12).CopyTo(buf.Slice(ctx.FrameStart + 4, 12));
        ctx.FrameStart += 4;
        ctx.FrameLength -= 4;
        Reparse(ctx);
    }

    // push_mpls as OVS's packets.c push_mpls: the entry goes after the Ethernet and VLAN headers (before an MPLS frame's
    // stack), whose innermost EtherType becomes the MPLS one; the frame's fields are then extracted afresh.
    private static void PushMpls(XlateContext ctx, ushort etherType, uint lse)
    {
        int at = ctx.Applied.Layout.L3Offset;
        if (at < EthernetHeader.Length || ctx.FrameStart < 4)
            return;
        var buf = ctx.Buffer.AsSpan();
        buf.Slice(ctx.FrameStart, at).CopyTo(buf.Slice(ctx.FrameStart - 4, at));
        ctx.FrameStart -= 4;
        ctx.FrameLength += 4;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(buf[(ctx.FrameStart + at - 2)..], etherType);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(buf[(ctx.FrameStart + at)..], lse);
        FlowKey.ExtractPacketFields(ctx.Frame, ref ctx.Applied);
    }

    // pop_mpls as packets.c pop_mpls: the innermost EtherType becomes the given one and the top entry goes.
    private static void PopMpls(XlateContext ctx, ushort etherType)
    {
        int at = ctx.Applied.Layout.L3Offset;
        if (!ctx.Applied.IsMpls || at < EthernetHeader.Length || ctx.FrameLength < at + 4)
            return;
        var buf = ctx.Buffer.AsSpan();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(buf[(ctx.FrameStart + at - 2)..], etherType);
        buf.Slice(ctx.FrameStart, at).CopyTo(buf.Slice(ctx.FrameStart + 4, at));
        ctx.FrameStart += 4;
        ctx.FrameLength -= 4;
        FlowKey.ExtractPacketFields(ctx.Frame, ref ctx.Applied);
    }

    /// <summary>
    /// After a header push/pop: the frame's layout and tag changed; everything else is as applied. Both tags are read
    /// whatever Bridge.VlanLimit says: they are the flow's after a push (the datapath keeps the L3 offset it had).
    /// </summary>
    private static void Reparse(XlateContext ctx)
    {
        FlowKey.Extract(ctx.Frame, ctx.Applied.InPort, out var fresh);
        ctx.Applied.Layout = fresh.Layout;
        ctx.Applied.VlanTci = fresh.VlanTci;
        ctx.Applied.VlanTci2 = fresh.VlanTci2;
    }

    private string DescribeActions(XlateContext ctx)
    {
        if (ctx.ActionCount == 0)
            return "drop";
        var parts = new List<string>();
        for (int i = 0; i < ctx.ActionCount; i++)
        {
            ref DpAction a = ref ctx.Actions[i];
            parts.Add(a.Kind switch
            {
                DpKind.Output => Bridge.TryGetPort(a.Port, out var p) ? $"{p.Name}({p.OfPort})" : a.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                DpKind.Ct => $"{(a.Fork ? "clone(" : "")}ct(zone={a.Ct.Zone}{(a.Ct.Commit ? ",commit" : "")}{(a.Ct.MarkMask != 0 ? $",mark=0x{a.Ct.Mark:x}/0x{a.Ct.MarkMask:x}" : "")}{(a.Ct.Nat is { } n ? "," + n : "")}){(a.Recirc ? $",recirc(table={a.RecircTable})" : "")}{(a.Fork ? ")" : "")}",
                DpKind.PushVlan => $"{(a.EvictInnerVlan ? "pop_vlan(inner)," : "")}push_vlan(tpid=0x{a.EtherType:x4})",
                DpKind.PopVlan => "pop_vlan",
                DpKind.PushMpls => $"push_mpls(label={a.Port >> 12},tc={(a.Port >> 9) & 7},ttl={a.Port & 0xff},bos={(a.Port >> 8) & 1},eth_type=0x{a.EtherType:x})",
                DpKind.PopMpls => $"pop_mpls(eth_type=0x{a.EtherType:x})",
                _ => "userspace(controller)",
            });
        }
        return string.Join(",", parts);
    }

    /// <summary>Conntrack entries as <c>ovs-appctl dpctl/dump-conntrack</c> prints them.</summary>
    [SuppressMessage("Performance", "CA1822", Justification = "API shape")]
    public IEnumerable<string> DumpConntrack(ushort? zone = null) => Conntrack.Dump(zone);
}
