using BenchmarkDotNet.Attributes;
using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// The fast path: worker1 of the seed scenario with its flow cache, one core, established 64-byte
/// TCP (60 bytes without the FCS). The main case is antrea-gw0 → the tunnel (the DNATed frame of
/// the articles' phase 2, 10.222.1.48 → backend2 10.222.2.34 with the global virtual MAC): two
/// cached passes (tables 0/10/30 → ct(zone=65520) → 31/40/50/70/105/110: dec_ttl, tun_dst, output),
/// one ct() lookup of an established connection, and the GENEVE encapsulation with its UDP checksum. Frames are run in
/// batches of 32 (Node.Batch: rule stats pushed once per batch, as dpif-netdev does). The baseline
/// is the same frame on the slow path.
/// </summary>
[MemoryDiagnoser]
public class FastPathBenchmarks
{
    internal const int FramesPerInvoke = 1024;
    private const int BatchSize = 32;
    private Node _cached = null!;
    private Node _slow = null!;
    private byte[] _gwToTunnel = null!;
    private byte[] _podToService = null!;

    [GlobalSetup]
    public void Setup()
    {
        _cached = AntreaScenario.LoadEmbedded().GetNode("worker1");
        _slow = AntreaScenario.LoadEmbedded().GetNode("worker1");
        _slow.UseFlowCache = false;
        var gw = MacAddress.Parse("4e:99:08:c1:53:be");
        var vmac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
        var fe = MacAddress.Parse("be:2c:bf:e4:ec:c5");
        byte[] pad = new byte[6];
        _gwToTunnel = PacketBuilder.Tcp(gw, vmac, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 56670, 80, TcpFlags.Ack, payload: pad, ttl: 63);
        _podToService = PacketBuilder.Tcp(fe, gw, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Ack, payload: pad);
        var syn = PacketBuilder.Tcp(gw, vmac, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.222.2.34"), 56670, 80, TcpFlags.Syn, ttl: 63);
        foreach (var n in new[] { _cached, _slow })
        {
            n.Process(2, syn, null, 0);
            for (int i = 0; i < 1000; i++)
            {
                if (n.Process(2, _gwToTunnel, null, i).Outputs != 1 || n.Process(49, _podToService, null, i).Outputs != 1)
                    throw new InvalidOperationException("the benchmark frames do not reach their ports");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cached.Dispose();
        _slow.Dispose();
    }

    private static int RunBatches(Node node, uint inPort, byte[] frame)
    {
        int outputs = 0;
        for (int b = 0; b < FramesPerInvoke; b += BatchSize)
        {
            using var scope = node.Batch();
            for (int i = 0; i < BatchSize; i++)
                outputs += node.Process(inPort, frame, null, 10_000).Outputs;
        }
        return outputs;
    }

    /// <summary>antrea-gw0 → GENEVE on the slow path (every pass translated).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerInvoke)]
    public int SlowPath_Gw0ToTunnel() => RunBatches(_slow, 2, _gwToTunnel);

    /// <summary>antrea-gw0 → GENEVE from the flow cache.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int FastPath_Gw0ToTunnel() => RunBatches(_cached, 2, _gwToTunnel);

    /// <summary>frontend → backendsvc (to antrea-gw0) from the flow cache.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int FastPath_PodToService() => RunBatches(_cached, 49, _podToService);

    /// <summary>The same from the cache without batches: the rule stats are pushed after every frame.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int FastPath_Gw0ToTunnel_Unbatched()
    {
        int outputs = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            outputs += _cached.Process(2, _gwToTunnel, null, 10_000).Outputs;
        return outputs;
    }
}
