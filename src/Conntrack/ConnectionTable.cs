using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Datapath.Conntrack;

/// <summary>
/// The hash table of connections: every connection is entered twice, once under its original
/// key and once under its reply key, in open-addressed slots holding (tag, reference), so a
/// packet from either direction finds its connection with one probe sequence.
/// </summary>
/// <remarks>
/// <para>Design: <see cref="ShardCount"/> shards picked by the top 6 bits of the 64-bit key hash
/// (<see cref="ConnKey.Hash"/>, seeded). A shard is one <see cref="Slot"/> array with linear
/// probing; the home slot is the hash's bits 1..32 scaled to the capacity (multiply-high, so the
/// capacity need not be a power of two and memory grows by 1.5x steps, not 2x). A slot's
/// <see cref="Slot.Tag"/> is the key's hash with bit 0 replaced by the direction (0 original,
/// 1 reply), so a lookup compares 64 bits of hash before it touches a connection and then compares
/// only the key of the direction the tag names: one cache miss for the slot line, one for the
/// connection. Removal leaves a tombstone (<see cref="s_tombstone"/>), which insertion reuses;
/// a rebuild (growth, or the same size when tombstones pile up) drops them.</para>
/// <para>Invariants: a slot only ever goes empty → entry → tombstone → entry ...; it never becomes
/// empty again except in a freshly built array. Every array has an empty slot (used ≤ 3/4 of the
/// capacity), so every probe ends. A live connection has exactly two entries (one per direction).</para>
/// <para>Thread-safety: readers are lock-free. They read the shard's published array once and
/// probe it; writers (insert, remove, rebuild) are serialized by the caller's writer lock (the
/// tracker's, as OVS's ct_lock) and write a slot's reference before its tag, each with release
/// semantics. A rebuild fills a new array and publishes it with one volatile write; the old array
/// is never written again, so a reader still probing it sees every connection that was live when
/// the rebuild began (removed ones are filtered by <see cref="Connection.IsRemoved"/>). A reader
/// trusts no tag: it always compares the full key of the connection it reads, so a torn
/// (tag, reference) pair costs a compare, never a wrong answer.</para>
/// <para>Batching: <see cref="PrefetchHome"/> and <see cref="PrefetchCandidate"/> only read
/// tags and references and issue software prefetches (hints, no effect on any result); the
/// tracker's batch path calls them for a whole batch before any <see cref="Find"/>.</para>
/// <para>Cost: lookup O(1) expected (load between 1/2 and 3/4 after a rebuild); insert O(1)
/// amortized; memory 16 bytes per slot, 2 slots per connection: 43–64 bytes per connection.</para>
/// </remarks>
internal sealed class ConnectionTable
{
    public const int ShardCount = 64;
    private const int ShardShift = 58; // top 6 bits pick the shard
    internal const int InitialCapacity = 64;

    /// <summary>Marks a removed entry. Its keys are all zero (family 0), which no real key has.</summary>
    private static readonly Connection s_tombstone = new(default) { Status = Connection.StatusRemoved };

    private readonly Shard[] _shards;
    private readonly ulong _seed;

    public ConnectionTable(ulong seed)
    {
        _seed = seed;
        _shards = new Shard[ShardCount];
        for (int i = 0; i < _shards.Length; i++)
            _shards[i] = new Shard();
    }

    public ulong Seed => _seed;

    /// <summary>One entry: the tag (hash of the key, bit 0 = direction) and the connection.
    /// <see cref="Conn"/> null means empty (ends a probe); <see cref="s_tombstone"/> means removed.</summary>
    internal struct Slot
    {
        public ulong Tag;
        public Connection? Conn;
    }

    private sealed class Shard
    {
        /// <summary>The published array; readers read it once per lookup.</summary>
        public Slot[] Slots = new Slot[InitialCapacity];
        /// <summary>Entries that are live (writer only).</summary>
        public int Live;
        /// <summary>Entries that are live or tombstones (writer only).</summary>
        public int Used;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(in ConnKey key) => key.Hash(_seed);

    /// <summary>The home slot of <paramref name="hash"/> in an array of <paramref name="capacity"/> slots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(ulong hash, int capacity) => (int)(((hash >> 1) & 0xFFFF_FFFFUL) * (ulong)capacity >> 32);

    /// <summary>Finds the live connection with <paramref name="key"/> as its original or reply key
    /// (<paramref name="reply"/> says which). <paramref name="hash"/> is <see cref="Hash"/> of the key. Lock-free.</summary>
    public Connection? Find(in ConnKey key, ulong hash, out bool reply)
    {
        var slots = Volatile.Read(ref _shards[(int)(hash >> ShardShift)].Slots);
        ulong tag = hash & ~1UL;
        int i = Home(hash, slots.Length);
        while (true)
        {
            ref var slot = ref slots[i];
            ulong t = Volatile.Read(ref slot.Tag);
            var c = Volatile.Read(ref slot.Conn);
            if (c is null)
                break;
            if ((t & ~1UL) == tag)
            {
                // The tag's direction picks the key to compare; whichever key matches, the answer is true.
                bool r = (t & 1) != 0;
                if ((r ? c.Reply.Equals(key) : c.Orig.Equals(key)) && !c.IsRemoved)
                {
                    reply = r;
                    return c;
                }
            }
            if (++i == slots.Length)
                i = 0;
        }
        reply = false;
        return null;
    }

    /// <summary>Software prefetch of the home slot line of <paramref name="hash"/> (a hint: no
    /// effect on results). The batch path issues it for every packet before probing any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchHome(ulong hash)
    {
        if (!Sse.IsSupported)
            return;
        var slots = _shards[(int)(hash >> ShardShift)].Slots;
        Sse.Prefetch0(Unsafe.AsPointer(ref slots[Home(hash, slots.Length)]));
    }

    /// <summary>
    /// Walks the probe sequence of <paramref name="hash"/> comparing tags only (no connection is
    /// read) and prefetches every cache line of the first connection whose tag matches. Returns
    /// false when the probe ended on an empty slot without a tag match (the key is almost surely
    /// absent). A hint: may give up early and changes nothing.
    /// </summary>
    public unsafe bool PrefetchCandidate(ulong hash)
    {
        var slots = _shards[(int)(hash >> ShardShift)].Slots;
        ulong tag = hash & ~1UL;
        int i = Home(hash, slots.Length);
        for (int n = 0; n < 8; n++)
        {
            ref var slot = ref slots[i];
            var c = slot.Conn;
            if (c is null)
                return false;
            if ((slot.Tag & ~1UL) == tag)
            {
                if (Sse.IsSupported)
                {
                    // The object's address as the GC sees it now; a stale one after a relocation only
                    // wastes the prefetch. Lines from the header (lock word) to the last field.
                    nint p = Unsafe.As<Connection, nint>(ref c);
                    nint line = (p - IntPtr.Size) & ~(nint)63;
                    nint last = (p + Connection.ApproxSize - 1) & ~(nint)63;
                    for (; line <= last; line += 64)
                        Sse.Prefetch0((void*)line);
                }
                return true;
            }
            if (++i == slots.Length)
                i = 0;
        }
        return true;
    }

    /// <summary>Enters a fully initialized connection under both keys. Caller holds the writer lock
    /// and checked that neither key has a live entry.</summary>
    public void InsertUnsynchronized(Connection c, ulong origHash, ulong replyHash)
    {
        Debug.Assert(origHash == Hash(c.Orig) && replyHash == Hash(c.Reply));
        InsertEntry(c, origHash & ~1UL);
        InsertEntry(c, replyHash | 1UL);
    }

    private void InsertEntry(Connection c, ulong tag)
    {
        var shard = _shards[(int)(tag >> ShardShift)];
        var slots = shard.Slots;
        if ((shard.Used + 1) * 4L > slots.Length * 3L)
            slots = Rebuild(shard);
        int i = Home(tag, slots.Length);
        while (true)
        {
            var o = slots[i].Conn;
            if (o is null)
            {
                shard.Used++;
                break;
            }
            if (ReferenceEquals(o, s_tombstone))
                break;
            if (++i == slots.Length)
                i = 0;
        }
        shard.Live++;
        // Publish: the reference (to a fully built connection) before the tag that lets readers match it.
        Volatile.Write(ref slots[i].Conn, c);
        Volatile.Write(ref slots[i].Tag, tag);
    }

    /// <summary>Removes both entries of <paramref name="c"/>. Caller holds the writer lock and has
    /// marked it removed; readers standing on it see <see cref="Connection.IsRemoved"/>.</summary>
    public void RemoveUnsynchronized(Connection c)
    {
        Debug.Assert(c.IsRemoved);
        RemoveEntry(c, Hash(c.Orig) & ~1UL);
        RemoveEntry(c, Hash(c.Reply) | 1UL);
    }

    private void RemoveEntry(Connection c, ulong tag)
    {
        var shard = _shards[(int)(tag >> ShardShift)];
        var slots = shard.Slots;
        int i = Home(tag, slots.Length);
        while (true)
        {
            ref var slot = ref slots[i];
            if (slot.Conn is null)
            {
                Debug.Fail("connection entry not found");
                return;
            }
            if (ReferenceEquals(slot.Conn, c) && slot.Tag == tag)
            {
                Volatile.Write(ref slot.Conn, s_tombstone);
                Volatile.Write(ref slot.Tag, 0UL);
                shard.Live--;
                return;
            }
            if (++i == slots.Length)
                i = 0;
        }
    }

    /// <summary>Copies the live entries of a shard into a new array sized for a load of 1/2 after
    /// the next insertion (growth, or tombstone cleanup at the same size) and publishes it.</summary>
    private static Slot[] Rebuild(Shard shard)
    {
        var old = shard.Slots;
        int capacity = Math.Max(InitialCapacity, (int)Math.Min(Array.MaxLength, (shard.Live + 1) * 2L));
        var next = new Slot[capacity];
        foreach (var s in old)
        {
            if (s.Conn is null || ReferenceEquals(s.Conn, s_tombstone))
                continue;
            int i = Home(s.Tag, capacity);
            while (next[i].Conn is not null)
            {
                if (++i == capacity)
                    i = 0;
            }
            next[i] = s;
        }
        shard.Used = shard.Live;
        Volatile.Write(ref shard.Slots, next); // readers switch over; the old array stays intact
        return next;
    }

    /// <summary>Every connection once (its original-key entry). Caller holds the writer lock, or
    /// accepts a view that may miss connections inserted or moved meanwhile.</summary>
    public IEnumerable<Connection> All()
    {
        foreach (var shard in _shards)
        {
            var slots = Volatile.Read(ref shard.Slots);
            for (int i = 0; i < slots.Length; i++)
            {
                var c = slots[i].Conn;
                if (c is not null && !ReferenceEquals(c, s_tombstone) && (slots[i].Tag & 1) == 0)
                    yield return c;
            }
        }
    }

    /// <summary>Appends the connections whose original key lives in one shard to <paramref name="into"/>.
    /// Caller holds the writer lock.</summary>
    public void CollectShardUnsynchronized(int shard, List<Connection> into)
    {
        foreach (var s in _shards[shard].Slots)
        {
            if (s.Conn is not null && !ReferenceEquals(s.Conn, s_tombstone) && (s.Tag & 1) == 0)
                into.Add(s.Conn);
        }
    }

    /// <summary>Bytes held by the slot arrays (for the memory-per-connection figure).</summary>
    public long SlotBytes()
    {
        long n = 0;
        foreach (var s in _shards)
            n += (long)Unsafe.SizeOf<Slot>() * Volatile.Read(ref s.Slots).Length;
        return n;
    }

    // Introspection for tests: writer lock held or no concurrent writers.

    /// <summary>Slot array length of one shard.</summary>
    internal int CapacityOf(int shard) => Volatile.Read(ref _shards[shard].Slots).Length;

    /// <summary>Live entries and tombstones of one shard.</summary>
    internal (int Live, int Tombstones) CountsOf(int shard) => (_shards[shard].Live, _shards[shard].Used - _shards[shard].Live);

    /// <summary>The shard an entry for <paramref name="hash"/> lives in.</summary>
    internal static int ShardOf(ulong hash) => (int)(hash >> ShardShift);
}
