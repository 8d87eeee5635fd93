using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Datapath.Cli.Commands;
using Datapath.Geneve;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.Cli.Tests.Commands;

public class DecodeCommandTests
{
    private static (int Code, string Out, string Err) Decode(string path, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = DecodeCommand.Run(path, json, absoluteSequenceNumbers: false, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>tcpdump 4.99 -en is the judge: our text equals its text for every frame (TZ=UTC).</summary>
    [Fact]
    public void Decode_prints_what_tcpdump_en_prints()
    {
        string path = DecodeFrames.WritePcap(DecodeFrames.Mixed());
        try
        {
            string expected = Tcpdump(path);
            var (code, actual, stderr) = Decode(path);

            Assert.Equal(0, code);
            Assert.Equal("", stderr);
            string[] e = Lines(expected);
            string[] a = Lines(actual);
            Assert.Equal(DecodeFrames.Mixed().Count, e.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.Equal(e[i], a[i]);
            Assert.Equal(e.Length, a.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Tcpdump(string path)
    {
        string tcpdump = ExternalTools.Require("tcpdump", "tcpdump");
        var psi = new ProcessStartInfo(tcpdump) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-en", "-r", path })
            psi.ArgumentList.Add(arg);
        psi.Environment["TZ"] = "UTC";
        using var p = Process.Start(psi)!;
        string expected = p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err);
        return expected;
    }

    /// <summary>
    /// Calico's VXLAN (vxlan.calico: VNI 4096, UDP 4789) as tcpdump -en prints it: the outer frame, then
    /// "VXLAN, flags [I] (0x08), vni 4096" and, on the next line as tcpdump breaks it, the inner frame; a header
    /// without the I flag shows "flags [invalid]".
    /// </summary>
    [Fact]
    public void Vxlan_decodes_as_tcpdump_prints_it()
    {
        FlowKey tunnel = default;
        tunnel.TunSrc = Ipv4Address.Parse("10.79.1.201").Value;
        tunnel.TunDst = Ipv4Address.Parse("10.79.1.202").Value;
        tunnel.TunId = VxlanHeader.CalicoVni;
        byte[] inner = PacketBuilder.Tcp(MacAddress.Parse("66:a1:00:00:00:01"), MacAddress.Parse("66:a2:00:00:00:02"),
            Ipv4Address.Parse("10.244.1.5"), Ipv4Address.Parse("10.244.2.7"), 51000, 80, TcpFlags.Syn, 1, 0, 64240, DecodeFrames.SynOptions(7));
        var buffer = new byte[200];
        Assert.True(VxlanEncapsulator.TryEncapsulate(inner, in tunnel, DecodeFrames.Client, DecodeFrames.Gateway, buffer, out int n));
        byte[] vxlan = buffer[..n];
        byte[] noFlag = (byte[])vxlan.Clone();
        noFlag[42] = 0;
        string path = DecodeFrames.WritePcap([vxlan, noFlag]);
        try
        {
            string expected = Tcpdump(path);
            var (code, actual, stderr) = Decode(path);
            Assert.True(code == 0, stderr);
            Assert.Contains("VXLAN, flags [I] (0x08), vni 4096\n66:a1:00:00:00:01 > 66:a2:00:00:00:02", expected, StringComparison.Ordinal);
            Assert.Equal(expected, actual);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The seed's tcpdump lines (cluster.yaml `packets:`, printed without -e's "ethertype" and the trailing length).</summary>
    [Theory]
    [InlineData("geneve_on_ens160")]
    public void Decode_of_the_seed_geneve_frame_shows_the_geneve_header_and_the_inner_frame(string seedKey)
    {
        string seedLine = SeedPacketLine(seedKey);
        string path = DecodeFrames.WritePcap([DecodeFrames.Geneve(0, false, [])]);
        try
        {
            var (code, output, _) = Decode(path);
            Assert.Equal(0, code);
            string line = Assert.Single(Lines(output));
            string expected = seedLine.Replace(", IPv4, length", ", ethertype IPv4 (0x0800), length", StringComparison.Ordinal) + ", length 0";
            Assert.Equal(expected, line[16..]); // after "HH:MM:SS.ffffff "
            Assert.Contains("Geneve, Flags [none], vni 0x0, proto TEB (0x6558): 4e:99:08:c1:53:be > aa:bb:cc:dd:ee:ff", line, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Geneve_options_and_flags_are_shown()
    {
        string path = DecodeFrames.WritePcap([DecodeFrames.Geneve(0x1234, true, [0xff, 0xff, 0x00, 0x01, 0, 0, 0, 5])]);
        try
        {
            var (_, output, _) = Decode(path);
            Assert.Contains("Geneve, Flags [C], vni 0x1234, proto TEB (0x6558), options [8 bytes]: ", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Json_lines_carry_the_flowkey_fields_by_their_ovs_names()
    {
        string path = DecodeFrames.WritePcap(DecodeFrames.Mixed(), PcapTimestampResolution.Nanosecond);
        try
        {
            var (code, output, _) = Decode(path, json: true);
            Assert.Equal(0, code);
            string[] lines = Lines(output);
            Assert.Equal(DecodeFrames.Mixed().Count, lines.Length);

            using var syn = JsonDocument.Parse(lines[0]);
            var s = syn.RootElement;
            Assert.Equal(1, s.GetProperty("frame").GetInt32());
            Assert.Equal(DecodeFrames.Timestamp(0), s.GetProperty("time_ns").GetInt64());
            Assert.Equal(74, s.GetProperty("length").GetInt32());
            Assert.Equal("be:2c:bf:e4:ec:c5", s.GetProperty("dl_src").GetString());
            Assert.Equal("4e:99:08:c1:53:be", s.GetProperty("dl_dst").GetString());
            Assert.Equal("0x0800", s.GetProperty("dl_type").GetString());
            Assert.Equal("10.222.1.48", s.GetProperty("nw_src").GetString());
            Assert.Equal("10.104.65.133", s.GetProperty("nw_dst").GetString());
            Assert.Equal(6, s.GetProperty("nw_proto").GetInt32());
            Assert.Equal(64, s.GetProperty("nw_ttl").GetInt32());
            Assert.Equal("no", s.GetProperty("nw_frag").GetString());
            Assert.Equal(56670, s.GetProperty("tp_src").GetInt32());
            Assert.Equal(80, s.GetProperty("tp_dst").GetInt32());
            Assert.Equal("syn", s.GetProperty("tcp_flags").GetString());
            Assert.False(s.TryGetProperty("arp_op", out _));
            Assert.False(s.TryGetProperty("reg0", out _));
            Assert.False(s.TryGetProperty("icmp_type", out _));

            using var synAck = JsonDocument.Parse(lines[1]);
            Assert.Equal("syn|ack", synAck.RootElement.GetProperty("tcp_flags").GetString());

            using var arp = JsonDocument.Parse(lines[10]);
            var r = arp.RootElement;
            Assert.Equal(1, r.GetProperty("arp_op").GetInt32());
            Assert.Equal("10.0.0.2", r.GetProperty("arp_spa").GetString());
            Assert.Equal("10.0.0.1", r.GetProperty("arp_tpa").GetString());
            Assert.Equal("be:2c:bf:e4:ec:c5", r.GetProperty("arp_sha").GetString());
            Assert.False(r.TryGetProperty("nw_src", out _));
            Assert.False(r.TryGetProperty("tp_src", out _));

            using var icmp = JsonDocument.Parse(lines[8]);
            Assert.Equal(8, icmp.RootElement.GetProperty("icmp_type").GetInt32());
            Assert.Equal(0, icmp.RootElement.GetProperty("icmp_code").GetInt32());
            Assert.False(icmp.RootElement.TryGetProperty("tp_src", out _));

            using var vlan = JsonDocument.Parse(lines[12]);
            Assert.Equal("0x700a", vlan.RootElement.GetProperty("vlan_tci").GetString()); // p 3, CFI, vid 10 as OVS encodes it

            using var v6 = JsonDocument.Parse(lines[14]);
            Assert.Equal("2001:db8::1", v6.RootElement.GetProperty("ipv6_src").GetString());
            Assert.Equal(443, v6.RootElement.GetProperty("tp_dst").GetInt32());
            Assert.False(v6.RootElement.TryGetProperty("nw_src", out _));

            using var nd = JsonDocument.Parse(lines[17]);
            Assert.Equal(135, nd.RootElement.GetProperty("icmpv6_type").GetInt32());
            Assert.Equal("fe80::2", nd.RootElement.GetProperty("nd_target").GetString());
            Assert.Equal("be:2c:bf:e4:ec:c5", nd.RootElement.GetProperty("nd_sll").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Json_of_a_geneve_frame_has_the_header_and_the_inner_flow_with_tunnel_fields()
    {
        string path = DecodeFrames.WritePcap([DecodeFrames.Geneve(0x1234, true, [0xff, 0xff, 0x00, 0x01, 0, 0, 0, 5])]);
        try
        {
            var (_, output, _) = Decode(path, json: true);
            using var doc = JsonDocument.Parse(Assert.Single(Lines(output)));
            var root = doc.RootElement;
            Assert.Equal(6081, root.GetProperty("tp_dst").GetInt32());
            var g = root.GetProperty("geneve");
            Assert.Equal("0x1234", g.GetProperty("vni").GetString());
            Assert.True(g.GetProperty("critical").GetBoolean());
            var opt = Assert.Single(g.GetProperty("options").EnumerateArray().ToList());
            Assert.Equal("0xffff", opt.GetProperty("class").GetString());
            Assert.Equal("00000005", opt.GetProperty("data").GetString());
            var inner = root.GetProperty("inner");
            Assert.Equal("0x1234", inner.GetProperty("tun_id").GetString());
            Assert.Equal("10.79.1.201", inner.GetProperty("tun_src").GetString());
            Assert.Equal("10.79.1.202", inner.GetProperty("tun_dst").GetString());
            Assert.Equal("10.222.2.34", inner.GetProperty("nw_dst").GetString());
            Assert.Equal(46490, inner.GetProperty("tp_src").GetInt32());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Geneve_over_an_ipv6_outer_shows_tun_ipv6_src_and_dst_in_json_and_text()
    {
        var tun = default(Datapath.Packets.FlowKey);
        tun.TunIpv6Src = Datapath.Packets.Ipv6Address.Parse("fd00:79::201");
        tun.TunIpv6Dst = Datapath.Packets.Ipv6Address.Parse("fd00:79::202");
        tun.TunId = 0x77;
        byte[] inner = DecodeFrames.Geneve(0, false, [])[50..];
        var frame = new byte[512];
        Assert.True(Datapath.Geneve.GeneveEncapsulator.TryEncapsulate(inner, in tun, Datapath.Geneve.TlvMap.Empty,
            DecodeFrames.Gateway, DecodeFrames.PodB, frame, out int n));
        string path = DecodeFrames.WritePcap([frame[..n]]);
        try
        {
            var (_, output, _) = Decode(path, json: true);
            using var doc = JsonDocument.Parse(Assert.Single(Lines(output)));
            var root = doc.RootElement;
            Assert.Equal("fd00:79::202", root.GetProperty("ipv6_dst").GetString());
            Assert.Equal("0x77", root.GetProperty("geneve").GetProperty("vni").GetString());
            var innerJson = root.GetProperty("inner");
            Assert.Equal("fd00:79::201", innerJson.GetProperty("tun_ipv6_src").GetString());
            Assert.Equal("fd00:79::202", innerJson.GetProperty("tun_ipv6_dst").GetString());
            Assert.False(innerJson.TryGetProperty("tun_src", out _));
            Assert.Equal("10.222.2.34", innerJson.GetProperty("nw_dst").GetString());

            var (code, text, _) = Decode(path);
            Assert.Equal(0, code);
            Assert.Contains("fd00:79::201.", text, StringComparison.Ordinal);
            Assert.Contains("Geneve, Flags [none], vni 0x77, proto TEB (0x6558)", text, StringComparison.Ordinal);
            Assert.Contains("10.222.1.48.46490 > 10.222.2.34.80", text, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Missing_file_is_exit_code_1_with_a_clear_message()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.pcap");
        var (code, output, stderr) = Decode(path);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {path}: no such file\n", stderr.ReplaceLineEndings("\n"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_file_prints_the_frames_before_the_fault_then_the_offset(bool json)
    {
        var frames = DecodeFrames.Mixed().Take(3).ToList();
        string path = DecodeFrames.WritePcap(frames);
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            long third = 24 + 16 + frames[0].Length + 16 + frames[1].Length;
            File.WriteAllBytes(path, bytes[..(int)(third + 20)]);

            var (code, output, stderr) = Decode(path, json);

            Assert.Equal(1, code);
            Assert.Equal(2, Lines(output).Length);
            Assert.Equal($"error: {path}: offset {third}: truncated record: needs {16 + frames[2].Length} bytes, file ends after 20\n",
                stderr.ReplaceLineEndings("\n"));
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Not_a_capture_file_is_exit_code_1()
    {
        string path = Path.Combine(Path.GetTempPath(), $"datapath-decode-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "hello, this is text");
        try
        {
            var (code, _, stderr) = Decode(path);
            Assert.Equal(1, code);
            Assert.StartsWith($"error: {path}: offset 0: not a pcap or pcapng file", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Pcapng_files_decode_too()
    {
        string path = Path.Combine(Path.GetTempPath(), $"datapath-decode-{Guid.NewGuid():N}.pcapng");
        try
        {
            using (var w = PcapngWriter.Create(path))
            {
                w.AddInterface("antrea-gw0");
                w.AddInterface("ens160");
                w.WriteFrame(0, DecodeFrames.Mixed()[0], DecodeFrames.Timestamp(0));
                w.WriteFrame(1, DecodeFrames.Geneve(0, false, []), DecodeFrames.Timestamp(1));
            }
            var (code, output, _) = Decode(path, json: true);
            Assert.Equal(0, code);
            string[] lines = Lines(output);
            Assert.Contains("\"interface\":\"antrea-gw0\"", lines[0], StringComparison.Ordinal);
            Assert.Contains("\"interface\":\"ens160\"", lines[1], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_decode_command_is_wired_into_the_command_line()
    {
        string path = DecodeFrames.WritePcap([DecodeFrames.Mixed()[0]]);
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CommandLine.Build().Parse(["decode", path]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
            Assert.Equal(0, code);
            Assert.Contains("10.222.1.48.56670 > 10.104.65.133.80: Flags [S], seq 569506855, win 64860", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Reads a line of `packets:` from the scenario shipped in the repo (src/Antrea/Scenario/cluster.yaml).</summary>
    private static string SeedPacketLine(string key)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Datapath.sln")))
            dir = dir.Parent;
        Assert.NotNull(dir);
        string yaml = File.ReadAllText(Path.Combine(dir.FullName, "src", "Antrea", "Scenario", "cluster.yaml"));
        string prefix = $"  {key}: \"";
        int at = yaml.IndexOf(prefix, StringComparison.Ordinal);
        Assert.True(at >= 0, $"cluster.yaml has no packets.{key}");
        int start = at + prefix.Length;
        return yaml[start..yaml.IndexOf('"', start)];
    }
}
