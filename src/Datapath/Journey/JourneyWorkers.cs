using System.Runtime.ExceptionServices;

namespace Datapath.Engine;

// Journey workers
// ===============
//
// What?
// -----
// Runs a window of frames (JourneyWindow, in input order) through a Journey on N threads with the result one
// thread gives: every sink sees the same events in the same order, so a replay's pcaps are byte-identical to
// a one-worker run, and drop counters and dump-flows statistics are equal.  dpif-netdev spreads packets over
// PMD threads by RSS hash and lets their order race; we cannot, because replays are compared byte for byte.
//
// Design
// ------
// The caller's thread is the dispatcher and worker 0; N-1 more threads wait on a semaphore each.  The window is
// cut into runs.  JourneyPartitioner classifies frames one by one, from the current position, against the
// connection tables as they are now: a frame of a live connection gets a worker (a symmetric hash of the
// connection after NAT, so both directions and every NAT stage meet on one worker), anything else is serial.
// A stretch of at least MinParallelRun parallel frames runs in parallel, in chunks of at most ChunkFrames: each
// worker runs its frames of the chunk in input order into its own JourneyRecorder (two per worker, one per chunk
// parity); then the dispatcher hands every frame's events to the sink in window order (merge by index: each
// frame's events are contiguous in one recorder).
// Pipeline: the dispatcher starts chunk k, runs its own share of it, merges chunk k-1 into the sink (the pcap
// writes) and classifies chunk k+1 while the other threads still run chunk k; it waits for chunk k only before
// starting k+1. Classifying ahead is as safe as classifying a chunk's later frames before its earlier ones run
// (which a chunk always did): a frame is parallel only if its connection is live, new connections are serial,
// and a serial frame or a short stretch runs only after the pending chunk is merged.  A serial frame, and a stretch
// too short to be worth a wake-up, runs on the dispatcher alone, straight into the sink, after everything
// before it has been handed on.  So ARP (neighbours, MAC learning), new connections (NAT choices,
// `statistic --mode random` draws, conntrack limits), ICMP errors, fragments and non-IP frames run exactly as
// one thread runs them, in input order, and a parallel frame touches only its own connection's state.  A packet
// a node's host sends itself (JourneyWindow.AddLocal: `replay --from-host`) is always serial: it enters through
// the host's OUTPUT hook (Journey.RunLocal), where kube-proxy's DNAT draws, and the partitioner classifies bridge
// ports only; its replies, entering bridge ports, are classified like any frame.
// Every thread opens its batches (JourneyBatch: the flow cache's stats pushed every 256 frames), and
// prepares each 32 of its frames that enter one node (Node.Prepare: keys, first lookups, conntrack prefetch) before
// running them in order.
//
// Order hazards
// -------------
// A parallel frame may still reach a shared, order-dependent choice that its connection did not make before:
// its connection expired in one table and not in another, so it commits afresh there and draws NAT's or
// statistic's random numbers; or it teaches the MAC learning table.  The dispatcher notices (the random
// sources' states and the learning table's change count differ after the run) and counts the run in
// OrderHazards; reports print it, so a result that may differ from one worker's never passes silently.
//
// Invariants
// ----------
//  - The sink's calls come on the caller's thread, frame by frame in window order: FrameStart, the frame's
//    events in the order one thread makes them, FrameDone.
//  - Frames assigned to one worker run in window order; no two parallel frames share a worker-hash, and a
//    frame runs in parallel only if its connection was live in some table when it was classified.
//  - A worker's exception is rethrown on the caller's thread after the run; the workers stay usable.
//
// Thread-safety
// -------------
// Run and Dispose: one caller thread at a time.  The journey's nodes and hosts are shared by the workers (they
// are safe for concurrent use); each worker has its own journey walk, flow caches and recorder.
//
// Cost
// ----
// Per frame on the dispatcher: classification (a key extraction and a conntrack probe per table and zone in
// use, or a look into the partitioner's memo of verdicts for a connection it knows) and, for parallel frames,
// the merge (one copy of each output). Each worker writes its frames' results into an array of its own (one
// shared array made neighbouring frames of two workers fight over its cache lines).  Per chunk: one semaphore release per
// worker and one wait.  With one worker nothing of this happens: frames run straight into the sink.
public sealed class JourneyWorkers : IDisposable
{
    /// <summary>Fewer parallel frames in a row than this run on the dispatcher alone (a wake-up costs about as much).</summary>
    public const int MinParallelRun = 64;

    /// <summary>
    /// Hash slots per worker. The dispatcher also reads, classifies, merges and writes, so it runs one slot of
    /// its own and every other slot goes to the other threads (with 2 workers: 1 of 8 and 7 of 8).
    /// </summary>
    public const int SlotsPerWorker = 4;

    /// <summary>
    /// Most frames in one chunk: the worker threads run a chunk while the dispatcher hands the previous one to the
    /// sink and classifies the next.
    /// </summary>
    public const int ChunkFrames = 512;

    /// <summary>Windows between two re-reads of the zones in use; sooner after a window where most frames ran alone.</summary>
    private const int ZoneRefreshWindows = 64;

    private readonly Journey _journey;
    private readonly JourneyPartitioner? _partitioner;
    private readonly Worker[] _workers;
    private readonly Thread[] _threads;
    private readonly CountdownEvent _done;
    private readonly IReadOnlyList<Node> _nodes;
    private readonly int[] _slotWorker = [];
    private int[] _assigned = [];
    private int _windowsSinceRefresh = ZoneRefreshWindows;
    private bool _mostlySerial;
    private JourneyWindow? _window;
    private int _runStart, _runEnd, _runParity;
    private volatile bool _stopping;
    private bool _running; // a chunk was started and not yet waited for
    private long _parallelFrames, _serialFrames, _parallelRuns, _orderHazards;

    /// <param name="journey">The journey every frame takes.</param>
    /// <param name="workers">Threads, the caller's included (1: no threads, frames run straight into the sink).</param>
    public JourneyWorkers(Journey journey, int workers)
    {
        ArgumentNullException.ThrowIfNull(journey);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _journey = journey;
        _nodes = [.. journey.Nodes.Select(n => n.Node).OfType<Node>()];
        _workers = new Worker[workers];
        for (int w = 0; w < workers; w++)
            _workers[w] = new Worker(this, w);
        _done = new CountdownEvent(0);
        _threads = new Thread[workers - 1];
        if (workers > 1)
        {
            _partitioner = new JourneyPartitioner(journey, workers * SlotsPerWorker);
            _slotWorker = new int[workers * SlotsPerWorker];
            for (int slot = 1; slot < _slotWorker.Length; slot++)
                _slotWorker[slot] = 1 + (slot - 1) % (workers - 1);
        }
        for (int w = 1; w < workers; w++)
        {
            var worker = _workers[w];
            _threads[w - 1] = new Thread(worker.Loop) { IsBackground = true, Name = $"journey worker {w}" };
            _threads[w - 1].Start();
        }
    }

    /// <summary>Threads that run frames, the caller's included.</summary>
    public int Count => _workers.Length;

    /// <summary>Frames the partitioner classified from its memo of verdicts, without a conntrack probe (benchmarks and tests).</summary>
    internal long RememberedVerdicts => _partitioner?.RememberedHits ?? 0;

    /// <summary>
    /// Frames per window a caller should fill (<see cref="JourneyWindow"/>'s capacity): the pipeline of chunks drains at
    /// the end of each window (the dispatcher merges the last chunk, then the caller fills the next window while the
    /// other threads wait), so with threads a window is four times the one-thread size.
    /// </summary>
    public int WindowCapacity => _workers.Length > 1 ? 4 * JourneyWindow.DefaultCapacity : JourneyWindow.DefaultCapacity;

    /// <summary>Frames run in parallel runs, frames run alone, parallel runs, and runs with an order hazard (see the essay).</summary>
    public (long ParallelFrames, long SerialFrames, long ParallelRuns, long OrderHazards) Stats
        => (_parallelFrames, _serialFrames, _parallelRuns, _orderHazards);

    /// <summary>Runs every frame of <paramref name="window"/>; <paramref name="sink"/> hears them in window order.</summary>
    public void Run(JourneyWindow window, IJourneyWindowSink sink)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(sink);
        var own = _workers[0].Batch;
        try
        {
            if (_partitioner is null)
            {
                RunSerial(window, 0, window.Count, sink, own);
                return;
            }
            if (_assigned.Length < window.Count)
            {
                _assigned = new int[window.Capacity];
                foreach (var w in _workers)
                    w.Results = new JourneyResult[window.Capacity];
            }
            if (_mostlySerial || ++_windowsSinceRefresh >= ZoneRefreshWindows)
            {
                _partitioner.Refresh();
                _windowsSinceRefresh = 0;
            }
            long serialBefore = _serialFrames;
            Chunk pending = default; // the chunk the workers run (or ran), not yet handed to the sink
            int parity = 0;
            int i = 0;
            try
            {
                while (i < window.Count)
                {
                    // Classified while the workers run the pending chunk (see the essay, "Pipeline").
                    int j = i;
                    bool serialNext = false;
                    while (j < window.Count && j - i < ChunkFrames)
                    {
                        int slot = window.IsLocal(j) ? JourneyPartitioner.Serial
                            : _partitioner.Classify(window.Node(j), window.InPort(j), window.Frame(j), window.NowMs(j));
                        if (slot == JourneyPartitioner.Serial)
                        {
                            serialNext = true;
                            break;
                        }
                        _assigned[j++] = _slotWorker[slot];
                    }
                    if (j - i >= MinParallelRun)
                    {
                        var chunk = new Chunk(i, j, parity);
                        parity ^= 1;
                        if (pending.Active)
                            Complete(ref pending);
                        Start(window, ref chunk);
                        if (pending.Active)
                            Merge(window, ref pending, sink);
                        pending = chunk;
                    }
                    else
                    {
                        Finish(window, ref pending, sink);
                        RunSerial(window, i, j, sink, own);
                    }
                    if (serialNext)
                    {
                        Finish(window, ref pending, sink);
                        RunSerial(window, j, j + 1, sink, own);
                        j++;
                    }
                    i = j;
                }
                Finish(window, ref pending, sink);
            }
            finally
            {
                if (_running)
                {
                    _done.Wait(); // an exception while the workers run: they finish before the window may be reused
                    _running = false;
                }
            }
            _mostlySerial = (_serialFrames - serialBefore) * 2 > window.Count;
        }
        finally
        {
            own.End();
        }
    }

    /// <summary>Frames [Start, End) of the window run by the worker threads into their recorders of one parity.</summary>
    private struct Chunk(int start, int end, int parity)
    {
        public readonly int Start = start, End = end, Parity = parity;
        public bool Active = true;
        public bool Completed;
        public long HazardBefore;
    }

    /// <summary>Wakes the worker threads on <paramref name="chunk"/>; the caller's thread goes on meanwhile.</summary>
    private void Start(JourneyWindow window, ref Chunk chunk)
    {
        chunk.HazardBefore = HazardState();
        (_window, _runStart, _runEnd, _runParity) = (window, chunk.Start, chunk.End, chunk.Parity);
        _done.Reset(_threads.Length);
        _running = true;
        for (int w = 1; w < _workers.Length; w++)
            _workers[w].Start.Release();
        _workers[0].RunShare(); // never throws: a failure is kept, and rethrown by Complete
    }

    /// <summary>Waits until the worker threads have run <paramref name="chunk"/>; rethrows a worker's exception.</summary>
    private void Complete(ref Chunk chunk)
    {
        _done.Wait();
        _running = false;
        chunk.Completed = true;
        _parallelRuns++;
        _parallelFrames += chunk.End - chunk.Start;
        if (HazardState() != chunk.HazardBefore)
            _orderHazards++;
        foreach (var w in _workers)
        {
            if (w.Failure is { } failure)
            {
                chunk.Active = false;
                foreach (var x in _workers)
                    x.Failure = null;
                failure.Throw();
            }
        }
    }

    /// <summary>Hands every frame of a completed chunk to the sink, in window order (merge by index).</summary>
    private void Merge(JourneyWindow window, ref Chunk chunk, IJourneyWindowSink sink)
    {
        Span<int> cursor = stackalloc int[_workers.Length];
        for (int i = chunk.Start; i < chunk.End; i++)
        {
            var recorder = _workers[_assigned[i]].Recorders[chunk.Parity];
            ref int c = ref cursor[_assigned[i]];
            sink.FrameStart(window, i);
            while (c < recorder.Count && recorder[c].Frame == i)
                recorder.Replay(c++, sink);
            sink.FrameDone(window, i, in _workers[_assigned[i]].Results[i]);
        }
        chunk.Active = false;
    }

    /// <summary>Completes and merges the pending chunk, if any: everything before the next frame is in the sink.</summary>
    private void Finish(JourneyWindow window, ref Chunk pending, IJourneyWindowSink sink)
    {
        if (!pending.Active)
            return;
        if (!pending.Completed)
            Complete(ref pending);
        Merge(window, ref pending, sink);
    }

    private void RunSerial(JourneyWindow window, int start, int end, IJourneyWindowSink sink, JourneyBatch batch)
    {
        Span<int> indices = stackalloc int[JourneyBatch.Size];
        Span<int> slots = stackalloc int[JourneyBatch.Size];
        for (int c = start; c < end; c += JourneyBatch.Size)
        {
            int n = Math.Min(JourneyBatch.Size, end - c);
            for (int k = 0; k < n; k++)
                indices[k] = c + k;
            PrepareByNode(_journey, window, indices[..n], slots);
            for (int k = 0; k < n; k++)
            {
                int i = c + k;
                batch.Next();
                sink.FrameStart(window, i);
                var result = window.IsLocal(i) ? (window.Device(i) is { } device
                        ? _journey.RunHost(window.Node(i), device, window.Frame(i), sink, window.NowMs(i))
                        : _journey.RunLocal(window.Node(i), window.Frame(i), sink, window.NowMs(i)))
                    : slots[k] >= 0 ? _journey.RunPrepared(window.Node(i), slots[k], window.InPort(i), window.Frame(i), sink, window.NowMs(i))
                    : _journey.Run(window.Node(i), window.InPort(i), window.Frame(i), sink, window.NowMs(i));
                sink.FrameDone(window, i, in result);
            }
        }
        _serialFrames += end - start;
    }

    /// <summary>
    /// Prepares the frames <paramref name="indices"/> of the window, each node's among them as one batch of that node
    /// (Node.Prepare); <paramref name="slots"/>[k] becomes frame k's place in its node's prepared batch, or -1.
    /// </summary>
    private static void PrepareByNode(Journey journey, JourneyWindow window, ReadOnlySpan<int> indices, Span<int> slots)
    {
        Span<int> mine = stackalloc int[JourneyBatch.Size];
        slots[..indices.Length].Fill(-2); // -2: not yet grouped
        for (int k = 0; k < indices.Length; k++)
        {
            if (window.IsLocal(indices[k]))
                slots[k] = -1; // a host's own packet enters no bridge port: nothing to prepare
        }
        for (int first = 0; first < indices.Length; first++)
        {
            if (slots[first] != -2)
                continue;
            var node = window.Node(indices[first]);
            int n = 0;
            for (int k = first; k < indices.Length; k++)
            {
                if (slots[k] == -2 && window.Node(indices[k]) == node)
                    mine[n++] = indices[k];
            }
            var frames = new WindowFrames(window, mine[..n]);
            int prepared = journey.Prepare(node, ref frames);
            int slot = 0;
            for (int k = first; k < indices.Length; k++)
            {
                if (slots[k] == -2 && window.Node(indices[k]) == node)
                {
                    slots[k] = slot < prepared ? slot : -1;
                    slot++;
                }
            }
        }
    }

    /// <summary>Frames of a window, by index, as one batch of one node for <see cref="Journey.Prepare{TBatch}"/>.</summary>
    private readonly ref struct WindowFrames(JourneyWindow window, ReadOnlySpan<int> indices) : IFrameBatch
    {
        private readonly ReadOnlySpan<int> _indices = indices;
        public int Count => _indices.Length;
        public uint InPort(int index) => window.InPort(_indices[index]);
        public ReadOnlySpan<byte> Frame(int index) => window.Frame(_indices[index]);
    }

    /// <summary>What an order-dependent choice changes: the random sources and the learning tables (see the essay).</summary>
    private long HazardState()
    {
        long h = 0;
        foreach (var n in _journey.Nodes)
        {
            if (n.Node is { } bridged)
                h = h * 31 + (long)bridged.Conntrack.NatRandomState + bridged.Bridge.MacTable.Changes;
            if (n.Host is { } host)
                h = h * 31 + (long)host.Conntrack.NatRandomState + (long)(host.Netfilter?.Random.State ?? 0);
        }
        return h;
    }

    public void Dispose()
    {
        _stopping = true;
        for (int w = 1; w < _workers.Length; w++)
            _workers[w].Start.Release();
        foreach (var t in _threads)
            t.Join();
        foreach (var w in _workers)
            w.Dispose();
        _done.Dispose();
    }

    /// <summary>One thread's share of a parallel run: its recorder, its batches, the frames assigned to it.</summary>
    private sealed class Worker(JourneyWorkers owner, int index) : IDisposable
    {
        public void Dispose() => Start.Dispose();

        public readonly SemaphoreSlim Start = new(0);
        /// <summary>Two recorders: the chunk being run fills one while the dispatcher merges the other.</summary>
        public readonly JourneyRecorder[] Recorders = [new(), new()];
        /// <summary>
        /// The results of the frames this worker ran, by window index: an array of its own, so that two workers
        /// writing the results of neighbouring frames never share a cache line (one shared array cost a line
        /// transfer per frame; measured in bench/README.md).
        /// </summary>
        public JourneyResult[] Results = [];
        public readonly JourneyBatch Batch = new(owner._nodes);
        public ExceptionDispatchInfo? Failure;

        public void Loop()
        {
            while (true)
            {
                Start.Wait();
                if (owner._stopping)
                    return;
                RunShare();
                owner._done.Signal();
            }
        }

        public void RunShare()
        {
            var recorder = Recorders[owner._runParity];
            recorder.Clear();
            var window = owner._window!;
            var assigned = owner._assigned;
            try
            {
                Span<int> mine = stackalloc int[JourneyBatch.Size];
                Span<int> slots = stackalloc int[JourneyBatch.Size];
                int i = owner._runStart;
                while (i < owner._runEnd)
                {
                    int n = 0;
                    for (; i < owner._runEnd && n < mine.Length; i++)
                    {
                        if (assigned[i] == index)
                            mine[n++] = i;
                    }
                    PrepareByNode(owner._journey, window, mine[..n], slots);
                    for (int k = 0; k < n; k++)
                    {
                        int f = mine[k];
                        Batch.Next();
                        recorder.Begin(f);
                        Results[f] = slots[k] >= 0
                            ? owner._journey.RunPrepared(window.Node(f), slots[k], window.InPort(f), window.Frame(f), recorder, window.NowMs(f))
                            : owner._journey.Run(window.Node(f), window.InPort(f), window.Frame(f), recorder, window.NowMs(f));
                    }
                }
            }
            catch (Exception e)
            {
                Failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                Batch.End();
            }
        }
    }
}
