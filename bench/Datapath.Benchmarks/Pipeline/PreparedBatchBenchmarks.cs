using BenchmarkDotNet.Attributes;
using Datapath.Antrea;
using Datapath.Engine;
using Datapath.Packets;

namespace Datapath.Benchmarks.Pipeline;

/// <summary>
/// Node.Prepare against frame-by-frame processing: worker1 of the seed scenario with its flow cache, the
/// established antrea-gw0 → GENEVE frame of <see cref="FastPathBenchmarks"/> spread over <see cref="Connections"/>
/// connections (addresses 10.222.1.100-249, no pod's, × source ports), run round-robin in batches of 32 — prepared (keys,
/// first lookups, conntrack prefetch, then each frame's turn) or one by one. With a table that fits the caches the
/// stage is pure overhead; with one that does not, its prefetches overlap the conntrack misses. The measured
/// crossing point sets Node.DefaultPrepareMinConnections.
/// </summary>
[MemoryDiagnoser]
public class PreparedBatchBenchmarks
{
    internal const int FramesPerInvoke = 1024;
    private const int BatchSize = 32;
    private Node _node = null!;
    private byte[][] _frames = [];
    private int _next;

    [Params(1_000, 100_000, 1_000_000)]
    public int Connections { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _node = AntreaScenario.LoadEmbedded().GetNode("worker1");
        _node.PrepareMinConnections = 0; // Prepare runs whenever asked: the cases choose
        var gw = MacAddress.Parse("4e:99:08:c1:53:be");
        var vmac = MacAddress.Parse("aa:bb:cc:dd:ee:ff");
        var backend2 = Ipv4Address.Parse("10.222.2.34");
        byte[] pad = new byte[6];
        _frames = new byte[Connections][];
        for (int c = 0; c < Connections; c++)
        {
            var src = new Ipv4Address(Ipv4Address.Parse("10.222.1.100").Value + (uint)(c % 150));
            ushort sport = (ushort)(1024 + c / 150);
            var syn = PacketBuilder.Tcp(gw, vmac, src, backend2, sport, 80, TcpFlags.Syn, ttl: 63);
            if (_node.Process(2, syn, null, 0).Outputs != 1)
                throw new InvalidOperationException($"the benchmark's SYN from {src}:{sport} does not reach the tunnel: {_node.Process(2, syn, null, 0)}");
            _frames[c] = PacketBuilder.Tcp(gw, vmac, src, backend2, sport, 80, TcpFlags.Ack, payload: pad, ttl: 63);
        }
        if (_node.Conntrack.Count < Connections)
            throw new InvalidOperationException($"only {_node.Conntrack.Count} connections for {Connections}");
        for (int i = 0; i < 2; i++)
        {
            OneByOne();
            Prepared();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _node.Dispose();

    /// <summary>Each frame through Node.Process, in batch scopes of 32.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerInvoke)]
    public int OneByOne()
    {
        int outputs = 0;
        for (int b = 0; b < FramesPerInvoke; b += BatchSize)
        {
            using var scope = _node.Batch();
            for (int i = 0; i < BatchSize; i++)
                outputs += _node.Process(2, Take(), null, 10_000).Outputs;
        }
        return outputs;
    }

    /// <summary>Node.Prepare on each 32, then each frame's turn (Node.ProcessPrepared).</summary>
    [Benchmark(OperationsPerInvoke = FramesPerInvoke)]
    public int Prepared()
    {
        int outputs = 0;
        for (int b = 0; b < FramesPerInvoke; b += BatchSize)
        {
            using var scope = _node.Batch();
            var batch = new Frames(_frames, _next, BatchSize);
            int prepared = _node.Prepare(ref batch);
            for (int i = 0; i < BatchSize; i++)
            {
                var frame = batch.Frame(i);
                outputs += (i < prepared ? _node.ProcessPrepared(i, 2, frame, null, 10_000) : _node.Process(2, frame, null, 10_000)).Outputs;
            }
            _next = (_next + BatchSize) % _frames.Length;
        }
        return outputs;
    }

    private byte[] Take()
    {
        var f = _frames[_next];
        _next = (_next + 1) % _frames.Length;
        return f;
    }

    private readonly struct Frames(byte[][] frames, int start, int count) : IFrameBatch
    {
        public int Count => count;
        public uint InPort(int index) => 2;
        public ReadOnlySpan<byte> Frame(int index) => frames[(start + index) % frames.Length];
    }

    /// <summary>The CPU-time view (<c>--prepared-cpu-time [CONNECTIONS]</c>): both cases at each table size, or at the one given.</summary>
    public static string RunCpuTime(int? only = null)
    {
        var sb = new System.Text.StringBuilder();
        foreach (int connections in only is { } o ? [o] : new[] { 1_000, 10_000, 30_000, 100_000, 1_000_000 })
        {
            var b = new PreparedBatchBenchmarks { Connections = connections };
            b.Setup();
            try
            {
                sb.Append(CpuTimeHarness.Run(
                [
                    ($"{connections:N0} connections, one by one", b.OneByOne),
                    ($"{connections:N0} connections, prepared", b.Prepared),
                ], FramesPerInvoke, callsPerRound: 20, rounds: 60, warmupCalls: 100));
            }
            finally
            {
                b.Cleanup();
            }
        }
        return sb.ToString();
    }
}
