using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Pops VXLAN (RFC 7348) as Linux's vxlan device receives it: the outer Ethernet/IP/UDP checked as GENEVE's
/// are (<see cref="GeneveOuterFrame.TryUnwrap"/>: IPv4 checksum, no fragments, a non-zero UDP checksum
/// verified), UDP destination port 4789, the I flag set (Linux's vxlan_rcv drops a frame without it; other
/// reserved bits are ignored, RFC 7348 §5), an inner Ethernet header present. On success the tunnel fields
/// are written as for GENEVE (tun_src/tun_dst or tun_ipv6_*, tun_id = VNI, tun_tos/tun_ttl from the outer
/// header; no options, no flags); on failure the key is untouched and the reason is one of
/// <see cref="GeneveDropReason"/> (the tunnels' one drop vocabulary: <see cref="GeneveDropReason.NotVxlan"/>
/// and <see cref="GeneveDropReason.VxlanFlagNotSet"/> are VXLAN's own). Static, allocation-free; any thread.
/// </summary>
public static class VxlanDecapsulator
{
    private const int EthernetHeaderLength = 14;

    /// <summary>Decapsulates a whole outer frame; the inner frame is <c>outerFrame.Slice(innerOffset, innerLength)</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool TryDecapsulate(ReadOnlySpan<byte> outerFrame, out int innerOffset, out int innerLength, ref FlowKey tunnelFields, out GeneveDropReason reason)
    {
        innerOffset = 0;
        innerLength = 0;
        if (!GeneveOuterFrame.TryUnwrap(outerFrame, out var outer, out int payloadOffset, out int payloadLength, out reason))
        {
            if (reason == GeneveDropReason.NotGeneve)
                reason = GeneveDropReason.NotVxlan;
            return false;
        }
        if (outer.UdpDestination != VxlanHeader.UdpPort)
        {
            reason = GeneveDropReason.NotVxlan;
            return false;
        }
        if (!TryDecapsulatePayload(outerFrame.Slice(payloadOffset, payloadLength), in outer, ref tunnelFields, out reason))
            return false;
        innerOffset = payloadOffset + VxlanHeader.Length;
        innerLength = payloadLength - VxlanHeader.Length;
        return true;
    }

    /// <summary>
    /// Decapsulates a UDP payload (VXLAN header + Ethernet frame) as a UDP socket delivers it, the outer fields
    /// from the socket; the inner frame is <c>udpPayload[VxlanHeader.Length..]</c>.
    /// </summary>
    public static bool TryDecapsulatePayload(ReadOnlySpan<byte> udpPayload, in GeneveOuterFields outer, ref FlowKey tunnelFields, out GeneveDropReason reason)
    {
        if (!VxlanHeader.TryRead(udpPayload, out var header))
        {
            reason = GeneveDropReason.Truncated;
            return false;
        }
        if (!header.HasValidVni)
        {
            reason = GeneveDropReason.VxlanFlagNotSet;
            return false;
        }
        if (udpPayload.Length - VxlanHeader.Length < EthernetHeaderLength)
        {
            reason = GeneveDropReason.InnerTruncated;
            return false;
        }
        tunnelFields.TunId = header.Vni;
        GeneveDecapsulator.CommitOuter(in outer, ref tunnelFields);
        tunnelFields.TunFlags = 0;
        tunnelFields.TunMetadata = default;
        tunnelFields.TunMetadataPresent = 0;
        reason = GeneveDropReason.None;
        return true;
    }
}
