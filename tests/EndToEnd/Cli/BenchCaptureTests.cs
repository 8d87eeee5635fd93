using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `datapath bench FILE.pcap --node N --in-port P`: the articles' DNATed SYN path, established — 600 data frames of
/// 20 connections from antrea-gw0 to backend2 through worker1's tables to the tunnel — timed without writing outputs.
/// Every frame leaves on the tunnel, each table on the way (Classification 0 ... Output 110) is counted once per frame,
/// and the connections stay in worker1's zone 65520.
/// </summary>
public sealed class BenchCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-bench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("1")]
    [InlineData("2")]
    public void A_capture_through_worker1_is_timed_counted_and_per_table(string workers)
    {
        string capture = Path.Combine(_dir, "gw0.pcap");
        var gw = MacAddress.Parse("4e:99:08:c1:53:be");
        var vmac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
        using (var w = PcapWriter.Create(capture))
        {
            for (int c = 0; c < 20; c++)
                w.WriteFrame(PacketBuilder.Tcp(gw, vmac, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), (ushort)(40000 + c), 80, TcpFlags.Syn, ttl: 63), c * 1000L);
            for (int i = 0; i < 580; i++)
                w.WriteFrame(PacketBuilder.Tcp(gw, vmac, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), (ushort)(40000 + i % 20), 80, TcpFlags.Ack, payload: new byte[6], ttl: 63), 1_000_000L + i * 1000L);
        }

        var (code, output, error) = CliRunner.Run("bench", capture, "--node", "worker1", "--in-port", "antrea-gw0", "--workers", workers, "--json");

        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(600, r.GetProperty("frames").GetInt64());
        Assert.Equal(600, r.GetProperty("outputs").GetInt64());
        Assert.Equal(0, r.GetProperty("drops").GetInt64());
        Assert.True(r.GetProperty("frames_per_s").GetDouble() > 0);
        Assert.True(r.GetProperty("flow_cache").GetProperty("hit_rate").GetDouble() > 0.9);
        var conntrack = r.GetProperty("conntrack").EnumerateArray().Single(c => c.GetProperty("node").GetString() == "worker1" && c.GetProperty("table").GetString() == "bridge");
        Assert.Equal(20, conntrack.GetProperty("connections").GetInt32());
        var tables = r.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetInt32(), t => t.GetProperty("lookups").GetInt64());
        Assert.Equal(600, tables[0]);   // Classification
        Assert.Equal(600, tables[110]); // Output: to antrea-tun0
    }

    [Fact]
    public void Without_a_capture_or_a_node_bench_says_what_it_needs()
    {
        var (code, _, error) = CliRunner.Run("bench", "--node", "worker1");
        Assert.Equal(1, code);
        Assert.Contains("bench: give FILE.pcap --node N --in-port P", error, StringComparison.Ordinal);
        var (missing, _, err2) = CliRunner.Run("bench", Path.Combine(_dir, "none.pcap"), "--node", "worker1", "--in-port", "antrea-gw0");
        Assert.NotEqual(0, missing);
        Assert.Contains("none.pcap", err2, StringComparison.Ordinal);
    }
}
