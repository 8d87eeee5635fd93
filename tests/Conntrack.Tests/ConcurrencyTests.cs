using Datapath.Packets;

namespace Datapath.Conntrack.Tests;

public class ConcurrencyTests
{
    /// <summary>
    /// Eight threads commit the same 20,000 connections (each in a different order, from both
    /// directions) while looking them up and while a sweeper runs; afterwards every connection
    /// exists exactly once, was created exactly once, and the counts agree.
    /// </summary>
    [Fact]
    public async Task Concurrent_commits_and_lookups_lose_and_duplicate_no_connection()
    {
        const int Flows = 20_000, Threads = 8;
        var t = new ConnectionTracker(new ConntrackOptions { Seed = 3 });
        var frames = new byte[Flows][];
        var replies = new byte[Flows][];
        for (int i = 0; i < Flows; i++)
        {
            frames[i] = Pkt.Udp("10.1." + (i >> 8) + "." + (i & 0xff), (ushort)(1024 + i), "10.2.0.1", 53).Frame;
            replies[i] = Pkt.Udp("10.2.0.1", 53, "10.1." + (i >> 8) + "." + (i & 0xff), (ushort)(1024 + i)).Frame;
        }
        long established = 0;
        using var stop = new CancellationTokenSource();
        var sweeper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
                t.Sweep(0); // nothing expires at time 0; exercises the writer lock beside lookups
        });
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, th =>
        {
            var rng = new Random(th);
            var order = Enumerable.Range(0, Flows).OrderBy(_ => rng.Next()).ToArray();
            var cmd = Pkt.Commit(3);
            foreach (int i in order)
            {
                var frame = (th & 1) == 0 ? frames[i] : replies[i];
                FlowKey.Extract(frame, 1, out var key);
                t.Execute(ref key, frame, cmd, 0);
                Assert.True((key.CtState & (uint)CtStateFlags.Tracked) != 0);
                Assert.Equal(0u, key.CtState & (uint)CtStateFlags.Invalid);
                FlowKey.Extract(frames[i], 1, out var look);
                t.Execute(ref look, frames[i], Pkt.Lookup(3), 0);
                if ((look.CtState & (uint)CtStateFlags.Established) != 0)
                    Interlocked.Increment(ref established);
                Assert.NotEqual(0u, look.CtNwSrc); // committed already by this thread at least
            }
        });
        stop.Cancel();
        await sweeper;

        Assert.Equal(Flows, t.Count);
        Assert.Equal(Flows, t.Counters.Created);
        Assert.Equal(Flows, t.CountInZone(3));
        var entries = t.Entries(3);
        Assert.Equal(Flows, entries.Count);
        Assert.Equal(Flows, entries.Select(e => e.Original).Distinct().Count());
        Assert.True(established > 0);
    }

    [Fact]
    public void Concurrent_flush_and_commits_keep_the_counts_consistent()
    {
        var t = new ConnectionTracker(new ConntrackOptions { Seed = 5 });
        var frames = Enumerable.Range(0, 5000).Select(i => Pkt.Udp("10.9.0.1", (ushort)(1024 + i), "10.9.0.2", 53).Frame).ToArray();
        Parallel.For(0, 4, th =>
        {
            for (int round = 0; round < 4; round++)
            {
                foreach (var f in frames)
                {
                    FlowKey.Extract(f, 1, out var key);
                    t.Execute(ref key, f, Pkt.Commit(4), 0);
                }
                if (th == 0)
                    t.Flush(4);
            }
        });
        Assert.Equal(t.Entries().Count, t.Count);
        Assert.Equal(t.Count, t.CountInZone(4));
    }
}
