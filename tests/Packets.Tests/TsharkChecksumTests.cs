namespace Datapath.Packets.Tests;

/// <summary>
/// Checksums judged by tshark: every frame PacketBuilder makes, and frames rewritten by
/// PacketEditor (incremental RFC 1624 updates), are written to a pcap and tshark, with checksum
/// validation on, must call every IPv4/TCP/UDP/ICMP/ICMPv6 checksum good (status 1).
/// </summary>
public class TsharkChecksumTests
{
    private static readonly string[] Fields = ["ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
        "icmp.checksum.status", "icmpv6.checksum.status"];

    [TsharkFact]
    public void Built_frames_have_good_checksums()
    {
        var names = TestFrames.All.Keys.ToList();
        var frames = names.Select(n => TestFrames.All[n]()).ToList();
        Judge(frames, names);
    }

    [TsharkFact]
    public void Rewritten_frames_have_good_checksums()
    {
        var rnd = new Random(11);
        var frames = new List<byte[]>();
        var names = new List<string>();
        foreach (var (name, make) in TestFrames.All)
        {
            for (int i = 0; i < 10; i++)
            {
                byte[] f = make();
                FlowKey.Extract(f, 1, out var k);
                var m = k;
                if (k.IsIpv4 && !k.IsArp)
                {
                    m.NwSrc = (uint)rnd.NextInt64();
                    m.NwDst = (uint)rnd.NextInt64();
                }
                else if (k.IsIpv6)
                {
                    m.Ipv6Src = new Ipv6Address((ulong)rnd.NextInt64(), (ulong)rnd.NextInt64());
                    m.Ipv6Dst = new Ipv6Address(k.Ipv6DstHi, (ulong)rnd.NextInt64());
                }
                if (k.IsIp)
                {
                    m.NwTtl = (byte)rnd.Next(1, 256);
                    m.NwTos = (byte)(rnd.Next(256) & 0xfc);
                    if (k.Layout.L4Offset != 0 && k.NwProto is IpProtocols.Tcp or IpProtocols.Udp)
                    {
                        m.TpSrc = (ushort)rnd.Next(65536);
                        m.TpDst = (ushort)rnd.Next(1, 1024);   // keep tshark from re-dissecting as GENEVE and the like
                    }
                }
                PacketEditor.ApplyKey(f, k, m);
                frames.Add(f);
                names.Add($"{name} rewrite {i}");
            }
        }
        Judge(frames, names);
    }

    private static void Judge(List<byte[]> frames, List<string> names)
    {
        string dir = Directory.CreateTempSubdirectory("packets-tshark-").FullName;
        try
        {
            string pcap = Path.Combine(dir, "frames.pcap");
            PcapTestWriter.Write(pcap, frames);
            var args = new List<string> { "-r", pcap, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-o", "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=/t", "-e", "frame.number" };
            foreach (var f in Fields)
            {
                args.Add("-e");
                args.Add(f);
            }
            string output = Tshark.Run([.. args]);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(frames.Count, lines.Length);
            int judged = 0;
            for (int i = 0; i < lines.Length; i++)
            {
                var cols = lines[i].Split('\t');
                FlowKey.Extract(frames[i], 1, out var k);
                // Fragments carry no checkable transport checksum (ours have random or zero L4 bytes): judge only IP.
                int lastColumn = k.NwFrag != 0 ? 1 : cols.Length - 1;
                for (int c = 1; c <= lastColumn; c++)
                {
                    foreach (var status in cols[c].Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        Assert.True(status == "1", $"{names[i]}: tshark says {Fields[c - 1]} = {status} (0 bad, 2 unverified)\n{Convert.ToHexString(frames[i])}");
                        judged++;
                    }
                }
                // Whatever we expect to be checked was checked.
                if (k.IsIpv4)
                    Assert.False(string.IsNullOrEmpty(cols[1]), $"{names[i]}: tshark did not check the IPv4 header");
                bool l4 = k.NwFrag == 0 && k.Layout.Flags.HasFlag(ParseFlags.L4Complete);
                if (l4 && k.NwProto == IpProtocols.Tcp)
                    Assert.False(string.IsNullOrEmpty(cols[2]), $"{names[i]}: no TCP checksum verdict");
                if (l4 && k.NwProto == IpProtocols.Udp && k.IsIpv6)
                    Assert.False(string.IsNullOrEmpty(cols[3]), $"{names[i]}: no UDP checksum verdict");
                if (l4 && k.NwProto == IpProtocols.Icmpv6)
                    Assert.False(string.IsNullOrEmpty(cols[5]), $"{names[i]}: no ICMPv6 checksum verdict");
            }
            Assert.True(judged > frames.Count, "tshark judged too few checksums");
            // The second judge: PacketDotNet reads each frame as our parser does, with good checksums.
            for (int i = 0; i < frames.Count; i++)
                PacketJudge.AssertValid(frames[i], $"{pcap} frame {i} ({names[i]})");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
