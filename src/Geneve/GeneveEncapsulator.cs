using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Numerics;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Pushes GENEVE: builds the outer Ethernet/IPv4 (or IPv6)/UDP/GENEVE headers (RFC 8926) around an inner
/// Ethernet frame from the tunnel fields of a FlowKey, as OVS's native tunnel push does for a port
/// with <c>remote_ip=flow, key=flow</c>:
/// tun_dst/tun_src → outer IPv4 addresses, or, when tun_dst is 0, tun_ipv6_dst/tun_ipv6_src → outer
/// IPv6 addresses (traffic class from tun_tos, hop limit from tun_ttl, flow label from the inner flow
/// hash, UDP checksum always), tun_id → VNI (low 24 bits), tun_tos → outer TOS,
/// tun_ttl → outer TTL (0 means 64), tun_metadataN present in TunMetadataPresent → options
/// through the <see cref="TlvMap"/>, TunFlags (<see cref="GeneveTunnelFlags"/>) → O bit, DF, UDP checksum.
/// </summary>
/// <remarks>
/// The UDP source port carries the inner flow's entropy (RFC 8926 §3.3): a stable hash of the
/// inner addresses, protocol and ports mapped into 49152..65535, so ECMP keeps a flow on one path.
/// IPv4 id is 0 with DF (an atomic datagram, RFC 6864), as OVS sends it.
/// Static and allocation-free; any thread.
/// </remarks>
public static class GeneveEncapsulator
{
    /// <summary>tun_ttl 0 means "the default", 64 as OVS's tunnel ports use.</summary>
    public const byte DefaultTtl = 64;
    /// <summary>The ephemeral range the UDP source port is drawn from (RFC 8926 §3.3, RFC 6335).</summary>
    public const ushort SourcePortMin = 49152;

    /// <summary>
    /// Encapsulates <paramref name="innerFrame"/> into <paramref name="destination"/> as a whole outer
    /// frame (what goes out of the uplink): IPv4 outer from tun_src/tun_dst, or IPv6 outer from
    /// tun_ipv6_src/tun_ipv6_dst when <see cref="UsesIpv6Outer"/>. False when the destination is too
    /// short, the addresses of the chosen family are 0, or the result would not fit in one IP packet;
    /// nothing useful is written then.
    /// </summary>
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, in TlvMap map,
        MacAddress outerSrc, MacAddress outerDst, Span<byte> destination, out int bytesWritten)
        => TryEncapsulate(innerFrame, in tunnelFields, in map, outerSrc, outerDst, InnerFlowHash(innerFrame), 0, destination, out bytesWritten);

    /// <summary>
    /// True when the outer header is IPv6: tun_dst is 0 and tun_ipv6_dst is set (OVS's flow_tnl_dst()
    /// prefers the IPv4 destination when both are set).
    /// </summary>
    public static bool UsesIpv6Outer(in FlowKey tunnelFields)
        => tunnelFields.TunDst == 0 && (tunnelFields.TunIpv6DstLo | tunnelFields.TunIpv6DstHi) != 0;

    /// <summary>
    /// As the shorter overload, with the inner flow hash supplied by the caller (e.g. the hash its
    /// flow cache already computed) and the IPv4 id to use (0 with DF; without DF pass a per-packet
    /// counter, RFC 6864). Over IPv6 the hash also gives the flow label and the id is unused.
    /// </summary>
    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, in TlvMap map,
        MacAddress outerSrc, MacAddress outerDst, uint flowHash, ushort ipId, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (UsesIpv6Outer(in tunnelFields))
            return TryEncapsulateIpv6(innerFrame, in tunnelFields, in map, outerSrc, outerDst, flowHash, destination, out bytesWritten);
        if (tunnelFields.TunSrc == 0 || tunnelFields.TunDst == 0 || destination.Length < GeneveOuterFrame.Ipv4HeadersLength)
            return false;
        if (!TryWritePayload(innerFrame, in tunnelFields, in map, destination[GeneveOuterFrame.Ipv4HeadersLength..], out int payloadLength)
            || payloadLength > GeneveOuterFrame.MaxUdpPayloadLength)
            return false;
        ushort flags = tunnelFields.TunFlags;
        int total = GeneveOuterFrame.Ipv4HeadersLength + payloadLength;
        GeneveOuterFrame.WriteIpv4Headers(destination[..total], outerSrc, outerDst, tunnelFields.TunSrc, tunnelFields.TunDst,
            tunnelFields.TunTos, tunnelFields.TunTtl == 0 ? DefaultTtl : tunnelFields.TunTtl,
            (flags & GeneveTunnelFlags.DontFragment) != 0, ipId, SourcePort(flowHash), GeneveHeader.UdpPort,
            (flags & GeneveTunnelFlags.Csum) != 0);
        bytesWritten = total;
        return true;
    }

    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryEncapsulateIpv6(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, in TlvMap map,
        MacAddress outerSrc, MacAddress outerDst, uint flowHash, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if ((tunnelFields.TunIpv6SrcLo | tunnelFields.TunIpv6SrcHi) == 0 || destination.Length < GeneveOuterFrame.Ipv6HeadersLength)
            return false;
        if (!TryWritePayload(innerFrame, in tunnelFields, in map, destination[GeneveOuterFrame.Ipv6HeadersLength..], out int payloadLength)
            || payloadLength > GeneveOuterFrame.MaxUdpPayloadLengthIpv6)
            return false;
        int total = GeneveOuterFrame.Ipv6HeadersLength + payloadLength;
        GeneveOuterFrame.WriteIpv6Headers(destination[..total], outerSrc, outerDst,
            new UInt128(tunnelFields.TunIpv6SrcHi, tunnelFields.TunIpv6SrcLo), new UInt128(tunnelFields.TunIpv6DstHi, tunnelFields.TunIpv6DstLo),
            tunnelFields.TunTos, tunnelFields.TunTtl == 0 ? DefaultTtl : tunnelFields.TunTtl, FlowLabel(flowHash),
            SourcePort(flowHash), GeneveHeader.UdpPort);
        bytesWritten = total;
        return true;
    }

    /// <summary>
    /// Writes the UDP payload only: GENEVE header, options and the inner frame (what a UDP socket
    /// sends; the kernel adds the outer headers). False when the destination is too short.
    /// </summary>
    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool TryWritePayload(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, in TlvMap map,
        Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        bool critical = false;
        int headerLength = GeneveHeader.Length;
        uint present = tunnelFields.TunMetadataPresent & map.MappedIndexes;
        if (present != 0)
        {
            // Options in TLV map order, written before the header so one pass learns their length.
            foreach (var entry in map.Entries)
            {
                if ((present & (1u << entry.Index)) == 0)
                    continue;
                int optionLength = GeneveOption.HeaderLength + entry.Length;
                if (destination.Length < headerLength + optionLength)
                    return false;
                var option = destination.Slice(headerLength, optionLength);
                GeneveOption.WriteHeaderCore(option, entry.OptionClass, entry.Type, entry.Length / 4);
                ulong value = tunnelFields.TunMetadata[entry.Index];
                if (entry.Length == 4)
                    BinaryPrimitives.WriteUInt32BigEndian(option[GeneveOption.HeaderLength..], (uint)value);
                else
                    BinaryPrimitives.WriteUInt64BigEndian(option[GeneveOption.HeaderLength..], value);
                critical |= (entry.Type & GeneveOption.CriticalTypeBit) != 0;
                headerLength += optionLength;
            }
        }
        int total = headerLength + innerFrame.Length;
        if (destination.Length < total)
            return false;
        GeneveHeader.WriteCore(destination, (uint)tunnelFields.TunId & GeneveHeader.MaxVni, EtherTypes.TransparentEthernetBridging,
            (headerLength - GeneveHeader.Length) / 4, oam: (tunnelFields.TunFlags & GeneveTunnelFlags.Oam) != 0, critical);
        innerFrame.CopyTo(destination[headerLength..]);
        bytesWritten = total;
        return true;
    }

    /// <summary>Bytes the encapsulation adds in front of the inner frame (outer headers + GENEVE + options).</summary>
    public static int Overhead(in FlowKey tunnelFields, in TlvMap map)
        => (UsesIpv6Outer(in tunnelFields) ? GeneveOuterFrame.Ipv6HeadersLength : GeneveOuterFrame.Ipv4HeadersLength) + GeneveHeader.Length + OptionsLength(in tunnelFields, in map);

    private static int OptionsLength(in FlowKey tunnelFields, in TlvMap map)
    {
        uint present = tunnelFields.TunMetadataPresent & map.MappedIndexes;
        if (present == 0)
            return 0;
        int length = 0;
        foreach (var e in map.Entries)
        {
            if ((present & (1u << e.Index)) != 0)
                length += GeneveOption.HeaderLength + e.Length;
        }
        return length;
    }

    /// <summary>The UDP source port for a flow hash: 49152..65535 (the top 14 bits of the hash).</summary>
    public static ushort SourcePort(uint flowHash) => (ushort)(SourcePortMin | (flowHash >> 18));

    /// <summary>The outer IPv6 flow label for a flow hash (RFC 6438: a tunnel's flow label carries the inner flow's entropy): the low 20 bits.</summary>
    public static uint FlowLabel(uint flowHash) => flowHash & 0xF_FFFF;

    /// <summary>
    /// A stable hash of the inner flow: IPv4/IPv6 addresses, protocol and TCP/UDP/SCTP ports (not of
    /// later fragments), or the Ethernet addresses and type for other frames. Up to two VLAN tags
    /// are skipped. Never throws; a truncated frame hashes what it has.
    /// </summary>
    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static uint InnerFlowHash(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
            return Finish((ulong)frame.Length, 0);
        int l3 = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
        for (int tags = 0; tags < 2 && type is EtherTypes.Vlan or EtherTypes.QinQ && frame.Length >= l3 + 6; tags++)
        {
            l3 += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[l3..]);
        }
        var l3Bytes = frame[(l3 + 2)..];
        if (type == EtherTypes.IPv4 && l3Bytes.Length >= 20)
        {
            int ihl = (l3Bytes[0] & 0x0F) * 4;
            byte proto = l3Bytes[9];
            ulong addresses = BinaryPrimitives.ReadUInt64LittleEndian(l3Bytes[12..]);   // src and dst, any fixed order
            ulong rest = proto;
            bool later = (BinaryPrimitives.ReadUInt16BigEndian(l3Bytes[6..]) & 0x1FFF) != 0;
            if (!later && HasPorts(proto) && ihl >= 20 && l3Bytes.Length >= ihl + 4)
                rest |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(l3Bytes[ihl..]) << 8;
            return Finish(addresses, rest | 0x4_0000_0000_00UL);
        }
        if (type == EtherTypes.IPv6 && l3Bytes.Length >= 40)
        {
            ulong a = BinaryPrimitives.ReadUInt64LittleEndian(l3Bytes[8..]) ^ BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(l3Bytes[16..]), 17);
            ulong b = BinaryPrimitives.ReadUInt64LittleEndian(l3Bytes[24..]) ^ BitOperations.RotateLeft(BinaryPrimitives.ReadUInt64LittleEndian(l3Bytes[32..]), 17);
            byte next = l3Bytes[6];
            ulong rest = next;
            if (HasPorts(next) && l3Bytes.Length >= 44)
                rest |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(l3Bytes[40..]) << 8;
            return Finish(a ^ BitOperations.RotateLeft(b, 31), rest | 0x6_0000_0000_00UL);
        }
        ulong macs = BinaryPrimitives.ReadUInt64LittleEndian(frame) ^ ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(frame[8..]) << 16);
        return Finish(macs, type | 0xE_0000_0000_00UL);
    }

    /// <summary>Two 64-bit multiplies and a fold: every input bit reaches the top 14 bits that pick the port.</summary>
    private static uint Finish(ulong a, ulong b)
    {
        ulong h = (a ^ 0x9E37_79B9_7F4A_7C15UL) * 0xBF58_476D_1CE4_E5B9UL;
        h ^= (b + (h >> 29)) * 0x94D0_49BB_1331_11EBUL;
        h ^= h >> 31;
        return (uint)(h >> 32) ^ (uint)h;
    }

    private static bool HasPorts(byte proto) => proto is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp;
}
