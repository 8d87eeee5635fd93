using Datapath.Packets;

namespace Datapath.Engine.Tests.Seed;

/// <summary>
/// The frames of the seed articles (cluster.yaml "packets", from tcpdump in seed 001 §9):
/// the frontend's SYN to backendsvc and the same SYN after kube-proxy's DNAT.
/// </summary>
internal static class SeedFrames
{
    public static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress Gw1Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    public static readonly MacAddress Gw2Mac = MacAddress.Parse("02:d8:4e:3f:92:1d");
    public static readonly MacAddress Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    public static readonly MacAddress VirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    public static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    public static readonly Ipv4Address ServiceIp = Ipv4Address.Parse("10.104.65.133");
    public static readonly Ipv4Address Backend2 = Ipv4Address.Parse("10.222.2.34");

    private static readonly byte[] s_synOptions = PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7);

    /// <summary>phase1_syn_on_gw0: be:2c:bf:e4:ec:c5 > 4e:99:08:c1:53:be, 10.222.1.48.56670 > 10.104.65.133.80 [S], TTL 64, 74 bytes.</summary>
    public static byte[] Phase1Syn(TcpFlags flags = TcpFlags.Syn, Ipv4Address? source = null)
        => PacketBuilder.Tcp(FrontendMac, Gw1Mac, source ?? Frontend, ServiceIp, 56670, 80, flags, seq: 569506855, window: 64860, options: s_synOptions, ttl: 64);

    /// <summary>phase2_after_dnat_on_gw0: 4e:99:08:c1:53:be > aa:bb:cc:dd:ee:ff, 10.222.1.48.56670 > 10.222.2.34.80 [S], TTL 63.</summary>
    public static byte[] Phase2Syn()
        => PacketBuilder.Tcp(Gw1Mac, VirtualMac, Frontend, Backend2, 56670, 80, TcpFlags.Syn, seq: 569506855, window: 64860, options: s_synOptions, ttl: 63);

    /// <summary>backend2's SYN-ACK back to the frontend (phase 3 of seed 001), leaving backend2's eth0.</summary>
    public static byte[] Phase3SynAck()
        => PacketBuilder.Tcp(Backend2Mac, Gw2Mac, Backend2, Frontend, 80, 56670, TcpFlags.Syn | TcpFlags.Ack, seq: 1000, ack: 569506856, window: 64308, options: PacketBuilder.LinuxSynOptions(1410, 1, 3688671724, 7), ttl: 64);
}
