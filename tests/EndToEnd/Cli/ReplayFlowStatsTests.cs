using System.Globalization;
using System.Text.RegularExpressions;
using Datapath.Io.Capture;
using Datapath.Packets;

namespace Datapath.EndToEnd.Tests.Cli;

/// <summary>
/// `replay --dump-flows` and `--dump-ports` as ovs-ofctl prints them after the capture has played: each flow
/// after OVS's leading space, `duration` and `idle_age` in the capture's own time (its frames' timestamps,
/// not the seconds the replay took), the ports in dump-ports' two-line form.
/// </summary>
public sealed partial class ReplayFlowStatsTests : IDisposable
{
    private static readonly MacAddress Frontend = MacAddress.Parse("be:2c:bf:e4:ec:c5");
    private static readonly MacAddress Gw1 = MacAddress.Parse("4e:99:08:c1:53:be");
    private static readonly Ipv4Address FrontendIp = Ipv4Address.Parse("10.222.1.48");
    private readonly string _dir = Directory.CreateTempSubdirectory("dp-flowstats-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The frontend's SYN to backendsvc at t = 100 s, its ARP for the gateway at t = 112.5 s: the capture spans
    /// 12.5 s, so every seed rule is 12.500 s old; Classification's rule for the frontend's port saw both (idle 0),
    /// SpoofGuard's IP rule only the SYN (idle 12), a rule no frame hit is idle since the start (12).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Duration_and_idle_age_are_measured_on_the_capture_s_timestamps(bool noCache)
    {
        string input = Path.Combine(_dir, "in.pcap");
        using (var w = PcapWriter.Create(input))
        {
            w.WriteFrame(PacketBuilder.Tcp(Frontend, Gw1, FrontendIp, Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Syn), 100_000_000_000);
            w.WriteFrame(PacketBuilder.Arp(1, Frontend, FrontendIp, MacAddress.Zero, Ipv4Address.Parse("10.222.1.1"), Frontend, MacAddress.Broadcast), 112_500_000_000);
        }
        string[] args = ["replay", "--node", "worker1", "--in-port", "frontend-a3ba2f", "--bridge-only", input, "--out", Path.Combine(_dir, "out"), "--dump-flows", "--dump-ports"];
        var (code, text, err) = CliRunner.Run(noCache ? [.. args, "--no-cache"] : args);
        Assert.True(code == 0, err);
        var flows = text.Split('\n').Where(l => l.Contains("cookie=", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(flows);
        Assert.All(flows, l => Assert.StartsWith(" cookie=0x", l, StringComparison.Ordinal));
        Assert.All(flows, l => Assert.Contains("duration=12.500s,", l, StringComparison.Ordinal));

        string classification = Single(flows, "table=0,", "in_port=\"frontend-a3ba2f\" ");
        Assert.Equal((2, 0), Stats(classification));
        string spoofGuardIp = Single(flows, "table=10,", "ip,in_port=\"frontend-a3ba2f\",dl_src=be:2c:bf:e4:ec:c5,nw_src=10.222.1.48 ");
        Assert.Equal((1, 12), Stats(spoofGuardIp));
        string spoofGuardArp = Single(flows, "table=10,", "arp,in_port=\"frontend-a3ba2f\",arp_spa=10.222.1.48,arp_sha=be:2c:bf:e4:ec:c5 ");
        Assert.Equal((1, 0), Stats(spoofGuardArp));
        Assert.All(flows.Where(l => l.Contains("n_packets=0,", StringComparison.Ordinal)), l => Assert.Equal(12, Stats(l).IdleAge));

        // dump-ports: ovs-ofctl's two lines per port; the frontend received both frames.
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("OFPST_PORT reply (node worker1, bridge br-int): ", StringComparison.Ordinal));
        int at = Array.FindIndex(lines, l => l.StartsWith("  port \"frontend-a3ba2f\": rx pkts=2, bytes=", StringComparison.Ordinal));
        Assert.True(at >= 0, text);
        Assert.EndsWith(", drop=0, errs=?, frame=?, over=?, crc=?", lines[at], StringComparison.Ordinal);
        Assert.Matches(@"^           tx pkts=\d+, bytes=\d+, drop=0, errs=\?, coll=\?$", lines[at + 1]);
    }

    private static string Single(List<string> flows, string table, string match)
        => Assert.Single(flows, l => l.Contains(table, StringComparison.Ordinal) && l.Contains(match, StringComparison.Ordinal));

    private static (long Packets, long IdleAge) Stats(string flow)
    {
        var m = StatsRegex().Match(flow);
        Assert.True(m.Success, flow);
        return (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"n_packets=(\d+), .*idle_age=(\d+),")]
    private static partial Regex StatsRegex();
}
