using Datapath.Antrea;
using Datapath.Packets;

namespace Datapath.Engine.Tests.Seed;

/// <summary>dump-flows of the loaded seed bridges, and a replay of random frames where every frame is accounted for.</summary>
public sealed class SeedBridgeTests
{
    private static string[] ScenarioFlowLines(AntreaScenario s, string file)
        => [.. s.ReadFile(file)!.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#')];

    [Theory]
    [InlineData("worker1")]
    [InlineData("worker2")]
    public void Dump_flows_without_stats_prints_the_loaded_file(string node)
    {
        var s = AntreaScenario.LoadEmbedded();
        var dumped = s.GetNode(node).Bridge.DumpFlows(withStats: false).ToArray();
        Assert.Equal(ScenarioFlowLines(s, node + ".flows"), dumped);
    }

    [Fact]
    public void Dump_flows_with_stats_counts_packets_per_rule()
    {
        var s = AntreaScenario.LoadEmbedded();
        var w1 = s.GetNode("worker1");
        w1.Process(49, SeedFrames.Phase1Syn(), null, 1000);
        var lines = w1.Bridge.DumpFlows(withStats: true).ToArray();
        var plain = ScenarioFlowLines(s, "worker1.flows");
        Assert.Equal(plain.Length, lines.Length);
        string t0 = lines.Single(l => l.Contains("priority=190,in_port=\"frontend-a3ba2f\" actions=", StringComparison.Ordinal));
        Assert.Contains("n_packets=1, n_bytes=74", t0, StringComparison.Ordinal);
        for (int i = 0; i < lines.Length; i++)
            Assert.Contains("n_packets=", lines[i], StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_of_random_frames_accounts_for_every_frame()
    {
        var s = AntreaScenario.LoadEmbedded();
        var w1 = s.GetNode("worker1");
        var rng = new Random(20261122);
        var ports = w1.Bridge.Ports.Select(p => p.OfPort).ToArray();
        var macs = new[] { "be:2c:bf:e4:ec:c5", "4e:99:08:c1:53:be", "f2:32:d8:07:e2:a6", "aa:bb:cc:dd:ee:ff", "02:00:00:00:00:01" }.Select(MacAddress.Parse).ToArray();
        var ips = new[] { "10.222.1.48", "10.222.1.47", "10.104.65.133", "10.222.2.34", "10.222.1.99", "10.96.0.10", "10.222.1.1" }.Select(Ipv4Address.Parse).ToArray();
        var sink = new CountingSink();
        const int N = 100_000;
        int withOutput = 0, dropped = 0;
        long outputsByVerdict = 0;
        for (int i = 0; i < N; i++)
        {
            byte[] f = (rng.Next(6)) switch
            {
                0 or 1 => PacketBuilder.Tcp(macs[rng.Next(macs.Length)], macs[rng.Next(macs.Length)], ips[rng.Next(ips.Length)], ips[rng.Next(ips.Length)],
                    (ushort)rng.Next(1024, 65535), rng.Next(2) == 0 ? (ushort)80 : (ushort)rng.Next(1, 65535), (TcpFlags)rng.Next(0, 0x40), ttl: (byte)rng.Next(0, 4)),
                2 => PacketBuilder.Udp(macs[rng.Next(macs.Length)], macs[rng.Next(macs.Length)], ips[rng.Next(ips.Length)], ips[rng.Next(ips.Length)], (ushort)rng.Next(1, 65535), 53),
                3 => PacketBuilder.Arp((ushort)rng.Next(1, 3), macs[rng.Next(macs.Length)], ips[rng.Next(ips.Length)], MacAddress.Zero, ips[rng.Next(ips.Length)], macs[rng.Next(macs.Length)], MacAddress.Broadcast),
                4 => NonIp(rng),
                _ => Truncate(PacketBuilder.Tcp(macs[0], macs[1], ips[0], ips[2], 1000, 80, TcpFlags.Syn), rng),
            };
            uint port = rng.Next(20) == 0 ? 77u : ports[rng.Next(ports.Length)];
            var v = w1.Process(port, f, sink, i);
            outputsByVerdict += v.Outputs;
            if (v.Outputs > 0)
                withOutput++;
            else
                dropped++;
        }
        Assert.Equal(N, withOutput + dropped);
        Assert.Equal(dropped, w1.Bridge.Drops.Total);
        long rx = w1.Bridge.Ports.Sum(p => p.Counters.RxPackets);
        long ingressMissing = w1.Bridge.Drops.Get(DropReason.IngressPortMissing);
        Assert.Equal(N, rx + ingressMissing);
        Assert.Equal(sink.Count, w1.Bridge.Ports.Sum(p => p.Counters.TxPackets));
        Assert.True(w1.Bridge.Drops.Get(DropReason.Malformed) > 0);
        Assert.True(w1.Bridge.Drops.Get(10, DropReason.ExplicitDrop) > 0);
        Assert.True(withOutput > 0);
        // Every copy a verdict reports reached the sink, and no other frame did.
        Assert.Equal(sink.Count, outputsByVerdict);
    }

    private static byte[] NonIp(Random rng)
    {
        var f = new byte[60];
        rng.NextBytes(f);
        f[12] = 0x88;
        f[13] = 0xcc;    // LLDP
        return f;
    }

    private static byte[] Truncate(byte[] f, Random rng) => f[..rng.Next(0, 54)];

    private sealed class CountingSink : IPacketSink
    {
        public long Count { get; private set; }

        public void Output(Node node, BridgePort port, ReadOnlySpan<byte> frame) => Count++;
    }
}
