using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// Issue 5's uplink replay: GENEVE frames captured on a node's uplink replay into the tunnel port of the
/// node they are addressed to; frames for another node are counted drops.
/// </summary>
public sealed class TunnelReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-tun-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Worker1s_uplink_capture_replays_into_worker2s_tunnel_port()
    {
        // worker1 sends the DNATed SYN through its tunnel: its antrea-tun0.pcap is the uplink capture.
        string input = Path.Combine(_dir, "gw.pcap");
        using (var w = PcapWriter.Create(input))
            w.WriteFrame(PacketBuilder.Tcp(MacAddress.Parse("4e:99:08:c1:53:be"), MacAddress.Parse("aa:bb:cc:dd:ee:ff"),
                Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 46490, 80, TcpFlags.Syn, seq: 7, ttl: 63), 1_000_000_000);
        string w1 = Path.Combine(_dir, "w1");
        var (code, _, err) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "antrea-gw0", input, "--out", w1, "--json");
        Assert.True(code == 0, err);
        string uplink = Path.Combine(w1, "antrea-tun0.pcap");
        Assert.True(File.Exists(uplink));

        var (code2, json, err2) = CliRunner.Run("replay", "--node", "worker2", "--in-port", "antrea-tun0", uplink, "--out", Path.Combine(_dir, "w2"), "--json");
        Assert.True(code2 == 0, err2);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(1, doc.RootElement.GetProperty("outputs").GetProperty("backend2-202ff6").GetInt64());
        using var reader = PacketFileReader.Open(Path.Combine(_dir, "w2", "backend2-202ff6.pcap"));
        Assert.True(reader.TryReadNext(out var f));
        FlowKey.Extract(f.Span, 0, out var key);
        Assert.Equal(MacAddress.Parse("c6:f4:b5:76:10:38"), key.DlDst);
        Assert.Equal(61, key.NwTtl);

        // The same capture replayed into worker1's own tunnel port: addressed to worker2, a counted drop.
        var (code3, json3, err3) = CliRunner.Run("replay", "--node", "worker1", "--in-port", "antrea-tun0", uplink, "--out", Path.Combine(_dir, "w1b"), "--json");
        Assert.True(code3 == 0, err3);
        using var doc3 = JsonDocument.Parse(json3);
        Assert.Equal(1, doc3.RootElement.GetProperty("drops").EnumerateObject().Sum(p => p.Value.GetInt64()));
        Assert.Empty(doc3.RootElement.GetProperty("outputs").EnumerateObject());
    }
}
