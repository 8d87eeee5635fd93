using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Pops GENEVE: validates a received frame (or a socket's UDP payload) and finds the inner frame,
/// filling the tunnel fields of a FlowKey as OVS does on receive: tun_src/tun_dst from the outer
/// IPv4 addresses or tun_ipv6_src/tun_ipv6_dst from the outer IPv6 ones (the other family's fields
/// zeroed), tun_id = VNI, tun_flags = +oam when the O bit is set, tun_tos/tun_ttl from the outer
/// IPv4 TOS/TTL or IPv6 traffic class/hop limit, tun_metadataN (and its bit in TunMetadataPresent) from the options the
/// <see cref="TlvMap"/> maps.
/// </summary>
/// <remarks>
/// RFC 8926's receive rules: version ≠ 0 drops (§3.4); an option with the critical bit that we do
/// not understand drops (§3.5); unknown non-critical options are skipped; option lengths running
/// past the header drop.  A mapped (class, type) with another length drops, as in OVS.  Every
/// problem is a <see cref="GeneveDropReason"/>; no input throws.  On failure the key is untouched.
/// Static and allocation-free; any thread.
/// </remarks>
public static class GeneveDecapsulator
{
    private const int EthernetHeaderLength = 14;

    /// <summary>
    /// Decapsulates a whole outer frame carrying an Ethernet payload (protocol 0x6558). The inner
    /// frame is <c>outerFrame[innerOffset..]</c> (up to the end of the outer UDP datagram; see the
    /// overload with <c>innerLength</c> when the frame may carry trailing padding).
    /// </summary>
    public static bool TryDecapsulate(ReadOnlySpan<byte> outerFrame, in TlvMap map, out int innerOffset,
        ref FlowKey tunnelFields, out GeneveDropReason reason)
        => TryDecapsulate(outerFrame, in map, out innerOffset, out _, ref tunnelFields, out reason);

    /// <summary>As the shorter overload, also giving the inner frame's length.</summary>
    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool TryDecapsulate(ReadOnlySpan<byte> outerFrame, in TlvMap map, out int innerOffset, out int innerLength,
        ref FlowKey tunnelFields, out GeneveDropReason reason)
    {
        innerOffset = 0;
        innerLength = 0;
        if (!GeneveOuterFrame.TryUnwrap(outerFrame, out var outer, out int payloadOffset, out int payloadLength, out reason))
            return false;
        if (outer.UdpDestination != GeneveHeader.UdpPort)
        {
            reason = GeneveDropReason.NotGeneve;
            return false;
        }
        if (!TryDecapsulatePayload(outerFrame.Slice(payloadOffset, payloadLength), in map, in outer, out int offset, ref tunnelFields, out reason))
            return false;
        innerOffset = payloadOffset + offset;
        innerLength = payloadLength - offset;
        return true;
    }

    /// <summary>
    /// Decapsulates a UDP payload (GENEVE header + options + Ethernet frame), as a UDP socket delivers
    /// it; the outer fields come from the socket (source, local address; Tos/Ttl 0 when unknown).
    /// The inner frame is <c>udpPayload[innerOffset..]</c>. The tunnel fields are written only on success.
    /// </summary>
    public static bool TryDecapsulatePayload(ReadOnlySpan<byte> udpPayload, in TlvMap map, in GeneveOuterFields outer,
        out int innerOffset, ref FlowKey tunnelFields, out GeneveDropReason reason)
    {
        TunMetadataArray metadata = default;
        if (!TryParse(udpPayload, in map, out innerOffset, out ushort protocolType, ref metadata, out uint present, out reason))
            return false;
        if (protocolType != EtherTypes.TransparentEthernetBridging)
        {
            innerOffset = 0;
            reason = GeneveDropReason.UnsupportedProtocol;
            return false;
        }
        if (udpPayload.Length - innerOffset < EthernetHeaderLength)
        {
            innerOffset = 0;
            reason = GeneveDropReason.InnerTruncated;
            return false;
        }
        Commit(udpPayload, in outer, in metadata, present, ref tunnelFields);
        return true;
    }

    /// <summary>
    /// The protocol-agnostic form: accepts any protocol type and reports it (0x6558 Ethernet,
    /// 0x0800 IPv4, 0x86DD IPv6 ...); the caller decides what it can deliver. The tunnel fields are
    /// written only on success.
    /// </summary>
    public static bool TryDecapsulatePayload(ReadOnlySpan<byte> udpPayload, in TlvMap map, in GeneveOuterFields outer,
        out int innerOffset, out ushort protocolType, ref FlowKey tunnelFields, out GeneveDropReason reason)
    {
        TunMetadataArray metadata = default;
        if (!TryParse(udpPayload, in map, out innerOffset, out protocolType, ref metadata, out uint present, out reason))
            return false;
        Commit(udpPayload, in outer, in metadata, present, ref tunnelFields);
        return true;
    }

    /// <summary>
    /// One pass over the header and every option: RFC 8926's checks, and the mapped options' values
    /// collected into <paramref name="metadata"/>/<paramref name="present"/> (later duplicates win).
    /// The key is not touched here, so a drop leaves it as it was. The option walk is
    /// GeneveOptionEnumerator's, inlined over raw offsets (the hot path of every received frame).
    /// </summary>
    // Its own JIT root: inlined into a caller it would exhaust the caller's inlining budget and leave
    // Span.Slice/BinaryPrimitives calls un-inlined (measured: 2-3x slower round trips).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryParse(ReadOnlySpan<byte> udpPayload, in TlvMap map, out int innerOffset, out ushort protocolType,
        ref TunMetadataArray metadata, out uint present, out GeneveDropReason reason)
    {
        innerOffset = 0;
        protocolType = 0;
        present = 0;
        if (udpPayload.Length < GeneveHeader.Length)
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        if (udpPayload[0] >> 6 != GeneveHeader.CurrentVersion)
        {
            reason = GeneveDropReason.UnsupportedVersion;
            return false;
        }
        int headerLength = GeneveHeader.Length + (udpPayload[0] & GeneveHeader.MaxOptionLengthWords) * 4;
        if (udpPayload.Length < headerLength)
        {
            reason = GeneveDropReason.OptionsTruncated;
            return false;
        }
        var options = udpPayload[GeneveHeader.Length..headerLength];
        int pos = 0;
        uint found = 0;
        while (pos < options.Length)
        {
            if (options.Length - pos < GeneveOption.HeaderLength)
            {
                reason = GeneveDropReason.OptionsTruncated;
                return false;
            }
            ushort optionClass = BinaryPrimitives.ReadUInt16BigEndian(options[pos..]);
            byte type = options[pos + 2];
            int dataLength = (options[pos + 3] & GeneveOption.MaxLengthWords) * 4;
            if (options.Length - pos - GeneveOption.HeaderLength < dataLength)
            {
                reason = GeneveDropReason.OptionsTruncated;
                return false;
            }
            if (map.TryFind(optionClass, type, out var entry))
            {
                if (dataLength != entry.Length)
                {
                    reason = GeneveDropReason.OptionLengthMismatch;
                    return false;
                }
                var data = options[(pos + GeneveOption.HeaderLength)..];
                metadata[entry.Index] = entry.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(data) : BinaryPrimitives.ReadUInt64BigEndian(data);
                found |= 1u << entry.Index;
            }
            else if ((type & GeneveOption.CriticalTypeBit) != 0)
            {
                reason = GeneveDropReason.UnknownCriticalOption;
                return false;
            }
            pos += GeneveOption.HeaderLength + dataLength;
        }
        protocolType = BinaryPrimitives.ReadUInt16BigEndian(udpPayload[2..]);
        innerOffset = headerLength;
        present = found;
        reason = GeneveDropReason.None;
        return true;
    }

    /// <summary>On a parsed header: writes the tunnel fields.</summary>
    private static void Commit(ReadOnlySpan<byte> udpPayload, in GeneveOuterFields outer, in TunMetadataArray metadata, uint present, ref FlowKey key)
    {
        key.TunId = BinaryPrimitives.ReadUInt32BigEndian(udpPayload[4..]) >> 8;
        CommitOuter(in outer, ref key);
        key.TunFlags = (udpPayload[1] & 0x80) != 0 ? GeneveTunnelFlags.Oam : (ushort)0;
        key.TunMetadata = metadata;
        key.TunMetadataPresent = present;
    }

    /// <summary>The tunnel fields the outer header gives, for either overlay: tun_src/tun_dst or tun_ipv6_* (the other family zeroed), tun_tos, tun_ttl.</summary>
    internal static void CommitOuter(in GeneveOuterFields outer, ref FlowKey key)
    {
        if (outer.IsIpv6)
        {
            key.TunSrc = 0;
            key.TunDst = 0;
            key.TunIpv6Src = outer.Source6;
            key.TunIpv6Dst = outer.Destination6;
        }
        else
        {
            key.TunSrc = outer.Source.Value;
            key.TunDst = outer.Destination.Value;
            key.TunIpv6SrcLo = key.TunIpv6SrcHi = key.TunIpv6DstLo = key.TunIpv6DstHi = 0;
        }
        key.TunTos = outer.Tos;
        key.TunTtl = outer.Ttl;
    }

    /// <summary>
    /// Copies the tunnel fields (tun_id, tun_src, tun_dst, tun_ipv6_src, tun_ipv6_dst, tun_flags, tun_tos, tun_ttl, tun_metadata)
    /// from one key to another: decapsulate into a scratch key, FlowKey.Extract the inner frame, then
    /// copy the tunnel fields over.
    /// </summary>
    public static void CopyTunnelFields(in FlowKey source, ref FlowKey destination)
    {
        destination.TunId = source.TunId;
        destination.TunSrc = source.TunSrc;
        destination.TunDst = source.TunDst;
        destination.TunIpv6SrcLo = source.TunIpv6SrcLo;
        destination.TunIpv6SrcHi = source.TunIpv6SrcHi;
        destination.TunIpv6DstLo = source.TunIpv6DstLo;
        destination.TunIpv6DstHi = source.TunIpv6DstHi;
        destination.TunFlags = source.TunFlags;
        destination.TunTos = source.TunTos;
        destination.TunTtl = source.TunTtl;
        destination.TunMetadataPresent = source.TunMetadataPresent;
        destination.TunMetadata = source.TunMetadata;
    }
}
