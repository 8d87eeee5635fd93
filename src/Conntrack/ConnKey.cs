using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// The lookup key of one direction of a connection: zone, addresses, protocol and ports
/// (OVS's struct conn_key). Five 64-bit words so equality is five compares.
/// </summary>
/// <remarks>
/// Addresses are 128-bit: an IPv4 address sits in the low 32 bits of <see cref="SrcLo"/>/<see cref="DstLo"/>
/// with the high words zero. For ICMP, <see cref="SrcPort"/> is the identifier and
/// <see cref="DstPort"/> is type &lt;&lt; 8 | code, so an echo request and its reply are the two
/// directions of one key as OVS keys them (the reverse of type 8 is type 0).
/// Changes to the layout must be reflected in <see cref="Hash"/>, <see cref="Equals(ConnKey)"/> and
/// <see cref="Reverse"/> (ConnKeyTests checks all three on every field).
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct ConnKey : IEquatable<ConnKey>
{
    public const int Size = 40;
    public const byte FamilyIpv4 = 4;
    public const byte FamilyIpv6 = 6;

    public readonly ulong SrcHi;
    public readonly ulong SrcLo;
    public readonly ulong DstHi;
    public readonly ulong DstLo;
    /// <summary>SrcPort(16) | DstPort(16) | Zone(16) | NwProto(8) | Family(8), high to low.</summary>
    public readonly ulong Meta;

    public ConnKey(ulong srcHi, ulong srcLo, ulong dstHi, ulong dstLo, ushort srcPort, ushort dstPort, ushort zone, byte nwProto, byte family)
    {
        SrcHi = srcHi;
        SrcLo = srcLo;
        DstHi = dstHi;
        DstLo = dstLo;
        Meta = ((ulong)srcPort << 48) | ((ulong)dstPort << 32) | ((ulong)zone << 16) | ((ulong)nwProto << 8) | family;
    }

    public static ConnKey Ipv4(uint src, uint dst, ushort srcPort, ushort dstPort, ushort zone, byte nwProto)
        => new(0, src, 0, dst, srcPort, dstPort, zone, nwProto, FamilyIpv4);

    public ushort SrcPort => (ushort)(Meta >> 48);
    public ushort DstPort => (ushort)(Meta >> 32);
    public ushort Zone => (ushort)(Meta >> 16);
    public byte NwProto => (byte)(Meta >> 8);
    public byte Family => (byte)Meta;
    public bool IsIpv4 => Family == FamilyIpv4;
    public uint Src4 => (uint)SrcLo;
    public uint Dst4 => (uint)DstLo;
    public UInt128 Src => new(SrcHi, SrcLo);
    public UInt128 Dst => new(DstHi, DstLo);
    public bool IsIcmp => NwProto is IpProtocols.Icmp or IpProtocols.Icmpv6;

    /// <summary>The key of the other direction: addresses and ports swapped; for ICMP the
    /// identifier is kept and the type becomes its answer (echo 8 and echo reply 0, ...).</summary>
    public ConnKey Reverse()
        => IsIcmp
            ? new(DstHi, DstLo, SrcHi, SrcLo, SrcPort, (ushort)((ReverseIcmpType(NwProto, (byte)(DstPort >> 8)) << 8) | (byte)DstPort), Zone, NwProto, Family)
            : new(DstHi, DstLo, SrcHi, SrcLo, DstPort, SrcPort, Zone, NwProto, Family);

    /// <summary>The type of the answer to an ICMP query type and vice versa (OVS reverse_icmp_type).</summary>
    public static byte ReverseIcmpType(byte nwProto, byte type)
        => nwProto == IpProtocols.Icmp
            ? (byte)(type switch { 8 => 0, 0 => 8, 13 => 14, 14 => 13, 15 => 16, 16 => 15, _ => type })
            : (byte)(type switch { 128 => 129, 129 => 128, _ => type });

    /// <summary>This key with other addresses and ports (a NAT translation of it).</summary>
    public ConnKey With(ulong srcHi, ulong srcLo, ulong dstHi, ulong dstLo, ushort srcPort, ushort dstPort)
        => new(srcHi, srcLo, dstHi, dstLo, srcPort, dstPort, Zone, NwProto, Family);

    /// <summary>A seeded multiply-xorshift hash of all five words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(ulong seed)
    {
        const ulong K = 0x9E3779B97F4A7C15UL;
        ulong h = seed ^ Meta;
        h = (h ^ SrcLo) * K;
        h = (h ^ DstLo) * K;
        h = (h ^ SrcHi ^ (DstHi << 1)) * K;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 32;
        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Equals(ConnKey other)
        => SrcLo == other.SrcLo && DstLo == other.DstLo && Meta == other.Meta && SrcHi == other.SrcHi && DstHi == other.DstHi;

    public override bool Equals(object? obj) => obj is ConnKey k && Equals(k);
    public override int GetHashCode() => (int)Hash(0);
    public static bool operator ==(ConnKey a, ConnKey b) => a.Equals(b);
    public static bool operator !=(ConnKey a, ConnKey b) => !a.Equals(b);

    public override string ToString() => CtTuple.FromKey(this).ToString();
}
