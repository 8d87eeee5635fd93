using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Conntrack;

/// <summary>
/// A batch of packets that share one ct() action, for <see cref="ConnectionTracker.ExecuteBatch{TBatch}"/>:
/// packet i is its flow key and its frame. Implement it as a struct (or ref struct) over whatever
/// holds the frames (the engine's per-packet contexts, a receive batch): the call is specialized
/// per type, so the accessors inline and nothing is boxed or allocated.
/// </summary>
public interface ICtPacketBatch
{
    /// <summary>Packets in the batch.</summary>
    int Count { get; }

    /// <summary>The flow key of packet <paramref name="index"/>; ct() reads it and writes its ct_* fields (and nw/tp fields under NAT).</summary>
    ref FlowKey Key(int index);

    /// <summary>The frame of packet <paramref name="index"/>; NAT rewrites it in place. Distinct packets must have distinct frames.</summary>
    Span<byte> Frame(int index);
}

// Batched ct() (OVS conntrack_execute over a dp_packet_batch)
// ----------------------------------------------------------
// With a million connections, an established lookup is two dependent DRAM misses (the slot
// line, then the connection's lines) plus TLB misses, ~350 ns each on our machines; one packet
// at a time they serialize. ExecuteBatch takes up to MaxBatch packets at a time in three passes:
//   1. key extraction and hash of every packet; software prefetch of each home slot line;
//   2. a tag-only walk of each probe sequence (the slot lines have arrived or are in flight):
//      prefetch every line of the candidate connection; a packet with no candidate is probably
//      new, so with commit the home slot of its reply key (the second probe of a commit) is
//      prefetched too;
//   3. the unchanged per-packet logic (ExecuteKeyed, as Execute) in batch order.
// Passes 1-2 only read and prefetch: results are identical to calling Execute on each packet in
// order (BatchEquivalenceTests). Packet i is processed after packets 0..i-1 have been, so a
// connection committed by an earlier packet of the batch is seen by a later one, as one by one.
public sealed partial class ConnectionTracker
{
    /// <summary>Packets whose misses the batch path overlaps at a time (OVS's NETDEV_MAX_BURST).</summary>
    public const int MaxBatch = 32;

    /// <summary>
    /// Runs the ct() action <paramref name="cmd"/> on every packet of <paramref name="batch"/>, in
    /// order, with exactly the results of calling <see cref="Execute"/> on each packet one by one,
    /// but with the memory accesses of up to <see cref="MaxBatch"/> packets overlapped (the
    /// engine can call it for a run of frames whose actions reach the same ct()). No allocation.
    /// </summary>
    [SkipLocalsInit]
    public void ExecuteBatch<TBatch>(ref TBatch batch, in CtCommand cmd, long nowMs)
        where TBatch : ICtPacketBatch, allows ref struct
    {
        int count = batch.Count;
        Span<ConnKey> keys = stackalloc ConnKey[MaxBatch];
        Span<ulong> hashes = stackalloc ulong[MaxBatch];
        Span<byte> flags = stackalloc byte[MaxBatch]; // FlagOk, FlagRelated
        bool commitPrefetch = cmd.Commit && cmd.Nat is not { Kind: NatKind.Snat or NatKind.Dnat };
        for (int start = 0; start < count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, count - start);
            for (int i = 0; i < n; i++)
            {
                var failure = ConnKeyExtractor.TryExtract(batch.Key(start + i), batch.Frame(start + i), cmd.Zone, out keys[i], out bool related);
                if (failure != ExtractFailure.None)
                {
                    flags[i] = 0;
                    continue;
                }
                flags[i] = (byte)(FlagOk | (related ? FlagRelated : 0));
                ulong h = _table.Hash(keys[i]);
                hashes[i] = h;
                _table.PrefetchHome(h);
            }
            for (int i = 0; i < n; i++)
            {
                if (flags[i] == 0)
                    continue;
                if (!_table.PrefetchCandidate(hashes[i]) && commitPrefetch && flags[i] == FlagOk)
                    _table.PrefetchHome(_table.Hash(keys[i].Reverse()));
            }
            for (int i = 0; i < n; i++)
            {
                ref FlowKey key = ref batch.Key(start + i);
                if (flags[i] == 0)
                {
                    Interlocked.Increment(ref Counters._invalid);
                    WriteMetadata(ref key, cmd.Zone, CtStateFlags.Invalid, null);
                    continue;
                }
                ExecuteKeyed(ref key, batch.Frame(start + i), cmd, nowMs, keys[i], hashes[i], (flags[i] & FlagRelated) != 0);
            }
        }
    }

    /// <summary><see cref="ExecuteBatch{TBatch}"/> over flow keys and frames held as parallel spans.</summary>
    public void ExecuteBatch(Span<FlowKey> keys, ReadOnlySpan<Memory<byte>> frames, in CtCommand cmd, long nowMs)
    {
        if (keys.Length != frames.Length)
            throw new ArgumentException("one frame per key", nameof(frames));
        var b = new SpanBatch(keys, frames);
        ExecuteBatch(ref b, cmd, nowMs);
    }

    /// <summary><see cref="ExecuteBatch{TBatch}"/> over flow keys and whole-array frames.</summary>
    public void ExecuteBatch(Span<FlowKey> keys, ReadOnlySpan<byte[]> frames, in CtCommand cmd, long nowMs)
    {
        if (keys.Length != frames.Length)
            throw new ArgumentException("one frame per key", nameof(frames));
        var b = new ArrayBatch(keys, frames);
        ExecuteBatch(ref b, cmd, nowMs);
    }

    private const byte FlagOk = 1;
    private const byte FlagRelated = 2;

    private readonly ref struct SpanBatch(Span<FlowKey> keys, ReadOnlySpan<Memory<byte>> frames) : ICtPacketBatch
    {
        private readonly Span<FlowKey> _keys = keys;
        private readonly ReadOnlySpan<Memory<byte>> _frames = frames;
        public int Count => _keys.Length;
        public ref FlowKey Key(int index) => ref _keys[index];
        public Span<byte> Frame(int index) => _frames[index].Span;
    }

    private readonly ref struct ArrayBatch(Span<FlowKey> keys, ReadOnlySpan<byte[]> frames) : ICtPacketBatch
    {
        private readonly Span<FlowKey> _keys = keys;
        private readonly ReadOnlySpan<byte[]> _frames = frames;
        public int Count => _keys.Length;
        public ref FlowKey Key(int index) => ref _keys[index];
        public Span<byte> Frame(int index) => _frames[index];
    }
}
