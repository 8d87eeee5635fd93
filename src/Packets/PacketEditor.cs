using System.Buffers.Binary;

namespace Datapath.Packets;

// Packet editor
// =============
//
// What?
// -----
// The datapath's "set" actions (ovs-actions(7) set_field/mod_*): in-place rewrites of a frame's
// header fields, given the PacketLayout that FlowKey.Extract produced for it.
//
// Design
// ------
// Every rewrite fixes the checksums that cover the field incrementally (RFC 1624 eqn. 3):
// the IPv4 header checksum for IPv4 fields, and the TCP/UDP/ICMPv6 checksum for fields in
// the pseudo-header (addresses) or in the transport header (ports, ICMP type/code).  A UDP
// checksum of 0 over IPv4 means "none" and stays 0; a computed 0 is sent as 0xffff (RFC 768).
// SCTP's CRC32c is not updated (the datapath has no SCTP rewrites).
//
// Invariants
// ----------
//  - Every method returns false, changing nothing, when the frame does not have the header
//    the field belongs to (wrong EtherType/protocol, or too short); it never throws.
//  - The layout must be the one extracted from this frame (offsets are trusted after bounds checks).
//
// Thread-safety: operates only on the caller's buffer.
// Cost: O(1) per field (IPv6 transport fields re-walk the extension headers).
public static class PacketEditor
{
    public static bool SetEthSrc(Span<byte> frame, MacAddress mac)
    {
        if (frame.Length < EthernetHeader.Length)
            return false;
        mac.Write(frame[6..]);
        return true;
    }

    public static bool SetEthDst(Span<byte> frame, MacAddress mac)
    {
        if (frame.Length < EthernetHeader.Length)
            return false;
        mac.Write(frame);
        return true;
    }

    /// <summary>
    /// Rewrites the TCI of the outer VLAN tag. <paramref name="vlanTci"/> is in OVS's vlan_tci form;
    /// the CFI bit (which there means "tag present") is cleared on the wire, as OVS does.
    /// </summary>
    public static bool SetVlanTci(Span<byte> frame, in PacketLayout layout, ushort vlanTci)
    {
        if ((layout.Flags & ParseFlags.Vlan) == 0 || frame.Length < EthernetHeader.Length + VlanTag.Length)
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(frame[14..], (ushort)(vlanTci & ~VlanTag.Cfi));
        return true;
    }

    public static bool SetIpv4Src(Span<byte> frame, in PacketLayout layout, uint newAddr) => SetIpv4Address(frame, layout, 12, newAddr);

    public static bool SetIpv4Dst(Span<byte> frame, in PacketLayout layout, uint newAddr) => SetIpv4Address(frame, layout, 16, newAddr);

    /// <summary>Sets the TTL (IPv4) or hop limit (IPv6).</summary>
    public static bool SetIpTtl(Span<byte> frame, in PacketLayout layout, byte ttl)
    {
        if (TryIpv4(frame, layout, out int l3))
        {
            ushort old = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 8)..]);
            ushort now = (ushort)((ttl << 8) | (old & 0xFF));
            BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 8)..], now);
            FixIpv4Checksum16(frame, l3, old, now);
            return true;
        }
        if (TryIpv6(frame, layout, out l3))
        {
            frame[l3 + 7] = ttl;
            return true;
        }
        return false;
    }

    /// <summary>Sets the DSCP bits (OVS nw_tos: the top 6 bits of the TOS/traffic class byte), keeping ECN.</summary>
    public static bool SetIpTos(Span<byte> frame, in PacketLayout layout, byte dscpBits)
        => SetTrafficClassBits(frame, layout, 0xFC, dscpBits);

    /// <summary>Sets the two ECN bits (OVS nw_ecn), keeping DSCP.</summary>
    public static bool SetIpEcn(Span<byte> frame, in PacketLayout layout, byte ecn)
        => SetTrafficClassBits(frame, layout, 0x03, ecn);

    public static bool SetIpv6Src(Span<byte> frame, in PacketLayout layout, Ipv6Address address) => SetIpv6Address(frame, layout, 8, address);

    public static bool SetIpv6Dst(Span<byte> frame, in PacketLayout layout, Ipv6Address address) => SetIpv6Address(frame, layout, 24, address);

    /// <summary>Sets the IPv6 flow label (20 bits).</summary>
    public static bool SetIpv6Label(Span<byte> frame, in PacketLayout layout, uint label)
    {
        if (!TryIpv6(frame, layout, out int l3))
            return false;
        uint w = BinaryPrimitives.ReadUInt32BigEndian(frame[l3..]);
        BinaryPrimitives.WriteUInt32BigEndian(frame[l3..], (w & 0xFFF0_0000) | (label & 0xFFFFF));
        return true;
    }

    /// <summary>Sets the TCP/UDP/SCTP source port, or the ICMP/ICMPv6 type.</summary>
    public static bool SetTpSrc(Span<byte> frame, in PacketLayout layout, ushort value) => SetTransportWord(frame, layout, source: true, value);

    /// <summary>Sets the TCP/UDP/SCTP destination port, or the ICMP/ICMPv6 code.</summary>
    public static bool SetTpDst(Span<byte> frame, in PacketLayout layout, ushort value) => SetTransportWord(frame, layout, source: false, value);

    /// <summary>Rewrites the top MPLS label stack entry (at the layout's L3 offset, after an MPLS EtherType).</summary>
    public static bool SetMplsLse(Span<byte> frame, in PacketLayout layout, uint lse)
    {
        int at = layout.L3Offset;
        if (at == 0 || frame.Length < at + 4 || !EtherTypes.IsMpls(EtherTypeBefore(frame, at)))
            return false;
        BinaryPrimitives.WriteUInt32BigEndian(frame[at..], lse);
        return true;
    }

    public static bool SetArpOp(Span<byte> frame, in PacketLayout layout, ushort op)
    {
        if (!TryArp(frame, layout, out int l3))
            return false;
        BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 6)..], op);
        return true;
    }

    public static bool SetArpSha(Span<byte> frame, in PacketLayout layout, MacAddress mac) => SetArpMac(frame, layout, 8, mac);

    public static bool SetArpTha(Span<byte> frame, in PacketLayout layout, MacAddress mac) => SetArpMac(frame, layout, 18, mac);

    public static bool SetArpSpa(Span<byte> frame, in PacketLayout layout, uint address) => SetArpIp(frame, layout, 14, address);

    public static bool SetArpTpa(Span<byte> frame, in PacketLayout layout, uint address) => SetArpIp(frame, layout, 24, address);

    /// <summary>
    /// Writes every header field in which <paramref name="modified"/> differs from
    /// <paramref name="original"/> (the key extracted from this frame): Ethernet addresses, the
    /// outer VLAN TCI, ARP op/sha/spa/tha/tpa, the top MPLS label stack entry, IPv4 src/dst/tos/ecn/ttl,
    /// IPv6 src/dst/label/tos/ecn/hop limit, TCP/UDP ports and ICMP type/code. Returns false when some difference cannot be
    /// written in place (dl_type, nw_proto, pushing or popping a VLAN tag, nd_target, tcp_flags,
    /// nw_frag); the other differences are still written.
    /// </summary>
    public static bool ApplyKey(Span<byte> frame, in FlowKey original, in FlowKey modified)
    {
        var fields = Diff(in original, in modified, out bool writable);
        return ApplyFields(frame, in original.Layout, in modified, fields) & writable;
    }

    /// <summary>
    /// The header fields in which <paramref name="modified"/> differs from <paramref name="original"/> (the key of the
    /// frame as it is) that <see cref="ApplyFields"/> writes, read by the original's protocol (an ARP frame's nw_src is
    /// its spa). <paramref name="writable"/> is false when some other difference cannot be written in place (dl_type,
    /// nw_proto, a VLAN tag pushed or popped, the inner tag, nd_target, tcp_flags, nw_frag).
    /// </summary>
    public static HeaderFields Diff(in FlowKey original, in FlowKey modified, out bool writable)
    {
        var f = HeaderFields.None;
        writable = true;
        if (modified.EthSrc != original.EthSrc)
            f |= HeaderFields.EthSrc;
        if (modified.EthDst != original.EthDst)
            f |= HeaderFields.EthDst;
        if (modified.VlanTci != original.VlanTci)
        {
            if ((original.VlanTci & VlanTag.Cfi) != 0 && (modified.VlanTci & VlanTag.Cfi) != 0)
                f |= HeaderFields.VlanTci;
            else
                writable = false;
        }
        if (modified.EthType != original.EthType || modified.NwProto != original.NwProto || modified.VlanTci2 != original.VlanTci2
            || modified.TcpFlags != original.TcpFlags || modified.NwFrag != original.NwFrag
            || modified.NdTargetHi != original.NdTargetHi || modified.NdTargetLo != original.NdTargetLo)
            writable = false;

        if (original.IsArp)
        {
            if (modified.ArpOp != original.ArpOp)
                f |= HeaderFields.ArpOp;
            if (modified.ArpSha != original.ArpSha)
                f |= HeaderFields.ArpSha;
            if (modified.ArpTha != original.ArpTha)
                f |= HeaderFields.ArpTha;
            if (modified.NwSrc != original.NwSrc)
                f |= HeaderFields.ArpSpa;
            if (modified.NwDst != original.NwDst)
                f |= HeaderFields.ArpTpa;
            return f;
        }
        if (original.IsMpls)
        {
            // The top label stack entry (mpls_label, mpls_tc, mpls_ttl; mpls_bos is read-only).
            if (modified.MplsLse != original.MplsLse)
                f |= HeaderFields.MplsLse;
            return f;
        }
        if (original.IsIpv4)
        {
            if (modified.NwSrc != original.NwSrc)
                f |= HeaderFields.Ipv4Src;
            if (modified.NwDst != original.NwDst)
                f |= HeaderFields.Ipv4Dst;
        }
        else if (original.IsIpv6)
        {
            if (modified.Ipv6SrcHi != original.Ipv6SrcHi || modified.Ipv6SrcLo != original.Ipv6SrcLo)
                f |= HeaderFields.Ipv6Src;
            if (modified.Ipv6DstHi != original.Ipv6DstHi || modified.Ipv6DstLo != original.Ipv6DstLo)
                f |= HeaderFields.Ipv6Dst;
            if (modified.Ipv6Label != original.Ipv6Label)
                f |= HeaderFields.Ipv6Label;
        }
        else
        {
            return f;
        }
        if (modified.NwTos != original.NwTos)
            f |= HeaderFields.NwTos;
        if (modified.NwEcn != original.NwEcn)
            f |= HeaderFields.NwEcn;
        if (modified.NwTtl != original.NwTtl)
            f |= HeaderFields.NwTtl;
        if (modified.TpSrc != original.TpSrc)
            f |= HeaderFields.TpSrc;
        if (modified.TpDst != original.TpDst)
            f |= HeaderFields.TpDst;
        return f;
    }

    /// <summary>
    /// Writes <paramref name="fields"/> of <paramref name="modified"/> into the frame, whose parse layout is
    /// <paramref name="layout"/>, fixing the checksums that cover them. False when some field's header is not there.
    /// </summary>
    public static bool ApplyFields(Span<byte> frame, in PacketLayout layout, in FlowKey modified, HeaderFields fields)
    {
        if (fields == HeaderFields.None)
            return true;
        bool ok = true;
        if ((fields & HeaderFields.EthSrc) != 0)
            ok &= SetEthSrc(frame, new MacAddress(modified.EthSrc));
        if ((fields & HeaderFields.EthDst) != 0)
            ok &= SetEthDst(frame, new MacAddress(modified.EthDst));
        if ((fields & HeaderFields.VlanTci) != 0)
            ok &= SetVlanTci(frame, layout, modified.VlanTci);
        if ((fields & (HeaderFields.ArpOp | HeaderFields.ArpSha | HeaderFields.ArpTha | HeaderFields.ArpSpa | HeaderFields.ArpTpa)) != 0)
        {
            if ((fields & HeaderFields.ArpOp) != 0)
                ok &= SetArpOp(frame, layout, modified.ArpOp);
            if ((fields & HeaderFields.ArpSha) != 0)
                ok &= SetArpSha(frame, layout, new MacAddress(modified.ArpSha));
            if ((fields & HeaderFields.ArpTha) != 0)
                ok &= SetArpTha(frame, layout, new MacAddress(modified.ArpTha));
            if ((fields & HeaderFields.ArpSpa) != 0)
                ok &= SetArpSpa(frame, layout, modified.NwSrc);
            if ((fields & HeaderFields.ArpTpa) != 0)
                ok &= SetArpTpa(frame, layout, modified.NwDst);
        }
        if ((fields & HeaderFields.MplsLse) != 0)
            ok &= SetMplsLse(frame, layout, modified.MplsLse);
        if ((fields & HeaderFields.Ipv4Src) != 0)
            ok &= SetIpv4Src(frame, layout, modified.NwSrc);
        if ((fields & HeaderFields.Ipv4Dst) != 0)
            ok &= SetIpv4Dst(frame, layout, modified.NwDst);
        if ((fields & HeaderFields.Ipv6Src) != 0)
            ok &= SetIpv6Src(frame, layout, modified.Ipv6Src);
        if ((fields & HeaderFields.Ipv6Dst) != 0)
            ok &= SetIpv6Dst(frame, layout, modified.Ipv6Dst);
        if ((fields & HeaderFields.Ipv6Label) != 0)
            ok &= SetIpv6Label(frame, layout, modified.Ipv6Label);
        if ((fields & HeaderFields.NwTos) != 0)
            ok &= SetIpTos(frame, layout, modified.NwTos);
        if ((fields & HeaderFields.NwEcn) != 0)
            ok &= SetIpEcn(frame, layout, modified.NwEcn);
        if ((fields & HeaderFields.NwTtl) != 0)
            ok &= SetIpTtl(frame, layout, modified.NwTtl);
        if ((fields & HeaderFields.TpSrc) != 0)
            ok &= SetTpSrc(frame, layout, modified.TpSrc);
        if ((fields & HeaderFields.TpDst) != 0)
            ok &= SetTpDst(frame, layout, modified.TpDst);
        return ok;
    }

    // ---- helpers

    private static bool SetIpv4Address(Span<byte> frame, in PacketLayout layout, int fieldOffset, uint newAddr)
    {
        if (!TryIpv4(frame, layout, out int l3))
            return false;
        var field = frame.Slice(l3 + fieldOffset, 4);
        uint old = BinaryPrimitives.ReadUInt32BigEndian(field);
        BinaryPrimitives.WriteUInt32BigEndian(field, newAddr);
        ushort ipc = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 10)..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 10)..], Checksum.Incremental32(ipc, old, newAddr));
        if (TryL4Checksum(frame, layout, frame[l3 + 9], pseudoHeaderField: true, out int at, out bool udp))
        {
            ushort c = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            if (!(udp && c == 0))
                WriteTransportChecksum(frame, at, Checksum.Incremental32(c, old, newAddr), udp);
        }
        return true;
    }

    private static bool SetIpv6Address(Span<byte> frame, in PacketLayout layout, int fieldOffset, Ipv6Address address)
    {
        if (!TryIpv6(frame, layout, out int l3))
            return false;
        var field = frame.Slice(l3 + fieldOffset, 16);
        var old = Ipv6Address.Read(field);
        address.Write(field);
        if (TryIpv6Protocol(frame, l3, layout, out byte proto)
            && TryL4Checksum(frame, layout, proto, pseudoHeaderField: true, out int at, out bool udp))
        {
            ushort c = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
            if (!(udp && c == 0))
                WriteTransportChecksum(frame, at, Checksum.Incremental128(c, old.Value, address.Value), udp);
        }
        return true;
    }

    private static bool SetTrafficClassBits(Span<byte> frame, in PacketLayout layout, byte mask, byte bits)
    {
        if (TryIpv4(frame, layout, out int l3))
        {
            ushort old = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
            ushort now = (ushort)((old & ~mask) | (bits & mask));
            BinaryPrimitives.WriteUInt16BigEndian(frame[l3..], now);
            FixIpv4Checksum16(frame, l3, old, now);
            return true;
        }
        if (TryIpv6(frame, layout, out l3))
        {
            // The traffic class is bits 4..11 of the first 16-bit word.
            ushort w = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
            int m = mask << 4;
            BinaryPrimitives.WriteUInt16BigEndian(frame[l3..], (ushort)((w & ~m) | ((bits << 4) & m)));
            return true;
        }
        return false;
    }

    private static bool SetTransportWord(Span<byte> frame, in PacketLayout layout, bool source, ushort value)
    {
        byte proto;
        if (TryIpv4(frame, layout, out int l3))
            proto = frame[l3 + 9];
        else if (!TryIpv6(frame, layout, out l3) || !TryIpv6Protocol(frame, l3, layout, out proto))
            return false;
        int l4 = layout.L4Offset;
        if (l4 == 0)
            return false;
        switch (proto)
        {
            case IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp:
            {
                int minimum = proto == IpProtocols.Tcp ? TcpHeader.MinLength : proto == IpProtocols.Udp ? UdpHeader.Length : 12;
                if (frame.Length < l4 + minimum)
                    return false;
                int at = l4 + (source ? 0 : 2);
                ushort old = BinaryPrimitives.ReadUInt16BigEndian(frame[at..]);
                BinaryPrimitives.WriteUInt16BigEndian(frame[at..], value);
                if (proto != IpProtocols.Sctp && TryL4Checksum(frame, layout, proto, pseudoHeaderField: false, out int cat, out bool udp))
                {
                    ushort c = BinaryPrimitives.ReadUInt16BigEndian(frame[cat..]);
                    if (!(udp && c == 0))
                        WriteTransportChecksum(frame, cat, Checksum.Incremental16(c, old, value), udp);
                }
                return true;
            }
            case IpProtocols.Icmp or IpProtocols.Icmpv6:
            {
                if (frame.Length < l4 + 4 || (proto == IpProtocols.Icmp) != (frame[l3] >> 4 == 4))
                    return false;
                ushort old = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
                ushort now = source ? (ushort)((value << 8) | (old & 0xFF)) : (ushort)((old & 0xFF00) | (byte)value);
                BinaryPrimitives.WriteUInt16BigEndian(frame[l4..], now);
                ushort c = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
                BinaryPrimitives.WriteUInt16BigEndian(frame[(l4 + 2)..], Checksum.Incremental16(c, old, now));
                return true;
            }
            default:
                return false;
        }
    }

    private static bool SetArpMac(Span<byte> frame, in PacketLayout layout, int fieldOffset, MacAddress mac)
    {
        if (!TryArp(frame, layout, out int l3))
            return false;
        mac.Write(frame[(l3 + fieldOffset)..]);
        return true;
    }

    private static bool SetArpIp(Span<byte> frame, in PacketLayout layout, int fieldOffset, uint address)
    {
        if (!TryArp(frame, layout, out int l3))
            return false;
        BinaryPrimitives.WriteUInt32BigEndian(frame[(l3 + fieldOffset)..], address);
        return true;
    }

    private static void FixIpv4Checksum16(Span<byte> frame, int l3, ushort old, ushort now)
    {
        ushort c = BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 + 10)..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(l3 + 10)..], Checksum.Incremental16(c, old, now));
    }

    private static void WriteTransportChecksum(Span<byte> frame, int at, ushort checksum, bool udp)
        => BinaryPrimitives.WriteUInt16BigEndian(frame[at..], udp && checksum == 0 ? (ushort)0xFFFF : checksum);

    /// <summary>Where the transport checksum that covers a rewritten field is, when the frame holds it.</summary>
    private static bool TryL4Checksum(Span<byte> frame, in PacketLayout layout, byte proto, bool pseudoHeaderField, out int at, out bool udp)
    {
        at = 0;
        udp = proto == IpProtocols.Udp;
        int l4 = layout.L4Offset;
        if (l4 == 0)
            return false;
        int offset = proto switch
        {
            IpProtocols.Tcp => 16,
            IpProtocols.Udp => 6,
            IpProtocols.Icmpv6 => 2,   // ICMPv6 has a pseudo-header; ICMPv4 does not
            _ => -1,
        };
        if (offset < 0 || (!pseudoHeaderField && proto == IpProtocols.Icmpv6) || frame.Length < l4 + offset + 2)
            return false;
        at = l4 + offset;
        return true;
    }

    private static ushort EtherTypeBefore(Span<byte> frame, int l3)
        => l3 >= EthernetHeader.Length && l3 <= frame.Length ? BinaryPrimitives.ReadUInt16BigEndian(frame[(l3 - 2)..]) : (ushort)0;

    private static bool TryIpv4(Span<byte> frame, in PacketLayout layout, out int l3)
    {
        l3 = layout.L3Offset;
        return l3 != 0 && frame.Length >= l3 + Ipv4Header.MinLength && EtherTypeBefore(frame, l3) == EtherTypes.IPv4
            && (frame[l3] >> 4) == 4;
    }

    private static bool TryIpv6(Span<byte> frame, in PacketLayout layout, out int l3)
    {
        l3 = layout.L3Offset;
        return l3 != 0 && frame.Length >= l3 + Ipv6Header.Length && EtherTypeBefore(frame, l3) == EtherTypes.IPv6
            && (frame[l3] >> 4) == 6;
    }

    private static bool TryArp(Span<byte> frame, in PacketLayout layout, out int l3)
    {
        l3 = layout.L3Offset;
        return l3 != 0 && frame.Length >= l3 + ArpPacket.Length
            && EtherTypeBefore(frame, l3) is EtherTypes.Arp or EtherTypes.Rarp;
    }

    private static bool TryIpv6Protocol(Span<byte> frame, int l3, in PacketLayout layout, out byte proto)
    {
        proto = 0;
        if (layout.L4Offset == 0)
            return false;
        if (!Ipv6Header.TrySkipExtensionHeaders(frame[(l3 + Ipv6Header.Length)..], frame[l3 + 6], out proto, out int ulo, out byte frag))
            return false;
        return frag != 3 && l3 + Ipv6Header.Length + ulo == layout.L4Offset;
    }
}
