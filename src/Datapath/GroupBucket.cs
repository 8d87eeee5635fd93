using Datapath.Engine.Actions;

namespace Datapath.Engine;

/// <summary>One bucket of a group: its actions, weight (select) and what its liveness watches (a port, a group).</summary>
public sealed class GroupBucket
{
    public GroupBucket(uint bucketId, ActionList actions, ushort weight, uint? watchPort, string text, uint? watchGroup = null)
    {
        BucketId = bucketId;
        Actions = actions;
        Weight = weight;
        WatchPort = watchPort;
        WatchGroup = watchGroup;
        Text = text;
    }

    /// <summary>A bucket's weight when none is written: 1 in a select group, 0 in the others (ofp-group.c).</summary>
    public static ushort DefaultWeight(GroupType type) => type == GroupType.Select ? (ushort)1 : (ushort)0;

    public uint BucketId { get; }
    public ActionList Actions { get; }
    public ushort Weight { get; }
    /// <summary>The port whose liveness the bucket follows (fast_failover; select buckets too), or null.</summary>
    public uint? WatchPort { get; }
    /// <summary>The group whose liveness the bucket's follows, or null.</summary>
    public uint? WatchGroup { get; }
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
