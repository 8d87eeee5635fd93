using Datapath.Netfilter;
using Datapath.Packets;

namespace Datapath.Engine.Host;

public sealed partial class HostStack
{
    /// <summary>INPUT, then local delivery: the host answers ICMP echo requests to its unicast addresses.</summary>
    private HostVerdict LocalIn(HostContext ctx, NetfilterEngine? nf, ref NetfilterPacket packet, Span<byte> buf)
    {
        packet.OutInterface = null;
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Input, ref packet) is { } dropped)
            return dropped;
        ref var key = ref ctx.Key;
        if (key.NwProto == IpProtocols.Udp && (key.NwFrag & 1) == 0 && IsVxlanPort(key.TpDst))
            return ReceiveVxlan(ctx, buf);
        Interlocked.Increment(ref _delivered);
        ctx.Sink?.Delivered(this, buf);
        if (key.NwProto == IpProtocols.Icmp && key.IcmpType == IcmpHeader.TypeEchoRequest && key.IcmpCode == 0
            && (key.NwFrag & 1) == 0 && IsOwnUnicastAddress(key.NwDst)
            && IcmpHeader.TryRead(buf[key.Layout.L4Offset..], out var icmp))
        {
            // icmp_echo: the reply carries the request's identifier, sequence number and data, from the address pinged.
            var reply = PacketBuilder.IcmpEcho(MacAddress.Zero, MacAddress.Zero, new Ipv4Address(key.NwDst), new Ipv4Address(key.NwSrc),
                reply: true, icmp.Identifier, icmp.SequenceNumber, buf[(key.Layout.L4Offset + IcmpHeader.Length)..], Options.DefaultTtl);
            ctx.Pending.Enqueue(reply);
            Interlocked.Increment(ref _echoReplies);
        }
        TraceDeliver(ctx);
        return new HostVerdict(0, true, null);
    }

    /// <summary>
    /// arp_process with the defaults (arp_ignore=0, arp_filter=0): a request for any of the host's addresses is
    /// answered on the interface it came in on, and the sender is entered in the cache; a reply to us updates the
    /// cache; anything else only refreshes an existing entry of its sender.
    /// </summary>
    private HostVerdict ReceiveArp(HostContext ctx, HostInterface iface, Span<byte> buf)
    {
        if (!ArpPacket.TryRead(buf[EthernetHeader.Length..], out var arp) || arp.HardwareType != ArpPacket.HardwareTypeEthernet
            || arp.ProtocolType != EtherTypes.IPv4 || arp.HardwareLength != MacAddress.Length || arp.ProtocolLength != Ipv4Address.Length)
            return Drop(ctx, DropReason.Malformed, "not an Ethernet/IPv4 ARP packet");
        var spa = arp.SenderProtocolAddress;
        var sha = arp.SenderHardwareAddress;
        var tpa = arp.TargetProtocolAddress;
        bool forUs = tpa.Value != 0 && IsOwnUnicastAddress(tpa.Value) && (tpa.Value >> 24) != 127;
        if (forUs && arp.Operation == ArpPacket.OpRequest)
        {
            LearnFromArp(ctx, iface, spa, sha, reply: false, forUs: true);
            var reply = PacketBuilder.Arp(ArpPacket.OpReply, iface.Mac, tpa, sha, spa, iface.Mac, sha);
            TraceArp(ctx, iface, $"ARP who-has {tpa} tell {spa}: reply {tpa} is-at {iface.Mac} to {sha} on {iface.Name}");
            Interlocked.Increment(ref _arpReplies);
            Interlocked.Increment(ref _delivered);
            Transmit(ctx, iface, reply);
            return new HostVerdict(0, true, null);
        }
        if (forUs && arp.Operation == ArpPacket.OpReply)
        {
            TraceArp(ctx, iface, $"ARP reply {spa} is-at {sha} on {iface.Name}");
            LearnFromArp(ctx, iface, spa, sha, reply: true, forUs: true);
            Interlocked.Increment(ref _delivered);
            return new HostVerdict(0, true, null);
        }
        if (arp.Operation == ArpPacket.OpRequest && TryProxyArp(ctx, iface, spa, sha, tpa, out var proxied))
            return proxied;
        LearnFromArp(ctx, iface, spa, sha, reply: arp.Operation == ArpPacket.OpReply, forUs: false);
        return Drop(ctx, DropReason.ArpIgnored, $"ARP {(arp.Operation == ArpPacket.OpRequest ? "request" : "op " + arp.Operation)} for {tpa}, not ours");
    }

    /// <summary>
    /// ip_local_out for a frame the host generates or is asked to send (L2 header ignored), in the kernel's order:
    /// the route lookup (ip_route_output: the source address `ip route get` would choose when the packet has none),
    /// OUTPUT (raw, conntrack, mangle, nat, filter), ip_route_me_harder when OUTPUT's DNAT changed the destination,
    /// POSTROUTING (mangle, nat: MASQUERADE), then the neighbour and transmission; a local destination goes out on
    /// lo and comes back in through INPUT (a delivery).
    /// </summary>
    private HostVerdict LocalOut(HostContext ctx, ReadOnlySpan<byte> frame)
    {
        ctx.Forwarding = false;
        if (frame.Length < EthernetHeader.Length + Ipv4Header.MinLength || frame.Length > HostContext.MaxFrame)
            return Drop(ctx, DropReason.Malformed, $"frame of {frame.Length} bytes");
        frame.CopyTo(ctx.Buffer);
        Span<byte> buf = ctx.Buffer.AsSpan(0, frame.Length);
        ref var key = ref ctx.Key;
        FlowKey.Extract(buf, 0, out key);
        if (key.EthType != EtherTypes.IPv4 || (key.Layout.Flags & (ParseFlags.Truncated | ParseFlags.Malformed)) != 0
            || !Ipv4Header.TryRead(buf[key.Layout.L3Offset..], out var ip) || key.Layout.L3Offset + ip.TotalLength > buf.Length)
            return Drop(ctx, DropReason.Malformed, "not a well-formed IPv4 frame");
        buf = buf[..(key.Layout.L3Offset + ip.TotalLength)];

        // ip_route_output: the route, and the source when the socket has not bound one.
        uint dst = key.NwDst;
        if (!TryRouteLocalOut(ctx, dst, rerouting: false, out var route, out var outIf, out var drop))
            return drop;
        if (key.NwSrc == 0)
        {
            uint src = outIf is null ? dst : route.PreferredSource != 0 ? route.PreferredSource : SourceAddressOf(outIf);
            PacketEditor.SetIpv4Src(buf, key.Layout, src);
            key.NwSrc = src;
        }
        TraceLocalOutRoute(ctx, dst, route, key.NwSrc, rerouting: false);

        var packet = new NetfilterPacket(ref key, buf)
        {
            OutInterface = outIf?.Name ?? "lo",
            NowMs = ctx.NowMs,
            Trace = ctx.NetfilterTrace,
        };
        var nf = Volatile.Read(ref _netfilter);
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Output, ref packet) is { } dropped)
            return dropped;
        if (key.NwDst != dst)
        {
            // ip_route_me_harder: OUTPUT's DNAT changed the destination; the source stays (POSTROUTING may still SNAT).
            dst = key.NwDst;
            if (!TryRouteLocalOut(ctx, dst, rerouting: true, out route, out outIf, out drop))
                return drop;
            TraceLocalOutRoute(ctx, dst, route, key.NwSrc, rerouting: true);
        }
        if (outIf is not null)
            return PostroutingAndTransmit(ctx, nf, ref packet, buf, route, outIf);

        // Out on lo and back in: POSTROUTING, then ip_rcv skips PREROUTING's conntrack (the packet has its entry) and
        // the packet is delivered through INPUT.
        packet.OutInterface = "lo";
        if (nf is not null && RunHook(ctx, nf, NetfilterHook.Postrouting, ref packet) is { } pdropped)
            return pdropped;
        packet.InInterface = "lo";
        return LocalIn(ctx, nf, ref packet, buf);
    }

    /// <summary>
    /// The route a locally generated packet to <paramref name="dst"/> takes: <paramref name="outIf"/> is null for a
    /// local destination (the local table: out on lo), else the unicast route's device; otherwise a counted drop.
    /// </summary>
    private bool TryRouteLocalOut(HostContext ctx, uint dst, bool rerouting, out RouteEntry route, out HostInterface? outIf, out HostVerdict drop)
    {
        drop = default;
        if (IsLocalDestination(dst))
        {
            route = null!;
            outIf = null;
            return true;
        }
        string after = rerouting ? " after DNAT" : "";
        if (!TryRouteCore(dst, out route, out var device))
        {
            outIf = null;
            TraceRoute(ctx, dst, null);
            drop = Drop(ctx, DropReason.NoRoute, $"no route to {new Ipv4Address(dst)}{after} (ENETUNREACH)");
            return false;
        }
        outIf = device;
        if (route.Type != RouteType.Unicast)
        {
            TraceRoute(ctx, dst, route);
            drop = Drop(ctx, DropReason.RouteRejected, $"{route.Type.ToString().ToLowerInvariant()} route {route}{after}");
            return false;
        }
        return true;
    }

    private void FlushPending(HostContext ctx)
    {
        while (ctx.Pending.TryDequeue(out var frame))
        {
            ctx.Generating = true;
            if (LocalOut(ctx, frame).DropReason is { } reason)
            {
                ctx.GeneratedDrops++;
                ctx.GeneratedDropReason ??= reason;
            }
        }
        ctx.Generating = false;
    }

    /// <summary>
    /// icmp_send: an ICMP error about the packet in <paramref name="buf"/>, quoting as much of it as fits in 576
    /// bytes, from the address the route back to its source prefers. Never about ICMP errors, later fragments,
    /// or packets from/to broadcast, multicast or unspecified addresses.
    /// </summary>
    private void SendIcmpError(HostContext ctx, ReadOnlySpan<byte> buf, byte type, byte code, uint restOfHeader)
    {
        if (!Options.SendIcmpErrors || ctx.Generating)
            return;
        ref var key = ref ctx.Key;
        if (key.NwProto == IpProtocols.Icmp && !IsIcmpQuery(key.IcmpType))
            return;
        if ((key.NwFrag & 2) != 0 || IsMartianSource(key.NwSrc) || (key.NwDst & 0xF000_0000) == 0xE000_0000 || key.NwDst == uint.MaxValue
            || key.DlDst.IsMulticast)
            return;
        if (!TryRouteCore(key.NwSrc, out var back, out _) || back.Device is null)
            return;
        uint src = back.PreferredSource != 0 ? back.PreferredSource : SourceAddressOf(_byName[back.Device]);
        int l3 = key.Layout.L3Offset;
        int quoted = Math.Min(buf.Length - l3, 576 - Ipv4Header.MinLength - IcmpHeader.Length);
        var error = PacketBuilder.Icmp(MacAddress.Zero, MacAddress.Zero, new Ipv4Address(src), new Ipv4Address(key.NwSrc), type, code, restOfHeader,
            buf.Slice(l3, quoted), Options.DefaultTtl);
        ctx.Pending.Enqueue(error);
        Interlocked.Increment(ref _icmpErrors);
    }

    private static bool IsIcmpQuery(byte type) => type is 0 or 8 or 13 or 14 or 15 or 16 or 17 or 18;

    /// <summary>What the REJECT target sends (ipt_REJECT: an ICMP unreachable, or a TCP reset for TCP).</summary>
    private void SendReject(HostContext ctx, ReadOnlySpan<byte> buf, RejectWith with)
    {
        ref var key = ref ctx.Key;
        if (with == RejectWith.TcpReset)
        {
            if (key.NwProto != IpProtocols.Tcp || ctx.Generating || (key.TcpFlags & (ushort)TcpFlags.Rst) != 0
                || !TcpHeader.TryRead(buf[key.Layout.L4Offset..], out var tcp))
                return;
            int payload = buf.Length - key.Layout.PayloadOffset;
            uint seq = 0, ack;
            var flags = TcpFlags.Rst;
            if ((key.TcpFlags & (ushort)TcpFlags.Ack) != 0)
            {
                seq = tcp.AcknowledgmentNumber;
                ack = 0;
            }
            else
            {
                ack = tcp.SequenceNumber + (uint)payload + ((key.TcpFlags & (ushort)TcpFlags.Syn) != 0 ? 1u : 0u) + ((key.TcpFlags & (ushort)TcpFlags.Fin) != 0 ? 1u : 0u);
                flags |= TcpFlags.Ack;
            }
            var rst = PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, new Ipv4Address(key.NwDst), new Ipv4Address(key.NwSrc),
                key.TpDst, key.TpSrc, flags, seq, ack, 0, ttl: Options.DefaultTtl);
            ctx.Pending.Enqueue(rst);
            return;
        }
        byte code = with switch
        {
            RejectWith.IcmpNetUnreachable => 0,
            RejectWith.IcmpHostUnreachable => 1,
            RejectWith.IcmpProtoUnreachable => 2,
            RejectWith.IcmpNetProhibited => 9,
            RejectWith.IcmpHostProhibited => 10,
            RejectWith.IcmpAdminProhibited => 13,
            _ => 3, // port unreachable, REJECT's default
        };
        SendIcmpError(ctx, buf, IcmpHeader.TypeDestinationUnreachable, code, 0);
    }
}
