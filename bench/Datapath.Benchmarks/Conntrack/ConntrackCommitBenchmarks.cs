using BenchmarkDotNet.Attributes;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Benchmarks.Conntrack;

/// <summary>
/// New-connection commits (issue 4 target: at least 1 M/s on one core, at most 256 bytes per
/// connection). The Allocated column is allocation volume per commit: the connection plus the slot
/// arrays of every table rebuild, including those discarded; the retained figure is
/// ResourceTests.Memory_per_connection_is_at_most_256_bytes.
/// Each iteration commits 200,000 new connections into an empty tracker. Commit and CommitWithDnat
/// run one Execute per packet; CommitBatch runs the same packets through ConnectionTracker.ExecuteBatch
/// (batches of 32 with prefetched slots).
/// </summary>
[MemoryDiagnoser]
public class ConntrackCommitBenchmarks
{
    private const int N = 200_000;
    private byte[][] _frames = null!;
    private FlowKey[] _keys = null!;
    private ConnectionTracker _tracker = null!;
    private readonly CtCommand _commit = new(65520, commit: true);
    private readonly CtCommand _commitDnat = new(65520, commit: true) { Nat = NatSpec.Dnat(Ipv4Address.Parse("10.222.2.34"), 80) };

    [GlobalSetup]
    public void Setup()
    {
        _frames = new byte[N][];
        _keys = new FlowKey[N];
        for (int i = 0; i < N; i++)
        {
            _frames[i] = ConntrackFrames.Request(i);
            _keys[i] = ConntrackFrames.Key(_frames[i]);
        }
    }

    [IterationSetup]
    public void NewTracker()
    {
        _tracker = new ConnectionTracker(new ConntrackOptions { Seed = 1 });
        for (int i = 0; i < N; i++)
            _keys[i] = ConntrackFrames.Key(_frames[i]);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    public int Commit()
    {
        for (int i = 0; i < N; i++)
            _tracker.Execute(ref _keys[i], _frames[i], _commit, 0);
        return _tracker.Count;
    }

    /// <summary>Commit with nat(dst=10.222.2.34:80): binding search + frame rewrite.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public int CommitWithDnat()
    {
        for (int i = 0; i < N; i++)
            _tracker.Execute(ref _keys[i], _frames[i], _commitDnat, 0);
        return _tracker.Count;
    }

    /// <summary>Commit through ExecuteBatch (32 packets at a time, misses overlapped).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public int CommitBatch()
    {
        _tracker.ExecuteBatch(_keys, _frames, _commit, 0);
        return _tracker.Count;
    }
}
