using System.Text.RegularExpressions;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Geneve.Tests;

/// <summary>GeneveFormatter prints what tcpdump -e (and -ev) print for the same frames.</summary>
public sealed class TcpdumpJudgeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("geneve-tcpdump-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Formats_the_geneve_header_as_tcpdump_does()
    {
        string tcpdump = ExternalTools.Require("tcpdump", "tcpdump");
        var rng = new Random(5);
        ushort[] classes = [0x0000, 0x0042, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x1234, 0xFFFF];
        ushort[] protos = [EtherTypes.TransparentEthernetBridging, EtherTypes.IPv4, EtherTypes.IPv6];
        var payloads = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            var buf = new byte[512];
            int pos = GeneveHeader.Length;
            int count = i % 4;
            for (int k = 0; k < count; k++)
            {
                GeneveOption.TryWrite(buf.AsSpan(pos), classes[rng.Next(classes.Length)], (byte)rng.Next(256), new byte[4 * rng.Next(0, 3)], out int w);
                pos += w;
            }
            ushort proto = protos[i % protos.Length];
            GeneveHeader.TryWrite(buf, (uint)rng.Next(0, 1 << 24), proto, (pos - GeneveHeader.Length) / 4, rng.Next(2) == 0, rng.Next(2) == 0, out _);
            var inner = proto == EtherTypes.TransparentEthernetBridging ? SeedFrames.InnerSyn()
                : proto == EtherTypes.IPv4 ? SeedFrames.InnerSyn()[14..]
                : PacketBuilder.Udp6(MacAddress.Zero, MacAddress.Zero, Ipv6Address.Parse("fd00::1"), Ipv6Address.Parse("fd00::2"), 1, 2)[14..];
            inner.CopyTo(buf.AsSpan(pos));
            payloads.Add(buf[..(pos + inner.Length)]);
        }
        string pcap = Path.Combine(_dir, "g.pcap");
        using (var writer = PcapWriter.Create(pcap))
        {
            var frame = new byte[1024];
            foreach (var p in payloads)
            {
                var outer = new GeneveOuterFields { Source = SeedFrames.Worker1Ip, Destination = SeedFrames.Worker2Ip, Ttl = 64, UdpSource = 50000, UdpDestination = 6081, UdpChecksum = true };
                Assert.True(GeneveOuterFrame.TryWrap(p, in outer, frame, out int n));
                writer.WriteFrame(frame.AsSpan(0, n), 0);
            }
        }

        var plain = GenevePart(ExternalTools.Run(tcpdump, "-en", "-r", pcap));
        var verbose = GenevePart(ExternalTools.Run(tcpdump, "-env", "-r", pcap));
        Assert.Equal(payloads.Count, plain.Count);
        Assert.Equal(payloads.Count, verbose.Count);
        for (int i = 0; i < payloads.Count; i++)
        {
            Assert.Equal(plain[i], GeneveFormatter.Format(payloads[i]));
            Assert.Equal(verbose[i], GeneveFormatter.Format(payloads[i], verbose: true));
        }
    }

    [Fact]
    public void Truncated_headers_print_as_tcpdump_marks_them()
    {
        Assert.Equal("Geneve [|geneve]", GeneveFormatter.Format(Hex.Parse("00 00 65")));
        Assert.Equal("Geneve, Flags [none], vni 0x0, proto TEB (0x6558)", GeneveFormatter.Format(Hex.Parse("00 00 65 58 00 00 00 00")));
    }

    /// <summary>"Geneve, ..." up to the ": " that starts the payload (or the line's end), one per frame.</summary>
    private static List<string> GenevePart(string output)
        => Regex.Matches(output, @"Geneve, [^\n]*?(?=: |\n|$)").Select(m => m.Value.TrimEnd()).ToList();
}
