using System.Buffers.Binary;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Goes between the two forms of one GENEVE datagram: the whole outer frame (Ethernet + IPv4 or
/// IPv6 + UDP + payload, as tcpdump on the uplink shows it and pcaps hold it) and the UDP payload
/// (GENEVE header + options + inner frame, what a UDP socket sends and receives).
/// </summary>
/// <remarks>Static, stateless, allocation-free; any thread.</remarks>
public static class GeneveOuterFrame
{
    /// <summary>Ethernet (14) + IPv4 without options (20) + UDP (8): where the UDP payload starts in frames we write.</summary>
    public const int Ipv4HeadersLength = EthernetLength + Ipv4Length + UdpLength;

    /// <summary>Ethernet (14) + IPv6 without extension headers (40) + UDP (8).</summary>
    public const int Ipv6HeadersLength = EthernetLength + Ipv6Length + UdpLength;

    internal const int EthernetLength = 14;
    internal const int Ipv4Length = 20;
    internal const int Ipv6Length = 40;
    internal const int UdpLength = 8;
    private const ushort DfBit = 0x4000;
    private const ushort MoreFragmentsBit = 0x2000;
    private const ushort FragmentOffsetMask = 0x1FFF;
    /// <summary>The largest UDP payload an IPv4 packet can carry.</summary>
    public const int MaxUdpPayloadLength = ushort.MaxValue - Ipv4Length - UdpLength;
    /// <summary>The largest UDP payload an IPv6 packet (no jumbogram) can carry: the UDP length is 16 bits.</summary>
    public const int MaxUdpPayloadLengthIpv6 = ushort.MaxValue - UdpLength;

    /// <summary>Where the UDP payload starts in frames we write with these outer fields.</summary>
    public static int HeadersLength(in GeneveOuterFields outer) => outer.IsIpv6 ? Ipv6HeadersLength : Ipv4HeadersLength;

    /// <summary>
    /// Writes <paramref name="udpPayload"/> wrapped in Ethernet/IPv4/UDP (or, when
    /// <see cref="GeneveOuterFields.IsIpv6"/>, Ethernet/IPv6/UDP) headers made from
    /// <paramref name="outer"/>, with correct lengths, IPv4 header checksum and UDP checksum (when
    /// <see cref="GeneveOuterFields.UdpChecksum"/>; always over IPv6). False when the destination is too
    /// short or the payload too long for the IP version; nothing is written then.
    /// </summary>
    public static bool TryWrap(ReadOnlySpan<byte> udpPayload, in GeneveOuterFields outer, Span<byte> destination, out int bytesWritten)
    {
        int headers = HeadersLength(in outer);
        int total = headers + udpPayload.Length;
        if (udpPayload.Length > (outer.IsIpv6 ? MaxUdpPayloadLengthIpv6 : MaxUdpPayloadLength) || destination.Length < total)
        {
            bytesWritten = 0;
            return false;
        }
        udpPayload.CopyTo(destination[headers..]);
        if (outer.IsIpv6)
            WriteHeadersIpv6Core(destination[..total], in outer);
        else
            WriteHeadersCore(destination[..total], in outer);
        bytesWritten = total;
        return true;
    }

    /// <summary>
    /// Writes the 42 bytes of outer headers in front of a UDP payload already at
    /// <c>frame[Ipv4HeadersLength..]</c>; <paramref name="frame"/> ends where the payload ends.
    /// </summary>
    internal static void WriteHeadersCore(Span<byte> frame, in GeneveOuterFields outer)
    {
        int udpLength = frame.Length - EthernetLength - Ipv4Length;
        int totalLength = Ipv4Length + udpLength;
        uint src = outer.Source.Value;
        uint dst = outer.Destination.Value;
        outer.EthDst.Write(frame);
        outer.EthSrc.Write(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypes.IPv4);

        // The header checksum is summed from the field values (O(1), no second pass over the bytes),
        // as OVS patches its pre-built tunnel header instead of re-summing it.
        var ip = frame.Slice(EthernetLength, Ipv4Length);
        ushort versionTos = (ushort)(0x4500 | outer.Tos);
        ushort flags = outer.DontFragment ? DfBit : (ushort)0;
        ushort ttlProto = (ushort)((outer.Ttl << 8) | IpProtocols.Udp);
        BinaryPrimitives.WriteUInt16BigEndian(ip, versionTos);
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], outer.IpId);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(ip[8..], ttlProto);
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        uint ipSum = Checksum.PseudoHeaderV4(src, dst, 0, 0) + versionTos + (uint)totalLength + outer.IpId + flags + ttlProto;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Fold(ipSum));

        var udp = frame[(EthernetLength + Ipv4Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, outer.UdpSource);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], outer.UdpDestination);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        ushort udpChecksum = 0;
        if (outer.UdpChecksum)
        {
            // Pseudo-header and UDP header from their values, then one pass over the payload.
            uint sum = Checksum.PseudoHeaderV4(src, dst, IpProtocols.Udp, (ushort)udpLength)
                + outer.UdpSource + outer.UdpDestination + (uint)udpLength;
            udpChecksum = Checksum.Fold(Checksum.Add(udp[UdpLength..], sum));
            if (udpChecksum == 0)
                udpChecksum = 0xFFFF;   // RFC 768: a computed 0 is sent as all ones; 0 means "no checksum"
        }
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], udpChecksum);
    }

    /// <summary>
    /// Writes the 62 bytes of outer Ethernet/IPv6/UDP headers in front of a UDP payload already at
    /// <c>frame[Ipv6HeadersLength..]</c>; <paramref name="frame"/> ends where the payload ends.
    /// The UDP checksum is always computed: IPv6 has no header checksum, so UDP's is mandatory
    /// (RFC 8200 §8.1; RFC 8926 §3.3 allows a zero one only under RFC 6935/6936's conditions).
    /// </summary>
    internal static void WriteHeadersIpv6Core(Span<byte> frame, in GeneveOuterFields outer)
    {
        int udpLength = frame.Length - EthernetLength - Ipv6Length;
        outer.EthDst.Write(frame);
        outer.EthSrc.Write(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherTypes.IPv6);

        var ip = frame.Slice(EthernetLength, Ipv6Length);
        BinaryPrimitives.WriteUInt32BigEndian(ip, 0x6000_0000u | ((uint)outer.Tos << 20) | (outer.FlowLabel & 0xF_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)udpLength);   // payload length: UDP is the only payload
        ip[6] = IpProtocols.Udp;
        ip[7] = outer.Ttl;
        outer.Source6.Write(ip[8..]);
        outer.Destination6.Write(ip[24..]);

        var udp = frame[(EthernetLength + Ipv6Length)..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, outer.UdpSource);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], outer.UdpDestination);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLength);
        uint sum = Checksum.PseudoHeaderV6(outer.Source6, outer.Destination6, IpProtocols.Udp, (uint)udpLength)
            + outer.UdpSource + outer.UdpDestination + (uint)udpLength;
        ushort udpChecksum = Checksum.Fold(Checksum.Add(udp[UdpLength..], sum));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], udpChecksum == 0 ? (ushort)0xFFFF : udpChecksum);
    }

    /// <summary>
    /// Validates the outer Ethernet (one optional 802.1Q tag), IPv4 or IPv6 and UDP headers of a frame
    /// and finds its UDP payload, as OVS's native tunnel receive does (ip_extract_tnl_md,
    /// udp_extract_tnl_md): IPv4 header checksum verified, fragments refused, a non-zero UDP
    /// checksum verified, bytes past the IPv4 total length or IPv6 payload (Ethernet padding) ignored.
    /// Over IPv6 the UDP checksum must be present (a zero one drops) and UDP must follow the fixed
    /// header directly (extension headers, fragments included, are NotGeneve).
    /// Any UDP destination port is accepted here; the decapsulator insists on 6081.
    /// </summary>
    public static bool TryUnwrap(ReadOnlySpan<byte> outerFrame, out GeneveOuterFields outer, out int payloadOffset,
        out int payloadLength, out GeneveDropReason reason)
    {
        outer = default;
        payloadOffset = 0;
        payloadLength = 0;
        if (outerFrame.Length < EthernetLength)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        int l3 = EthernetLength;
        ushort ethType = BinaryPrimitives.ReadUInt16BigEndian(outerFrame[12..]);
        if (ethType == EtherTypes.Vlan)
        {
            if (outerFrame.Length < EthernetLength + 4)
            {
                reason = GeneveDropReason.Truncated;
                return false;
            }
            ethType = BinaryPrimitives.ReadUInt16BigEndian(outerFrame[16..]);
            l3 += 4;
        }
        if (ethType == EtherTypes.IPv6)
            return TryUnwrapIpv6(outerFrame, l3, out outer, out payloadOffset, out payloadLength, out reason);
        if (ethType != EtherTypes.IPv4)
        {
            reason = GeneveDropReason.NotGeneve;
            return false;
        }
        if (outerFrame.Length < l3 + Ipv4Length)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        var ip = outerFrame[l3..];
        int ihl = (ip[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (ip[0] >> 4 != 4 || ihl < Ipv4Length || totalLength < ihl)
        {
            reason = GeneveDropReason.BadIpHeader;
            return false;
        }
        if (totalLength > ip.Length)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        ip = ip[..totalLength];
        if (Checksum.Fold(Checksum.Add(ip[..ihl])) != 0)
        {
            reason = GeneveDropReason.BadIpChecksum;
            return false;
        }
        ushort frag = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        if ((frag & (MoreFragmentsBit | FragmentOffsetMask)) != 0)
        {
            reason = GeneveDropReason.Fragmented;
            return false;
        }
        if (ip[9] != IpProtocols.Udp)
        {
            reason = GeneveDropReason.NotGeneve;
            return false;
        }
        var udp = ip[ihl..];
        if (udp.Length < UdpLength)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (udpLength < UdpLength || udpLength > udp.Length)
        {
            reason = GeneveDropReason.BadUdpLength;
            return false;
        }
        udp = udp[..udpLength];
        uint src = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]);
        uint dst = BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
        ushort udpChecksum = BinaryPrimitives.ReadUInt16BigEndian(udp[6..]);
        if (udpChecksum != 0)
        {
            uint sum = Checksum.PseudoHeaderV4(src, dst, IpProtocols.Udp, (ushort)udpLength);
            if (Checksum.Fold(Checksum.Add(udp, sum)) != 0)
            {
                reason = GeneveDropReason.BadUdpChecksum;
                return false;
            }
        }
        outer = new GeneveOuterFields
        {
            EthDst = MacAddress.Read(outerFrame),
            EthSrc = MacAddress.Read(outerFrame[6..]),
            Source = new Ipv4Address(src),
            Destination = new Ipv4Address(dst),
            Tos = ip[1],
            Ttl = ip[8],
            DontFragment = (frag & DfBit) != 0,
            IpId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]),
            UdpSource = BinaryPrimitives.ReadUInt16BigEndian(udp),
            UdpDestination = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]),
            UdpChecksum = udpChecksum != 0,
        };
        payloadOffset = l3 + ihl + UdpLength;
        payloadLength = udpLength - UdpLength;
        reason = GeneveDropReason.None;
        return true;
    }

    private static bool TryUnwrapIpv6(ReadOnlySpan<byte> outerFrame, int l3, out GeneveOuterFields outer, out int payloadOffset,
        out int payloadLength, out GeneveDropReason reason)
    {
        outer = default;
        payloadOffset = 0;
        payloadLength = 0;
        if (outerFrame.Length < l3 + Ipv6Length)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        var ip = outerFrame[l3..];
        uint versionClassFlow = BinaryPrimitives.ReadUInt32BigEndian(ip);
        int ipPayloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (versionClassFlow >> 28 != 6 || ipPayloadLength == 0)
        {
            reason = GeneveDropReason.BadIpHeader;
            return false;
        }
        if (ip[6] != IpProtocols.Udp)
        {
            reason = GeneveDropReason.NotGeneve;
            return false;
        }
        if (Ipv6Length + ipPayloadLength > ip.Length)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        var udp = ip.Slice(Ipv6Length, ipPayloadLength);
        if (udp.Length < UdpLength)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (udpLength < UdpLength || udpLength > udp.Length)
        {
            reason = GeneveDropReason.BadUdpLength;
            return false;
        }
        udp = udp[..udpLength];
        var src = Ipv6Address.Read(ip[8..]);
        var dst = Ipv6Address.Read(ip[24..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[6..]) == 0)
        {
            reason = GeneveDropReason.ZeroUdpChecksumIpv6;
            return false;
        }
        uint sum = Checksum.PseudoHeaderV6(src, dst, IpProtocols.Udp, (uint)udpLength);
        if (Checksum.Fold(Checksum.Add(udp, sum)) != 0)
        {
            reason = GeneveDropReason.BadUdpChecksum;
            return false;
        }
        outer = new GeneveOuterFields
        {
            EthDst = MacAddress.Read(outerFrame),
            EthSrc = MacAddress.Read(outerFrame[6..]),
            IsIpv6 = true,
            Source6 = src,
            Destination6 = dst,
            FlowLabel = versionClassFlow & 0xF_FFFF,
            Tos = (byte)(versionClassFlow >> 20),
            Ttl = ip[7],
            UdpSource = BinaryPrimitives.ReadUInt16BigEndian(udp),
            UdpDestination = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]),
            UdpChecksum = true,
        };
        payloadOffset = l3 + Ipv6Length + UdpLength;
        payloadLength = udpLength - UdpLength;
        reason = GeneveDropReason.None;
        return true;
    }
}
