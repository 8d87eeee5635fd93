using System.Buffers.Binary;
using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    // ---- Processing: any thread.

    /// <summary>
    /// Receives one frame on <paramref name="device"/> (for antrea-gw0: a frame OVS output on its gateway port)
    /// and runs it through the host: ARP, PREROUTING, routing, INPUT or FORWARD, POSTROUTING, the neighbour
    /// table, transmission to <paramref name="sink"/>. Replies and ICMP errors the host generates go to the sink too.
    /// </summary>
    /// <param name="device">The receiving interface (antrea-gw0, ens160...).</param>
    /// <param name="frame">The Ethernet frame; not modified (the host works on its own copy).</param>
    /// <param name="sink">Receives every frame the host transmits, or null to only count.</param>
    /// <param name="nowMs">The time for conntrack, in milliseconds.</param>
    /// <param name="trace">When non-null, netfilter, route and neighbour steps are appended with <c>node</c> = <see cref="Name"/>.</param>
    public HostVerdict Receive(string device, ReadOnlySpan<byte> frame, IHostSink? sink, long nowMs, Engine.Tracing.Trace? trace = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        var ctx = _contexts.Value;
        ctx.Reset(trace, sink, nowMs);
        HostVerdict verdict;
        if (FindInterface(device) is not { } iface)
            verdict = Drop(ctx, DropReason.NoSuchInterface, $"no device {device}");
        else
            verdict = ReceiveCore(ctx, iface, frame);
        FlushPending(ctx);
        return verdict with { Transmitted = ctx.Transmitted, GeneratedDrops = ctx.GeneratedDrops, GeneratedDropReason = ctx.GeneratedDropReason };
    }

    /// <summary>
    /// Sends a packet the host itself originates (ip_local_out): <paramref name="frame"/> is an Ethernet frame
    /// whose L2 header is ignored and rewritten; its IPv4 packet is routed, run through OUTPUT and POSTROUTING,
    /// and transmitted to the neighbour.
    /// </summary>
    public HostVerdict SendLocal(ReadOnlySpan<byte> frame, IHostSink? sink, long nowMs, Engine.Tracing.Trace? trace = null)
    {
        var ctx = _contexts.Value;
        ctx.Reset(trace, sink, nowMs);
        var verdict = LocalOut(ctx, frame);
        FlushPending(ctx);
        return verdict with { Transmitted = ctx.Transmitted, GeneratedDrops = ctx.GeneratedDrops, GeneratedDropReason = ctx.GeneratedDropReason };
    }

    private HostVerdict ReceiveCore(HostContext ctx, HostInterface iface, ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeader.Length || frame.Length > HostContext.MaxFrame)
            return Drop(ctx, DropReason.Malformed, $"frame of {frame.Length} bytes");
        frame.CopyTo(ctx.Buffer);
        Span<byte> buf = ctx.Buffer.AsSpan(0, frame.Length);
        ref var key = ref ctx.Key;
        FlowKey.Extract(buf, (uint)iface.Index, out key);
        if ((key.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed)) != 0)
            return Drop(ctx, DropReason.Malformed, "truncated or malformed headers");
        var dstMac = key.DlDst;
        if (dstMac != iface.Mac && !dstMac.IsMulticast)
            return Drop(ctx, DropReason.OtherHost, $"{dstMac} is not {iface.Name}'s MAC {iface.Mac}");
        if (key.EthType == EtherTypes.Arp)
            return ReceiveArp(ctx, iface, buf);
        if (key.EthType != EtherTypes.IPv4 || key.VlanTci != 0)
            return Drop(ctx, DropReason.UnsupportedProtocol, $"ethertype 0x{key.EthType:x4}{(key.VlanTci != 0 ? " (VLAN tagged)" : "")}");

        // ip_rcv: header sanity, then trim the Ethernet padding to the IP total length.
        int l3 = key.Layout.L3Offset;
        if (!Ipv4Header.TryRead(buf[l3..], out var ip) || !ip.IsChecksumValid || ip.TotalLength < ip.HeaderLength || l3 + ip.TotalLength > buf.Length)
            return Drop(ctx, DropReason.Malformed, "bad IPv4 header (checksum or length)");
        buf = buf[..(l3 + ip.TotalLength)];
        return ReceiveIpv4(ctx, iface, buf);
    }

    private HostVerdict ReceiveIpv4(HostContext ctx, HostInterface iface, Span<byte> buf)
    {
        ref var key = ref ctx.Key;
        var packet = new NetfilterPacket(ref key, buf)
        {
            InInterface = iface.Name,
            NowMs = ctx.NowMs,
            Trace = ctx.NetfilterTrace,
        };
        var nf = Volatile.Read(ref _netfilter);
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Prerouting, ref packet) is { } dropped)
            return dropped;

        uint dst = key.NwDst;
        if (IsLocalDestination(dst))
        {
            TraceLocalRoute(ctx, dst);
            return LocalIn(ctx, nf, ref packet, buf);
        }
        if (!TryRouteCore(dst, out var route, out var outIf))
        {
            TraceRoute(ctx, dst, null);
            SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 0, 0); // net unreachable
            return Drop(ctx, DropReason.NoRoute, $"no route to {new Ipv4Address(dst)}");
        }
        TraceRoute(ctx, dst, route);
        if (route.Type != RouteType.Unicast)
            return RejectRoute(ctx, buf, route);
        if (!Options.IpForward || IsMartianSource(key.NwSrc))
            return Drop(ctx, DropReason.NotForwarded, Options.IpForward ? $"martian source {new Ipv4Address(key.NwSrc)}" : "net.ipv4.ip_forward=0");

        // ip_forward: TTL first, then the MTU, then the decrement and the FORWARD hook.
        if (key.NwTtl <= 1)
        {
            SendIcmpError(ctx, buf, IcmpHeader.TypeTimeExceeded, 0, 0);
            return Drop(ctx, DropReason.TtlExpired, $"TTL {key.NwTtl}");
        }
        int ipLength = buf.Length - key.Layout.L3Offset;
        if (ipLength > outIf.Mtu)
        {
            if ((key.NwFrag & 1) == 0 && Ipv4Header.TryRead(buf[key.Layout.L3Offset..], out var h) && h.DontFragment)
                SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 4, (uint)outIf.Mtu); // fragmentation needed
            return Drop(ctx, DropReason.MtuExceeded, $"{ipLength} bytes > mtu {outIf.Mtu} of {outIf.Name}");
        }
        DecrementTtl(buf, key.Layout.L3Offset);
        key.NwTtl--;
        packet.OutInterface = outIf.Name;
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Forward, ref packet) is { } fdrop)
            return fdrop;
        var verdict = PostroutingAndTransmit(ctx, nf, ref packet, buf, route, outIf);
        if (!verdict.Dropped)
            Interlocked.Increment(ref _forwarded);
        return verdict;
    }

    /// <summary>0.0.0.0/8, 127/8 and multicast/limited broadcast sources are never forwarded (fib_validate_source, ip_route_input_slow).</summary>
    private static bool IsMartianSource(uint src)
        => (src >> 24) == 0 || (src >> 24) == 127 || (src & 0xF000_0000) == 0xE000_0000 || src == uint.MaxValue;

    /// <summary>The route to <paramref name="dst"/> and its output device (null for routes without one: blackhole...).</summary>
    private bool TryRouteCore(uint dst, out RouteEntry route, out HostInterface outIf)
    {
        if (!Routes.TryLookup(dst, out route, out var device))
        {
            outIf = null!;
            return false;
        }
        outIf = device!;
        if (route.Type == RouteType.Unicast && device is null)
            return false; // a route added after construction naming a device this host does not have
        if (Options.IgnoreRoutesWithLinkdown && device is not null && !device.HasCarrier)
            return false;
        return true;
    }

    /// <summary>ip_decrease_ttl: TTL - 1 with the header checksum updated incrementally (RFC 1624), on an IPv4
    /// header ip_rcv has already checked (version 4, complete).</summary>
    private static void DecrementTtl(Span<byte> buf, int l3)
    {
        ushort old = BinaryPrimitives.ReadUInt16BigEndian(buf[(l3 + 8)..]);
        ushort now = (ushort)(old - 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(buf[(l3 + 8)..], now);
        ushort sum = BinaryPrimitives.ReadUInt16BigEndian(buf[(l3 + 10)..]);
        BinaryPrimitives.WriteUInt16BigEndian(buf[(l3 + 10)..], Checksum.Incremental16(sum, old, now));
    }

    private HostVerdict RejectRoute(HostContext ctx, Span<byte> buf, RouteEntry route)
    {
        if (route.Type == RouteType.Unreachable)
            SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 1, 0);
        else if (route.Type == RouteType.Prohibit)
            SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 13, 0);
        return Drop(ctx, DropReason.RouteRejected, $"{route.Type.ToString().ToLowerInvariant()} route {route}");
    }

    /// <summary>Runs one hook; returns the drop verdict when the packet does not survive it.</summary>
    private HostVerdict? RunHook(HostContext ctx, NetfilterEngine nf, NetfilterHook hook, ref NetfilterPacket packet)
    {
        var v = nf.Run(hook, ref packet);
        if (ctx.Trace is not null)
            TraceNetfilter(ctx);
        if (v == NetfilterVerdict.Drop)
            return Drop(ctx, DropReason.NetfilterDrop, $"dropped by iptables at {hook.ToString().ToUpperInvariant()}");
        if (v == NetfilterVerdict.Reject)
        {
            SendReject(ctx, packet.Frame, packet.RejectWith);
            return Drop(ctx, DropReason.NetfilterReject, $"rejected by iptables at {hook.ToString().ToUpperInvariant()} ({packet.RejectWith})");
        }
        return null;
    }

    /// <summary>POSTROUTING, then the neighbour lookup on the output device, then transmission.</summary>
    private HostVerdict PostroutingAndTransmit(HostContext ctx, NetfilterEngine? nf, ref NetfilterPacket packet, Span<byte> buf, RouteEntry route, HostInterface outIf)
    {
        packet.OutInterface = outIf.Name;
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Postrouting, ref packet) is { } dropped)
            return dropped;
        ref var key = ref ctx.Key;
        if (!outIf.HasCarrier)
            return Drop(ctx, DropReason.LinkDown, $"{outIf.Name} has no carrier");
        uint nextHop = route.Gateway != 0 ? route.Gateway : key.NwDst;
        if (!Neighbors.TryGet(outIf.NeighborId, nextHop, out var mac))
        {
            TraceNeighbor(ctx, outIf, nextHop, null);
            SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, 1, 0); // host unreachable (arp failed)
            return Drop(ctx, DropReason.NoNeighbor, $"no neighbour {new Ipv4Address(nextHop)} on {outIf.Name}");
        }
        TraceNeighbor(ctx, outIf, nextHop, mac);
        PacketEditor.SetEthSrc(buf, outIf.Mac);
        PacketEditor.SetEthDst(buf, mac);
        if (outIf.Vxlan is not null)
            return TransmitVxlan(ctx, outIf, buf);
        Transmit(ctx, outIf, buf);
        return new HostVerdict(0, false, null);
    }

    private void Transmit(HostContext ctx, HostInterface outIf, ReadOnlySpan<byte> frame)
    {
        ctx.Transmitted++;
        Interlocked.Increment(ref _transmitted);
        ctx.Sink?.Transmit(this, outIf, frame);
    }

    private HostVerdict Drop(HostContext ctx, DropReason reason, string detail)
    {
        CountDrop(reason);
        if (ctx.Trace is not null)
            TraceDrop(ctx, reason, detail);
        return new HostVerdict(0, false, reason);
    }
}
