using Datapath.Packets;

namespace Datapath.Cli.Demo;

/// <summary>
/// The frames of the seed articles (cluster.yaml's <c>packets:</c>, from the tcpdumps of seed 001),
/// built byte for byte from their tcpdump lines, plus the replies and probes the demo sends.
/// </summary>
internal static class SeedFrames
{
    public static readonly MacAddress FrontendMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress Worker1GatewayMac = MacAddress.Parse("4e:99:08:c1:53:be");
    public static readonly MacAddress GlobalVirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    public static readonly MacAddress Backend2Mac = MacAddress.Parse("c6:f4:b5:76:10:38");
    public static readonly MacAddress Worker2GatewayMac = MacAddress.Parse("02:d8:4e:3f:92:1d");
    public static readonly Ipv4Address Frontend = Ipv4Address.Parse("10.222.1.48");
    public static readonly Ipv4Address ServiceIp = Ipv4Address.Parse("10.104.65.133");
    public static readonly Ipv4Address Backend2 = Ipv4Address.Parse("10.222.2.34");

    private static readonly byte[] s_synOptions = PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7);

    /// <summary>phase1_syn_on_gw0: be:2c:bf:e4:ec:c5 &gt; 4e:99:08:c1:53:be 10.222.1.48.56670 &gt; 10.104.65.133.80 [S] seq 569506855 win 64860.</summary>
    public static byte[] FrontendSyn() => PacketBuilder.Tcp(FrontendMac, Worker1GatewayMac, Frontend, ServiceIp, 56670, 80, TcpFlags.Syn,
        seq: 569506855, window: 64860, options: s_synOptions);

    /// <summary>phase2_after_dnat_on_gw0: 4e:99:08:c1:53:be &gt; aa:bb:cc:dd:ee:ff 10.222.1.48.56670 &gt; 10.222.2.34.80 [S], TTL 63 (the host forwarded it).</summary>
    public static byte[] DnatedSyn() => PacketBuilder.Tcp(Worker1GatewayMac, GlobalVirtualMac, Frontend, Backend2, 56670, 80, TcpFlags.Syn,
        seq: 569506855, window: 64860, options: s_synOptions, ttl: 63);

    /// <summary>backend2's SYN-ACK as it leaves the pod: c6:f4:b5:76:10:38 &gt; 02:d8:4e:3f:92:1d 10.222.2.34.80 &gt; 10.222.1.48.56670 [S.].</summary>
    public static byte[] Backend2SynAck() => PacketBuilder.Tcp(Backend2Mac, Worker2GatewayMac, Backend2, Frontend, 80, 56670, TcpFlags.Syn | TcpFlags.Ack,
        seq: 1181298437, ack: 569506856, window: 64308, options: PacketBuilder.LinuxSynOptions(1410, 2211829061, 3688671724, 7));

    /// <summary>A frame on the frontend's port whose source IP is not the frontend's (table 10 drops it).</summary>
    public static byte[] SpoofedSyn() => PacketBuilder.Tcp(FrontendMac, Worker1GatewayMac, Ipv4Address.Parse("10.222.1.99"), ServiceIp, 40000, 80, TcpFlags.Syn);

    /// <summary>The host's ARP request on antrea-gw0 for 10.222.2.1 (the seed's `arp -a` mystery).</summary>
    public static byte[] HostArpForPeerGateway() => PacketBuilder.Arp(1, Worker1GatewayMac, Ipv4Address.Parse("10.222.1.1"), MacAddress.Zero,
        Ipv4Address.Parse("10.222.2.1"), Worker1GatewayMac, MacAddress.Broadcast);

    /// <summary>The frontend's ARP request for its gateway 10.222.1.1.</summary>
    public static byte[] FrontendArpForGateway() => PacketBuilder.Arp(1, FrontendMac, Frontend, MacAddress.Zero,
        Ipv4Address.Parse("10.222.1.1"), FrontendMac, MacAddress.Broadcast);
}
