using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// Rewrites the packet an ICMP or ICMPv6 error quotes (RFC 792, RFC 4443 2.4(c): the invoking packet's
/// header follows the 8-byte error header) to a connection's tuple, as Linux's nf_nat_icmp_reply_translation
/// and OVS's nat_inner_packet do, so that the host that receives the error recognizes its own packet. Every
/// checksum the change touches is fixed incrementally (RFC 1624): the embedded IPv4 header checksum, the
/// embedded TCP/UDP checksum (addresses through its pseudo-header, and ports), an embedded ICMPv6 echo's
/// checksum (its pseudo-header), and the error's own checksum over all of them (for ICMPv6 the outer
/// pseudo-header is the caller's: PacketEditor fixes it when the outer addresses change).
/// A quote too short to hold a field leaves that field (and its checksum) alone; a UDP checksum of 0
/// ("none") stays 0. Embedded IPv6 extension headers are not walked: the quoted header is taken to carry
/// the transport header directly, as ConnKeyExtractor keys it. No allocation.
/// </summary>
internal static class IcmpErrorNat
{
    private const int ErrorHeaderLength = 8;

    /// <summary>The IPv4 header (and TCP/UDP ports) quoted by the ICMP error at <paramref name="icmp"/>.</summary>
    public static void RewriteEmbeddedIpv4(Span<byte> frame, int icmp, uint newSrc, uint newDst, ushort newSport, ushort newDport)
    {
        int ip = icmp + ErrorHeaderLength;
        if (icmp == 0 || (uint)(ip + 20) > (uint)frame.Length)
            return;
        int l4 = ip + (frame[ip] & 0x0f) * 4;
        byte proto = frame[ip + 9];
        uint oldSrc = BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 12)..]);
        uint oldDst = BinaryPrimitives.ReadUInt32BigEndian(frame[(ip + 16)..]);
        ushort icmpSum = BinaryPrimitives.ReadUInt16BigEndian(frame[(icmp + 2)..]);

        if (oldSrc != newSrc || oldDst != newDst)
        {
            ushort ipSum = BinaryPrimitives.ReadUInt16BigEndian(frame[(ip + 10)..]);
            ushort newIpSum = Checksum.Incremental32(Checksum.Incremental32(ipSum, oldSrc, newSrc), oldDst, newDst);
            BinaryPrimitives.WriteUInt32BigEndian(frame[(ip + 12)..], newSrc);
            BinaryPrimitives.WriteUInt32BigEndian(frame[(ip + 16)..], newDst);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(ip + 10)..], newIpSum);
            icmpSum = Checksum.Incremental32(Checksum.Incremental32(icmpSum, oldSrc, newSrc), oldDst, newDst);
            icmpSum = Checksum.Incremental16(icmpSum, ipSum, newIpSum);
        }
        if (proto is IpProtocols.Tcp or IpProtocols.Udp)
            icmpSum = RewriteTransport(frame, l4, proto, newSport, newDport, icmpSum, v6: false, oldSrc, newSrc, oldDst, newDst);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(icmp + 2)..], icmpSum);
    }

    /// <summary>The IPv6 header (and TCP/UDP ports) quoted by the ICMPv6 error at <paramref name="icmp"/>.</summary>
    public static void RewriteEmbeddedIpv6(Span<byte> frame, int icmp, UInt128 newSrc, UInt128 newDst, ushort newSport, ushort newDport)
    {
        int ip = icmp + ErrorHeaderLength;
        if (icmp == 0 || (uint)(ip + Ipv6Header.Length) > (uint)frame.Length)
            return;
        int l4 = ip + Ipv6Header.Length;
        byte proto = frame[ip + 6];
        UInt128 oldSrc = BinaryPrimitives.ReadUInt128BigEndian(frame[(ip + 8)..]);
        UInt128 oldDst = BinaryPrimitives.ReadUInt128BigEndian(frame[(ip + 24)..]);
        ushort icmpSum = BinaryPrimitives.ReadUInt16BigEndian(frame[(icmp + 2)..]);

        if (oldSrc != newSrc || oldDst != newDst)
        {
            BinaryPrimitives.WriteUInt128BigEndian(frame[(ip + 8)..], newSrc);
            BinaryPrimitives.WriteUInt128BigEndian(frame[(ip + 24)..], newDst);
            icmpSum = Checksum.Incremental128(Checksum.Incremental128(icmpSum, oldSrc, newSrc), oldDst, newDst);
            // An embedded ICMPv6 echo's checksum covers the embedded pseudo-header (an error never quotes an error).
            if (proto == IpProtocols.Icmpv6 && (uint)(l4 + 4) <= (uint)frame.Length)
            {
                ushort inner = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
                ushort n = Checksum.Incremental128(Checksum.Incremental128(inner, oldSrc, newSrc), oldDst, newDst);
                BinaryPrimitives.WriteUInt16BigEndian(frame[(l4 + 2)..], n);
                icmpSum = Checksum.Incremental16(icmpSum, inner, n);
            }
        }
        if (proto is IpProtocols.Tcp or IpProtocols.Udp)
            icmpSum = RewriteTransport(frame, l4, proto, newSport, newDport, icmpSum, v6: true, oldSrc, newSrc, oldDst, newDst);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(icmp + 2)..], icmpSum);
    }

    /// <summary>
    /// Writes the embedded TCP/UDP ports at <paramref name="l4"/> and fixes the embedded transport checksum for
    /// them and for the embedded addresses' change (its pseudo-header); returns the error's checksum fixed for
    /// every 16-bit word that changed.
    /// </summary>
    private static ushort RewriteTransport(Span<byte> frame, int l4, byte proto, ushort newSport, ushort newDport, ushort icmpSum,
        bool v6, UInt128 oldSrc, UInt128 newSrc, UInt128 oldDst, UInt128 newDst)
    {
        if ((uint)(l4 + 4) > (uint)frame.Length)
            return icmpSum;
        ushort oldSport = BinaryPrimitives.ReadUInt16BigEndian(frame[l4..]);
        ushort oldDport = BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[l4..], newSport);
        BinaryPrimitives.WriteUInt16BigEndian(frame[(l4 + 2)..], newDport);
        icmpSum = Checksum.Incremental16(Checksum.Incremental16(icmpSum, oldSport, newSport), oldDport, newDport);

        int sumAt = l4 + (proto == IpProtocols.Tcp ? 16 : 6);
        if ((uint)(sumAt + 2) > (uint)frame.Length)
            return icmpSum;
        ushort l4Sum = BinaryPrimitives.ReadUInt16BigEndian(frame[sumAt..]);
        if (proto == IpProtocols.Udp && l4Sum == 0)
            return icmpSum;
        ushort n = v6
            ? Checksum.Incremental128(Checksum.Incremental128(l4Sum, oldSrc, newSrc), oldDst, newDst)
            : Checksum.Incremental32(Checksum.Incremental32(l4Sum, (uint)oldSrc, (uint)newSrc), (uint)oldDst, (uint)newDst);
        n = Checksum.Incremental16(Checksum.Incremental16(n, oldSport, newSport), oldDport, newDport);
        if (proto == IpProtocols.Udp && n == 0)
            n = 0xffff;
        BinaryPrimitives.WriteUInt16BigEndian(frame[sumAt..], n);
        return Checksum.Incremental16(icmpSum, l4Sum, n);
    }
}
