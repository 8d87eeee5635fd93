using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static Datapath.Packets.NetworkOrder;

namespace Datapath.Packets;

// Flow extraction
// ===============
//
// What?
// -----
// FlowKey.Extract is OVS's miniflow_extract: one pass over a frame that fills the L2, L3 and
// L4 fields of a key the way OVS's datapath would, plus the offsets of each header.
//
// Design
// ------
// The key is zeroed once (`key = default`, a vectorised 336-byte clear), then each layer
// checks its length once against the bytes that remain and reads big-endian words through
// unchecked offset reads (NetworkOrder).  No layer allocates, throws or loops unboundedly:
// IPv6 extension headers advance by at least 8 bytes each, ND options by at least 8.
//
// What OVS does and we do too:
//  - Up to two VLAN tags (0x8100, or 0x88a8 outside); vlan_tci = TCI | CFI (0x1000), the outer
//    tag in VlanTci, the inner in VlanTci2.  Further tags leave dl_type = the TPID.  The number
//    parsed is a limit as OVS's other_config:vlan-limit sets flow_vlan_limit (a bridge passes 1,
//    OVS's default: the inner tag of a QinQ frame is payload and dl_type is 0x8100).
//  - 802.3 frames (type < 0x600): LLC/SNAP with OUI 0 gives the SNAP type, else dl_type 0x05ff.
//  - ARP/RARP: arp_op/spa/tpa/sha/tha only for Ethernet/IPv4 ARP with an opcode <= 0xff.
//  - IPv4: nw_tos = tos & 0xfc, nw_ecn = tos & 3, nw_ttl, nw_proto; nw_frag 1 (first) / 3 (later);
//    a later fragment has no L4 fields.
//  - IPv6: label, traffic class split into tos/ecn, hop limit; extension headers skipped
//    (hop-by-hop, routing, destination options, AH, fragment); fragments as IPv4.
//  - L4: TCP ports and the 12 flag bits, UDP/SCTP ports, ICMPv4/ICMPv6/IGMP type and code in
//    tp_src/tp_dst; ND target and nd_sll/nd_tll (stored in ArpSha/ArpTha).
//  - MPLS (0x8847/0x8848): the top label stack entry's label, tc, bos and ttl (in L3 storage an
//    MPLS packet does not use); nothing after the stack is parsed.
//
// Where we differ: OVS drops the L3 fields of an IPv4/IPv6 packet whose total length exceeds
// the frame; we keep what we read and flag the key Truncated (captures have snap lengths), and
// we fill TCP ports and flags when the fixed 20 bytes are present even if options are cut.
//
// Invariants
// ----------
//  - Never throws, never reads outside the frame (every read is preceded by a length check).
//  - A frame shorter than its headers say gives ParseFlags.Truncated; a header whose own
//    fields are impossible (IP version, IHL < 5, total length < IHL, TCP offset < 5, a
//    zero-length ND option) gives ParseFlags.Malformed.  Fields after that point are zero.
//
// Thread-safety: pure function.
// Cost: O(headers); about 15 ns of CPU for a 64-byte TCP/IPv4 frame (4 of them clearing the key).
public partial struct FlowKey
{
    private const ushort DlTypeNone = 0x05FF;   // OVS's FLOW_DL_TYPE_NONE

    /// <summary>
    /// Extracts the flow of <paramref name="frame"/> received on <paramref name="inPort"/> into
    /// <paramref name="key"/> (all other fields zero). One pass, no allocation, never throws.
    /// </summary>
    public static void Extract(ReadOnlySpan<byte> frame, uint inPort, out FlowKey key) => Extract(frame, inPort, out key, MaxVlanHeaders);

    /// <summary>OVS's FLOW_MAX_VLAN_HEADERS: the most tags a key holds (VlanTci, VlanTci2).</summary>
    public const int MaxVlanHeaders = 2;

    /// <summary>
    /// <see cref="Extract(ReadOnlySpan{byte}, uint, out FlowKey)"/> parsing at most <paramref name="vlanLimit"/> VLAN
    /// tags (1 or 2; OVS's flow_vlan_limit): a further tag is payload, its TPID the dl_type.
    /// </summary>
    public static void Extract(ReadOnlySpan<byte> frame, uint inPort, out FlowKey key, int vlanLimit)
    {
        key = default;
        key.InPort = inPort;
        ExtractCore(frame, ref key, vlanLimit);
    }

    /// <summary>
    /// Re-extracts the packet fields of <paramref name="key"/> from <paramref name="frame"/>, keeping its
    /// metadata (tunnel, registers, in_port, conntrack, recirc_id): what a datapath does after it
    /// rewrites or decapsulates a frame.
    /// </summary>
    public static void ExtractPacketFields(ReadOnlySpan<byte> frame, ref FlowKey key)
    {
        int l2 = (int)Unsafe.ByteOffset(ref Unsafe.As<FlowKey, byte>(ref key), ref Unsafe.As<ulong, byte>(ref key.EthSrc));
        key.Bytes[l2..].Clear();
        ExtractCore(frame, ref key, MaxVlanHeaders);
    }

    private static void ExtractCore(ReadOnlySpan<byte> frame, ref FlowKey key, int vlanLimit)
    {
        int len = frame.Length;
        ref byte p = ref MemoryMarshal.GetReference(frame);
        if (len < EthernetHeader.Length)
        {
            if (len >= 6)
                key.EthDst = Mac(ref p, 0);
            if (len >= 12)
                key.EthSrc = Mac(ref p, 6);
            key.Layout.Flags = ParseFlags.Truncated;
            return;
        }
        key.EthDst = Mac(ref p, 0);
        key.EthSrc = Mac(ref p, 6);
        ushort type = U16(ref p, 12);
        int off = EthernetHeader.Length;

        if (type is EtherTypes.Vlan or EtherTypes.QinQ && vlanLimit > 0)
        {
            if (len < off + 4)
            {
                key.Layout.Flags = ParseFlags.Truncated | ParseFlags.Vlan;
                return;
            }
            key.VlanTci = (ushort)(U16(ref p, off) | VlanTag.Cfi);
            type = U16(ref p, off + 2);
            off += 4;
            key.Layout.Flags = ParseFlags.Vlan;
            if (type is EtherTypes.Vlan or EtherTypes.QinQ && vlanLimit > 1)
            {
                key.Layout.Flags = ParseFlags.Vlan | ParseFlags.DoubleVlan;
                if (len < off + 4)
                {
                    key.Layout.Flags |= ParseFlags.Truncated;
                    return;
                }
                key.VlanTci2 = (ushort)(U16(ref p, off) | VlanTag.Cfi);
                type = U16(ref p, off + 2);
                off += 4;
            }
        }

        if (type < EthernetHeader.MinEtherType)
        {
            // IEEE 802.3: LLC (DSAP, SSAP, control) + SNAP (OUI, type) carries an EtherType.
            if (len >= off + 8 && U16(ref p, off) == 0xAAAA && U8(ref p, off + 2) == 0x03
                && U16(ref p, off + 3) == 0 && U8(ref p, off + 5) == 0)
            {
                type = U16(ref p, off + 6);
                off += 8;
            }
            else
            {
                key.EthType = DlTypeNone;
                return;
            }
        }
        key.EthType = type;
        key.Layout.L3Offset = (ushort)off;

        ParseL3(ref p, off, len, type, ref key);
    }

    /// <summary>
    /// Re-extracts the L3 and L4 fields of <paramref name="key"/> as if the frame's payload of type
    /// <paramref name="etherType"/> started at <paramref name="offset"/>: what a packet is after pop_mpls
    /// (OVS recirculates to parse it). The L3/L4 fields and the layout's offsets are rewritten; L2 and
    /// metadata are kept; dl_type becomes <paramref name="etherType"/>.
    /// </summary>
    public static void ExtractL3(ReadOnlySpan<byte> frame, int offset, ushort etherType, ref FlowKey key)
    {
        ClearL3(ref key);
        key.EthType = etherType;
        key.Layout.L3Offset = (ushort)offset;
        key.Layout.L4Offset = 0;
        key.Layout.PayloadOffset = 0;
        key.Layout.Flags &= ParseFlags.Vlan | ParseFlags.DoubleVlan;
        if ((uint)offset > (uint)frame.Length)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        ref byte p = ref MemoryMarshal.GetReference(frame);
        int len = frame.Length;
        ParseL3(ref p, offset, len, etherType, ref key);
    }

    /// <summary>The L3 (and L4) fields of a payload of <paramref name="type"/> at <paramref name="off"/>; other types leave them clear.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ParseL3(ref byte p, int off, int len, ushort type, ref FlowKey key)
    {
        switch (type)
        {
            case EtherTypes.IPv4:
                ParseIpv4(ref p, off, len, ref key);
                break;
            case EtherTypes.IPv6:
                ParseIpv6(ref p, off, len, ref key);
                break;
            case EtherTypes.Arp:
            case EtherTypes.Rarp:
                ParseArp(ref p, off, len, ref key);
                break;
            case EtherTypes.Mpls:
            case EtherTypes.MplsMulticast:
                ParseMpls(ref p, off, len, ref key);
                break;
        }
    }

    /// <summary>Zeroes every L3 and L4 field, ARP's and the MPLS entry's (OVS's flow_push_mpls clears them so).</summary>
    public static void ClearL3(ref FlowKey key)
    {
        key.ArpOp = 0;
        key.ArpSha = key.ArpTha = 0;
        int l3 = (int)Unsafe.ByteOffset(ref Unsafe.As<FlowKey, byte>(ref key), ref Unsafe.As<uint, byte>(ref key.NwSrc));
        int layout = (int)Unsafe.ByteOffset(ref Unsafe.As<FlowKey, byte>(ref key), ref Unsafe.As<PacketLayout, byte>(ref key.Layout));
        key.Bytes[l3..layout].Clear();
    }

    // MPLS (RFC 3032): the top label stack entry into the L3 storage it shares (FlowKey); L3Offset is the top entry's
    // offset, as OVS's l2_5_ofs. OVS does not parse what the stack carries, and neither do we.
    private static void ParseMpls(ref byte p, int off, int len, ref FlowKey key)
    {
        if (len - off < 4)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        key.MplsLse = U32(ref p, off);
    }

    private static void ParseArp(ref byte p, int off, int len, ref FlowKey key)
    {
        if (len - off < ArpPacket.FixedLength)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        if (U16(ref p, off) != ArpPacket.HardwareTypeEthernet || U16(ref p, off + 2) != EtherTypes.IPv4
            || U8(ref p, off + 4) != 6 || U8(ref p, off + 5) != 4)
            return;
        if (len - off < ArpPacket.Length)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        ushort op = U16(ref p, off + 6);
        if (op > 0xFF)
            return;   // OVS matches only the low 8 bits of the opcode and ignores other packets' addresses
        key.ArpOp = op;
        key.ArpSha = Mac(ref p, off + 8);
        key.NwSrc = U32(ref p, off + 14);
        key.ArpTha = Mac(ref p, off + 18);
        key.NwDst = U32(ref p, off + 24);
        key.Layout.Flags |= ParseFlags.L4Complete;
    }

    private static void ParseIpv4(ref byte p, int off, int len, ref FlowKey key)
    {
        if (len - off < Ipv4Header.MinLength)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        byte vihl = U8(ref p, off);
        int ihl = (vihl & 0x0F) * 4;
        int totalLength = U16(ref p, off + 2);
        if ((vihl >> 4) != 4 || ihl < Ipv4Header.MinLength || totalLength < ihl)
        {
            key.Layout.Flags |= ParseFlags.Malformed;
            return;
        }
        byte tos = U8(ref p, off + 1);
        key.NwTos = (byte)(tos & 0xFC);
        key.NwEcn = (byte)(tos & 0x03);
        key.NwTtl = U8(ref p, off + 8);
        byte proto = U8(ref p, off + 9);
        key.NwProto = proto;
        key.NwSrc = U32(ref p, off + 12);
        key.NwDst = U32(ref p, off + 16);
        if (ihl > Ipv4Header.MinLength)
            key.Layout.Flags |= ParseFlags.Ipv4Options;

        ushort frag = U16(ref p, off + 6);
        if ((frag & (Ipv4Header.MoreFragmentsFlag | Ipv4Header.FragmentOffsetMask)) != 0)
        {
            key.NwFrag = 1;
            if ((frag & Ipv4Header.FragmentOffsetMask) != 0)
                key.NwFrag = 3;
        }

        int end = off + totalLength;
        bool clipped = false;
        if (end > len)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            end = len;
            clipped = true;
        }
        if (end - off < ihl)
            return;   // options cut short (Truncated already set: totalLength >= ihl)
        if (key.NwFrag == 3)
            return;   // a later fragment carries no L4 header
        int l4 = off + ihl;
        key.Layout.L4Offset = (ushort)l4;
        ParseL4(ref p, l4, end, clipped, proto, isIpv6: false, ref key);
    }

    private static void ParseIpv6(ref byte p, int off, int len, ref FlowKey key)
    {
        if (len - off < Ipv6Header.Length)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        uint vtcfl = U32(ref p, off);
        if ((vtcfl >> 28) != 6)
        {
            key.Layout.Flags |= ParseFlags.Malformed;
            return;
        }
        byte tc = (byte)(vtcfl >> 20);
        key.Ipv6Label = vtcfl & 0xFFFFF;
        key.NwTos = (byte)(tc & 0xFC);
        key.NwEcn = (byte)(tc & 0x03);
        key.NwTtl = U8(ref p, off + 7);
        key.Ipv6SrcHi = U64(ref p, off + 8);
        key.Ipv6SrcLo = U64(ref p, off + 16);
        key.Ipv6DstHi = U64(ref p, off + 24);
        key.Ipv6DstLo = U64(ref p, off + 32);

        int end = off + Ipv6Header.Length + U16(ref p, off + 4);
        bool clipped = false;
        if (end > len)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            end = len;
            clipped = true;
        }

        byte next = U8(ref p, off + 6);
        int q = off + Ipv6Header.Length;
        while (true)
        {
            if (next is IpProtocols.HopByHop or IpProtocols.Ipv6Routing or IpProtocols.Ipv6DestOptions or IpProtocols.Ah)
            {
                key.Layout.Flags |= ParseFlags.Ipv6ExtensionHeaders;
                if (end - q < 8)
                {
                    key.Layout.Flags |= clipped ? ParseFlags.Truncated : ParseFlags.Malformed;
                    return;
                }
                int hlen = next == IpProtocols.Ah ? (U8(ref p, q + 1) + 2) * 4 : (U8(ref p, q + 1) + 1) * 8;
                if (end - q < hlen)
                {
                    key.Layout.Flags |= clipped ? ParseFlags.Truncated : ParseFlags.Malformed;
                    return;
                }
                next = U8(ref p, q);
                q += hlen;
            }
            else if (next == IpProtocols.Ipv6Fragment)
            {
                key.Layout.Flags |= ParseFlags.Ipv6ExtensionHeaders;
                if (end - q < 8)
                {
                    key.Layout.Flags |= clipped ? ParseFlags.Truncated : ParseFlags.Malformed;
                    return;
                }
                key.NwFrag = 1;
                ushort offlg = U16(ref p, q + 2);
                next = U8(ref p, q);
                q += 8;
                if ((offlg & Ipv6Header.FragmentOffsetMask) != 0)
                {
                    key.NwFrag = 3;
                    key.NwProto = next;
                    return;   // a later fragment carries no L4 header
                }
            }
            else
            {
                break;
            }
        }
        key.NwProto = next;
        key.Layout.L4Offset = (ushort)q;
        ParseL4(ref p, q, end, clipped, next, isIpv6: true, ref key);
    }

    private static void ParseL4(ref byte p, int l4, int end, bool clipped, byte proto, bool isIpv6, ref FlowKey key)
    {
        int avail = end - l4;
        ParseFlags truncated = clipped ? ParseFlags.Truncated : ParseFlags.Malformed;
        switch (proto)
        {
            case IpProtocols.Tcp:
            {
                if (avail < TcpHeader.MinLength)
                {
                    key.Layout.Flags |= truncated;
                    return;
                }
                ushort offFlags = U16(ref p, l4 + 12);
                int hlen = (offFlags >> 12) * 4;
                if (hlen < TcpHeader.MinLength)
                {
                    key.Layout.Flags |= ParseFlags.Malformed;
                    return;
                }
                key.TpSrc = U16(ref p, l4);
                key.TpDst = U16(ref p, l4 + 2);
                key.TcpFlags = (ushort)(offFlags & TcpHeader.FlagsMask);
                if (hlen > TcpHeader.MinLength)
                    key.Layout.Flags |= ParseFlags.TcpOptions;
                if (avail < hlen)
                {
                    key.Layout.Flags |= truncated;
                    return;
                }
                Complete(ref key, l4 + hlen);
                return;
            }
            case IpProtocols.Udp:
                if (avail < UdpHeader.Length)
                {
                    key.Layout.Flags |= truncated;
                    return;
                }
                key.TpSrc = U16(ref p, l4);
                key.TpDst = U16(ref p, l4 + 2);
                Complete(ref key, l4 + UdpHeader.Length);
                return;
            case IpProtocols.Sctp:
                if (avail < 12)
                {
                    key.Layout.Flags |= truncated;
                    return;
                }
                key.TpSrc = U16(ref p, l4);
                key.TpDst = U16(ref p, l4 + 2);
                Complete(ref key, l4 + 12);
                return;
            case IpProtocols.Icmp:
            case 2:   // IGMP: OVS puts its type and code in tp_src/tp_dst too
                if (isIpv6)
                    return;
                if (avail < IcmpHeader.Length)
                {
                    key.Layout.Flags |= truncated;
                    return;
                }
                key.TpSrc = U8(ref p, l4);
                key.TpDst = U8(ref p, l4 + 1);
                Complete(ref key, l4 + IcmpHeader.Length);
                return;
            case IpProtocols.Icmpv6:
                if (!isIpv6)
                    return;
                ParseIcmpv6(ref p, l4, end, truncated, ref key);
                return;
        }
    }

    private static void ParseIcmpv6(ref byte p, int l4, int end, ParseFlags truncated, ref FlowKey key)
    {
        int avail = end - l4;
        if (avail < Icmpv6Header.Length)
        {
            key.Layout.Flags |= truncated;
            return;
        }
        byte type = U8(ref p, l4);
        byte code = U8(ref p, l4 + 1);
        key.TpSrc = type;
        key.TpDst = code;
        if (code != 0 || type is not (Icmpv6Header.TypeNeighborSolicitation or Icmpv6Header.TypeNeighborAdvertisement))
        {
            Complete(ref key, l4 + Icmpv6Header.Length);
            return;
        }
        if (avail < Icmpv6Header.NdLength)
        {
            key.Layout.Flags |= truncated;
            return;
        }
        key.NdTargetHi = U64(ref p, l4 + 8);
        key.NdTargetLo = U64(ref p, l4 + 16);
        byte wanted = type == Icmpv6Header.TypeNeighborSolicitation
            ? Icmpv6Header.NdOptionSourceLinkLayerAddress : Icmpv6Header.NdOptionTargetLinkLayerAddress;
        int o = l4 + Icmpv6Header.NdLength;
        while (end - o >= 8)
        {
            int optLen = U8(ref p, o + 1) * 8;
            if (optLen == 0 || optLen > end - o)
            {
                InvalidNd(ref key, optLen == 0 ? ParseFlags.Malformed : truncated);
                return;
            }
            if (U8(ref p, o) == wanted && optLen == 8)
            {
                ulong mac = Mac(ref p, o + 2);
                ref ulong slot = ref wanted == Icmpv6Header.NdOptionSourceLinkLayerAddress ? ref key.ArpSha : ref key.ArpTha;
                if (slot != 0)
                {
                    InvalidNd(ref key, ParseFlags.Malformed);   // OVS: a second link-layer option is invalid
                    return;
                }
                slot = mac;
            }
            o += optLen;
        }
        if (end - o > 0 && truncated == ParseFlags.Truncated)
        {
            key.Layout.Flags |= ParseFlags.Truncated;
            return;
        }
        Complete(ref key, end);
    }

    private static void InvalidNd(ref FlowKey key, ParseFlags why)
    {
        key.NdTargetHi = key.NdTargetLo = 0;
        key.ArpSha = key.ArpTha = 0;
        key.Layout.Flags |= why;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Complete(ref FlowKey key, int payloadOffset)
    {
        key.Layout.PayloadOffset = (ushort)payloadOffset;
        key.Layout.Flags |= ParseFlags.L4Complete;
    }
}
