using BenchmarkDotNet.Attributes;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Benchmarks.Conntrack;

/// <summary>
/// Established-connection lookups in a table of 1,000,000 connections (issue 4 target: at least
/// 5 M/s on one core). Each invocation runs ct() on 4,096 packets of connections spread over the
/// whole table, so the caches see the table's real size. Baseline: the same packets through
/// ct(zone) without commit (lookup + state update + metadata), one Execute per packet.
/// The *Batch rows run the same packets through ConnectionTracker.ExecuteBatch (batches of 32
/// whose DRAM misses overlap: OVS's conntrack_execute over a dp_packet_batch).
/// </summary>
[MemoryDiagnoser]
public class ConntrackLookupBenchmarks
{
    private const int Connections = 1_000_000;
    private const int Batch = 4096;

    private ConnectionTracker _tracker = null!;
    private byte[][] _replies = null!;
    private byte[][] _requests = null!;
    private FlowKey[] _replyKeys = null!;
    private FlowKey[] _requestKeys = null!;
    private CtCommand _lookup;
    private CtCommand _commit;

    [GlobalSetup]
    public void Setup()
    {
        _tracker = new ConnectionTracker(new ConntrackOptions { Seed = 1 });
        _commit = new CtCommand(65520, commit: true);
        _lookup = new CtCommand(65520);
        for (int i = 0; i < Connections; i++)
        {
            var f = ConntrackFrames.Request(i);
            var k = ConntrackFrames.Key(f);
            _tracker.Execute(ref k, f, _commit, 0);
        }
        var rng = new Random(7);
        _replies = new byte[Batch][];
        _requests = new byte[Batch][];
        _replyKeys = new FlowKey[Batch];
        _requestKeys = new FlowKey[Batch];
        for (int j = 0; j < Batch; j++)
        {
            int i = rng.Next(Connections);
            _replies[j] = ConntrackFrames.Reply(i);
            _requests[j] = ConntrackFrames.Request(i);
            _replyKeys[j] = ConntrackFrames.Key(_replies[j]);
            _requestKeys[j] = ConntrackFrames.Key(_requests[j]);
        }
        for (int j = 0; j < Batch; j++)
            _tracker.Execute(ref _replyKeys[j], _replies[j], _lookup, 1); // make them bidirectional
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public uint EstablishedReplyLookup()
    {
        uint acc = 0;
        for (int j = 0; j < Batch; j++)
        {
            _tracker.Execute(ref _replyKeys[j], _replies[j], _lookup, 2);
            acc += _replyKeys[j].CtState;
        }
        return acc;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public uint EstablishedOriginalLookup()
    {
        uint acc = 0;
        for (int j = 0; j < Batch; j++)
        {
            _tracker.Execute(ref _requestKeys[j], _requests[j], _lookup, 2);
            acc += _requestKeys[j].CtState;
        }
        return acc;
    }

    /// <summary>Antrea's table 105 path on an existing connection: ct(commit,zone=65520,exec(mark)).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public uint EstablishedCommitWithMark()
    {
        var cmd = new CtCommand(65520, commit: true) { Mark = 0x20, MarkMask = 0xffffffff };
        uint acc = 0;
        for (int j = 0; j < Batch; j++)
        {
            _tracker.Execute(ref _requestKeys[j], _requests[j], cmd, 2);
            acc += _requestKeys[j].CtMark;
        }
        return acc;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public uint EstablishedReplyLookupBatch()
    {
        _tracker.ExecuteBatch(_replyKeys, _replies, _lookup, 2);
        return _replyKeys[Batch - 1].CtState;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public uint EstablishedOriginalLookupBatch()
    {
        _tracker.ExecuteBatch(_requestKeys, _requests, _lookup, 2);
        return _requestKeys[Batch - 1].CtState;
    }

    /// <summary>EstablishedCommitWithMark through ExecuteBatch.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public uint EstablishedCommitWithMarkBatch()
    {
        var cmd = new CtCommand(65520, commit: true) { Mark = 0x20, MarkMask = 0xffffffff };
        _tracker.ExecuteBatch(_requestKeys, _requests, cmd, 2);
        return _requestKeys[Batch - 1].CtMark;
    }
}
