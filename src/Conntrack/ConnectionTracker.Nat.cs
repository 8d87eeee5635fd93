using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack;

// NAT: choosing a binding when a connection is committed, and rewriting packets.
//
// A binding is stored as the connection's reply key: the reverse of the original tuple after
// translation. A packet of the original direction is rewritten to Reply.Reverse(), a reply to
// Orig.Reverse(); so one comparison per field says what to change, and SNAT and DNAT on one
// connection (netfilter's DNAT in PREROUTING plus MASQUERADE in POSTROUTING) compose.
// Frames are edited through Packets' PacketEditor, which fixes the IPv4 header and TCP/UDP
// checksums incrementally (RFC 1624). ICMP errors about a NATed connection get their embedded
// header translated back too (OVS and Linux do), with the checksums it carries fixed through
// Checksum.Incremental16/32. NAT ranges are IPv4; IPv6 connections are tracked but not NATed.
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
        if (!o.IsIpv4 || nat.Kind == NatKind.ApplyExisting)
            return false;
        var cur = c.Reply.Reverse();
        bool snat = nat.Kind == NatKind.Snat;
        bool hasPorts = o.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp;
        // nat(src) / nat(dst) without an address keep the connection's own (OVS find_addr's all-zero case).
        uint addrMin = nat.HasAddress ? nat.AddressMin.Value : snat ? cur.Src4 : cur.Dst4;
        ulong addrCount = nat.HasAddress ? (ulong)nat.AddressMax.Value - addrMin + 1 : 1;
        ushort keepPort = snat ? cur.SrcPort : cur.DstPort;

        ulong h = (nat.Flags & NatFlags.Random) != 0 ? NextRandomUnsynchronized() : o.Hash(_table.Seed ^ 0x5bd1e995UL);
        ulong addrHash = (nat.Flags & NatFlags.Persistent) != 0
            ? ConnKey.Ipv4(o.Src4, snat ? 0 : o.Dst4, 0, 0, o.Zone, o.NwProto).Hash(_table.Seed ^ 0x27d4eb2fUL)
            : h;
        ulong addrStart = addrHash % addrCount;

        // Ports to try: the range if given; else the current port, then (SNAT) the ephemeral range.
        bool range = hasPorts && nat.PortMin != 0;
        int rangeMin = range ? nat.PortMin : EphemeralMin;
        int rangeSize = range ? nat.PortMax - nat.PortMin + 1 : (snat && hasPorts ? EphemeralMax - EphemeralMin + 1 : 0);
        int portStart = rangeSize > 0 ? (int)((h >> 32) % (ulong)rangeSize) : 0;

        for (ulong ai = 0; ai < addrCount; ai++)
        {
            uint addr = (uint)(addrMin + (addrStart + ai) % addrCount);
            if (!range && TryBind(c, cur, snat, addr, keepPort, nowMs, linuxSemantics))
                return true;
            for (int pi = 0; pi < rangeSize; pi++)
            {
                ushort port = (ushort)(rangeMin + (portStart + pi) % rangeSize);
                if (TryBind(c, cur, snat, addr, port, nowMs, linuxSemantics))
                    return true;
            }
        }
        return false;
    }

    private bool TryBind(Connection c, in ConnKey cur, bool snat, uint addr, ushort port, long nowMs, bool linuxSemantics)
    {
        var translated = snat
            ? cur.With(0, addr, cur.DstHi, cur.DstLo, cur.IsIcmp ? cur.SrcPort : port, cur.DstPort)
            : cur.With(cur.SrcHi, cur.SrcLo, 0, addr, cur.SrcPort, cur.IsIcmp ? cur.DstPort : port);
        var reply = translated.Reverse();
        if (FindLiveUnsynchronized(reply, _table.Hash(reply), nowMs, out _) is not null)
            return false;
        c.Reply = reply;
        // OVS marks the connection with the action asked for (ct_state +snat/+dnat even when the
        // chosen tuple equals the old one); Linux only when the tuple changed (nf_nat_setup_info).
        bool changed = snat
            ? translated.SrcLo != cur.SrcLo || translated.SrcPort != cur.SrcPort
            : translated.DstLo != cur.DstLo || translated.DstPort != cur.DstPort;
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
        state |= (CtStateFlags)c.NatAction;
    }

    /// <summary>Writes <paramref name="t"/>'s addresses and ports into the frame and key where they differ.</summary>
    private static void RewriteTo(in ConnKey t, ref FlowKey key, Span<byte> frame, bool source, bool destination)
    {
        if (!t.IsIpv4 || !key.IsIpv4)
            return;
        if (source && key.NwSrc != t.Src4 && PacketEditor.SetIpv4Src(frame, key.Layout, t.Src4))
            key.NwSrc = t.Src4;
        if (destination && key.NwDst != t.Dst4 && PacketEditor.SetIpv4Dst(frame, key.Layout, t.Dst4))
            key.NwDst = t.Dst4;
        if (t.NwProto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            if (source && key.TpSrc != t.SrcPort && PacketEditor.SetTpSrc(frame, key.Layout, t.SrcPort))
                key.TpSrc = t.SrcPort;
            if (destination && key.TpDst != t.DstPort && PacketEditor.SetTpDst(frame, key.Layout, t.DstPort))
                key.TpDst = t.DstPort;
        }
    }

    /// <summary>
    /// NAT for an ICMP error related to <paramref name="c"/>: the outer destination is translated as
    /// a packet of that direction would be (the outer source only when the connection's endpoint
    /// itself sent the error), and the embedded header is put back into the form its sender knows.
    /// </summary>
    private static void ApplyNatRelated(Connection c, bool reply, ref FlowKey key, Span<byte> frame, ref CtStateFlags state)
    {
        if (!c.Orig.IsIpv4 || !key.IsIpv4)
            return;
        var target = reply ? c.Orig.Reverse() : c.Reply.Reverse();
        var seenFrom = reply ? c.Reply : c.Orig; // the tuple such a packet carries before translation
        bool fromEndpoint = key.NwSrc == seenFrom.Src4;
        int icmp = key.Layout.L4Offset;
        // The embedded packet travelled the other way, already translated; restore its pre-translation tuple.
        var innerTarget = reply ? c.Orig : c.Reply;
        RewriteEmbedded(frame, icmp, innerTarget);
        if (key.NwDst != target.Dst4 && PacketEditor.SetIpv4Dst(frame, key.Layout, target.Dst4))
            key.NwDst = target.Dst4;
        if (fromEndpoint && key.NwSrc != target.Src4 && PacketEditor.SetIpv4Src(frame, key.Layout, target.Src4))
            key.NwSrc = target.Src4;
        state |= (CtStateFlags)c.NatAction;
    }

    /// <summary>Rewrites the IPv4 header (and ports) embedded in an ICMP error at <paramref name="icmp"/>
    /// to <paramref name="t"/>, fixing the embedded IP checksum, the embedded TCP/UDP checksum when
    /// present, and the ICMP checksum that covers them all.</summary>
    private static void RewriteEmbedded(Span<byte> frame, int icmp, in ConnKey t)
    {
        int ip = icmp + 8;
        if ((uint)(ip + 20) > (uint)frame.Length)
            return;
        int ihl = (frame[ip] & 0x0f) * 4;
        int l4 = ip + ihl;
        byte proto = frame[ip + 9];

        uint oldSrc = BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 12)..]);
        uint oldDst = BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 16)..]);
        uint newSrc = t.Src4, newDst = t.Dst4;
        ushort icmpSum = BinaryPrimitives.ReadUInt16BigEndian(frame[(icmp + 2)..]);

        if (oldSrc != newSrc || oldDst != newDst)
        {
            ushort ipSum = BinaryPrimitives.ReadUInt16BigEndian(frame[(ip + 10)..]);
            ushort newIpSum = Checksum.Incremental32(Checksum.Incremental32(ipSum, oldSrc, newSrc), oldDst, newDst);
            BinaryPrimitives.WriteUInt32BigEndian(frame[(ip + 12)..], newSrc);
            BinaryPrimitives.WriteUInt32BigEndian(frame[(ip + 16)..], newDst);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(ip + 10)..], newIpSum);
            icmpSum = Checksum.Incremental32(icmpSum, oldSrc, newSrc);
            icmpSum = Checksum.Incremental32(icmpSum, oldDst, newDst);
            icmpSum = Checksum.Incremental16(icmpSum, ipSum, newIpSum);
        }

        if (proto is IpProtocols.Tcp or IpProtocols.Udp && (uint)(l4 + 4) <= (uint)frame.Length)
        {
            ushort oldSport = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
            ushort oldDport = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(frame[l4..], t.SrcPort);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l4 + 2)..], t.DstPort);
            icmpSum = Checksum.Incremental16(icmpSum, oldSport, t.SrcPort);
            icmpSum = Checksum.Incremental16(icmpSum, oldDport, t.DstPort);

            // The embedded transport checksum covers the pseudo-header addresses and the ports.
            int sumAt = l4 + (proto == IpProtocols.Tcp ? 16 : 6);
            if ((uint)(sumAt + 2) <= (uint)frame.Length)
            {
                ushort l4Sum = BinaryPrimitives.ReadUInt16BigEndian(frame[sumAt..]);
                if (!(proto == IpProtocols.Udp && l4Sum == 0))
                {
                    ushort n = Checksum.Incremental32(l4Sum, oldSrc, newSrc);
                    n = Checksum.Incremental32(n, oldDst, newDst);
                    n = Checksum.Incremental16(n, oldSport, t.SrcPort);
                    n = Checksum.Incremental16(n, oldDport, t.DstPort);
                    BinaryPrimitives.WriteUInt16BigEndian(frame[sumAt..], n);
                    icmpSum = Checksum.Incremental16(icmpSum, l4Sum, n);
                }
            }
        }
        BinaryPrimitives.WriteUInt16BigEndian(frame[(icmp + 2)..], icmpSum);
    }
}
