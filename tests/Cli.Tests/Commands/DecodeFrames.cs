using System.Buffers.Binary;
using Datapath.Geneve;
using Datapath.Packets;

namespace Datapath.Cli.Tests.Commands;

/// <summary>The frames the decode tests feed to tcpdump and to `datapath decode`, built with Packets' PacketBuilder.</summary>
internal static class DecodeFrames
{
    public static readonly MacAddress Client = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    public static readonly MacAddress Gateway = MacAddress.Parse("4e:99:08:c1:53:be");
    public static readonly MacAddress PodB = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    public static readonly Ipv4Address PodA = Ipv4Address.Parse("10.222.1.48");
    public static readonly Ipv4Address Service = Ipv4Address.Parse("10.104.65.133");

    /// <summary>The SYN options of a Linux client: mss 1410, sackOK, TS val ecr 0, nop, wscale 7.</summary>
    public static byte[] SynOptions(uint tsVal) => PacketBuilder.LinuxSynOptions(1410, tsVal, 0, 7);

    /// <summary>A TCP conversation (SYN, SYN-ACK, ACK, data, FIN, RST), UDP, ICMP, ARP, VLAN and IPv6 frames.</summary>
    public static List<byte[]> Mixed()
    {
        var tsOptions = new byte[] { 1, 1, 8, 10, 0xdb, 0xdc, 0x5a, 0x6d, 0, 0, 0, 1 };
        var a6 = Ipv6Address.Parse("2001:db8::1");
        var b6 = Ipv6Address.Parse("2001:db8::2");
        var ll1 = Ipv6Address.Parse("fe80::1");
        var ll2 = Ipv6Address.Parse("fe80::2");
        return
        [
            PacketBuilder.Tcp(Client, Gateway, PodA, Service, 56670, 80, TcpFlags.Syn, 569506855, 0, 64860, SynOptions(3688671724)),
            PacketBuilder.Tcp(Gateway, Client, Service, PodA, 80, 56670, TcpFlags.Syn | TcpFlags.Ack, 1000, 569506856, 65160, SynOptions(1)),
            PacketBuilder.Tcp(Client, Gateway, PodA, Service, 56670, 80, TcpFlags.Ack, 569506856, 1001, 507, tsOptions),
            PacketBuilder.Tcp(Client, Gateway, PodA, Service, 56670, 80, TcpFlags.Psh | TcpFlags.Ack, 569506856, 1001, 507, tsOptions,
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8),
            PacketBuilder.Tcp(Gateway, Client, Service, PodA, 80, 56670, TcpFlags.Fin | TcpFlags.Ack, 1001, 569506883, 509),
            PacketBuilder.Tcp(Client, Gateway, PodA, Service, 56670, 80, TcpFlags.Rst, 569506883, 0, 0),
            PacketBuilder.Tcp(Client, Gateway, PodA, Service, 1, 2, TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr | TcpFlags.Urg, 7, 0, 5),
            PacketBuilder.Udp(Client, Gateway, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 12345, 54321, "hello world"u8),
            PacketBuilder.IcmpEcho(Client, Gateway, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), false, 0x1234, 1, new byte[56]),
            PacketBuilder.IcmpEcho(Gateway, Client, Ipv4Address.Parse("10.0.0.2"), Ipv4Address.Parse("10.0.0.1"), true, 0x1234, 1, new byte[56]),
            PacketBuilder.Arp(1, Client, Ipv4Address.Parse("10.0.0.2"), MacAddress.Zero, Ipv4Address.Parse("10.0.0.1"), Client, MacAddress.Broadcast),
            PacketBuilder.Arp(2, Gateway, Ipv4Address.Parse("10.0.0.1"), Client, Ipv4Address.Parse("10.0.0.2"), Gateway, Client),
            PacketBuilder.WithVlan(PacketBuilder.Udp(Client, Gateway, Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.0.0.2"), 1000, 2000, new byte[20]),
                VlanTag.MakeTci(3, false, 10)),
            PacketBuilder.WithVlan(PacketBuilder.Arp(1, Client, Ipv4Address.Parse("10.0.0.2"), MacAddress.Zero, Ipv4Address.Parse("10.0.0.1"), Client, MacAddress.Broadcast),
                VlanTag.MakeTci(0, false, 10)),
            PacketBuilder.Tcp6(Client, Gateway, a6, b6, 40000, 443, TcpFlags.Syn, 12345, 0, 64800, PacketBuilder.LinuxSynOptions(1440, 1, 0, 7)),
            PacketBuilder.Udp6(Client, Gateway, a6, b6, 5000, 6000, "abc"u8),
            PacketBuilder.Icmpv6Echo(Client, Gateway, ll1, ll2, false, 7, 3, new byte[16]),
            PacketBuilder.NeighborDiscovery(Client, Gateway, ll1, Ipv6Address.Parse("ff02::1:ff00:2"), false, ll2, Client),
            Geneve(0, critical: false, []),
            Geneve(0x1234, critical: true, [0xff, 0xff, 0x00, 0x01, 0, 0, 0, 5]),
        ];
    }

    /// <summary>
    /// The GENEVE frame of seed 001 on ens160 (cluster.yaml packets.geneve_on_ens160): worker1's uplink
    /// to worker2 carrying the SYN after DNAT.
    /// </summary>
    public static byte[] Geneve(uint vni, bool critical, byte[] options)
    {
        byte[] inner = PacketBuilder.Tcp(Gateway, PodB, PodA, Ipv4Address.Parse("10.222.2.34"), 46490, 80, TcpFlags.Syn, 2799349838, 0, 64860,
            SynOptions(3988709021));
        var payload = new byte[GeneveHeader.Length + options.Length + inner.Length];
        GeneveHeader.TryWrite(payload, vni, EtherTypes.TransparentEthernetBridging, options.Length / 4, false, critical, out int n);
        options.CopyTo(payload, n);
        inner.CopyTo(payload, n + options.Length);
        return PacketBuilder.Udp(MacAddress.Parse("00:50:56:8f:4e:82"), MacAddress.Parse("00:50:56:8f:1c:f6"),
            Ipv4Address.Parse("10.79.1.201"), Ipv4Address.Parse("10.79.1.202"), 12445, GeneveHeader.UdpPort, payload, checksum: false);
    }

    public static long Timestamp(int i) => 1_700_000_000_123_456_789L + i * 1_000_123_000L;

    /// <summary>Writes frames to a temporary pcap file; the caller deletes it.</summary>
    public static string WritePcap(IReadOnlyList<byte[]> frames, Datapath.Io.Capture.PcapTimestampResolution resolution = Datapath.Io.Capture.PcapTimestampResolution.Microsecond)
    {
        string path = Path.Combine(Path.GetTempPath(), $"datapath-decode-{Guid.NewGuid():N}.pcap");
        using var w = Datapath.Io.Capture.PcapWriter.Create(path, resolution);
        for (int i = 0; i < frames.Count; i++)
            w.WriteFrame(frames[i], Timestamp(i));
        return path;
    }

    public static ushort ReadU16(byte[] b, int at) => BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));
}
