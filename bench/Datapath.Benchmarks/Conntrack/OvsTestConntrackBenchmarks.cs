using BenchmarkDotNet.Attributes;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Benchmarks.Conntrack;

/// <summary>
/// The shape of OVS's <c>ovstest test-conntrack benchmark 1 1000000 32</c> (tests/test-conntrack.c):
/// one thread, one batch of 32 UDP packets of 32 connections, each run through
/// ct(commit, zone=0) again and again (the first time commits, then established hits with
/// commit). OVS's C tracker does 9–15 M packets/s on one core of our machines. Baseline: the
/// same batch without commit. BatchCommitExecuteBatch hands the 32 packets to
/// ConnectionTracker.ExecuteBatch as one batch (as OVS's conntrack_execute takes them).
/// </summary>
[MemoryDiagnoser]
public class OvsTestConntrackBenchmarks
{
    private const int BatchSize = 32;
    private const int Rounds = 1000; // 32,000 packets per invocation
    private byte[][] _frames = null!;
    private FlowKey[] _keys = null!;
    private ConnectionTracker _tracker = null!;
    private readonly CtCommand _commit = new(0, commit: true);
    private readonly CtCommand _lookup = new(0);

    [GlobalSetup]
    public void Setup()
    {
        _tracker = new ConnectionTracker(new ConntrackOptions { Seed = 1 });
        _frames = new byte[BatchSize][];
        _keys = new FlowKey[BatchSize];
        for (int i = 0; i < BatchSize; i++)
        {
            // test-conntrack.c: 1.1.1.1:1 -> 2.2.2.2:(2 + i), UDP.
            _frames[i] = PacketBuilder.Udp(MacAddress.Parse("02:00:00:00:00:01"), MacAddress.Parse("02:00:00:00:00:02"),
                Ipv4Address.Parse("1.1.1.1"), Ipv4Address.Parse("2.2.2.2"), 1, (ushort)(2 + i), new byte[16]);
            _keys[i] = ConntrackFrames.Key(_frames[i]);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize * Rounds)]
    public uint BatchLookup() => Run(_lookup);

    [Benchmark(OperationsPerInvoke = BatchSize * Rounds)]
    public uint BatchCommit() => Run(_commit);

    [Benchmark(OperationsPerInvoke = BatchSize * Rounds)]
    public uint BatchCommitExecuteBatch()
    {
        uint acc = 0;
        for (int r = 0; r < Rounds; r++)
        {
            _tracker.ExecuteBatch(_keys, _frames, _commit, r);
            acc += _keys[BatchSize - 1].CtState;
        }
        return acc;
    }

    private uint Run(CtCommand cmd)
    {
        uint acc = 0;
        for (int r = 0; r < Rounds; r++)
        {
            for (int i = 0; i < BatchSize; i++)
            {
                _tracker.Execute(ref _keys[i], _frames[i], cmd, r);
                acc += _keys[i].CtState;
            }
        }
        return acc;
    }
}
