using Datapath.Packets;

namespace Datapath.Conntrack;

// NAT: choosing a binding when a connection is committed, and rewriting packets.
//
// A binding is stored as the connection's reply key: the reverse of the original tuple after
// translation. A packet of the original direction is rewritten to Reply.Reverse(), a reply to
// Orig.Reverse(); so one comparison per field says what to change, and SNAT and DNAT on one
// connection (netfilter's DNAT in PREROUTING plus MASQUERADE in POSTROUTING) compose.
// Addresses are 128-bit numbers for both families (ConnKey's layout), so one selection serves
// IPv4 and IPv6 ranges; a range of the other family than the connection's binds nothing.
// Frames are edited through Packets' PacketEditor, which fixes the IPv4 header and TCP/UDP/ICMPv6
// checksums incrementally (RFC 1624; IPv6 through the pseudo-header). ICMP and ICMPv6 errors about
// a NATed connection get their embedded header translated back too (OVS and Linux do), with the
// checksums it carries fixed (IcmpErrorNat). ICMP and ICMPv6 echo keep their identifier: it is the
// connection's "port" in the key but only TCP, UDP and SCTP ports are translated, as OVS's pat_proto.
public sealed partial class ConnectionTracker
{
    private const ushort EphemeralMin = 1024;
    private const ushort EphemeralMax = 65535;

    /// <summary>
    /// Picks the translated tuple for <paramref name="c"/> per <paramref name="nat"/> such that its
    /// reply key is owned by no live connection, and stores it in <c>c.Reply</c>. Applies on top of
    /// a binding already chosen (DNAT, then SNAT). Writer lock held; c not yet linked.
    /// </summary>
    private bool TrySelectNatUnsynchronized(Connection c, NatSpec nat, long nowMs, bool linuxSemantics = false)
    {
        var o = c.Orig;
        if (nat.Kind == NatKind.ApplyExisting || !nat.Fits(!o.IsIpv4))
            return false;
        var cur = c.Reply.Reverse();
        bool snat = nat.Kind == NatKind.Snat;
        bool hasPorts = o.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp;
        // nat(src) / nat(dst) without an address keep the connection's own (OVS find_addr's all-zero case).
        UInt128 addrMin = nat.HasAddress ? nat.RangeMin : snat ? cur.Src : cur.Dst;
        ulong addrCount = nat.RangeCount;
        ushort keepPort = snat ? cur.SrcPort : cur.DstPort;

        ulong h = (nat.Flags & NatFlags.Random) != 0 ? NextRandomUnsynchronized() : o.Hash(_table.Seed ^ 0x5bd1e995UL);
        ulong addrHash = (nat.Flags & NatFlags.Persistent) != 0
            ? new ConnKey(o.SrcHi, o.SrcLo, snat ? 0 : o.DstHi, snat ? 0 : o.DstLo, 0, 0, o.Zone, o.NwProto, o.Family).Hash(_table.Seed ^ 0x27d4eb2fUL)
            : h;
        ulong addrStart = addrHash % addrCount;

        // Ports to try: the range if given; else the current port, then (SNAT) the ephemeral range.
        bool range = hasPorts && nat.PortMin != 0;
        int rangeMin = range ? nat.PortMin : EphemeralMin;
        int rangeSize = range ? nat.PortMax - nat.PortMin + 1 : (snat && hasPorts ? EphemeralMax - EphemeralMin + 1 : 0);
        int portStart = rangeSize > 0 ? (int)((h >> 32) % (ulong)rangeSize) : 0;

        for (ulong ai = 0; ai < addrCount; ai++)
        {
            UInt128 addr = addrMin + (addrStart + ai) % addrCount;
            if (!range && TryBind(c, cur, snat, addr, keepPort, nowMs, linuxSemantics))
                return true;
            for (int pi = 0; pi < rangeSize; pi++)
            {
                ushort port = (ushort)(rangeMin + (portStart + pi) % rangeSize);
                if (TryBind(c, cur, snat, addr, port, nowMs, linuxSemantics))
                    return true;
            }
        }
        // OVS 3.1 (nat_get_unique_tuple): a DNAT whose destination tuples are all taken falls back to the source port,
        // for TCP and UDP — one pod's source port to two services of one endpoint (a ClusterIP, then a NodePort) would
        // otherwise clash on the reply tuple. The kernel's netfilter remaps it too, at its own SNAT null binding and
        // with its own choice of port; the host stack keeps refusing here (docs/classifier.md).
        return !snat && !linuxSemantics && o.NwProto is IpProtocols.Tcp or IpProtocols.Udp
            && TryBindSourcePort(c, cur, addrMin + addrStart % addrCount, range ? (ushort)(rangeMin + portStart) : keepPort, nowMs);
    }

    /// <summary>
    /// DNAT to <paramref name="addr"/>:<paramref name="dstPort"/> with the source port changed: OVS's nat_get_unique_l4 over
    /// the source port's class (1-511, 600-1023 or 1024-65535, as set_sport_range), from the packet's own port upward and
    /// round, at most 128 tries; then rounds of half as many from random places while at least 16 (the random numbers are
    /// ours, drawn in order, so replays stay deterministic). The connection is marked +dnat only, as OVS marks it.
    /// </summary>
    private bool TryBindSourcePort(Connection c, in ConnKey cur, UInt128 addr, ushort dstPort, long nowMs)
    {
        ushort sport = cur.SrcPort;
        (int min, int max) = sport < 512 ? (1, 511) : sport < 1024 ? (600, 1023) : (EphemeralMin, EphemeralMax);
        int range = max - min + 1;
        int attempts = Math.Min(range, 128);
        int port = sport;
        ulong hi = (ulong)(addr >> 64), lo = (ulong)addr;
        while (true)
        {
            for (int i = 0; i < attempts; i++)
            {
                var reply = cur.With(cur.SrcHi, cur.SrcLo, hi, lo, (ushort)port, dstPort).Reverse();
                if (FindLiveUnsynchronized(reply, _table.Hash(reply), nowMs, out _) is null)
                {
                    c.Reply = reply;
                    c.NatAction |= (byte)CtStateFlags.DstNat;
                    return true;
                }
                port = port < min || port >= max ? min : port + 1;
            }
            if (attempts >= range || attempts < 16)
                return false;
            attempts /= 2;
            port = min + (int)(NextRandomUnsynchronized() % (ulong)range);
        }
    }

    private bool TryBind(Connection c, in ConnKey cur, bool snat, UInt128 addr, ushort port, long nowMs, bool linuxSemantics)
    {
        ulong hi = (ulong)(addr >> 64), lo = (ulong)addr;
        var translated = snat
            ? cur.With(hi, lo, cur.DstHi, cur.DstLo, cur.IsIcmp ? cur.SrcPort : port, cur.DstPort)
            : cur.With(cur.SrcHi, cur.SrcLo, hi, lo, cur.SrcPort, cur.IsIcmp ? cur.DstPort : port);
        var reply = translated.Reverse();
        if (FindLiveUnsynchronized(reply, _table.Hash(reply), nowMs, out _) is not null)
            return false;
        c.Reply = reply;
        // OVS marks the connection with the action asked for (ct_state +snat/+dnat even when the
        // chosen tuple equals the old one); Linux only when the tuple changed (nf_nat_setup_info).
        bool changed = snat
            ? translated.Src != cur.Src || translated.SrcPort != cur.SrcPort
            : translated.Dst != cur.Dst || translated.DstPort != cur.DstPort;
        if (changed || !linuxSemantics)
            c.NatAction |= (byte)(snat ? CtStateFlags.SrcNat : CtStateFlags.DstNat);
        return true;
    }

    private ulong NextRandomUnsynchronized()
    {
        ulong x = _rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _rng = x;
        return x;
    }

    /// <summary>Rewrites a packet of <paramref name="c"/> as its binding says (OVS nat_packet / un_nat_packet).</summary>
    private static void ApplyNat(Connection c, bool reply, ref FlowKey key, Span<byte> frame, ref CtStateFlags state)
    {
        var target = reply ? c.Orig.Reverse() : c.Reply.Reverse();
        RewriteTo(target, ref key, frame, source: true, destination: true);
        state |= NatState(c, reply);
    }

    /// <summary>
    /// The ct_state NAT flag of a packet translated for <paramref name="c"/>: the translation done to this packet,
    /// so a reply's is the reverse of the connection's (OVS nat_packet's nat_action_reverse, the kernel's reverse
    /// manip type): the endpoint's answer to a DNATed connection is +snat, the answer to an SNATed one +dnat.
    /// </summary>
    private static CtStateFlags NatState(Connection c, bool reply)
    {
        var action = (CtStateFlags)c.NatAction;
        if (!reply)
            return action;
        return ((action & CtStateFlags.SrcNat) != 0 ? CtStateFlags.DstNat : 0) | ((action & CtStateFlags.DstNat) != 0 ? CtStateFlags.SrcNat : 0);
    }

    /// <summary>Writes <paramref name="t"/>'s addresses and ports into the frame and key where they differ.</summary>
    private static void RewriteTo(in ConnKey t, ref FlowKey key, Span<byte> frame, bool source, bool destination)
    {
        if (t.IsIpv4 ? !key.IsIpv4 : !key.IsIpv6)
            return;
        if (source)
            RewriteAddress(t, ref key, frame, source: true);
        if (destination)
            RewriteAddress(t, ref key, frame, source: false);
        if (t.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            if (source && key.TpSrc != t.SrcPort && PacketEditor.SetTpSrc(frame, key.Layout, t.SrcPort))
                key.TpSrc = t.SrcPort;
            if (destination && key.TpDst != t.DstPort && PacketEditor.SetTpDst(frame, key.Layout, t.DstPort))
                key.TpDst = t.DstPort;
        }
    }

    /// <summary>The frame's and key's source (or destination) address becomes <paramref name="t"/>'s, of the key's family.</summary>
    private static void RewriteAddress(in ConnKey t, ref FlowKey key, Span<byte> frame, bool source)
    {
        if (t.IsIpv4)
        {
            uint to = source ? t.Src4 : t.Dst4;
            ref uint field = ref source ? ref key.NwSrc : ref key.NwDst;
            if (field != to && (source ? PacketEditor.SetIpv4Src(frame, key.Layout, to) : PacketEditor.SetIpv4Dst(frame, key.Layout, to)))
                field = to;
            return;
        }
        var address = source ? new Ipv6Address(t.SrcHi, t.SrcLo) : new Ipv6Address(t.DstHi, t.DstLo);
        if ((source ? key.Ipv6Src : key.Ipv6Dst) == address)
            return;
        if (source ? PacketEditor.SetIpv6Src(frame, key.Layout, address) : PacketEditor.SetIpv6Dst(frame, key.Layout, address))
        {
            if (source)
                key.Ipv6Src = address;
            else
                key.Ipv6Dst = address;
        }
    }

    /// <summary>
    /// NAT for an ICMP or ICMPv6 error related to <paramref name="c"/>: the outer destination is translated
    /// as a packet of that direction would be (the outer source only when the connection's endpoint
    /// itself sent the error), and the embedded header is put back into the form its sender knows.
    /// </summary>
    private static void ApplyNatRelated(Connection c, bool reply, ref FlowKey key, Span<byte> frame, ref CtStateFlags state)
    {
        bool v4 = c.Orig.IsIpv4;
        if (v4 ? !key.IsIpv4 : !key.IsIpv6)
            return;
        var target = reply ? c.Orig.Reverse() : c.Reply.Reverse();
        var seenFrom = reply ? c.Reply : c.Orig; // the tuple such a packet carries before translation
        bool fromEndpoint = v4 ? key.NwSrc == seenFrom.Src4 : key.Ipv6SrcHi == seenFrom.SrcHi && key.Ipv6SrcLo == seenFrom.SrcLo;
        // The embedded packet travelled the other way, already translated; restore its pre-translation tuple.
        var innerTarget = reply ? c.Orig : c.Reply;
        if (v4)
            IcmpErrorNat.RewriteEmbeddedIpv4(frame, key.Layout.L4Offset, innerTarget.Src4, innerTarget.Dst4, innerTarget.SrcPort, innerTarget.DstPort);
        else
            IcmpErrorNat.RewriteEmbeddedIpv6(frame, key.Layout.L4Offset, innerTarget.Src, innerTarget.Dst, innerTarget.SrcPort, innerTarget.DstPort);
        RewriteAddress(target, ref key, frame, source: false);
        if (fromEndpoint)
            RewriteAddress(target, ref key, frame, source: true);
        state |= NatState(c, reply);
    }
}
