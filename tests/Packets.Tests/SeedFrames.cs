namespace Datapath.Packets.Tests;

/// <summary>
/// The three frames tcpdump shows in seed 001 (src/Antrea/Scenario/cluster.yaml, "packets:"),
/// rebuilt byte for byte from their tcpdump lines. The IP header fields tcpdump -e does not
/// print without -v are Linux's defaults for a SYN: TTL 64, DF, id 0, tos 0.
/// </summary>
internal static class SeedFrames
{
    public static readonly MacAddress ClientGwMac = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress Gw0Mac = MacAddress.Parse("4e:99:08:c1:53:be");
    public static readonly MacAddress GlobalVirtualMac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");

    /// <summary>
    /// be:2c:bf:e4:ec:c5 &gt; 4e:99:08:c1:53:be, IPv4, length 74: 10.222.1.48.56670 &gt; 10.104.65.133.80:
    /// Flags [S], seq 569506855, win 64860, options [mss 1410,sackOK,TS val 3688671724 ecr 0,nop,wscale 7]
    /// </summary>
    public static byte[] Phase1SynOnGw0() => PacketBuilder.Tcp(ClientGwMac, Gw0Mac,
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Syn,
        seq: 569506855, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7));

    /// <summary>
    /// 4e:99:08:c1:53:be &gt; aa:bb:cc:dd:ee:ff, IPv4, length 74: 10.222.1.48.56670 &gt; 10.222.2.34.80:
    /// Flags [S], seq 569506855, win 64860, options [mss 1410,sackOK,TS val 3688671724 ecr 0,nop,wscale 7]
    /// </summary>
    public static byte[] Phase2AfterDnatOnGw0() => PacketBuilder.Tcp(Gw0Mac, GlobalVirtualMac,
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 56670, 80, TcpFlags.Syn,
        seq: 569506855, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 3688671724, 0, 7));

    /// <summary>The inner frame of the GENEVE capture: 10.222.1.48.46490 &gt; 10.222.2.34.80 SYN seq 2799349838.</summary>
    public static byte[] GeneveInner() => PacketBuilder.Tcp(Gw0Mac, GlobalVirtualMac,
        Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 46490, 80, TcpFlags.Syn,
        seq: 2799349838, window: 64860, options: PacketBuilder.LinuxSynOptions(1410, 3988709021, 0, 7));

    /// <summary>
    /// 00:50:56:8f:4e:82 &gt; 00:50:56:8f:1c:f6, IPv4, length 124: 10.79.1.201.12445 &gt; 10.79.1.202.6081:
    /// Geneve, Flags [none], vni 0x0, proto TEB (0x6558): (the inner frame). The GENEVE header is
    /// 8 bytes: version 0, no options, no flags, protocol 0x6558, VNI 0 (RFC 8926 section 3.4).
    /// </summary>
    public static byte[] GeneveOnEns160()
    {
        byte[] inner = GeneveInner();
        var udpPayload = new byte[8 + inner.Length];
        udpPayload[2] = 0x65;
        udpPayload[3] = 0x58;
        inner.CopyTo(udpPayload, 8);
        return PacketBuilder.Udp(MacAddress.Parse("00:50:56:8f:4e:82"), MacAddress.Parse("00:50:56:8f:1c:f6"),
            Ipv4Address.Parse("10.79.1.201"), Ipv4Address.Parse("10.79.1.202"), 12445, 6081, udpPayload);
    }
}
