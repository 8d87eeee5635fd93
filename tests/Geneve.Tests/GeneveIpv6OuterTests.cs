using System.Buffers.Binary;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>
/// GENEVE over an IPv6 outer header (tun_ipv6_src/tun_ipv6_dst): the bytes against RFC 8200 and
/// RFC 8926, decap(encap(x)) == x, every malformation a counted drop, and tshark as the judge.
/// </summary>
public sealed class GeneveIpv6OuterTests : IDisposable
{
    private static readonly TlvMap s_map = GeneveRandomRoundtripTests.s_map;
    private static readonly Ipv6Address s_src = Ipv6Address.Parse("fd00:10:79::201");
    private static readonly Ipv6Address s_dst = Ipv6Address.Parse("fd00:10:79::202");
    private readonly string _dir = Directory.CreateTempSubdirectory("geneve6-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FlowKey Tunnel()
    {
        var key = default(FlowKey);
        key.TunIpv6Src = s_src;
        key.TunIpv6Dst = s_dst;
        key.TunFlags = GeneveTunnelFlags.DontFragment | GeneveTunnelFlags.Key;   // no csum flag: IPv6 computes it anyway
        return key;
    }

    private static byte[] Encap(in FlowKey key, byte[] inner) => SeedFrames.Encap(in key, inner, in s_map);

    [Fact]
    public void The_outer_header_is_ipv6_udp_with_lengths_class_hop_limit_flow_label_and_a_mandatory_checksum()
    {
        var key = Tunnel();
        key.TunTos = 0xb8;
        key.TunTtl = 9;
        key.TunId = 0xabcdef;
        var inner = SeedFrames.InnerSyn();
        var f = Encap(in key, inner);

        Assert.Equal(62 + 8 + inner.Length, f.Length);
        Assert.Equal(EtherTypes.IPv6, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)));
        uint vcf = BinaryPrimitives.ReadUInt32BigEndian(f.AsSpan(14));
        Assert.Equal(6u, vcf >> 28);
        Assert.Equal(0xb8u, (vcf >> 20) & 0xff);
        Assert.Equal(GeneveEncapsulator.FlowLabel(GeneveEncapsulator.InnerFlowHash(inner)), vcf & 0xfffff);
        Assert.NotEqual(0u, vcf & 0xfffff);
        Assert.Equal(f.Length - 54, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)));   // payload length
        Assert.Equal(IpProtocols.Udp, f[20]);
        Assert.Equal(9, f[21]);
        Assert.Equal(s_src, Ipv6Address.Read(f.AsSpan(22)));
        Assert.Equal(s_dst, Ipv6Address.Read(f.AsSpan(38)));
        var udp = f.AsSpan(54);
        Assert.InRange(BinaryPrimitives.ReadUInt16BigEndian(udp), 49152, 65535);
        Assert.Equal(6081, BinaryPrimitives.ReadUInt16BigEndian(udp[2..]));
        Assert.Equal(udp.Length, BinaryPrimitives.ReadUInt16BigEndian(udp[4..]));
        ushort csum = BinaryPrimitives.ReadUInt16BigEndian(udp[6..]);
        Assert.NotEqual(0, csum);
        Assert.Equal(Checksum.TransportV6(udp, s_src, s_dst, IpProtocols.Udp), csum);
        Assert.Equal(0xabcdefu, BinaryPrimitives.ReadUInt32BigEndian(udp[12..]) >> 8);
        Assert.Equal(inner, udp[16..].ToArray());
        Assert.Equal(62 + 8, GeneveEncapsulator.Overhead(in key, in s_map));
    }

    [Fact]
    public void Ipv4_destination_wins_and_missing_addresses_refuse()
    {
        var both = Tunnel();
        both.TunSrc = SeedFrames.Worker1Ip.Value;
        both.TunDst = SeedFrames.Worker2Ip.Value;
        Assert.False(GeneveEncapsulator.UsesIpv6Outer(in both));
        Assert.Equal(EtherTypes.IPv4, BinaryPrimitives.ReadUInt16BigEndian(Encap(in both, SeedFrames.InnerSyn()).AsSpan(12)));

        var noSrc = Tunnel();
        noSrc.TunIpv6SrcLo = noSrc.TunIpv6SrcHi = 0;
        Assert.True(GeneveEncapsulator.UsesIpv6Outer(in noSrc));
        Assert.False(GeneveEncapsulator.TryEncapsulate(SeedFrames.InnerSyn(), in noSrc, in s_map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, new byte[2048], out _));
        var small = Tunnel();
        Assert.False(GeneveEncapsulator.TryEncapsulate(SeedFrames.InnerSyn(), in small, in s_map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, new byte[61], out _));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Decap_of_encap_is_identity(int seed)
    {
        var rng = new Random(seed);
        var buf = new byte[2048];
        for (int i = 0; i < 2000; i++)
        {
            var inner = GeneveRandomRoundtripTests.RandomInner(rng);
            var key = default(FlowKey);
            key.TunIpv6Src = new Ipv6Address(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64() | 1));
            key.TunIpv6Dst = new Ipv6Address(new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64() | 1));
            GeneveRandomRoundtripTests.RandomTunnelFields(rng, ref key);

            Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in key, in s_map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out int n));
            var decoded = default(FlowKey);
            decoded.TunSrc = 99;   // an IPv6 outer clears the IPv4 tunnel addresses
            Assert.True(GeneveDecapsulator.TryDecapsulate(buf.AsSpan(0, n), in s_map, out int offset, out int length, ref decoded, out var reason), reason.ToString());
            Assert.Equal(inner, buf.AsSpan(offset, length).ToArray());
            Assert.Equal(62, offset - 8 - (int)(buf[62] & 0x3f) * 4);

            Assert.Equal(key.TunIpv6Src, decoded.TunIpv6Src);
            Assert.Equal(key.TunIpv6Dst, decoded.TunIpv6Dst);
            Assert.Equal(0u, decoded.TunSrc);
            Assert.Equal(0u, decoded.TunDst);
            GeneveRandomRoundtripTests.AssertTunnelFieldsDecoded(in key, in decoded);

            // Decapsulating the same key's IPv4 form afterwards clears the IPv6 addresses again.
            if (i % 100 == 0)
            {
                var v4 = key;
                v4.TunSrc = 1;
                v4.TunDst = 2;
                Assert.True(GeneveEncapsulator.TryEncapsulate(inner, in v4, in s_map, SeedFrames.Worker1Mac, SeedFrames.Worker2Mac, buf, out n));
                Assert.True(GeneveDecapsulator.TryDecapsulate(buf.AsSpan(0, n), in s_map, out _, ref decoded, out reason), reason.ToString());
                Assert.False(decoded.HasTunIpv6);
                Assert.Equal(2u, decoded.TunDst);
            }
        }
    }

    private static byte[] ValidFrame()
    {
        var key = Tunnel();
        key.TunMetadataPresent = 0b11;
        key.TunMetadata[0] = 0x1234;
        key.TunMetadata[1] = 0x5678;
        return Encap(in key, SeedFrames.InnerSyn());
    }

    [Fact]
    public void Every_cut_of_an_ipv6_outer_frame_is_a_drop_with_a_reason()
    {
        var frame = ValidFrame();
        for (int cut = 0; cut < frame.Length; cut++)
        {
            var key = default(FlowKey);
            Assert.False(GeneveDecapsulator.TryDecapsulate(frame.AsSpan(0, cut), in s_map, out _, ref key, out var reason), $"cut {cut}");
            Assert.NotEqual(GeneveDropReason.None, reason);
            Assert.False(key.HasTunIpv6);
        }
    }

    [Theory]
    [InlineData(14, 0x50, GeneveDropReason.BadIpHeader)]          // version 5
    [InlineData(18, 0x00, GeneveDropReason.BadIpHeader)]          // payload length 0 (with byte 19 below)
    [InlineData(20, 0x00, GeneveDropReason.NotGeneve)]            // hop-by-hop extension header
    [InlineData(20, 0x2c, GeneveDropReason.NotGeneve)]            // fragment header
    [InlineData(18, 0xff, GeneveDropReason.Truncated)]            // payload length past the frame
    [InlineData(58, 0x00, GeneveDropReason.BadUdpLength)]         // UDP length < 8 (with byte 59 below)
    [InlineData(60, 0x00, GeneveDropReason.ZeroUdpChecksumIpv6)]  // zero checksum (with byte 61 below)
    [InlineData(40, 0x77, GeneveDropReason.BadUdpChecksum)]       // destination address changed
    [InlineData(70, 0x40, GeneveDropReason.BadUdpChecksum)]       // GENEVE version changed under the checksum
    public void Malformed_ipv6_outer_headers_are_dropped_with_their_reason(int offset, byte value, GeneveDropReason expected)
    {
        var frame = ValidFrame();
        frame[offset] = value;
        if (offset is 18 or 58 or 60 && value == 0)
            frame[offset + 1] = 0;
        if (offset == 14)
            frame[offset] = (byte)(value | (frame[offset] & 0x0f));
        var key = default(FlowKey);
        Assert.False(GeneveDecapsulator.TryDecapsulate(frame, in s_map, out _, ref key, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Random_corruption_of_ipv6_outer_frames_never_throws()
    {
        var rng = new Random(5);
        var valid = ValidFrame();
        int accepted = 0;
        for (int i = 0; i < 20000; i++)
        {
            var f = (byte[])valid.Clone();
            for (int k = rng.Next(1, 4); k > 0; k--)
                f[rng.Next(f.Length)] = (byte)rng.Next(256);
            var key = default(FlowKey);
            if (GeneveDecapsulator.TryDecapsulate(f.AsSpan(0, rng.Next(f.Length + 1)), in s_map, out _, ref key, out var reason))
                accepted++;
            else
                Assert.NotEqual(GeneveDropReason.None, reason);
        }
        Assert.True(accepted < 20000);
    }

    [Fact]
    public void Tshark_decodes_ipv6_outer_frames_as_geneve_with_the_right_vni_options_and_inner_frame()
    {
        string tshark = ExternalTools.Require("tshark", "tshark");
        var seed = Tunnel();
        var opt = Tunnel();
        opt.TunId = 0x123456;
        opt.TunFlags |= GeneveTunnelFlags.Oam;
        opt.TunMetadataPresent = 0b11;
        opt.TunMetadata[0] = 0x1000_0000;
        opt.TunMetadata[1] = 0x0102_0304_0506_0708;
        opt.TunTtl = 7;
        opt.TunTos = 0x28;
        var frames = new[] { Encap(in seed, SeedFrames.InnerSyn()), Encap(in opt, SeedFrames.InnerSyn()) };
        string pcap = Path.Combine(_dir, "geneve6.pcap");
        using (var writer = PcapWriter.Create(pcap))
        {
            long t = 1_700_000_000_000_000_000;
            foreach (var f in frames)
                writer.WriteFrame(f, t += 1000);
        }
        string output = ExternalTools.Run(tshark, "-r", pcap, "-n", "-o", "udp.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.protocols", "-e", "geneve.vni", "-e", "geneve.proto_type", "-e", "geneve.flags.oam", "-e", "geneve.flags.critical",
            "-e", "geneve.option.class", "-e", "geneve.option.type", "-e", "udp.dstport", "-e", "udp.checksum.status",
            "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.hlim", "-e", "ipv6.tclass", "-e", "ipv6.plen", "-e", "udp.length",
            "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "_ws.expert.message");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var f1 = lines[0].Split('|');
        var f2 = lines[1].Split('|');
        Assert.Equal("eth:ethertype:ipv6:udp:geneve:eth:ethertype:ip:tcp", f1[0]);
        Assert.Equal("0x000000", f1[1]);
        Assert.Equal("0x6558", f1[2]);
        Assert.Equal("6081", f1[7]);
        Assert.Equal("1", f1[8]);                                         // UDP checksum over the IPv6 pseudo-header: good
        Assert.Equal("fd00:10:79::201", f1[9]);
        Assert.Equal("fd00:10:79::202", f1[10]);
        Assert.Equal("64", f1[11]);
        Assert.Equal(f1[13], f1[14].Split(',')[0]);                       // IPv6 payload length == UDP length
        Assert.Equal("10.222.1.48", f1[15]);
        Assert.Equal("10.222.2.34", f1[16]);
        Assert.Equal("80", f1[17]);

        Assert.Equal("0x123456", f2[1]);
        Assert.Equal("1", f2[3]);
        Assert.Equal("1", f2[4]);
        Assert.Equal("0xffff,0x0102", f2[5]);
        Assert.Equal("0x00,0x85", f2[6]);
        Assert.Equal("1", f2[8]);
        Assert.Equal("7", f2[11]);
        Assert.Equal("0x00000028", f2[12]);                               // traffic class = tun_tos
        foreach (var f in new[] { f1, f2 })
        {
            foreach (var bad in new[] { "Malformed", "Bad", "incorrect", "Extraneous", "Invalid" })
                Assert.DoesNotContain(bad, f[18], StringComparison.OrdinalIgnoreCase);
        }

        // The second judge reads the same outer IPv6 addresses, VNIs and inner addresses, with good checksums.
        var second = CaptureJudge.AssertCapture(pcap);
        foreach (var (f, summary) in new[] { f1, f2 }.Zip(second))
        {
            Assert.StartsWith("eth ", summary, StringComparison.Ordinal);
            Assert.Contains($" ipv6 {f[9]}>{f[10]} hlim {f[11]} udp ", summary, StringComparison.Ordinal);
            Assert.Contains($" geneve vni {Convert.ToUInt32(f[1], 16)}", summary, StringComparison.Ordinal);
            Assert.Contains($" ipv4 {f[15]}>{f[16]} ", summary, StringComparison.Ordinal);
        }
    }
}
