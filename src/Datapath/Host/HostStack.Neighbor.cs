using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    // ---- Neighbour resolution (net/core/neighbour.c, net/ipv4/arp.c): see the essay, "neighbour".

    /// <summary>
    /// neigh_resolve_output for the routed packet in <paramref name="buf"/> to <paramref name="nextHop"/> on
    /// <paramref name="outIf"/>: sent at once when the entry has an address (a used STALE entry goes DELAY), else kept
    /// waiting (INCOMPLETE; the first ARP request sent now), or dropped when the table is full.
    /// </summary>
    private HostVerdict ResolveAndTransmit(HostContext ctx, HostInterface outIf, uint nextHop, Span<byte> buf)
    {
        long now = ctx.NowMs;
        var table = Neighbors;
        var n = table.Find(outIf.NeighborId, nextHop);
        if (n is not null)
        {
            var s = n.State;
            if (NudStates.IsConnected(s) || s is NudState.Delay or NudState.Probe)
            {
                if (n.Used != now)
                    n.Used = now;
                return Send(ctx, outIf, nextHop, buf, n.Mac, s);
            }
        }
        byte[]? solicit = null;
        int probe = 0, queued, queuedBytes;
        var dropped = ctx.NeighborFrames;
        dropped.Clear();
        NudState state;
        MacAddress mac;
        lock (table.Lock)
        {
            n ??= table.GetOrCreate(outIf.NeighborId, nextHop, now);
            if (n is null)
            {
                TraceNeighbor(ctx, outIf, nextHop, null);
                return Drop(ctx, DropReason.NoNeighbor, $"neighbour table overflow (gc_thresh3 {table.Parameters.GcThresh3}) for {new Ipv4Address(nextHop)} on {outIf.Name}");
            }
            n.Used = now;
            state = n.State;
            mac = n.Mac;
            var p = table.Parameters;
            if (NudStates.IsValid(state) && state != NudState.Stale)
                goto send; // resolved while we waited for the lock
            if (state is NudState.None or NudState.Failed)
            {
                if (p.McastSolicit + p.AppSolicit == 0)
                {
                    n.State = NudState.Failed;
                    TraceNeighbor(ctx, outIf, nextHop, null);
                    SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 1, 0);
                    return Drop(ctx, DropReason.NoNeighbor, $"no neighbour {new Ipv4Address(nextHop)} on {outIf.Name} (mcast_solicit 0)");
                }
                n.Probes = p.UcastSolicit;
                n.State = NudState.Incomplete;
                n.Updated = now;
                table.Arm(n, now + Math.Max(p.RetransTimeMs, 10));
                probe = n.Probes - p.UcastSolicit + 1;
                n.LastSource = ctx.Key.NwSrc;
                solicit = BuildSolicit(outIf, n, unicast: false);
                n.Probes++;
            }
            else if (state == NudState.Stale)
            {
                n.State = NudState.Delay;
                n.Updated = now;
                table.Arm(n, now + p.DelayFirstProbeTimeMs);
            }
            if (state == NudState.Stale)
                goto send;
            n.LastSource = ctx.Key.NwSrc;
            table.Enqueue(n, new QueuedFrame(buf.ToArray(), Forwarded: ctx.Forwarding), dropped);
            queued = n.QueuedCount;
            queuedBytes = n.QueuedBytes;
        }
        if (ctx.Trace is not null)
            TraceWaiting(ctx, outIf, nextHop, probe, queued, queuedBytes);
        if (solicit is not null)
            Transmit(ctx, outIf, solicit);
        foreach (var f in dropped)
            DropWaiting(ctx, f, DropReason.NeighborQueueFull, $"unres_qlen_bytes {table.Parameters.UnresQlenBytes} of {new Ipv4Address(nextHop)} on {outIf.Name} exceeded: the oldest waiting frame is dropped");
        dropped.Clear();
        return new HostVerdict(0, false, null, Queued: true);
    send:
        return Send(ctx, outIf, nextHop, buf, mac, state);
    }

    private HostVerdict Send(HostContext ctx, HostInterface outIf, uint nextHop, Span<byte> buf, MacAddress mac, NudState state)
    {
        TraceNeighbor(ctx, outIf, nextHop, mac, state);
        PacketEditor.SetEthSrc(buf, outIf.Mac);
        PacketEditor.SetEthDst(buf, mac);
        if (outIf.Vxlan is not null)
            return TransmitVxlan(ctx, outIf, buf); // a VXLAN device: the FDB names the remote, the outer packet goes out ip_local_out
        Transmit(ctx, outIf, buf);
        return new HostVerdict(0, false, null);
    }

    /// <summary>
    /// arp_solicit: a request for the entry's address from the device's MAC, broadcast (INCOMPLETE) or to the known
    /// address (PROBE); the sender address is the waiting packet's source when it is the host's (arp_announce=0),
    /// else the device's address. The target hardware address is zero, as Linux sends it.
    /// </summary>
    private byte[] BuildSolicit(HostInterface dev, Neighbor n, bool unicast)
    {
        uint sip = n.LastSource != 0 && IsOwnUnicastAddress(n.LastSource) ? n.LastSource : dev.Address.Value;
        return PacketBuilder.Arp(ArpPacket.OpRequest, dev.Mac, new Ipv4Address(sip), MacAddress.Zero, new Ipv4Address(n.Address), dev.Mac,
            unicast ? n.Mac : MacAddress.Broadcast);
    }

    /// <summary>The neighbour timers due at the context's time, each run at its own due time (neigh_timer_handler).</summary>
    private void RunNeighborTimers(HostContext ctx)
    {
        var table = Neighbors;
        long now = ctx.NowMs;
        if (now < table.NextTimerMs)
            return;
        var due = ctx.DueNeighbors;
        var actions = ctx.NeighborActions;
        lock (table.Lock)
        {
            // Timers re-armed for a time still before now run again, in order, until none is due.
            for (int rounds = 0; now >= table.NextTimerMs && rounds < 64; rounds++)
            {
                due.Clear();
                table.CollectDue(now, due);
                foreach (var n in due)
                    TimerStep(table, n, actions);
            }
            if (table.Count > table.Parameters.GcThresh1)
                table.Collect(now, forced: false);
        }
        due.Clear();
        foreach (var a in actions)
        {
            var dev = _interfaceArray[a.Device];
            if (a.Solicit is { } frame)
            {
                TraceArp(ctx, dev, $"neighbor {new Ipv4Address(a.Address)} dev {dev.Name} {NudStates.Name(a.State)}: ARP who-has {new Ipv4Address(a.Address)} " +
                    $"tell {new Ipv4Address(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(EthernetHeader.Length + 14)))}" +
                    $"{(a.State == NudState.Probe ? $" to {new MacAddress(a.Mac)}" : "")} (request {a.Probe} of {a.Of}, at {a.AtMs} ms)");
                Transmit(ctx, dev, frame);
            }
            else if (a.Failed is { } failed)
            {
                TraceArp(ctx, dev, $"neighbor {new Ipv4Address(a.Address)} dev {dev.Name} FAILED at {a.AtMs} ms: no answer to {a.Of} request(s)" +
                    (failed.Count > 0 ? $"; {failed.Count} waiting frame(s) dropped, ICMP host unreachable to their senders" : ""));
                foreach (var f in failed)
                    DropWaiting(ctx, f, DropReason.NoNeighbor, $"no neighbour {new Ipv4Address(a.Address)} on {dev.Name}: FAILED after {a.Of} ARP requests", icmp: true);
            }
            else
            {
                TraceArp(ctx, dev, $"neighbor {new Ipv4Address(a.Address)} dev {dev.Name} lladdr {new MacAddress(a.Mac)} {NudStates.Name(a.State)} (timer at {a.AtMs} ms)");
            }
        }
        actions.Clear();
    }

    /// <summary>One step of neigh_timer_handler for an entry whose timer is due, at its due time (under the lock).</summary>
    private void TimerStep(NeighborTable table, Neighbor n, List<NeighborAction> actions)
    {
        var p = table.Parameters;
        long at = n.TimerMs;
        n.TimerMs = long.MaxValue;
        var state = n.State;
        int device = DeviceIndex(n.Device);
        if (!NudStates.InTimer(state) || device < 0)
            return;
        long retrans = Math.Max(p.RetransTimeMs, 10);
        long next = at + retrans;
        if (state == NudState.Reachable)
        {
            long reachable = table.ReachableTime(at);
            if (at <= n.Confirmed + reachable)
                next = n.Confirmed + reachable + 1; // time_before_eq: it ages the tick after
            else if (at <= n.Used + p.DelayFirstProbeTimeMs)
            {
                n.State = NudState.Delay;
                n.Updated = at;
                next = at + p.DelayFirstProbeTimeMs;
                actions.Add(new NeighborAction(device, n.Address, n.Mac.Value, NudState.Delay, at));
            }
            else
            {
                n.State = NudState.Stale;
                n.Updated = at;
                actions.Add(new NeighborAction(device, n.Address, n.Mac.Value, NudState.Stale, at));
                return;
            }
        }
        else if (state == NudState.Delay)
        {
            if (at <= n.Confirmed + p.DelayFirstProbeTimeMs)
            {
                n.State = NudState.Reachable;
                n.Updated = at;
                next = n.Confirmed + table.ReachableTime(at) + 1;
            }
            else
            {
                n.State = NudState.Probe;
                n.Updated = at;
                n.Probes = 0;
                next = at + retrans;
            }
        }
        state = n.State;
        int max = p.UcastSolicit + p.AppSolicit + (state == NudState.Probe ? 0 : p.McastSolicit);
        if (state is NudState.Incomplete or NudState.Probe && n.Probes >= max)
        {
            n.State = NudState.Failed;
            n.Updated = at;
            var failed = new List<QueuedFrame>();
            table.TakeQueue(n, failed);
            actions.Add(new NeighborAction(device, n.Address, n.Mac.Value, NudState.Failed, at) { Failed = failed, Of = state == NudState.Probe ? p.UcastSolicit : p.McastSolicit });
            return;
        }
        table.Arm(n, next);
        if (state is NudState.Incomplete or NudState.Probe)
        {
            bool unicast = state == NudState.Probe;
            var frame = BuildSolicit(_interfaceArray[device], n, unicast);
            int probe = unicast ? n.Probes + 1 : n.Probes - p.UcastSolicit + 1;
            n.Probes++;
            actions.Add(new NeighborAction(device, n.Address, n.Mac.Value, state, at) { Solicit = frame, Probe = probe, Of = unicast ? p.UcastSolicit : p.McastSolicit });
        }
    }

    private int DeviceIndex(string device)
    {
        var list = _interfaceArray;
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i].Name == device)
                return i;
        }
        return -1;
    }

    /// <summary>
    /// What ARP teaches the cache (arp_process, neigh_update): a reply to us confirms an existing entry (REACHABLE);
    /// a request for our address creates or refreshes its sender's (STALE, keeping a REACHABLE entry with the same
    /// address); any other ARP packet only refreshes an existing entry. An address changes only after locktime.
    /// PERMANENT entries stay as they are. An entry that gets an address sends the frames waiting for it.
    /// </summary>
    private void LearnFromArp(HostContext ctx, HostInterface iface, Ipv4Address spa, MacAddress sha, bool reply, bool forUs)
    {
        if (spa.Value == 0)
            return;
        var table = Neighbors;
        long now = ctx.NowMs;
        var release = ctx.NeighborFrames;
        release.Clear();
        NudState before, after;
        lock (table.Lock)
        {
            var n = forUs && !reply ? table.GetOrCreate(iface.NeighborId, spa.Value, now) : table.Find(iface.NeighborId, spa.Value);
            if (n is null || n.State == NudState.Permanent)
                return;
            before = n.State;
            var p = table.Parameters;
            bool valid = NudStates.IsValid(before);
            bool sameAddress = valid && n.Mac == sha;
            bool mayOverride = !valid || now > n.Updated + p.LockTimeMs;
            var target = reply && forUs ? NudState.Reachable : NudState.Stale;
            if (!sameAddress && !mayOverride)
                return;
            if (target == NudState.Stale && sameAddress)
                target = before; // the same address says nothing new: the state stays (REACHABLE stays REACHABLE)
            n.Mac = sha;
            n.State = target;
            n.Updated = now;
            if (target == NudState.Reachable)
            {
                n.Confirmed = now;
                table.Arm(n, now + table.ReachableTime(now) + 1); // REACHABLE until confirmed + reachable_time, inclusive
            }
            else if (!NudStates.InTimer(target))
            {
                n.TimerMs = long.MaxValue;
            }
            after = target;
            if (!valid)
                table.TakeQueue(n, release);
        }
        if (ctx.Trace is not null && before != after)
            TraceArp(ctx, iface, $"neighbor {spa} dev {iface.Name} lladdr {sha} {NudStates.Name(after)} (was {NudStates.Name(before)})" +
                (release.Count > 0 ? $": {release.Count} waiting frame(s) sent" : ""));
        foreach (var f in release)
        {
            var buf = f.Frame.AsSpan();
            PacketEditor.SetEthSrc(buf, iface.Mac);
            PacketEditor.SetEthDst(buf, sha);
            if (f.Forwarded)
                Interlocked.Increment(ref _forwarded);
            ctx.Released++;
            Transmit(ctx, iface, buf);
        }
        release.Clear();
    }

    /// <summary>
    /// A waiting frame that will never be sent: counted, reported, and (FAILED) answered with ICMP host unreachable as
    /// ipv4_link_failure does — to its sender, or, for a packet the host sent itself, to the host (delivered through
    /// lo, as `ping` then prints "From 10.222.1.1 ... Destination Host Unreachable").
    /// </summary>
    private void DropWaiting(HostContext ctx, QueuedFrame f, DropReason reason, string detail, bool icmp = false)
    {
        CountDrop(reason);
        if (ctx.Trace is not null)
            TraceDrop(ctx, reason, detail);
        ctx.Sink?.Dropped(this, reason);
        if (!icmp || !Options.SendIcmpErrors)
            return;
        // icmp_send needs the packet's key: the context's is free (timers run before the frame's own processing).
        FlowKey.Extract(f.Frame, 0, out ctx.Key);
        bool generating = ctx.Generating;
        ctx.Generating = false;
        SendIcmpError(ctx, f.Frame, IcmpHeader.TypeDestinationUnreachable, 1, 0);
        ctx.Generating = generating;
    }

    /// <summary>
    /// Runs the neighbour timers due by <paramref name="nowMs"/> (ARP retransmissions, FAILED entries and their waiting
    /// frames' ICMP errors, REACHABLE entries ageing to STALE): the live daemon calls it periodically, a replay after its
    /// last frame. What the host sends goes to <paramref name="sink"/>.
    /// </summary>
    public HostVerdict RunTimers(IHostSink? sink, long nowMs, Engine.Tracing.Trace? trace = null)
    {
        var ctx = _contexts.Value;
        ctx.Reset(trace, sink, nowMs);
        RunNeighborTimers(ctx);
        FlushPending(ctx);
        return new HostVerdict(ctx.Transmitted, false, null, ctx.GeneratedDrops, ctx.GeneratedDropReason, Released: ctx.Released);
    }

    /// <summary><c>ip neigh show</c>: one line per entry, as iproute2 prints them.</summary>
    public IEnumerable<string> DumpIpNeigh() => Neighbors.Entries.Select(e => e.IpNeigh);

    private void TraceWaiting(HostContext ctx, HostInterface dev, uint nextHop, int probe, int queued, int bytes)
    {
        string nh = new Ipv4Address(nextHop).ToString();
        string ask = probe > 0 ? $"; ARP who-has {nh} tell {(IsOwnUnicastAddress(ctx.Key.NwSrc) ? new Ipv4Address(ctx.Key.NwSrc) : dev.Address)} (request {probe} of {Neighbors.Parameters.McastSolicit})" : "";
        ctx.Trace!.Steps.Add(new Engine.Tracing.TraceStep(Name, HostTrace.Neighbor, 0)
        {
            Summary = $"neighbor {nh} dev {dev.Name} INCOMPLETE{ask}; the packet waits for the answer ({queued} waiting, {bytes} of {Neighbors.Parameters.UnresQlenBytes} bytes)",
        }.Add("address", nh).Add("dev", dev.Name).Add("state", "INCOMPLETE").Add("queued", queued.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }
}
