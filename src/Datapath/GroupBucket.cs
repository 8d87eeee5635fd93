using Datapath.Engine.Actions;

namespace Datapath.Engine;

/// <summary>One bucket of a group: its actions, weight (select) and watch port (fast_failover).</summary>
public sealed class GroupBucket
{
    public GroupBucket(uint bucketId, ActionList actions, ushort weight, uint? watchPort, string text)
    {
        BucketId = bucketId;
        Actions = actions;
        Weight = weight;
        WatchPort = watchPort;
        Text = text;
    }

    public uint BucketId { get; }
    public ActionList Actions { get; }
    public ushort Weight { get; }
    public uint? WatchPort { get; }
    /// <summary>The bucket as written (after <c>bucket=</c>).</summary>
    public string Text { get; }

    private long _packets, _bytes;

    public long PacketCount => Volatile.Read(ref _packets);
    public long ByteCount => Volatile.Read(ref _bytes);

    internal void AddStats(int bytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <summary>Adds counts wholesale (a flow cache entry's pending hits).</summary>
    internal void AddStats(long packets, long bytes)
    {
        Interlocked.Add(ref _packets, packets);
        Interlocked.Add(ref _bytes, bytes);
    }
}
