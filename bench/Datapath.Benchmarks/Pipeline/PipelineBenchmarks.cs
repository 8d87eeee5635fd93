using BenchmarkDotNet.Attributes;
using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// The whole worker1 pipeline of the seed scenario on the slow path (no flow cache), one core,
/// 60-byte TCP frames (64 on the wire with the FCS). Per frame: extraction, every table lookup,
/// actions, one conntrack pass (ct(table=31); the connection is established by the warm-up, so
/// table 105 does not commit again) with its recirculation, and the output copy.
/// </summary>
/// <remarks>
/// Wall-clock figures on the shared two-core machine are inflated by load: bench/results/pipeline.md
/// also gives the per-thread CPU time per frame and its per-phase breakdown.
/// </remarks>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    internal const int FramesPerInvoke = 1024;
    private Node _worker1 = null!;
    private byte[] _synToService = null!;
    private byte[] _spoofed = null!;
    private byte[] _arpForPeerGateway = null!;

    [GlobalSetup]
    public void Setup()
    {
        _worker1 = AntreaScenario.LoadEmbedded().GetNode("worker1");
        _worker1.UseFlowCache = false; // the slow path alone: FastPathBenchmarks measures the cache
        var fe = MacAddress.Parse("be:2c:bf:e4:ec:c5");
        var gw = MacAddress.Parse("4e:99:08:c1:53:be");
        byte[] pad = new byte[6];
        _synToService = PacketBuilder.Tcp(fe, gw, Ipv4Address.Parse("10.222.1.48"), Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Ack, payload: pad);
        _spoofed = PacketBuilder.Tcp(fe, gw, Ipv4Address.Parse("10.222.1.99"), Ipv4Address.Parse("10.104.65.133"), 56670, 80, TcpFlags.Ack, payload: pad);
        _arpForPeerGateway = PacketBuilder.Arp(1, gw, Ipv4Address.Parse("10.222.1.1"), MacAddress.Zero, Ipv4Address.Parse("10.222.2.1"), gw, MacAddress.Broadcast);
        for (int i = 0; i < 1000; i++)
            _worker1.Process(49, _synToService, null, i);
    }

    [GlobalCleanup]
    public void Cleanup() => _worker1.Dispose();

    /// <summary>Frontend → backendsvc: tables 0,10,30, ct(zone=65520,table=31), then 31,40,105,110, out on antrea-gw0.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerInvoke)]
    public int FullPipeline_TcpToService()
    {
        int outputs = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            outputs += _worker1.Process(49, _synToService, null, 10_000).Outputs;
        return outputs;
    }

    /// <summary>Breakdown: only the seven classifier lookups of the baseline's walk, on its final key, as the translator makes them (no consulted bits).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int LookupsOnly()
    {
        FlowKey key = FinalKey();
        var tables = _worker1.Bridge.Tables;
        var t0 = tables[0];
        var t10 = tables[10];
        var t30 = tables[30];
        var t31 = tables[31];
        var t40 = tables[40];
        var t105 = tables[105];
        var t110 = tables[110];
        int found = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
        {
            found += t0.Lookup(in key) is null ? 0 : 1;
            found += t10.Lookup(in key) is null ? 0 : 1;
            found += t30.Lookup(in key) is null ? 0 : 1;
            found += t31.Lookup(in key) is null ? 0 : 1;
            found += t40.Lookup(in key) is null ? 0 : 1;
            found += t105.Lookup(in key) is null ? 0 : 1;
            found += t110.Lookup(in key) is null ? 0 : 1;
        }
        return found;
    }

    /// <summary>The same lookups asking for the consulted bits (what a flow cache would need; the translator no longer asks).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int LookupsWithConsultedBits()
    {
        FlowKey key = FinalKey();
        var tables = _worker1.Bridge.Tables;
        int found = 0;
        FlowKey consulted = default;
        for (int i = 0; i < FramesPerInvoke; i++)
        {
            found += tables.Lookup(0, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(10, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(30, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(31, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(40, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(105, in key, ref consulted) is null ? 0 : 1;
            found += tables.Lookup(110, in key, ref consulted) is null ? 0 : 1;
        }
        return found;
    }

    private FlowKey FinalKey()
    {
        FlowKey.Extract(_synToService, 49, out var key);
        key.Regs[0] = 0x10002;
        key.Regs[1] = 2;
        key.CtState = 0x21;
        key.CtZone = 65520;
        return key;
    }

    /// <summary>Breakdown: FlowKey.Extract of the frame only.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public uint ExtractOnly()
    {
        uint sum = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
        {
            FlowKey.Extract(_synToService, 49, out var key);
            sum += key.NwDst;
        }
        return sum;
    }

    /// <summary>Spoofed source: tables 0 and 10, dropped.</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int SpoofGuardDrop()
    {
        int outputs = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            outputs += _worker1.Process(49, _spoofed, null, 10_000).Outputs;
        return outputs;
    }

    /// <summary>The host's ARP for the peer gateway, answered by table 20 (eight field rewrites, out IN_PORT).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int ArpResponder()
    {
        int outputs = 0;
        for (int i = 0; i < FramesPerInvoke; i++)
            outputs += _worker1.Process(2, _arpForPeerGateway, null, 10_000).Outputs;
        return outputs;
    }
}
