using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Datapath.Packets;

// Internet checksum
// =================
//
// What?
// -----
// The 16-bit one's-complement checksum of RFC 1071 used by IPv4, TCP, UDP, ICMP and ICMPv6,
// computed in full and updated incrementally (RFC 1624) when a rewrite changes a few words.
//
// Design
// ------
// A checksum is built in two steps: Add accumulates 16-bit big-endian words into a partial
// sum (a uint, already folded to 16 bits so partial sums can be chained), Fold folds and
// complements it into the value that goes into the header.  The pseudo-headers of RFC 793 /
// RFC 768 (IPv4) and RFC 8200 section 8.1 (IPv6) are partial sums too, so a transport checksum
// is Fold(Add(segment, PseudoHeaderV4(...))).  Add sums native 32-bit words into a 64-bit
// accumulator and swaps bytes once at the end: the one's-complement sum is byte-order
// independent (RFC 1071 section 2(B)).
//
// Invariants
// ----------
//  - Only the last span of a chain of Add calls may have an odd length (it is padded with a
//    zero byte, RFC 1071).
//  - Incremental16(c, m, m') == Fold(~c + ~m + m') (RFC 1624 equation 3), which never turns
//    a valid checksum into the +0/-0 ambiguity that equation 2 of RFC 1141 had.
//
// Thread-safety: pure functions.
// Cost: Add is O(n) with 4 bytes per step; everything else O(1).
public static class Checksum
{
    /// <summary>
    /// Adds <paramref name="data"/> as big-endian 16-bit words to a partial one's-complement sum
    /// (an odd trailing byte is padded with zero). Returns the sum folded to 16 bits.
    /// </summary>
    public static uint Add(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ulong acc = 0;
        ref byte p = ref MemoryMarshal.GetReference(data);
        int n = data.Length;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i));
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i + 4));
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i + 8));
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i + 12));
        }
        for (; i + 4 <= n; i += 4)
            acc += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref p, i));
        if (i + 2 <= n)
        {
            acc += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref p, i));
            i += 2;
        }
        // Fold the native-order accumulator to 16 bits, then put it in network order.
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        acc = (acc & 0xFFFF_FFFF) + (acc >> 32);
        uint s = (uint)(acc & 0xFFFF) + (uint)(acc >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        if (BitConverter.IsLittleEndian)
            s = BinaryPrimitives.ReverseEndianness((ushort)s);
        if (i < n)
            s += (uint)Unsafe.Add(ref p, i) << 8;
        return FoldPartial(s + FoldPartial(sum));
    }

    /// <summary>Folds a partial sum to 16 bits and complements it: the value for the checksum field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(uint sum) => (ushort)~FoldPartial(sum);

    /// <summary>The pseudo-header of RFC 793/768 as a partial sum (addresses host order).</summary>
    public static uint PseudoHeaderV4(uint srcHostOrder, uint dstHostOrder, byte proto, ushort l4Length)
        => FoldPartial((srcHostOrder >> 16) + (srcHostOrder & 0xFFFF) + (dstHostOrder >> 16) + (dstHostOrder & 0xFFFF)
            + proto + (uint)l4Length);

    /// <summary>The IPv6 pseudo-header of RFC 8200 section 8.1 as a partial sum.</summary>
    public static uint PseudoHeaderV6(Ipv6Address src, Ipv6Address dst, byte nextHeader, uint upperLayerLength)
    {
        ulong acc = Sum128(src.Value) + Sum128(dst.Value) + (upperLayerLength >> 16) + (upperLayerLength & 0xFFFF) + nextHeader;
        return FoldPartial((uint)(acc & 0xFFFF_FFFF) + (uint)(acc >> 32));
    }

    /// <summary>The IPv6 pseudo-header from the 16-byte addresses as they sit in a header.</summary>
    public static uint PseudoHeaderV6(ReadOnlySpan<byte> src16, ReadOnlySpan<byte> dst16, byte nextHeader, uint upperLayerLength)
        => PseudoHeaderV6(Ipv6Address.Read(src16), Ipv6Address.Read(dst16), nextHeader, upperLayerLength);

    /// <summary>The IPv4 header checksum of <paramref name="header"/> (its checksum field, bytes 10-11, is ignored).</summary>
    public static ushort Ipv4Header(ReadOnlySpan<byte> header)
        => Fold(Add(header[12..], Add(header[..10])));

    /// <summary>
    /// The TCP, UDP or ICMPv4 checksum of an IPv4 transport segment (its checksum field is ignored).
    /// UDP's computed 0 is returned as 0xffff (RFC 768); ICMP has no pseudo-header.
    /// </summary>
    public static ushort TransportV4(ReadOnlySpan<byte> segment, uint srcHostOrder, uint dstHostOrder, byte protocol)
    {
        int at = ChecksumOffset(protocol);
        uint pseudo = protocol == IpProtocols.Icmp ? 0 : PseudoHeaderV4(srcHostOrder, dstHostOrder, protocol, (ushort)segment.Length);
        ushort c = Fold(Add(segment[(at + 2)..], Add(segment[..at], pseudo)));
        return protocol == IpProtocols.Udp && c == 0 ? (ushort)0xFFFF : c;
    }

    /// <summary>The TCP, UDP or ICMPv6 checksum of an IPv6 transport segment (its checksum field is ignored).</summary>
    public static ushort TransportV6(ReadOnlySpan<byte> segment, Ipv6Address src, Ipv6Address dst, byte nextHeader)
    {
        int at = ChecksumOffset(nextHeader);
        uint pseudo = PseudoHeaderV6(src, dst, nextHeader, (uint)segment.Length);
        ushort c = Fold(Add(segment[(at + 2)..], Add(segment[..at], pseudo)));
        return nextHeader == IpProtocols.Udp && c == 0 ? (ushort)0xFFFF : c;
    }

    /// <summary>Where the checksum field of a transport header is (TCP 16, UDP 6, ICMP/ICMPv6 2).</summary>
    public static int ChecksumOffset(byte protocol) => protocol switch
    {
        IpProtocols.Tcp => 16,
        IpProtocols.Udp => 6,
        IpProtocols.Icmp or IpProtocols.Icmpv6 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "no Internet checksum for this protocol"),
    };

    /// <summary>RFC 1624 eqn. 3: the checksum after one 16-bit word changed from <paramref name="oldValue"/> to <paramref name="newValue"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Incremental16(ushort checksum, ushort oldValue, ushort newValue)
        => Fold((uint)(ushort)~checksum + (ushort)~oldValue + newValue);

    /// <summary>RFC 1624 eqn. 3 for a 32-bit field (an IPv4 address) that changed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Incremental32(ushort checksum, uint oldValue, uint newValue)
        => Fold((uint)(ushort)~checksum
            + (ushort)~(oldValue >> 16) + (ushort)~oldValue
            + (newValue >> 16) + (newValue & 0xFFFF));

    /// <summary>RFC 1624 eqn. 3 for a 128-bit field (an IPv6 address) that changed.</summary>
    public static ushort Incremental128(ushort checksum, UInt128 oldValue, UInt128 newValue)
    {
        ulong acc = (ushort)~checksum + Sum128(~oldValue) + Sum128(newValue);
        return Fold((uint)(acc & 0xFFFF_FFFF) + (uint)(acc >> 32));
    }

    private static ulong Sum128(UInt128 v)
    {
        ulong hi = (ulong)(v >> 64), lo = (ulong)v;
        ulong s = 0;
        for (int i = 0; i < 64; i += 16)
            s += ((hi >> i) & 0xFFFF) + ((lo >> i) & 0xFFFF);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint FoldPartial(uint sum)
    {
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return sum;
    }
}
