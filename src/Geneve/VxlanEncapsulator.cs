using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Geneve;

/// <summary>
/// Pushes VXLAN (RFC 7348) around an inner Ethernet frame as Linux's vxlan device sends it with the
/// settings Calico gives vxlan.calico (<c>id 4096 dstport 4789</c>, learning off, no udpcsum):
/// tun_src/tun_dst → outer IPv4 addresses (or tun_ipv6_src/tun_ipv6_dst when tun_dst is 0, where the
/// UDP checksum is mandatory), tun_id → VNI (low 24 bits), tun_tos → TOS, tun_ttl → TTL (0: 64, the
/// route's default hop limit), DF from tun_flags' df bit, UDP checksum only when tun_flags asks for it.
/// </summary>
/// <remarks>
/// The UDP source port is the inner flow's hash mapped into Linux's ephemeral range 32768..60999, as the
/// kernel's udp_flow_src_port does for a vxlan device with no <c>srcport</c> range (a stable port per flow,
/// so ECMP keeps a flow on one path, RFC 7348 §5). The outer headers are the ones GENEVE writes
/// (<see cref="GeneveOuterFrame"/>): one writer of Ethernet/IP/UDP for both overlays. Static and
/// allocation-free; any thread.
/// </remarks>
public static class VxlanEncapsulator
{
    /// <summary>Linux's default net.ipv4.ip_local_port_range, the source ports a vxlan device draws from.</summary>
    public const ushort SourcePortMin = 32768, SourcePortMax = 60999;

    /// <summary>Outer headers + VXLAN header: what the encapsulation adds (50 bytes over IPv4, as Calico's MTU math says).</summary>
    public static int Overhead(in FlowKey tunnelFields)
        => (GeneveEncapsulator.UsesIpv6Outer(in tunnelFields) ? GeneveOuterFrame.Ipv6HeadersLength : GeneveOuterFrame.Ipv4HeadersLength) + VxlanHeader.Length;

    /// <summary>The UDP source port for an inner flow hash: ((hash * range) >> 32) + min, udp_flow_src_port's scaling.</summary>
    public static ushort SourcePort(uint flowHash)
        => (ushort)((((ulong)flowHash * (uint)(SourcePortMax - SourcePortMin)) >> 32) + SourcePortMin);

    /// <summary>
    /// Encapsulates <paramref name="innerFrame"/> into <paramref name="destination"/> as a whole outer frame.
    /// False when the destination is too short, the chosen family's addresses are 0, or the result would not
    /// fit in one IP packet; nothing useful is written then.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, MacAddress outerSrc, MacAddress outerDst,
        uint flowHash, ushort ipId, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        bool ipv6 = GeneveEncapsulator.UsesIpv6Outer(in tunnelFields);
        int headers = ipv6 ? GeneveOuterFrame.Ipv6HeadersLength : GeneveOuterFrame.Ipv4HeadersLength;
        int payload = VxlanHeader.Length + innerFrame.Length;
        int total = headers + payload;
        if (destination.Length < total || payload > (ipv6 ? GeneveOuterFrame.MaxUdpPayloadLengthIpv6 : GeneveOuterFrame.MaxUdpPayloadLength))
            return false;
        if (ipv6 ? (tunnelFields.TunIpv6SrcLo | tunnelFields.TunIpv6SrcHi) == 0 : tunnelFields.TunSrc == 0 || tunnelFields.TunDst == 0)
            return false;
        VxlanHeader.Write(destination[headers..], (uint)tunnelFields.TunId);
        innerFrame.CopyTo(destination[(headers + VxlanHeader.Length)..]);
        byte ttl = tunnelFields.TunTtl == 0 ? GeneveEncapsulator.DefaultTtl : tunnelFields.TunTtl;
        ushort flags = tunnelFields.TunFlags;
        if (ipv6)
        {
            GeneveOuterFrame.WriteIpv6Headers(destination[..total], outerSrc, outerDst,
                new UInt128(tunnelFields.TunIpv6SrcHi, tunnelFields.TunIpv6SrcLo), new UInt128(tunnelFields.TunIpv6DstHi, tunnelFields.TunIpv6DstLo),
                tunnelFields.TunTos, ttl, flowHash & 0xF_FFFF, SourcePort(flowHash), VxlanHeader.UdpPort);
        }
        else
        {
            GeneveOuterFrame.WriteIpv4Headers(destination[..total], outerSrc, outerDst, tunnelFields.TunSrc, tunnelFields.TunDst,
                tunnelFields.TunTos, ttl, (flags & GeneveTunnelFlags.DontFragment) != 0, ipId, SourcePort(flowHash), VxlanHeader.UdpPort,
                (flags & GeneveTunnelFlags.Csum) != 0);
        }
        bytesWritten = total;
        return true;
    }

    /// <summary>As the longer overload, with the inner flow's hash computed from the frame and IPv4 id 0.</summary>
    public static bool TryEncapsulate(ReadOnlySpan<byte> innerFrame, in FlowKey tunnelFields, MacAddress outerSrc, MacAddress outerDst,
        Span<byte> destination, out int bytesWritten)
        => TryEncapsulate(innerFrame, in tunnelFields, outerSrc, outerDst, GeneveEncapsulator.InnerFlowHash(innerFrame), 0, destination, out bytesWritten);
}
