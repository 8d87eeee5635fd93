using System.Globalization;
using System.Text.Json;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `replay --cluster IN.pcapng --pcapng OUT.pcapng`: one file with every frame that leaves, in order, on an
/// interface per NODE/PORT (tshark as the judge), the same frames as the per-port pcaps of --out, and a file
/// `replay --cluster` reads back.
/// </summary>
public sealed class ReplayPcapngOutputTests : IDisposable
{
    private static readonly MacAddress Gw1 = MacAddress.Parse("4e:99:08:c1:53:be");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-pcapng-out-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void One_pcapng_holds_every_ports_frames_in_order_on_node_port_interfaces_and_replays_back()
    {
        string input = Path.Combine(_dir, "cluster.pcapng");
        using (var w = PcapngWriter.Create(input))
        {
            int gw = w.AddInterface("worker1/antrea-gw0");
            for (int i = 0; i < 2; i++)
            {
                w.WriteFrame(gw, PacketBuilder.Tcp(Gw1, MacAddress.Parse("aa:bb:cc:dd:ee:ff"), Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"),
                    (ushort)(56670 + i), 80, TcpFlags.Syn, seq: 5, ttl: 63), 1_700_000_000_123_456_789L + i * 1_000_000_000L);
            }
        }
        string outDir = Path.Combine(_dir, "ports");
        string output = Path.Combine(_dir, "out.pcapng");

        var (code, text, err) = CliRunner.Run("replay", "--cluster", input, "--out", outDir, "--pcapng", output);

        Assert.True(code == 0, err);
        Assert.Contains($"pcapng written to {output}", text, StringComparison.Ordinal);
        // Each SYN leaves worker1 as GENEVE on its tunnel port, then worker2 by backend2's port: in that order,
        // at the capture time of the SYN that caused it (nanoseconds kept).
        string[] lines = Tshark("-r", output, "-T", "fields", "-e", "frame.interface_name", "-e", "frame.time_epoch", "-e", "frame.len");
        Assert.Equal(
            [
                "worker1/antrea-tun0\t1700000000.123456789\t104",
                "worker2/backend2-202ff6\t1700000000.123456789\t54",
                "worker1/antrea-tun0\t1700000001.123456789\t104",
                "worker2/backend2-202ff6\t1700000001.123456789\t54",
            ],
            lines);
        // The same frames as the per-port pcaps (which keep microseconds).
        foreach (var (node, port) in new[] { ("worker1", "antrea-tun0"), ("worker2", "backend2-202ff6") })
        {
            Assert.Equal(Frames(Path.Combine(outDir, node, port + ".pcap")), Frames(output, $"{node}/{port}"));
        }

        // Read back: every frame enters where it left (GENEVE for worker2 on worker1's own tunnel port is a counted drop).
        var (code2, json, err2) = CliRunner.Run("replay", "--cluster", output, "--pcapng", Path.Combine(_dir, "again.pcapng"), "--json");
        Assert.True(code2 == 0, err2);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(4, doc.RootElement.GetProperty("frames_in").GetInt64());
        Assert.True(doc.RootElement.GetProperty("balanced").GetBoolean());
    }

    [Fact]
    public void Without_out_or_pcapng_the_command_says_what_to_give()
    {
        var (code, _, err) = CliRunner.Run("replay", "--cluster", Path.Combine(_dir, "none.pcapng"));

        Assert.Equal(1, code);
        Assert.Contains("error: datapath replay: --out or --pcapng is required: --out DIR for per-port pcaps, --pcapng OUT.pcapng for one file, or both", err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pcapng_path_that_is_a_directory_is_a_bad_argument()
    {
        string input = Path.Combine(_dir, "one.pcapng");
        using (var w = PcapngWriter.Create(input))
        {
            w.WriteFrame(w.AddInterface("worker1/antrea-gw0"), PacketBuilder.Tcp(Gw1, MacAddress.Parse("aa:bb:cc:dd:ee:ff"), Ipv4Address.Parse("10.222.1.48"),
                Ipv4Address.Parse("10.222.2.34"), 56670, 80, TcpFlags.Syn, seq: 5, ttl: 63), 1_000_000_000);
        }

        var (code, _, err) = CliRunner.Run("replay", "--cluster", input, "--pcapng", _dir);

        Assert.Equal(1, code);
        Assert.Contains($"--pcapng {_dir}: is a directory, not a file", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }

    private static List<string> Frames(string path, string? interfaceName = null)
    {
        var frames = new List<string>();
        using var reader = PacketFileReader.Open(path);
        while (reader.TryReadNext(out var f))
        {
            if (interfaceName is null || f.InterfaceName == interfaceName)
                frames.Add($"{(f.TimestampNanoseconds / 1000).ToString(CultureInfo.InvariantCulture)} {Convert.ToHexString(f.Span)}");
        }
        return frames;
    }

    private static string[] Tshark(params string[] args) =>
        ExternalTools.Run(ExternalTools.Require("tshark", "tshark"), args).Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
