using Datapath.Packets;

namespace Datapath.Cli.Demo;

/// <summary>
/// The frames of the Calico lab's demo (src/Antrea/Calico): seed 002's curl from a node's own stack to podinfo's
/// ClusterIP (PACKET: SRC=192.168.1.88 DST=10.43.156.98 LEN=60 TTL=64 ID=45471 DF SPORT=49058 DPORT=9898 SYN),
/// and seed 003's debug pod resolving its gateway, asking kube-dns and connecting to backend-service.
/// </summary>
internal static class CalicoFrames
{
    /// <summary>What Calico gives the host end of every pod veth, so the pod's gateway resolves to it.</summary>
    public static readonly MacAddress VethMac = MacAddress.Parse("ee:ee:ee:ee:ee:ee");
    /// <summary>The link-local gateway every Calico pod's default route points at (answered by proxy ARP).</summary>
    public static readonly Ipv4Address PodGateway = Ipv4Address.Parse("169.254.1.1");
    public const string Worker1DebugVeth = "calie3ba9b96e53";
    public const string Worker2PodinfoVeth = "cali77c9412e024";
    public static readonly MacAddress DebugMac = MacAddress.Parse("ae:91:c2:5b:08:7f");
    public static readonly Ipv4Address Debug = Ipv4Address.Parse("10.42.135.132");
    public static readonly MacAddress PodinfoMac = MacAddress.Parse("5e:a8:33:f1:6c:04");
    public static readonly Ipv4Address PodinfoClusterIp = Ipv4Address.Parse("10.43.156.98");
    public static readonly Ipv4Address BackendServiceIp = Ipv4Address.Parse("10.43.199.177");
    public static readonly Ipv4Address KubeDns = Ipv4Address.Parse("10.43.0.10");

    /// <summary>
    /// curl's SYN as worker1's stack sends it (seed 002): no source yet (the route chooses 192.168.1.88), sport 49058,
    /// IP id 45471, Linux's SYN options (LEN=60), L2 header left to the host.
    /// </summary>
    public static byte[] CurlSynFromNode() => PacketBuilder.Tcp(MacAddress.Zero, MacAddress.Zero, default, PodinfoClusterIp, 49058, 9898, TcpFlags.Syn,
        seq: 2910342511, window: 64240, options: PacketBuilder.LinuxSynOptions(1460, 1741903601, 0, 7), ipId: 45471);

    /// <summary>
    /// podinfo's SYN-ACK to the SYN that reached it (<paramref name="syn"/>, as worker2 delivered it on the pod's veth):
    /// addresses and ports swapped, from the pod's MAC to its gateway's (the veth's ee:ee:ee:ee:ee:ee).
    /// </summary>
    public static byte[] SynAckTo(byte[] syn)
    {
        FlowKey.Extract(syn, 0, out var k);
        return PacketBuilder.Tcp(PodinfoMac, VethMac, new Ipv4Address(k.NwDst), new Ipv4Address(k.NwSrc), k.TpDst, k.TpSrc, TcpFlags.Syn | TcpFlags.Ack,
            seq: 1181298437, ack: 2910342512, window: 64308, options: PacketBuilder.LinuxSynOptions(1410, 2211829061, 1741903601, 7));
    }

    /// <summary>The debug pod's ARP request for its gateway 169.254.1.1 (its only route: default via 169.254.1.1 dev eth0).</summary>
    public static byte[] DebugArpForGateway() => PacketBuilder.Arp(ArpPacket.OpRequest, DebugMac, Debug, MacAddress.Zero, PodGateway, DebugMac, MacAddress.Broadcast);

    /// <summary>The debug pod's DNS query to kube-dns (seed 003's nslookup backend-service.default.svc.cluster.local).</summary>
    public static byte[] DebugDnsQuery() => PacketBuilder.Udp(DebugMac, VethMac, Debug, KubeDns, 41234, 53, DnsQuery("backend-service.default.svc.cluster.local"));

    /// <summary>The debug pod's SYN to backend-service (seed 003's curl backend-service.default.svc.cluster.local:8000).</summary>
    public static byte[] DebugSynToBackendService() => PacketBuilder.Tcp(DebugMac, VethMac, Debug, BackendServiceIp, 51324, 8000, TcpFlags.Syn,
        seq: 3391874403, window: 64800, options: PacketBuilder.LinuxSynOptions(1410, 902211587, 0, 7));

    /// <summary>An A query for <paramref name="name"/> (RFC 1035: id, RD, one question, class IN).</summary>
    private static byte[] DnsQuery(string name)
    {
        var bytes = new List<byte> { 0x4b, 0x1d, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
        foreach (string label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(System.Text.Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange([0x00, 0x00, 0x01, 0x00, 0x01]);
        return [.. bytes];
    }
}
