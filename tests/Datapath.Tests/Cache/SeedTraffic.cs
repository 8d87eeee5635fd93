using Datapath.Packets;

namespace Datapath.Engine.Tests.Cache;

/// <summary>
/// Random frames on the seed cluster's ports, as the articles' pods and gateways send them: the
/// frontend's TCP to backendsvc (to antrea-gw0, where kube-proxy DNATs it) and straight to
/// backend2 (through the tunnel), backend2's replies, the gateway's DNATed SYNs (phase 2), ARP,
/// pings, DNS over UDP, IPv4 fragments, VLAN-tagged and IPv6 frames, spoofed sources (dropped in
/// SpoofGuard), truncated and random bytes. Reproducible from the seed.
/// </summary>
internal sealed class SeedTraffic(int seed)
{
    private static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Backend1Mac = MacAddress.Parse("f2:32:d8:07:e2:a6");
    private static readonly MacAddress CorednsMac = MacAddress.Parse("f2:82:cc:96:da:bd");
    private static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly MacAddress Gw2Mac = MacAddress.Parse("02:d8:4e:3f:92:1d");
    private static readonly MacAddress Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    private static readonly MacAddress VirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    private static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    private static readonly Ipv4Address Backend1 = Ipv4Address.Parse("10.222.1.47");
    private static readonly Ipv4Address Coredns = Ipv4Address.Parse("10.222.1.2");
    private static readonly Ipv4Address Gw1 = Ipv4Address.Parse("10.222.1.1");
    private static readonly Ipv4Address Service = Ipv4Address.Parse("10.104.65.133");
    private static readonly Ipv4Address KubeDns = Ipv4Address.Parse("10.96.0.10");
    private static readonly Ipv4Address Backend2 = Ipv4Address.Parse("10.222.2.34");

    private readonly Random _random = new(seed);

    /// <summary>The next frame and where it enters: (node, ofport, frame).</summary>
    public (string Node, uint OfPort, byte[] Frame) Next()
    {
        var r = _random;
        ushort sport = (ushort)(40000 + r.Next(40));
        var flags = r.Next(5) switch
        {
            0 => TcpFlags.Syn,
            1 => TcpFlags.Ack,
            2 => TcpFlags.Psh | TcpFlags.Ack,
            3 => TcpFlags.Fin | TcpFlags.Ack,
            _ => TcpFlags.Syn | TcpFlags.Ack,
        };
        byte[] payload = new byte[r.Next(3) * 40];
        r.NextBytes(payload);
        switch (r.Next(16))
        {
            case 0 or 1 or 2:
                return ("worker1", 49, PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Service, sport, 80, flags, seq: (uint)r.Next(), payload: payload));
            case 3 or 4:
                return ("worker1", 49, PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Backend2, sport, 80, flags, seq: (uint)r.Next(), payload: payload));
            case 5 or 6:
                return ("worker2", 35, PacketBuilder.Tcp(Backend2Mac, Gw2Mac, Backend2, Frontend, 80, sport, flags | TcpFlags.Ack, seq: (uint)r.Next(), payload: payload));
            case 7:
                return ("worker1", 2, PacketBuilder.Tcp(Gw1Mac, VirtualMac, Frontend, Backend2, sport, 80, flags, ttl: 63, payload: payload));
            case 8:
                return ("worker1", 2, PacketBuilder.Tcp(Gw1Mac, Backend1Mac, Frontend, Backend1, sport, 80, flags, ttl: 63, payload: payload));
            case 9:
                return ("worker1", 48, PacketBuilder.Tcp(Backend1Mac, Gw1Mac, Backend1, Frontend, 80, sport, flags | TcpFlags.Ack, payload: payload));
            case 10:
                return ("worker1", (uint)(r.Next(2) == 0 ? 49 : 3), PacketBuilder.Arp(1, r.Next(2) == 0 ? FrontendMac : CorednsMac, r.Next(2) == 0 ? Frontend : Coredns,
                    MacAddress.Zero, r.Next(3) == 0 ? Backend1 : Gw1, r.Next(2) == 0 ? FrontendMac : CorednsMac, MacAddress.Broadcast));
            case 11:
                return ("worker1", 49, PacketBuilder.IcmpEcho(FrontendMac, Gw1Mac, Frontend, r.Next(2) == 0 ? Backend2 : Gw1, reply: false, (ushort)r.Next(4), (ushort)r.Next(100), payload));
            case 12:
                return ("worker1", 3, PacketBuilder.Udp(CorednsMac, Gw1Mac, Coredns, r.Next(2) == 0 ? KubeDns : Backend2, 53, sport, payload));
            case 13:
                {
                    // A fragment: first (MF) or a later one.
                    ushort frag = r.Next(2) == 0 ? (ushort)0x2000 : (ushort)(0x0000 | 185);
                    var l4 = PacketBuilder.UdpDatagram(sport, 53, payload);
                    return ("worker1", 49, PacketBuilder.Ipv4(FrontendMac, Gw1Mac, Frontend, r.Next(2) == 0 ? KubeDns : Backend2, IpProtocols.Udp, l4, ipId: (ushort)r.Next(5), flagsAndFragmentOffset: frag));
                }
            case 14:
                {
                    var f = r.Next(3) switch
                    {
                        0 => PacketBuilder.Tcp(FrontendMac, Gw1Mac, Ipv4Address.Parse("10.222.1.99"), Service, sport, 80, flags),
                        1 => PacketBuilder.WithVlan(PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Service, sport, 80, flags), (ushort)r.Next(1, 10)),
                        _ => PacketBuilder.Tcp6(FrontendMac, Gw1Mac, Ipv6Address.Parse("fd00::48"), Ipv6Address.Parse("fd00::34"), sport, 80, flags),
                    };
                    return ("worker1", 49, f);
                }
            default:
                {
                    var f = PacketBuilder.Tcp(FrontendMac, Gw1Mac, Frontend, Service, sport, 80, flags, payload: payload);
                    if (r.Next(2) == 0)
                        return ("worker1", 49, f[..r.Next(10, f.Length)]);
                    r.NextBytes(f.AsSpan(12 + r.Next(f.Length - 12)));
                    return ("worker1", 49, f);
                }
        }
    }
}
