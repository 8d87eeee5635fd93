using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Datapath.Conntrack;

/// <summary>
/// The hash table of connections: each connection is reachable by its original key and by its
/// reply key, through intrusive chains (<see cref="Connection.NextOrig"/>/<see cref="Connection.NextReply"/>)
/// so the table costs two bucket slots per connection and no node objects.
/// </summary>
/// <remarks>
/// Design: <see cref="ShardCount"/> shards selected by the top bits of the key hash; each shard has
/// two bucket arrays (chains of original keys, chains of reply keys) that double when their load
/// passes 1. Readers are lock-free: inserts publish a fully built connection with a volatile
/// write of the bucket head, removals unlink without touching the removed node's link, so a reader
/// walking a chain always reaches its end. Only a resize rewires links; it makes the shard's
/// <c>Version</c> odd while it runs, and a reader that saw the version change retries.
/// Writers (insert, remove, resize) are serialized by the caller's writer lock, as OVS's ct_lock.
/// </remarks>
internal sealed class ConnectionTable
{
    public const int ShardCount = 64;
    private const int ShardShift = 58; // top 6 bits pick the shard
    private const int InitialBuckets = 256;

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

    private sealed class Shard
    {
        public Buckets Orig = new(InitialBuckets);
        public Buckets Reply = new(InitialBuckets);
        public int OrigCount;
        public int ReplyCount;
        public int Version;
    }

    private sealed class Buckets(int length)
    {
        public readonly Connection?[] Heads = new Connection?[length];
        public readonly int Mask = length - 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong Hash(in ConnKey key) => key.Hash(_seed);

    /// <summary>Finds the live connection with <paramref name="key"/> as its original or reply key
    /// (<paramref name="reply"/> says which). <paramref name="hash"/> is <see cref="Hash"/> of the key. Lock-free.</summary>
    public Connection? Find(in ConnKey key, ulong hash, out bool reply)
    {
        var shard = _shards[(int)(hash >> ShardShift)];
        uint lo = (uint)hash;
        while (true)
        {
            int version = Volatile.Read(ref shard.Version);
            if ((version & 1) == 0)
            {
                var c = FindIn(shard, key, lo, out reply);
                if (c is not null || Volatile.Read(ref shard.Version) == version)
                    return c;
            }
            Thread.SpinWait(4);
        }
    }

    private static Connection? FindIn(Shard shard, in ConnKey key, uint lo, out bool reply)
    {
        var orig = Volatile.Read(ref shard.Orig);
        for (var c = Volatile.Read(ref orig.Heads[lo & orig.Mask]); c is not null; c = Volatile.Read(ref c.NextOrig))
        {
            if (c.OrigHashLo == lo && c.Orig.Equals(key) && !c.IsRemoved)
            {
                reply = false;
                return c;
            }
        }
        var rep = Volatile.Read(ref shard.Reply);
        for (var c = Volatile.Read(ref rep.Heads[lo & rep.Mask]); c is not null; c = Volatile.Read(ref c.NextReply))
        {
            if (c.ReplyHashLo == lo && c.Reply.Equals(key) && !c.IsRemoved)
            {
                reply = true;
                return c;
            }
        }
        reply = false;
        return null;
    }

    /// <summary>Links a fully initialized connection by both keys. Caller holds the writer lock.</summary>
    public void InsertUnsynchronized(Connection c, ulong origHash, ulong replyHash)
    {
        c.OrigHashLo = (uint)origHash;
        c.ReplyHashLo = (uint)replyHash;

        var so = _shards[(int)(origHash >> ShardShift)];
        if (so.OrigCount >= so.Orig.Heads.Length)
            Grow(so, orig: true);
        ref var headO = ref so.Orig.Heads[c.OrigHashLo & so.Orig.Mask];
        c.NextOrig = headO;
        so.OrigCount++;

        var sr = _shards[(int)(replyHash >> ShardShift)];
        if (sr.ReplyCount >= sr.Reply.Heads.Length)
            Grow(sr, orig: false);
        ref var headR = ref sr.Reply.Heads[c.ReplyHashLo & sr.Reply.Mask];
        c.NextReply = headR;
        sr.ReplyCount++;

        // Publish: every field of c is written before it becomes reachable.
        Volatile.Write(ref headO, c);
        Volatile.Write(ref headR, c);
    }

    /// <summary>Unlinks <paramref name="c"/> from both chains. Caller holds the writer lock and has
    /// marked it removed. The node's own links are left intact for readers standing on it.</summary>
    public void RemoveUnsynchronized(Connection c)
    {
        Debug.Assert(c.IsRemoved);
        var so = _shards[ShardOf(c.Orig)];
        ref var link = ref so.Orig.Heads[c.OrigHashLo & so.Orig.Mask];
        while (link is not null)
        {
            if (ReferenceEquals(link, c))
            {
                Volatile.Write(ref link, c.NextOrig);
                so.OrigCount--;
                break;
            }
            link = ref link.NextOrig;
        }

        var sr = _shards[ShardOf(c.Reply)];
        ref var rlink = ref sr.Reply.Heads[c.ReplyHashLo & sr.Reply.Mask];
        while (rlink is not null)
        {
            if (ReferenceEquals(rlink, c))
            {
                Volatile.Write(ref rlink, c.NextReply);
                sr.ReplyCount--;
                break;
            }
            rlink = ref rlink.NextReply;
        }
    }

    private int ShardOf(in ConnKey key) => (int)(Hash(key) >> ShardShift);

    private static void Grow(Shard shard, bool orig)
    {
        var old = orig ? shard.Orig : shard.Reply;
        var next = new Buckets(old.Heads.Length * 2);
        Volatile.Write(ref shard.Version, shard.Version + 1); // odd: readers retry
        Interlocked.MemoryBarrier();
        foreach (var head in old.Heads)
        {
            var c = head;
            while (c is not null)
            {
                if (orig)
                {
                    var following = c.NextOrig;
                    ref var slot = ref next.Heads[c.OrigHashLo & next.Mask];
                    c.NextOrig = slot;
                    slot = c;
                    c = following;
                }
                else
                {
                    var following = c.NextReply;
                    ref var slot = ref next.Heads[c.ReplyHashLo & next.Mask];
                    c.NextReply = slot;
                    slot = c;
                    c = following;
                }
            }
        }
        if (orig)
            Volatile.Write(ref shard.Orig, next);
        else
            Volatile.Write(ref shard.Reply, next);
        Interlocked.MemoryBarrier();
        Volatile.Write(ref shard.Version, shard.Version + 1);
    }

    /// <summary>Every connection once (walks the original-key chains). Caller holds the writer lock,
    /// or accepts a view that may miss connections inserted or moved meanwhile.</summary>
    public IEnumerable<Connection> All()
    {
        foreach (var shard in _shards)
        {
            var heads = Volatile.Read(ref shard.Orig).Heads;
            foreach (var head in heads)
            {
                for (var c = head; c is not null; c = c.NextOrig)
                    yield return c;
            }
        }
    }

    /// <summary>Appends the connections of one shard to <paramref name="into"/>. Caller holds the writer lock.</summary>
    public void CollectShardUnsynchronized(int shard, List<Connection> into)
    {
        foreach (var head in _shards[shard].Orig.Heads)
        {
            for (var c = head; c is not null; c = c.NextOrig)
                into.Add(c);
        }
    }

    /// <summary>Bytes held by the bucket arrays (for the memory-per-connection figure).</summary>
    public long BucketBytes()
    {
        long n = 0;
        foreach (var s in _shards)
            n += 8L * (s.Orig.Heads.Length + s.Reply.Heads.Length);
        return n;
    }
}
