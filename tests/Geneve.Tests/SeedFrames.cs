using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>
/// The seed lab's GENEVE frame (cluster.yaml packets.geneve_on_ens160, tcpdump -en on worker1's ens160):
/// <c>00:50:56:8f:4e:82 > 00:50:56:8f:1c:f6, IPv4, length 124: 10.79.1.201.12445 > 10.79.1.202.6081:
/// Geneve, Flags [none], vni 0x0, proto TEB (0x6558): 4e:99:08:c1:53:be > aa:bb:cc:dd:ee:ff, IPv4,
/// length 74: 10.222.1.48.46490 > 10.222.2.34.80: Flags [S], seq 2799349838, win 64860,
/// options [mss 1410,sackOK,TS val 3988709021 ecr 0,nop,wscale 7]</c>; inner TTL 62 as OVS 3.1
/// emitted it (scenario README).
/// </summary>
internal static class SeedFrames
{
    public static readonly MacAddress Worker1Mac = MacAddress.Parse("00:50:56:8f:4e:82");
    public static readonly MacAddress Worker2Mac = MacAddress.Parse("00:50:56:8f:1c:f6");
    public static readonly Ipv4Address Worker1Ip = Ipv4Address.Parse("10.79.1.201");
    public static readonly Ipv4Address Worker2Ip = Ipv4Address.Parse("10.79.1.202");

    // mss 1410, sackOK, TS val 3988709021 ecr 0, nop, wscale 7 (Linux's SYN option order).
    public static readonly byte[] SynOptions = Hex.Parse("02 04 05 82 04 02 08 0a ed bf 5e 9d 00 00 00 00 01 03 03 07");

    public static byte[] InnerSyn() => PacketBuilder.Tcp(
        MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"),
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 46490, 80,
        TcpFlags.Syn, seq: 2799349838, window: 64860, options: SynOptions, ttl: 62);

    /// <summary>The GENEVE frame encapsulating <paramref name="inner"/> with <paramref name="key"/>'s tunnel fields, worker1 to worker2's MACs.</summary>
    public static byte[] Encap(in FlowKey key, byte[] inner, in TlvMap map)
    {
        var buf = new byte[2048];
        Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, in map, Worker1Mac, Worker2Mac, buf, out int n));
        return buf[..n];
    }

    /// <summary>The tunnel fields Antrea's table 70 sets for it (tun_dst, VNI 0) plus the port's config (csum, DF).</summary>
    public static FlowKey TunnelFields()
    {
        var key = default(FlowKey);
        key.TunSrc = Worker1Ip.Value;
        key.TunDst = Worker2Ip.Value;
        key.TunId = 0;
        key.TunFlags = GeneveTunnelFlags.Csum | GeneveTunnelFlags.DontFragment | GeneveTunnelFlags.Key;
        return key;
    }

    /// <summary>
    /// The 50 outer bytes written by hand from the tcpdump line and the scenario README (IP id 0,
    /// DF, TTL 64, UDP to 6081, GENEVE v0 no options TEB VNI 0). The UDP source port (bytes 34-35)
    /// and hence the UDP checksum (40-41) are the sender's choice; they are zero here.
    /// IPv4 header checksum 0x224f computed by hand (python) over these 20 bytes.
    /// </summary>
    public const string OuterHeadersHex =
        "005056 8f1cf6 005056 8f4e82 0800" +
        "4500 006e 0000 4000 4011 224f 0a4f01c9 0a4f01ca" +
        "0000 17c1 005a 0000" +
        "0000 6558 000000 00";
}
