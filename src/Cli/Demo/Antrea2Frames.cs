using Datapath.Packets;

namespace Datapath.Cli.Demo;

/// <summary>
/// The frames of the Antrea 2.x lab's demo (src/Antrea/Antrea2): the seed's frontend SYN to backendsvc, now
/// load-balanced by AntreaProxy's select group in br-int; the same to the session-affinity Service; worker2's own
/// curl to its NodePort (AntreaProxy's ANTREA-OUTPUT DNAT to 169.254.0.252, then the pipeline); the policy drops and
/// the ARP walks of the seed demo.
/// </summary>
internal static class Antrea2Frames
{
    public static readonly Ipv4Address AffinityServiceIp = Ipv4Address.Parse("10.104.65.140");
    public static readonly Ipv4Address Worker2NodeIp = Ipv4Address.Parse("10.79.1.202");
    public const ushort FrontendNodePort = 30080;
    public static readonly MacAddress Backend1Mac = MacAddress.Parse("f2:32:d8:07:e2:a6");
    public static readonly Ipv4Address Backend1 = Ipv4Address.Parse("10.222.1.47");

    /// <summary>The frontend's SYN to the session-affinity Service (10.104.65.140:80), another connection of the same client.</summary>
    public static byte[] FrontendSynToAffinityService() => PacketBuilder.Tcp(SeedFrames.FrontendMac, SeedFrames.Worker1GatewayMac, SeedFrames.Frontend,
        AffinityServiceIp, 56672, 80, TcpFlags.Syn, seq: 569506999, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 3688671900, 0, 7));

    /// <summary>
    /// The backend's SYN-ACK to the SYN that reached it (<paramref name="syn"/>, as it was delivered on the backend's port):
    /// addresses and ports swapped, from the backend's MAC to its gateway's (the MAC the SYN came from).
    /// </summary>
    public static byte[] SynAckTo(byte[] syn)
    {
        FlowKey.Extract(syn, 0, out var k);
        return PacketBuilder.Tcp(k.DlDst, k.DlSrc, new Ipv4Address(k.NwDst), new Ipv4Address(k.NwSrc), k.TpDst, k.TpSrc,
            TcpFlags.Syn | TcpFlags.Ack, seq: 1181298437, ack: 569506856, window: 64308, options: PacketBuilder.LinuxSynOptions(1410, 2211829061, 3688671724, 7));
    }

    /// <summary>curl http://10.79.1.202:30080 from worker2's own stack (no source yet: the route chooses it), Linux's SYN options.</summary>
    public static byte[] CurlNodePortFromWorker2() => PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, Worker2NodeIp, 41820, FrontendNodePort,
        TcpFlags.Syn, seq: 3011239017, window: 64240, options: PacketBuilder.LinuxSynOptions(1460, 2219170433, 0, 7), ipId: 28211);

    /// <summary>backend1's SYN to the frontend's port 80: backendpolicy isolates its egress and allows nothing out (EgressDefaultRule).</summary>
    public static byte[] Backend1SynToFrontend() => PacketBuilder.Tcp(Backend1Mac, SeedFrames.Worker1GatewayMac, Backend1, SeedFrames.Frontend, 38100, 80, TcpFlags.Syn,
        seq: 4000000001, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 1200000, 0, 7));

    /// <summary>The frontend's DNS query to 10.96.0.10:53, which frontendpolicy's second egress rule (UDP 53 anywhere) admits.</summary>
    public static byte[] FrontendUdpToPort53() => PacketBuilder.Udp(SeedFrames.FrontendMac, SeedFrames.Worker1GatewayMac, SeedFrames.Frontend,
        Ipv4Address.Parse("10.79.1.5"), 40001, 53, [0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
}
