using System.Reflection;
using System.Runtime.CompilerServices;
using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

/// <summary>The open-addressed connection table: both directions, growth, tombstones, readers beside writers.
/// Runs alone (<see cref="ConnectionTableCollection"/>): its big tables would distort the heap figures of ResourceTests.</summary>
[Collection(nameof(ConnectionTableCollection))]
public class ConnectionTableTests
{
    private static ConnKey Key(int i) => ConnKey.Ipv4(0x0A000000u | (uint)i, 0x0AC80001u, (ushort)(1024 + (i & 0x7fff)), 53, 7, IpProtocols.Udp);

    private static Connection Conn(int i)
    {
        var k = Key(i);
        return new Connection(k) { Reply = k.Reverse() };
    }

    private static void Insert(ConnectionTable t, Connection c) => t.InsertUnsynchronized(c, t.Hash(c.Orig), t.Hash(c.Reply));

    private static void Remove(ConnectionTable t, Connection c)
    {
        c.Status = Connection.StatusRemoved;
        t.RemoveUnsynchronized(c);
    }

    private static (int Live, int Tombstones) Totals(ConnectionTable t)
    {
        int live = 0, tomb = 0;
        for (int s = 0; s < ConnectionTable.ShardCount; s++)
        {
            var (l, d) = t.CountsOf(s);
            live += l;
            tomb += d;
        }
        return (live, tomb);
    }

    [Fact]
    public void A_connection_is_found_from_both_directions_and_the_direction_is_reported()
    {
        var t = new ConnectionTable(11);
        var c = Conn(1);
        Insert(t, c);
        Assert.Same(c, t.Find(c.Orig, t.Hash(c.Orig), out bool reply));
        Assert.False(reply);
        Assert.Same(c, t.Find(c.Reply, t.Hash(c.Reply), out reply));
        Assert.True(reply);
        var other = Key(2);
        Assert.Null(t.Find(other, t.Hash(other), out _));
    }

    [Fact]
    public void A_connection_whose_reply_key_equals_its_original_key_has_two_entries_and_leaves_none()
    {
        // 10.0.0.1:5 -> 10.0.0.1:5: Reverse() is the same key, so both tags share the hash and differ in the direction bit.
        var k = ConnKey.Ipv4(0x0A000001, 0x0A000001, 5, 5, 0, IpProtocols.Udp);
        Assert.Equal(k, k.Reverse());
        var t = new ConnectionTable(3);
        var c = new Connection(k) { Reply = k };
        Insert(t, c);
        Assert.Equal((2, 0), Totals(t));
        Assert.Same(c, t.Find(k, t.Hash(k), out _));
        Remove(t, c);
        Assert.Equal((0, 2), Totals(t));
        Assert.Null(t.Find(k, t.Hash(k), out _));
        Assert.Empty(t.All());
    }

    [Fact]
    public void Growth_keeps_every_connection_findable_and_the_load_at_most_three_quarters()
    {
        const int N = 50_000;
        var t = new ConnectionTable(5);
        var conns = Enumerable.Range(0, N).Select(Conn).ToArray();
        foreach (var c in conns)
            Insert(t, c);
        for (int s = 0; s < ConnectionTable.ShardCount; s++)
        {
            Assert.True(t.CapacityOf(s) > ConnectionTable.InitialCapacity, "every shard grew");
            Assert.True(t.CountsOf(s).Live * 4L <= t.CapacityOf(s) * 3L, $"shard {s} load");
        }
        Assert.Equal((2 * N, 0), Totals(t));
        foreach (var c in conns)
        {
            Assert.Same(c, t.Find(c.Orig, t.Hash(c.Orig), out bool r1));
            Assert.False(r1);
            Assert.Same(c, t.Find(c.Reply, t.Hash(c.Reply), out bool r2));
            Assert.True(r2);
        }
        Assert.Equal(N, t.All().Count());
        Assert.Equal(N, t.All().Distinct().Count());
    }

    [Fact]
    public void Removal_leaves_tombstones_that_probes_pass_and_insertion_reuses()
    {
        const int N = 20;
        var t = new ConnectionTable(1); // 20 connections stay far below any shard's growth point
        var conns = Enumerable.Range(0, N).Select(Conn).ToArray();
        foreach (var c in conns)
            Insert(t, c);
        for (int i = 0; i < N; i += 2)
            Remove(t, conns[i]);
        Assert.Equal((N, N), Totals(t));
        for (int i = 0; i < N; i++)
        {
            var found = t.Find(conns[i].Orig, t.Hash(conns[i].Orig), out _);
            Assert.Equal(i % 2 == 1 ? conns[i] : null, found);
        }
        // Committing the removed flows again: each lands in a tombstone or an empty slot, never twice.
        var again = Enumerable.Range(0, N).Where(i => i % 2 == 0).Select(Conn).ToArray();
        foreach (var c in again)
            Insert(t, c);
        var (live, tombstones) = Totals(t);
        Assert.Equal(2 * N, live);
        Assert.True(tombstones < N, $"{tombstones} tombstones left");
        foreach (var c in again)
            Assert.Same(c, t.Find(c.Reply, t.Hash(c.Reply), out _));
    }

    [Fact]
    public void Churn_rebuilds_away_tombstones_without_growing()
    {
        // Insert and remove many connections while only a few are live: tombstones fill the shards
        // until a rebuild at the same (or a smaller) size drops them.
        var t = new ConnectionTable(9);
        var live = new Queue<Connection>();
        for (int i = 0; i < 200_000; i++)
        {
            var c = Conn(i);
            Insert(t, c);
            live.Enqueue(c);
            if (live.Count > 100)
                Remove(t, live.Dequeue());
        }
        for (int s = 0; s < ConnectionTable.ShardCount; s++)
            Assert.True(t.CapacityOf(s) <= 4 * ConnectionTable.InitialCapacity, $"shard {s}: {t.CapacityOf(s)} slots");
        Assert.Equal(200, Totals(t).Live);
        foreach (var c in live)
            Assert.Same(c, t.Find(c.Orig, t.Hash(c.Orig), out _));
        Assert.Equal(100, t.All().Count());
    }

    /// <summary>Readers probe without a lock while one writer inserts (forcing rebuilds) and removes:
    /// a connection that stays live throughout is found on every probe.</summary>
    [Fact]
    public async Task Lock_free_readers_find_stable_connections_while_the_writer_grows_and_removes()
    {
        const int Stable = 2000, Churn = 150_000;
        var t = new ConnectionTable(21);
        var stable = Enumerable.Range(0, Stable).Select(Conn).ToArray();
        foreach (var c in stable)
            Insert(t, c);
        int done = 0, started = 0;
        long misses = 0, probes = 0;
        // Dedicated threads (not pool tasks, which a loaded 2-core machine may not start before the
        // writer finishes); the writer waits until every reader has probed at least once.
        var readers = Enumerable.Range(0, 3).Select(r => Task.Factory.StartNew(() =>
        {
            int i = r;
            bool counted = false;
            while (Volatile.Read(ref done) == 0)
            {
                if (!counted)
                {
                    counted = true;
                    Interlocked.Increment(ref started);
                }
                var c = stable[i % Stable];
                bool useReply = (i & 1) != 0;
                var key = useReply ? c.Reply : c.Orig;
                if (!ReferenceEquals(t.Find(key, t.Hash(key), out bool reply), c) || reply != useReply)
                    Interlocked.Increment(ref misses);
                Interlocked.Increment(ref probes);
                i += 7;
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        SpinWait.SpinUntil(() => Volatile.Read(ref started) == 3);
        var recent = new Queue<Connection>();
        for (int i = Stable; i < Stable + Churn; i++)
        {
            var c = Conn(i);
            Insert(t, c);
            recent.Enqueue(c);
            if (recent.Count > 30_000)
                Remove(t, recent.Dequeue());
        }
        Volatile.Write(ref done, 1);
        await Task.WhenAll(readers);
        Assert.Equal(0, misses);
        Assert.True(probes > 0);
        Assert.Equal(Stable + recent.Count, t.All().Count());
    }

    [Fact]
    public void A_connection_holds_no_references_and_fits_its_memory_budget()
    {
        // No GC references in Connection: the collector never scans a million of them, and the
        // table's slots are the only thing pointing at them. Connection.cs states the size.
        foreach (var f in typeof(Connection).GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            bool refs = (bool)typeof(RuntimeHelpers).GetMethod(nameof(RuntimeHelpers.IsReferenceOrContainsReferences))!
                .MakeGenericMethod(f.FieldType).Invoke(null, null)!;
            Assert.False(refs, f.Name);
        }
        var k = Key(1);
        _ = new Connection(k);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var c = new Connection(k);
        long size = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(c);
        Assert.True(size <= 160, $"{size} bytes");
        // The batch path prefetches the lines up to ApproxSize bytes past the reference (header before it).
        Assert.True(size - IntPtr.Size <= Connection.ApproxSize, $"{size} bytes");
        Assert.Equal(16, Unsafe.SizeOf<ConnectionTable.Slot>());
    }
}
