using System.Globalization;
using System.Net;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// One direction of a connection as users see it (ovs-appctl dpctl/dump-conntrack's
/// <c>orig=(...)</c> and <c>reply=(...)</c>, iptables' <c>--ctorigdst</c>): protocol, addresses
/// and ports. For ICMP, <see cref="SrcPort"/> is the identifier and <see cref="DstPort"/> holds
/// type &lt;&lt; 8 | code of this direction.
/// </summary>
public readonly record struct CtTuple(byte NwProto, UInt128 Src, UInt128 Dst, ushort SrcPort, ushort DstPort, bool IsIpv6 = false)
{
    /// <summary>An IPv4 tuple; for ICMP pass the identifier as <paramref name="srcPort"/>.</summary>
    public static CtTuple Ipv4(byte nwProto, Ipv4Address src, Ipv4Address dst, ushort srcPort, ushort dstPort)
        => new(nwProto, src.Value, dst.Value, srcPort, dstPort);

    public Ipv4Address Src4 => new((uint)Src);
    public Ipv4Address Dst4 => new((uint)Dst);
    public ushort IcmpId => SrcPort;

    internal static CtTuple FromKey(in ConnKey k)
        => new(k.NwProto, k.Src, k.Dst, k.SrcPort, k.DstPort, !k.IsIpv4);

    internal ConnKey ToKey(ushort zone)
        => IsIpv6
            ? new((ulong)(Src >> 64), (ulong)Src, (ulong)(Dst >> 64), (ulong)Dst, SrcPort, DstPort, zone, NwProto, ConnKey.FamilyIpv6)
            : ConnKey.Ipv4((uint)Src, (uint)Dst, SrcPort, DstPort, zone, NwProto);

    /// <summary>The protocol as dpctl names it: tcp, udp, icmp, icmpv6, sctp, or the number.</summary>
    public static string ProtocolName(byte nwProto) => nwProto switch
    {
        IpProtocols.Tcp => "tcp",
        IpProtocols.Udp => "udp",
        IpProtocols.Icmp => "icmp",
        IpProtocols.Icmpv6 => "icmpv6",
        IpProtocols.Sctp => "sctp",
        _ => nwProto.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary><c>src=A,dst=B,sport=P,dport=Q</c> or, for ICMP, <c>src=A,dst=B,id=I</c> (ct-dpif's tuple format).</summary>
    public override string ToString()
    {
        string src = FormatAddress(Src), dst = FormatAddress(Dst);
        return NwProto is IpProtocols.Icmp or IpProtocols.Icmpv6
            ? string.Create(CultureInfo.InvariantCulture, $"src={src},dst={dst},id={SrcPort}")
            : string.Create(CultureInfo.InvariantCulture, $"src={src},dst={dst},sport={SrcPort},dport={DstPort}");
    }

    internal string FormatAddress(UInt128 a)
    {
        if (!IsIpv6)
            return new Ipv4Address((uint)a).ToString();
        Span<byte> b = stackalloc byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(b, a);
        return new IPAddress(b).ToString();
    }
}
