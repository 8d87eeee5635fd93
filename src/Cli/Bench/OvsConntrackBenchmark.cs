using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Datapath.Conntrack;
using Datapath.Packets;

namespace Datapath.Cli.Bench;

// OVS's conntrack benchmark on our connection tracker
// ===================================================
//
// What?
// -----
// `ovstest test-conntrack benchmark N_THREADS N_PACKETS BATCH [CHANGE_CONN]` (tests/test-conntrack.c,
// OVS 3.1) run on ConnectionTracker.ExecuteBatch, printing OVS's one line, "conntrack:  T ms".
//
// Design: test-conntrack.c's test_benchmark(), step by step
// ---------------------------------------------------------
//  - Thread t (0..N_THREADS-1) builds one batch of BATCH packets (prepare_packets) from OVS's
//    hex frame: Ethernet 50:54:00:00:00:09 -> 50:54:00:00:00:0a, IPv4 10.1.1.1 -> 10.1.1.2, UDP
//    1 -> 2, no payload; udp_src += t, and with CHANGE_CONN udp_dst += i for packet i (checksums
//    left as they are, as OVS leaves them).  Without CHANGE_CONN the batch is BATCH packets of one
//    connection per thread, with it BATCH connections per thread.
//  - All threads and the main thread meet at a barrier; the clock starts; each thread runs
//    ct(commit, zone=0) over its batch (conntrack_execute, here ExecuteBatch) for i = 0,
//    BATCH, 2 BATCH, ... < N_PACKETS, with one "now" read before the loop; they meet again and
//    the clock stops.  The first packet of each connection commits it, every later one is an
//    established lookup.  OVS then resets each packet's cached connection
//    (pkt_metadata_init_conn) so the next batch looks it up again; our tracker keeps no such
//    cache on the key, so there is nothing to reset.
//  - Printed: "conntrack:  %5lld ms", whole milliseconds as OVS's time_msec() gives them.
//  - Before the threads start, JitWarmup runs the same batches through throwaway trackers until
//    the JIT is done (OVS's code is compiled ahead of time); `--no-warmup` times a cold run.
//
// Invariants
// ----------
//  - 1 <= BATCH <= MaxBatch (NETDEV_MAX_BURST), N_THREADS >= 1 (OVS's own checks).
//  - Frame is test-conntrack.c's payload byte for byte.
//
// Thread-safety
// -------------
// The tracker is shared by the threads (commits serialize on its writer lock); each thread owns
// its keys and frames.
//
// Cost
// ----
// The timed loop allocates nothing but the connections the first batch commits.
internal static class OvsConntrackBenchmark
{
    /// <summary>NETDEV_MAX_BURST.</summary>
    public const int MaxBatch = 32;

    /// <summary>test-conntrack.c's <c>payload</c>.</summary>
    public const string FrameHex = "50540000000a50540000000908004500001c0000000000" + "11a4cd0a0101010a0101020001000200080000";

    private const int UdpOffset = 14 + 20;

    /// <summary>The arguments, in OVS's order.</summary>
    public readonly record struct Arguments(int Threads, long Packets, int Batch, bool ChangeConnection);

    /// <summary>What a run measured, and what it left in the table.</summary>
    public readonly record struct Result(double ElapsedMs, int Connections, long PacketsPerThread)
    {
        public long Milliseconds => (long)ElapsedMs;
    }

    /// <summary>Null when <paramref name="a"/> can run, else why not (OVS's messages, with the argument's name).</summary>
    public static string? Validate(Arguments a)
    {
        if (a.Threads < 1)
            return "N_THREADS: n_threads must be at least one";
        if (a.Packets < 0)
            return $"N_PACKETS: '{a.Packets}' is not a number of packets (0 or more)";
        if (a.Batch < 1 || a.Batch > MaxBatch)
            return $"BATCH: batch_size must be between 1 and NETDEV_MAX_BURST({MaxBatch})";
        return null;
    }

    /// <summary>test_benchmark: runs and prints OVS's line.</summary>
    public static Result Print(TextWriter output, Arguments a, bool warmUp = true)
    {
        Result r = Run(a, warmUp);
        output.Write(string.Create(CultureInfo.InvariantCulture, $"conntrack:  {r.Milliseconds,5} ms\n"));
        output.Flush();
        return r;
    }

    /// <summary>prepare_packets(n, change, tid): thread <paramref name="tid"/>'s batch.</summary>
    internal static byte[][] PreparePackets(int n, bool change, int tid)
    {
        byte[] template = Convert.FromHexString(FrameHex);
        var frames = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            byte[] f = (byte[])template.Clone();
            Span<byte> udp = f.AsSpan(UdpOffset);
            BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)(BinaryPrimitives.ReadUInt16BigEndian(udp) + tid));
            if (change)
                BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) + i));
            frames[i] = f;
        }
        return frames;
    }

    /// <summary>
    /// test_benchmark; with <paramref name="warmUp"/>, first runs the same batches through throwaway
    /// trackers until the JIT is done (JitWarmup), so that the timed run is optimized code.
    /// </summary>
    public static Result Run(Arguments a, bool warmUp = false)
    {
        if (Validate(a) is { } error)
            throw new ArgumentException(error, nameof(a));
        if (warmUp)
            JitWarmup.Run(() => WarmUpRound(a));
        var tracker = new ConnectionTracker(new ConntrackOptions { Seed = 1 });
        using var barrier = new Barrier(a.Threads + 1);
        var threads = new Thread[a.Threads];
        for (int t = 0; t < threads.Length; t++)
        {
            int tid = t;
            threads[t] = new Thread(() => ThreadMain(tracker, barrier, a, tid)) { Name = "ct_thread", IsBackground = true };
            threads[t].Start();
        }
        barrier.SignalAndWait();
        long start = Stopwatch.GetTimestamp();
        barrier.SignalAndWait();
        double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        foreach (Thread t in threads)
            t.Join();
        long batches = (a.Packets + a.Batch - 1) / a.Batch;
        return new Result(elapsedMs, tracker.Count, batches * a.Batch);
    }

    /// <summary>Batches per warm-up round (a few milliseconds), each round on a new tracker so that commits run too.</summary>
    private const int WarmUpBatches = 2_000;

    private static void WarmUpRound(Arguments a)
    {
        var tracker = new ConnectionTracker(new ConntrackOptions { Seed = 2 });
        byte[][] frames = PreparePackets(a.Batch, a.ChangeConnection, 0);
        FlowKey[] keys = Keys(frames);
        var commit = new CtCommand(0, commit: true);
        long now = tracker.NowMs();
        for (int i = 0; i < WarmUpBatches; i++)
            tracker.ExecuteBatch(keys, frames, commit, now);
    }

    private static FlowKey[] Keys(byte[][] frames)
    {
        var keys = new FlowKey[frames.Length];
        for (int i = 0; i < frames.Length; i++)
            FlowKey.Extract(frames[i], 0, out keys[i]);
        return keys;
    }

    /// <summary>ct_thread_main.</summary>
    private static void ThreadMain(ConnectionTracker tracker, Barrier barrier, Arguments a, int tid)
    {
        byte[][] frames = PreparePackets(a.Batch, a.ChangeConnection, tid);
        FlowKey[] keys = Keys(frames);
        var commit = new CtCommand(0, commit: true);
        long now = tracker.NowMs();
        barrier.SignalAndWait();
        for (long i = 0; i < a.Packets; i += a.Batch)
            tracker.ExecuteBatch(keys, frames, commit, now);
        barrier.SignalAndWait();
    }
}
