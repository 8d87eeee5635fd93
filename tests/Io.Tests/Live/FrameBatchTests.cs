using Datapath.Io.Live;

namespace Datapath.Io.Tests.Live;

public sealed class FrameBatchTests
{
    [Fact]
    public void TryAdd_fills_slots_in_order_until_full()
    {
        FrameBatch batch = new(capacity: 2, frameCapacity: 64);
        Assert.True(batch.TryAdd([1, 2, 3]));
        Assert.True(batch.TryAdd([4, 5]));
        Assert.False(batch.TryAdd([6]));
        Assert.Equal(2, batch.Count);
        Assert.Equal([1, 2, 3], batch[0].ToArray());
        Assert.Equal([4, 5], batch[1].ToArray());
        Assert.Equal(2, batch.GetLength(1));
    }

    [Fact]
    public void A_frame_longer_than_a_slot_is_refused()
    {
        FrameBatch batch = new(capacity: 1, frameCapacity: 64);
        Assert.False(batch.TryAdd(new byte[65]));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void TryPush_grows_a_frame_into_the_headroom_without_moving_it()
    {
        FrameBatch batch = new(capacity: 1, frameCapacity: 64);
        batch.TryAdd([9, 9]);
        Assert.True(batch.TryPush(0, 50, out Span<byte> grown));
        Assert.Equal(52, grown.Length);
        Assert.Equal([9, 9], grown[50..].ToArray());
        Assert.False(batch.TryPush(0, FrameBatch.Headroom - 49, out _));
    }

    [Fact]
    public void Indexing_past_Count_throws()
    {
        FrameBatch batch = new(capacity: 4, frameCapacity: 64);
        batch.TryAdd([1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[1].Length);
    }

    [Fact]
    public void Clear_and_refill_allocates_nothing()
    {
        FrameBatch batch = new();
        byte[] frame = new byte[60];
        batch.TryAdd(frame);
        batch.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 100; round++)
        {
            batch.Clear();
            while (batch.TryAdd(frame))
            {
            }
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
