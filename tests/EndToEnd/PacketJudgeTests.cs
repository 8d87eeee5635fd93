using Datapath.Packets;

namespace Datapath.EndToEnd.Tests;

/// <summary>
/// The second judge (PacketDotNet, <see cref="PacketJudge"/>) on the seed's frames: it reads the articles' SYN as
/// frontend -> backendsvc, reads a GENEVE frame down to the inner SYN, and it can fail: a corrupted IPv4 header
/// checksum, a wrong TCP checksum, a truncated header and a GENEVE option length past the datagram are reported.
/// </summary>
public class PacketJudgeTests
{
    private static readonly MacAddress Frontend = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Gw1 = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly MacAddress Virtual = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
    private static readonly Ipv4Address FrontendIp = Ipv4Address.Parse("10.222.1.48");
    private static readonly Ipv4Address BackendSvc = Ipv4Address.Parse("10.104.65.133");
    private static readonly Ipv4Address Backend2Ip = Ipv4Address.Parse("10.222.2.34");

    // IPv4 after the 14-byte Ethernet header: the checksum at 10, the TCP checksum 16 bytes into the 20-byte TCP header.
    private const int Ipv4ChecksumOffset = EthernetHeader.Length + 10;
    private const int TcpChecksumOffset = EthernetHeader.Length + 20 + 16;

    private static byte[] FrontendSyn() => PacketBuilder.Tcp(Frontend, Gw1, FrontendIp, BackendSvc, 56670, 80, TcpFlags.Syn, seq: 1000);

    [Fact]
    public void The_frontends_SYN_to_backendsvc_is_valid_and_reads_as_our_parser_reads_it()
    {
        var verdict = PacketJudge.Judge(FrontendSyn());
        Assert.True(verdict.Valid, string.Join("; ", verdict.Problems));
        Assert.Equal("eth be:2c:bf:e4:ec:c5>4e:99:08:c1:53:be ipv4 10.222.1.48>10.104.65.133 ttl 64 tcp 56670>80 [S]", verdict.Summary);
    }

    [Fact]
    public void Arp_udp_icmp_ipv6_icmpv6_and_vlan_frames_of_the_seed_are_valid()
    {
        var v6Frontend = Ipv6Address.Parse("fd00:10:222:1::30");
        var v6Svc = Ipv6Address.Parse("fd00:10:96::177");
        byte[][] frames =
        [
            PacketBuilder.Arp(1, Frontend, FrontendIp, MacAddress.Zero, Ipv4Address.Parse("10.222.1.1"), Frontend, MacAddress.Broadcast),
            PacketBuilder.Udp(Frontend, Gw1, FrontendIp, Ipv4Address.Parse("10.96.0.10"), 40000, 53, [1, 2, 3]),
            PacketBuilder.Udp(Frontend, Gw1, FrontendIp, Ipv4Address.Parse("10.96.0.10"), 40000, 53, [1, 2, 3], checksum: false),
            PacketBuilder.IcmpEcho(Frontend, Gw1, FrontendIp, Ipv4Address.Parse("10.222.1.1"), reply: false, 7, 1, [9, 9]),
            PacketBuilder.Tcp6(Frontend, Gw1, v6Frontend, v6Svc, 56670, 80, TcpFlags.Syn),
            PacketBuilder.Udp6(Frontend, Gw1, v6Frontend, v6Svc, 40000, 53, [1, 2, 3]),
            PacketBuilder.Icmpv6Echo(Frontend, Gw1, v6Frontend, v6Svc, reply: true, 7, 1, [5]),
            PacketBuilder.NeighborDiscovery(Frontend, Gw1, v6Frontend, Ipv6Address.Parse("ff02::1:ff00:1"), advertisement: false, Ipv6Address.Parse("fd00:10:222:1::1"), Frontend),
            PacketBuilder.WithVlan(FrontendSyn(), VlanTag.MakeTci(0, false, 100)),
            Padded(FrontendSyn()),
        ];
        foreach (var (frame, i) in frames.Select((f, i) => (f, i)))
            PacketJudge.AssertValid(frame, $"seed frame {i}");
    }

    [Fact]
    public void A_geneve_frame_is_judged_down_to_the_inner_SYN()
    {
        byte[] inner = PacketBuilder.Tcp(Gw1, Virtual, FrontendIp, Backend2Ip, 56670, 80, TcpFlags.Syn, ttl: 62);
        var verdict = PacketJudge.Judge(Geneve(inner, optionWords: 2));
        Assert.True(verdict.Valid, string.Join("; ", verdict.Problems));
        Assert.EndsWith("udp 50000>6081 geneve vni 0 opts 8B | eth 4e:99:08:c1:53:be>aa:bb:cc:dd:ee:ff ipv4 10.222.1.48>10.222.2.34 ttl 62 tcp 56670>80 [S]",
            verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupted_ipv4_header_checksum_is_reported()
    {
        byte[] frame = FrontendSyn();
        frame[Ipv4ChecksumOffset] ^= 0x5a;
        Assert.Contains(PacketJudge.Judge(frame).Problems, p => p.StartsWith("ipv4 header checksum", StringComparison.Ordinal));
        var failure = Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => PacketJudge.AssertValid(frame, "corrupt.pcap frame 3"));
        Assert.Contains("corrupt.pcap frame 3", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ipv4 header checksum", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_tcp_checksum_is_reported_and_so_is_one_inside_a_geneve_frame()
    {
        byte[] frame = FrontendSyn();
        frame[TcpChecksumOffset] ^= 0x01;
        var verdict = PacketJudge.Judge(frame);
        Assert.Equal(["tcp checksum"], verdict.Problems.Select(p => p[..12]));

        var tunnelled = PacketJudge.Judge(Geneve(frame, optionWords: 0));
        Assert.Contains(tunnelled.Problems, p => p.StartsWith("inner(1) tcp checksum", StringComparison.Ordinal));
    }

    [Fact]
    public void A_truncated_header_is_reported()
    {
        byte[] frame = FrontendSyn();
        // Cut inside the TCP header: the IPv4 total length says 40 bytes, 30 are there.
        var verdict = PacketJudge.Judge(frame.AsSpan(0, EthernetHeader.Length + 30));
        Assert.False(verdict.Valid);
        Assert.Contains(verdict.Problems, p => p.StartsWith("our parser: the frame ends inside a header", StringComparison.Ordinal));
        // PacketDotNet throws on it (IndexOutOfRangeException), which the judge reports beside our parser's word.
        Assert.Contains(verdict.Problems, p => !p.StartsWith("our parser", StringComparison.Ordinal));
        // Cut inside the IPv4 header.
        Assert.Contains(PacketJudge.Judge(frame.AsSpan(0, EthernetHeader.Length + 3)).Problems, p => !p.StartsWith("our parser", StringComparison.Ordinal));
    }

    [Fact]
    public void A_geneve_option_length_past_the_datagram_is_reported()
    {
        byte[] frame = Geneve(FrontendSyn(), optionWords: 0);
        frame[EthernetHeader.Length + 20 + 8] = 0x3f; // Ver 0, Opt Len 63 words: 252 bytes that are not there
        Assert.Contains(PacketJudge.Judge(frame).Problems, p => p.StartsWith("geneve options of 252 bytes", StringComparison.Ordinal));
    }

    /// <summary>worker1 to worker2 on the underlay, GENEVE (RFC 8926) VNI 0 with <paramref name="optionWords"/> words of zeroed options.</summary>
    private static byte[] Geneve(byte[] inner, int optionWords)
    {
        byte[] payload = new byte[8 + optionWords * 4 + inner.Length];
        payload[0] = (byte)optionWords;
        payload[2] = 0x65;
        payload[3] = 0x58;
        inner.CopyTo(payload, 8 + optionWords * 4);
        return PacketBuilder.Udp(MacAddress.Parse("02:00:00:00:00:11"), MacAddress.Parse("02:00:00:00:00:12"),
            Ipv4Address.Parse("192.168.77.11"), Ipv4Address.Parse("192.168.77.12"), 50000, PacketJudge.GenevePort, payload);
    }

    /// <summary>The frame padded to Ethernet's 60-byte minimum, as a NIC sends it.</summary>
    private static byte[] Padded(byte[] frame) => [.. frame, .. new byte[Math.Max(0, 60 - frame.Length)]];
}
