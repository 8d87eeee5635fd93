using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>tshark (Wireshark's dissectors, an independent judge) decodes what the encapsulator writes.</summary>
public sealed class TsharkJudgeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geneve-tshark-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TlvMap s_map = TlvMap.Parse("{class=0xffff,type=0,len=4}->tun_metadata0,{class=0x102,type=0x85,len=8}->tun_metadata1");

    private static byte[] Encap(in FlowKey key, byte[] inner) => SeedFrames.Encap(in key, inner, in s_map);

    [Fact]
    public void Tshark_decodes_our_frames_as_geneve_with_the_right_vni_options_and_inner_frame()
    {
        string tshark = ExternalTools.Require("tshark", "tshark");

        var frames = new List<byte[]>();
        // 1: the seed frame.
        var seed = SeedFrames.TunnelFields();
        frames.Add(Encap(in seed, SeedFrames.InnerSyn()));
        // 2: VNI 0x123456, two options (the second critical), OAM, TOS and TTL.
        var opt = SeedFrames.TunnelFields();
        opt.TunId = 0x123456;
        opt.TunFlags |= GeneveTunnelFlags.Oam;
        opt.TunMetadataPresent = 0b11;
        opt.TunMetadata[0] = 0x1000_0000;
        opt.TunMetadata[1] = 0x0102_0304_0506_0708;
        opt.TunTtl = 7;
        frames.Add(Encap(in opt, SeedFrames.InnerSyn()));
        // 3: no checksum, no DF, a UDP inner frame.
        var plain = SeedFrames.TunnelFields();
        plain.TunFlags = 0;
        plain.TunId = 5000;
        frames.Add(Encap(in plain, PacketBuilder.Udp(MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"),
            Ipv4Address.Parse("10.222.1.2"), Ipv4Address.Parse("10.222.2.2"), 40000, 40001, new byte[33])));

        string pcap = Path.Combine(_dir, "geneve.pcap");
        using (var writer = PcapWriter.Create(pcap))
        {
            long t = 1_700_000_000_000_000_000;
            foreach (var f in frames)
                writer.WriteFrame(f, t += 1000);
        }

        string output = ExternalTools.Run(tshark, "-r", pcap, "-n", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.protocols", "-e", "geneve.version", "-e", "geneve.vni", "-e", "geneve.proto_type",
            "-e", "geneve.flags.oam", "-e", "geneve.flags.critical",
            "-e", "geneve.option.class", "-e", "geneve.option.type", "-e", "geneve.option.length",
            "-e", "udp.dstport", "-e", "udp.checksum.status", "-e", "ip.checksum.status", "-e", "ip.flags.df", "-e", "ip.ttl",
            "-e", "eth.src", "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.dstport", "-e", "tcp.flags.syn", "-e", "tcp.options.mss_val",
            "-e", "udp.length", "-e", "_ws.expert.message");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var f1 = lines[0].Split('|');
        var f2 = lines[1].Split('|');
        var f3 = lines[2].Split('|');

        Assert.Equal("eth:ethertype:ip:udp:geneve:eth:ethertype:ip:tcp", f1[0]);
        Assert.Equal("0", f1[1]);
        Assert.Equal("0", f1[8]);                                     // Opt Len 0
        Assert.Equal("0x000000", f1[2]);
        Assert.Equal("0x6558", f1[3]);
        Assert.Equal("", f1[6]);                                      // no options
        Assert.Equal("6081", f1[9]);
        Assert.Equal("1", f1[10]);                                    // udp checksum: Good (Wireshark: 0 bad, 1 good, 2 unverified, 3 absent)
        Assert.Equal("1,1", f1[11]);                                  // both IPv4 header checksums: Good
        Assert.Equal("1,1", f1[12]);                                  // DF on the outer (and inner) header
        Assert.Equal("64,62", f1[13]);
        Assert.Equal("00:50:56:8f:4e:82,4e:99:08:c1:53:be", f1[14]);
        Assert.Equal("10.79.1.201,10.222.1.48", f1[15]);
        Assert.Equal("10.79.1.202,10.222.2.34", f1[16]);
        Assert.Equal("80", f1[17]);
        Assert.Equal("1", f1[18]);
        Assert.Equal("1410", f1[19]);
        foreach (var f in new[] { f1, f2, f3 })                      // expert info: only notes (SYN, retransmission)
        {
            foreach (var bad in new[] { "Malformed", "Bad", "incorrect", "Extraneous", "Invalid" })
                Assert.DoesNotContain(bad, f[21], StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal("0x123456", f2[2]);
        Assert.Equal("1", f2[4]);                                     // OAM
        Assert.Equal("1", f2[5]);                                     // critical options present
        Assert.Equal("0xffff,0x0102", f2[6]);
        Assert.Equal("0x00,0x85", f2[7]);
        Assert.Equal("20,8,12", f2[8]);                               // Opt Len in bytes, then each option's length, header included
        Assert.Equal("1", f2[10]);
        Assert.Equal("7,62", f2[13]);
        Assert.Equal("10.222.1.48", f2[15].Split(',')[1]);

        Assert.Equal("eth:ethertype:ip:udp:geneve:eth:ethertype:ip:udp:data", f3[0]);
        Assert.Equal("0x001388", f3[2]);
        Assert.Equal("3,1", f3[10]);                                  // outer: not present (3); inner: good (1)
        Assert.Equal("0,1", f3[12]);                                  // no DF outside, DF inside (PacketBuilder)

        // The second judge reads the same VNIs, GENEVE option lengths and inner addresses, with good checksums.
        var second = CaptureJudge.AssertCapture(pcap);
        foreach (var (f, summary) in new[] { f1, f2, f3 }.Zip(second))
        {
            int optionBytes = int.Parse(f[8].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($" geneve vni {Convert.ToUInt32(f[2], 16)}{(optionBytes > 0 ? $" opts {optionBytes}B" : "")} | ", summary, StringComparison.Ordinal);
            Assert.Contains($" ipv4 {f[15].Split(',')[1]}>{f[16].Split(',')[1]} ", summary, StringComparison.Ordinal);
        }
    }
}
