using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `replay --ct-limit N`: past the limit a new connection cannot be committed, and its packets are dropped
/// and counted as ct-limit (Linux: "nf_conntrack: table full, dropping packet"); the connections already in
/// the table keep every packet.
/// </summary>
public sealed class ReplayCtLimitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-ctlimit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Connections_beyond_the_limit_are_dropped_and_established_ones_keep_flowing()
    {
        // 40 connections from antrea-gw0 to backend2 on worker2: SYN, then 4 data segments each, round robin.
        var gw = MacAddress.Parse("4e:99:08:c1:53:be");
        var src = Ipv4Address.Parse("10.222.1.1");
        var dst = Ipv4Address.Parse("10.222.2.34");
        string input = Path.Combine(_dir, "in.pcap");
        using (var w = PcapWriter.Create(input))
        {
            long t = 1_000_000_000;
            for (int round = 0; round < 5; round++)
            {
                for (ushort c = 0; c < 40; c++)
                {
                    var flags = round == 0 ? TcpFlags.Syn : TcpFlags.Ack | TcpFlags.Psh;
                    w.WriteFrame(PacketBuilder.Tcp(gw, MacAddress.Parse("aa:bb:cc:dd:ee:ff"), src, dst, (ushort)(40000 + c), 80, flags, seq: 1000u + (uint)round), t += 1000);
                }
            }
        }
        var (code, json, err) = CliRunner.Run(["replay", "--node", "worker1", "--in-port", "antrea-gw0", input, "--out", Path.Combine(_dir, "out"), "--ct-limit", "10", "--json"]);
        Assert.True(code == 0, err);
        var doc = JsonDocument.Parse(json).RootElement;
        Assert.Equal(30 * 5, doc.GetProperty("drops").GetProperty("ct-limit").GetInt64());
        Assert.Equal(10 * 5, doc.GetProperty("outputs").GetProperty("antrea-tun0").GetInt64());
        Assert.True(doc.GetProperty("balanced").GetBoolean());
    }

    [Fact]
    public void A_zone_limit_that_is_not_zone_equals_number_is_refused_in_words()
    {
        var (code, _, err) = CliRunner.Run(["replay", "--node", "worker1", "--in-port", "antrea-gw0", "x.pcap", "--out", _dir, "--ct-zone-limit", "65520:5"]);
        Assert.Equal(1, code);
        Assert.Contains("--ct-zone-limit: '65520:5' is not ZONE=N", err, StringComparison.Ordinal);
    }
}
