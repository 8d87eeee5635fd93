using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>`datapath replay`: per-port pcaps, and every frame in accounted for as an output or a drop.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private static readonly MacAddress Frontend = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Gw1 = MacAddress.Parse("4e:99:08:c1:53:be");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Syn(ushort sport) => PacketBuilder.Tcp(Frontend, Gw1, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"),
        sport, 80, TcpFlags.Syn, seq: 1000);

    [Fact]
    public void Frames_in_equal_outputs_plus_drops_and_each_port_gets_a_pcap()
    {
        string input = Path.Combine(_dir, "in.pcap");
        using (var w = PcapWriter.Create(input))
        {
            w.WriteFrame(Syn(40001), 1_000_000_000);
            w.WriteFrame(Syn(40002), 1_001_000_000);
            // spoofed source: table 10 drops it
            w.WriteFrame(PacketBuilder.Tcp(Frontend, Gw1, Ipv4Address.Parse("10.222.1.99"), Ipv4Address.Parse("10.104.65.133"), 40003, 80, TcpFlags.Syn), 1_002_000_000);
            // truncated frame
            w.WriteFrame(Syn(40004).AsSpan(0, 20), 1_003_000_000);
            // ARP request for the gateway: NORMAL floods it to the other local ports
            w.WriteFrame(PacketBuilder.Arp(1, Frontend, Ipv4Address.Parse("10.222.1.48"), MacAddress.Zero, Ipv4Address.Parse("10.222.1.1"), Frontend, MacAddress.Broadcast), 1_004_000_000);
        }
        string outDir = Path.Combine(_dir, "out");
        var (code, json, err) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", input, "--out", outDir, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        Assert.Equal(5, root.GetProperty("frames_in").GetInt64());
        long outputs = root.GetProperty("outputs").EnumerateObject().Sum(p => p.Value.GetInt64());
        long drops = root.GetProperty("drops").EnumerateObject().Sum(p => p.Value.GetInt64());
        long copies = root.TryGetProperty("copies", out var c) ? c.GetInt64() : 0;
        Assert.Equal(5, outputs + drops - copies);
        Assert.Equal(2, drops);
        Assert.True(root.GetProperty("balanced").GetBoolean());
        Assert.True(root.GetProperty("outputs").GetProperty("antrea-gw0").GetInt64() >= 2);

        // The pcap we wrote reads back with the SYNs unchanged (phase 1 leaves OVS byte-identical).
        using var reader = PacketFileReader.Open(Path.Combine(outDir, "antrea-gw0.pcap"));
        Assert.True(reader.TryReadNext(out var first));
        Assert.Equal(Syn(40001), first.Span.ToArray());
    }

    [Fact]
    public void Dump_conntrack_after_a_replay_prints_the_zone_65520_entries()
    {
        string input = Path.Combine(_dir, "syn.pcap");
        using (var w = PcapWriter.Create(input))
            w.WriteFrame(Syn(56670), 1_000_000_000);
        var (code, text, err) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "49", "--bridge-only", input, "--out", Path.Combine(_dir, "o"), "--dump-conntrack");
        Assert.True(code == 0, err);
        Assert.Contains("tcp,orig=(src=10.222.1.48,dst=10.104.65.133,sport=56670,dport=80)", text, StringComparison.Ordinal);
        Assert.Contains("zone=65520", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_replay_injects_each_frame_at_its_pcapng_interface()
    {
        string input = Path.Combine(_dir, "cluster.pcapng");
        using (var w = PcapngWriter.Create(input))
        {
            int gw = w.AddInterface("worker1/antrea-gw0");
            w.WriteFrame(gw, PacketBuilder.Tcp(Gw1, MacAddress.Parse("aa:bb:cc:dd:ee:ff"), Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"),
                56670, 80, TcpFlags.Syn, seq: 5, ttl: 63), 1_000_000_000);
        }
        string outDir = Path.Combine(_dir, "cl");
        var (code, json, err) = CliRunner.Run("replay", "--cluster", input, "--out", outDir, "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(1, doc.RootElement.GetProperty("outputs").GetProperty("worker2/backend2-202ff6").GetInt64());
        Assert.True(File.Exists(Path.Combine(outDir, "worker2", "backend2-202ff6.pcap")));
        // worker1's uplink carried the GENEVE frame: its tunnel port's capture holds it.
        Assert.Equal(1, doc.RootElement.GetProperty("tunnel_transits").GetProperty("worker1/antrea-tun0").GetInt64());
        using (var tun = PacketFileReader.Open(Path.Combine(outDir, "worker1", "antrea-tun0.pcap")))
        {
            Assert.True(tun.TryReadNext(out var g));
            Assert.Equal(54 + 50, g.Span.Length); // the 54-byte SYN plus outer Ethernet, IPv4, UDP and GENEVE
        }
        Assert.True(doc.RootElement.GetProperty("balanced").GetBoolean());
    }

    [Fact]
    public void A_cluster_capture_with_an_unknown_interface_is_an_input_error()
    {
        string input = Path.Combine(_dir, "bad.pcapng");
        using (var w = PcapngWriter.Create(input))
        {
            int i = w.AddInterface("worker7/eth0");
            w.WriteFrame(i, Syn(1), 1);
        }
        var (code, _, err) = CliRunner.Run("replay", "--cluster", input, "--out", Path.Combine(_dir, "x"));
        Assert.Equal(1, code);
        Assert.Contains("no node 'worker7'", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_capture_is_an_input_error_without_a_stack_trace()
    {
        var (code, _, err) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "49", Path.Combine(_dir, "nope.pcap"), "--out", _dir);
        Assert.Equal(1, code);
        Assert.Contains("no such file", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
