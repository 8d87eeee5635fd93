using System.Text.Json;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath demo`: the articles' walk on the embedded seed lab, end to end.</summary>
public class DemoCommandTests
{
    [Fact]
    public void Demo_walks_every_phase_and_the_SYN_reaches_backend2()
    {
        var (code, json, err) = CliRunner.Run("demo", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var phases = doc.RootElement.GetProperty("phases").EnumerateArray().ToArray();
        Assert.True(phases.Length >= 6);
        var outputs = phases.SelectMany(p => p.GetProperty("trace").GetProperty("verdict").GetProperty("outputs").EnumerateArray())
            .Select(o => $"{o.GetProperty("node").GetString()}/{o.GetProperty("port").GetString()}").ToArray();
        Assert.Contains("worker2/backend2-202ff6", outputs);
        // Phase 4: the SYN-ACK comes back through worker1's host, un-DNATed, to the frontend.
        Assert.Contains("worker1/frontend-a3ba2f", outputs);
        var steps = phases[0].GetProperty("trace").GetProperty("steps").EnumerateArray().ToArray();
        var netfilter = steps.Where(s => s.GetProperty("kind").GetString() == "netfilter").ToArray();
        Assert.NotEmpty(netfilter);
        Assert.All(netfilter, s =>
        {
            Assert.Equal("worker1", s.GetProperty("node").GetString());
            Assert.True(s.TryGetProperty("table", out _));
            Assert.True(s.TryGetProperty("chain", out _));
            Assert.True(s.TryGetProperty("rule", out _));
            Assert.True(s.TryGetProperty("verdict", out _));
        });
        Assert.Contains(netfilter, s => s.GetProperty("chain").GetString() == "KUBE-SERVICES");
        Assert.Contains(steps, s => s.GetProperty("kind").GetString() == "route");
    }

    /// <summary>
    /// `demo --out DIR`: tshark reads the first phase's capture as frontend SYN in on worker1/frontend-a3ba2f and
    /// the DNATed SYN out on worker2/backend2-202ff6, with good checksums, PacketDotNet reads the same headers, and
    /// `replay --cluster` of phases.pcapng delivers it there too.
    /// </summary>
    [Fact]
    public void Demo_out_writes_captures_tshark_reads_and_replay_replays()
    {
        string dir = Directory.CreateTempSubdirectory("dp-demo-").FullName;
        try
        {
            var (code, text, err) = CliRunner.Run("demo", "--no-frames", "--out", dir);
            Assert.True(code == 0, err);
            Assert.Contains("phases.pcapng", text, StringComparison.Ordinal);
            string first = Directory.GetFiles(dir, "01-*.pcapng").Single();
            Assert.EndsWith("01-phases-1-3-the-frontend-s-syn-to-backendsvc-10-1.pcapng", first, StringComparison.Ordinal);
            var lines = Tshark.Fields(first, null, "frame.interface_name", "ip.src", "ip.dst", "tcp.flags.syn", "ip.ttl", "tcp.srcport", "tcp.dstport",
                "ip.checksum.status", "tcp.checksum.status");
            Assert.StartsWith("worker1/frontend-a3ba2f\t10.222.1.48\t10.104.65.133", lines[0], StringComparison.Ordinal);
            Assert.Contains(lines.Skip(1), l => l.StartsWith("worker2/backend2-202ff6\t10.222.1.48\t10.222.2.34", StringComparison.Ordinal));
            // The two judges agree: tshark finds both checksums good (status 1) and PacketDotNet reads the same headers.
            var secondJudge = CaptureJudge.AssertCapture(first);
            Assert.Equal(lines.Length, secondJudge.Count);
            foreach (var (line, summary) in lines.Zip(secondJudge))
            {
                var f = line.Split('\t');
                Assert.Equal(["1", "1"], f[7..9]);
                Assert.Contains($" ipv4 {f[1]}>{f[2]} ttl {f[4]} tcp {f[5]}>{f[6]} [{(f[3] == "1" ? "S" : "")}", summary, StringComparison.Ordinal);
            }

            string replayed = Path.Combine(dir, "replayed");
            var (rc, _, rerr) = CliRunner.Run("replay", "--cluster", Path.Combine(dir, "phases.pcapng"), "--out", replayed);
            Assert.True(rc == 0, rerr);
            Assert.True(File.Exists(Path.Combine(replayed, "worker2", "backend2-202ff6.pcap")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Text_demo_prints_the_phases()
    {
        var (code, text, err) = CliRunner.Run("demo", "--no-frames");
        Assert.True(code == 0, err);
        Assert.Contains("Phase 4", text, StringComparison.Ordinal);
        Assert.Contains("node worker2", text, StringComparison.Ordinal);
        Assert.Contains("KUBE-SVC-EKL7ZEFK3VFJKKGJ", text, StringComparison.Ordinal);
        Assert.Contains("10.222.2.1", text, StringComparison.Ordinal);
    }
}
